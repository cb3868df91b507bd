//! The batch gate through storage: 1,000,000 recipients against 5,000,000 suppressed addresses
//! on SQLite (a temporary file) and, when `BENCH_DATABASE_URL` names an empty database,
//! PostgreSQL. The in-memory reference (HashSet filter of the same data) is printed beside it.
//! Sizes can be lowered with `GATE_RECIPIENTS` / `GATE_SUPPRESSED`.
//!
//! `cargo bench -p deliverdesk --bench gate_storage`

use chrono::Utc;
use server::domain::address::EmailAddress;
use server::domain::suppression::{AccountId, MailKind};
use server::services::ingest::IngestService;
use server::storage::Db;
use std::collections::HashSet;
use std::time::Instant;

fn size(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Recipient i.
fn addr(i: usize) -> String {
    format!("user{i}@d{}.example", i % 1000)
}

/// Suppressed address j: every 10th recipient first (10 % of the list is suppressed), then
/// addresses nobody on the list has.
fn suppressed_addr(j: usize, recipients: usize) -> String {
    if j < recipients / 10 {
        addr(j * 10)
    } else {
        addr(recipients + j)
    }
}

async fn bench(label: &str, db: Db, recipients: usize, suppressed: usize) {
    let now = Utc::now();
    let account = db.create_account("Bench", now).await.unwrap();
    let t = Instant::now();
    // A bulk load: the key index is built once after the rows are in (inserting 5M random
    // keys into it one by one takes minutes on SQLite).
    // One connection for the drop, the load and the rebuild: another pooled connection may
    // still hold the schema from before the drop, and SQLite then refuses the CREATE INDEX as
    // a duplicate.
    let mut tx = db.pool().begin().await.unwrap();
    sqlx::query("DROP INDEX suppressions_address_hash")
        .execute(&mut *tx)
        .await
        .unwrap();
    let chunk = 1000;
    for start in (0..suppressed).step_by(chunk) {
        let end = (start + chunk).min(suppressed);
        let mut sql = String::from(
            "INSERT INTO suppressions (address, address_hash, account_id, kind, reason, since) \
             VALUES ",
        );
        for (k, _) in (start..end).enumerate() {
            if k > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, ${}, NULL, 'hard_bounce', 'userunknown', 0)",
                2 * k + 1,
                2 * k + 2
            ));
        }
        let mut q = sqlx::query(&sql);
        for i in start..end {
            let a = suppressed_addr(i, recipients);
            let key = server::domain::address::key_of(&a);
            q = q.bind(a).bind(key);
        }
        q.execute(&mut *tx).await.unwrap();
    }
    for sql in [
        "CREATE INDEX suppressions_address_hash ON suppressions (address_hash)",
        // The statistics a long-running database has (PostgreSQL's autovacuum gathers them).
        "ANALYZE suppressions",
    ] {
        sqlx::query(sql).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    eprintln!(
        "{label}: {suppressed} suppressions loaded in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let list: Vec<EmailAddress> = (0..recipients)
        .map(|i| EmailAddress::parse(&addr(i)).unwrap())
        .collect();
    let ingest = IngestService::new(db.clone());
    let mut times = Vec::new();
    let mut blocked = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let r = ingest
            .gate_batch(AccountId(account), &list, MailKind::Bulk, now)
            .await
            .unwrap();
        times.push(t.elapsed().as_secs_f64());
        blocked = r.suppressed.len();
    }
    times.sort_by(f64::total_cmp);
    // Where the time goes: the storage query alone (both statements and row decoding).
    let mut storage = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        db.suppressions_matching(AccountId(account), &list, now)
            .await
            .unwrap();
        storage.push(t.elapsed().as_secs_f64());
    }
    storage.sort_by(f64::total_cmp);

    // The reference: the same filter over an in-memory HashSet of every suppressed address.
    let t = Instant::now();
    let set: HashSet<String> = (0..suppressed)
        .map(|j| suppressed_addr(j, recipients))
        .collect();
    let build = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mem_blocked = list.iter().filter(|a| set.contains(a.as_str())).count();
    let filter = t.elapsed().as_secs_f64();
    println!(
        "{label}: gate_batch of {recipients} recipients against {suppressed} suppressions: median {:.2} s \
         (min {:.2} s; {blocked} suppressed; the storage query alone: median {:.2} s) | in-memory HashSet: build {:.2} s, filter {:.2} s ({mem_blocked} suppressed)",
        times[1], times[0], storage[1], build, filter
    );
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("gate_storage: run with `cargo bench` to measure");
        return;
    }
    let recipients = size("GATE_RECIPIENTS", 1_000_000);
    let suppressed = size("GATE_SUPPRESSED", 5_000_000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("deliverdesk-gate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::connect(&format!("sqlite://{}", dir.join("gate.db").display()))
            .await
            .unwrap();
        bench("SQLite", db, recipients, suppressed).await;
        let _ = std::fs::remove_dir_all(&dir);
        if let Ok(url) = std::env::var("BENCH_DATABASE_URL") {
            bench(
                "PostgreSQL",
                Db::connect(&url).await.unwrap(),
                recipients,
                suppressed,
            )
            .await;
        }
    });
}
