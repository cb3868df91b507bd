//! Demo data for `deliverdesk serve --demo` (issue 18): two accounts (to show isolation),
//! their users, and 29 days of Acme's life made by the real pipelines under a simulated
//! clock — see [`seed`]. Seeded only into an empty database; the same seed gives the same
//! data.

mod admin;
mod customers;
mod mail;
mod run;
mod sim;
mod traffic;

pub use run::{seed, seed_named_only, DemoServices, SeedReport, CAMPAIGN_COMPLAINER};

use crate::domain::suppression::AccountId;
use crate::services::auth;
use crate::storage::Db;
use app::models::{ConversationStatus, Role};
use chrono::{DateTime, Utc};

/// The demo password of every demo user (printed at start).
pub const DEMO_PASSWORD: &str = "demo-password";

/// Acme's fixed webhook credential (HTTP Basic), printed at start with the demo logins.
pub const DEMO_WEBHOOK_ACCOUNT: &str = "Acme Support";
pub const DEMO_WEBHOOK_USERNAME: &str = "acme-webhooks";
pub const DEMO_WEBHOOK_PASSWORD: &str = "acme-demo-webhook-secret";
/// Globex's webhook credential: a second account that reports bounces (issue 16: one
/// account's word stays in that account; two accounts' make it global).
pub const DEMO_GLOBEX_WEBHOOK_ACCOUNT: &str = "Globex Helpdesk";
pub const DEMO_GLOBEX_WEBHOOK_USERNAME: &str = "globex-webhooks";
pub const DEMO_GLOBEX_WEBHOOK_PASSWORD: &str = "globex-demo-webhook-secret";
/// Acme's Mailgun webhook signing key (Mailgun events are signed with HMAC-SHA256 under it).
pub const DEMO_MAILGUN_SIGNING_KEY: &str = "acme-demo-mailgun-signing-key";

/// Where the demo's test relay listens unless `DEMO_RELAY_ADDR` says otherwise. Acme's sender
/// address relays through it (see [`crate::smtp::rule_relay`] for its answers).
pub const DEMO_RELAY_ADDR: &str = "127.0.0.1:2526";

/// Where each demo account receives mail (the SMTP listener accepts only these).
pub const DEMO_INBOUND_ADDRESSES: &[(&str, &str)] = &[
    ("Acme Support", "support@acme.test"),
    ("Globex Helpdesk", "help@globex.test"),
];

pub struct DemoUser {
    pub email: &'static str,
    pub role: Role,
    pub account: &'static str,
}

pub const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        email: "admin@acme.test",
        role: Role::Admin,
        account: "Acme Support",
    },
    DemoUser {
        email: "agent@acme.test",
        role: Role::Agent,
        account: "Acme Support",
    },
    DemoUser {
        email: "admin@globex.test",
        role: Role::Admin,
        account: "Globex Helpdesk",
    },
    DemoUser {
        email: "agent@globex.test",
        role: Role::Agent,
        account: "Globex Helpdesk",
    },
];

/// The named conversations, seeded last (the newest): the end-to-end tests open them by
/// subject. Inbound messages go through the inbound service and its scorer, replies through
/// the outbound service and the relay.
struct DemoConversation {
    account: &'static str,
    contact: (&'static str, &'static str),
    subject: &'static str,
    status: ConversationStatus,
    spam: bool,
    /// (direction, text, optional HTML), oldest first.
    messages: &'static [(Dir, &'static str, Option<&'static str>)],
}

/// Who wrote a message of a named conversation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    In,
    Out,
}
use Dir::{In, Out};

