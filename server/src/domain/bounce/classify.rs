//! The raw-message path: parse once with mail-parser, gather the facts every reader needs,
//! then try the readers from the most to the least structured, and decide each recipient's
//! reason from its status code and words.

use crate::domain::bounce::phrases::{self, Matches};
use crate::domain::bounce::reason::Reason;
use crate::domain::bounce::rhost::{self, ProviderSays};
use crate::domain::bounce::status::{find_reply_code, EnhancedStatus};
use crate::domain::bounce::text_patterns::{self, Command};
use crate::domain::bounce::{arf, auto_reply, dsn, Classification, Evidence, Verdict};
use crate::domain::category::Category;
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
struct Facts {
    subject: Option<String>,
    from_raw: String,
    from_address: Option<String>,
    own_addresses: Vec<String>,
    header_pairs: Vec<(String, String)>,
    x_failed_recipients: Vec<String>,
    report_type: Option<String>,
    delivery_status: Vec<String>,
    feedback_report: Option<String>,
    /// Text of the notice's own text parts (not of the quoted original).
    body: String,
    original_message_id: Option<String>,
    original_to: Vec<String>,
    has_original_part: bool,
    /// Byte ranges (in the raw message) of attached `message/rfc822` parts: a bounce of a
    /// bounce carries the real notice there.
    attached_messages: Vec<(usize, usize)>,
}

/// Runs of white space (line breaks of folded text included) become one space, so phrases
/// match across the places MTAs wrap their lines.
/// [`collapse_ws`] and ASCII lower-casing in one copy.
fn collapse_lower(s: &str) -> String {
    let mut out = collapse_ws(s);
    out.make_ascii_lowercase();
    out
}

