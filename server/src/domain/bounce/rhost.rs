//! Receiving providers whose own wording or error codes name the reason better than the
//! generic phrase table does (after the tables Sisimai's `Rhost::*` modules document, which
//! come from the providers' published error-code pages). A provider is recognised by the
//! remote MTA's host name or, failing that, by the recipient's domain.

use crate::domain::bounce::reason::Reason;

/// What a provider's table says about one diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderSays {
    /// The provider's code or words name this reason.
    Reason(Reason, &'static str),
    /// The provider's own error code was found, but it names no reason (a generic
    /// "try later"): the status code says less than the words here.
    Unspecific(&'static str),
}

/// Reads a provider's numbered error code: `Some(None)` for a known code naming no reason.
type CodeReader = fn(&str) -> Option<Option<Reason>>;

struct Provider {
    name: &'static str,
    /// Host-name or domain suffixes (lower-case, matched at a label boundary).
    hosts: &'static [&'static str],
    /// `(lower-case phrase, reason)`; the first that occurs wins.
    phrases: &'static [(&'static str, Reason)],
    /// Reads the provider's own numbered error codes, if it has any.
    codes: Option<CodeReader>,
}

const PROVIDERS: &[Provider] = &[
    // au (KDDI): its filter answers "550 : User unknown" (no address), a missing mailbox
    // "550 <address>: User unknown".
    Provider {
        name: "kddi",
        hosts: &["ezweb.ne.jp", "au.com"],
        phrases: &[
            ("550 : user unknown", Reason::Filtered),
            (">: user unknown", Reason::UserUnknown),
        ],
        codes: None,
    },
    // Orange / La Poste: `OFR005_505`, `LPN006_107`, `OUK_513` … the last three digits.
    Provider {
        name: "franceptt",
        hosts: &["orange.fr", "wanadoo.fr", "laposte.net"],
        phrases: &[("spf/dns de votre nom de domaine", Reason::AuthFailure)],
        codes: Some(france_ptt_code),
    },
    Provider {
        name: "zoho",
        hosts: &["zoho.com", "zoho.eu", "zohomail.com"],
        phrases: &[
            ("email rejected per dmarc policy", Reason::AuthFailure),
            ("greylisted, try again after some time", Reason::Blocked),
            (
                "email cannot be delivered. reason: email flagged as spam",
                Reason::Rejected,
            ),
            ("mail rejected by destination domain", Reason::Rejected),
            ("email policy violation detected", Reason::PolicyViolation),
            (
                "mailbox delivery restricted by policy error",
                Reason::PolicyViolation,
            ),
            ("temporary system error", Reason::SystemError),
            ("user does not exist", Reason::UserUnknown),
            (" detected by zoho mail", Reason::VirusDetected),
        ],
        codes: None,
    },
    Provider {
        name: "mimecast",
        hosts: &["mimecast.com", "mimecast-offshore.com"],
        phrases: &[
            (
                "spf sender invalid - envelope rejected",
                Reason::AuthFailure,
            ),
            (
                "dkim sender invalid - envelope rejected",
                Reason::AuthFailure,
            ),
            (
                "dmarc sender invalid - envelope rejected",
                Reason::AuthFailure,
            ),
            (
                "internal resources are temporarily unavailable",
                Reason::BadReputation,
            ),
            ("local ct ip reputation", Reason::BadReputation),
            ("sender address blocked", Reason::Blocked),
            ("recipient temporarily unavailable", Reason::Blocked),
            ("ip temporarily blacklisted", Reason::Blocked),
            ("maximum email size exceeded", Reason::MesgTooBig),
            (
                "the incorrect hostname used for inbounds",
                Reason::NetworkError,
            ),
            ("mail loop detected", Reason::NetworkError),
            ("open relay not allowed", Reason::NoRelaying),
            ("open relay is not allowed", Reason::NoRelaying),
            ("account inbounds disabled", Reason::NotAccept),
            ("anti-spoofing policy", Reason::PolicyViolation),
            ("content examination policy", Reason::PolicyViolation),
            ("host network not allowed", Reason::PolicyViolation),
            ("host network, not allowed", Reason::PolicyViolation),
            (
                "administrative prohibition envelope blocked",
                Reason::Rejected,
            ),
            ("envelope blocked - user", Reason::Rejected),
            ("manually blocked senders", Reason::Rejected),
            ("blocked senders - block policy", Reason::Rejected),
            ("block policy for envelope from", Reason::Rejected),
            ("incorrect authentication data", Reason::SecurityError),
            ("submitter failed to authenticate", Reason::SecurityError),
            ("this route requires encryption", Reason::SecurityError),
            ("this route requires tls", Reason::SecurityError),
            (
                "this route requires high-strength ciphers",
                Reason::SecurityError,
            ),
            (
                "unable to process connection at this time",
                Reason::SystemError,
            ),
            ("message ended early", Reason::SystemError),
            (
                "account service is temporarily unavailable",
                Reason::TooManyConn,
            ),
            ("exceeding outbound thread limit", Reason::TooManyConn),
        ],
        codes: None,
    },
    Provider {
        name: "yahoo",
        hosts: &["yahoodns.net", "yahoo.com", "yahoo.co.jp", "aol.com"],
        phrases: &[
            (
                "yahoo requires all senders to authenticate",
                Reason::AuthFailure,
            ),
            (
                "temporarily deferred due to unexpected volume or user complaints",
                Reason::BadReputation,
            ),
            ("because the ip is in spamhaus's list", Reason::Blocked),
            (
                "not accepted from ip addresses on spamhaus",
                Reason::Blocked,
            ),
            ("relaying denied for ", Reason::NoRelaying),
            ("headers are not rfc compliant", Reason::NotCompliantRfc),
            ("not accepted for policy reasons", Reason::PolicyViolation),
            (" will be permanently deferred", Reason::Rejected),
            ("user is receiving mail too quickly", Reason::Speeding),
            (" is no longer valid.", Reason::Suspend),
            ("this mailbox is disabled", Reason::Suspend),
            ("max message per connection reached", Reason::TooManyConn),
            ("dd this user doesn't have a ", Reason::UserUnknown),
        ],
        codes: None,
    },
];

