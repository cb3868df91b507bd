//! The simulation: 29 days of Acme's life driven through the real services, each call given
//! the simulated time. Customers write in (inbound service and scorer), agents answer
//! (outbound service, through the demo relay), mailbox providers answer back (bounce notices
//! and complaints through the ingest path, as raw RFC 3464 / RFC 5965 messages and as each
//! ESP's webhook payload), two campaigns go out (campaign service), agents correct the spam
//! filter, the retrier and the sweeper run on the hour and at day's end.
//!
//! Deterministic: one seeded generator decides everything, calls run one after the other,
//! and times come from the simulated clock. (Message keys and tokens are random, as in
//! production; nothing the pages show depends on their value.)

use super::mail;
use super::{configure, Dir, CONVERSATIONS, DEMO_LIST};
use crate::domain::bounce::esp::{classify_esp, Provider};
use crate::domain::suppression::provider_family::ProviderFamily;
use crate::services::campaigns::CampaignService;
use crate::services::inbound::{InboundMail, InboundService};
use crate::services::ingest::IngestService;
use crate::services::outbound::{OutboundService, ReplyError};
use crate::services::spam_filters::SpamFilters;
use crate::storage::Db;
use anyhow::Context;
use app::models::ConversationStatus;
use chrono::{DateTime, Duration, Utc};

/// The days simulated: the 29 days before `end` (today's midnight), so all of it is in the
/// 30-day window and nothing is in the future.
pub const DAYS: i64 = 29;
/// New customer conversations per day (plus a random 0..8).
const CONVERSATIONS_PER_DAY: u64 = 42;
/// Distinct generated customers (the contacts page lists up to 1,000).
const CUSTOMERS: usize = 560;
/// The day (0-based) of the first campaign; its complaints push the rate over 0.1 %.
const CAMPAIGN_1_DAY: i64 = 23;
/// The day of the second campaign, which the Gmail guardrail holds in part.
const CAMPAIGN_2_DAY: i64 = 26;
/// The day a customer complains about a reply (a complaint that stops all mail).
const REPLY_COMPLAINT_DAY: i64 = 24;
/// The day Northwind's server refuses Acme's mail (a burst of ISP blocks, a domain alert).
const ISP_BLOCK_DAY: i64 = 12;
/// The day the phishing attempt arrives.
const PHISHING_DAY: i64 = 17;
/// The customer who complains about the first campaign and then writes in (the reply form
/// shows that the reply still goes out): the end-to-end tests open her conversation.
pub const CAMPAIGN_COMPLAINER: &str = "olivia.brown@gmail.com";

/// The services the demo drives: the process's own (built once in `AppState::new`).
#[derive(Clone)]
pub struct DemoServices {
    pub ingest: IngestService,
    pub outbound: OutboundService,
    pub campaigns: CampaignService,
    pub inbound: InboundService,
    pub filters: SpamFilters,
}

impl DemoServices {
    /// The services of a running app.
    pub fn of(state: &crate::http::AppState) -> Self {
        DemoServices {
            ingest: state.desk.ingest().clone(),
            outbound: state.desk.outbound().clone(),
            campaigns: state.desk.campaigns().clone(),
            inbound: state.inbound.clone(),
            filters: state.desk.filters().clone(),
        }
    }

    pub fn db(&self) -> &Db {
        self.ingest.db()
    }
}

/// What seeding did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SeedReport {
    pub inbound: usize,
    pub spam_received: usize,
    pub replies_sent: usize,
    pub replies_refused: usize,
    pub raw_notices: usize,
    pub webhook_events: usize,
    pub campaign_recipients: usize,
    pub unsubscribes: usize,
    pub agent_spam_marks: usize,
    pub released_by_sweeper: usize,
    pub elapsed_ms: u128,
}

