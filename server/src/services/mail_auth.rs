//! Checking who sent a message ourselves: DKIM (RFC 6376), SPF (RFC 7208) and DMARC (RFC 7489)
//! with mail-auth, so the spam score does not have to take an upstream `Authentication-Results`
//! on trust.
//!
//! DNS comes from a [`Zone`] first. A zone is either authoritative (every name it does not hold
//! does not exist: tests, and deployments without DNS that still want to pin a few records) or
//! a pass-through in front of the system resolver. Either way the whole check has a deadline;
//! past it there is no result: a DNS timeout never counts as a pass.
//!
//! SPF needs the connecting client (IP, HELO, MAIL FROM), which only the SMTP listener knows.
//! For mail handed over by HTTP, the SPF verdict of the upstream header the account trusts is
//! kept ([`SpfSource`]) and DMARC is evaluated on it together with our own DKIM result.

use crate::domain::spam::auth_results::{AuthResult, AuthSummary};
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dmarc::Dmarc;
use mail_auth::hickory_resolver::proto::op::ResponseCode;
use mail_auth::spf::Spf;
use mail_auth::{
    AuthenticatedMessage, DkimResult, DmarcOutput, DmarcResult, DnsError, MessageAuthenticator,
    Parameters, RecordSet, ResolverCache, SpfOutput, SpfResult, Txt, MX,
};
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The whole check (every lookup of DKIM, SPF and DMARC) must finish within this.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(3);

/// The SMTP client that handed the message over.
#[derive(Debug, Clone)]
pub struct Client {
    pub ip: IpAddr,
    pub helo: String,
    /// The envelope sender (MAIL FROM), empty for a bounce.
    pub mail_from: String,
}

/// Where the SPF verdict comes from.
#[derive(Debug, Clone, Copy)]
pub enum SpfSource<'a> {
    /// Checked here, for the SMTP client that handed the message over.
    Client(&'a Client),
    /// Taken from the trusted `Authentication-Results` (mail that came over HTTP, where the
    /// connecting client is not ours to see).
    Upstream(&'a AuthSummary),
}

/// DNS records answered before (or instead of) the resolver.
#[derive(Clone, Default)]
pub struct Zone {
    txt: HashMap<Box<str>, Txt>,
    /// A records (DNS block list answers in tests and pinned deployments).
    a: HashMap<Box<str>, Vec<Ipv4Addr>>,
    /// Names not held here do not exist (no resolver is asked).
    authoritative: bool,
}

fn fqdn(name: &str) -> Box<str> {
    let mut name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    name.push('.');
    name.into_boxed_str()
}

impl Zone {
    /// A zone that answers NXDOMAIN for every name it does not hold.
    pub fn authoritative() -> Self {
        Zone {
            authoritative: true,
            ..Zone::default()
        }
    }

    /// A DKIM key record (`v=DKIM1; k=…; p=…`) at `selector._domainkey.domain`.
    pub fn dkim_key(self, selector: &str, domain: &str, record: &str) -> Self {
        let parsed = DomainKey::parse(record.as_bytes()).map(Txt::from);
        self.with(&format!("{selector}._domainkey.{domain}"), parsed)
    }

    /// An SPF record (`v=spf1 …`) at `domain`.
    pub fn spf(self, domain: &str, record: &str) -> Self {
        let parsed = Spf::parse(record.as_bytes()).map(Txt::from);
        self.with(domain, parsed)
    }

    /// A DMARC record (`v=DMARC1; p=…`) at `_dmarc.domain`.
    pub fn dmarc(self, domain: &str, record: &str) -> Self {
        let parsed = Dmarc::parse(record.as_bytes()).map(Txt::from);
        self.with(&format!("_dmarc.{domain}"), parsed)
    }

    /// A records at `name` (e.g. a block list's answer `127.0.0.2` at
    /// `2.0.0.127.zen.example`).
    pub fn a(mut self, name: &str, addresses: &[Ipv4Addr]) -> Self {
        self.a.insert(fqdn(name), addresses.to_vec());
        self
    }

    /// A record that does not parse is kept as its error, as DNS would hand it back.
    fn with(mut self, name: &str, parsed: mail_auth::Result<Txt>) -> Self {
        self.txt
            .insert(fqdn(name), parsed.unwrap_or_else(Txt::Error));
        self
    }

    fn missing<V>(&self, empty: impl FnOnce() -> V) -> Option<V> {
        self.authoritative.then(empty)
    }
}

fn empty_set<T>() -> RecordSet<T> {
    RecordSet {
        rrset: Arc::from(Vec::new()),
        dnssec_status: Default::default(),
    }
}

// The caches are read-only: what the resolver answers is not kept (hickory caches on its own).
impl ResolverCache<Box<str>, Txt> for Zone {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.txt.get(name).cloned().or_else(|| {
            self.missing(|| {
                Txt::Error(mail_auth::Error::Dns(DnsError::RecordNotFound(
                    ResponseCode::NXDomain,
                )))
            })
        })
    }
    fn remove<Q>(&self, _: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }
    fn insert(&self, _: Box<str>, _: Txt, _: Instant) {}
}

