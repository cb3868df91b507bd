//! What receiving MTAs write when they refuse mail, phrase by phrase, and the reason each
//! phrase means. One Aho-Corasick automaton over every phrase, built once; the text is
//! lower-cased once by the caller. When several reasons match, `PRIORITY` decides: the more
//! specific reason first (a full mailbox is still a full mailbox when the MTA also says
//! "rejected").

use crate::domain::bounce::reason::Reason;
use aho_corasick::{AhoCorasick, MatchKind};
use std::sync::LazyLock;

mod auth_failure;
mod bad_reputation;
mod blocked;
mod content_error;
mod exceed_limit;
mod expired;
mod failed_starttls;
mod filtered;
mod has_moved;
mod host_unknown;
mod mailbox_full;
mod mailer_error;
mod mesg_too_big;
mod network_error;
mod no_relaying;
mod not_accept;
mod not_compliant_rfc;
mod policy_violation;
mod rejected;
mod require_ptr;
mod security_error;
mod spam_detected;
mod speeding;
mod suspend;
mod syntax_error;
mod system_error;
mod system_full;
mod too_many_conn;
mod user_unknown;
mod virus_detected;

/// Earlier wins. Mirrors the field's experience (Sisimai's class order): mailbox-specific
/// reasons, then addressing, then sender/policy, then transport.
const PRIORITY: &[Reason] = &[
    Reason::MailboxFull,
    Reason::ExceedLimit,
    Reason::MesgTooBig,
    Reason::Suspend,
    Reason::HasMoved,
    Reason::NoRelaying,
    Reason::AuthFailure,
    Reason::RequirePtr,
    Reason::NotCompliantRfc,
    Reason::UserUnknown,
    Reason::Filtered,
    Reason::NotAccept,
    Reason::Rejected,
    Reason::HostUnknown,
    Reason::BadReputation,
    Reason::SpamDetected,
    Reason::VirusDetected,
    Reason::PolicyViolation,
    Reason::TooManyConn,
    Reason::Speeding,
    Reason::Blocked,
    Reason::FailedStartTls,
    Reason::SecurityError,
    Reason::SystemFull,
    Reason::ContentError,
    Reason::SystemError,
    Reason::NetworkError,
    Reason::Expired,
    Reason::MailerError,
    Reason::SyntaxError,
];

/// Every reason's phrase table (one file each, named after the reason).
const TABLES: &[(&[&str], Reason)] = &[
    (auth_failure::PHRASES, Reason::AuthFailure),
    (bad_reputation::PHRASES, Reason::BadReputation),
    (blocked::PHRASES, Reason::Blocked),
    (content_error::PHRASES, Reason::ContentError),
    (exceed_limit::PHRASES, Reason::ExceedLimit),
    (expired::PHRASES, Reason::Expired),
    (failed_starttls::PHRASES, Reason::FailedStartTls),
    (filtered::PHRASES, Reason::Filtered),
    (has_moved::PHRASES, Reason::HasMoved),
    (host_unknown::PHRASES, Reason::HostUnknown),
    (mailbox_full::PHRASES, Reason::MailboxFull),
    (mailer_error::PHRASES, Reason::MailerError),
    (mesg_too_big::PHRASES, Reason::MesgTooBig),
    (network_error::PHRASES, Reason::NetworkError),
    (no_relaying::PHRASES, Reason::NoRelaying),
    (not_accept::PHRASES, Reason::NotAccept),
    (not_compliant_rfc::PHRASES, Reason::NotCompliantRfc),
    (policy_violation::PHRASES, Reason::PolicyViolation),
    (rejected::PHRASES, Reason::Rejected),
    (require_ptr::PHRASES, Reason::RequirePtr),
    (security_error::PHRASES, Reason::SecurityError),
    (spam_detected::PHRASES, Reason::SpamDetected),
    (speeding::PHRASES, Reason::Speeding),
    (suspend::PHRASES, Reason::Suspend),
    (syntax_error::PHRASES, Reason::SyntaxError),
    (system_error::PHRASES, Reason::SystemError),
    (system_full::PHRASES, Reason::SystemFull),
    (too_many_conn::PHRASES, Reason::TooManyConn),
    (user_unknown::PHRASES, Reason::UserUnknown),
    (virus_detected::PHRASES, Reason::VirusDetected),
];

/// `(phrase, reason)`, every table flattened: the automaton's pattern index.
static PHRASES: LazyLock<Vec<(&'static str, Reason)>> = LazyLock::new(|| {
    TABLES
        .iter()
        .flat_map(|(phrases, reason)| phrases.iter().map(move |p| (*p, *reason)))
        .collect()
});

