//! RFC 3464 `message/delivery-status` (and RFC 6533 `message/global-delivery-status`):
//! per-message fields, then one block of per-recipient fields each (§2.2, §2.3).

use crate::domain::bounce::status::{find_reply_code, EnhancedStatus};
use crate::domain::bounce::text_patterns::normalise_address;

/// One per-recipient block, as written (values unfolded and trimmed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecipientFields {
    /// `Final-Recipient` (or `Original-Recipient` when the final one is missing), lower-cased.
    pub recipient: Option<String>,
    /// `Action:` lower-cased: failed, delayed, delivered, relayed, expanded.
    pub action: Option<String>,
    pub status: Option<EnhancedStatus>,
    /// The type of the `Diagnostic-Code` (`smtp`, `x-unix`, `x-postfix` …), lower-cased.
    pub diagnostic_type: Option<String>,
    pub diagnostic: Option<String>,
    pub reply_code: Option<u16>,
    pub remote_mta: Option<String>,
    /// The comment after the `Status:` code (RFC 3464 §2.3.4 allows one, as any structured
    /// field does): `Status: 4.0.0 (host name lookup failure)`. The reporting MTA's own words
    /// for the failure, read when there is no `Diagnostic-Code`.
    pub status_comment: Option<String>,
}

/// Per-message fields and the recipient blocks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeliveryStatus {
    pub reporting_mta: Option<String>,
    pub recipients: Vec<RecipientFields>,
}

/// The text of a parenthesised comment after a status code (`5.0.0 (permanent failure)`),
/// when it has words.
fn status_comment(value: &str) -> Option<String> {
    let open = value.find('(')?;
    let close = value.rfind(')').filter(|&c| c > open)?;
    let inner = value[open + 1..close].trim();
    inner
        .bytes()
        .any(|b| b.is_ascii_alphabetic())
        .then(|| inner.to_string())
}

/// `Name: value` when `line` starts a field (a name of letters, digits, `-` and `_`).
fn field_line(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once(':')?;
    let name = name.trim();
    (!name.is_empty()
        && name.len() < 40
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then_some((name, value))
}

/// Unfolds RFC 5322 header-style lines: `(name lower-cased, value)`; continuation lines
/// (leading white space) join the previous value with one space.
pub fn fields(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            // A blank line separates blocks; keep a marker so callers can split.
            out.push((String::new(), String::new()));
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                if !last.0.is_empty() {
                    last.1.push(' ');
                    last.1.push_str(line.trim());
                }
            }
            continue;
        }
        if let Some((name, value)) = field_line(line) {
            out.push((name.to_ascii_lowercase(), value.trim().to_string()));
            continue;
        }
        // Not a field: a stray line of text. It ends any field being continued; its words
        // are not needed.
        out.push((String::from("#text"), String::new()));
    }
    out
}

/// Strips an RFC 3464 `type;` prefix (`rfc822; a@b`, `smtp; 550 …`), returning
/// `(type lower-cased, rest)`.
pub fn split_typed(value: &str) -> (Option<String>, &str) {
    if let Some((t, rest)) = value.split_once(';') {
        let t = t.trim();
        if !t.is_empty() && t.len() <= 20 && !t.contains(' ') && !t.contains('@') {
            return (Some(t.to_ascii_lowercase()), rest.trim());
        }
    }
    (None, value.trim())
}

static WRAPPED_REPLY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"^[245]\.\d{1,3}\.\d{1,3} - [^']{0,80}?\b([245]\d\d)[ -]'(.*)'")
        .expect("static regex")
});

/// A relay that wraps the remote server's reply in its own summary (Amazon SES:
/// `5.1.0 - Unknown address error 550-'5.7.1 <…> Access denied' (delivery attempts: 0)`):
/// the quoted reply is the receiver's own answer, and what the reason is read from.
fn quoted_reply(diagnostic: &str) -> Option<String> {
    let c = WRAPPED_REPLY.captures(diagnostic.trim())?;
    Some(format!("{} {}", c.get(1)?.as_str(), c.get(2)?.as_str()))
}

