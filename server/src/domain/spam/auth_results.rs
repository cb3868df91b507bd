//! Upstream `Authentication-Results` (RFC 8601): what the receiving MTA concluded about SPF,
//! DKIM and DMARC. Outcomes are enums, not errors; a header we cannot read is simply absent.
//!
//! Only results we can trust are read: those stamped with the deployment's own authserv-id
//! when one is configured, otherwise only the topmost header (RFC 8601 §5: the one added by
//! the nearest hop; anything further down could have been written by the sender).

use super::message::MailView;
use serde::{Deserialize, Serialize};

/// Result values of RFC 8601 §2.7 (plus SPF's `softfail`), shared by SPF, DKIM and DMARC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthResult {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    None,
    TempError,
    PermError,
    Policy,
}

impl AuthResult {
    fn parse(s: &str) -> Option<AuthResult> {
        Some(match s.to_ascii_lowercase().as_str() {
            "pass" => AuthResult::Pass,
            "fail" | "hardfail" => AuthResult::Fail,
            "softfail" => AuthResult::SoftFail,
            "neutral" => AuthResult::Neutral,
            "none" => AuthResult::None,
            "temperror" => AuthResult::TempError,
            "permerror" => AuthResult::PermError,
            "policy" => AuthResult::Policy,
            _ => return None,
        })
    }
}

/// One `method=result` clause with its `ptype.property=value` pairs (RFC 8601 §2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodResult {
    pub method: String,
    pub result: Option<AuthResult>,
    pub properties: Vec<(String, String)>,
}

impl MethodResult {
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A parsed `Authentication-Results` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthResultsHeader {
    pub authserv_id: String,
    pub results: Vec<MethodResult>,
}

/// What the trusted headers say, per method. DKIM is `Pass` if any signature passed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthSummary {
    pub spf: Option<AuthResult>,
    /// Domain SPF checked (`smtp.mailfrom`), lower-cased.
    pub spf_domain: Option<String>,
    pub dkim: Option<AuthResult>,
    /// `header.d` of every DKIM signature that passed, lower-cased.
    pub dkim_pass_domains: Vec<String>,
    pub dmarc: Option<AuthResult>,
}

impl AuthSummary {
    /// Read the trusted `Authentication-Results` of a message.
    pub fn from_view(view: &MailView, trusted_authserv_id: Option<&str>) -> AuthSummary {
        let headers = view
            .headers
            .iter()
            .filter(|(n, _)| n == "authentication-results")
            .filter_map(|(_, v)| parse_header(v));
        let mut summary = AuthSummary::default();
        match trusted_authserv_id {
            Some(id) => headers
                .filter(|h| h.authserv_id.eq_ignore_ascii_case(id))
                .for_each(|h| summary.add(&h)),
            None => {
                if let Some(h) = headers.take(1).next() {
                    summary.add(&h)
                }
            }
        }
        summary
    }

    /// What a forwarder said, for mail that came over HTTP: the topmost header whose
    /// authserv-id is one the account listed (RFC 8601 §5: the nearest hop; further down, the
    /// sender could have written it). No listed id trusts nothing.
    pub fn from_trusted(view: &MailView, trusted: &[String]) -> AuthSummary {
        let mut summary = AuthSummary::default();
        if let Some(h) = view
            .headers
            .iter()
            .filter(|(n, _)| n == "authentication-results")
            .filter_map(|(_, v)| parse_header(v))
            .find(|h| {
                trusted
                    .iter()
                    .any(|t| h.authserv_id.eq_ignore_ascii_case(t))
            })
        {
            summary.add(&h);
        }
        summary
    }

