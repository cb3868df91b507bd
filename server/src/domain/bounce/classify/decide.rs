//! One recipient's reason from what its finding holds: the delivery action, the provider's
//! own codes ([`rhost`]), the RFC 3463 status and the MTA's words ([`phrases`]).

use super::facts::{collapse_lower, strip_continuations, Facts};
use super::findings::Finding;
use super::permanence;
use crate::domain::bounce::phrases::{self, Matches};
use crate::domain::bounce::reason::Reason;
use crate::domain::bounce::rhost::{self, ProviderSays};
use crate::domain::bounce::status::{find_reply_code, EnhancedStatus};
use crate::domain::bounce::text_patterns::{self, Command};
use crate::domain::bounce::{Evidence, Verdict};
use crate::domain::category::Category;

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

pub(super) fn decide(x: Finding, body_lower: &str, f: &Facts) -> Verdict {
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
                (x.whole_text_is_its && (m.is_empty() || m.contains(Reason::UserUnknown)))
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
        let query = rhost::Query {
            remote_mta: x.remote_mta.as_deref(),
            reporting_mta: x.reporting_mta.as_deref(),
            recipient: x.recipient.as_deref(),
            diag_lower: said,
            status: x.status,
            command,
        };
        match rhost::find_for(&query) {
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
    // A hard bounce must be proven permanent (see `permanence`).
    // Whatever did not come from the status code alone came from words: the MTA's, the
    // provider's table, or the notice's own.
    let words_say_gone = !rule.contains(".status-");
    let hard = reason.category(x.status, x.reply_code) == Category::HardBounce;
    let (reason, rule) = match permanence::demote(
        hard,
        &permanence::Signals {
            status: x.status,
            reply_code: x.reply_code,
            action: x.action.as_deref(),
            words_say_gone,
        },
    ) {
        // A delivery program (a Diagnostic-Code typed X-Postfix, X-Unix …, not an SMTP
        // reply) that gave up with a transient code: the program's failure, a soft bounce.
        Some(why)
            if why == permanence::TRANSIENT
                && x.action.as_deref() != Some("delayed")
                && x.by_program() =>
        {
            (
                Reason::MailerError,
                format!("{origin}.{why}.program.{reason}"),
            )
        }
        Some(why) => (Reason::OnHold, format!("{origin}.{why}.{reason}")),
        None => (reason, rule),
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
    // "Unable to route" (X.4.4) is one of them in either class: its words tell a domain that
    // does not exist from a name server that failed or a domain that takes no mail.
    let unable_to_route = x
        .status
        .map(|s| s.subject() == 4 && s.detail() == 4)
        .unwrap_or(false);
    if (unable_to_route
        || status_reason
            .map(|r| WEAK_STATUS.contains(&r))
            .unwrap_or(false))
        && !m.is_empty()
    {
        status_reason = None;
    }

    // A Diagnostic-Code typed other than `smtp` (X-Postfix, X-Unix …) that names a
    // delivery program's failure ("Command output:", "command died with status") is that
    // program's: whatever else its output says ("connection refused") is the program's own
    // trouble, not the receiver's verdict on us.
    if x.by_program() && m.contains(Reason::MailerError) {
        return (
            Reason::MailerError,
            format!("{origin}.diagnostic-type-program"),
            String::new(),
        );
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
    // A transient code (4.x.x, 4xx, delayed) with "domain not found": the look-up failed for
    // now (a DNS time-out, an NXDOMAIN the sender will retry). When the words also name
    // what went wrong on the way (a DNS or network error), those decide; a host-unknown
    // alone is left to the permanence rule.
    if m.contains(Reason::HostUnknown)
        && m.iter().any(|r| r != Reason::HostUnknown)
        && permanence::transient(&permanence::Signals {
            status: x.status,
            reply_code: x.reply_code,
            action: x.action.as_deref(),
            words_say_gone: false,
        })
    {
        m.remove(Reason::HostUnknown);
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
        // After DATA the address was already accepted at RCPT TO: whatever the words, the
        // refusal is the content's (Sisimai's rule too); the directory phrases only decide
        // when no command is known.
        if best == Reason::UserUnknown
            && origin != "esp"
            && status_reason != Some(Reason::UserUnknown)
            && (command == Some(Command::Data)
                || (command.is_none()
                    && !definite
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
    // Nothing about this recipient: the notice's whole text. Not when a delivery-status
    // part reports several recipients: each has its own fields, and the text has each one's
    // line (one delivered, one delayed, one refused), so another's reply is not this one's
    // reason; its own Action and Status decide below.
    if origin != "dsn" || x.whole_text_is_its {
        let (wide, _) = phrases::scan(body_lower);
        if let Some(best) = wide.best() {
            return (best, format!("{origin}.body-phrase.{best}"), String::new());
        }
    }
    if let Some(st) = x.status {
        match st.subject() {
            6 => return (Reason::ContentError, status_rule(), String::new()),
            7 => return (Reason::SecurityError, status_rule(), String::new()),
            _ => {}
        }
    }
    // Only an `x-unix` diagnostic is a local program's; Postfix's own `X-Postfix` type
    // carries its queue manager's words ("temporary failure"), no program's.
    if matches!(x.diagnostic_type.as_deref(), Some("x-unix")) {
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
    // A notice that names the failed recipient but not why: the bounce is real, its reason
    // unknown (Sisimai's `onhold`); `undefined` is left for notices with nothing to read.
    if x.diagnostic.is_some() || x.status.is_some() || x.recipient.is_some() {
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
