//! The raw-message path: parse once with mail-parser, gather the facts every reader needs,
//! then try the readers from the most to the least structured, and decide each recipient's
//! reason from its status code and words.

use crate::domain::bounce::reason::Reason;
use crate::domain::bounce::{auto_reply, dsn, phrases, text_patterns, Classification, Verdict};
use crate::domain::category::Category;
use decide::decide;
use facts::{collapse_ws, Facts, PARSER};
use findings::{from_dsn, from_text};
use readers::{read_auto_reply, read_embedded_ses, read_feedback, read_fml, read_opt_out};

mod decide;
mod facts;
mod findings;
mod permanence;
mod readers;

pub(crate) use decide::reason_from_smtp;

pub(super) fn classify(raw: &[u8]) -> Classification {
    classify_at_depth(raw, 0)
}

/// A full notice pasted into a text body: from the header block that declares a
/// `multipart/report` (or carries a delivery-status) to the end.
fn embedded_notice(body: &str) -> Option<&str> {
    let lower_pos = memchr::memmem::find(body.as_bytes(), b"multipart/report")
        .or_else(|| memchr::memmem::find(body.as_bytes(), b"message/delivery-status"))?;
    let before = &body[..lower_pos];
    // After the last blank line before it, with LF or CRLF line ends.
    let start = [("\n\n", 2), ("\n\r\n", 3)]
        .iter()
        .filter_map(|(sep, n)| before.rfind(sep).map(|i| i + n))
        .max()
        .unwrap_or(0);
    body.get(start..)
}

/// A verdict that says something: about an address, for a reason we could read.
fn productive(v: &Verdict) -> bool {
    v.recipient.is_some() && !matches!(v.reason, Reason::Undefined | Reason::OnHold | Reason::None)
}

/// `raw` without the whitespace-only lines some exports leave before the header: a header
/// never starts with one (a leading space or tab would make it a continuation of nothing).
pub(crate) fn skip_leading_blank_lines(mut raw: &[u8]) -> &[u8] {
    while let Some(i) = memchr::memchr(b'\n', raw) {
        if raw[..i].iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
            raw = &raw[i + 1..];
        } else {
            break;
        }
    }
    raw
}

fn classify_at_depth(raw: &[u8], depth: u8) -> Classification {
    let raw = skip_leading_blank_lines(raw);
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
    let unread = verdicts.iter().all(|v| {
        v.recipient.is_none()
                || matches!(v.reason, Reason::Undefined | Reason::None)
                // A recipient named with nothing about why (no code, no words).
                || (v.reason == Reason::OnHold && v.status.is_none() && v.diagnostic.is_none())
    });
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
        && !text_patterns::states_a_failure(&body_lower)
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
