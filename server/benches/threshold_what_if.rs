//! The threshold what-if through storage: 100,000 scored inbound messages of one account in
//! the last 30 days (and as many of another account, and older ones, that must not count) on
//! SQLite (a temporary file) and, when `BENCH_DATABASE_URL` names an empty database,
//! PostgreSQL. Each run is the whole answer an admin waits for while moving the slider: the
//! threshold read, both index scans and the pure what-if. The size can be changed with
//! `WHAT_IF_MESSAGES`.
//!
//! `cargo bench -p deliverdesk --bench threshold_what_if`

use chrono::{Duration, Utc};
use server::domain::suppression::AccountId;
use server::services::spam_filters::SpamFilters;
use server::storage::Db;
use std::time::Instant;

fn size(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Loads `n` inbound messages of `account` into `conversations` conversations, scored from
/// -5.00 to 24.99 (a deterministic spread), every 50th flagged by an agent, created `age`
/// ago; one multi-row insert per 500 rows.
async fn load(db: &Db, account: i64, n: usize, age: Duration) {
    let now = Utc::now();
    let contact = db
        .upsert_contact(
            AccountId(account),
            &format!("c{account}@example.com"),
            None,
            now,
        )
        .await
        .unwrap();
    let mut conversations = Vec::new();
    for _ in 0..100 {
        conversations.push(
            db.create_conversation(
                AccountId(account),
                contact,
                "bench",
                app::models::ConversationStatus::Open,
                now,
            )
            .await
            .unwrap(),
        );
    }
    let at = (now - age).timestamp_millis();
    let mut tx = db.pool().begin().await.unwrap();
    let chunk = 500;
    for start in (0..n).step_by(chunk) {
        let end = (start + chunk).min(n);
        let mut sql = String::from(
            "INSERT INTO messages (account_id, conversation_id, direction, from_addr, to_addr, \
             subject, text_body, created_at, spam_score_centi, spam_rules, trained_as) VALUES ",
        );
        for (k, _) in (start..end).enumerate() {
            if k > 0 {
                sql.push(',');
            }
            let b = 5 * k;
            sql.push_str(&format!(
                "(${}, ${}, 'inbound', 'x@example.com', 'support@acme.test', 's', 't', ${}, ${}, '[]', ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5
            ));
        }
        let mut q = sqlx::query(&sql);
        for i in start..end {
            // A multiplicative spread over 3,000 distinct scores.
            let centi = ((i as i64 * 7919) % 3000) - 500;
            let trained = (i % 50 == 0).then_some(if centi >= 500 { "spam" } else { "ham" });
            q = q
                .bind(account)
                .bind(conversations[i % conversations.len()])
                .bind(at - (i as i64 % 1000))
                .bind(centi)
                .bind(trained);
        }
        q.execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}

async fn bench(label: &str, db: Db, n: usize) {
    let now = Utc::now();
    let acme = db.create_account("Acme", now).await.unwrap();
    let globex = db.create_account("Globex", now).await.unwrap();
    let t = Instant::now();
    load(&db, acme, n, Duration::days(3)).await;
    load(&db, acme, n / 10, Duration::days(40)).await; // too old to count
    load(&db, globex, n, Duration::days(3)).await; // another account's
    sqlx::query("ANALYZE").execute(db.pool()).await.unwrap();
    eprintln!(
        "{label}: {} messages loaded in {:.1} s",
        2 * n + n / 10,
        t.elapsed().as_secs_f64()
    );
    let filters = SpamFilters::new(db.clone());
    let mut times = Vec::new();
    let mut last = None;
    for (i, candidate) in [
        "5", "4.5", "6", "0.5", "12", "5", "7.5", "3", "9", "5.5", "10",
    ]
    .iter()
    .cycle()
    .take(21)
    .enumerate()
    {
        let t = Instant::now();
        let (_, _, w) = filters
            .threshold_what_if(server::domain::suppression::AccountId(acme), candidate, now)
            .await
            .unwrap();
        let took = t.elapsed().as_secs_f64() * 1000.0;
        if i > 0 {
            // The first run warms the caches.
            times.push(took);
        }
        assert_eq!(w.messages, n as u64, "only Acme's last 30 days count");
        last = Some(w);
    }
    times.sort_by(f64::total_cmp);
    let w = last.unwrap();
    println!(
        "{label}: threshold what-if over {n} messages (of {} stored): median {:.1} ms, \
         min {:.1} ms, max {:.1} ms over {} runs (last: {} marked spam now, {} at the candidate; \
         flagged spam {}/{} right/wrong, not spam {}/{})",
        2 * n + n / 10,
        times[times.len() / 2],
        times[0],
        times[times.len() - 1],
        times.len(),
        w.spam_now,
        w.spam_then,
        w.flagged_spam.right,
        w.flagged_spam.wrong,
        w.flagged_not_spam.right,
        w.flagged_not_spam.wrong,
    );
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("threshold_what_if: run with `cargo bench` to measure");
        return;
    }
    let n = size("WHAT_IF_MESSAGES", 100_000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("deliverdesk-whatif-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::connect(&format!("sqlite://{}", dir.join("whatif.db").display()))
            .await
            .unwrap();
        bench("SQLite", db, n).await;
        let _ = std::fs::remove_dir_all(&dir);
        if let Ok(url) = std::env::var("BENCH_DATABASE_URL") {
            bench("PostgreSQL", Db::connect(&url).await.unwrap(), n).await;
        }
    });
}
