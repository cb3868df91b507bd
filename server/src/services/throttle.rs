//! Brute-force limits for password checks (sign-in and webhook HTTP Basic): failures are
//! counted per client IP and per account name in a fixed window; once a key has had its
//! allowance, it is refused (HTTP 429 with `Retry-After`) until its window ends, before any
//! password is checked.
//!
//! The counts live in the database (`auth_failures`), so every replica of a deployment on
//! one PostgreSQL sees the same failures: counted per process, N replicas behind a load
//! balancer gave an attacker N times the attempts. What stays per process is the bound on
//! argon2 runs at once (`auth::check_password`): that one protects the process's own CPU and
//! memory. A database error while counting is logged and lets the request through (the
//! password check that follows needs the database anyway, and argon2 stays bounded).
//!
//! A webhook feed posts thousands of requests a second with the right password, and reading
//! the counts for each was a third of the database work of ingesting an event. So a process
//! remembers, for [`CLEAN_MEMORY`], that an (IP, name) pair had no failure at all in the
//! database, and forgets everything it remembers the moment it counts a failure itself. The
//! limits stay exact within one process; across replicas, a replica that has not yet seen a
//! failure may let one more attempt through per pair before it reads the counts again (its
//! own failure makes it forget), so N replicas allow at most N - 1 attempts over a limit.

use crate::storage::Db;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a check that found no failure at all is remembered (see the module's doc).
pub const CLEAN_MEMORY: Duration = Duration::from_secs(1);

/// Pairs remembered at most; past it the memory starts again (a flood of new pairs only
/// costs database reads, as without the memory).
const CLEAN_PAIRS: usize = 10_000;

/// How many failures a key may have within `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_ip: u32,
    pub per_name: u32,
    pub window: Duration,
}

impl Default for Limits {
    /// 10 wrong passwords per account and 30 per IP in 15 minutes.
    fn default() -> Self {
        Limits {
            per_ip: 30,
            per_name: 10,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// A refusal: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blocked {
    pub retry_after: Duration,
}

impl Blocked {
    /// Whole seconds for `Retry-After`, at least one.
    pub fn retry_after_secs(&self) -> u64 {
        let d = self.retry_after;
        (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
    }
}

/// A check that let the request through; hand it back to [`Throttle::succeeded`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[must_use]
pub struct Admitted {
    /// The name had failures in its window (a success clears them; without any, a success
    /// writes nothing: webhooks succeed by the thousand).
    name_had_failures: bool,
}

/// The failure counts of one purpose (`scope`: sign-in, or HTTP Basic), in the database.
#[derive(Clone)]
pub struct Throttle {
    db: Db,
    scope: &'static str,
    limits: Limits,
    /// Bucket keys of a check that found no failure → when it was read.
    clean: Arc<Mutex<HashMap<Vec<String>, Instant>>>,
    memory: Duration,
}

/// IPv6 clients are counted by their /64: one host usually has the whole prefix.
fn ip_bucket(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) => {
            let mut o = v6.octets();
            o[8..].fill(0);
            format!("ip:{}", IpAddr::from(o))
        }
        IpAddr::V4(v4) => format!("ip:{v4}"),
    }
}

fn name_bucket(name: &str) -> Option<String> {
    let name = name.trim();
    (!name.is_empty()).then(|| format!("name:{}", name.to_lowercase()))
}

/// The rule, without IO: given each bucket's (window start, failures, allowance), is the
/// request refused at `now`, and for how long? The longest wait wins.
pub fn refusal(
    windows: &[(DateTime<Utc>, i64, u32)],
    window: Duration,
    now: DateTime<Utc>,
) -> Option<Blocked> {
    let window = TimeDelta::from_std(window).unwrap_or(TimeDelta::MAX);
    windows
        .iter()
        .filter_map(|(started, failures, limit)| {
            let age = now.signed_duration_since(*started).max(TimeDelta::zero());
            (age < window && *failures >= i64::from(*limit))
                .then(|| (window - age).to_std().unwrap_or_default())
        })
        .max()
        .map(|retry_after| Blocked { retry_after })
}

impl Throttle {
    /// Failed sign-ins (and current-password checks) per email and per client IP.
    pub fn login(db: Db) -> Self {
        Throttle::new(db, "login", Limits::default())
    }

    /// Failed HTTP Basic checks (webhooks, raw bounces, inbound) per username and per IP.
    pub fn basic(db: Db) -> Self {
        Throttle::new(db, "basic", Limits::default())
    }

    pub fn new(db: Db, scope: &'static str, limits: Limits) -> Self {
        Throttle {
            db,
            scope,
            limits,
            clean: Arc::default(),
            memory: CLEAN_MEMORY,
        }
    }

    /// Remembers a clean check for `memory` instead of [`CLEAN_MEMORY`] (zero: never).
    pub fn with_clean_memory(mut self, memory: Duration) -> Self {
        self.memory = memory;
        self
    }

    fn remembered_clean(&self, keys: &[String]) -> bool {
        self.clean
            .lock()
            .ok()
            .and_then(|m| m.get(keys).map(|at| at.elapsed() < self.memory))
            .unwrap_or(false)
    }

