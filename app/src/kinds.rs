//! What the server and the pages must agree on, in one place: the kinds of Org Logging
//! entries and the complaint-rate lines. Pure data (serde only, no leptos), compiled for the
//! server and for the browser alike.
//!
//! The server writes an entry only through [`LogKind`], so every kind it can write is one the
//! Org Logging filter offers ([`LogKind::ALL`]). The strings are the stored ones: they never
//! change (entries written before keep their kind).

use serde::{Deserialize, Serialize};

/// The kind of an Org Logging entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    // What providers and notices said about mail we sent.
    Delivered,
    /// Hard or soft bounce (the category is on the event).
    Bounce,
    /// Automatic or manual spam complaint.
    Complaint,
    /// The receiving side refused the sender; counted per recipient domain.
    IspBlock,
    Unsubscribe,
    AutoReply,
    /// A notice we could not read, kept with its raw source.
    Unclassified,
    /// A 4xx at send time; another attempt is scheduled.
    Deferred,

    // Suppressions and the guardrails.
    SuppressionAdded,
    SuppressionReleased,
    SuppressionReactivated,
    /// Written once, by migration 0008, for entries it moved between global and account scope.
    SuppressionRescoped,
    RateWarning,
    BulkPaused,
    DomainAlert,
    /// Bulk mail to one mailbox provider paused by its complaint rate.
    ProviderPaused,
    /// An admin resumed bulk mail to a provider.
    ProviderResumed,

    // Incoming mail and the spam filter.
    SpamDetected,
    BlockedSender,
    /// An allowlist entry kept a message that scored as spam in the inbox.
    AllowlistOverride,
    MarkedSpam,
    MarkedNotSpam,

    // What admins changed.
    BlockAdded,
    BlockRemoved,
    AllowAdded,
    AllowRemoved,
    SpamThresholdChanged,
    TrustedAuthservIdsChanged,
    WebhookCredentialChanged,

    // Webhooks.
    /// Amazon SNS asked to confirm (or ended) a subscription to the account's topic.
    SnsSubscription,
}

impl LogKind {
    /// Every kind, in the order the Org Logging filter lists them.
    pub const ALL: [LogKind; 30] = [
        LogKind::Bounce,
        LogKind::Complaint,
        LogKind::IspBlock,
        LogKind::Unsubscribe,
        LogKind::AutoReply,
        LogKind::Unclassified,
        LogKind::Deferred,
        LogKind::Delivered,
        LogKind::SuppressionAdded,
        LogKind::SuppressionReleased,
        LogKind::SuppressionReactivated,
        LogKind::SuppressionRescoped,
        LogKind::RateWarning,
        LogKind::BulkPaused,
        LogKind::DomainAlert,
        LogKind::ProviderPaused,
        LogKind::ProviderResumed,
        LogKind::SpamDetected,
        LogKind::BlockedSender,
        LogKind::MarkedSpam,
        LogKind::MarkedNotSpam,
        LogKind::BlockAdded,
        LogKind::BlockRemoved,
        LogKind::SpamThresholdChanged,
        LogKind::TrustedAuthservIdsChanged,
        LogKind::WebhookCredentialChanged,
        LogKind::AllowAdded,
        LogKind::AllowRemoved,
        LogKind::AllowlistOverride,
        LogKind::SnsSubscription,
    ];

    /// The kind as stored (and as the filter's query parameter).
    pub const fn as_str(self) -> &'static str {
        match self {
            LogKind::Delivered => "delivered",
            LogKind::Bounce => "bounce",
            LogKind::Complaint => "complaint",
            LogKind::IspBlock => "isp_block",
            LogKind::Unsubscribe => "unsubscribe",
            LogKind::AutoReply => "auto_reply",
            LogKind::Unclassified => "unclassified",
            LogKind::Deferred => "deferred",
            LogKind::SuppressionAdded => "suppression_added",
            LogKind::SuppressionReleased => "suppression_released",
            LogKind::SuppressionReactivated => "suppression_reactivated",
            LogKind::SuppressionRescoped => "suppression_rescoped",
            LogKind::RateWarning => "rate_warning",
            LogKind::BulkPaused => "bulk_paused",
            LogKind::DomainAlert => "domain_alert",
            LogKind::ProviderPaused => "provider_paused",
            LogKind::ProviderResumed => "provider_resumed",
            LogKind::SpamDetected => "spam_detected",
            LogKind::BlockedSender => "blocked_sender",
            LogKind::AllowlistOverride => "allowlist_override",
            LogKind::MarkedSpam => "marked_spam",
            LogKind::MarkedNotSpam => "marked_not_spam",
            LogKind::BlockAdded => "block_added",
            LogKind::BlockRemoved => "block_removed",
            LogKind::AllowAdded => "allow_added",
            LogKind::AllowRemoved => "allow_removed",
            LogKind::SpamThresholdChanged => "spam_threshold_changed",
            LogKind::TrustedAuthservIdsChanged => "trusted_authserv_ids_changed",
            LogKind::WebhookCredentialChanged => "webhook_credential_changed",
            LogKind::SnsSubscription => "sns_subscription",
        }
    }

    /// The kind stored as `s`; `None` for a string that is no kind.
    pub fn parse(s: &str) -> Option<LogKind> {
        LogKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kind as the Org Logging page names it.
    pub const fn label(self) -> &'static str {
        match self {
            LogKind::Delivered => "delivered",
            LogKind::Bounce => "bounce",
            LogKind::Complaint => "complaint",
            LogKind::IspBlock => "isp block",
            LogKind::Unsubscribe => "unsubscribe",
            LogKind::AutoReply => "auto reply",
            LogKind::Unclassified => "unclassified",
            LogKind::Deferred => "deferred",
            LogKind::SuppressionAdded => "suppression added",
            LogKind::SuppressionReleased => "suppression released",
            LogKind::SuppressionReactivated => "suppression reactivated",
            LogKind::SuppressionRescoped => "suppression rescoped",
            LogKind::RateWarning => "rate warning",
            LogKind::BulkPaused => "bulk paused",
            LogKind::DomainAlert => "domain alert",
            LogKind::ProviderPaused => "provider paused",
            LogKind::ProviderResumed => "provider resumed",
            LogKind::SpamDetected => "spam detected",
            LogKind::BlockedSender => "blocked sender",
            LogKind::AllowlistOverride => "allowlist override",
            LogKind::MarkedSpam => "marked spam",
            LogKind::MarkedNotSpam => "marked not spam",
            LogKind::BlockAdded => "block added",
            LogKind::BlockRemoved => "block removed",
            LogKind::AllowAdded => "allow added",
            LogKind::AllowRemoved => "allow removed",
            LogKind::SpamThresholdChanged => "spam threshold changed",
            LogKind::TrustedAuthservIdsChanged => "trusted authserv ids changed",
            LogKind::WebhookCredentialChanged => "webhook credential changed",
            LogKind::SnsSubscription => "sns subscription",
        }
    }
}

