//! The demo (issue 18): made by the real services under a simulated clock, the same rows for
//! the same seed, and a story every page can show.

use crate::common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use server::demo::{seed, DemoServices};
use server::domain::address::EmailAddress;
use server::domain::suppression::complaint_rate::{self, DailyCounts};
use server::domain::suppression::provider_family::ProviderFamily;
use server::domain::suppression::provider_guardrail::Verdict;
use server::domain::suppression::{AccountId, LogKind, MailKind};
use server::services::transport::{Security, TransportConfig};
use server::storage::Db;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The rows that matter, in id order, as text: everything but the random message keys and
/// tokens (Message-IDs of our mail, VERP addresses, raw sources, the event keys derived from
/// them, hashes and salts).
const DIGESTED: &[(&str, &str)] = &[
    ("accounts", "name, rate_status"),
    ("contacts", "account_id, email, name, status, status_until, status_reason, status_event_id"),
    ("conversations", "account_id, contact_id, subject, status, created_at, updated_at"),
    (
        "messages",
        "account_id, conversation_id, direction, from_addr, to_addr, subject, text_body, \
         created_at, delivery_status, delivered_at, spam_score_centi, spam_rules, trained_as, \
         attempts, next_attempt_at, accepted_by",
    ),
    (
        "delivery_events",
        "account_id, provider, category, reason, status, reply_code, recipient, diagnostic, \
         feedback_type, evidence_rule, message_id, campaign_recipient_id, occurred_at, \
         received_at, provenance",
    ),
    ("suppressions", "address, account_id, kind, stream, reason, since, until, event_id, released_at, basis"),
    ("org_log", "account_id, logged_at, kind, actor, subject, event_id"),
    ("campaigns", "account_id, list_id, subject, status, total, skipped_suppressed, sent, failed, created_at, finished_at"),
    ("campaign_recipients", "campaign_id, contact_id, address, status, detail, attempts, sent_at"),
    ("provider_pauses", "account_id, provider, paused_at, sent, complaints, resumed_at"),
    ("block_list", "account_id, kind, value, added_by, reason"),
];

async fn digest(db: &Db) -> (String, BTreeMap<&'static str, usize>) {
    let mut h = Sha256::new();
    let mut counts = BTreeMap::new();
    for (table, columns) in DIGESTED {
        let cols: Vec<String> = columns
            .split(',')
            .map(|c| format!("COALESCE(CAST({} AS TEXT), '∅')", c.trim()))
            .collect();
        let sql = format!(
            "SELECT {} FROM {table} ORDER BY rowid",
            cols.join(" || '|' || ")
        );
        let rows: Vec<String> = sqlx::query_scalar(&sql)
            .fetch_all(db.pool())
            .await
            .unwrap_or_else(|e| panic!("{table}: {e}"));
        counts.insert(*table, rows.len());
        h.update(table.as_bytes());
        for r in rows {
            h.update(r.as_bytes());
            h.update(b"\n");
        }
    }
    (hex::encode(h.finalize()), counts)
}

