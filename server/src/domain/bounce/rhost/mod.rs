//! Receiving providers whose own wording or error codes name the reason better than the
//! generic phrase table does (after the tables Sisimai's `Rhost::*` modules document, which
//! come from the providers' published error-code pages). A provider is recognised by the
//! remote MTA's host name or, failing that, by the recipient's domain.

use crate::domain::bounce::reason::Reason;
use crate::domain::bounce::status::EnhancedStatus;
use crate::domain::bounce::text_patterns::Command;

mod apple;
mod cloudflare;
mod cox;
mod facebook;
mod france_ptt;
mod godaddy;
mod google;
mod iua;
mod kddi;
mod message_labs;
mod microsoft;
mod mimecast;
mod ntt_docomo;
mod spectrum;
mod tencent;
mod yahoo;
mod zoho;

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
pub(super) type CodeReader = fn(&str) -> Option<Option<Reason>>;

/// Reads the whole query (status code, SMTP command) for a provider whose wording means one
/// reason or another depending on when it was said.
pub(super) type ContextReader = fn(&Query<'_>) -> Option<Reason>;

/// What the notice says about one recipient, for the provider tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<'a> {
    /// `Remote-MTA`: the host that refused.
    pub remote_mta: Option<&'a str>,
    /// `Reporting-MTA`: the host that wrote the notice (a provider's gateway relaying
    /// another host's refusal writes in its own words).
    pub reporting_mta: Option<&'a str>,
    pub recipient: Option<&'a str>,
    /// The lower-cased diagnostic.
    pub diag_lower: &'a str,
    pub status: Option<EnhancedStatus>,
    /// The SMTP command the refusal answered, when the notice says.
    pub command: Option<Command>,
}

pub(super) struct Provider {
    pub(super) name: &'static str,
    /// Host-name or domain suffixes (lower-case, matched at a label boundary).
    pub(super) hosts: &'static [&'static str],
    /// `(lower-case phrase, reason)`; the first that occurs wins.
    pub(super) phrases: &'static [(&'static str, Reason)],
    /// Reads the provider's own numbered error codes, if it has any.
    pub(super) codes: Option<CodeReader>,
    /// Reads the status code and command with the words, if the provider needs them.
    pub(super) context: Option<ContextReader>,
}

const PROVIDERS: &[Provider] = &[
    kddi::PROVIDER,
    ntt_docomo::PROVIDER,
    message_labs::PROVIDER,
    cox::PROVIDER,
    spectrum::PROVIDER,
    facebook::PROVIDER,
    iua::PROVIDER,
    cloudflare::PROVIDER,
    france_ptt::PROVIDER,
    zoho::PROVIDER,
    mimecast::PROVIDER,
    yahoo::PROVIDER,
    google::PROVIDER,
    microsoft::PROVIDER,
    apple::PROVIDER,
    godaddy::PROVIDER,
    tencent::PROVIDER,
];

