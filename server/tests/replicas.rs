//! Several replicas on one PostgreSQL database (issue 14): two app instances, each wired as
//! `serve` wires one (`AppState::with_config`, its own pool, its own services and group-commit
//! writer), run their background work at the same moment. The suppression sweeper logs each release
//! once, a due retry is sent once, and a campaign sends each recipient once, even with both
//! runners active. Every claim is a conditional update in the database, so this only holds if
//! those claims are right; SQLite (one process) is not the multi-replica story and is skipped.

use crate::common;

use chrono::{DateTime, TimeDelta, Utc};
use server::domain::address::EmailAddress;
use server::domain::suppression::{AccountId, Scope, Stream, Suppression, SuppressionKind};
use server::http::AppState;
use server::services::transport::{Security, TransportConfig};
use server::smtp::{Envelope, MailSink, Reply};
use server::storage::deliverability::{self as store, LogFilter};
use server::storage::outbound::NewSender;
use server::storage::Db;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Two replicas on one fresh PostgreSQL database, and a pool of the test's own for checks;
/// `None` (reason printed) without `TEST_DATABASE_URL`.
async fn two_replicas() -> Option<(AppState, AppState, Db)> {
    let url = common::postgres_url().await?;
    let connect = || async { Db::connect(&url).await.expect("connect a replica") };
    let (a, b, check) = (connect().await, connect().await, connect().await);
    Some((common::local_state(a), common::local_state(b), check))
}

async fn log_total(db: &Db, account: i64, kind: &str) -> i64 {
    db.org_log(
        AccountId(account),
        &LogFilter {
            kind: Some(kind.parse().unwrap()),
            per_page: 500,
            ..LogFilter::default()
        },
    )
    .await
    .unwrap()
    .total
}

/// A relay that refuses every recipient with 452 4.2.2 while closed and accepts while open,
/// counting the RCPT attempts and the deliveries of each address.
#[derive(Default)]
struct CountingRelay {
    open: AtomicBool,
    attempts: Mutex<HashMap<String, usize>>,
    delivered: Mutex<HashMap<String, usize>>,
}

#[async_trait::async_trait]
impl MailSink for CountingRelay {
    async fn recipient(&self, _peer: SocketAddr, _from: &str, rcpt: &str) -> Result<(), Reply> {
        *self
            .attempts
            .lock()
            .unwrap()
            .entry(rcpt.to_string())
            .or_default() += 1;
        if self.open.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(Reply::new(
                452,
                Some("4.2.2"),
                "Mailbox busy, try again later",
            ))
        }
    }

    async fn deliver(&self, envelope: &Envelope, _data: Vec<u8>) -> Result<Reply, Reply> {
        let mut delivered = self.delivered.lock().unwrap();
        for rcpt in &envelope.rcpt_to {
            *delivered.entry(rcpt.clone()).or_default() += 1;
        }
        Ok(Reply::new(250, Some("2.0.0"), "OK"))
    }
}

impl CountingRelay {
    fn delivered(&self) -> HashMap<String, usize> {
        self.delivered.lock().unwrap().clone()
    }
}

async fn counting_relay() -> (Arc<CountingRelay>, u16) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let relay = Arc::new(CountingRelay::default());
    tokio::spawn(server::smtp::serve(
        listener,
        server::smtp::SmtpConfig::default(),
        relay.clone(),
        std::future::pending(),
    ));
    (relay, port)
}

fn smtp(port: u16) -> TransportConfig {
    TransportConfig::Smtp {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        login: None,
    }
}