/// `(first, then)` pairs: both must appear, `then` after `first`.
const PAIRS: &[(&str, &str, Reason)] = &[
    ("user ", " does not exist", Reason::UserUnknown),
    ("user ", " was not found", Reason::UserUnknown),
    ("user (", ") unknown", Reason::UserUnknown),
    ("mailbox ", " does not exist", Reason::UserUnknown),
    ("recipient ", " was not found in", Reason::UserUnknown),
    ("rcpt <", " does not exist", Reason::UserUnknown),
    ("account ", " does not exist", Reason::UserUnknown),
    ("said: 550 5.1.1 ", " user unknown", Reason::UserUnknown),
    ("this user doesn't have a ", " account", Reason::UserUnknown),
    ("spam ", " exceeded", Reason::SpamDetected),
    ("message filtered", " spam", Reason::SpamDetected),
    ("this message scored ", " spam points", Reason::SpamDetected),
    ("greylisted", " please try again in", Reason::SpamDetected),
    ("mail score (", " over ", Reason::SpamDetected),
    ("domain ", " mismatches client ip", Reason::RequirePtr),
    (
        "reverse dns lookup for host ",
        " failed",
        Reason::RequirePtr,
    ),
    (
        "is not allowed to send from <",
        "spf record",
        Reason::AuthFailure,
    ),
    (
        "authentication failed; server ",
        " said: ",
        Reason::SecurityError,
    ),
    ("mx records for ", " not found", Reason::Rejected),
    ("lookup failure: host ", " not found", Reason::HostUnknown),
    ("delivery failed ", " attempts", Reason::Expired),
    (
        "service permits ",
        " unverifyable sending ips",
        Reason::RequirePtr,
    ),
];

/// Shapes no fixed phrase captures: `mx.example.net does not exist` names a host, not a user.
const REGEXES: &[(&str, Reason)] = &[(
    r"(?:^|[^@a-z0-9.-])[a-z0-9-]+(?:\.[a-z0-9-]+)+\.? does not exist",
    Reason::HostUnknown,
)];

/// `userunknown` phrases that only ever mean a missing mailbox (directory look-ups): never
/// read as a content filter's refusal.
pub const DEFINITE_USERUNKNOWN: &[&str] = &[
    "recipient name is not recognized",
    "invalid final delivery userid",
    "not listed in domino directory",
    "not listed in public name & address book",
    "resolver.adr.recipnotfound",
    "resolver.adr.recipientnotfound",
    "recipnotfound",
    "no such mailbox",
    "mailbox does not exist",
    "account that you tried to reach does not exist",
    "this user doesn't have a",
    "invalid recipient",
    "destinataire invalide",
    "because the address couldn't be found",
    "pair",
];

struct Table {
    ac: AhoCorasick,
    /// The first halves of `PAIRS`, so one pass finds every pair that may match.
    pair_heads: AhoCorasick,
    regexes: Vec<(regex::Regex, Reason)>,
    /// The tails of `PAIRS`, by the same index.
    pair_tails: Vec<(memchr::memmem::Finder<'static>, Reason)>,
}

static TABLE: LazyLock<Table> = LazyLock::new(|| Table {
    ac: AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .build(PHRASES.iter().map(|(p, _)| p))
        .expect("static phrase table builds"),
    pair_heads: AhoCorasick::new(PAIRS.iter().map(|(a, _, _)| a)).expect("static pairs"),
    regexes: REGEXES
        .iter()
        .map(|(r, reason)| (regex::Regex::new(r).expect("static regex"), *reason))
        .collect(),
    pair_tails: PAIRS
        .iter()
        .map(|(_, b, r)| (memchr::memmem::Finder::new(b.as_bytes()), *r))
        .collect(),
});

fn rank(r: Reason) -> usize {
    PRIORITY
        .iter()
        .position(|&p| p == r)
        .unwrap_or(PRIORITY.len())
}

/// The set of reasons whose phrases occur in `lower` (already lower-cased), as a bit set
/// indexed like `PRIORITY`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Matches(u64);

impl Matches {
    /// The bit of a reason that has phrases; `None` for the others (delivered, on hold,
    /// vacation …), which a set of phrase matches never holds.
    fn bit(r: Reason) -> Option<u64> {
        let i = rank(r);
        (i < PRIORITY.len() && i < 64).then(|| 1 << i)
    }
    pub fn contains(self, r: Reason) -> bool {
        Self::bit(r).is_some_and(|b| self.0 & b != 0)
    }
    /// Adds `r`; a reason without phrases is not added.
    pub fn insert_reason(&mut self, r: Reason) {
        if let Some(b) = Self::bit(r) {
            self.0 |= b;
        }
    }
    pub fn remove(&mut self, r: Reason) {
        if let Some(b) = Self::bit(r) {
            self.0 &= !b;
        }
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The highest-priority reason present.
    pub fn best(self) -> Option<Reason> {
        PRIORITY.get(self.0.trailing_zeros() as usize).copied()
    }
    pub fn iter(self) -> impl Iterator<Item = Reason> {
        PRIORITY
            .iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, r)| *r)
    }
}