/// `host` is `suffix` or ends with `.suffix`.
fn host_matches(host: &str, suffix: &str) -> bool {
    host.len() >= suffix.len()
        && host.as_bytes()[host.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
        && (host.len() == suffix.len() || host.as_bytes()[host.len() - suffix.len() - 1] == b'.')
}

/// The provider's verdict on `diag_lower` (the lower-cased diagnostic), when the remote MTA
/// (`remote_mta`) or, failing that, the recipient's domain belongs to a provider we know.
pub fn find(
    remote_mta: Option<&str>,
    recipient: Option<&str>,
    diag_lower: &str,
) -> Option<ProviderSays> {
    find_for(&Query {
        remote_mta,
        recipient,
        diag_lower,
        ..Query::default()
    })
}

fn clean_host(h: &str) -> Option<&str> {
    let h = h.split_whitespace().next()?;
    let h = h
        .trim_matches(|c| c == '[' || c == ']')
        .trim_end_matches('.');
    (!h.is_empty()).then_some(h)
}

/// The provider whose host names `h` ends with, and its place in [`PROVIDERS`].
fn provider_of(h: &str) -> Option<(usize, &'static Provider)> {
    PROVIDERS
        .iter()
        .enumerate()
        .find(|(_, p)| p.hosts.iter().any(|s| host_matches(h, s)))
}

/// Each provider's phrases as one automaton (built once), so a diagnostic is read once per
/// provider instead of once per phrase.
static PHRASE_FINDERS: std::sync::LazyLock<Vec<aho_corasick::AhoCorasick>> =
    std::sync::LazyLock::new(|| {
        PROVIDERS
            .iter()
            .map(|p| {
                aho_corasick::AhoCorasick::new(p.phrases.iter().map(|(phrase, _)| phrase))
                    .expect("static provider phrases")
            })
            .collect()
    });

/// The reason of the first of provider `i`'s phrases, in table order, that occurs anywhere
/// in `diag_lower`.
fn first_phrase(i: usize, diag_lower: &str) -> Option<Reason> {
    let first = PHRASE_FINDERS
        .get(i)?
        .find_overlapping_iter(diag_lower)
        .map(|m| m.pattern().as_usize())
        .min()?;
    PROVIDERS.get(i)?.phrases.get(first).map(|(_, r)| *r)
}

/// The provider's verdict on one recipient: the provider is known by the remote MTA or,
/// when that names none we know, the recipient's domain; failing both, by the reporting MTA
/// (a provider's gateway that relays another host's refusal in its own words).
pub fn find_for(q: &Query<'_>) -> Option<ProviderSays> {
    let diag_lower = q.diag_lower;
    if diag_lower.is_empty() {
        return None;
    }
    let host = q.remote_mta.and_then(clean_host);
    let domain = q.recipient.and_then(|r| r.rsplit_once('@')).map(|(_, d)| d);
    // A remote MTA we do not know (a provider's filtering front end under another name)
    // still answered for the recipient's domain: fall back to the domain, then to the
    // reporting MTA (Sisimai 5 tries the same three names).
    let (index, provider) = host
        .and_then(provider_of)
        .or_else(|| domain.and_then(provider_of))
        .or_else(|| q.reporting_mta.and_then(clean_host).and_then(provider_of))?;
    if let Some(read) = provider.context {
        if let Some(r) = read(q) {
            return Some(ProviderSays::Reason(r, provider.name));
        }
    }
    if let Some(read) = provider.codes {
        match read(diag_lower) {
            Some(Some(r)) => return Some(ProviderSays::Reason(r, provider.name)),
            Some(None) => return Some(ProviderSays::Unspecific(provider.name)),
            None => {}
        }
    }
    first_phrase(index, diag_lower).map(|r| ProviderSays::Reason(r, provider.name))
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
        // A front end we do not know answered for a provider's domain: the domain decides.
        assert_eq!(
            find(
                Some("mx.filter.example.net"),
                Some("a@cox.net"),
                "550 5.1.0 <b@example.org> sender rejected. aup#cdrbl"
            ),
            Some(ProviderSays::Reason(Reason::Blocked, "cox"))
        );
        assert_eq!(
            find(
                Some("mx.filter.example.net"),
                Some("a@example.org"),
                "550 5.1.0 sender rejected. aup#cdrbl"
            ),
            None
        );
        assert_eq!(
            find(
                Some("service1.mimecast.com"),
                None,
                "554 email rejected due to security policies - mcspamsignature.sa.1.1"
            ),
            Some(ProviderSays::Reason(Reason::SpamDetected, "mimecast"))
        );
    }

    #[test]
    fn google_microsoft_and_godaddy_wording_names_the_reason() {
        assert_eq!(
            find(
                Some("gmail-smtp-in.l.google.com"),
                None,
                "452 4.2.2 the recipient's inbox is out of storage space."
            ),
            Some(ProviderSays::Reason(Reason::MailboxFull, "google"))
        );
        assert_eq!(
            find(
                None,
                Some("a@gmail.com"),
                "550 5.7.26 this message fails to pass spf checks for an spf record with a hard fail policy"
            ),
            Some(ProviderSays::Reason(Reason::AuthFailure, "google"))
        );
        assert_eq!(
            find(
                Some("mx.protection.outlook.com"),
                None,
                "550 5.7.606 access denied, banned sending ip [192.0.2.1]"
            ),
            Some(ProviderSays::Reason(Reason::Blocked, "microsoft"))
        );
        assert_eq!(
            find(
                Some("p3plibsmtp01.prod.phx3.secureserver.net"),
                None,
                "550 192.0.2.1 has sent to too many recipients this hour. ib607"
            ),
            Some(ProviderSays::Reason(Reason::Speeding, "godaddy"))
        );
        // The same words from another host are left to the generic tables.
        assert_eq!(
            find(
                Some("mx.example.net"),
                None,
                "550 5.7.606 access denied, banned sending ip [192.0.2.1]"
            ),
            None
        );
    }

    /// The automaton answers what reading the table in order would: the first phrase of the
    /// table that occurs, wherever it occurs, for every phrase of every provider, alone and
    /// after every other phrase of its provider.
    #[test]
    fn a_providers_phrases_are_tried_in_table_order() {
        for (i, p) in PROVIDERS.iter().enumerate() {
            let by_table = |text: &str| {
                p.phrases
                    .iter()
                    .find(|(phrase, _)| text.contains(phrase))
                    .map(|(_, r)| *r)
            };
            for (a, _) in p.phrases {
                assert_eq!(first_phrase(i, a), by_table(a), "{}: {a}", p.name);
                for (b, _) in p.phrases {
                    let text = format!("550 {b} and then {a}");
                    assert_eq!(
                        first_phrase(i, &text),
                        by_table(&text),
                        "{}: {text}",
                        p.name
                    );
                }
            }
            assert_eq!(first_phrase(i, "nothing known"), by_table("nothing known"));
        }
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