impl std::fmt::Display for LogKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is no [`LogKind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLogKind(pub String);

impl std::fmt::Display for UnknownLogKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} is not an Org Logging kind", self.0)
    }
}

impl std::error::Error for UnknownLogKind {}

impl std::str::FromStr for LogKind {
    type Err = UnknownLogKind;

    fn from_str(s: &str) -> Result<LogKind, UnknownLogKind> {
        LogKind::parse(s).ok_or_else(|| UnknownLogKind(s.to_string()))
    }
}

/// The complaint-rate warning line, complaints per 10,000 sent (0.1 %: the line big mailbox
/// providers ask senders to stay under).
pub const WARNING_PER_10K: u64 = 10;

/// The line where bulk sending pauses itself, complaints per 10,000 sent (0.3 %: where
/// providers start refusing mail).
pub const PAUSE_PER_10K: u64 = 30;

// The warning comes before the pause (checked when this compiles).
const _: () = assert!(WARNING_PER_10K < PAUSE_PER_10K);

/// A rate per 10,000 as a percentage, for display: 10 → 0.1.
pub fn per_10k_as_percent(per_10k: u64) -> f64 {
    per_10k as f64 / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_string() {
        for k in LogKind::ALL {
            assert_eq!(LogKind::parse(k.as_str()), Some(k), "{k:?}");
            assert_eq!(k.as_str().parse::<LogKind>(), Ok(k), "{k:?}");
            assert_eq!(k.to_string(), k.as_str());
        }
    }

    #[test]
    fn serde_names_are_the_stored_strings() {
        for k in LogKind::ALL {
            let json = serde_json::to_value(k).unwrap();
            assert_eq!(json, k.as_str(), "{k:?}");
            assert_eq!(serde_json::from_value::<LogKind>(json).unwrap(), k);
        }
    }

    #[test]
    fn all_lists_every_variant_once() {
        // serde's derive names every variant when it refuses an unknown one: the full list,
        // whatever ALL says.
        let err = serde_json::from_str::<LogKind>("\"?\"")
            .unwrap_err()
            .to_string();
        let (_, expected) = err.split_once("expected one of ").unwrap();
        let mut variants: Vec<&str> = expected
            .split(", ")
            .map(|v| v.split('`').nth(1).unwrap())
            .collect();
        let mut all: Vec<&str> = LogKind::ALL.iter().map(|k| k.as_str()).collect();
        variants.sort_unstable();
        all.sort_unstable();
        let before = all.len();
        all.dedup();
        assert_eq!(all.len(), before, "a kind is in ALL twice");
        assert_eq!(all, variants);
    }

    #[test]
    fn unknown_strings_are_no_kind() {
        for s in ["", "Bounce", "bounce ", "not_logged", "hard_bounce", "sns"] {
            assert_eq!(LogKind::parse(s), None, "{s:?}");
            assert!(s.parse::<LogKind>().is_err());
        }
    }

    #[test]
    fn labels_are_the_strings_spelt_out() {
        for k in LogKind::ALL {
            assert_eq!(k.label(), k.as_str().replace('_', " "), "{k:?}");
        }
    }

    #[test]
    fn the_rate_lines_read_as_percentages() {
        assert_eq!(per_10k_as_percent(WARNING_PER_10K).to_string(), "0.1");
        assert_eq!(per_10k_as_percent(PAUSE_PER_10K).to_string(), "0.3");
    }
}