const CONVERSATIONS: &[DemoConversation] = &[
    DemoConversation { account: "Acme Support", contact: ("maria.lopez@example.com", "Maria Lopez"), subject: "Order #10482 arrived damaged", status: ConversationStatus::Open, spam: false,
        messages: &[(In, "Hi, my order #10482 arrived today and the glass carafe is cracked. Can you send a replacement?\n\nMaria", None),
                    (Out, "Hi Maria, sorry about that! A replacement carafe ships tomorrow; no need to return the broken one.", None),
                    (In, "Thank you, that was quick.", None)] },
    DemoConversation { account: "Acme Support", contact: ("j.chen@fastmail.example", "James Chen"), subject: "Invoice address change", status: ConversationStatus::Open, spam: false,
        messages: &[(In, "Please put our new company address on future invoices: Chen Design Ltd, 12 Harbour Road, Leith.", None)] },
    DemoConversation { account: "Acme Support", contact: ("priya@startup.example", "Priya Natarajan"), subject: "Can't reset my password", status: ConversationStatus::Open, spam: false,
        messages: &[(In, "The reset link says it expired, but I clicked it within a minute.", Some("<p>The reset link says it <b>expired</b>, but I clicked it within a minute.</p><p>Screenshot: <img src=\"x\" onerror=\"window.__xss=1;alert('xss')\"></p><script>window.__xss=2</script>"))] },
    DemoConversation { account: "Acme Support", contact: ("tom.baker@example.org", "Tom Baker"), subject: "Bulk discount for 40 units?", status: ConversationStatus::Open, spam: false,
        messages: &[(In, "We'd like 40 espresso grinders for our cafés. Is there a volume discount?", None),
                    (Out, "Hi Tom, yes: 12% off from 25 units. I've attached a quote.", None)] },
    DemoConversation { account: "Acme Support", contact: ("lena.schmidt@example.de", "Lena Schmidt"), subject: "Lieferung nach Österreich?", status: ConversationStatus::Open, spam: false,
        messages: &[(In, "Liefern Sie auch nach Österreich? Wie hoch sind die Versandkosten?", None)] },
    DemoConversation { account: "Acme Support", contact: ("orders@bistro-nova.example", "Bistro Nova"), subject: "Weekly coffee subscription paused?", status: ConversationStatus::Done, spam: false,
        messages: &[(In, "Our weekly beans did not arrive this Monday. Was the subscription paused?", None),
                    (Out, "It was paused by a failed card payment; it's resumed now and this week's order ships today.", None)] },
    DemoConversation { account: "Acme Support", contact: ("sam@example.net", "Sam Okafor"), subject: "Warranty for grinder bought 2024", status: ConversationStatus::Done, spam: false,
        messages: &[(In, "My grinder from March 2024 stopped working. Is it still under warranty?", None),
                    (Out, "Yes, it has a 3-year warranty. A prepaid return label is on its way.", None)] },
    DemoConversation { account: "Acme Support", contact: ("noreply@prize-center.example", "Prize Center"), subject: "CONGRATULATIONS!!! You WON $1,000,000", status: ConversationStatus::Done, spam: true,
        messages: &[(In, "Claim your prize NOW! Send your bank details to receive $1,000,000 today. Act fast, offer expires!", None)] },
    DemoConversation { account: "Acme Support", contact: ("ana.silva@example.com", "Ana Silva"), subject: "Tracking number not working", status: ConversationStatus::Open, spam: false,
        messages: &[(In, "The tracking number you sent (AC7781203) shows 'not found' on the courier's site.", None)] },
    DemoConversation { account: "Acme Support", contact: ("olivia.brown@gmail.com", "Olivia Brown"), subject: "Refund for the returned kettle", status: ConversationStatus::Open, spam: false,
        messages: &[(In, "Hi, I sent the kettle back two weeks ago (return label RL-88412). When will the refund reach my card?\n\nOlivia", None)] },
    DemoConversation { account: "Globex Helpdesk", contact: ("hank@springfield.example", "Hank Scorpio"), subject: "Globex server room access badge", status: ConversationStatus::Open, spam: false,
        messages: &[(In, "My access badge for the server room stopped working this morning.", None)] },
    DemoConversation { account: "Globex Helpdesk", contact: ("marge@springfield.example", "Marge Simpson"), subject: "Globex invoice 2026-113 question", status: ConversationStatus::Open, spam: false,
        messages: &[(In, "Invoice 2026-113 lists two support plans but we only have one.", None),
                    (Out, "You're right, the duplicate line is removed and a corrected invoice is attached.", None)] },
    DemoConversation { account: "Globex Helpdesk", contact: ("frank@grimes.example", "Frank Grimes"), subject: "Globex VPN certificate renewal", status: ConversationStatus::Done, spam: false,
        messages: &[(In, "My VPN certificate expires Friday; how do I renew it?", None)] },
];

