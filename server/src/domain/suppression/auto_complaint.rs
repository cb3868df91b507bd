//! Automatic spam complaint: the provider's filter rejected our content as spam.
//!
//! Effect: blocked **14 days in the sending account only**; the contact stays active (it shows
//! "complaint until …" but stays in lists). Account-scoped because the verdict is about this
//! sender's content, not about the address; 14 days like a soft bounce, because filters forget.
//! Same `[since, until)` convention: at exactly `now + 14 days` it is released.

use chrono::{DateTime, TimeDelta, Utc};

use super::{
    add, AccountId, ContactEffect, Decision, LogKind, NewSuppression, Retry, Scope, SuppressionKind,
};
use crate::domain::address::EmailAddress;

pub const AUTO_COMPLAINT_DAYS: i64 = 14;

pub const REASON: &str = "spam complaint (automatic): the recipient's filter rejected our content, blocked 14 days in this account";

pub fn decide(account: AccountId, address: &EmailAddress, now: DateTime<Utc>) -> Decision {
    let until = add(now, TimeDelta::days(AUTO_COMPLAINT_DAYS));
    Decision {
        suppression: Some(NewSuppression {
            address: address.clone(),
            scope: Scope::Account(account),
            kind: SuppressionKind::SpamComplaintAuto,
            stream: SuppressionKind::SpamComplaintAuto.default_stream(),
            reason: REASON.to_string(),
            since: now,
            until: Some(until),
        }),
        contact: ContactEffect::MarkComplaintUntil(until),
        log: Some(LogKind::Complaint),
        retry: Retry::Never,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::suppression::test_support::*;

    #[test]
    fn an_automatic_complaint_blocks_fourteen_days_in_the_sending_account_only() {
        for account in [ACME, GLOBEX] {
            let d = decide(account, &addr("filtered@example.com"), t0());
            let s = d.suppression.clone().unwrap().with_event(None);
            assert_eq!(s.scope, Scope::Account(account));
            assert!(s.scope.covers(account));
            let other = if account == ACME { GLOBEX } else { ACME };
            assert!(!s.scope.covers(other), "other accounts are not blocked");
            assert_eq!(s.kind, SuppressionKind::SpamComplaintAuto);
            let until = t0() + TimeDelta::days(14);
            assert_eq!(s.until, Some(until));
            assert!(s.is_active_at(until - TimeDelta::nanoseconds(1)));
            assert!(!s.is_active_at(until), "released at exactly 14 days");
            assert_eq!(
                d.contact,
                ContactEffect::MarkComplaintUntil(until),
                "stays active, badge only"
            );
            assert_eq!(d.log, Some(LogKind::Complaint));
        }
    }
}
