//! DNS block lists (RFC 5782): the pure part. Which names to ask about one message, and
//! what the answers are worth. The lookups themselves are in `services::dnsbl`.
//!
//! Two kinds of list, as the operators publish them:
//! - IP lists (Spamhaus ZEN, …): the connecting client's address, octets reversed
//!   (`2.0.0.127.zen.spamhaus.org`; IPv6 as 32 reversed nibbles), RFC 5782 §2.1, §2.4;
//! - domain lists (Spamhaus DBL, SURBL, URIBL): the registered domain of the From address,
//!   of the Reply-To address and of every link (`example.com.dbl.spamhaus.org`), §2.3.
//!
//! A name is listed when the list answers an A record in 127.0.0.0/8 (§2.3), except the
//! codes lists use to say "I refuse to answer": 127.0.0.1 (URIBL: query refused) and
//! 127.255.255.0/24 (Spamhaus: public resolver or over quota). Those are no verdict.

use super::message::MailView;
use super::score::RuleHit;
use super::urls::{links_with_hosts, registered_domain};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

/// Points for a hit when the configuration does not say.
pub const DEFAULT_IP_POINTS: f64 = 2.5;
pub const DEFAULT_DOMAIN_POINTS: f64 = 2.5;
/// Link domains asked about per message (a message with hundreds of links must not become
/// hundreds of queries).
pub const MAX_LINK_DOMAINS: usize = 20;

/// What a list is keyed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// The client's IP address.
    Ip,
    /// Registered domains (sender, Reply-To, links).
    Domain,
}

/// One configured list.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsList {
    pub kind: ListKind,
    /// The list's DNS zone, lower-case, no trailing dot: `zen.spamhaus.org`.
    pub zone: String,
    pub points: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsblConfigError {
    #[error("{0:?}: expected ip:ZONE or domain:ZONE, optionally =POINTS")]
    Syntax(String),
    #[error("{0:?} is not a DNS zone name")]
    BadZone(String),
    #[error("{0:?}: points must be a number between -20 and 20")]
    BadPoints(String),
}

/// The lists to ask, as the operator configured them. Empty: no lookups at all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DnsblConfig {
    pub lists: Vec<DnsList>,
}

impl DnsblConfig {
    /// Parses `ip:zen.spamhaus.org, domain:dbl.spamhaus.org=3, domain:multi.uribl.com`
    /// (comma- or whitespace-separated). An empty string configures nothing.
    pub fn parse(spec: &str) -> Result<Self, DnsblConfigError> {
        let mut lists = Vec::new();
        for entry in spec
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
        {
            let (kind, rest) = entry
                .split_once(':')
                .ok_or_else(|| DnsblConfigError::Syntax(entry.to_string()))?;
            let kind = match kind.to_ascii_lowercase().as_str() {
                "ip" => ListKind::Ip,
                "domain" | "uri" => ListKind::Domain,
                _ => return Err(DnsblConfigError::Syntax(entry.to_string())),
            };
            let (zone, points) = match rest.split_once('=') {
                Some((z, p)) => {
                    let points: f64 = p
                        .parse()
                        .ok()
                        .filter(|p: &f64| p.is_finite() && p.abs() <= 20.0)
                        .ok_or_else(|| DnsblConfigError::BadPoints(entry.to_string()))?;
                    (z, points)
                }
                None => (
                    rest,
                    match kind {
                        ListKind::Ip => DEFAULT_IP_POINTS,
                        ListKind::Domain => DEFAULT_DOMAIN_POINTS,
                    },
                ),
            };
            let zone = zone.trim().trim_end_matches('.').to_ascii_lowercase();
            let valid = zone.contains('.')
                && zone.len() <= 200
                && zone.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if !valid {
                return Err(DnsblConfigError::BadZone(zone));
            }
            lists.push(DnsList { kind, zone, points });
        }
        Ok(DnsblConfig { lists })
    }

    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }
}

/// What was looked up about the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    ClientIp,
    FromDomain,
    ReplyToDomain,
    LinkDomain,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::ClientIp => "the sending server's address",
            Role::FromDomain => "the sender's domain",
            Role::ReplyToDomain => "the Reply-To domain",
            Role::LinkDomain => "a linked domain",
        })
    }
}

/// One DNS name to ask about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Index into [`DnsblConfig::lists`].
    pub list: usize,
    pub role: Role,
    /// What is looked up: an IP address or a registered domain.
    pub subject: String,
    /// The full name: `2.0.0.127.zen.spamhaus.org`.
    pub name: String,
}

/// What a message offers to look up: the client's address and the domains in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subjects {
    pub client_ip: Option<IpAddr>,
    pub from_domain: Option<String>,
    pub reply_to_domain: Option<String>,
    pub link_domains: Vec<String>,
}

