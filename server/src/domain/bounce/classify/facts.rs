//! What every reader needs from one parsed message, gathered in one pass over its parts,
//! and the text helpers the readers share (white space, HTML, header lines).

use crate::domain::bounce::text_patterns::strip_prefix_ci;
use crate::domain::bounce::{dsn, text_patterns};
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

/// Headers whose addresses belong to the notice itself (its author, the bounced sender …):
/// never a failed recipient.
const OWN_ADDRESS_HEADERS: &[&str] = &[
    "from",
    "to",
    "cc",
    "reply-to",
    "return-path",
    "sender",
    "errors-to",
];

/// What the readers need from one parsed message.
#[derive(Default)]
pub(super) struct Facts {
    pub(super) subject: Option<String>,
    pub(super) from_raw: String,
    pub(super) from_address: Option<String>,
    pub(super) own_addresses: Vec<String>,
    pub(super) header_pairs: Vec<(String, String)>,
    pub(super) x_failed_recipients: Vec<String>,
    pub(super) report_type: Option<String>,
    pub(super) delivery_status: Vec<String>,
    pub(super) feedback_report: Option<String>,
    /// Text of the notice's own text parts (not of the quoted original).
    pub(super) body: String,
    pub(super) original_message_id: Option<String>,
    pub(super) original_to: Vec<String>,
    pub(super) has_original_part: bool,
    /// Byte ranges (in the raw message) of attached `message/rfc822` parts: a bounce of a
    /// bounce carries the real notice there.
    pub(super) attached_messages: Vec<(usize, usize)>,
}

/// Runs of white space (line breaks of folded text included) become one space, so phrases
/// match across the places MTAs wrap their lines.
/// [`collapse_ws`] and ASCII lower-casing in one copy.
pub(super) fn collapse_lower(s: &str) -> String {
    let mut out = collapse_ws(s);
    out.make_ascii_lowercase();
    out
}

pub(super) fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_ascii_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

static CONTINUATION: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\s[245]\d\d[- ][245]\.\d{1,3}\.\d{1,3}\s").expect("static regex")
});

/// Multi-line SMTP replies folded into one line repeat `550-5.7.1` on every line: keep the
/// first, drop the rest, so phrases read through.
pub(super) fn strip_continuations(s: &str) -> String {
    if !s.contains('-') && !s.contains(". ") {
        return s.to_string();
    }
    CONTINUATION.replace_all(s, " ").into_owned()
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A part's body as text: borrowed when mail-parser already decoded it (checking it as UTF-8
/// again would cost more than the rules that read it), read lossily when it is bytes.
fn part_text<'a>(body: &'a PartType<'_>) -> std::borrow::Cow<'a, str> {
    match body {
        PartType::Text(t) | PartType::Html(t) => std::borrow::Cow::Borrowed(t.as_ref()),
        PartType::Binary(b) | PartType::InlineBinary(b) => String::from_utf8_lossy(b),
        _ => std::borrow::Cow::Borrowed(""),
    }
}

/// Crude but safe HTML to text: drop tags, decode the few entities bounces use.
fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    if !out.contains('&') {
        return out;
    }
    decode_entities(&out)
}