macro_rules! record_sets {
    ($key:ty, $value:ty) => {
        impl ResolverCache<$key, RecordSet<$value>> for Zone {
            fn get<Q>(&self, _: &Q) -> Option<RecordSet<$value>>
            where
                $key: Borrow<Q>,
                Q: Hash + Eq + ?Sized,
            {
                self.missing(empty_set)
            }
            fn remove<Q>(&self, _: &Q) -> Option<RecordSet<$value>>
            where
                $key: Borrow<Q>,
                Q: Hash + Eq + ?Sized,
            {
                None
            }
            fn insert(&self, _: $key, _: RecordSet<$value>, _: Instant) {}
        }
    };
}
record_sets!(Box<str>, MX);

impl ResolverCache<Box<str>, RecordSet<Ipv4Addr>> for Zone {
    fn get<Q>(&self, name: &Q) -> Option<RecordSet<Ipv4Addr>>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        match self.a.get(name) {
            Some(a) => Some(RecordSet {
                rrset: Arc::from(a.as_slice()),
                dnssec_status: Default::default(),
            }),
            None => self.missing(empty_set),
        }
    }
    fn remove<Q>(&self, _: &Q) -> Option<RecordSet<Ipv4Addr>>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }
    fn insert(&self, _: Box<str>, _: RecordSet<Ipv4Addr>, _: Instant) {}
}
record_sets!(Box<str>, Ipv6Addr);
record_sets!(IpAddr, Box<str>);

/// Verifies DKIM, SPF and DMARC for inbound mail. Cheap to clone.
#[derive(Clone)]
pub struct MailAuthenticator {
    resolver: MessageAuthenticator,
    zone: Arc<Zone>,
    deadline: Duration,
}

impl MailAuthenticator {
    /// The system resolver (`/etc/resolv.conf`), one try of at most 2 s per lookup.
    pub fn system() -> anyhow::Result<Self> {
        let (config, mut opts) = mail_auth::hickory_resolver::system_conf::read_system_conf()
            .map_err(|e| anyhow::anyhow!("no system DNS configuration: {e}"))?;
        opts.timeout = Duration::from_secs(2);
        opts.attempts = 1;
        let resolver = MessageAuthenticator::new(config, opts)
            .map_err(|e| anyhow::anyhow!("DNS resolver: {e}"))?;
        Ok(MailAuthenticator {
            resolver,
            zone: Arc::new(Zone::default()),
            deadline: DEFAULT_DEADLINE,
        })
    }

