//! Campaign preparation for 100,000 recipients: the batch gate against the suppression table
//! plus queueing every recipient, on SQLite (a temporary file) and, when
//! `BENCH_DATABASE_URL` names one, PostgreSQL. Prints the figures.
//!
//! `cargo bench -p deliverdesk --bench campaign_prepare`

use chrono::Utc;
use server::domain::address::EmailAddress;
use server::domain::suppression::{AccountId, MailKind};
use server::services::campaigns::CampaignService;
use server::services::ingest::IngestService;
use server::services::transport::{Security, TransportConfig};
use server::storage::outbound::NewSender;
use server::storage::Db;
use std::time::Instant;

const RECIPIENTS: usize = 100_000;
const SUPPRESSED: usize = 5_000;
const RUNS: usize = 3;

async fn bench(label: &str, db: Db) {
    let now = Utc::now();
    let account = db.create_account("Bench", now).await.unwrap();
    let sender = db
        .add_sender(
            &NewSender {
                account_id: AccountId(account),
                address: "news@bench.test",
                name: None,
                kind: "bulk",
                transport: &TransportConfig::Smtp {
                    host: "127.0.0.1".into(),
                    port: 9,
                    security: Security::None,
                    login: None,
                },
            },
            now,
        )
        .await
        .unwrap()
        .unwrap();
    let addresses: Vec<String> = (0..RECIPIENTS)
        .map(|i| format!("reader{i}@example{}.test", i % 97))
        .collect();
    let svc = CampaignService::new(IngestService::new(db.clone()), "http://bench.test");
    let t = Instant::now();
    let (list, n) = svc
        .create_list(AccountId(account), "Everyone", &addresses.join("\n"), now)
        .await
        .unwrap();
    eprintln!(
        "{label}: list of {n} contacts built in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // Every 20th address hard-bounced earlier (global suppression).
    let mut tx = db.pool().begin().await.unwrap();
    for chunk in addresses
        .iter()
        .step_by(RECIPIENTS / SUPPRESSED)
        .collect::<Vec<_>>()
        .chunks(500)
    {
        let mut sql = String::from(
            "INSERT INTO suppressions (address, address_hash, account_id, kind, reason, since) \
             VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, ${}, NULL, 'hard_bounce', 'userunknown', 0)",
                2 * i + 1,
                2 * i + 2
            ));
        }
        let mut q = sqlx::query(&sql);
        for a in chunk {
            q = q
                .bind(a.as_str())
                .bind(server::domain::address::key_of(a.as_str()));
        }
        q.execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();

    let parsed: Vec<EmailAddress> = addresses
        .iter()
        .map(|a| EmailAddress::parse(a).unwrap())
        .collect();
    let ingest = IngestService::new(db.clone());
    let mut gate_ms = Vec::new();
    let mut prepare_ms = Vec::new();
    for run in 0..RUNS {
        let t = Instant::now();
        let r = ingest
            .gate_batch(AccountId(account), &parsed, MailKind::Bulk, now)
            .await
            .unwrap();
        gate_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(r.suppressed.len(), SUPPRESSED);
        let t = Instant::now();
        let p = svc
            .prepare(
                AccountId(account),
                "bench",
                list,
                sender,
                &format!("Run {run}"),
                "Body",
                now,
            )
            .await
            .unwrap();
        prepare_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!((p.total, p.skipped_suppressed), (RECIPIENTS, SUPPRESSED));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "{label}: campaign preparation for {RECIPIENTS} recipients ({SUPPRESSED} suppressed): \
         median {:.0} ms (gate_batch alone {:.0} ms; {RUNS} runs)",
        median(&mut prepare_ms),
        median(&mut gate_ms)
    );
}

fn main() {
    // `cargo bench` passes --bench; a plain `cargo test --benches` run passes nothing and
    // should stay quick: only run when asked to bench.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("campaign_prepare: run with `cargo bench` to measure");
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("deliverdesk-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::connect(&format!("sqlite://{}", dir.join("bench.db").display()))
            .await
            .unwrap();
        bench("SQLite", db).await;
        let _ = std::fs::remove_dir_all(&dir);
        if let Ok(url) = std::env::var("BENCH_DATABASE_URL") {
            let db = Db::connect(&url).await.unwrap();
            bench("PostgreSQL", db).await;
        }
    });
}
