//! DNS block lists, the IO part: every name [`dnsbl::queries`] gives for one message is
//! looked up at once through the same resolver and [`Zone`] as DKIM / SPF / DMARC
//! ([`MailAuthenticator`]), all under one deadline; an answer that has not come by then is no
//! verdict (no hit), never a wait. Answers are kept for their TTL (names that do not exist
//! for [`NEGATIVE_TTL`]), so a campaign of a thousand messages asks about its domain once.
//!
//! Off unless the operator configures lists (`serve --dnsbl` / `DNSBL_ZONES`).

use crate::domain::spam::dnsbl::{self, DnsblConfig, Subjects};
use crate::domain::spam::message::MailView;
use crate::domain::spam::RuleHit;
use crate::services::mail_auth::{MailAuthenticator, Zone};
use mail_auth::{DnsError, RecordSet, ResolverCache};
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// All lookups of one message must be answered within this.
pub const DEFAULT_DEADLINE: Duration = Duration::from_millis(1500);
/// How long "no such name" (not listed) is remembered (RFC 2308 lets a resolver cache it;
/// the lists' SOA minimums are a few minutes).
pub const NEGATIVE_TTL: Duration = Duration::from_secs(300);
/// Answers remembered at most; past it, expired ones go first, then all.
const CACHE_ENTRIES: usize = 50_000;

/// A remembered answer and the instant it expires.
type Answer = (RecordSet<Ipv4Addr>, Instant);

/// Answers by name.
#[derive(Default)]
struct AnswerCache {
    entries: Mutex<HashMap<Box<str>, Answer>>,
}

impl AnswerCache {
    fn get<Q>(&self, name: &Q, now: Instant) -> Option<RecordSet<Ipv4Addr>>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(name)
            .filter(|(_, expires)| *expires > now)
            .map(|(set, _)| set.clone())
    }

    fn insert(&self, name: Box<str>, set: RecordSet<Ipv4Addr>, expires: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CACHE_ENTRIES {
            let now = Instant::now();
            entries.retain(|_, (_, e)| *e > now);
            if entries.len() >= CACHE_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(name, (set, expires));
    }

    fn len(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.len())
    }
}

/// What the resolver consults before asking DNS: the zone's own records, then the answers
/// remembered; it files new answers in the cache with their TTL.
struct Layers<'a> {
    zone: &'a Zone,
    cache: &'a AnswerCache,
}

impl ResolverCache<Box<str>, RecordSet<Ipv4Addr>> for Layers<'_> {
    fn get<Q>(&self, name: &Q) -> Option<RecordSet<Ipv4Addr>>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        // The zone's records first; an authoritative zone answers every name.
        let held = ResolverCache::<Box<str>, RecordSet<Ipv4Addr>>::get(self.zone, name);
        if held.is_some() {
            return held;
        }
        self.cache.get(name, Instant::now())
    }
    fn remove<Q>(&self, _: &Q) -> Option<RecordSet<Ipv4Addr>>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }
    fn insert(&self, key: Box<str>, value: RecordSet<Ipv4Addr>, valid_until: Instant) {
        self.cache.insert(key, value, valid_until);
    }
}

/// Looks a message up on the configured block lists. Cheap to clone (shares its cache).
#[derive(Clone)]
pub struct DnsblChecker {
    authenticator: MailAuthenticator,
    config: Arc<DnsblConfig>,
    cache: Arc<AnswerCache>,
    deadline: Duration,
}

impl DnsblChecker {
    /// Asks through `authenticator`'s resolver and zone (the ones DKIM and SPF use).
    pub fn new(authenticator: MailAuthenticator, config: DnsblConfig) -> Self {
        DnsblChecker {
            authenticator,
            config: Arc::new(config),
            cache: Arc::new(AnswerCache::default()),
            deadline: DEFAULT_DEADLINE,
        }
    }

    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    pub fn config(&self) -> &DnsblConfig {
        &self.config
    }

    /// Answers remembered (for tests and the log).
    pub fn cached_answers(&self) -> usize {
        self.cache.len()
    }

    /// The block-list hits for a message from `client_ip` (the SMTP client; `None` for mail
    /// handed over by HTTP, where only the domains are looked up).
    #[tracing::instrument(skip_all, fields(lists = self.config.lists.len()))]
    pub async fn check(&self, view: &MailView, client_ip: Option<IpAddr>) -> Vec<RuleHit> {
        let queries = dnsbl::queries(&self.config, &Subjects::of(view, client_ip));
        if queries.is_empty() {
            return Vec::new();
        }
        let deadline = tokio::time::Instant::now() + self.deadline;
        let answers = futures::future::join_all(queries.iter().map(|q| async move {
            match tokio::time::timeout_at(deadline, self.lookup(&q.name)).await {
                Ok(answer) => answer,
                Err(_) => {
                    tracing::debug!(name = %q.name, "block list lookup passed the deadline");
                    None
                }
            }
        }))
        .await;
        dnsbl::hits(&self.config, &queries, &answers)
    }

    /// The A records at `name`: `Some(empty)` when the name does not exist (not listed),
    /// `None` when the question could not be answered.
    async fn lookup(&self, name: &str) -> Option<Vec<Ipv4Addr>> {
        let (resolver, zone) = self.authenticator.resolver();
        let layers = Layers {
            zone,
            cache: &self.cache,
        };
        match resolver.ipv4_lookup(name, Some(&layers)).await {
            Ok(set) => Some(set.rrset.to_vec()),
            Err(mail_auth::Error::Dns(DnsError::RecordNotFound(_))) => {
                let empty = RecordSet {
                    rrset: Arc::from(Vec::new()),
                    dnssec_status: Default::default(),
                };
                let mut key = name.trim_end_matches('.').to_ascii_lowercase();
                key.push('.');
                self.cache
                    .insert(key.into_boxed_str(), empty, Instant::now() + NEGATIVE_TTL);
                Some(Vec::new())
            }
            Err(e) => {
                tracing::debug!(name, error = %e, "block list lookup failed");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_answers_are_not_served() {
        let cache = AnswerCache::default();
        let set = RecordSet {
            rrset: Arc::from(vec![Ipv4Addr::new(127, 0, 0, 2)]),
            dnssec_status: Default::default(),
        };
        let now = Instant::now();
        cache.insert(
            "a.example.".into(),
            set.clone(),
            now + Duration::from_secs(60),
        );
        cache.insert("b.example.".into(), set, now);
        assert!(cache.get("a.example.", now).is_some());
        assert!(cache.get("b.example.", now).is_none());
        assert!(cache
            .get("a.example.", now + Duration::from_secs(61))
            .is_none());
    }
}
