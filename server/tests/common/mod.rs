//! Test helpers: a fresh database per test on each backend, and the real app on port 0.
#![allow(dead_code)]

use server::domain::suppression::AccountId;
use server::storage::Db;
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// A fresh, migrated SQLite database in a temporary file.
pub async fn sqlite_db() -> Db {
    let dir = std::env::temp_dir().join("deliverdesk-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.db", unique("t")));
    Db::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("fresh SQLite database")
}

/// A fresh, migrated PostgreSQL database created next to `TEST_DATABASE_URL`'s, or `None`
/// (with the reason printed) when no URL is given.
pub async fn postgres_db() -> Option<Db> {
    let url = postgres_url().await?;
    Some(Db::connect(&url).await.expect("fresh PostgreSQL database"))
}

/// The URL of a fresh, empty PostgreSQL database created next to `TEST_DATABASE_URL`'s (for
/// tests that connect to it more than once, as several replicas do), or `None` (with the
/// reason printed) when no URL is given.
pub async fn postgres_url() -> Option<String> {
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!(
            "skipped: TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)"
        );
        return None;
    };
    sqlx::any::install_default_drivers();
    let prefix = test_db_prefix(&base);
    let name = unique(&prefix);
    let admin = sqlx::AnyPool::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL={base} is set but unreachable: {e}"));
    drop_stale_test_databases(&admin, &prefix).await;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .expect("create a test database");
    admin.close().await;
    let (prefix, _) = base.rsplit_once('/').expect("a database URL with a path");
    Some(format!("{prefix}/{name}"))
}

/// The test databases' name prefix: `dd_` and the name of `TEST_DATABASE_URL`'s database, so
/// runs against different base databases (several checkouts on one server) leave each
/// other's databases alone.
fn test_db_prefix(base: &str) -> String {
    let name: String = base
        .rsplit('/')
        .next()
        .unwrap_or("test")
        .split('?')
        .next()
        .unwrap_or("test")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<String>()
        .to_ascii_lowercase();
    format!("dd_{}", if name.is_empty() { "test" } else { &name })
}

/// Test databases of earlier test processes are dropped once per process, so runs don't pile
/// them up. (Test binaries run one after another, so no other live process owns them.)
async fn drop_stale_test_databases(admin: &sqlx::AnyPool, prefix: &str) {
    static ONCE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    ONCE.get_or_init(|| async {
        let mine = format!("{prefix}_{}_%", std::process::id());
        let stale: Vec<String> = sqlx::query_scalar(
            "SELECT CAST(datname AS TEXT) FROM pg_database WHERE datname LIKE $2 AND datname NOT LIKE $1",
        )
        .bind(mine)
        .bind(format!("{}\\_%", prefix.replace('_', "\\_")))
        .fetch_all(admin)
        .await
        .unwrap_or_default();
        for db in stale {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                .execute(admin)
                .await;
        }
    })
    .await;
}

/// Runs the same storage story on SQLite, and on PostgreSQL when a URL is given.
#[macro_export]
macro_rules! on_both_backends {
    ($story:ident) => {
        mod $story {
            #[tokio::test]
            async fn sqlite() {
                super::$story($crate::common::sqlite_db().await).await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(db) = $crate::common::postgres_db().await {
                    super::$story(db).await;
                }
            }
        }
    };
}

/// The real app, served on 127.0.0.1:0 against `db`. Returns its base URL.
pub async fn spawn_app(db: Db) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = server::http::AppState::new(db, server::http::leptos_options(addr));
    tokio::spawn(server::http::serve(listener, state, std::future::pending()));
    format!("http://{addr}")
}