/// SplitMix64: small, fast, and the same sequence everywhere for a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    /// True `percent` times in 100 (tenths allowed: `per_mille`).
    fn per_mille(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

#[derive(Clone)]
struct Customer {
    email: String,
    name: String,
}

fn customers(rng: &mut Rng) -> Vec<Customer> {
    let total: u32 = mail::DOMAINS.iter().map(|d| d.1).sum();
    let mut out: Vec<Customer> = vec![Customer {
        email: CAMPAIGN_COMPLAINER.into(),
        name: "Olivia Brown".into(),
    }];
    // Addresses the demo relay refuses (550 unknown user) or defers (452 mailbox full).
    for (local, name) in [
        ("nobody.ines", "Ines Nobody"),
        ("nobody.marco", "Marco Nobody"),
        ("nobody.kenji", "Kenji Nobody"),
        ("full.clara", "Clara Full"),
        ("full.ravi", "Ravi Full"),
    ] {
        out.push(Customer {
            email: format!("{local}@brightmail.example"),
            name: name.into(),
        });
    }
    let mut seen: std::collections::HashSet<String> = out.iter().map(|c| c.email.clone()).collect();
    while out.len() < CUSTOMERS {
        let first = rng.pick(mail::FIRST_NAMES);
        let last = rng.pick(mail::LAST_NAMES);
        let mut w = rng.below(u64::from(total)) as u32;
        let domain = mail::DOMAINS
            .iter()
            .find(|(_, weight)| {
                if w < *weight {
                    true
                } else {
                    w -= weight;
                    false
                }
            })
            .map_or("example.com", |d| d.0);
        let email = match rng.below(3) {
            0 => format!("{first}.{last}@{domain}"),
            1 => format!("{first}{}@{domain}", 1 + rng.below(98)),
            _ => format!("{}.{last}@{domain}", &first[..1]),
        };
        if seen.insert(email.clone()) {
            let cap = |s: &str| {
                let mut c = s.chars();
                c.next()
                    .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                    .unwrap_or_default()
            };
            out.push(Customer {
                email,
                name: format!("{} {}", cap(first), cap(last)),
            });
        }
    }
    out
}

/// A reply we sent: enough to answer it as a mailbox provider would.
struct Sent {
    to: String,
    return_path: String,
    message_id: String,
    subject: String,
}

struct Sim<'a> {
    s: &'a DemoServices,
    acme: i64,
    rng: Rng,
    report: SeedReport,
    /// Counter for message ids and ESP event ids.
    n: u64,
    /// Replies a receiving domain will refuse in a burst (ISP block notices).
    blocked: Vec<Sent>,
    /// Customers whose address hard-bounced, oldest first (the admin reactivates one).
    hard_bounced: Vec<String>,
}