impl Subjects {
    /// The registered domains of the From and Reply-To addresses and of the links (at most
    /// [`MAX_LINK_DOMAINS`], first seen first), and the client's address.
    pub fn of(view: &MailView, client_ip: Option<IpAddr>) -> Subjects {
        let domain_of = |a: &str| {
            a.rsplit_once('@')
                .map(|(_, d)| {
                    registered_domain(&d.trim_end_matches(['>', '.']).to_ascii_lowercase())
                        .to_string()
                })
                .filter(|d| is_queryable_domain(d))
        };
        let mut link_domains: Vec<String> = Vec::new();
        for host in links_with_hosts(view).filter_map(|(_, host)| host) {
            let d = registered_domain(host).to_string();
            if is_queryable_domain(&d) && !link_domains.contains(&d) {
                link_domains.push(d);
                if link_domains.len() >= MAX_LINK_DOMAINS {
                    break;
                }
            }
        }
        Subjects {
            client_ip: client_ip.filter(is_public),
            from_domain: view.from_address.as_deref().and_then(domain_of),
            reply_to_domain: view.reply_to_address.as_deref().and_then(domain_of),
            link_domains,
        }
    }
}

/// A domain worth asking about: a dotted name of DNS characters, not an IP literal.
fn is_queryable_domain(d: &str) -> bool {
    d.contains('.')
        && d.len() <= 200
        && d.parse::<IpAddr>().is_err()
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Private, loopback and documentation addresses are never on a public list.
fn is_public(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation())
        }
        IpAddr::V6(v6) => {
            !(v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xfe00) == 0xfc00)
        }
    }
}

/// The reversed form of an address for an IP list (RFC 5782 §2.1 and §2.4).
pub fn reversed(ip: &IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => v6
            .octets()
            .iter()
            .rev()
            .flat_map(|b| [b & 0x0f, b >> 4])
            .map(|n| format!("{n:x}"))
            .collect::<Vec<_>>()
            .join("."),
    }
}

/// Every name to look up for `subjects` under `config`, without duplicates (a domain that is
/// both the sender's and a link's is asked once, as the sender's).
pub fn queries(config: &DnsblConfig, subjects: &Subjects) -> Vec<Query> {
    let mut out: Vec<Query> = Vec::new();
    for (i, list) in config.lists.iter().enumerate() {
        let mut push = |role: Role, subject: &str, name: String| {
            if !out.iter().any(|q| q.name == name) {
                out.push(Query {
                    list: i,
                    role,
                    subject: subject.to_string(),
                    name,
                });
            }
        };
        match list.kind {
            ListKind::Ip => {
                if let Some(ip) = &subjects.client_ip {
                    push(
                        Role::ClientIp,
                        &ip.to_string(),
                        format!("{}.{}", reversed(ip), list.zone),
                    );
                }
            }
            ListKind::Domain => {
                let domains = subjects
                    .from_domain
                    .iter()
                    .map(|d| (Role::FromDomain, d))
                    .chain(
                        subjects
                            .reply_to_domain
                            .iter()
                            .map(|d| (Role::ReplyToDomain, d)),
                    )
                    .chain(subjects.link_domains.iter().map(|d| (Role::LinkDomain, d)));
                for (role, d) in domains {
                    push(role, d, format!("{d}.{}", list.zone));
                }
            }
        }
    }
    out
}

/// True for an answer that means "listed" (see the module notes for the refusal codes).
pub fn is_listing(a: &Ipv4Addr) -> bool {
    let o = a.octets();
    o[0] == 127 && *a != Ipv4Addr::new(127, 0, 0, 1) && !(o[1] == 255 && o[2] == 255)
}

/// The rule name of a hit on `list` for `role`: `RCVD_IN_ZEN_SPAMHAUS_ORG`,
/// `FROM_IN_DBL_SPAMHAUS_ORG`, `REPLYTO_IN_…`, `URI_IN_…`.
pub fn rule_name(list: &DnsList, role: Role) -> String {
    let prefix = match role {
        Role::ClientIp => "RCVD_IN_",
        Role::FromDomain => "FROM_IN_",
        Role::ReplyToDomain => "REPLYTO_IN_",
        Role::LinkDomain => "URI_IN_",
    };
    let zone: String = list
        .zone
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{prefix}{zone}")
}