/// Every reason whose phrases occur in `lower`, plus the first phrase found for the best one
/// (for the evidence).
pub fn scan(lower: &str) -> (Matches, Option<&'static str>) {
    let t = &*TABLE;
    let mut m = Matches::default();
    let mut best: Option<(usize, &'static str)> = None;
    let hits: Vec<(usize, usize, usize)> =
        t.ac.find_overlapping_iter(lower)
            .map(|h| (h.start(), h.end(), h.pattern().as_usize()))
            .collect();
    for &(start, end, pattern) in &hits {
        let (phrase, reason) = PHRASES[pattern];
        if !phrase_boundary_ok(lower, start, end, phrase) {
            continue;
        }
        // Maximal munch: a phrase inside a longer one of another reason is that reason's
        // ("too many recipients this hour" is rate-limiting, not a recipient count).
        if hits.iter().any(|&(s, e, p)| {
            s <= start && end <= e && (e - s) > (end - start) && PHRASES[p].1 != reason
        }) {
            continue;
        }
        m.insert_reason(reason);
        let r = rank(reason);
        if best.map(|(b, _)| r < b).unwrap_or(true) {
            best = Some((r, phrase));
        }
    }
    for hit in t.pair_heads.find_overlapping_iter(lower) {
        let (tail, reason) = &t.pair_tails[hit.pattern().as_usize()];
        // A pair that starts inside a longer phrase of another reason is that phrase's.
        let inside_other = || {
            hits.iter().any(|&(s, e, p)| {
                s <= hit.start()
                    && hit.end() <= e
                    && PHRASES[p].1 != *reason
                    && e - s > hit.end() - hit.start()
            })
        };
        if !m.contains(*reason)
            && tail.find(&lower.as_bytes()[hit.start() + 1..]).is_some()
            && !inside_other()
        {
            m.insert_reason(*reason);
            let r = rank(*reason);
            if best.map(|(bb, _)| r < bb).unwrap_or(true) {
                best = Some((r, "pair"));
            }
        }
    }
    for (re, reason) in &t.regexes {
        if !m.contains(*reason) && lower.contains(" does not exist") && re.is_match(lower) {
            m.insert_reason(*reason);
            let r = rank(*reason);
            if best.map(|(bb, _)| r < bb).unwrap_or(true) {
                best = Some((r, "regex"));
            }
        }
    }
    (m, best.map(|(_, p)| p))
}

/// Byte offset of the first phrase (or pair start) found in `lower`, if any.
pub fn first_hit(lower: &str) -> Option<usize> {
    let t = &*TABLE;
    let ac = t
        .ac
        .find_overlapping_iter(lower)
        .find(|h| phrase_boundary_ok(lower, h.start(), h.end(), PHRASES[h.pattern().as_usize()].0))
        .map(|h| h.start());
    let pair = t.pair_heads.find_overlapping_iter(lower).find_map(|hit| {
        let (tail, _) = &t.pair_tails[hit.pattern().as_usize()];
        tail.find(&lower.as_bytes()[hit.start() + 1..])
            .map(|_| hit.start())
    });
    match (ac, pair) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Short phrases that are words must stand as words (`rbl` inside `verbless` is nothing).
fn phrase_boundary_ok(text: &str, start: usize, end: usize, phrase: &str) -> bool {
    if phrase.len() > 5 {
        return true;
    }
    let b = text.as_bytes();
    let before = start == 0 || !b[start - 1].is_ascii_alphanumeric();
    let after = end >= b.len() || !b[end].is_ascii_alphanumeric();
    before && after
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phrase_reason_has_a_priority_and_phrases_are_lower_case() {
        for (p, r) in PHRASES.iter() {
            assert!(PRIORITY.contains(r), "{r:?} missing from PRIORITY");
            assert_eq!(*p, p.to_lowercase(), "{p:?}");
        }
        assert!(PRIORITY.len() <= 64);
    }

    #[test]
    fn a_reason_without_phrases_is_never_held_and_never_the_best() {
        // Found by the webhook_json fuzz target: a status reason without phrases (here
        // `Delivered`, from a "2.2.2" in a failed event's message) set a bit past the end of
        // PRIORITY, and `best` indexed past it.
        for r in [
            Reason::Delivered,
            Reason::OnHold,
            Reason::Vacation,
            Reason::Undefined,
        ] {
            let mut m = Matches::default();
            m.insert_reason(r);
            assert!(m.is_empty() && !m.contains(r), "{r:?}");
            assert_eq!(m.best(), None);
            m.insert_reason(Reason::MailboxFull);
            m.insert_reason(r);
            assert_eq!(m.best(), Some(Reason::MailboxFull));
            assert_eq!(m.iter().collect::<Vec<_>>(), vec![Reason::MailboxFull]);
        }
    }

    #[test]
    fn each_mtas_own_wording_names_its_reason() {
        for (text, want) in [
            // Exim (route.c, dnslookup.c, appendfile.c)
            (
                "all relevant mx records point to non-existent hosts",
                Reason::HostUnknown,
            ),
            ("retry timeout exceeded", Reason::Expired),
            ("delivery to pipe forbidden", Reason::SystemError),
            // qmail and its LDAP patch
            (
                "mailaddress is administrativly disabled. (#5.2.1)",
                Reason::Suspend,
            ),
            (
                "sorry, i couldn't find any host named example.net. (#5.1.2)",
                Reason::HostUnknown,
            ),
            (
                "unable to contact ldap server. (#4.4.3)",
                Reason::SystemError,
            ),
            // local delivery agents
            (
                "quota exceeded (mailbox for user is full)",
                Reason::MailboxFull,
            ),
            ("maildrop: invalid user specified.", Reason::UserUnknown),
            // OpenSMTPD, Exchange 2003/2007, Domino
            ("destination seem to reject all mails", Reason::NotAccept),
            (
                "msexch:ims:example 0 (000c05a6) unknown recipient",
                Reason::UserUnknown,
            ),
            (
                "550 5.4.4 smtpsend.dns.nonexistentdomain; nonexistent domain",
                Reason::HostUnknown,
            ),
            (
                "cannot route mail to user (x@example.net)",
                Reason::Filtered,
            ),
            // content filters that name themselves, and their verdicts
            (
                "554 5.7.1 your message failed several antispam checks (scoring)",
                Reason::SpamDetected,
            ),
            (
                "553 5.7.3 content reject: dspam check:4",
                Reason::SpamDetected,
            ),
            ("550 spamming not allowed", Reason::SpamDetected),
            ("550 5.7.1 blocked by spamassassin", Reason::SpamDetected),
            (
                "550 message refused by mailmarshal spamprofiler",
                Reason::SpamDetected,
            ),
            (
                "550 5.7.1 you're using a mass mailer, therefore you're bounced.",
                Reason::SpamDetected,
            ),
            // Gmail's DNS verdict; a message size limit with no other words
            ("dns error: domain name not found", Reason::HostUnknown),
            (
                "554 5.7.1 message rejected class=size limit=15728640 subclass=reject",
                Reason::MesgTooBig,
            ),
            ("552 mailbox size limit exceeded", Reason::MailboxFull),
        ] {
            assert_eq!(scan(text).0.best(), Some(want), "{text}");
        }
    }

    #[test]
    fn a_longer_phrase_of_another_reason_outranks_the_words_inside_it() {
        // "exceeded storage allocation" alone is a full mailbox; Exchange's whole sentence
        // is its own store being full.
        let (m, _) = scan("552 requested mail action aborted: exceeded storage allocation");
        assert_eq!(m.best(), Some(Reason::SystemFull));
        let (m, _) = scan("552 5.2.2 exceeded storage allocation");
        assert_eq!(m.best(), Some(Reason::MailboxFull));
        // vpopmail's "user does not exist, but will deliver to …" is its filter.
        let (m, _) = scan("user does not exist, but will deliver to postmaster");
        assert_eq!(m.best(), Some(Reason::Filtered));
    }

    #[test]
    fn a_bare_access_denied_names_no_reason() {
        // "Access denied" answers a sender, a client IP, a relay or a policy alike: the code
        // (5.7.1: securityerror) or the rest of the reply decides, not these two words.
        let (m, _) = scan("550 5.7.1 <a@example.net>... access denied");
        assert!(m.is_empty(), "{m:?}");
        let (m, _) = scan("554 5.7.1 <a@example.net>: relay access denied");
        assert_eq!(m.best(), Some(Reason::NoRelaying));
    }

    #[test]
    fn the_more_specific_reason_wins() {
        let (m, _) = scan("550 5.2.2 mailbox full, message rejected");
        assert_eq!(m.best(), Some(Reason::MailboxFull));
        let (m, _) = scan("550 5.1.1 <a@b.example>: recipient address rejected: user unknown in local recipient table");
        assert_eq!(m.best(), Some(Reason::UserUnknown));
        let (m, _) = scan("verbless text");
        assert!(m.is_empty());
    }
}
