//! The one taxonomy every non-delivery notice, complaint and provider event is mapped to.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a notice means for the sender. The mapping from fine reasons to categories follows
/// the corpus README (Sisimai's reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// The address does not exist or will never accept mail.
    HardBounce,
    /// Temporary: full mailbox, too big, timed out, rate-limited, suspended.
    SoftBounce,
    /// The receiving side refused the sender: policy, reputation, authentication, relaying.
    IspBlock,
    /// The provider's filter rejected our content as spam.
    SpamComplaintAuto,
    /// The recipient reported the mail as spam (ARF `Feedback-Type: abuse`, JMRP).
    SpamComplaintManual,
    /// Vacation / out-of-office (RFC 3834).
    AutoReply,
    /// The recipient's server accepted the message.
    Delivered,
    /// An opt-out report.
    Unsubscribe,
    /// An ordinary message, not a notice at all.
    NotBounce,
    /// A notice we could not read; kept with its raw source, never dropped.
    Unclassified,
}

impl Category {
    pub const ALL: [Category; 10] = [
        Category::HardBounce,
        Category::SoftBounce,
        Category::IspBlock,
        Category::SpamComplaintAuto,
        Category::SpamComplaintManual,
        Category::AutoReply,
        Category::Delivered,
        Category::Unsubscribe,
        Category::NotBounce,
        Category::Unclassified,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::HardBounce => "hard_bounce",
            Category::SoftBounce => "soft_bounce",
            Category::IspBlock => "isp_block",
            Category::SpamComplaintAuto => "spam_complaint_auto",
            Category::SpamComplaintManual => "spam_complaint_manual",
            Category::AutoReply => "auto_reply",
            Category::Delivered => "delivered",
            Category::Unsubscribe => "unsubscribe",
            Category::NotBounce => "not_bounce",
            Category::Unclassified => "unclassified",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// True for the categories that are a failure to deliver (shown red on the timeline).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Category::HardBounce
                | Category::SoftBounce
                | Category::IspBlock
                | Category::SpamComplaintAuto
        )
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_round_trips_through_its_name() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
        }
        assert_eq!(Category::parse("bogus"), None);
    }
}