/// Orange and La Poste number their refusals (`OFR005_505`, `LPN105-104`, `OUK_513`); the
/// last three digits name the reason. `Some(None)`: a known code that names none.
fn france_ptt_code(lower: &str) -> Option<Option<Reason>> {
    let b = lower.as_bytes();
    for prefix in ["lpnaaa", "lpn", "ofr", "ouk"] {
        let mut from = 0;
        while let Some(p) = lower.get(from..).and_then(|s| s.find(prefix)) {
            let start = from + p;
            from = start + prefix.len();
            if start > 0 && b[start - 1].is_ascii_alphanumeric() {
                continue;
            }
            let rest = &b[start + prefix.len()..];
            // `_505` or `005_505` / `105-104`.
            let digits = if rest.first() == Some(&b'_') {
                rest.get(1..4)
            } else if rest.len() >= 7
                && rest[..3].iter().all(u8::is_ascii_digit)
                && matches!(rest[3], b'_' | b'-')
            {
                rest.get(4..7)
            } else {
                None
            };
            let Some(d) = digits.filter(|d| d.iter().all(u8::is_ascii_digit)) else {
                continue;
            };
            let tail_end = start + prefix.len() + if rest.first() == Some(&b'_') { 4 } else { 7 };
            if b.get(tail_end).is_some_and(u8::is_ascii_alphanumeric) {
                continue;
            }
            return Some(match d {
                b"101" | b"102" | b"103" | b"510" | b"999" => Some(Reason::Blocked),
                b"104" => Some(Reason::TooManyConn),
                b"305" | b"402" => Some(Reason::SecurityError),
                b"401" | b"517" => Some(Reason::AuthFailure),
                b"403" | b"405" | b"415" | b"421" => Some(Reason::Rejected),
                b"416" => Some(Reason::UserUnknown),
                b"417" => Some(Reason::MailboxFull),
                b"420" | b"426" => Some(Reason::Suspend),
                b"505" => Some(Reason::SystemError),
                b"506" => Some(Reason::SpamDetected),
                b"514" => Some(Reason::MesgTooBig),
                b"630" => Some(Reason::PolicyViolation),
                _ => None,
            });
        }
    }
    None
}

