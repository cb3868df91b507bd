//! Amazon SES notifications (`notificationType`, or `eventType` for event publishing):
//! Bounce (`bounceType` / `bounceSubType`, per-recipient `status` and `diagnosticCode`),
//! Complaint (`complaintFeedbackType`), Delivery. Usually wrapped in an SNS envelope whose
//! `Message` is the notification as a JSON string.

use super::{
    failure_verdict, plain_verdict, recipient, rfc3339, str_field, strip_brackets, EspError,
    EspEvent, Provider,
};
use crate::domain::bounce::status::EnhancedStatus;
use crate::domain::bounce::{arf, Reason};
use crate::domain::category::Category;
use serde_json::Value;

const P: Provider = Provider::Ses;

pub(crate) fn read(v: &Value) -> Result<Vec<EspEvent>, EspError> {
    match str_field(v, "Type") {
        Some("Notification") => {
            let msg = str_field(v, "Message")
                .ok_or_else(|| EspError::new(P, "SNS Notification without Message"))?;
            let inner: Value = serde_json::from_str(msg)
                .map_err(|e| EspError::new(P, format!("SNS Message is not JSON: {e}")))?;
            let sns_id = str_field(v, "MessageId").map(str::to_string);
            read_notification(&inner, sns_id.as_deref())
        }
        // Subscription handshakes carry no event; the handler confirms them separately.
        Some("SubscriptionConfirmation") | Some("UnsubscribeConfirmation") => Ok(Vec::new()),
        Some(other) => Err(EspError::new(P, format!("unknown SNS Type {other:?}"))),
        None => read_notification(v, None),
    }
}