    fn add(&mut self, header: &AuthResultsHeader) {
        for r in &header.results {
            let Some(result) = r.result else { continue };
            match r.method.as_str() {
                "spf" => {
                    self.spf = Some(result);
                    self.spf_domain = r
                        .property("smtp.mailfrom")
                        .map(|m| m.rsplit('@').next().unwrap_or(m).to_ascii_lowercase());
                }
                "dkim" => {
                    if result == AuthResult::Pass {
                        if let Some(d) = r.property("header.d").or_else(|| {
                            r.property("header.i")
                                .map(|i| i.rsplit('@').next().unwrap_or(i))
                        }) {
                            self.dkim_pass_domains.push(d.to_ascii_lowercase());
                        }
                    }
                    if self.dkim != Some(AuthResult::Pass) {
                        self.dkim = Some(result);
                    }
                }
                "dmarc" => self.dmarc = Some(result),
                _ => {}
            }
        }
    }

    /// True when the From domain is vouched for: DMARC passed, or a passing DKIM signature
    /// or SPF check is for the From domain or a parent of it (relaxed alignment, RFC 7489).
    pub fn aligned_pass(&self, from_domain: &str) -> bool {
        let aligned = |d: &str| from_domain == d || from_domain.ends_with(&format!(".{d}"));
        self.dmarc == Some(AuthResult::Pass)
            || self.dkim_pass_domains.iter().any(|d| aligned(d))
            || (self.spf == Some(AuthResult::Pass)
                && self.spf_domain.as_deref().is_some_and(aligned))
    }
}

/// How many authserv-ids an account may list.
pub const MAX_TRUSTED_AUTHSERV_IDS: usize = 20;