async fn seeded(port: u16, end: DateTime<Utc>) -> (Db, server::demo::SeedReport) {
    let db = common::sqlite_db().await;
    // As `serve --demo` builds it: the demo relay's address is the one loopback address its
    // senders may use.
    let config = server::config::Config {
        demo: true,
        demo_relay_addr: ([127, 0, 0, 1], port).into(),
        ..server::config::Config::default()
    };
    let state = server::http::AppState::with_config(
        db.clone(),
        server::http::leptos_options("127.0.0.1:0".parse().unwrap()),
        &config,
    )
    .unwrap()
    .with_shared_transport(Some(TransportConfig::Smtp {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        login: None,
    }));
    let report = seed(
        &DemoServices::of(&state),
        ([127, 0, 0, 1], port).into(),
        end,
        server::demo::DEFAULT_SEED,
    )
    .await
    .unwrap();
    (db, report)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_is_made_by_the_pipelines_the_same_way_twice() {
    let (_relay, port) = common::relay().await;
    let end = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
    let (a, report) = seeded(port, end).await;
    eprintln!("demo seeded: {report:?}");
    let (b, _) = seeded(port, end).await;
    let (da, counts) = digest(&a).await;
    let (db_, _) = digest(&b).await;
    eprintln!("rows: {counts:?}");
    assert_eq!(da, db_, "same seed, same rows");

    // The volumes the issue asks for.
    assert!(
        (2_000..=5_000).contains(&report.replies_sent),
        "{} replies",
        report.replies_sent
    );
    assert!(report.campaign_recipients > 500, "{report:?}");
    assert!(
        report.raw_notices > 50 && report.webhook_events > 10,
        "{report:?}"
    );
    assert!(
        report.released_by_sweeper > 0,
        "soft bounces released: {report:?}"
    );

    let acme: i64 = sqlx::query_scalar("SELECT id FROM accounts WHERE name = 'Acme Support'")
        .fetch_one(a.pool())
        .await
        .unwrap();
    // The complaint chart crosses the 0.1 % line on a few days, not all.
    let today = end.timestamp().div_euclid(86_400);
    let days: Vec<DailyCounts> = a
        .daily_counts(AccountId(acme), today - 59, today)
        .await
        .unwrap()
        .iter()
        .map(|c| DailyCounts {
            date: DateTime::from_timestamp(c.day * 86_400, 0)
                .unwrap()
                .date_naive(),
            sent: c.sent as u64,
            complaints_auto: c.complaints as u64,
            ..DailyCounts::default()
        })
        .collect();
    let over = complaint_rate::daily_series(&days, end - Duration::seconds(1))
        .iter()
        .filter(|p| p.running_rate >= 0.001)
        .count();
    assert!((2..=12).contains(&over), "{over} days over 0.1 %");

    // Every contact status appears.
    let statuses: std::collections::BTreeSet<String> = a
        .list_contacts(AccountId(acme))
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.status)
        .collect();
    for s in [
        "active",
        "hard_bounce",
        "soft_bounce",
        "complaint",
        "inactive",
    ] {
        assert!(statuses.contains(s), "{s} missing from {statuses:?}");
    }
    // The first campaign is done (its mailbox-full recipients retried until they became soft
    // bounces); the second waits only for the Gmail recipients its provider pause holds.
    let campaigns: Vec<(String, String)> =
        sqlx::query_as("SELECT subject, status FROM campaigns WHERE account_id = $1 ORDER BY id")
            .bind(acme)
            .fetch_all(a.pool())
            .await
            .unwrap();
    assert_eq!(
        campaigns,
        [
            ("The winter blend is back".to_string(), "sent".to_string()),
            (
                "Barista course: two seats left".to_string(),
                "sending".to_string()
            ),
        ]
    );
    let held: Vec<String> = sqlx::query_scalar(
        "SELECT r.address FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id \
         WHERE c.account_id = $1 AND r.status = 'queued'",
    )
    .bind(acme)
    .fetch_all(a.pool())
    .await
    .unwrap();
    assert!(!held.is_empty());
    assert!(held.iter().all(|x| x.ends_with("@gmail.com")), "{held:?}");
    // Org Logging has hundreds of entries, of many kinds.
    assert!(counts["org_log"] >= 300, "{counts:?}");
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT kind FROM org_log WHERE account_id = $1 ORDER BY kind")
            .bind(acme)
            .fetch_all(a.pool())
            .await
            .unwrap();
    for k in [
        "auto_reply",
        "bounce",
        "complaint",
        "deferred",
        "unsubscribe",
        "suppression_added",
        "suppression_released",
        "rate_warning",
        "provider_paused",
        "marked_spam",
        "marked_not_spam",
        "spam_detected",
        "unclassified",
        "suppression_reactivated",
        "block_removed",
        "allow_added",
        "spam_threshold_changed",
        "trusted_authserv_ids_changed",
        "allowlist_override",
        "allow_removed",
        "webhook_credential_changed",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing from {kinds:?}");
    }
    // Every kind the month wrote is one the Org Logging filter offers.
    for k in &kinds {
        assert!(LogKind::parse(k).is_some(), "{k} is not in LogKind::ALL");
    }
    // Gmail is paused by its own rate; the others send; the campaign complainer's ticket
    // reply is allowed while campaigns to her are stopped.
    let ingest = server::services::ingest::IngestService::new(a.clone());
    let providers = ingest
        .provider_guardrail(AccountId(acme), end)
        .await
        .unwrap();
    for p in &providers {
        let held = p.verdict == Verdict::Held;
        assert_eq!(held, p.rates.family == ProviderFamily::Gmail, "{p:?}");
    }
    let olivia = EmailAddress::parse(server::demo::CAMPAIGN_COMPLAINER).unwrap();
    assert!(ingest
        .gate(AccountId(acme), &olivia, MailKind::Transactional, end)
        .await
        .unwrap()
        .is_allowed());
    assert!(!ingest
        .gate(AccountId(acme), &olivia, MailKind::Bulk, end)
        .await
        .unwrap()
        .is_allowed());
}
