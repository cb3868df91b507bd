//! The SMTP reply at send time (RFC 5321 §4.2.1: the first digit says it all).
//!
//! - `2xx`: accepted by the next hop at `now`.
//! - `5xx`: a permanent failure, **recorded as a bounce with the same classification** as an
//!   NDN with that text would get (the classifier's [`Category`] is passed in), **never
//!   retried**.
//! - `4xx`: transient; retried on the [`BACKOFF_MINUTES`] schedule (5 min, 30 min, 2 h, 6 h
//!   after each failure); a 4xx after the last retry becomes a soft bounce.
//! - Anything else (1xx/3xx as a final reply, or a code outside 200–599) is a protocol error
//!   of the peer, not a verdict about the address: treated as transient, like 4xx.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{add, policy, soft_bounce, AccountId, Decision, LogKind, Retry};
use crate::domain::address::EmailAddress;
use crate::domain::category::Category;

/// Delay before retry 1, 2, 3, 4 (minutes). After the 4th retry fails: soft bounce.
pub const BACKOFF_MINUTES: [i64; 4] = [5, 30, 120, 360];

/// The class of a reply code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyClass {
    Accepted,
    Transient,
    Permanent,
}

impl ReplyClass {
    pub fn of(code: u16) -> ReplyClass {
        match code {
            200..=299 => ReplyClass::Accepted,
            500..=599 => ReplyClass::Permanent,
            _ => ReplyClass::Transient,
        }
    }
}

/// Decide after an attempt to send that got reply `code`.
///
/// `category` is the classifier's verdict on the reply text (used for 5xx only);
/// `retries_done` is how many retries were already made before this attempt (0 on the first
/// send).
pub fn decide(
    code: u16,
    category: Category,
    retries_done: u32,
    account: AccountId,
    address: &EmailAddress,
    now: DateTime<Utc>,
) -> Decision {
    match ReplyClass::of(code) {
        ReplyClass::Accepted => Decision::record_only(LogKind::Delivered),
        ReplyClass::Permanent => {
            // A 5xx is a failure whatever the text says; a text read as "delivered" or as an
            // ordinary message is a classifier miss, so it is kept as unclassified.
            let category = if category.is_failure()
                || matches!(
                    category,
                    Category::SpamComplaintManual | Category::Unsubscribe
                ) {
                category
            } else {
                Category::Unclassified
            };
            let mut d = policy::decide(category, account, address, now);
            d.retry = Retry::Never;
            d
        }
        ReplyClass::Transient => match next_retry_delay(retries_done) {
            Some(delay) => Decision {
                retry: Retry::At {
                    attempt: retries_done.saturating_add(1),
                    at: add(now, delay),
                },
                ..Decision::record_only(LogKind::Deferred)
            },
            None => soft_bounce::decide(account, address, now),
        },
    }
}

/// The delay before the next retry, or `None` when the schedule is used up.
pub fn next_retry_delay(retries_done: u32) -> Option<TimeDelta> {
    BACKOFF_MINUTES
        .get(retries_done as usize)
        .map(|m| TimeDelta::minutes(*m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::suppression::test_support::*;
    use crate::domain::suppression::{Scope, SuppressionKind};

    #[test]
    fn reply_codes_are_classed_by_their_first_digit() {
        for (code, class) in [
            (0, ReplyClass::Transient),
            (199, ReplyClass::Transient),
            (200, ReplyClass::Accepted),
            (250, ReplyClass::Accepted),
            (299, ReplyClass::Accepted),
            (354, ReplyClass::Transient),
            (421, ReplyClass::Transient),
            (452, ReplyClass::Transient),
            (499, ReplyClass::Transient),
            (500, ReplyClass::Permanent),
            (550, ReplyClass::Permanent),
            (599, ReplyClass::Permanent),
            (600, ReplyClass::Transient),
            (u16::MAX, ReplyClass::Transient),
        ] {
            assert_eq!(ReplyClass::of(code), class, "{code}");
        }
    }

    #[test]
    fn a_5xx_is_recorded_like_a_bounce_of_the_same_category_and_never_retried() {
        let a = addr("nobody@example.com");
        // (code, classifier verdict, expected suppression kind, expected log)
        let table = [
            (
                550,
                Category::HardBounce,
                Some(SuppressionKind::HardBounce),
                LogKind::Bounce,
            ),
            (
                552,
                Category::SoftBounce,
                Some(SuppressionKind::SoftBounce),
                LogKind::Bounce,
            ),
            (554, Category::IspBlock, None, LogKind::IspBlock),
            (
                554,
                Category::SpamComplaintAuto,
                Some(SuppressionKind::SpamComplaintAuto),
                LogKind::Complaint,
            ),
            (550, Category::Unclassified, None, LogKind::Unclassified),
            (550, Category::Delivered, None, LogKind::Unclassified),
            (550, Category::NotBounce, None, LogKind::Unclassified),
        ];
        for (code, category, kind, log) in table {
            for retries_done in [0, 2, 9] {
                let d = decide(code, category, retries_done, ACME, &a, t0());
                assert_eq!(
                    d.suppression.as_ref().map(|s| s.kind),
                    kind,
                    "{code} {category}"
                );
                assert_eq!(d.log, Some(log), "{code} {category}");
                assert_eq!(d.retry, Retry::Never, "{code} {category} is never retried");
            }
        }
        // In the sending account; whether it also goes global is scope_by_trust's call
        // (the transport that answered).
        let hard = decide(550, Category::HardBounce, 0, ACME, &a, t0());
        assert_eq!(hard.suppression.unwrap().scope, Scope::Account(ACME));
    }

    #[test]
    fn a_4xx_is_retried_after_5_min_30_min_2_h_6_h_then_becomes_a_soft_bounce() {
        let a = addr("busy@example.com");
        let table = [
            (0, Some((1, TimeDelta::minutes(5)))),
            (1, Some((2, TimeDelta::minutes(30)))),
            (2, Some((3, TimeDelta::hours(2)))),
            (3, Some((4, TimeDelta::hours(6)))),
            (4, None),
            (u32::MAX, None),
        ];
        for (retries_done, expected) in table {
            let d = decide(452, Category::SoftBounce, retries_done, ACME, &a, t0());
            match expected {
                Some((attempt, delay)) => {
                    assert_eq!(
                        d.retry,
                        Retry::At {
                            attempt,
                            at: t0() + delay
                        },
                        "after {retries_done} retries"
                    );
                    assert_eq!(d.suppression, None);
                    assert_eq!(d.log, Some(LogKind::Deferred));
                }
                None => {
                    assert_eq!(d.retry, Retry::Never, "after {retries_done} retries");
                    assert_eq!(d.suppression.unwrap().kind, SuppressionKind::SoftBounce);
                    assert_eq!(d.log, Some(LogKind::Bounce));
                }
            }
        }
    }

    #[test]
    fn a_2xx_is_accepted_and_changes_nothing() {
        let d = decide(
            250,
            Category::HardBounce,
            3,
            ACME,
            &addr("ok@example.com"),
            t0(),
        );
        assert_eq!(d, Decision::record_only(LogKind::Delivered));
    }
}
