//! SendGrid Event Webhook: a JSON array of events. We read bounce (and its `type: blocked`
//! variant, or a `blocked` event), dropped, deferred, spamreport, unsubscribe /
//! group_unsubscribe and delivered; processed, open, click … are skipped.

use super::{
    failure_verdict, plain_verdict, recipient, str_field, strip_brackets, unix_seconds, EspError,
    EspEvent, Provider,
};
use crate::domain::bounce::status::EnhancedStatus;
use crate::domain::bounce::Reason;
use crate::domain::category::Category;
use serde_json::Value;

const P: Provider = Provider::Sendgrid;

pub(super) fn read(v: &Value) -> Result<Vec<EspEvent>, EspError> {
    let events: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(_) => vec![v],
        _ => return Err(EspError::new(P, "expected an array of events")),
    };
    let mut out = Vec::new();
    for (i, e) in events.into_iter().enumerate() {
        let event = str_field(e, "event")
            .ok_or_else(|| EspError::new(P, format!("event #{i} has no \"event\"")))?;
        let Some(email) = str_field(e, "email") else {
            return Err(EspError::new(
                P,
                format!("event #{i} ({event}) has no \"email\""),
            ));
        };
        let reason_text = str_field(e, "reason").or_else(|| str_field(e, "response"));
        let status = str_field(e, "status").and_then(EnhancedStatus::find);
        let bounce_type = str_field(e, "type").unwrap_or("bounce");
        let verdict = match event {
            "bounce" if bounce_type == "blocked" => {
                failure_verdict(P, "blocked", Reason::Blocked, reason_text, status, None)
            }
            "blocked" => failure_verdict(P, "blocked", Reason::Blocked, reason_text, status, None),
            "bounce" => {
                let fallback = classification(str_field(e, "bounce_classification"))
                    .unwrap_or(Reason::UserUnknown);
                failure_verdict(P, "bounce", fallback, reason_text, status, Some(true))
            }
            "deferred" => failure_verdict(
                P,
                "deferred",
                Reason::Expired,
                reason_text,
                status,
                Some(false),
            ),
            "dropped" => dropped(reason_text.unwrap_or("")),
            "spamreport" => {
                let mut x = plain_verdict(
                    P,
                    "spamreport",
                    Reason::Feedback,
                    Category::SpamComplaintManual,
                    "event: spamreport".into(),
                );
                x.feedback_type = Some("abuse".into());
                x
            }
            "unsubscribe" | "group_unsubscribe" => {
                let mut x = plain_verdict(
                    P,
                    event,
                    Reason::Feedback,
                    Category::Unsubscribe,
                    format!("event: {event}"),
                );
                x.feedback_type = Some("opt-out".into());
                x
            }
            "delivered" => {
                let mut x = plain_verdict(
                    P,
                    "delivered",
                    Reason::Delivered,
                    Category::Delivered,
                    "event: delivered".into(),
                );
                x.diagnostic = reason_text.map(str::to_string);
                x.reply_code = reason_text.and_then(crate::domain::bounce::status::find_reply_code);
                x
            }
            _ => continue,
        };
        let message_id = str_field(e, "sg_message_id").map(str::to_string);
        let id = str_field(e, "sg_event_id")
            .map(str::to_string)
            .unwrap_or_else(|| {
                format!(
                    "sendgrid:{}:{}:{}:{}",
                    message_id.as_deref().unwrap_or("-"),
                    event,
                    email.to_lowercase(),
                    e.get("timestamp")
                        .map(|t| t.to_string())
                        .unwrap_or_default()
                )
            });
        out.push(EspEvent {
            provider_event_id: id,
            provider_message_id: message_id,
            message_id_header: str_field(e, "smtp-id").map(strip_brackets),
            recipient: recipient(email),
            occurred_at: unix_seconds(e.get("timestamp")),
            verdict,
        });
    }
    Ok(out)
}

/// SendGrid's `bounce_classification` values → the reason to use when the text is silent.
fn classification(c: Option<&str>) -> Option<Reason> {
    Some(match c? {
        "Invalid Address" | "Invalid Addresses" => Reason::UserUnknown,
        "Mailbox Unavailable" => Reason::Suspend,
        "Technical" | "Technical Failure" => Reason::SystemError,
        "Content" => Reason::ContentError,
        "Reputation" => Reason::BadReputation,
        "Frequency or Volume Too High" => Reason::Speeding,
        _ => return None,
    })
}

/// `dropped`: SendGrid did not even try; its `reason` says why (a suppression list).
fn dropped(reason: &str) -> crate::domain::bounce::Verdict {
    let l = reason.to_ascii_lowercase();
    let (r, cat, kind) = if l.contains("unsubscribe") {
        (
            Reason::Feedback,
            Category::Unsubscribe,
            "dropped.unsubscribed",
        )
    } else if l.contains("spam report") {
        (
            Reason::Feedback,
            Category::SpamComplaintManual,
            "dropped.spam-reporting",
        )
    } else if l.contains("bounced") || l.contains("invalid") {
        (
            Reason::UserUnknown,
            Category::HardBounce,
            "dropped.bounced-address",
        )
    } else {
        (Reason::Rejected, Category::IspBlock, "dropped.other")
    };
    let mut v = plain_verdict(P, kind, r, cat, format!("reason: {reason}"));
    v.diagnostic = (!reason.is_empty()).then(|| reason.to_string());
    if r == Reason::Feedback {
        v.feedback_type = Some(
            if cat == Category::Unsubscribe {
                "opt-out"
            } else {
                "abuse"
            }
            .into(),
        );
    }
    v
}