/// Seeds the demo if the database has no account yet: the 29 days before today, seed 18.
/// Returns what it did, or `None` when the database had data.
pub async fn seed_if_empty(
    services: &DemoServices,
    relay: std::net::SocketAddr,
) -> anyhow::Result<Option<SeedReport>> {
    if services.db().account_count().await? > 0 {
        return Ok(None);
    }
    let today = Utc::now().date_naive();
    let end = today
        .and_hms_opt(0, 0, 0)
        .map(|t| DateTime::<Utc>::from_naive_utc_and_offset(t, Utc))
        .unwrap_or_else(Utc::now);
    Ok(Some(seed(services, relay, end, DEFAULT_SEED).await?))
}

/// The seed `serve --demo` uses.
pub const DEFAULT_SEED: u64 = 18;

/// Accounts, users, webhook credentials, sender and inbound addresses: configuration an
/// admin would type in, stored as such. Returns the account ids by name.
async fn configure(
    db: &Db,
    relay: std::net::SocketAddr,
    now: DateTime<Utc>,
) -> anyhow::Result<std::collections::HashMap<&'static str, i64>> {
    let hash = auth::hash_password(DEMO_PASSWORD)?;
    let mut accounts = std::collections::HashMap::new();
    for u in DEMO_USERS {
        let account_id = match accounts.get(u.account) {
            Some(id) => *id,
            None => {
                let id = db.create_account(u.account, now).await?;
                accounts.insert(u.account, id);
                id
            }
        };
        let name = format!(
            "{} {}",
            u.account.split(' ').next().unwrap_or(""),
            if u.role == Role::Admin {
                "Admin"
            } else {
                "Agent"
            }
        );
        db.create_user(AccountId(account_id), u.email, &name, u.role, &hash, now)
            .await?;
    }
    db.create_webhook_credential(
        AccountId(accounts[DEMO_WEBHOOK_ACCOUNT]),
        DEMO_WEBHOOK_USERNAME,
        &auth::hash_password(DEMO_WEBHOOK_PASSWORD)?,
        Some(DEMO_MAILGUN_SIGNING_KEY),
        None,
        now,
    )
    .await?;
    db.create_webhook_credential(
        AccountId(accounts[DEMO_GLOBEX_WEBHOOK_ACCOUNT]),
        DEMO_GLOBEX_WEBHOOK_USERNAME,
        &auth::hash_password(DEMO_GLOBEX_WEBHOOK_PASSWORD)?,
        None,
        None,
        now,
    )
    .await?;
    // Globex sends through the deployment's shared transport (the demo's operator shares
    // its test relay): what that relay refuses is suppressed for every account.
    db.add_sender(
        &crate::storage::outbound::NewSender {
            account_id: AccountId(accounts["Globex Helpdesk"]),
            address: "help@globex.test",
            name: Some("Globex Helpdesk"),
            kind: "transactional",
            transport: &crate::services::transport::TransportConfig::Shared,
        },
        now,
    )
    .await?;
    let relay_transport = crate::services::transport::TransportConfig::Smtp {
        host: relay.ip().to_string(),
        port: relay.port(),
        security: crate::services::transport::Security::None,
        login: None,
    };
    for (address, name, kind) in [
        ("support@acme.test", "Acme Support", "transactional"),
        ("news@acme.test", "Acme News", "bulk"),
    ] {
        db.add_sender(
            &crate::storage::outbound::NewSender {
                account_id: AccountId(accounts["Acme Support"]),
                address,
                name: Some(name),
                kind,
                transport: &relay_transport,
            },
            now,
        )
        .await?;
    }
    for (account, address) in DEMO_INBOUND_ADDRESSES {
        db.add_inbound_address(AccountId(accounts[account]), address, now)
            .await?;
    }
    Ok(accounts)
}

/// The named contacts on the demo's "Customers" list (with every generated customer).
const DEMO_LIST: &[&str] = &[
    "maria.lopez@example.com",
    "j.chen@fastmail.example",
    "priya@startup.example",
    "tom.baker@example.org",
    "lena.schmidt@example.de",
    "ana.silva@example.com",
];