/// The demo's accounts, users, credentials and named conversations (made by the app's
/// services; the relay at 127.0.0.1:2526 is not running, so the replies wait for a retry).
/// Returns false when the database had data already.
pub async fn seed_demo_accounts(db: &Db) -> bool {
    if db.account_count().await.unwrap() > 0 {
        return false;
    }
    let state = server::http::AppState::new(
        db.clone(),
        server::http::leptos_options("127.0.0.1:0".parse().unwrap()),
    );
    server::demo::seed_named_only(
        &server::demo::DemoServices::of(&state),
        "127.0.0.1:2526".parse().unwrap(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    true
}

/// The outbound policy of the services tests send through: loopback relays and stub APIs are
/// allowed (the default policy refuses them; security.rs checks that it does).
pub fn local_egress() -> server::services::egress::Egress {
    server::services::egress::Egress::allow_private()
}

/// The settings of an app that may send to loopback relays (`serve --allow-private-relays`).
pub fn local_config() -> server::config::Config {
    server::config::Config {
        allow_private_relays: true,
        ..server::config::Config::default()
    }
}

/// The app `serve --allow-private-relays` builds on `db` (pages as if served at 127.0.0.1:0).
pub fn local_state(db: Db) -> server::http::AppState {
    server::http::AppState::with_config(
        db,
        server::http::leptos_options("127.0.0.1:0".parse().unwrap()),
        &local_config(),
    )
    .unwrap()
}

/// An outbound service on `ingest` that may send to loopback relays and stub APIs.
pub fn outbound(
    ingest: server::services::ingest::IngestService,
) -> server::services::outbound::OutboundService {
    server::services::outbound::OutboundService::new(ingest).with_egress(local_egress())
}

/// A campaign service on `ingest` that may send to loopback relays.
pub fn campaigns(
    ingest: server::services::ingest::IngestService,
    public_url: &str,
) -> server::services::campaigns::CampaignService {
    server::services::campaigns::CampaignService::new(ingest, public_url)
        .with_egress(local_egress())
}

/// The project's own SMTP listener on a loopback port, answering by recipient as the demo's
/// test relay does (250, or 550 5.1.1 / 452 4.2.2 / 550 5.7.1), with `config`. Only services
/// built with [`local_egress`] (or [`local_config`]) may send to it.
pub async fn relay_with(
    config: server::smtp::SmtpConfig,
) -> (std::sync::Arc<server::smtp::rule_relay::RuleRelay>, u16) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let relay = std::sync::Arc::new(server::smtp::rule_relay::RuleRelay::new());
    tokio::spawn(server::smtp::serve(
        listener,
        config,
        relay.clone(),
        std::future::pending(),
    ));
    (relay, port)
}

/// [`relay_with`] the default settings (plain SMTP, no login).
pub async fn relay() -> (std::sync::Arc<server::smtp::rule_relay::RuleRelay>, u16) {
    relay_with(server::smtp::SmtpConfig::default()).await
}

/// An account "Acme" whose transactional sender `support@acme.test` goes through `transport`.
pub async fn account_with_sender(
    db: &Db,
    transport: server::services::transport::TransportConfig,
) -> i64 {
    let now = chrono::Utc::now();
    let account = db.create_account("Acme", now).await.unwrap();
    db.add_sender(
        &server::storage::outbound::NewSender {
            account_id: AccountId(account),
            address: "support@acme.test",
            name: Some("Acme Support"),
            kind: "transactional",
            transport: &transport,
        },
        now,
    )
    .await
    .unwrap();
    account
}

/// An open conversation with `contact` that started with an inbound message
/// `<first-{id}@customer.test>`.
pub async fn conversation(db: &Db, account: i64, contact: &str) -> i64 {
    let now = chrono::Utc::now();
    let contact_id = db
        .upsert_contact(AccountId(account), contact, None, now)
        .await
        .unwrap();
    let c = db
        .create_conversation(
            AccountId(account),
            contact_id,
            "Order late",
            app::models::ConversationStatus::Open,
            now,
        )
        .await
        .unwrap();
    let mid = format!("<first-{c}@customer.test>");
    db.add_message(&server::storage::NewMessage {
        account_id: AccountId(account),
        conversation_id: c,
        direction: app::models::Direction::Inbound,
        from_addr: contact,
        to_addr: "support@acme.test",
        subject: "Order late",
        text_body: "Where is it?",
        html_body: None,
        raw_source: None,
        message_id_header: Some(&mid),
        created_at: now,
        inbound_key: None,
        spam_score: None,
        spam_rules: None,
    })
    .await
    .unwrap();
    c
}

/// Classifies a Postmark webhook payload and ingests it into `account`, as the webhook does.
pub async fn ingest_postmark(
    db: &Db,
    account: i64,
    body: serde_json::Value,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<server::services::ingest::IngestReport> {
    let events = server::domain::bounce::classify_esp(
        server::domain::bounce::Provider::Postmark,
        body.to_string().as_bytes(),
    )
    .unwrap();
    server::services::ingest::IngestService::new(db.clone())
        .ingest_esp(
            AccountId(account),
            server::domain::bounce::Provider::Postmark,
            &events,
            b"{}",
            now,
        )
        .await
}

/// A Postmark SpamComplaint about the message sent to `email`.
pub fn postmark_complaint(id: u32, email: &str) -> serde_json::Value {
    serde_json::json!({
        "RecordType": "SpamComplaint", "ID": id, "Type": "SpamComplaint",
        "TypeCode": 100001, "Name": "Spam complaint", "MessageID": format!("pm-{id}"),
        "Email": email, "BouncedAt": "2026-11-23T09:00:00Z",
        "Description": "The subscriber explicitly marked this message as spam."
    })
}