fn collapse_ws(s: &str) -> String {
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
fn strip_continuations(s: &str) -> String {
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
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .replace("&nbsp;", " ")
        .replace("&quot;", "\"")
}

/// `line` without a leading header name (`prefix`, ASCII, any case), if it has one.
fn strip_prefix_ci<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let head = line.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &line[prefix.len()..])
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
    fn gather(msg: &Message<'_>) -> Facts {
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
        for part in &msg.parts {
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
                            f.delivery_status.push(part_text(body).into_owned())
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
                        // Converted only if there is no plain text at all.
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

/// One failed (or delivered) recipient as a reader saw it, before the reason is decided.
#[derive(Debug, Default)]
struct Finding {
    recipient: Option<String>,
    action: Option<String>,
    status: Option<EnhancedStatus>,
    reply_code: Option<u16>,
    diagnostic: Option<String>,
    diagnostic_type: Option<String>,
    remote_mta: Option<String>,
    /// Lower-cased diagnostic: read first.
    diag_lower: String,
    /// Lower-cased words about this recipient (diagnostic and nearby text): read when the
    /// diagnostic alone says nothing we know.
    context: String,
    /// The SMTP command the failure answered, when the notice says.
    command: Option<Command>,
    /// Lower-cased text about this recipient (with the line before, a transcript's
    /// `>>> COMMAND`) to read the command from when `command` is `None` and a rule needs it:
    /// searched lazily, as most reasons never ask.
    command_text: Vec<String>,
    /// No command in the recipient's own words, but the notice's text (a transcript) may
    /// tell it: only one recipient, so it is about this one. Read lazily (it costs a pass).
    body_command: bool,
    /// Where the reader looked: `dsn` or `text`.
    origin: &'static str,
    source: String,
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
static PARSER: std::sync::LazyLock<MessageParser> = std::sync::LazyLock::new(|| {
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

pub(super) fn classify(raw: &[u8]) -> Classification {
    classify_at_depth(raw, 0)
}

/// A full notice pasted into a text body: from the header block that declares a
/// `multipart/report` (or carries a delivery-status) to the end.
fn embedded_notice(body: &str) -> Option<&str> {
    let lower_pos = memchr::memmem::find(body.as_bytes(), b"multipart/report")
        .or_else(|| memchr::memmem::find(body.as_bytes(), b"message/delivery-status"))?;
    let before = &body[..lower_pos];
    let start = before.rfind("\n\n").map(|i| i + 2).unwrap_or(0);
    body.get(start..)
}

/// A verdict that says something: about an address, for a reason we could read.
fn productive(v: &Verdict) -> bool {
    v.recipient.is_some() && !matches!(v.reason, Reason::Undefined | Reason::OnHold | Reason::None)
}

fn classify_at_depth(raw: &[u8], depth: u8) -> Classification {
    // An mbox `From ` separator line is not a header; skip it.
    let raw = if raw.starts_with(b"From ") {
        match memchr::memchr(b'\n', raw) {
            Some(i) => &raw[i + 1..],
            None => raw,
        }
    } else {
        raw
    };
    // mail-parser 0.11 panics on some malformed nested multiparts ("Invalid part ID", found
    // by cargo-fuzz): such input is unreadable, not a crash.
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| PARSER.parse(raw)))
        .ok()
        .flatten();
    let Some(msg) = parsed else {
        return Classification {
            verdicts: vec![Verdict::new(
                Reason::None,
                "mime.no-header",
                "no RFC 5322 header",
            )],
            original_message_id: None,
            subject: None,
        };
    };
    let facts = Facts::gather(&msg);
    let mut verdicts = read(&facts);
    let unread = verdicts
        .iter()
        .all(|v| v.recipient.is_none() || matches!(v.reason, Reason::Undefined | Reason::None));
    if depth == 0 && unread {
        // A notice forwarded or bounced again: the real one is attached, or pasted into
        // the text. Read it once (no deeper).
        let whole = msg.raw_message();
        let mut inner: Vec<&[u8]> = facts
            .attached_messages
            .iter()
            .filter_map(|&(s, e)| whole.get(s..e))
            .collect();
        if let Some(embedded) = embedded_notice(&facts.body) {
            inner.push(embedded.as_bytes());
        }
        for bytes in inner {
            let c = classify_at_depth(bytes, depth + 1);
            // Only a real notice inside counts (an attached original is not one).
            if c.verdicts.iter().any(productive)
                && c.verdicts.iter().all(|v| {
                    v.evidence.rule.starts_with("dsn.") || v.evidence.rule.starts_with("text.")
                })
            {
                verdicts = c
                    .verdicts
                    .into_iter()
                    .map(|mut v| {
                        v.evidence.rule = format!("nested.{}", v.evidence.rule);
                        v
                    })
                    .collect();
                break;
            }
        }
    }
    Classification {
        verdicts,
        original_message_id: facts.original_message_id.clone(),
        subject: facts.subject.clone(),
    }
}

fn read(f: &Facts) -> Vec<Verdict> {
    if let Some(v) = read_feedback(f) {
        return v;
    }
    // Lower-case once; ASCII lower-casing keeps byte offsets, so the cut applies to both.
    let lower_all = f.body.to_ascii_lowercase();
    let cut = text_patterns::cut_original_at(&lower_all);
    let bounce_text = &f.body[..cut];
    let body_lower = collapse_ws(&lower_all[..cut]);
    let lines: Vec<&str> = bounce_text.lines().collect();
    let mut findings = Vec::new();
    for ds in &f.delivery_status {
        findings.extend(from_dsn(dsn::parse(ds), f, &lines));
    }
    if findings.is_empty()
        && (body_lower.contains("final-recipient:") || body_lower.contains("original-recipient:"))
    {
        // A delivery-status block pasted into a text part.
        findings.extend(from_dsn(dsn::parse(bounce_text), f, &lines));
    }
    let from_system = text_patterns::system_sender(&f.from_raw);
    let subject_says = f
        .subject
        .as_deref()
        .map(text_patterns::bounce_subject)
        .unwrap_or(false);
    let structural =
        !f.x_failed_recipients.is_empty() || f.report_type.as_deref() == Some("delivery-status");
    if findings.is_empty() {
        if let Some(v) = read_embedded_ses(f) {
            return v;
        }
        let auto = auto_reply::detect(
            f.header_pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            f.subject.as_deref(),
        );
        if let Some(v) = read_opt_out(f) {
            return vec![v];
        }
        if let Some((rule, source)) = auto {
            if !from_system && !subject_says && !structural {
                return vec![read_auto_reply(f, &body_lower, rule, source)];
            }
        }
        if from_system || subject_says || structural {
            findings = from_text(f, &lines, bounce_text);
        }
        if findings.is_empty() {
            if let Some(v) = read_fml(f, bounce_text) {
                return v;
            }
        }
    }
    if findings.is_empty() {
        let mut v = Verdict::new(
            Reason::None,
            "none",
            "no delivery-status, feedback report, auto-reply or bounce wording",
        );
        v.category = Category::NotBounce;
        return vec![v];
    }
    // When a text reader found nothing telling at all, a subject alone does not make a bounce.
    if findings.iter().all(|x| x.origin == "text")
        && !from_system
        && !structural
        && findings
            .iter()
            .all(|x| x.status.is_none() && x.reply_code.is_none())
        && phrases::scan(&body_lower).0.is_empty()
    {
        let mut v = Verdict::new(
            Reason::None,
            "none",
            "bounce-like subject but no failure in the text",
        );
        v.category = Category::NotBounce;
        return vec![v];
    }
    findings
        .into_iter()
        .map(|x| decide(x, &body_lower, f))
        .collect()
}

fn read_feedback(f: &Facts) -> Option<Vec<Verdict>> {
    let jmrp = f
        .header_pairs
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-hmxmroriginalrecipient"));
    let report = match (&f.feedback_report, f.report_type.as_deref()) {
        (Some(text), _) => arf::parse(text),
        (None, Some("feedback-report")) => arf::FeedbackReport::default(),
        _ => {
            let (_, v) = jmrp?;
            // Hotmail JMRP: the original recipient is in this header of the outer message
            // (or of the attached original).
            let mut v = Verdict::new(
                Reason::Feedback,
                "jmrp.x-hmxmroriginalrecipient",
                format!("X-HmXmrOriginalRecipient: {}", v.trim()),
            );
            v.recipient =
                text_patterns::normalise_address(jmrp.map(|(_, v)| v.as_str()).unwrap_or(""))
                    .or_else(|| f.original_to.first().cloned());
            v.feedback_type = Some("abuse".into());
            v.original_message_id = f.original_message_id.clone();
            v.category = Category::SpamComplaintManual;
            return Some(vec![v]);
        }
    };
    let ft = report.feedback_type.clone();
    let category = arf::category_for(ft.as_deref());
    let source = format!("Feedback-Type: {}", ft.as_deref().unwrap_or("(missing)"));
    let mut recipients = report.original_rcpt_to.clone();
    let mut rule = "arf.original-rcpt-to";
    if recipients.is_empty() {
        recipients = report.removal_recipient.clone();
        rule = "arf.removal-recipient";
    }
    if recipients.is_empty() {
        recipients = f.original_to.clone();
        rule = "arf.original-to";
    }
    if recipients.is_empty() {
        // Some reporters redact the original; the report still counts, with no address.
        recipients.push(String::new());
        rule = "arf.feedback-type";
    }
    Some(
        recipients
            .into_iter()
            .map(|r| {
                let mut v = Verdict::new(Reason::Feedback, rule, source.clone());
                v.category = category;
                v.recipient = (!r.is_empty()).then_some(r);
                v.feedback_type = ft.clone();
                v.original_message_id = f.original_message_id.clone();
                v.diagnostic = report.user_agent.clone();
                v
            })
            .collect(),
    )
}

/// Amazon SES notifications mailed as JSON (an SNS e-mail subscription): read them with the
/// SES webhook reader.
fn read_embedded_ses(f: &Facts) -> Option<Vec<Verdict>> {
    if !f.body.contains("notificationType") && !f.body.contains("eventType") {
        return None;
    }
    let start = f.body.find('{')?;
    let end = f.body.rfind('}')?;
    let json = f.body.get(start..=end)?;
    let value: serde_json::Value = match serde_json::from_str(json) {
        Ok(v) => v,
        // Mail transports fold lines over 998 octets with "!" and a line break (Amazon's
        // SNS-to-email does): unfold and retry.
        Err(_) => serde_json::from_str(&json.replace("!\r\n ", "").replace("!\n ", "")).ok()?,
    };
    let events = crate::domain::bounce::esp::ses::read(&value).ok()?;
    if events.is_empty() {
        return None;
    }
    Some(
        events
            .into_iter()
            .map(|e| {
                let mut v = e.verdict;
                v.recipient = Some(e.recipient);
                v.original_message_id = e.message_id_header;
                v.evidence.rule = format!("email.{}", v.evidence.rule);
                v
            })
            .collect(),
    )
}

/// RFC 2369 `List-Unsubscribe: <mailto:…?subject=unsubscribe>` replies: the subscriber's
/// request arrives as a message whose subject is the opt-out word.
/// fml (a mailing-list manager) tells the list's admin about refused or looping posts: the
/// list address ends a line (`Duplicated Message-ID in <list@example.org>.`); its words, or
/// else the subject, name the reason.
fn read_fml(f: &Facts, text: &str) -> Option<Vec<Verdict>> {
    f.header_pairs
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-mlserver"))?;
    if !f.from_raw.to_ascii_lowercase().contains("-admin@") {
        return None;
    }
    const WORDS: &[(&str, Reason)] = &[
        ("not member article from", Reason::Rejected),
        ("reject mail from", Reason::Rejected),
        ("header may cause mail loop", Reason::Rejected),
        ("reject spammers:", Reason::Rejected),
        ("spam mail from a spammer is rejected", Reason::Rejected),
        ("not a member of this mailing list", Reason::Rejected),
        ("are not member", Reason::Rejected),
        ("duplicated message-id", Reason::SystemError),
        ("has detected a loop condition so that", Reason::SystemError),
        ("loop back warning:", Reason::SystemError),
        ("loop alert: ", Reason::SystemError),
        ("fml system error message", Reason::SystemError),
        ("warning: unix from loop", Reason::SystemError),
        ("security alert", Reason::SecurityError),
    ];
    let subject = f.subject.as_deref().unwrap_or("").to_ascii_lowercase();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        let Some(inner) = line
            .strip_suffix(">.")
            .and_then(|l| l.rsplit_once('<'))
            .map(|(_, a)| a)
        else {
            continue;
        };
        let Some(addr) = text_patterns::normalise_address(inner) else {
            continue;
        };
        let lower = line.to_ascii_lowercase();
        let (reason, rule, source) = match WORDS.iter().find(|(w, _)| lower.contains(w)) {
            Some((_, r)) => (*r, "text.fml.words", line.to_string()),
            None => match WORDS.iter().find(|(w, _)| subject.contains(w)) {
                Some((_, r)) => (
                    *r,
                    "text.fml.subject",
                    format!("Subject: {}", f.subject.as_deref().unwrap_or("")),
                ),
                None => continue,
            },
        };
        let mut v = Verdict::new(reason, rule, source);
        v.recipient = Some(addr);
        v.diagnostic = Some(text_patterns::truncate_chars(line, 400));
        v.original_message_id = f.original_message_id.clone();
        out.push(v.recategorise());
    }
    (!out.is_empty()).then_some(out)
}

fn read_opt_out(f: &Facts) -> Option<Verdict> {
    let s = f.subject.as_deref()?.trim().to_ascii_lowercase();
    if !matches!(
        s.as_str(),
        "unsubscribe" | "opt-out" | "opt out" | "remove" | "stop"
    ) {
        return None;
    }
    let mut v = Verdict::new(
        Reason::Feedback,
        "optout.subject",
        format!("Subject: {}", s),
    );
    v.category = Category::Unsubscribe;
    v.recipient = f.from_address.clone();
    v.feedback_type = Some("opt-out".into());
    Some(v)
}

fn read_auto_reply(f: &Facts, body_lower: &str, rule: &str, source: String) -> Verdict {
    // Some "auto-replies" announce that the mailbox is gone: that is a bounce in disguise.
    let (m, phrase) = phrases::scan(body_lower);
    let gone = [
        Reason::Suspend,
        Reason::UserUnknown,
        Reason::HasMoved,
        Reason::MailboxFull,
    ]
    .into_iter()
    .find(|r| m.contains(*r));
    let mut v = match gone {
        Some(r) => Verdict::new(
            r,
            format!("autoreply.phrase.{r}"),
            phrase.unwrap_or("").to_string(),
        ),
        None => Verdict::new(Reason::Vacation, rule, source),
    };
    v.recipient = f.from_address.clone();
    v.original_message_id = f.original_message_id.clone();
    v.recategorise()
}

fn from_dsn(ds: dsn::DeliveryStatus, f: &Facts, lines: &[&str]) -> Vec<Finding> {
    let text_recipients = text_patterns::recipients(lines, &f.own_addresses);
    let single = ds.recipients.len() == 1;
    let mut out = Vec::new();
    for (i, mut r) in ds.recipients.into_iter().enumerate() {
        let recipient = r
            .recipient
            .clone()
            .or_else(|| text_recipients.get(i).map(|c| c.address.clone()))
            .or_else(|| f.x_failed_recipients.get(i).cloned());
        let mut context = collapse_ws(
            &r.diagnostic
                .clone()
                .unwrap_or_default()
                .to_ascii_lowercase(),
        );
        let command = text_patterns::smtp_command(&context);
        let mut command_text = Vec::new();
        if let Some(rcpt) = &recipient {
            if let Some(c) = text_recipients.iter().position(|c| &c.address == rcpt) {
                if command.is_none() {
                    command_text.push(
                        context_with_previous_line(lines, &text_recipients, c).to_ascii_lowercase(),
                    );
                }
                let own = recipient_context(lines, &text_recipients, c);
                // No Diagnostic-Code and a status that names no detail (`5.0.0`): the
                // notice's own line about this recipient carries the remote reply.
                if r.diagnostic.is_none() && r.status.map(|s| s.is_generic()).unwrap_or(true) {
                    if let Some(d) = text_patterns::diagnostic_line(&own) {
                        if let Some(st) = EnhancedStatus::find(&d).filter(|s| !s.is_generic()) {
                            r.status = Some(st);
                        }
                        r.reply_code = r.reply_code.or_else(|| find_reply_code(&d));
                        r.diagnostic = Some(d);
                    }
                }
                context.push('\n');
                context.push_str(&collapse_ws(&own.to_ascii_lowercase()));
            }
        }
        let source = match &r.diagnostic {
            Some(d) => format!("Diagnostic-Code: {}", text_patterns::truncate_chars(d, 300)),
            None => match r.status {
                Some(s) => format!("Status: {s}"),
                None => "message/delivery-status".to_string(),
            },
        };
        out.push(Finding {
            command,
            command_text,
            body_command: single,
            diag_lower: collapse_ws(&strip_continuations(
                &r.diagnostic.as_deref().unwrap_or("").to_ascii_lowercase(),
            )),
            recipient,
            action: r.action,
            status: r.status,
            reply_code: r.reply_code,
            diagnostic: r.diagnostic,
            diagnostic_type: r.diagnostic_type,
            remote_mta: r.remote_mta,
            context,
            origin: "dsn",
            source,
        });
    }
    out
}

/// The context of candidate `i` with the line before it (a transcript's `>>> COMMAND`).
fn context_with_previous_line(
    lines: &[&str],
    cands: &[text_patterns::Candidate],
    i: usize,
) -> String {
    let prev = cands[i]
        .line
        .checked_sub(1)
        .and_then(|p| lines.get(p))
        .copied()
        .unwrap_or("");
    format!("{prev}\n{}", recipient_context(lines, cands, i))
}

/// Sendmail's session transcript puts the remote reply (`<<< 550 …`) on the line above the
/// recipient's own (`554 <rcpt>... Remote protocol error`); the lines after it belong to the
/// next delivery. That reply and the recipient's line, when the reply is a failure.
fn transcript_reply(
    lines: &[&str],
    cands: &[text_patterns::Candidate],
    i: usize,
) -> Option<String> {
    let at = cands[i].line;
    let prev = lines.get(at.checked_sub(1)?)?.trim_start();
    let reply = prev.strip_prefix("<<<")?.trim_start();
    if !matches!(reply.as_bytes().first(), Some(b'4' | b'5')) {
        return None;
    }
    Some(format!("{prev}\n{}", lines.get(at)?))
}

/// The lines about candidate `i`: from its line to the next candidate's (at most 40).
fn recipient_context(lines: &[&str], cands: &[text_patterns::Candidate], i: usize) -> String {
    let start = cands[i].line;
    let next = cands
        .iter()
        .map(|c| c.line)
        .filter(|&l| l > start)
        .min()
        .unwrap_or(lines.len());
    let end = next.min(start + 40).min(lines.len());
    lines[start..end].join("\n")
}

fn from_text(f: &Facts, lines: &[&str], whole: &str) -> Vec<Finding> {
    let cands = text_patterns::recipients(lines, &f.own_addresses);
    let mut recipients: Vec<(String, Option<usize>)> = Vec::new();
    let header_seen = f
        .x_failed_recipients
        .iter()
        .any(|a| cands.iter().any(|c| &c.address == a));
    if !f.x_failed_recipients.is_empty() && (header_seen || cands.is_empty()) {
        for a in &f.x_failed_recipients {
            recipients.push((a.clone(), cands.iter().position(|c| &c.address == a)));
        }
    } else {
        for (i, c) in cands.iter().enumerate() {
            recipients.push((c.address.clone(), Some(i)));
        }
    }
    if recipients.is_empty() {
        if let Some(a) = f.original_to.first() {
            recipients.push((a.clone(), None));
        }
    }
    let make = |recipient: Option<String>, ctx: String, command_text: Vec<String>, body: bool| {
        let lower = collapse_lower(&ctx);
        let diagnostic = text_patterns::diagnostic_line(&ctx);
        let status = diagnostic
            .as_deref()
            .and_then(EnhancedStatus::find)
            .or_else(|| EnhancedStatus::find(&ctx))
            .or_else(|| EnhancedStatus::find(whole));
        let reply_code = diagnostic
            .as_deref()
            .and_then(find_reply_code)
            .or_else(|| find_reply_code(&ctx));
        Finding {
            recipient,
            status,
            reply_code,
            source: diagnostic
                .clone()
                .unwrap_or_else(|| "bounce text".to_string()),
            diag_lower: collapse_lower(&strip_continuations(
                &diagnostic.as_deref().unwrap_or("").to_ascii_lowercase(),
            )),
            diagnostic,
            command_text,
            body_command: body,
            context: lower,
            origin: "text",
            ..Default::default()
        }
    };
    if recipients.is_empty() {
        return vec![make(None, whole.to_string(), Vec::new(), true)];
    }
    recipients
        .into_iter()
        .map(|(addr, idx)| {
            match idx {
                Some(i) => make(
                    Some(addr),
                    transcript_reply(lines, &cands, i)
                        .unwrap_or_else(|| recipient_context(lines, &cands, i)),
                    vec![context_with_previous_line(lines, &cands, i).to_ascii_lowercase()],
                    false,
                ),
                // The whole text is about this recipient: read its command lazily.
                None => make(Some(addr), whole.to_string(), Vec::new(), true),
            }
        })
        .collect()
}

/// Reasons that, when the text names them, outrank a 5.1.1 status: the MTA used the
/// generic code but said what it meant.
const OVERRIDE_USERUNKNOWN: &[Reason] = &[
    Reason::Filtered,
    Reason::Suspend,
    Reason::Speeding,
    Reason::TooManyConn,
    Reason::NoRelaying,
    Reason::Blocked,
    Reason::MailboxFull,
    Reason::HasMoved,
    Reason::Rejected,
    Reason::NotAccept,
];

/// Status-derived reasons that only name a broad class; known words outrank them.
const WEAK_STATUS: &[Reason] = &[
    Reason::SystemError,
    Reason::SecurityError,
    Reason::NetworkError,
    Reason::Expired,
    Reason::NotAccept,
    Reason::Filtered,
];

fn decide(x: Finding, body_lower: &str, f: &Facts) -> Verdict {
    let origin = x.origin;
    let delivered = matches!(
        x.action.as_deref(),
        Some("delivered" | "relayed" | "expanded")
    ) || x.status.map(|s| s.is_success()).unwrap_or(false);
    let status_reason = x
        .status
        .filter(|s| !s.is_generic())
        .and_then(Reason::from_status);
    let (mut m, phrase) = phrases::scan(&x.diag_lower);
    if m.is_empty() && x.context.len() > x.diag_lower.len() {
        (m, _) = phrases::scan(&x.context);
    }
    // The command matters only to the "user unknown" and the nothing-known rules: read it
    // only when one of them can decide.
    let needs_command = m.contains(Reason::UserUnknown)
        || status_reason == Some(Reason::UserUnknown)
        || (m.is_empty() && status_reason.is_none());
    let command = match x.command {
        None if needs_command => x
            .command_text
            .iter()
            .find_map(|t| text_patterns::smtp_command(t))
            .or_else(|| {
                (x.body_command && (m.is_empty() || m.contains(Reason::UserUnknown)))
                    .then(|| text_patterns::smtp_command(body_lower))
                    .flatten()
            }),
        c => c,
    };

    let (reason, rule, source): (Reason, String, String) = if delivered {
        (
            Reason::Delivered,
            format!("{origin}.action-delivered"),
            format!("Action: {}", x.action.as_deref().unwrap_or("delivered")),
        )
    } else {
        let said = if x.diag_lower.is_empty() {
            x.context.as_str()
        } else {
            x.diag_lower.as_str()
        };
        match rhost::find(x.remote_mta.as_deref(), x.recipient.as_deref(), said) {
            Some(ProviderSays::Reason(r, name)) => {
                (r, format!("{origin}.rhost.{name}"), String::new())
            }
            // The provider's own code names no reason: its words decide, not the status.
            Some(ProviderSays::Unspecific(_)) if !m.is_empty() => {
                decide_reason(&x, &mut m, phrase, None, command, body_lower)
            }
            _ => decide_reason(&x, &mut m, phrase, status_reason, command, body_lower),
        }
    };
    let source = if source.is_empty() {
        x.source.clone()
    } else {
        source
    };
    let mut v = Verdict {
        category: reason.category(x.status, x.reply_code),
        reason,
        status: x.status,
        reply_code: x.reply_code,
        recipient: x.recipient,
        remote_mta: x.remote_mta,
        diagnostic: x.diagnostic.map(|d| {
            text_patterns::truncate_chars(
                d.split_whitespace().collect::<Vec<_>>().join(" ").as_str(),
                400,
            )
        }),
        original_message_id: f.original_message_id.clone(),
        feedback_type: None,
        evidence: Evidence { rule, source },
    };
    if v.recipient.as_deref() == Some("") {
        v.recipient = None;
    }
    v
}

fn decide_reason(
    x: &Finding,
    m: &mut Matches,
    phrase: Option<&'static str>,
    status_reason: Option<Reason>,
    command: Option<Command>,
    body_lower: &str,
) -> (Reason, String, String) {
    let origin = x.origin;
    let status_rule = || {
        format!(
            "{origin}.status-{}",
            x.status.map(|s| s.to_string()).unwrap_or_default()
        )
    };
    let phrase_rule = |r: Reason| format!("{origin}.phrase.{r}");
    let mut status_reason = status_reason;
    if status_reason == Some(Reason::UserUnknown)
        && OVERRIDE_USERUNKNOWN.iter().any(|r| m.contains(*r))
    {
        status_reason = None;
    }
    // "Client host blocked for spamming": the sending IP is refused (spam is only why it
    // was listed); the content was never read.
    if m.contains(Reason::Blocked) && m.contains(Reason::SpamDetected) {
        let t = if x.diag_lower.is_empty() {
            &x.context
        } else {
            &x.diag_lower
        };
        if [
            "client host",
            "ip address",
            "adresse ip",
            "sending ip",
            "your ip",
        ]
        .iter()
        .any(|p| t.contains(p))
        {
            m.remove(Reason::SpamDetected);
        }
    }
    {
        let t = if x.diag_lower.is_empty() {
            &x.context
        } else {
            &x.diag_lower
        };
        // "Message filtered … see … spam": the filter's verdict is spam.
        if m.contains(Reason::SpamDetected) && t.contains("message filtered") {
            m.remove(Reason::Filtered);
        }
        // "Message expired, connection refused": the queue gave up; the refused
        // connection was only the last attempt's transport error, not a block.
        if m.contains(Reason::Expired) && t.contains("message expired") {
            m.remove(Reason::Blocked);
        }
    }
    // Codes that say little (X.3.0, X.7.0, X.4.4 …): the words, when we know them, decide.
    if status_reason
        .map(|r| WEAK_STATUS.contains(&r))
        .unwrap_or(false)
        && !m.is_empty()
    {
        status_reason = None;
    }

    if matches!(x.diagnostic_type.as_deref(), Some("x-unix"))
        && m.is_empty()
        && status_reason.is_none()
    {
        return (
            Reason::MailerError,
            format!("{origin}.diagnostic-type-x-unix"),
            String::new(),
        );
    }
    // Union of what the words and the code say; the more specific reason wins.
    let mut cand = *m;
    if let Some(sr) = status_reason {
        cand.insert_reason(sr);
    }
    if let Some(best) = cand.best() {
        // "Unknown user" answering MAIL FROM names our envelope sender, not the recipient.
        if command == Some(Command::MailFrom) && best == Reason::UserUnknown {
            return (
                Reason::Rejected,
                format!("{origin}.command-mail-from"),
                String::new(),
            );
        }
        // "User unknown" answering the message body (after DATA), or said with no SMTP
        // context and no status code at all (content filters, Japanese carriers, local
        // delivery agents), is the recipient's own filter refusing us more often than a
        // missing mailbox: the address itself was accepted at RCPT.
        let any_status = x.status.map(|s| !s.is_generic()).unwrap_or(false)
            || EnhancedStatus::find(&x.diag_lower)
                .map(|s| !s.is_generic())
                .unwrap_or(false);
        // Yahoo's "this user doesn't have a … account" is a directory look-up only in its
        // SMTP reply ("554 delivery error: dd This user …"); alone, it is its filter.
        let yahoo_filter = x.diag_lower.contains("this user doesn't have a ")
            && !x.diag_lower.contains("dd this user doesn't have a ");
        let definite = !yahoo_filter
            && phrase
                .map(|p| phrases::DEFINITE_USERUNKNOWN.contains(&p))
                .unwrap_or(false);
        if best == Reason::UserUnknown
            && origin != "esp"
            && !definite
            && status_reason != Some(Reason::UserUnknown)
            && (command == Some(Command::Data)
                || (command.is_none()
                    && (!any_status
                        // The code names the mailbox's state (X.2.x) or a policy (X.7.x)
                        // while the words say "unknown": a filter answering.
                        || x
                            .status
                            .filter(|s| !s.is_generic())
                            .or_else(|| EnhancedStatus::find(&x.diag_lower))
                            .map(|s| matches!(s.subject(), 2 | 7))
                            .unwrap_or(false))))
        {
            return (
                Reason::Filtered,
                format!("{origin}.phrase.userunknown-after-data"),
                String::new(),
            );
        }
        if Some(best) == status_reason && !m.contains(best) {
            return (best, status_rule(), String::new());
        }
        return (best, phrase_rule(best), String::new());
    }
    // Trend Micro InterScan names no cause: "Unable to deliver message to <rcpt>" is its
    // answer to an address the next hop refused.
    if x.context.contains("unable to deliver message to <") && body_lower.contains("interscan") {
        return (
            Reason::UserUnknown,
            format!("{origin}.interscan.unable-to-deliver"),
            String::new(),
        );
    }
    // Nothing about this recipient: the notice's whole text.
    let (wide, _) = phrases::scan(body_lower);
    if let Some(best) = wide.best() {
        return (best, format!("{origin}.body-phrase.{best}"), String::new());
    }
    if let Some(st) = x.status {
        match st.subject() {
            6 => return (Reason::ContentError, status_rule(), String::new()),
            7 => return (Reason::SecurityError, status_rule(), String::new()),
            _ => {}
        }
    }
    if matches!(x.diagnostic_type.as_deref(), Some("x-unix" | "x-postfix")) {
        return (
            Reason::MailerError,
            format!("{origin}.diagnostic-type"),
            String::new(),
        );
    }
    // RFC 5321 §4.2.4: 500–504 answer a command the server could not parse.
    if matches!(x.reply_code, Some(500..=504)) {
        return (
            Reason::SyntaxError,
            format!("{origin}.reply-code-50x"),
            String::new(),
        );
    }
    if matches!(x.action.as_deref(), Some("delayed" | "expired")) {
        return (
            Reason::Expired,
            format!("{origin}.action-delayed"),
            String::new(),
        );
    }
    if matches!(command, Some(Command::Helo | Command::Connect)) {
        return (
            Reason::Blocked,
            format!("{origin}.command-helo"),
            String::new(),
        );
    }
    if x.diagnostic.is_some() || x.status.is_some() {
        return (
            Reason::OnHold,
            format!("{origin}.unrecognised"),
            String::new(),
        );
    }
    (
        Reason::Undefined,
        format!("{origin}.nothing-readable"),
        String::new(),
    )
}

/// The reason an SMTP reply names (its words, then its status code), for callers that have
/// a provider's diagnostic rather than a whole notice (the ESP readers). `None` when the
/// text and the code say nothing we know.
pub(crate) fn reason_from_smtp(
    diagnostic: &str,
    status: Option<EnhancedStatus>,
) -> Option<(Reason, String)> {
    let lower = collapse_lower(&strip_continuations(diagnostic));
    let status = status.or_else(|| EnhancedStatus::find(&lower));
    let status_reason = status
        .filter(|s| !s.is_generic())
        .and_then(Reason::from_status);
    let (mut m, phrase) = phrases::scan(&lower);
    if m.is_empty() && status_reason.is_none() {
        return None;
    }
    let x = Finding {
        status,
        reply_code: find_reply_code(diagnostic),
        diagnostic: Some(diagnostic.to_string()),
        diag_lower: lower.clone(),
        context: lower,
        origin: "esp",
        ..Default::default()
    };
    let (r, rule, _) = decide_reason(&x, &mut m, phrase, status_reason, None, "");
    Some((r, rule))
}