/// The named entities notices use and every numeric one (`&#39;`, `&#x27;`: how many HTML
/// generators write an apostrophe, as in "couldn't"); anything else is kept as written.
fn decode_entities(s: &str) -> String {
    const NAMED: &[(&str, char)] = &[
        ("lt", '<'),
        ("gt", '>'),
        ("amp", '&'),
        ("nbsp", ' '),
        ("quot", '"'),
        ("apos", '\''),
    ];
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let entity = rest[1..]
            .find(';')
            .filter(|&n| (1..=8).contains(&n))
            .and_then(|n| {
                let name = &rest[1..1 + n];
                let c = match name.strip_prefix('#') {
                    Some(num) => match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => num.parse::<u32>().ok(),
                    }
                    .and_then(char::from_u32),
                    None => NAMED.iter().find(|(k, _)| *k == name).map(|(_, c)| *c),
                };
                c.map(|c| (c, n + 2))
            });
        match entity {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn header_message_id(text: &str) -> Option<String> {
    for line in text.lines() {
        if let Some(rest) = strip_prefix_ci(line.trim_start(), "message-id:") {
            let v = rest
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .trim();
            if !v.is_empty() && v.contains('@') {
                return Some(v.to_string());
            }
        }
    }
    None
}

fn header_to(text: &str) -> Vec<String> {
    for line in text.lines() {
        if let Some(rest) = strip_prefix_ci(line.trim_start(), "to:") {
            return text_patterns::addresses(rest);
        }
    }
    Vec::new()
}

impl Facts {
    pub(super) fn gather(msg: &Message<'_>) -> Facts {
        let mut f = Facts {
            subject: msg.subject().map(|s| s.trim().to_string()),
            ..Default::default()
        };
        for (name, value) in msg.headers_raw() {
            let is = |h: &str| name.eq_ignore_ascii_case(h);
            if OWN_ADDRESS_HEADERS.iter().any(|h| is(h)) {
                for a in text_patterns::addresses(value) {
                    if !f.own_addresses.contains(&a) {
                        f.own_addresses.push(a);
                    }
                }
            }
            if is("from") {
                f.from_raw = value.trim().to_string();
                f.from_address = text_patterns::normalise_address(value);
            }
            if is("x-failed-recipients") {
                for a in text_patterns::addresses(value) {
                    if !f.x_failed_recipients.contains(&a) {
                        f.x_failed_recipients.push(a);
                    }
                }
            }
            // Only the raw headers some reader asks for (auto-reply, JMRP, fml …); copying
            // every Received and DKIM header would cost more than the rules.
            if f.header_pairs.len() < 200 && RAW_HEADERS.iter().any(|h| is(h)) {
                f.header_pairs.push((name.to_string(), value.to_string()));
            }
        }
        f.report_type = msg
            .content_type()
            .and_then(|ct| ct.attribute("report-type"))
            .map(|s| s.to_ascii_lowercase());

        let mut html: Vec<std::borrow::Cow<'_, str>> = Vec::new();
        // HTML parts that a plain-text part stands beside in a multipart/alternative.
        let mut has_plain_twin = vec![false; msg.parts.len()];
        for part in &msg.parts {
            let PartType::Multipart(children) = &part.body else {
                continue;
            };
            let alternative = part.content_type().is_some_and(|ct| {
                ct.subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("alternative"))
            });
            let plain = |id: &u32| {
                msg.parts.get(*id as usize).is_some_and(|p| {
                    matches!(p.body, PartType::Text(_))
                        && p.content_type().is_none_or(|ct| {
                            ct.subtype().is_none_or(|s| s.eq_ignore_ascii_case("plain"))
                        })
                })
            };
            if alternative && children.iter().any(plain) {
                for id in children {
                    if let Some(t) = has_plain_twin.get_mut(*id as usize) {
                        *t = true;
                    }
                }
            }
        }
        for (index, part) in msg.parts.iter().enumerate() {
            let (ctype, subtype) = match part.content_type() {
                Some(ct) => (
                    ct.ctype().to_ascii_lowercase(),
                    ct.subtype()
                        .map(|s| s.to_ascii_lowercase())
                        .unwrap_or_default(),
                ),
                None => (String::from("text"), String::from("plain")),
            };
            let kind = (ctype.as_str(), subtype.as_str());
            match &part.body {
                PartType::Message(m) => {
                    f.has_original_part = true;
                    if f.attached_messages.len() < 2 {
                        f.attached_messages
                            .push((part.offset_body as usize, part.offset_end as usize));
                    }
                    if f.original_message_id.is_none() {
                        f.original_message_id = m.message_id().map(str::to_string);
                    }
                    if let Some(v) = m.header_raw("X-HmXmrOriginalRecipient") {
                        f.header_pairs
                            .push(("X-HmXmrOriginalRecipient".into(), v.to_string()));
                    }
                    if f.original_to.is_empty() {
                        if let Some(to) = m.to() {
                            f.original_to = to
                                .iter()
                                .filter_map(|a| a.address())
                                .filter(|a| a.contains('@'))
                                .map(str::to_lowercase)
                                .collect();
                        }
                    }
                }
                PartType::Multipart(_) => {}
                body => {
                    let bytes: &[u8] = match body {
                        PartType::Text(t) | PartType::Html(t) => t.as_bytes(),
                        PartType::Binary(b) | PartType::InlineBinary(b) => b,
                        _ => &[],
                    };
                    match kind {
                        ("message", "delivery-status") | ("message", "global-delivery-status") => {
                            let t = part_text(body);
                            // A part labelled delivery-status that holds no RFC 3464 field
                            // is the notice's prose under the wrong label: read it as text.
                            if dsn::has_fields(&t) {
                                f.delivery_status.push(t.into_owned());
                            } else if f.body.len() < 400_000 {
                                f.body.push_str(&t);
                                f.body.push('\n');
                            }
                        }
                        ("message", "feedback-report") => {
                            f.feedback_report = Some(part_text(body).into_owned())
                        }
                        ("text", "rfc822-headers") | ("message", "rfc822-headers") => {
                            f.has_original_part = true;
                            let t = part_text(body);
                            if f.original_message_id.is_none() {
                                f.original_message_id = header_message_id(&t);
                            }
                            if f.original_to.is_empty() {
                                f.original_to = header_to(&t);
                            }
                        }
                        ("message", "rfc822") | ("message", "global") => {
                            // Not parsed as a message (damaged): headers only, so the
                            // first 32 KiB are plenty.
                            f.has_original_part = true;
                            let t = lossy(&bytes[..bytes.len().min(32 * 1024)]);
                            if f.original_message_id.is_none() {
                                f.original_message_id = header_message_id(&t);
                            }
                        }
                        // The notice's own words in HTML (no plain twin, before any
                        // report or original part): read in place, as text would be.
                        ("text", "html")
                            if !has_plain_twin[index]
                                && !f.has_original_part
                                && f.delivery_status.is_empty()
                                && f.feedback_report.is_none()
                                && f.body.len() < 400_000 =>
                        {
                            f.body.push_str(&html_to_text(&part_text(body)));
                            f.body.push('\n');
                        }
                        // Any other HTML: converted only if there is no plain text at all.
                        ("text", "html") => html.push(part_text(body)),
                        // A multipart whose boundary mail-parser could not find arrives as
                        // text: read it as text rather than lose it.
                        ("text", _) | ("multipart", _) if f.body.len() < 400_000 => {
                            f.body.push_str(&part_text(body));
                            f.body.push('\n');
                        }
                        _ => {}
                    }
                }
            }
        }
        if f.body.trim().is_empty() {
            for h in html {
                if f.body.len() < 200_000 {
                    f.body.push_str(&html_to_text(&h));
                    f.body.push('\n');
                }
            }
        }
        if f.body.trim().is_empty() && f.delivery_status.is_empty() {
            // No readable part at all (broken MIME): the raw body is better than nothing.
            let raw = msg.raw_message();
            let start = msg
                .parts
                .first()
                .map(|p| p.offset_body as usize)
                .unwrap_or(0);
            if let Some(b) = raw.get(start..) {
                f.body = lossy(&b[..b.len().min(400_000)]);
            }
        }
        f
    }
}

