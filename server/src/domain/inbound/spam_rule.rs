//! The spam business rule: what an incoming message does to its conversation.
//!
//! - A blocked sender's mail never reaches the open queue: it is stored as spam whatever the
//!   score or threshold (threshold 0 turns the *score* off, not the block list).
//! - A score at or over the account's threshold marks the conversation Done with `Spam: true`
//!   (kept out of Reporting, still found by search), unless the sender is on the account's
//!   allowlist: then the score marks nothing (the block list still wins over the allowlist).
//! - A reply to a conversation already marked spam leaves it where it is: only an agent's
//!   "Not spam" brings it back.
//! - Otherwise a customer's message opens a new conversation or reopens a done one.

use crate::domain::spam::{SpamScore, Threshold};
use serde::Serialize;

/// The conversation a message was threaded into, as storage found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExistingConversation {
    pub open: bool,
    pub spam: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SpamReason {
    /// The score reached the account's threshold.
    Score { score: f64, threshold: f64 },
    /// The sender is on the account's block list (`entry` is the address or domain).
    BlockedSender { entry: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum InboundAction {
    /// A new conversation in the open queue.
    Open,
    /// A done conversation opened again by the customer's reply.
    Reopen,
    /// Added to the conversation; its status stays (open, or already spam).
    Append,
    /// The conversation goes to Done with `Spam: true`.
    MarkSpam(SpamReason),
}

impl InboundAction {
    pub fn is_spam(&self) -> bool {
        matches!(self, InboundAction::MarkSpam(_))
    }
}

/// The sender's entries on the account's lists (address or domain), if any.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Listed<'a> {
    pub blocked_by: Option<&'a str>,
    pub allowed_by: Option<&'a str>,
}

/// Decides the action for one message.
pub fn decide(
    score: SpamScore,
    threshold: Threshold,
    listed: Listed<'_>,
    existing: Option<ExistingConversation>,
) -> InboundAction {
    if let Some(entry) = listed.blocked_by {
        return InboundAction::MarkSpam(SpamReason::BlockedSender {
            entry: entry.to_string(),
        });
    }
    if threshold.is_spam(score) && listed.allowed_by.is_none() {
        return InboundAction::MarkSpam(SpamReason::Score {
            score: score.points(),
            threshold: threshold.value(),
        });
    }
    match existing {
        None => InboundAction::Open,
        Some(c) if c.spam => InboundAction::Append,
        Some(c) if c.open => InboundAction::Append,
        Some(_) => InboundAction::Reopen,
    }
}

/// The allowlist entry that kept a message out of spam although its score reached the
/// threshold (logged in Org Logging); `None` when the allowlist changed nothing.
pub fn allowlist_override<'a>(
    score: SpamScore,
    threshold: Threshold,
    listed: Listed<'a>,
) -> Option<&'a str> {
    match listed {
        Listed {
            blocked_by: None,
            allowed_by: Some(entry),
        } if threshold.is_spam(score) => Some(entry),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: f64) -> Threshold {
        Threshold::try_from(v).unwrap()
    }
    fn s(v: f64) -> SpamScore {
        SpamScore::from_points(v)
    }
    const OPEN: Option<ExistingConversation> = Some(ExistingConversation {
        open: true,
        spam: false,
    });
    const DONE: Option<ExistingConversation> = Some(ExistingConversation {
        open: false,
        spam: false,
    });
    const SPAM: Option<ExistingConversation> = Some(ExistingConversation {
        open: false,
        spam: true,
    });

    #[test]
    fn table() {
        use InboundAction::*;
        let spam = |score: f64, threshold: f64| MarkSpam(SpamReason::Score { score, threshold });
        let blocked = MarkSpam(SpamReason::BlockedSender {
            entry: "spam.test".into(),
        });
        #[allow(clippy::type_complexity)]
        let cases: &[(
            f64,
            f64,
            Option<&str>,
            Option<ExistingConversation>,
            InboundAction,
        )] = &[
            // (score, threshold, blocked by, existing conversation) → action
            (1.0, 5.0, None, None, Open),
            (4.99, 5.0, None, None, Open),
            (5.0, 5.0, None, None, spam(5.0, 5.0)), // at the threshold is spam
            (12.0, 5.0, None, OPEN, spam(12.0, 5.0)),
            (12.0, 0.0, None, None, Open), // 0 turns filtering off
            (12.0, 0.0, None, DONE, Reopen),
            (-3.0, 0.0, Some("spam.test"), None, blocked.clone()), // blocks hold even at 0
            (-3.0, 5.0, Some("spam.test"), OPEN, blocked.clone()),
            (1.0, 5.0, None, OPEN, Append),
            (1.0, 5.0, None, DONE, Reopen),
            (1.0, 5.0, None, SPAM, Append), // a reply does not reopen a spam conversation
            (1.0, 5.0, Some("spam.test"), SPAM, blocked.clone()),
            (6.5, 7.0, None, None, Open),
        ];
        for (score, threshold, by, existing, want) in cases {
            assert_eq!(
                decide(
                    s(*score),
                    t(*threshold),
                    Listed {
                        blocked_by: *by,
                        allowed_by: None
                    },
                    *existing
                ),
                *want,
                "score {score} threshold {threshold} blocked {by:?} existing {existing:?}"
            );
        }
    }

    #[test]
    fn the_allowlist_beats_the_score_and_the_block_list_beats_the_allowlist() {
        use InboundAction::*;
        let both = Listed {
            blocked_by: Some("spam.test"),
            allowed_by: Some("bob@spam.test"),
        };
        let allowed = Listed {
            blocked_by: None,
            allowed_by: Some("partner.test"),
        };
        // (score, threshold, listed, existing) → (action, the allowlist overrode the score)
        #[allow(clippy::type_complexity)]
        let cases: &[(
            f64,
            f64,
            Listed,
            Option<ExistingConversation>,
            InboundAction,
            bool,
        )] = &[
            (12.0, 5.0, allowed, None, Open, true),
            (12.0, 5.0, allowed, DONE, Reopen, true),
            (12.0, 5.0, allowed, OPEN, Append, true),
            (5.0, 5.0, allowed, None, Open, true),
            (4.9, 5.0, allowed, None, Open, false), // under the threshold: nothing overridden
            (12.0, 0.0, allowed, None, Open, false), // filtering off: nothing overridden
            (
                12.0,
                5.0,
                both,
                None,
                MarkSpam(SpamReason::BlockedSender {
                    entry: "spam.test".into(),
                }),
                false,
            ),
            (
                12.0,
                5.0,
                Listed::default(),
                None,
                MarkSpam(SpamReason::Score {
                    score: 12.0,
                    threshold: 5.0,
                }),
                false,
            ),
        ];
        for (score, threshold, listed, existing, want, overrides) in cases {
            assert_eq!(
                decide(s(*score), t(*threshold), *listed, *existing),
                *want,
                "score {score} threshold {threshold} {listed:?}"
            );
            assert_eq!(
                allowlist_override(s(*score), t(*threshold), *listed).is_some(),
                *overrides,
                "score {score} threshold {threshold} {listed:?}"
            );
        }
    }

    #[test]
    fn only_mark_spam_is_spam() {
        assert!(!InboundAction::Open.is_spam());
        assert!(!InboundAction::Reopen.is_spam());
        assert!(InboundAction::MarkSpam(SpamReason::BlockedSender { entry: "x".into() }).is_spam());
    }
}