impl Sim<'_> {
    fn next_id(&mut self) -> u64 {
        self.n += 1;
        self.n
    }

    async fn receive(
        &mut self,
        account: i64,
        raw: &[u8],
        at: DateTime<Utc>,
    ) -> anyhow::Result<crate::services::inbound::Received> {
        let r = self
            .s
            .inbound
            .receive(
                account,
                &InboundMail {
                    raw,
                    source: "raw",
                    provider_id: None,
                    client: None,
                },
                at,
            )
            .await
            .map_err(|e| anyhow::anyhow!("demo inbound refused: {e}"))?;
        self.report.inbound += 1;
        if r.spam {
            self.report.spam_received += 1;
        }
        Ok(r)
    }

    /// An agent's reply; `None` when the gate refused it (the agent sees why).
    async fn reply(
        &mut self,
        account: i64,
        conversation: i64,
        text: &str,
        subject: &str,
        at: DateTime<Utc>,
    ) -> anyhow::Result<Option<Sent>> {
        match self.s.outbound.reply(account, conversation, text, at).await {
            Ok(id) => {
                self.report.replies_sent += 1;
                let p = self
                    .s
                    .db()
                    .pending_send(id)
                    .await?
                    .context("a sent reply is missing")?;
                Ok(Some(Sent {
                    to: p.to_addr,
                    return_path: p.return_path,
                    message_id: p.message_id_header.unwrap_or_default(),
                    subject: format!("Re: {subject}"),
                }))
            }
            Err(ReplyError::Suppressed { .. }) => {
                self.report.replies_refused += 1;
                Ok(None)
            }
            Err(e) => Err(anyhow::anyhow!("demo reply failed: {e}")),
        }
    }

    async fn raw_notice(&mut self, raw: &[u8], at: DateTime<Utc>) -> anyhow::Result<()> {
        self.s
            .ingest
            .ingest_raw(self.acme, raw, at)
            .await
            .map_err(|e| anyhow::anyhow!("demo notice refused: {e}"))?;
        self.report.raw_notices += 1;
        Ok(())
    }

    async fn webhook(
        &mut self,
        provider: Provider,
        body: &[u8],
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let events = classify_esp(provider, body)
            .map_err(|e| anyhow::anyhow!("demo {} payload unreadable: {e}", provider.as_str()))?;
        self.report.webhook_events += events.len();
        self.s
            .ingest
            .ingest_esp(self.acme, provider, &events, body, at)
            .await?;
        Ok(())
    }

    /// What providers send back about a reply, now and then: a bounce notice or an ESP
    /// event, an out-of-office.
    async fn aftermath(&mut self, day: i64, sent: &Sent, at: DateTime<Utc>) -> anyhow::Result<()> {
        let later = at + Duration::minutes(3 + self.rng.below(40) as i64);
        let family = ProviderFamily::of_address(&sent.to);
        let roll = self.rng.below(1000);
        if day == ISP_BLOCK_DAY && sent.to.ends_with("@northwind.example") && self.blocked.len() < 5
        {
            self.blocked.push(Sent {
                to: sent.to.clone(),
                return_path: sent.return_path.clone(),
                message_id: sent.message_id.clone(),
                subject: sent.subject.clone(),
            });
            return Ok(());
        }
        if roll < 12 && family == ProviderFamily::Other {
            self.hard_bounced.push(sent.to.clone());
            let raw = mail::dsn(
                &sent.to,
                &sent.return_path,
                &sent.message_id,
                "5.1.1",
                &format!(
                    "550 5.1.1 <{}>: Recipient address rejected: User unknown",
                    sent.to
                ),
                "mx1.mailhost-demo.example",
                later,
            );
            self.raw_notice(&raw, later).await?;
        } else if roll < 22 && !(14..24).contains(&day) {
            // Mailbox full: a soft bounce for 14 days (the early ones released by the sweeper).
            let raw = mail::dsn(
                &sent.to,
                &sent.return_path,
                &sent.message_id,
                "4.2.2",
                &format!("452 4.2.2 <{}>: Mailbox full", sent.to),
                "mx2.mailhost-demo.example",
                later,
            );
            self.raw_notice(&raw, later).await?;
        } else if roll < 52 {
            let raw = mail::out_of_office(&sent.to, &sent.return_path, &sent.subject, later);
            self.raw_notice(&raw, later).await?;
        } else if roll < 60 {
            let id = self.next_id();
            let event = format!("demo-{id}");
            let (provider, body) = match id % 4 {
                0 => (
                    Provider::Mailgun,
                    mail::mailgun(&event, &sent.to, &sent.message_id, false, later),
                ),
                1 => (
                    Provider::Sendgrid,
                    mail::sendgrid(&event, &sent.to, &sent.message_id, false, later),
                ),
                2 => (
                    Provider::Ses,
                    mail::ses(&event, &sent.to, &sent.message_id, false, later),
                ),
                _ => (
                    Provider::Postmark,
                    mail::postmark(id as i64, &sent.to, later),
                ),
            };
            self.webhook(provider, &body, later).await?;
        } else if roll < 110 {
            let id = self.next_id();
            let body =
                mail::sendgrid_delivered(&format!("demo-{id}"), &sent.to, &sent.message_id, later);
            self.webhook(Provider::Sendgrid, &body, later).await?;
        }
        Ok(())
    }

    /// Northwind's mail server starts refusing Acme: five refusals within the hour raise a
    /// domain alert.
    async fn isp_blocks(&mut self, at: DateTime<Utc>) -> anyhow::Result<()> {
        for (i, sent) in std::mem::take(&mut self.blocked).iter().enumerate() {
            let t = at + Duration::minutes(7 * i as i64);
            let raw = mail::dsn(
                &sent.to,
                &sent.return_path,
                &sent.message_id,
                "5.7.1",
                "554 5.7.1 Service unavailable; Client host [198.51.100.25] blocked using zen.spamhaus.org",
                "mx.northwind.example",
                t,
            );
            self.raw_notice(&raw, t).await?;
        }
        Ok(())
    }

    async fn close(&self, account: i64, conversation: i64) -> anyhow::Result<()> {
        let mut tx = self.s.db().begin().await?;
        crate::storage::inbound::set_conversation_status(&mut tx, account, conversation, false)
            .await?;
        tx.commit()
            .await
            .context("Failed to close a conversation")?;
        Ok(())
    }

    /// One customer conversation: the question, one to three rounds of answers.
    async fn conversation(
        &mut self,
        day: i64,
        c: &Customer,
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let (subject, first, follow_up) = *self.rng.pick(mail::TOPICS);
        let n = 20_000 + self.next_id();
        let subject = subject.replace("{n}", &n.to_string());
        let first = first.replace("{n}", &n.to_string());
        let mid = format!("demo-in-{n}@{}", c.email.rsplit('@').next().unwrap_or("x"));
        let raw = mail::customer_mail(
            &c.email,
            &c.name,
            "support@acme.test",
            &subject,
            &first,
            &mid,
            None,
            at,
        );
        let r = self.receive(self.acme, &raw, at).await?;
        if r.spam || r.duplicate {
            return Ok(());
        }
        let mut t = at + Duration::minutes(10 + self.rng.below(110) as i64);
        let rounds = match self.rng.below(100) {
            0..=44 => 1,
            45..=84 => 2,
            _ => 3,
        };
        for round in 0..rounds {
            let text = *self.rng.pick(mail::REPLIES);
            let Some(sent) = self
                .reply(self.acme, r.conversation_id, text, &subject, t)
                .await?
            else {
                break;
            };
            self.aftermath(day, &sent, t).await?;
            if round + 1 == rounds {
                break;
            }
            t += Duration::minutes(30 + self.rng.below(240) as i64);
            let follow = mail::customer_mail(
                &c.email,
                &c.name,
                "support@acme.test",
                &format!("Re: {subject}"),
                follow_up,
                &format!("demo-in-{}-{round}@x.example", n),
                Some(&sent.message_id),
                t,
            );
            self.receive(self.acme, &follow, t).await?;
            t += Duration::minutes(15 + self.rng.below(90) as i64);
        }
        if self.rng.per_mille(960) {
            self.close(self.acme, r.conversation_id).await?;
        }
        Ok(())
    }

    async fn spam(&mut self, day: i64, at: DateTime<Utc>) -> anyhow::Result<()> {
        let (subject, from, body) = *self.rng.pick(mail::SPAM);
        let id = self.next_id();
        let raw = mail::customer_mail(
            from,
            "Offers",
            "support@acme.test",
            subject,
            body,
            &format!("spam-{id}@{}", from.rsplit('@').next().unwrap_or("x")),
            None,
            at,
        );
        let r = self.receive(self.acme, &raw, at).await?;
        // Agents mark spam now and then (the ones the filter caught, to block the sender; the
        // ones that slipped under the threshold, to train the classifier).
        if !r.duplicate && day % 4 == 1 {
            self.s
                .filters
                .mark_spam(
                    self.acme,
                    "agent@acme.test",
                    r.conversation_id,
                    at + Duration::minutes(20),
                )
                .await
                .map_err(|e| anyhow::anyhow!("demo mark spam failed: {e}"))?;
            self.report.agent_spam_marks += 1;
        }
        Ok(())
    }

    /// A wholesale partner's shouty but wanted offer: the filter may take it for spam; an
    /// agent says "Not spam".
    async fn partner_offer(&mut self, at: DateTime<Utc>) -> anyhow::Result<()> {
        let raw = mail::customer_mail(
            "sales@bean-importers.example",
            "Bean Importers",
            "support@acme.test",
            "FREE samples!!! New Ethiopian harvest - 20% OFF for Acme",
            "Hi Acme team,\n\nAs promised: FREE samples of the new Ethiopian harvest, and 20% OFF your next pallet if you order before Friday!!! Click http://bean-importers.example/acme to pick your samples. Limited stock.\n\nBest, Dawit (your account manager)",
            "partner-offer-1@bean-importers.example",
            None,
            at,
        );
        let r = self.receive(self.acme, &raw, at).await?;
        if !r.spam {
            self.s
                .filters
                .mark_spam(
                    self.acme,
                    "agent@acme.test",
                    r.conversation_id,
                    at + Duration::minutes(5),
                )
                .await
                .map_err(|e| anyhow::anyhow!("demo mark spam failed: {e}"))?;
        }
        self.s
            .filters
            .not_spam(
                self.acme,
                "admin@acme.test",
                r.conversation_id,
                true,
                at + Duration::hours(2),
            )
            .await
            .map_err(|e| anyhow::anyhow!("demo not spam failed: {e}"))?;
        self.report.agent_spam_marks += 1;
        Ok(())
    }

    /// The partner's next offer, after the admin allowed their domain: however it scores, it
    /// stays in the inbox (Org Logging says when the allowlist overrode the score).
    async fn partner_offer_again(&mut self, at: DateTime<Utc>) -> anyhow::Result<()> {
        let raw = mail::customer_mail(
            "sales@bean-importers.example",
            "Bean Importers",
            "support@acme.test",
            "LAST CHANCE!!! 100% FREE samples + 20% OFF - ACT NOW",
            "Hi Acme team,\n\nLAST CHANCE!!! 100% FREE samples of the Ethiopian harvest and 20% OFF your next pallet, GUARANTEED lowest price, only until Friday!!! CLICK HERE NOW: http://bean-importers.example/acme?offer=FREE to claim your FREE samples. Act now, limited stock, order today, offer expires!!! Unsubscribe anytime.\n\nBest, Dawit",
            "partner-offer-2@bean-importers.example",
            None,
            at,
        );
        self.receive(self.acme, &raw, at).await?;
        Ok(())
    }

    /// What Acme's admin does in the month, through the same services as the admin pages:
    /// trusts the forwarder's Authentication-Results and sets the SNS topic of the webhook
    /// credential, tries a higher spam threshold for two days, allows the wholesale partner
    /// (and a trade fair's domain for a week), reactivates a customer who phoned about her
    /// mailbox, takes back an agent's block. Each is logged with who did it.
    async fn admin_actions(&mut self, day: i64, midnight: DateTime<Utc>) -> anyhow::Result<()> {
        const ADMIN: &str = "admin@acme.test";
        let at = midnight + Duration::hours(10);
        let filters = &self.s.filters;
        let failed = |what: &str, e: &dyn std::fmt::Display| anyhow::anyhow!("demo {what}: {e}");
        match day {
            1 => {
                filters
                    .set_trusted_authserv_ids(self.acme, ADMIN, "mx.acme.test", at)
                    .await
                    .map_err(|e| failed("authserv-ids", &e))?;
                // SES notifications come through Acme's SNS topic from now on.
                self.s
                    .ingest
                    .set_sns_topic(
                        self.acme,
                        ADMIN,
                        super::DEMO_WEBHOOK_USERNAME,
                        "arn:aws:sns:eu-west-1:123456789012:acme-ses-events",
                        at,
                    )
                    .await
                    .map_err(|e| failed("SNS topic", &e))?;
            }
            10 => {
                filters
                    .add_allow(
                        self.acme,
                        ADMIN,
                        "fair-registrations.example",
                        "trade fair week: visitor registrations come from this domain",
                        at,
                    )
                    .await
                    .map_err(|e| failed("allow", &e))?;
            }
            17 => {
                let fair = self
                    .s
                    .db()
                    .allow_list(self.acme)
                    .await?
                    .into_iter()
                    .find(|a| a.entry.value() == "fair-registrations.example");
                if let Some(a) = fair {
                    filters
                        .remove_allow(self.acme, ADMIN, a.id, at)
                        .await
                        .map_err(|e| failed("allow removal", &e))?;
                }
            }
            2 | 4 => {
                let value = if day == 2 { "6" } else { "5" };
                filters
                    .set_threshold(self.acme, ADMIN, value, at)
                    .await
                    .map_err(|e| failed("threshold", &e))?;
            }
            9 => {
                filters
                    .add_allow(
                        self.acme,
                        ADMIN,
                        "bean-importers.example",
                        "our wholesale partner: their offers are wanted",
                        midnight + Duration::hours(12),
                    )
                    .await
                    .map_err(|e| failed("allow", &e))?;
            }
            20 => {
                if let Some(address) = self.hard_bounced.first().cloned() {
                    self.s
                        .ingest
                        .reactivate(
                            self.acme,
                            ADMIN,
                            &address,
                            "She phoned: her mailbox was restored by her provider",
                            at,
                        )
                        .await
                        .map_err(|e| failed("reactivation", &e))?;
                }
            }
            21 => {
                let oldest = self
                    .s
                    .db()
                    .block_list(self.acme)
                    .await?
                    .into_iter()
                    .min_by_key(|b| b.id);
                if let Some(b) = oldest {
                    filters
                        .remove_block(self.acme, ADMIN, b.id, at)
                        .await
                        .map_err(|e| failed("unblock", &e))?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A campaign to the Customers list, sent now, and what comes back.
    async fn campaign(
        &mut self,
        list: i64,
        sender: i64,
        subject: &str,
        body: &str,
        at: DateTime<Utc>,
    ) -> anyhow::Result<i64> {
        let p = self
            .s
            .campaigns
            .prepare(
                self.acme,
                "admin@acme.test",
                list,
                sender,
                subject,
                body,
                at,
            )
            .await
            .map_err(|e| anyhow::anyhow!("demo campaign refused: {e}"))?;
        self.s.campaigns.run(p.campaign_id, at).await?;
        self.report.campaign_recipients += p.queued;
        Ok(p.campaign_id)
    }
}

/// Seeds the demo into an empty database: configuration at the start of the simulated
/// month, then 29 days of mail ending at `end`, then the named conversations on the last
/// evening. `relay` is the demo relay Acme's senders use.
pub async fn seed(
    s: &DemoServices,
    relay: std::net::SocketAddr,
    end: DateTime<Utc>,
    seed: u64,
) -> anyhow::Result<SeedReport> {
    seed_days(s, relay, end, seed, DAYS).await
}

/// Only the configuration and the named conversations (through the same services), for
/// tests about sessions and tenancy that need a few conversations, not a month.
pub async fn seed_named_only(
    s: &DemoServices,
    relay: std::net::SocketAddr,
    end: DateTime<Utc>,
) -> anyhow::Result<SeedReport> {
    seed_days(s, relay, end, super::DEFAULT_SEED, 0).await
}

async fn seed_days(
    s: &DemoServices,
    relay: std::net::SocketAddr,
    end: DateTime<Utc>,
    seed: u64,
    days: i64,
) -> anyhow::Result<SeedReport> {
    let started = std::time::Instant::now();
    let first_day = end - Duration::days(DAYS);
    let accounts = configure(s.db(), relay, first_day - Duration::days(1)).await?;
    let acme = accounts["Acme Support"];
    let globex = accounts["Globex Helpdesk"];
    let mut sim = Sim {
        s,
        acme,
        rng: Rng(seed),
        report: SeedReport::default(),
        n: 0,
        blocked: Vec::new(),
        hard_bounced: Vec::new(),
    };
    let people = customers(&mut sim.rng);

    // The Customers list: the named contacts and every generated customer.
    let list = s
        .db()
        .create_list(acme, "Customers", first_day)
        .await?
        .context("a fresh database has no lists")?;
    {
        let mut tx = s.db().begin().await?;
        let mut members = Vec::new();
        // An old address that became a spam trap: the relay refuses the campaign as spam (an
        // automatic complaint, 14 days).
        for email in DEMO_LIST
            .iter()
            .copied()
            .chain(people.iter().map(|c| c.email.as_str()))
            .chain(["spamtrap.legacy@brightmail.example"])
        {
            members.push(
                crate::storage::inbound::upsert_contact(&mut tx, acme, email, None, first_day)
                    .await?,
            );
        }
        crate::storage::campaigns::add_members(&mut tx, list, &members, first_day).await?;
        tx.commit()
            .await
            .context("Failed to commit the demo list")?;
    }
    let bulk_sender = s
        .db()
        .senders(acme)
        .await?
        .into_iter()
        .find(|x| x.kind == "bulk")
        .context("the demo has a bulk sender")?
        .id;

    for day in 0..days {
        let midnight = first_day + Duration::days(day);
        // Spam and the odd phishing attempt.
        for k in 0..(1 + day % 3) {
            sim.spam(day, midnight + Duration::hours(2 + 3 * k)).await?;
        }
        if day == PHISHING_DAY {
            let id = sim.next_id();
            let raw = mail::phishing(
                &format!("phish-{id}@acme-test.account-verify.example"),
                midnight + Duration::hours(6),
            );
            sim.receive(acme, &raw, midnight + Duration::hours(6))
                .await?;
        }
        if day == 9 {
            sim.partner_offer(midnight + Duration::hours(9)).await?;
        }
        if day == 16 {
            sim.partner_offer_again(midnight + Duration::hours(9))
                .await?;
        }
        if day == 5 {
            let at = midnight + Duration::hours(4);
            let raw = mail::unreadable_notice(&format!("bounces+demo-{day}@acme.test"), at);
            sim.raw_notice(&raw, at).await?;
        }
        sim.admin_actions(day, midnight).await?;
        // Customers write in from 07:00 to 19:00; the retrier runs every three hours.
        let n = CONVERSATIONS_PER_DAY + sim.rng.below(9);
        let step = Duration::minutes(12 * 60 / n as i64);
        let mut t = midnight + Duration::hours(7);
        let mut next_retry = midnight + Duration::hours(3);
        for _ in 0..n {
            while next_retry <= t {
                s.outbound.retry_due(next_retry).await?;
                s.campaigns.resume_due(next_retry).await?;
                next_retry += Duration::hours(3);
            }
            let c = sim.rng.pick(&people).clone();
            sim.conversation(day, &c, t).await?;
            t += step;
        }
        if day == ISP_BLOCK_DAY {
            sim.isp_blocks(midnight + Duration::hours(20)).await?;
        }
        if day == CAMPAIGN_1_DAY {
            let at = midnight + Duration::hours(20);
            let id = sim
                .campaign(
                    list,
                    bulk_sender,
                    "The winter blend is back",
                    "Dark chocolate, orange peel and a hint of clove: the Acme winter blend is back for six weeks. Members get free shipping this week.",
                    at,
                )
                .await?;
            campaign_aftermath(&mut sim, id, at).await?;
        }
        if day == REPLY_COMPLAINT_DAY {
            reply_complaint(&mut sim, &people, midnight + Duration::hours(21)).await?;
        }
        if day == CAMPAIGN_2_DAY {
            sim.campaign(
                list,
                bulk_sender,
                "Barista course: two seats left",
                "Our Saturday barista course has two seats left: milk texture, latte art and dialling in a grinder, with lunch. Reply to book.",
                midnight + Duration::hours(20),
            )
            .await?;
        }
        let day_end = midnight + Duration::hours(23) + Duration::minutes(59);
        s.outbound.retry_due(day_end).await?;
        s.campaigns.resume_due(day_end).await?;
        sim.report.released_by_sweeper += s.ingest.sweep(day_end).await?;
        s.ingest.check_complaint_rate(acme, day_end).await?;
    }

    // The named conversations, on the last evening (the newest in every list).
    let evening = end - Duration::hours(12);
    for (i, c) in CONVERSATIONS.iter().enumerate() {
        let account = if c.account == "Acme Support" {
            acme
        } else {
            globex
        };
        let to = super::DEMO_INBOUND_ADDRESSES
            .iter()
            .find(|(a, _)| *a == c.account)
            .map_or("support@acme.test", |(_, addr)| addr);
        let mut t = evening + Duration::minutes(40 * i as i64);
        let mut conversation = None;
        let mut last_sent: Option<String> = None;
        for (j, (dir, text, html)) in c.messages.iter().enumerate() {
            match dir {
                Dir::In => {
                    let mid = format!("demo-{i}-{j}@deliverdesk.test");
                    let raw = match html {
                        Some(h) => mail::html_mail(
                            c.contact.0,
                            c.contact.1,
                            to,
                            c.subject,
                            text,
                            h,
                            &mid,
                            t,
                        ),
                        None => mail::customer_mail(
                            c.contact.0,
                            c.contact.1,
                            to,
                            &if last_sent.is_some() {
                                format!("Re: {}", c.subject)
                            } else {
                                c.subject.to_string()
                            },
                            text,
                            &mid,
                            last_sent.as_deref(),
                            t,
                        ),
                    };
                    let r = sim.receive(account, &raw, t).await?;
                    if j == 0 && r.spam != c.spam {
                        tracing::warn!(
                            subject = c.subject,
                            score = r.score,
                            "demo: the scorer disagrees with the story"
                        );
                    }
                    conversation.get_or_insert(r.conversation_id);
                }
                Dir::Out => {
                    let conv = conversation.context("a named conversation starts inbound")?;
                    if let Some(sent) = sim.reply(account, conv, text, c.subject, t).await? {
                        last_sent = Some(sent.message_id);
                    }
                }
            }
            t += Duration::minutes(13);
        }
        if let (Some(conv), ConversationStatus::Done) = (conversation, c.status) {
            sim.close(account, conv).await?;
        }
    }
    s.outbound.retry_due(end).await?;
    s.campaigns.resume_due(end).await?;
    sim.report.released_by_sweeper += s.ingest.sweep(end).await?;
    s.ingest.check_complaint_rate(acme, end).await?;
    sim.report.elapsed_ms = started.elapsed().as_millis();
    Ok(sim.report)
}

/// After the first campaign: complaints from Gmail users (through an ARF report, a Mailgun
/// and an SES webhook), one-click unsubscribes, an out-of-office.
async fn campaign_aftermath(
    sim: &mut Sim<'_>,
    campaign: i64,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let sent = sim.s.db().sent_recipients(campaign).await?;
    let verp = |key: &str| format!("bounces+{key}@acme.test");
    let mut gmail = sent
        .iter()
        .filter(|(a, _, _)| ProviderFamily::of_address(a) == ProviderFamily::Gmail);
    let mut t = at + Duration::minutes(30);
    let subject = "The winter blend is back";
    // The complainer the tests know, by an ARF report from Gmail's feedback loop.
    if let Some((a, key, mid)) = sent.iter().find(|(a, _, _)| a == CAMPAIGN_COMPLAINER) {
        let raw = mail::arf(a, &verp(key), mid, subject, "gmail.com", t);
        sim.raw_notice(&raw, t).await?;
    }
    let others: Vec<_> = gmail
        .by_ref()
        .filter(|(a, _, _)| a != CAMPAIGN_COMPLAINER)
        .take(2)
        .cloned()
        .collect();
    for (i, (a, _, mid)) in others.iter().enumerate() {
        t += Duration::minutes(47);
        let id = sim.next_id();
        let event = format!("demo-complaint-{id}");
        if i == 0 {
            let body = mail::mailgun(&event, a, mid, true, t);
            sim.webhook(Provider::Mailgun, &body, t).await?;
        } else {
            let body = mail::ses(&event, a, mid, true, t);
            sim.webhook(Provider::Ses, &body, t).await?;
        }
    }
    // Unsubscribes through the List-Unsubscribe link, spread over the evening.
    for (a, key, _) in sent
        .iter()
        .filter(|(a, _, _)| {
            ProviderFamily::of_address(a) != ProviderFamily::Gmail
                && !DEMO_LIST.contains(&a.as_str())
        })
        .step_by(61)
        .take(7)
    {
        t += Duration::minutes(9);
        sim.s
            .ingest
            .record_unsubscribe(sim.acme, a, &format!("demo-{key}"), t)
            .await?;
        sim.report.unsubscribes += 1;
    }
    // An out-of-office to the campaign's VERP address.
    if let Some((a, key, _)) = sent.iter().find(|(a, _, _)| a.ends_with("@icloud.com")) {
        let raw = mail::out_of_office(a, &verp(key), subject, t + Duration::minutes(2));
        sim.raw_notice(&raw, t + Duration::minutes(2)).await?;
    }
    Ok(())
}

/// A customer at a company domain complains (SendGrid's spam report) about an agent's reply:
/// that stops all mail from Acme to them.
async fn reply_complaint(
    sim: &mut Sim<'_>,
    people: &[Customer],
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Some(c) = people
        .iter()
        .find(|c| c.email.ends_with("@fastmail.example"))
        .cloned()
    else {
        return Ok(());
    };
    let raw = mail::customer_mail(
        &c.email,
        &c.name,
        "support@acme.test",
        "Stop emailing me",
        "Please stop sending me messages.",
        "demo-stop-1@fastmail.example",
        None,
        at,
    );
    let r = sim.receive(sim.acme, &raw, at).await?;
    let t = at + Duration::minutes(30);
    if let Some(sent) = sim
        .reply(
            sim.acme,
            r.conversation_id,
            "Sorry for the trouble: we have noted it.",
            "Stop emailing me",
            t,
        )
        .await?
    {
        let id = sim.next_id();
        let body = mail::sendgrid(
            &format!("demo-spamreport-{id}"),
            &sent.to,
            &sent.message_id,
            true,
            t + Duration::hours(1),
        );
        sim.webhook(Provider::Sendgrid, &body, t + Duration::hours(1))
            .await?;
    }
    sim.close(sim.acme, r.conversation_id).await?;
    Ok(())
}
