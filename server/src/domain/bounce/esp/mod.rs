//! ESP webhook events in their documented formats, mapped onto the same [`Verdict`] as raw
//! notices. One file per provider; each reads `serde_json::Value` so that unknown or added
//! fields never break it, and refuses only payloads it cannot make sense of at all.

pub mod freshness;
pub mod mailgun;
pub mod postmark;
pub mod sendgrid;
pub mod ses;
pub mod sns_topic;

use crate::domain::bounce::classify::reason_from_smtp;
use crate::domain::bounce::status::{find_reply_code, EnhancedStatus};
use crate::domain::bounce::{Reason, Verdict};
use crate::domain::category::Category;
use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::Value;

/// The providers whose webhooks we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Postmark,
    /// Amazon SES notifications, delivered by SNS (or the bare SES JSON).
    Ses,
    Sendgrid,
    Mailgun,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Postmark => "postmark",
            Provider::Ses => "ses",
            Provider::Sendgrid => "sendgrid",
            Provider::Mailgun => "mailgun",
        }
    }
}

/// One provider event about one recipient.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EspEvent {
    /// Stable across the provider's retries: the provider's own event id, or one derived
    /// deterministically from the payload's fields when it has none.
    pub provider_event_id: String,
    pub provider_message_id: Option<String>,
    /// The RFC 5322 Message-ID of the message we sent, without angle brackets.
    pub message_id_header: Option<String>,
    /// Lower-cased.
    pub recipient: String,
    pub occurred_at: Option<DateTime<Utc>>,
    pub verdict: Verdict,
}

/// A payload that cannot be read at all (the webhook handler answers 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("malformed {provider} payload: {reason}")]
pub struct EspError {
    pub provider: &'static str,
    pub reason: String,
}

impl EspError {
    pub(crate) fn new(provider: Provider, reason: impl Into<String>) -> Self {
        EspError {
            provider: provider.as_str(),
            reason: reason.into(),
        }
    }
}

/// Reads one webhook body. Events that say nothing about deliverability (opens, clicks,
/// `processed`) are skipped, so the result may be empty.
pub fn classify_esp(provider: Provider, body: &[u8]) -> Result<Vec<EspEvent>, EspError> {
    if body.len() > crate::domain::bounce::MAX_MESSAGE_BYTES {
        return Err(EspError::new(provider, "body larger than 10 MiB"));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| EspError::new(provider, format!("not JSON: {e}")))?;
    match provider {
        Provider::Postmark => postmark::read(&value),
        Provider::Ses => ses::read(&value),
        Provider::Sendgrid => sendgrid::read(&value),
        Provider::Mailgun => mailgun::read(&value),
    }
}

// ---- helpers shared by the providers -------------------------------------------------

pub(crate) fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// A string or a number, as text (ids are sometimes either).
pub(crate) fn id_field(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(crate) fn rfc3339(s: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s?.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

pub(crate) fn unix_seconds(v: Option<&Value>) -> Option<DateTime<Utc>> {
    let v = v?;
    let secs = v
        .as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse::<f64>().ok()))?;
    if !secs.is_finite() || !(0.0..1e11).contains(&secs) {
        return None;
    }
    let whole = secs.trunc() as i64;
    // Providers send at most microseconds; rounding there avoids f64 noise in the nanos.
    let micros = ((secs - secs.trunc()) * 1e6).round().clamp(0.0, 999_999.0) as u32;
    let nanos = micros * 1000;
    Utc.timestamp_opt(whole, nanos).single()
}

pub(crate) fn strip_brackets(s: &str) -> String {
    s.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_string()
}

pub(crate) fn recipient(s: &str) -> String {
    crate::domain::bounce::text_patterns::normalise_address(s)
        .unwrap_or_else(|| s.trim().to_lowercase())
}

/// A verdict for a provider event: the provider's own classification (`fallback`) unless
/// the SMTP diagnostic names a more precise reason of the same nature.
///
/// `permanent`: `Some(true)` for a provider-declared permanent failure, `Some(false)` for a
/// transient one; a diagnostic-derived reason whose category contradicts that is ignored.
pub(crate) fn failure_verdict(
    provider: Provider,
    kind: &str,
    fallback: Reason,
    diagnostic: Option<&str>,
    status: Option<EnhancedStatus>,
    permanent: Option<bool>,
) -> Verdict {
    let p = provider.as_str();
    let status = status.or_else(|| diagnostic.and_then(EnhancedStatus::find));
    let reply_code = diagnostic.and_then(find_reply_code);
    let from_text = diagnostic.and_then(|d| reason_from_smtp(d, status));
    let (reason, rule) = match from_text {
        Some((r, rule)) if consistent(r, permanent, status, reply_code) => {
            (r, format!("{p}.{kind}.{}", rule.trim_start_matches("esp.")))
        }
        _ => (fallback, format!("{p}.{kind}")),
    };
    let mut v = Verdict::new(
        reason,
        rule,
        diagnostic
            .map(|d| crate::domain::bounce::text_patterns::truncate_chars(d, 300))
            .unwrap_or_else(|| kind.to_string()),
    );
    v.status = status;
    v.reply_code = reply_code;
    v.diagnostic = diagnostic.map(|d| {
        crate::domain::bounce::text_patterns::truncate_chars(
            &d.split_whitespace().collect::<Vec<_>>().join(" "),
            400,
        )
    });
    v.recategorise()
}

/// A provider that says "permanent" is not contradicted by a transient-sounding reason, and
/// vice versa; policy and spam refusals fit either.
fn consistent(
    r: Reason,
    permanent: Option<bool>,
    status: Option<EnhancedStatus>,
    code: Option<u16>,
) -> bool {
    let c = r.category(status, code);
    match permanent {
        Some(true) => c != Category::SoftBounce || r == Reason::MailboxFull,
        Some(false) => c != Category::HardBounce,
        None => true,
    }
}

/// A verdict that needs no diagnostic (deliveries, complaints, opt-outs).
pub(crate) fn plain_verdict(
    provider: Provider,
    kind: &str,
    reason: Reason,
    category: Category,
    source: String,
) -> Verdict {
    let mut v = Verdict::new(reason, format!("{}.{kind}", provider.as_str()), source);
    v.category = category;
    v
}
