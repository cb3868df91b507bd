//! Mailgun webhooks: `{"signature": {…}, "event-data": {…}}`. We read `failed` (severity
//! permanent / temporary, with `reason` and `delivery-status`), `complained`,
//! `unsubscribed` and `delivered`. Signature checking belongs to the handler (it needs the
//! key); here the `signature` object is only required to exist.

use super::{
    failure_verdict, plain_verdict, recipient, str_field, strip_brackets, unix_seconds, EspError,
    EspEvent, Provider,
};
use crate::domain::bounce::status::EnhancedStatus;
use crate::domain::bounce::Reason;
use crate::domain::category::Category;
use serde_json::Value;

const P: Provider = Provider::Mailgun;

pub(super) fn read(v: &Value) -> Result<Vec<EspEvent>, EspError> {
    if v.get("signature").map(|s| !s.is_object()).unwrap_or(true) {
        return Err(EspError::new(P, "missing signature object"));
    }
    let e = v
        .get("event-data")
        .filter(|e| e.is_object())
        .ok_or_else(|| EspError::new(P, "missing event-data object"))?;
    let event =
        str_field(e, "event").ok_or_else(|| EspError::new(P, "event-data without event"))?;
    let rcpt = str_field(e, "recipient")
        .ok_or_else(|| EspError::new(P, "event-data without recipient"))?;
    let id = str_field(e, "id").ok_or_else(|| EspError::new(P, "event-data without id"))?;
    let ds = e.get("delivery-status").unwrap_or(&Value::Null);
    let code = ds
        .get("code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok());
    let message = str_field(ds, "message");
    let description = str_field(ds, "description");
    let diag = match (message, description) {
        (Some(m), Some(d)) if m != d => Some(format!("{m} {d}")),
        (Some(m), _) => Some(m.to_string()),
        (None, Some(d)) => Some(d.to_string()),
        (None, None) => None,
    };
    let verdict = match event {
        "failed" => {
            let severity = str_field(e, "severity").unwrap_or("permanent");
            let reason = str_field(e, "reason").unwrap_or("generic");
            let permanent = severity != "temporary";
            let kind = format!("failed.{severity}.{reason}");
            let mut v = match reason {
                "suppress-bounce" => {
                    failure_verdict(P, &kind, Reason::UserUnknown, None, None, Some(true))
                }
                "suppress-unsubscribe" => {
                    let mut x = plain_verdict(
                        P,
                        &kind,
                        Reason::Feedback,
                        Category::Unsubscribe,
                        format!("reason: {reason}"),
                    );
                    x.feedback_type = Some("opt-out".into());
                    x
                }
                "suppress-complaint" => {
                    let mut x = plain_verdict(
                        P,
                        &kind,
                        Reason::Feedback,
                        Category::SpamComplaintManual,
                        format!("reason: {reason}"),
                    );
                    x.feedback_type = Some("abuse".into());
                    x
                }
                "old" => failure_verdict(
                    P,
                    &kind,
                    Reason::Expired,
                    diag.as_deref(),
                    None,
                    Some(false),
                ),
                "espblock" => {
                    failure_verdict(P, &kind, Reason::Blocked, diag.as_deref(), None, None)
                }
                _ => {
                    let fallback = if permanent {
                        Reason::UserUnknown
                    } else {
                        Reason::SystemError
                    };
                    let status = diag.as_deref().and_then(EnhancedStatus::find);
                    failure_verdict(P, &kind, fallback, diag.as_deref(), status, Some(permanent))
                }
            };
            if v.reply_code.is_none() {
                v.reply_code = code.filter(|c| (200..600).contains(c));
            }
            if v.diagnostic.is_none() {
                v.diagnostic = diag.clone();
            }
            v.remote_mta = str_field(ds, "mx-host").map(str::to_string);
            v.recategorise()
        }
        "complained" => {
            let mut x = plain_verdict(
                P,
                "complained",
                Reason::Feedback,
                Category::SpamComplaintManual,
                "event: complained".into(),
            );
            x.feedback_type = Some("abuse".into());
            x
        }
        "unsubscribed" => {
            let mut x = plain_verdict(
                P,
                "unsubscribed",
                Reason::Feedback,
                Category::Unsubscribe,
                "event: unsubscribed".into(),
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
            x.reply_code = code;
            x.diagnostic = diag.clone();
            x.remote_mta = str_field(ds, "mx-host").map(str::to_string);
            x
        }
        // accepted, opened, clicked, stored …
        _ => return Ok(Vec::new()),
    };
    let headers = e
        .get("message")
        .and_then(|m| m.get("headers"))
        .unwrap_or(&Value::Null);
    let message_id = str_field(headers, "message-id").map(strip_brackets);
    Ok(vec![EspEvent {
        provider_event_id: format!("mailgun:{id}"),
        provider_message_id: message_id.clone(),
        message_id_header: message_id,
        recipient: recipient(rcpt),
        occurred_at: unix_seconds(e.get("timestamp")),
        verdict,
    }])
}