    /// The whole check must finish within `deadline` (default [`DEFAULT_DEADLINE`]).
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Only the records of `zone`; nothing is looked up anywhere else.
    pub fn offline(zone: Zone) -> anyhow::Result<Self> {
        use mail_auth::hickory_resolver::config::{ResolverConfig, ResolverOpts};
        let zone = Zone {
            authoritative: true,
            ..zone
        };
        let resolver =
            MessageAuthenticator::new(ResolverConfig::from_parts(None, vec![], vec![]), {
                let mut opts = ResolverOpts::default();
                opts.attempts = 0;
                opts
            })
            .map_err(|e| anyhow::anyhow!("DNS resolver: {e}"))?;
        Ok(MailAuthenticator {
            resolver,
            zone: Arc::new(zone),
            deadline: DEFAULT_DEADLINE,
        })
    }

    /// Like [`offline`](Self::offline), but names the zone does not hold are asked of the
    /// DNS server at `server` (UDP), with `timeout` per query: tests point it at a local
    /// socket that never answers to see a deadline pass.
    pub fn with_nameserver(
        zone: Zone,
        server: std::net::SocketAddr,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        use mail_auth::hickory_resolver::config::{
            ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts,
        };
        let mut connection = ConnectionConfig::udp();
        connection.port = server.port();
        let config = ResolverConfig::from_parts(
            None,
            vec![],
            vec![NameServerConfig::new(server.ip(), true, vec![connection])],
        );
        let mut opts = ResolverOpts::default();
        opts.timeout = timeout;
        opts.attempts = 1;
        // Answers are cached by the callers that need it (with their TTL), not twice.
        opts.cache_size = 0;
        let resolver = MessageAuthenticator::new(config, opts)
            .map_err(|e| anyhow::anyhow!("DNS resolver: {e}"))?;
        Ok(MailAuthenticator {
            resolver,
            zone: Arc::new(Zone {
                authoritative: false,
                ..zone
            }),
            deadline: DEFAULT_DEADLINE,
        })
    }

    /// The resolver and the zone in front of it, for the other DNS checks (block lists)
    /// that must go through the same place.
    pub(crate) fn resolver(&self) -> (&MessageAuthenticator, &Zone) {
        (&self.resolver, &self.zone)
    }

    /// What DKIM, SPF and DMARC say about `raw`, with SPF from `spf`. `None` when the message
    /// cannot be read or the deadline passed: no result, never a pass (and for mail received
    /// over SMTP, never the message's own `Authentication-Results` instead).
    pub async fn verify(&self, raw: &[u8], spf: SpfSource<'_>) -> Option<AuthSummary> {
        match tokio::time::timeout(self.deadline, self.verify_now(raw, spf)).await {
            Ok(summary) => summary,
            Err(_) => {
                tracing::info!(deadline = ?self.deadline, "mail authentication timed out");
                None
            }
        }
    }

