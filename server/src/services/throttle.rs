//! Brute-force limits for password checks (sign-in and webhook HTTP Basic): failures are
//! counted per client IP and per account name in a fixed window; once a key has had its
//! allowance, it is refused (HTTP 429 with `Retry-After`) until its window ends, before any
//! password is checked. In memory, per process: a restart forgets, replicas count apart.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// Keys tracked at most; beyond that, windows that ended are dropped, then the oldest.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Ip(IpAddr),
    Name(String),
}

struct Window {
    started: Instant,
    failures: u32,
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

#[derive(Clone)]
pub struct Throttle {
    limits: Limits,
    windows: Arc<Mutex<HashMap<Key, Window>>>,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::new(Limits::default())
    }
}

/// IPv6 clients are counted by their /64: one host usually has the whole prefix.
fn ip_key(ip: IpAddr) -> Key {
    match ip {
        IpAddr::V6(v6) => {
            let mut o = v6.octets();
            o[8..].fill(0);
            Key::Ip(IpAddr::from(o))
        }
        IpAddr::V4(v4) => Key::Ip(IpAddr::V4(v4)),
    }
}

impl Throttle {
    pub fn new(limits: Limits) -> Self {
        Throttle {
            limits,
            windows: Arc::default(),
        }
    }

    fn keys(&self, ip: Option<IpAddr>, name: &str) -> Vec<(Key, u32)> {
        let mut keys = Vec::with_capacity(2);
        if !name.trim().is_empty() {
            keys.push((Key::Name(name.trim().to_lowercase()), self.limits.per_name));
        }
        if let Some(ip) = ip {
            keys.push((ip_key(ip), self.limits.per_ip));
        }
        keys
    }

    /// `Err` when this IP or this name has had all its failures for now.
    pub fn check(&self, ip: Option<IpAddr>, name: &str) -> Result<(), Blocked> {
        self.check_at(ip, name, Instant::now())
    }

    pub fn check_at(&self, ip: Option<IpAddr>, name: &str, now: Instant) -> Result<(), Blocked> {
        let Ok(windows) = self.windows.lock() else {
            return Ok(());
        };
        let mut worst: Option<Duration> = None;
        for (key, limit) in self.keys(ip, name) {
            if let Some(w) = windows.get(&key) {
                let age = now.saturating_duration_since(w.started);
                if age < self.limits.window && w.failures >= limit {
                    let left = self.limits.window - age;
                    worst = Some(worst.map_or(left, |d| d.max(left)));
                }
            }
        }
        match worst {
            Some(retry_after) => Err(Blocked { retry_after }),
            None => Ok(()),
        }
    }

    /// Counts a wrong password (or unknown name) for this IP and this name (an empty name
    /// counts for the IP only).
    pub fn failed(&self, ip: Option<IpAddr>, name: &str) {
        self.failed_at(ip, name, Instant::now())
    }

    pub fn failed_at(&self, ip: Option<IpAddr>, name: &str, now: Instant) {
        let Ok(mut windows) = self.windows.lock() else {
            return;
        };
        if windows.len() >= MAX_KEYS {
            let window = self.limits.window;
            windows.retain(|_, w| now.saturating_duration_since(w.started) < window);
            while windows.len() >= MAX_KEYS {
                let Some(oldest) = windows
                    .iter()
                    .min_by_key(|(_, w)| w.started)
                    .map(|(k, _)| k.clone())
                else {
                    break;
                };
                windows.remove(&oldest);
            }
        }
        for (key, _) in self.keys(ip, name) {
            let w = windows.entry(key).or_insert(Window {
                started: now,
                failures: 0,
            });
            if now.saturating_duration_since(w.started) >= self.limits.window {
                *w = Window {
                    started: now,
                    failures: 0,
                };
            }
            w.failures = w.failures.saturating_add(1);
        }
    }

    /// A correct password: this name's failures are forgotten (the IP's are not).
    pub fn succeeded(&self, name: &str) {
        if let Ok(mut windows) = self.windows.lock() {
            windows.remove(&Key::Name(name.trim().to_lowercase()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            per_ip: 5,
            per_name: 3,
            window: Duration::from_secs(60),
        }
    }

    #[test]
    fn a_name_is_refused_after_its_failures_until_the_window_ends() {
        let t = Throttle::new(limits());
        let now = Instant::now();
        let ip = Some("192.0.2.1".parse().unwrap());
        for _ in 0..3 {
            assert!(t.check_at(ip, "a@x.test", now).is_ok());
            t.failed_at(ip, "A@x.test ", now);
        }
        let blocked = t.check_at(ip, "a@x.test", now).unwrap_err();
        assert_eq!(blocked.retry_after, Duration::from_secs(60));
        assert_eq!(blocked.retry_after_secs(), 60);
        // From another IP too: the account is what is being guessed.
        assert!(t
            .check_at(Some("198.51.100.7".parse().unwrap()), "a@x.test", now)
            .is_err());
        assert!(t.check_at(ip, "b@x.test", now).is_ok());
        let later = now + Duration::from_secs(61);
        assert!(t.check_at(ip, "a@x.test", later).is_ok());
    }

    #[test]
    fn an_ip_is_refused_after_failures_on_many_names() {
        let t = Throttle::new(limits());
        let now = Instant::now();
        let ip: Option<IpAddr> = Some("2001:db8::1".parse().unwrap());
        for i in 0..5 {
            t.failed_at(ip, &format!("u{i}@x.test"), now);
        }
        assert!(t.check_at(ip, "new@x.test", now).is_err());
        // The same /64.
        assert!(t
            .check_at(Some("2001:db8::2".parse().unwrap()), "new@x.test", now)
            .is_err());
        assert!(t
            .check_at(Some("2001:db9::1".parse().unwrap()), "new@x.test", now)
            .is_ok());
    }

    #[test]
    fn success_forgets_the_names_failures() {
        let t = Throttle::new(limits());
        let now = Instant::now();
        t.failed_at(None, "a", now);
        t.failed_at(None, "a", now);
        t.succeeded("a");
        t.failed_at(None, "a", now);
        assert!(t.check_at(None, "a", now).is_ok());
    }
}