/// An admin's list of trusted authserv-ids (one per line, or separated by commas or spaces),
/// lower-cased, without duplicates. An authserv-id is a host name in practice (RFC 8601 §2.5):
/// letters, digits, `.`, `-` and `_`, at most 253 characters.
pub fn parse_authserv_ids(input: &str) -> Result<Vec<String>, String> {
    let mut ids: Vec<String> = Vec::new();
    for id in input.split(|c: char| c == ',' || c.is_whitespace()) {
        if id.is_empty() {
            continue;
        }
        let ok = id.len() <= 253
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !ok {
            return Err(format!(
                "{id:?} is not an authserv-id (a host name such as mx.example.com)"
            ));
        }
        let id = id.to_ascii_lowercase();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.len() > MAX_TRUSTED_AUTHSERV_IDS {
        return Err(format!(
            "at most {MAX_TRUSTED_AUTHSERV_IDS} authserv-ids can be trusted"
        ));
    }
    Ok(ids)
}

/// Parses one header value; `None` when it has no authserv-id.
pub fn parse_header(value: &str) -> Option<AuthResultsHeader> {
    let cleaned = strip_comments(value);
    let mut clauses = split_outside_quotes(&cleaned, ';').into_iter();
    let authserv_id = clauses.next()?.split_whitespace().next()?.to_string();
    let mut results = Vec::new();
    for clause in clauses {
        let mut words = split_outside_quotes(clause.trim(), ' ')
            .into_iter()
            .filter(|w| !w.is_empty());
        let Some(first) = words.next() else { continue };
        let Some((method, result)) = first.split_once('=') else {
            continue; // `none` (no results) or damage
        };
        let method = method
            .split('/')
            .next()
            .unwrap_or(method)
            .trim()
            .to_ascii_lowercase();
        let properties = words
            .filter_map(|w| w.split_once('='))
            .map(|(k, v)| {
                (
                    k.trim().to_ascii_lowercase(),
                    v.trim().trim_matches('"').to_string(),
                )
            })
            .collect();
        results.push(MethodResult {
            method,
            result: AuthResult::parse(result.trim()),
            properties,
        });
        if results.len() >= 32 {
            break;
        }
    }
    Some(AuthResultsHeader {
        authserv_id,
        results,
    })
}

/// Removes RFC 5322 comments `( … )`, nested, outside quoted strings.
fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
    for c in s.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in s.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            parts.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&s[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authserv_id_lists_are_parsed_or_refused() {
        assert_eq!(parse_authserv_ids("").unwrap(), Vec::<String>::new());
        assert_eq!(
            parse_authserv_ids(" MX.Google.com,\nmx.forwarder.test  mx.google.com ").unwrap(),
            ["mx.google.com", "mx.forwarder.test"]
        );
        assert!(parse_authserv_ids("mx.example.com; dmarc=pass").is_err());
        assert!(parse_authserv_ids("<script>").is_err());
        let many = (0..21)
            .map(|i| format!("mx{i}.test"))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(parse_authserv_ids(&many).is_err());
    }

    #[test]
    fn only_the_topmost_header_of_a_listed_authserv_id_is_trusted() {
        let raw = b"Authentication-Results: evil.test; dmarc=pass; dkim=pass header.d=bank.test\r\n\
            Authentication-Results: mx.forwarder.test; spf=fail smtp.mailfrom=bank.test; dmarc=fail\r\n\
            Authentication-Results: mx.forwarder.test; dmarc=pass\r\n\
            From: a@bank.test\r\n\r\nhi";
        let view = MailView::parse(raw);
        assert_eq!(
            AuthSummary::from_trusted(&view, &[]),
            AuthSummary::default()
        );
        let none = ["other.test".to_string()];
        assert_eq!(
            AuthSummary::from_trusted(&view, &none),
            AuthSummary::default()
        );
        let s = AuthSummary::from_trusted(&view, &["MX.Forwarder.test".to_string()]);
        assert_eq!(s.dmarc, Some(AuthResult::Fail));
        assert_eq!(s.spf, Some(AuthResult::Fail));
        assert!(s.dkim_pass_domains.is_empty());
    }

    #[test]
    fn parses_the_rfc_8601_appendix_example() {
        // RFC 8601 Appendix B.4-style header with comments and several methods.
        let h = parse_header(
            "mail-router.example.net; dkim=pass (good signature) header.d=newyork.example.com \
             header.b=oINEO8hg; spf=softfail (sender not permitted) smtp.mailfrom=bob@example.org; \
             dmarc=fail header.from=example.com",
        )
        .unwrap();
        assert_eq!(h.authserv_id, "mail-router.example.net");
        assert_eq!(h.results.len(), 3);
        assert_eq!(h.results[0].method, "dkim");
        assert_eq!(h.results[0].result, Some(AuthResult::Pass));
        assert_eq!(
            h.results[0].property("header.d"),
            Some("newyork.example.com")
        );
        assert_eq!(h.results[1].result, Some(AuthResult::SoftFail));
        assert_eq!(h.results[2].result, Some(AuthResult::Fail));
    }

    #[test]
    fn none_and_damaged_headers_do_not_panic() {
        assert_eq!(parse_header("example.net; none").unwrap().results, vec![]);
        assert_eq!(parse_header(""), None);
        for s in [
            ";;;",
            "x; =",
            "x; spf=",
            "((((",
            "x; dkim=pass header.d=\"unterminated",
        ] {
            let _ = parse_header(s);
        }
    }

    #[test]
    fn only_the_topmost_header_is_trusted_by_default() {
        let raw = "Authentication-Results: mx.example.net; spf=fail smtp.mailfrom=a@x.example\r\n\
                   Authentication-Results: forged.example; spf=pass; dkim=pass header.d=x.example; dmarc=pass\r\n\
                   From: a@x.example\r\n\r\nbody";
        let view = MailView::parse(raw.as_bytes());
        let s = AuthSummary::from_view(&view, None);
        assert_eq!(s.spf, Some(AuthResult::Fail));
        assert_eq!(s.dkim, None);
        assert_eq!(s.dmarc, None);
        let s = AuthSummary::from_view(&view, Some("forged.example"));
        assert_eq!(s.dmarc, Some(AuthResult::Pass));
    }

    #[test]
    fn alignment_accepts_parent_domains_only() {
        let s = AuthSummary {
            dkim: Some(AuthResult::Pass),
            dkim_pass_domains: vec!["example.com".into()],
            ..Default::default()
        };
        assert!(s.aligned_pass("mail.example.com"));
        assert!(s.aligned_pass("example.com"));
        assert!(!s.aligned_pass("badexample.com"));
    }
}