/// Headers read as raw text (besides MIME, address, Message-ID and Subject headers).
const RAW_HEADERS: &[&str] = &[
    "Return-Path",
    "Errors-To",
    "X-Failed-Recipients",
    "Auto-Submitted",
    "X-Autoreply",
    "X-Autorespond",
    "X-Autoresponder",
    "X-Mailautoreply",
    "Precedence",
    "X-HmXmrOriginalRecipient",
    "X-MLServer",
];

/// Only the headers we read are kept: MIME, addresses, Message-ID and Subject parsed, a few
/// raw, the rest (Received, DKIM-Signature, ARC …) skipped. Parsing those costs more than
/// all our rules together.
pub(super) static PARSER: std::sync::LazyLock<MessageParser> = std::sync::LazyLock::new(|| {
    RAW_HEADERS.iter().fold(
        MessageParser::new()
            .with_mime_headers()
            .with_address_headers()
            .header_id(mail_parser::HeaderName::MessageId)
            .header_text(mail_parser::HeaderName::Subject)
            .default_header_ignore(),
        |p, h| p.header_raw(*h),
    )
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_text_decodes_named_and_numeric_entities() {
        assert_eq!(
            html_to_text("<p>the address couldn&#39;t be found &lt;a@b&gt;</p>"),
            " the address couldn't be found <a@b> "
        );
        assert_eq!(
            decode_entities("doesn&#x27;t &amp;lt; &apos;"),
            "doesn't &lt; '"
        );
        // Not entities: kept as written, never a panic.
        for s in [
            "AT&T",
            "a & b",
            "&#;",
            "&#xZZ;",
            "&#99999999;",
            "&unknown;",
            "&",
            "&#",
        ] {
            assert_eq!(decode_entities(s), s, "{s}");
        }
    }
}