/// Runs `work` on both replicas, twice each, all at once on the multi-threaded runtime, and
/// returns what the four calls returned.
async fn on_both_at_once<F, Fut>(a: &AppState, b: &AppState, work: F) -> Vec<usize>
where
    F: Fn(AppState) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<usize>> + Send + 'static,
{
    let handles: Vec<_> = [a, b, a, b]
        .into_iter()
        .map(|s| tokio::spawn(work(s.clone())))
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("no panic").expect("no error"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sweeper_logs_each_release_once_with_two_replicas() {
    let Some((a, b, db)) = two_replicas().await else {
        return;
    };
    let t0: DateTime<Utc> = "2026-11-01T09:00:00Z".parse().unwrap();
    let acme = db.create_account("Acme", t0).await.unwrap();
    const N: usize = 300;
    let mut conn = db.pool().acquire().await.unwrap();
    for i in 0..N {
        let entry = Suppression {
            address: EmailAddress::parse(&format!("soft{i}@example.com")).unwrap(),
            scope: Scope::Account(AccountId(acme)),
            kind: SuppressionKind::SoftBounce,
            stream: Stream::All,
            reason: "mailbox full".into(),
            since: t0,
            until: Some(t0 + TimeDelta::days(14)),
            event_id: None,
            basis: None,
        };
        store::insert_suppression(&mut conn, &entry).await.unwrap();
    }
    drop(conn);
    let now = t0 + TimeDelta::days(15);
    let logged = on_both_at_once(&a, &b, move |s| async move {
        s.webhooks.ingest.sweep(now).await
    })
    .await;
    assert_eq!(
        logged.iter().sum::<usize>(),
        N,
        "each release logged by exactly one sweep: {logged:?}"
    );
    assert_eq!(log_total(&db, acme, "suppression_released").await, N as i64);
    assert!(db.expired_unreleased(now, 10).await.unwrap().is_empty());
    // Nothing is left for a later sweep to log again.
    assert_eq!(a.webhooks.ingest.sweep(now).await.unwrap(), 0);
    assert_eq!(log_total(&db, acme, "suppression_released").await, N as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_due_retry_is_sent_once_with_two_replicas() {
    let Some((a, b, db)) = two_replicas().await else {
        return;
    };
    let (relay, port) = counting_relay().await;
    let account = common::account_with_sender(&db, smtp(port)).await;
    let t0 = Utc::now();
    const N: usize = 12;
    for i in 0..N {
        let c = common::conversation(&db, account, &format!("r{i}@example.com")).await;
        a.desk
            .outbound()
            .reply(AccountId(account), c, "Your refund is on its way.", t0)
            .await
            .unwrap();
    }
    // Every first attempt met a 452: all deferred, nothing delivered.
    assert_eq!(log_total(&db, account, "deferred").await, N as i64);
    assert!(relay.delivered().is_empty());
    relay.open.store(true, Ordering::SeqCst);
    let due = t0 + TimeDelta::hours(1);
    let sent = on_both_at_once(&a, &b, move |s| async move {
        s.desk.outbound().retry_due(due).await
    })
    .await;
    assert_eq!(
        sent.iter().sum::<usize>(),
        N,
        "each retry made by one replica: {sent:?}"
    );
    let delivered = relay.delivered();
    assert_eq!(delivered.len(), N);
    for (rcpt, times) in &delivered {
        assert_eq!(*times, 1, "{rcpt} delivered {times} times");
    }
    for (rcpt, times) in relay.attempts.lock().unwrap().iter() {
        assert_eq!(*times, 2, "{rcpt}: one first attempt and one retry");
    }
    assert_eq!(a.desk.outbound().retry_due(due).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_campaign_sends_each_recipient_once_with_two_replicas() {
    let Some((a, b, db)) = two_replicas().await else {
        return;
    };
    let (relay, port) = counting_relay().await;
    relay.open.store(true, Ordering::SeqCst);
    let t0 = Utc::now();
    let account = db.create_account("Acme", t0).await.unwrap();
    let bulk = db
        .add_sender(
            &NewSender {
                account_id: AccountId(account),
                address: "news@acme.test",
                name: Some("Acme News"),
                kind: "bulk",
                transport: &smtp(port),
            },
            t0,
        )
        .await
        .unwrap()
        .unwrap();
    const N: usize = 120;
    let addresses: Vec<String> = (0..N).map(|i| format!("reader{i}@example.com")).collect();
    let campaigns = a.desk.campaigns();
    let (list, added) = campaigns
        .create_list(AccountId(account), "Readers", &addresses.join("\n"), t0)
        .await
        .unwrap();
    assert_eq!(added, N);
    let p = campaigns
        .prepare(
            AccountId(account),
            "admin@acme.test",
            list,
            bulk,
            "The winter blend",
            "It is back.",
            t0,
        )
        .await
        .unwrap();
    let id = p.campaign_id;
    // The admin's "send" on each replica, and each replica's retry worker, all at once.
    let runs = on_both_at_once(&a, &b, move |s| async move {
        s.desk.campaigns().run(id, t0).await?;
        s.desk.campaigns().resume_due(t0).await
    })
    .await;
    let delivered = relay.delivered();
    assert_eq!(delivered.len(), N, "every recipient got it (runs {runs:?})");
    for (rcpt, times) in &delivered {
        assert_eq!(*times, 1, "{rcpt} got the campaign {times} times");
    }
    let c = db.campaign(id).await.unwrap().unwrap();
    assert_eq!((c.status.as_str(), c.sent, c.failed), ("sent", N as i64, 0));
}