    fn remember_clean(&self, keys: Vec<String>) {
        if self.memory.is_zero() {
            return;
        }
        if let Ok(mut m) = self.clean.lock() {
            if m.len() >= CLEAN_PAIRS {
                m.clear();
            }
            m.insert(keys, Instant::now());
        }
    }

    fn forget_clean(&self) {
        if let Ok(mut m) = self.clean.lock() {
            m.clear();
        }
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    fn buckets(&self, ip: Option<IpAddr>, name: &str) -> Vec<(String, u32)> {
        let mut buckets = Vec::with_capacity(2);
        if let Some(name) = name_bucket(name) {
            buckets.push((name, self.limits.per_name));
        }
        if let Some(ip) = ip {
            buckets.push((ip_bucket(ip), self.limits.per_ip));
        }
        buckets
    }

    fn window(&self) -> TimeDelta {
        TimeDelta::from_std(self.limits.window).unwrap_or(TimeDelta::MAX)
    }

    /// `Err` when this IP or this name has had all its failures for now.
    pub async fn check(
        &self,
        ip: Option<IpAddr>,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Admitted, Blocked> {
        let buckets = self.buckets(ip, name);
        let keys: Vec<String> = buckets.iter().map(|(b, _)| b.clone()).collect();
        if self.remembered_clean(&keys) {
            return Ok(Admitted::default());
        }
        let stored = match self.db.auth_failures(self.scope, &keys).await {
            Ok(stored) => stored,
            Err(e) => {
                tracing::warn!(error = ?e, "failed checks not read; request let through");
                return Ok(Admitted::default());
            }
        };
        let windows: Vec<(DateTime<Utc>, i64, u32)> = stored
            .iter()
            .filter_map(|w| {
                let limit = buckets.iter().find(|(b, _)| *b == w.bucket)?.1;
                Some((w.window_start, w.failures, limit))
            })
            .collect();
        if let Some(blocked) = refusal(&windows, self.limits.window, now) {
            return Err(blocked);
        }
        let name = name_bucket(name);
        let window = self.window();
        let in_window =
            |w: &&crate::storage::FailureWindow| now.signed_duration_since(w.window_start) < window;
        if !stored.iter().any(|w| in_window(&w)) {
            self.remember_clean(keys);
        }
        Ok(Admitted {
            name_had_failures: stored
                .iter()
                .filter(in_window)
                .any(|w| Some(&w.bucket) == name.as_ref()),
        })
    }

    /// Counts a wrong password (or unknown name) for this IP and this name (an empty name
    /// counts for the IP only).
    pub async fn failed(&self, ip: Option<IpAddr>, name: &str, now: DateTime<Utc>) {
        self.forget_clean();
        let buckets: Vec<String> = self.buckets(ip, name).into_iter().map(|(b, _)| b).collect();
        let restart_before = now.checked_sub_signed(self.window()).unwrap_or(now);
        if let Err(e) = self
            .db
            .count_auth_failure(self.scope, &buckets, now, restart_before)
            .await
        {
            tracing::warn!(error = ?e, "a failed check was not counted");
        }
    }

    /// A correct password: this name's failures are forgotten (the IP's are not).
    pub async fn succeeded(&self, admitted: Admitted, name: &str) {
        let Some(bucket) = name_bucket(name).filter(|_| admitted.name_had_failures) else {
            return;
        };
        if let Err(e) = self.db.forget_auth_failures(self.scope, &bucket).await {
            tracing::warn!(error = ?e, "failed checks not forgotten");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600, 0).unwrap()
    }

    #[test]
    fn a_window_refuses_once_its_allowance_is_used_until_it_ends() {
        let minute = Duration::from_secs(60);
        assert_eq!(refusal(&[(t0(), 2, 3)], minute, t0()), None);
        let blocked = refusal(&[(t0(), 3, 3)], minute, t0()).unwrap();
        assert_eq!(blocked.retry_after, minute);
        assert_eq!(blocked.retry_after_secs(), 60);
        let later = t0() + TimeDelta::seconds(45);
        assert_eq!(
            refusal(&[(t0(), 3, 3)], minute, later)
                .unwrap()
                .retry_after_secs(),
            15
        );
        assert_eq!(
            refusal(&[(t0(), 9, 3)], minute, t0() + TimeDelta::seconds(60)),
            None
        );
        // The longest wait of the refusing buckets.
        let blocked = refusal(
            &[(t0(), 5, 3), (t0() + TimeDelta::seconds(30), 5, 5)],
            minute,
            later,
        )
        .unwrap();
        assert_eq!(blocked.retry_after_secs(), 45);
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let a = ip_bucket("2001:db8::1".parse().unwrap());
        assert_eq!(a, ip_bucket("2001:db8::2".parse().unwrap()));
        assert_ne!(a, ip_bucket("2001:db9::1".parse().unwrap()));
        assert_eq!(ip_bucket("192.0.2.1".parse().unwrap()), "ip:192.0.2.1");
        assert_eq!(name_bucket(" A@x.test "), Some("name:a@x.test".into()));
        assert_eq!(name_bucket("  "), None);
    }
}
