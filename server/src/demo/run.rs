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
//!
//! This file holds the calendar ([`seed`]); the steps are in `sim.rs` (one call to a service
//! each), `traffic.rs` (the month's mail), `admin.rs` (the admin's actions) and
//! `customers.rs` (the generator and the customers).

use super::customers::{customers, Rng};
use super::mail;
use super::sim::Sim;
use super::traffic::{campaign_aftermath, reply_complaint};
use super::{configure, Dir, CONVERSATIONS, DEMO_LIST};
use crate::domain::suppression::AccountId;
use crate::services::campaigns::CampaignService;
use crate::services::inbound::InboundService;
use crate::services::ingest::IngestService;
use crate::services::outbound::OutboundService;
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
pub(super) const CUSTOMERS: usize = 560;
/// The day (0-based) of the first campaign; its complaints push the rate over 0.1 %.
const CAMPAIGN_1_DAY: i64 = 23;
/// The day of the second campaign, which the Gmail guardrail holds in part.
const CAMPAIGN_2_DAY: i64 = 26;
/// The day a customer complains about a reply (a complaint that stops all mail).
const REPLY_COMPLAINT_DAY: i64 = 24;
/// The day Northwind's server refuses Acme's mail (a burst of ISP blocks, a domain alert).
pub(super) const ISP_BLOCK_DAY: i64 = 12;
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
        .create_list(AccountId(acme), "Customers", first_day)
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
                crate::storage::inbound::upsert_contact(
                    &mut tx,
                    AccountId(acme),
                    email,
                    None,
                    first_day,
                )
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
        .senders(AccountId(acme))
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
        s.ingest
            .check_complaint_rate(AccountId(acme), day_end)
            .await?;
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
    s.ingest.check_complaint_rate(AccountId(acme), end).await?;
    sim.report.elapsed_ms = started.elapsed().as_millis();
    Ok(sim.report)
}