/// The hits for the answers to `queries` (`answers[i]` answers `queries[i]`; `None` = no
/// answer in time, or an error: no verdict). One hit per list and role, however many link
/// domains are listed.
pub fn hits(
    config: &DnsblConfig,
    queries: &[Query],
    answers: &[Option<Vec<Ipv4Addr>>],
) -> Vec<RuleHit> {
    let mut out: Vec<RuleHit> = Vec::new();
    for (q, answer) in queries.iter().zip(answers) {
        let Some(codes) = answer else { continue };
        let Some(code) = codes.iter().find(|a| is_listing(a)) else {
            continue;
        };
        let Some(list) = config.lists.get(q.list) else {
            continue;
        };
        let name = rule_name(list, q.role);
        if out.iter().any(|h| h.name == name) {
            continue;
        }
        out.push(RuleHit::new(
            &name,
            list.points,
            format!(
                "{} ({}) is listed on {} (answer {code})",
                q.role, q.subject, list.zone
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> DnsblConfig {
        DnsblConfig::parse("ip:zen.example.net, domain:dbl.example.net=3.5").unwrap()
    }

    #[test]
    fn configuration_parses_and_rejects_nonsense() {
        let c = config();
        assert_eq!(c.lists.len(), 2);
        assert_eq!(c.lists[0].kind, ListKind::Ip);
        assert_eq!(c.lists[0].points, DEFAULT_IP_POINTS);
        assert_eq!(c.lists[1].zone, "dbl.example.net");
        assert_eq!(c.lists[1].points, 3.5);
        assert!(DnsblConfig::parse("").unwrap().is_empty());
        assert!(matches!(
            DnsblConfig::parse("zen.example.net"),
            Err(DnsblConfigError::Syntax(_))
        ));
        assert!(matches!(
            DnsblConfig::parse("ip:bad zone"),
            Err(DnsblConfigError::BadZone(_))
        ));
        assert!(matches!(
            DnsblConfig::parse("ip:x_y.example"),
            Err(DnsblConfigError::BadZone(_))
        ));
        assert!(matches!(
            DnsblConfig::parse("ip:zen.example.net=lots"),
            Err(DnsblConfigError::BadPoints(_))
        ));
    }

    #[test]
    fn ip_addresses_are_reversed_as_rfc_5782_says() {
        assert_eq!(reversed(&"192.0.2.99".parse().unwrap()), "99.2.0.192");
        assert_eq!(
            reversed(&"2001:db8:1:2:3:4:567:89ab".parse().unwrap()),
            "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2"
        );
    }

    #[test]
    fn a_message_gives_its_client_sender_reply_to_and_link_domains() {
        let raw = b"From: a@mail.shop.example.com\r\nReply-To: b@free.example.org\r\nContent-Type: text/html\r\n\r\n<a href=\"https://x.shop.example.com/\">a</a><a href=\"http://t.example.co.uk/y\">b</a><a href=\"http://192.0.2.1/\">c</a>";
        let view = MailView::parse(raw);
        let s = Subjects::of(&view, Some("81.2.69.160".parse().unwrap()));
        assert_eq!(s.from_domain.as_deref(), Some("example.com"));
        assert_eq!(s.reply_to_domain.as_deref(), Some("example.org"));
        assert_eq!(s.link_domains, ["example.com", "example.co.uk"]);
        let q = queries(&config(), &s);
        let names: Vec<&str> = q.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "160.69.2.81.zen.example.net",
                "example.com.dbl.example.net",
                "example.org.dbl.example.net",
                "example.co.uk.dbl.example.net",
            ]
        );
        assert_eq!(q[1].role, Role::FromDomain);
        // Private and documentation addresses are never asked about.
        for ip in ["10.1.2.3", "203.0.113.7", "127.0.0.1", "fd00::1"] {
            let s = Subjects::of(&view, Some(ip.parse().unwrap()));
            assert_eq!(s.client_ip, None, "{ip}");
        }
    }

    #[test]
    fn listings_become_named_hits_and_refusals_do_not() {
        let c = config();
        let s = Subjects {
            client_ip: Some("81.2.69.160".parse().unwrap()),
            from_domain: Some("bad.example".into()),
            link_domains: vec!["a.example".into(), "b.example".into()],
            ..Default::default()
        };
        let q = queries(&c, &s);
        let listed = Some(vec![Ipv4Addr::new(127, 0, 0, 2)]);
        let answers = vec![listed.clone(), None, listed.clone(), listed];
        let h = hits(&c, &q, &answers);
        let names: Vec<&str> = h.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["RCVD_IN_ZEN_EXAMPLE_NET", "URI_IN_DBL_EXAMPLE_NET"]);
        assert_eq!(h[1].points, 3.5);
        let refused = vec![
            Some(vec![Ipv4Addr::new(127, 255, 255, 254)]),
            Some(vec![Ipv4Addr::new(127, 0, 0, 1)]),
            Some(vec![]),
            Some(vec![Ipv4Addr::new(192, 0, 2, 1)]),
        ];
        assert!(hits(&c, &q, &refused).is_empty());
    }
}