    async fn verify_now(&self, raw: &[u8], source: SpfSource<'_>) -> Option<AuthSummary> {
        let zone = &*self.zone;
        // mail-parser 0.11 can panic on malformed nested multiparts (found by cargo-fuzz).
        let message = std::panic::catch_unwind(|| AuthenticatedMessage::parse(raw))
            .ok()
            .flatten()?;
        // A macro, not a closure: each check has its own parameter type.
        macro_rules! with_zone {
            ($p:expr) => {
                Parameters::new($p)
                    .with_txt_cache(zone)
                    .with_mx_cache(zone)
                    .with_ipv4_cache(zone)
                    .with_ipv6_cache(zone)
                    .with_ptr_cache(zone)
            };
        }
        let dkim = self.resolver.verify_dkim(with_zone!(&message)).await;

        let (spf, spf_domain, spf_verdict) = match source {
            SpfSource::Client(c) => {
                let host = c.helo.as_str();
                let params = mail_auth::spf::verify::SpfParameters::verify_mail_from(
                    c.ip,
                    host,
                    host,
                    c.mail_from.as_str(),
                );
                let output = self.resolver.verify_spf(with_zone!(params)).await;
                let domain = output.domain().to_ascii_lowercase();
                let verdict = auth_result_of_spf(output.result());
                (output, Some(domain), Some(verdict))
            }
            SpfSource::Upstream(upstream) => {
                let domain = upstream.spf_domain.clone().unwrap_or_default();
                let result = upstream.spf.map_or(SpfResult::None, spf_result);
                (
                    SpfOutput::new(domain).with_result(result),
                    upstream.spf_domain.clone(),
                    upstream.spf,
                )
            }
        };
        let mail_from_domain = spf_domain.clone().unwrap_or_default();
        let dmarc: DmarcOutput = self
            .resolver
            .verify_dmarc(with_zone!(mail_auth::dmarc::verify::DmarcParameters::new(
                &message,
                &dkim,
                &mail_from_domain,
                &spf,
            )))
            .await;

        let dkim_results: Vec<AuthResult> = dkim.iter().map(|o| dkim_result(o.result())).collect();
        let dkim_summary = if dkim_results.contains(&AuthResult::Pass) {
            Some(AuthResult::Pass)
        } else if dkim_results.contains(&AuthResult::Fail) {
            Some(AuthResult::Fail)
        } else {
            dkim_results.first().copied()
        };
        Some(AuthSummary {
            spf: spf_verdict,
            spf_domain,
            dkim: dkim_summary,
            dkim_pass_domains: dkim
                .iter()
                .filter(|o| matches!(o.result(), DkimResult::Pass))
                .filter_map(|o| o.signature().map(|s| s.d.to_ascii_lowercase()))
                .collect(),
            dmarc: match dmarc.result() {
                // No record: the domain publishes no policy; nothing to say.
                DmarcResult::None => None,
                r => Some(dmarc_result(&r)),
            },
        })
    }
}

fn spf_result(r: AuthResult) -> SpfResult {
    match r {
        AuthResult::Pass => SpfResult::Pass,
        AuthResult::Fail => SpfResult::Fail,
        AuthResult::SoftFail => SpfResult::SoftFail,
        AuthResult::Neutral => SpfResult::Neutral,
        AuthResult::TempError => SpfResult::TempError,
        AuthResult::PermError => SpfResult::PermError,
        AuthResult::None | AuthResult::Policy => SpfResult::None,
    }
}

fn auth_result_of_spf(r: SpfResult) -> AuthResult {
    match r {
        SpfResult::Pass => AuthResult::Pass,
        SpfResult::Fail => AuthResult::Fail,
        SpfResult::SoftFail => AuthResult::SoftFail,
        SpfResult::Neutral => AuthResult::Neutral,
        SpfResult::TempError => AuthResult::TempError,
        SpfResult::PermError => AuthResult::PermError,
        SpfResult::None => AuthResult::None,
    }
}

fn dkim_result(r: &DkimResult) -> AuthResult {
    match r {
        DkimResult::Pass => AuthResult::Pass,
        // mail-auth calls a body-hash mismatch "neutral"; RFC 6376 §6.1.3 makes it a
        // permanent failure: the content is not what was signed.
        DkimResult::Neutral(mail_auth::Error::Dkim(
            mail_auth::dkim::DkimError::FailedBodyHashMatch,
        )) => AuthResult::Fail,
        DkimResult::Neutral(_) => AuthResult::Neutral,
        DkimResult::Fail(_) => AuthResult::Fail,
        DkimResult::PermError(_) => AuthResult::PermError,
        DkimResult::TempError(_) => AuthResult::TempError,
        DkimResult::None => AuthResult::None,
    }
}

fn dmarc_result(r: &DmarcResult) -> AuthResult {
    match r {
        DmarcResult::Pass => AuthResult::Pass,
        DmarcResult::Fail(_) => AuthResult::Fail,
        DmarcResult::TempError(_) => AuthResult::TempError,
        DmarcResult::PermError(_) => AuthResult::PermError,
        DmarcResult::None => AuthResult::None,
    }
}
