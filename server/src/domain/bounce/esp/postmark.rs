//! Postmark webhooks: `RecordType` Bounce (with `TypeCode`), SpamComplaint, Delivery and
//! SubscriptionChange. One JSON object per request.

use super::{
    failure_verdict, id_field, plain_verdict, recipient, rfc3339, str_field, EspError, EspEvent,
    Provider,
};
use crate::domain::bounce::Reason;
use crate::domain::category::Category;
use serde_json::Value;

const P: Provider = Provider::Postmark;

/// Postmark's bounce `TypeCode` list → (reason, permanent?). `None` for types that are not
/// failures of ours at all (handled by the caller).
fn type_code(code: u64) -> Option<(Reason, Option<bool>)> {
    Some(match code {
        1 => (Reason::UserUnknown, Some(true)),      // HardBounce
        2 => (Reason::Expired, Some(false)),         // Transient
        16 => (Reason::Feedback, None),              // Unsubscribe (handled by caller)
        32 => return None,                           // Subscribe
        64 => (Reason::Vacation, None),              // AutoResponder
        128 => (Reason::HasMoved, Some(true)),       // AddressChange
        256 => (Reason::NetworkError, Some(false)),  // DnsError
        512 => (Reason::SpamDetected, None),         // SpamNotification
        1024 => (Reason::NoRelaying, None),          // OpenRelayTest
        2048 => (Reason::Undefined, None),           // Unknown
        4096 => (Reason::MailboxFull, Some(false)),  // SoftBounce
        8192 => (Reason::VirusDetected, None),       // VirusNotification
        16384 => (Reason::Filtered, None),           // ChallengeVerification
        100000 => (Reason::UserUnknown, Some(true)), // BadEmailAddress
        100001 => (Reason::Feedback, None),          // SpamComplaint (handled by caller)
        100002 => (Reason::Rejected, None),          // ManuallyDeactivated
        100003 => (Reason::Rejected, None),          // Unconfirmed
        100006 => (Reason::Blocked, None),           // Blocked
        100007 => (Reason::SyntaxError, None),       // SMTPApiError
        100008 => (Reason::SystemError, None),       // InboundError
        100009 => (Reason::AuthFailure, None),       // DMARCPolicy
        100010 => (Reason::ContentError, None),      // TemplateRenderingFailed
        _ => (Reason::Undefined, None),
    })
}

pub(super) fn read(v: &Value) -> Result<Vec<EspEvent>, EspError> {
    let obj = v
        .as_object()
        .ok_or_else(|| EspError::new(P, "expected one JSON object"))?;
    let record =
        str_field(v, "RecordType").ok_or_else(|| EspError::new(P, "missing RecordType"))?;
    let message_id = str_field(v, "MessageID").map(str::to_string);
    let _ = obj;
    let event = match record {
        "Bounce" | "SpamComplaint" => {
            let email = str_field(v, "Email")
                .ok_or_else(|| EspError::new(P, format!("{record} without Email")))?;
            let id = id_field(v, "ID")
                .ok_or_else(|| EspError::new(P, format!("{record} without ID")))?;
            let code =
                v.get("TypeCode")
                    .and_then(Value::as_u64)
                    .unwrap_or(if record == "SpamComplaint" {
                        100001
                    } else {
                        2048
                    });
            let type_name = str_field(v, "Type").unwrap_or("Unknown");
            let details = str_field(v, "Details");
            let description = str_field(v, "Description");
            let verdict = match code {
                100001 => {
                    let mut x = plain_verdict(
                        P,
                        "spam-complaint",
                        Reason::Feedback,
                        Category::SpamComplaintManual,
                        format!("TypeCode: {code} ({type_name})"),
                    );
                    x.feedback_type = Some("abuse".into());
                    x.diagnostic = details.map(str::to_string);
                    x
                }
                16 => {
                    let mut x = plain_verdict(
                        P,
                        "bounce.unsubscribe",
                        Reason::Feedback,
                        Category::Unsubscribe,
                        format!("TypeCode: {code} ({type_name})"),
                    );
                    x.feedback_type = Some("opt-out".into());
                    x
                }
                _ => match type_code(code) {
                    None => return Ok(Vec::new()),
                    Some((fallback, permanent)) => {
                        let text = details.or(description);
                        let mut x = failure_verdict(
                            P,
                            &format!("bounce.typecode-{code}"),
                            fallback,
                            text,
                            None,
                            permanent,
                        );
                        x.evidence.source =
                            format!("TypeCode: {code} ({type_name}); {}", x.evidence.source);
                        x
                    }
                },
            };
            EspEvent {
                provider_event_id: format!("postmark:{}:{id}", record.to_ascii_lowercase()),
                provider_message_id: message_id,
                message_id_header: None,
                recipient: recipient(email),
                occurred_at: rfc3339(str_field(v, "BouncedAt")),
                verdict,
            }
        }
        "Delivery" => {
            let rcpt = str_field(v, "Recipient")
                .ok_or_else(|| EspError::new(P, "Delivery without Recipient"))?;
            let at = str_field(v, "DeliveredAt");
            let mut verdict = plain_verdict(
                P,
                "delivery",
                Reason::Delivered,
                Category::Delivered,
                "RecordType: Delivery".into(),
            );
            verdict.diagnostic = str_field(v, "Details").map(str::to_string);
            EspEvent {
                provider_event_id: format!(
                    "postmark:delivery:{}:{}:{}",
                    message_id.as_deref().unwrap_or("-"),
                    rcpt.to_lowercase(),
                    at.unwrap_or("-")
                ),
                provider_message_id: message_id,
                message_id_header: None,
                recipient: recipient(rcpt),
                occurred_at: rfc3339(at),
                verdict,
            }
        }
        "SubscriptionChange" => {
            let rcpt = str_field(v, "Recipient")
                .ok_or_else(|| EspError::new(P, "SubscriptionChange without Recipient"))?;
            let at = str_field(v, "ChangedAt");
            let suppress = v
                .get("SuppressSending")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let why = str_field(v, "SuppressionReason").unwrap_or("");
            let verdict = if !suppress {
                // Re-activation: the address may be mailed again.
                plain_verdict(
                    P,
                    "subscription-change.reactivated",
                    Reason::None,
                    Category::NotBounce,
                    "SuppressSending: false".into(),
                )
            } else {
                let (reason, category) = match why {
                    "HardBounce" => (Reason::UserUnknown, Category::HardBounce),
                    "SpamComplaint" => (Reason::Feedback, Category::SpamComplaintManual),
                    _ => (Reason::Feedback, Category::Unsubscribe),
                };
                let mut x = plain_verdict(
                    P,
                    &format!(
                        "subscription-change.{}",
                        if why.is_empty() { "suppressed" } else { why }
                    ),
                    reason,
                    category,
                    format!("SuppressionReason: {why}"),
                );
                if reason == Reason::Feedback {
                    x.feedback_type = Some(
                        if category == Category::Unsubscribe {
                            "opt-out"
                        } else {
                            "abuse"
                        }
                        .into(),
                    );
                }
                x
            };
            EspEvent {
                provider_event_id: format!(
                    "postmark:subscription-change:{}:{}:{}:{}",
                    message_id.as_deref().unwrap_or("-"),
                    rcpt.to_lowercase(),
                    at.unwrap_or("-"),
                    suppress
                ),
                provider_message_id: message_id,
                message_id_header: None,
                recipient: recipient(rcpt),
                occurred_at: rfc3339(at),
                verdict,
            }
        }
        // Open, Click, Inbound: not about deliverability.
        _ => return Ok(Vec::new()),
    };
    Ok(vec![event])
}
