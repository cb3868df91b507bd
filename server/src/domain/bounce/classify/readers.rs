//! The readers of notices that are not delivery failures, or not in a standard shape:
//! feedback reports (ARF, Hotmail JMRP), Amazon SES JSON mailed as text, fml list notices,
//! opt-out requests and RFC 3834 auto-replies.

use super::facts::Facts;
use crate::domain::bounce::reason::Reason;
use crate::domain::bounce::{arf, phrases, text_patterns, Verdict};
use crate::domain::category::Category;

pub(super) fn read_feedback(f: &Facts) -> Option<Vec<Verdict>> {
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
pub(super) fn read_embedded_ses(f: &Facts) -> Option<Vec<Verdict>> {
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

/// fml (a mailing-list manager) tells the list's admin about refused or looping posts: the
/// list address ends a line (`Duplicated Message-ID in <list@example.org>.`); its words, or
/// else the subject, name the reason.
pub(super) fn read_fml(f: &Facts, text: &str) -> Option<Vec<Verdict>> {
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

/// RFC 2369 `List-Unsubscribe: <mailto:…?subject=unsubscribe>` replies: the subscriber's
/// request arrives as a message whose subject is the opt-out word.
pub(super) fn read_opt_out(f: &Facts) -> Option<Verdict> {
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

pub(super) fn read_auto_reply(f: &Facts, body_lower: &str, rule: &str, source: String) -> Verdict {
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
        // "Not a valid user here" in an auto-reply carries no SMTP code and answers no
        // RCPT TO: like the same words after DATA, it is the recipient's filter talking, not
        // a proven missing mailbox (a hard bounce must be proven permanent).
        Some(Reason::UserUnknown) => Verdict::new(
            Reason::Filtered,
            "autoreply.phrase.userunknown-no-code",
            phrase.unwrap_or("").to_string(),
        ),
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
