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
//! Each failed recipient's reason is then decided in this order (`classify/decide.rs`):
//! 1. `Action: delivered / relayed / expanded` or a `2.x.x` status: delivered.
//! 2. A receiving provider's own codes and wording ([`rhost`], one file per provider), known
//!    by the `Remote-MTA` or the recipient's domain.
//! 3. The RFC 3463 status (`class.subject.detail`, [`reason::Reason::from_status`]): X.1.1 /
//!    X.1.3 user unknown, X.1.2 host unknown, X.1.6 moved, X.2.2 full, X.2.3 / X.3.4 too big,
//!    X.4.x network / expired, X.7.x policy and security … A code that only names a broad
//!    class (X.0.0, X.3.0, X.7.0 …) yields to the words.
//! 4. The MTA's words ([`phrases`], one table per reason, tried in Sisimai's order of
//!    specificity), with the SMTP command they answered: "user unknown" after `MAIL FROM`
//!    is the sender refused, after `DATA` (or with no code and no command) the recipient's
//!    filter.
//! 5. What is left: X.6.x content, X.7.x security, an `x-unix` program, a `500-504` reply
//!    (syntax), `Action: delayed` (expired), a refusal at `HELO` (blocked), a named recipient
//!    with nothing more (onhold), nothing at all (undefined).
//! 6. A hard bounce must be proven permanent (`classify/permanence.rs`): a `4.x.x` status,
//!    a `4xx` reply or `Action: delayed` is never one.
//!
//! The category follows from the reason (the corpus README's table). Damage is data:
//! malformed input yields `unclassified` or `not_bounce`, never a panic; only input over
//! [`MAX_MESSAGE_BYTES`] is refused.

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

pub(crate) use classify::skip_leading_blank_lines;
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
