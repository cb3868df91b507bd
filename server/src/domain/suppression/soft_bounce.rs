//! Soft bounce: a temporary failure (full mailbox, too big, timed out, rate-limited, suspended).
//!
//! Effect: the address is excluded for **14 days**, then released by itself — no job needed,
//! the gate compares `until` with now. Convention: the entry holds over `[now, now + 14 days)`,
//! so at exactly `now + 14 days` the address may be mailed again.
//!
//! Scope: the reporting account; every account only when our shared transport saw it
//! ([`scope_by_trust`](super::scope_by_trust)).

use chrono::{DateTime, TimeDelta, Utc};

use super::{
    add, AccountId, ContactEffect, Decision, LogKind, NewSuppression, Retry, Scope, SuppressionKind,
};
use crate::domain::address::EmailAddress;

/// How long a soft bounce keeps the address out.
pub const SOFT_BOUNCE_DAYS: i64 = 14;

pub const REASON: &str = "soft bounce: temporary failure, excluded for 14 days";

pub fn duration() -> TimeDelta {
    TimeDelta::days(SOFT_BOUNCE_DAYS)
}

pub fn decide(account: AccountId, address: &EmailAddress, now: DateTime<Utc>) -> Decision {
    let until = add(now, duration());
    Decision {
        suppression: Some(NewSuppression {
            address: address.clone(),
            scope: Scope::Account(account),
            kind: SuppressionKind::SoftBounce,
            stream: SuppressionKind::SoftBounce.default_stream(),
            reason: REASON.to_string(),
            since: now,
            until: Some(until),
        }),
        contact: ContactEffect::MarkSoftBounceUntil(until),
        log: Some(LogKind::Bounce),
        retry: Retry::Never,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::suppression::test_support::*;

    #[test]
    fn a_soft_bounce_excludes_the_address_for_exactly_fourteen_days() {
        let d = decide(ACME, &addr("full@example.com"), t0());
        let s = d
            .suppression
            .clone()
            .expect("a soft bounce suppresses")
            .with_event(Some(9));
        let until = t0() + TimeDelta::days(14);
        assert_eq!(s.until, Some(until));
        assert_eq!(s.scope, Scope::Account(ACME));
        assert_eq!(d.contact, ContactEffect::MarkSoftBounceUntil(until));
        // (offset from the bounce, still excluded?)
        let table = [
            (TimeDelta::zero(), true),
            (TimeDelta::days(1), true),
            (TimeDelta::days(14) - TimeDelta::seconds(1), true),
            (TimeDelta::days(14) - TimeDelta::nanoseconds(1), true),
            (TimeDelta::days(14), false),
            (TimeDelta::days(14) + TimeDelta::seconds(1), false),
            (TimeDelta::days(400), false),
        ];
        for (offset, excluded) in table {
            assert_eq!(
                s.is_active_at(t0() + offset),
                excluded,
                "at bounce + {offset}"
            );
        }
    }

    #[test]
    fn a_soft_bounce_at_the_end_of_time_saturates_instead_of_panicking() {
        let d = decide(ACME, &addr("a@b.test"), DateTime::<Utc>::MAX_UTC);
        assert_eq!(d.suppression.unwrap().until, Some(DateTime::<Utc>::MAX_UTC));
    }
}