/// Whether `text` holds any of the RFC 3464 fields [`parse`] reads: a part labelled
/// delivery-status without one is prose under the wrong label.
/// Called on every delivery-status part before [`parse`], so it stops at the first field
/// and copies nothing.
pub fn has_fields(text: &str) -> bool {
    const NAMES: &[&str] = &[
        "reporting-mta",
        "final-recipient",
        "original-recipient",
        "action",
        "status",
        "diagnostic-code",
        "remote-mta",
        "arrival-date",
        "received-from-mta",
    ];
    text.lines()
        .filter(|l| !l.starts_with([' ', '\t']))
        .filter_map(field_line)
        .any(|(name, _)| NAMES.iter().any(|n| name.eq_ignore_ascii_case(n)))
}

/// Parses a delivery-status body. Tolerant: blocks without blank lines between them, fields
/// in any order, missing `Final-Recipient` (then `Original-Recipient`, then
/// `X-Actual-Recipient`).
pub fn parse(text: &str) -> DeliveryStatus {
    let mut ds = DeliveryStatus::default();
    let mut cur = RecipientFields::default();
    let mut cur_has_data = false;
    let mut original: Option<String> = None;
    let mut status_words: Option<String> = None;
    let flush = |ds: &mut DeliveryStatus,
                 cur: &mut RecipientFields,
                 has: &mut bool,
                 original: &mut Option<String>,
                 status_words: &mut Option<String>| {
        if *has {
            if cur.recipient.is_none() {
                cur.recipient = original.take();
            }
            if cur.diagnostic.is_none() {
                if let Some(words) = status_words.take() {
                    cur.reply_code = find_reply_code(&words);
                    cur.diagnostic = Some(words);
                }
            }
            ds.recipients.push(std::mem::take(cur));
        }
        *has = false;
        *original = None;
        *status_words = None;
    };
    for (name, value) in fields(text) {
        match name.as_str() {
            "final-recipient" => {
                if cur.recipient.is_some() {
                    flush(
                        &mut ds,
                        &mut cur,
                        &mut cur_has_data,
                        &mut original,
                        &mut status_words,
                    );
                }
                let (_, v) = split_typed(&value);
                cur.recipient = normalise_address(v);
                cur_has_data = true;
            }
            "original-recipient" | "x-actual-recipient" => {
                let (_, v) = split_typed(&value);
                if let Some(a) = normalise_address(v) {
                    if cur.recipient.is_some() && (cur.status.is_some() || cur.diagnostic.is_some())
                    {
                        // A new block starting with Original-Recipient.
                        flush(
                            &mut ds,
                            &mut cur,
                            &mut cur_has_data,
                            &mut original,
                            &mut status_words,
                        );
                    }
                    if original.is_none() {
                        original = Some(a);
                    }
                    cur_has_data = true;
                }
            }
            "action" => {
                if cur.action.is_some() && cur.recipient.is_some() {
                    flush(
                        &mut ds,
                        &mut cur,
                        &mut cur_has_data,
                        &mut original,
                        &mut status_words,
                    );
                }
                cur.action = Some(value.trim().to_ascii_lowercase());
                cur_has_data = true;
            }
            "status" => {
                cur.status = EnhancedStatus::find(&value);
                // Some MTAs write an SMTP reply instead of an RFC 3463 code
                // (`Status: 553 Exceeded maximum inbound message size`): its words are the
                // only diagnostic there is.
                if cur.status.is_none() && value.bytes().any(|b| b.is_ascii_alphabetic()) {
                    status_words = Some(value.trim().to_string());
                }
                cur.status_comment = cur.status.and_then(|_| status_comment(&value));
                cur_has_data = true;
            }
            "remote-mta" => {
                let (_, v) = split_typed(&value);
                if !v.is_empty() {
                    cur.remote_mta = Some(v.to_string());
                }
            }
            "diagnostic-code" => {
                let (t, v) = split_typed(&value);
                let quoted = quoted_reply(v);
                let v = quoted.as_deref().unwrap_or(v);
                cur.diagnostic_type = t;
                if !v.is_empty() {
                    cur.reply_code = find_reply_code(v);
                    cur.diagnostic = Some(v.to_string());
                }
                cur_has_data = true;
            }
            // RFC 3464 §2.1: a blank line ends a block.
            "" if cur.recipient.is_some() || original.is_some() => {
                flush(
                    &mut ds,
                    &mut cur,
                    &mut cur_has_data,
                    &mut original,
                    &mut status_words,
                );
            }
            "reporting-mta" => {
                let (_, v) = split_typed(&value);
                if ds.reporting_mta.is_none() && !v.is_empty() {
                    ds.reporting_mta = Some(v.to_string());
                }
            }
            _ => {}
        }
    }
    flush(
        &mut ds,
        &mut cur,
        &mut cur_has_data,
        &mut original,
        &mut status_words,
    );
    ds.recipients
        .retain(|r| r.recipient.is_some() || r.status.is_some() || r.diagnostic.is_some());
    ds
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = "Reporting-MTA: dns; mx.example.net\r\nArrival-Date: today\r\n\r\nFinal-Recipient: rfc822; Alice@Example.COM\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx.example.com\r\nDiagnostic-Code: smtp; 550 5.1.1 <alice@example.com>:\r\n    Recipient address rejected: User unknown\r\n\r\nFinal-Recipient: rfc822; bob@example.org\r\nAction: delayed\r\nStatus: 4.4.7\r\n";

    #[test]
    fn each_recipient_block_is_read_with_folded_diagnostics() {
        let ds = parse(TWO);
        assert_eq!(ds.reporting_mta.as_deref(), Some("mx.example.net"));
        assert_eq!(ds.recipients.len(), 2);
        let a = &ds.recipients[0];
        assert_eq!(a.recipient.as_deref(), Some("alice@example.com"));
        assert_eq!(a.status.unwrap().to_string(), "5.1.1");
        assert_eq!(a.reply_code, Some(550));
        assert!(a.diagnostic.as_deref().unwrap().ends_with("User unknown"));
        assert_eq!(ds.recipients[1].action.as_deref(), Some("delayed"));
    }

    #[test]
    fn a_relays_summary_gives_way_to_the_reply_it_quotes() {
        let ds = parse("Final-Recipient: rfc822; a@x.example\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: smtp; 5.1.0 - Unknown address error 550-'5.7.1 <m@x.example>... Access denied' (delivery attempts: 0)\n");
        let r = &ds.recipients[0];
        assert_eq!(
            r.diagnostic.as_deref(),
            Some("550 5.7.1 <m@x.example>... Access denied")
        );
        assert_eq!(r.reply_code, Some(550));
        assert_eq!(quoted_reply("550 5.1.1 user unknown"), None);
    }

    #[test]
    fn the_comment_after_a_status_code_is_kept_as_the_mtas_words() {
        let ds = parse(
            "Final-Recipient: rfc822; a@example.net\nAction: delayed\nStatus: 4.0.0 (example.net: host name lookup failure)\n\nFinal-Recipient: rfc822; b@example.net\nAction: failed\nStatus: 5.0.0\n",
        );
        assert_eq!(
            ds.recipients[0].status_comment.as_deref(),
            Some("example.net: host name lookup failure")
        );
        assert_eq!(ds.recipients[1].status_comment, None);
        assert_eq!(status_comment("5.0.0 ( )"), None);
    }

    #[test]
    fn blocks_without_blank_lines_are_still_split() {
        let ds = parse("Final-Recipient: rfc822; a@x.example\nAction: failed\nStatus: 5.0.0\nFinal-Recipient: rfc822; b@x.example\nAction: failed\nStatus: 5.2.2\n");
        assert_eq!(ds.recipients.len(), 2);
        assert_eq!(ds.recipients[1].recipient.as_deref(), Some("b@x.example"));
    }
}
