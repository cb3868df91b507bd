//! Issue 4 reference figure: the in-memory batch gate ([`SuppressionIndex`]) built from
//! 5,000,000 suppressed addresses, filtering 1,000,000 recipients (half of them suppressed in
//! some way). Plain harness: prints build time, filter time and peak memory.
//!
//! `cargo bench -p deliverdesk --bench suppression_gate` (sizes: `SUPP_N`, `RECIPIENTS_N` env vars).

use std::time::Instant;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use server::domain::address::EmailAddress;
use server::domain::suppression::{
    AccountId, MailKind, Override, Scope, Suppression, SuppressionIndex, SuppressionKind,
};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Deterministic xorshift, so every run uses the same data.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const DOMAINS: [&str; 8] = [
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "gmx.de",
    "web.de",
    "example.org",
    "corp.example.com",
];

fn address(i: usize) -> EmailAddress {
    EmailAddress::parse(&format!("user{i}@{}", DOMAINS[i % DOMAINS.len()]))
        .expect("generated address parses")
}

/// CPU time of this thread (ns), from the scheduler: the machine is shared, so wall time
/// alone says more about the neighbours than about the code.
fn cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn cpu_since(start: Option<u64>) -> String {
    match (start, cpu_ns()) {
        (Some(a), Some(b)) => format!(
            "{:.2?} CPU",
            std::time::Duration::from_nanos(b.saturating_sub(a))
        ),
        _ => "CPU n/a".into(),
    }
}

fn peak_rss_mib() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.to_string())
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or("n/a".into(), |kb| format!("{} MiB", kb / 1024))
}

fn main() {
    let n = env_or("SUPP_N", 5_000_000);
    let m = env_or("RECIPIENTS_N", 1_000_000);
    let now: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);

    let t = Instant::now();
    // Kinds in roughly the proportions a help desk sees: mostly hard bounces.
    let rows: Vec<Suppression> = (0..n)
        .map(|i| {
            let r = rng.next();
            let account = AccountId((r % 50) as i64 + 1);
            let (scope, kind, until, reason) = match (r >> 8) % 20 {
                0..=11 => (
                    Scope::Global,
                    SuppressionKind::HardBounce,
                    None,
                    "hard bounce",
                ),
                12..=14 => (
                    Scope::Global,
                    SuppressionKind::SoftBounce,
                    // half expired already, half still running
                    Some(now + TimeDelta::days(((r >> 16) % 28) as i64 - 14)),
                    "soft bounce",
                ),
                15..=16 => (
                    Scope::Account(account),
                    SuppressionKind::SpamComplaintAuto,
                    Some(now + TimeDelta::days(3)),
                    "auto complaint",
                ),
                17 => (
                    Scope::Account(account),
                    SuppressionKind::SpamComplaintManual,
                    None,
                    "manual complaint",
                ),
                _ => (
                    Scope::Account(account),
                    SuppressionKind::Unsubscribe,
                    None,
                    "unsubscribe",
                ),
            };
            Suppression {
                address: address(i),
                scope,
                kind,
                stream: kind.default_stream(),
                reason: reason.to_string(),
                since: now - TimeDelta::days(30),
                until,
                event_id: Some(i as i64),
                basis: None,
            }
        })
        .collect();
    let overrides: Vec<Override> = (0..n / 1000)
        .map(|i| Override {
            account: AccountId(1),
            address: address(i * 1000),
            reason: "reactivated".into(),
            since: now - TimeDelta::days(1),
        })
        .collect();
    println!(
        "generated {n} suppression rows + {} overrides in {:.2?}",
        overrides.len(),
        t.elapsed()
    );

    // Recipients: even i suppressed (from the table), odd i never seen.
    let recipients: Vec<EmailAddress> = (0..m)
        .map(|i| {
            if i % 2 == 0 {
                address((rng.next() as usize) % n.max(1))
            } else {
                address(n + i)
            }
        })
        .collect();

    let (t, c) = (Instant::now(), cpu_ns());
    let index = SuppressionIndex::build(&rows, &overrides);
    let build = t.elapsed();
    println!(
        "build: {build:.2?} wall, {} for {} rows, {} addresses",
        cpu_since(c),
        index.len(),
        index.addresses()
    );
    drop(rows);

    for kind in [MailKind::Bulk, MailKind::Transactional] {
        let (t, c) = (Instant::now(), cpu_ns());
        let out = index.filter(AccountId(1), kind, &recipients, now);
        let filter = t.elapsed();
        println!(
            "filter {kind:?}: {filter:.2?} wall, {} for {m} recipients ({} allowed, {} suppressed; {:.0} ns/recipient wall)",
            cpu_since(c),
            out.allowed.len(),
            out.suppressed.len(),
            filter.as_nanos() as f64 / m.max(1) as f64
        );
    }
    println!("peak RSS: {}", peak_rss_mib());
}
