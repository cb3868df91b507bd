//! Bounce and complaint classification: every non-delivery notice, complaint report,
//! auto-reply and ESP event becomes one normalised, explained [`Verdict`] per recipient.
//!
//! Pure functions, no IO. The raw-message path reads, in order of trust:
//! 1. RFC 5965 feedback reports (ARF) and Hotmail JMRP — [`arf`];
//! 2. RFC 3464 `message/delivery-status` — [`dsn`];
//! 3. the free text of non-standard MTA bounces (Exim, Postfix, qmail, Sendmail, Exchange,
//!    Gmail, Japanese carriers …) — [`text_patterns`];
//! 4. RFC 3834 auto-replies — [`auto_reply`].
//!
//! The reason is then decided from the RFC 3463 status ([`status`], [`reason`]) and the
//! diagnostic text ([`phrases`]); the category follows from the reason (the corpus README's
//! table). Damage is data: malformed input yields `unclassified` or `not_bounce`, never a
//! panic; only input over [`MAX_MESSAGE_BYTES`] is refused.

pub mod arf;
pub mod auto_reply;
mod classify;
pub mod dsn;
pub mod esp;
pub mod phrases;
pub mod reason;
pub mod rhost;
pub mod smtp_reply;
pub mod status;
pub mod text_patterns;

pub use esp::{classify_esp, EspError, EspEvent, Provider};
pub use reason::Reason;
pub use smtp_reply::classify_smtp_reply;
pub use status::EnhancedStatus;

use crate::domain::category::Category;
use serde::Serialize;

/// Larger inputs are refused: no real bounce is this big, and parsing one would only cost.
pub const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;

/// The outcome for one raw message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    /// At least one; one per affected recipient (a single `not_bounce` verdict for an
    /// ordinary message).
    pub verdicts: Vec<Verdict>,
    /// The Message-ID of the message we sent, when the notice quotes it.
    pub original_message_id: Option<String>,
    /// The notice's own subject.
    pub subject: Option<String>,
}

/// What happened to one recipient, and why we think so.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub category: Category,
    pub reason: Reason,
    /// RFC 3463 enhanced status, as reported (or implied by the provider's event).
    pub status: Option<EnhancedStatus>,
    /// RFC 5321 reply code.
    pub reply_code: Option<u16>,
    /// Lower-cased address.
    pub recipient: Option<String>,
    pub remote_mta: Option<String>,
    /// The receiving side's own words, one line, trimmed.
    pub diagnostic: Option<String>,
    pub original_message_id: Option<String>,
    /// ARF `Feedback-Type` (`abuse`, `opt-out`, `auth-failure` …) for reports.
    pub feedback_type: Option<String>,
    pub evidence: Evidence,
}

/// Which rule decided and what it read: enough to explain a verdict to a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// e.g. `dsn.status-5.1.1`, `phrase.mailboxfull`, `arf.feedback-type`.
    pub rule: String,
    /// The header or line the rule read.
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum ClassifyError {
    #[error("message is {size} bytes; the classifier reads at most {max} bytes (10 MiB)")]
    TooLarge { size: usize, max: usize },
}

/// Classifies one raw RFC 5322 message. `Err` only for input over 10 MiB.
pub fn classify_message(raw: &[u8]) -> Result<Classification, ClassifyError> {
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(ClassifyError::TooLarge {
            size: raw.len(),
            max: MAX_MESSAGE_BYTES,
        });
    }
    Ok(classify::classify(raw))
}

impl Verdict {
    /// A verdict for `reason`, its category derived from the reason and status.
    pub fn new(reason: Reason, rule: impl Into<String>, source: impl Into<String>) -> Self {
        Verdict {
            category: reason.category(None, None),
            reason,
            status: None,
            reply_code: None,
            recipient: None,
            remote_mta: None,
            diagnostic: None,
            original_message_id: None,
            feedback_type: None,
            evidence: Evidence {
                rule: rule.into(),
                source: source.into(),
            },
        }
    }

    /// Re-derives `category` from `reason`, `status` and `reply_code`.
    pub fn recategorise(mut self) -> Self {
        self.category = self.reason.category(self.status, self.reply_code);
        self
    }
}

#[cfg(test)]
mod tests;
