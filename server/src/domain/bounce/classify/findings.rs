//! One [`Finding`] per failed recipient, before any reason is decided: from the RFC 3464
//! fields of a `message/delivery-status` part, or from the free text of a non-standard
//! notice (the lines about each recipient).

use super::facts::{collapse_lower, collapse_ws, strip_continuations, Facts};
use crate::domain::bounce::dsn;
use crate::domain::bounce::status::{find_reply_code, EnhancedStatus};
use crate::domain::bounce::text_patterns::{self, Command};

/// One failed (or delivered) recipient as a reader saw it, before the reason is decided.
#[derive(Debug, Default)]
pub(super) struct Finding {
    pub(super) recipient: Option<String>,
    pub(super) action: Option<String>,
    pub(super) status: Option<EnhancedStatus>,
    pub(super) reply_code: Option<u16>,
    pub(super) diagnostic: Option<String>,
    pub(super) diagnostic_type: Option<String>,
    pub(super) remote_mta: Option<String>,
    /// The `Reporting-MTA` of the delivery-status the finding came from.
    pub(super) reporting_mta: Option<String>,
    /// Lower-cased diagnostic: read first.
    pub(super) diag_lower: String,
    /// Lower-cased words about this recipient (diagnostic and nearby text): read when the
    /// diagnostic alone says nothing we know.
    pub(super) context: String,
    /// The SMTP command the failure answered, when the notice says.
    pub(super) command: Option<Command>,
    /// Lower-cased text about this recipient (with the line before, a transcript's
    /// `>>> COMMAND`) to read the command from when `command` is `None` and a rule needs it:
    /// searched lazily, as most reasons never ask.
    pub(super) command_text: Vec<String>,
    /// The notice's whole text is about this recipient alone: the only recipient of its
    /// delivery-status part, or a text notice's recipient that has no line of its own. The
    /// text may then tell the command when the recipient's own words do not (a transcript;
    /// read lazily, it costs a pass). For a delivery-status recipient it also says whether
    /// the whole text's words may give the reason when nothing else does; a text notice's
    /// recipients always fall back to them (see `decide_reason`).
    pub(super) whole_text_is_its: bool,
    /// Where the reader looked: `dsn` or `text`.
    pub(super) origin: &'static str,
    pub(super) source: String,
}

impl Finding {
    /// The Diagnostic-Code is typed `X-…` (X-Postfix, X-Unix): a delivery program's words,
    /// not a remote server's SMTP reply.
    pub(super) fn by_program(&self) -> bool {
        self.diagnostic_type
            .as_deref()
            .is_some_and(|t| t.starts_with("x-"))
    }
}

pub(super) fn from_dsn(ds: dsn::DeliveryStatus, f: &Facts, lines: &[&str]) -> Vec<Finding> {
    let text_recipients = text_patterns::recipients(lines, &f.own_addresses);
    let single = ds.recipients.len() == 1;
    let reporting_mta = ds.reporting_mta;
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
        // Still no words: the comment the reporting MTA put after the status code.
        if r.diagnostic.is_none() {
            r.diagnostic = r.status_comment.take();
        }
        // A Status that names only the class (`5.0.0`), or none: the reporting MTA summed
        // up; the remote's own code in the Diagnostic-Code says which failure it was. Only
        // single-digit codes (`X.1.1` to `X.9.9`, RFC 3463's base set, as Sisimai does): the
        // longer ones are later registry entries that servers reuse loosely (qmail-ldap's
        // `#5.7.17` beside "no mailbox here by that name") or vendors' own numbers
        // (Exchange's `5.4.316`), where the words say more.
        if r.status.is_none_or(|s| s.is_generic()) {
            if let Some(st) = r
                .diagnostic
                .as_deref()
                .and_then(EnhancedStatus::find)
                .filter(|s| (1..=9).contains(&s.subject()) && (1..=9).contains(&s.detail()))
            {
                r.status = Some(st);
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
            whole_text_is_its: single,
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
            reporting_mta: reporting_mta.clone(),
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

pub(super) fn from_text(f: &Facts, lines: &[&str], whole: &str) -> Vec<Finding> {
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
            let address = expanded_from(lines, c.line).unwrap_or_else(|| c.address.clone());
            recipients.push((address, Some(i)));
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
            whole_text_is_its: body,
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

/// Sendmail names the address an alias expanded to, then the address we sent to on the next
/// line (`    (expanded from: <list@example.org>)`): that one is ours to suppress.
fn expanded_from(lines: &[&str], at: usize) -> Option<String> {
    lines[at..lines.len().min(at + 2)].iter().find_map(|l| {
        let lower = l.to_ascii_lowercase();
        let i = lower.find("(expanded from:")?;
        text_patterns::normalise_address(&l[i..])
    })
}