/// `host` is `suffix` or ends with `.suffix`.
fn host_matches(host: &str, suffix: &str) -> bool {
    host.len() >= suffix.len()
        && host.as_bytes()[host.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
        && (host.len() == suffix.len() || host.as_bytes()[host.len() - suffix.len() - 1] == b'.')
}

/// The provider's verdict on `diag_lower` (the lower-cased diagnostic), when the remote MTA
/// (`remote_mta`) or, without one, the recipient's domain belongs to a provider we know.
pub fn find(
    remote_mta: Option<&str>,
    recipient: Option<&str>,
    diag_lower: &str,
) -> Option<ProviderSays> {
    if diag_lower.is_empty() {
        return None;
    }
    let host = remote_mta
        .and_then(|h| h.split_whitespace().next())
        .map(|h| {
            h.trim_matches(|c| c == '[' || c == ']')
                .trim_end_matches('.')
        })
        .filter(|h| !h.is_empty());
    let domain = recipient.and_then(|r| r.rsplit_once('@')).map(|(_, d)| d);
    let provider = PROVIDERS.iter().find(|p| {
        p.hosts.iter().any(|s| {
            host.map(|h| host_matches(h, s)).unwrap_or(false)
                || (host.is_none() && domain.map(|d| host_matches(d, s)).unwrap_or(false))
        })
    })?;
    if let Some(read) = provider.codes {
        match read(diag_lower) {
            Some(Some(r)) => return Some(ProviderSays::Reason(r, provider.name)),
            Some(None) => return Some(ProviderSays::Unspecific(provider.name)),
            None => {}
        }
    }
    provider
        .phrases
        .iter()
        .find(|(p, _)| diag_lower.contains(p))
        .map(|(_, r)| ProviderSays::Reason(*r, provider.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_are_known_by_host_or_recipient_domain() {
        assert_eq!(
            find(
                Some("lsean.ezweb.ne.jp"),
                None,
                "550 <a@ezweb.ne.jp>: user unknown"
            ),
            Some(ProviderSays::Reason(Reason::UserUnknown, "kddi"))
        );
        assert_eq!(
            find(None, Some("a@ezweb.ne.jp"), "550 : user unknown"),
            Some(ProviderSays::Reason(Reason::Filtered, "kddi"))
        );
        assert_eq!(
            find(Some("mx.example.net"), None, "550 : user unknown"),
            None
        );
        assert_eq!(
            find(Some("notezweb.ne.jp"), None, "550 : user unknown"),
            None
        );
    }

    #[test]
    fn orange_and_la_poste_codes_are_read_by_their_last_digits() {
        let f = |d: &str| find(Some("smtp-in.orange.fr"), None, d);
        assert_eq!(
            f("421 4.2.0 service refused, please try later. ofr005_505 [505]"),
            Some(ProviderSays::Reason(Reason::SystemError, "franceptt"))
        );
        assert_eq!(
            f("421 4.2.1 service refused, please try later. lpn006_107"),
            Some(ProviderSays::Unspecific("franceptt"))
        );
        assert_eq!(
            f("invalid recipient. ofr_416 [416]"),
            Some(ProviderSays::Reason(Reason::UserUnknown, "franceptt"))
        );
        assert_eq!(
            f("lpn105-104"),
            Some(ProviderSays::Reason(Reason::TooManyConn, "franceptt"))
        );
        assert_eq!(f("nothing here ofr_"), None);
        assert_eq!(f("ofr_5"), None);
    }
}