/// Reads a bare SES notification object (also used for SES JSON found inside an email).
pub(crate) fn read_notification(
    n: &Value,
    sns_id: Option<&str>,
) -> Result<Vec<EspEvent>, EspError> {
    let kind = str_field(n, "notificationType")
        .or_else(|| str_field(n, "eventType"))
        .ok_or_else(|| EspError::new(P, "neither notificationType nor eventType"))?;
    let mail = n.get("mail").unwrap_or(&Value::Null);
    let provider_message_id = str_field(mail, "messageId").map(str::to_string);
    let message_id_header = mail
        .get("commonHeaders")
        .and_then(|h| str_field(h, "messageId"))
        .map(strip_brackets);
    let base_id = sns_id.map(str::to_string);
    let mut out = Vec::new();
    let mut push = |rcpt: &str, occurred: Option<&str>, verdict, extra: &str| {
        let id = match &base_id {
            Some(s) => format!("ses:{s}:{}", rcpt.to_lowercase()),
            None => format!(
                "ses:{}:{}:{}:{}",
                provider_message_id.as_deref().unwrap_or("-"),
                kind.to_ascii_lowercase(),
                extra,
                rcpt.to_lowercase()
            ),
        };
        out.push(EspEvent {
            provider_event_id: id,
            provider_message_id: provider_message_id.clone(),
            message_id_header: message_id_header.clone(),
            recipient: recipient(rcpt),
            occurred_at: rfc3339(occurred),
            verdict,
        });
    };
    match kind {
        "Bounce" => {
            let b = n
                .get("bounce")
                .ok_or_else(|| EspError::new(P, "Bounce without bounce object"))?;
            let btype = str_field(b, "bounceType").unwrap_or("Undetermined");
            let sub = str_field(b, "bounceSubType").unwrap_or("Undetermined");
            let (fallback, permanent) = bounce_type(btype, sub);
            let feedback = str_field(b, "feedbackId").unwrap_or("-");
            let at = str_field(b, "timestamp");
            let recipients = b
                .get("bouncedRecipients")
                .and_then(Value::as_array)
                .ok_or_else(|| EspError::new(P, "Bounce without bouncedRecipients"))?;
            for r in recipients {
                let Some(addr) = str_field(r, "emailAddress") else {
                    continue;
                };
                let diag = str_field(r, "diagnosticCode").map(|d| {
                    // `smtp; 550 …` (RFC 3464 typed value): drop the type.
                    crate::domain::bounce::dsn::split_typed(d).1.to_string()
                });
                let status = str_field(r, "status").and_then(EnhancedStatus::find);
                let kind_rule = format!(
                    "bounce.{}-{}",
                    btype.to_ascii_lowercase(),
                    sub.to_ascii_lowercase()
                );
                let mut verdict = if matches!(sub, "Suppressed" | "OnAccountSuppressionList") {
                    // SES refused to send: the address hard-bounced or complained before.
                    failure_verdict(P, &kind_rule, fallback, None, status, permanent)
                } else {
                    failure_verdict(P, &kind_rule, fallback, diag.as_deref(), status, permanent)
                };
                verdict.evidence.source = format!(
                    "bounceType: {btype}, bounceSubType: {sub}; {}",
                    verdict.evidence.source
                );
                verdict.remote_mta = str_field(b, "reportingMTA")
                    .map(|m| crate::domain::bounce::dsn::split_typed(m).1.to_string());
                push(addr, at, verdict, feedback);
            }
        }
        "Complaint" => {
            let c = n
                .get("complaint")
                .ok_or_else(|| EspError::new(P, "Complaint without complaint object"))?;
            let ft = str_field(c, "complaintFeedbackType").map(|s| s.to_ascii_lowercase());
            let at = str_field(c, "timestamp");
            let feedback = str_field(c, "feedbackId").unwrap_or("-");
            let category = arf::category_for(ft.as_deref());
            let recipients = c
                .get("complainedRecipients")
                .and_then(Value::as_array)
                .ok_or_else(|| EspError::new(P, "Complaint without complainedRecipients"))?;
            for r in recipients {
                let Some(addr) = str_field(r, "emailAddress") else {
                    continue;
                };
                let mut verdict = plain_verdict(
                    P,
                    "complaint",
                    Reason::Feedback,
                    category,
                    format!(
                        "complaintFeedbackType: {}",
                        ft.as_deref().unwrap_or("(none)")
                    ),
                );
                verdict.feedback_type = ft.clone().or_else(|| Some("abuse".into()));
                verdict.diagnostic = str_field(c, "userAgent").map(str::to_string);
                push(addr, at, verdict, feedback);
            }
        }
        "Delivery" => {
            let d = n
                .get("delivery")
                .ok_or_else(|| EspError::new(P, "Delivery without delivery object"))?;
            let at = str_field(d, "timestamp");
            let recipients = d
                .get("recipients")
                .and_then(Value::as_array)
                .ok_or_else(|| EspError::new(P, "Delivery without recipients"))?;
            for r in recipients {
                let Some(addr) = r.as_str() else { continue };
                let mut verdict = plain_verdict(
                    P,
                    "delivery",
                    Reason::Delivered,
                    Category::Delivered,
                    "notificationType: Delivery".into(),
                );
                verdict.diagnostic = str_field(d, "smtpResponse").map(str::to_string);
                verdict.reply_code = verdict
                    .diagnostic
                    .as_deref()
                    .and_then(crate::domain::bounce::status::find_reply_code);
                verdict.remote_mta = str_field(d, "reportingMTA").map(str::to_string);
                push(addr, at, verdict, at.unwrap_or("-"));
            }
        }
        // Send, Reject, Open, Click, Rendering Failure, DeliveryDelay …: not handled here.
        _ => {}
    }
    Ok(out)
}

/// SES `bounceType` / `bounceSubType` → the reason when the diagnostic says nothing better,
/// and whether SES calls it permanent.
fn bounce_type(btype: &str, sub: &str) -> (Reason, Option<bool>) {
    match (btype, sub) {
        ("Permanent", "NoEmail") => (Reason::UserUnknown, Some(true)),
        ("Permanent", "Suppressed") | ("Permanent", "OnAccountSuppressionList") => {
            (Reason::UserUnknown, Some(true))
        }
        ("Permanent", _) => (Reason::UserUnknown, Some(true)),
        ("Transient", "MailboxFull") => (Reason::MailboxFull, Some(false)),
        ("Transient", "MessageTooLarge") => (Reason::MesgTooBig, Some(false)),
        ("Transient", "ContentRejected") => (Reason::ContentError, None),
        ("Transient", "AttachmentRejected") => (Reason::PolicyViolation, None),
        ("Transient", _) => (Reason::SystemError, Some(false)),
        _ => (Reason::Undefined, None),
    }
}
