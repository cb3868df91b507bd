//! Manual spam complaint: the recipient reported the mail as spam (ARF `Feedback-Type: abuse`,
//! JMRP).
//!
//! Effect: blocked **for good in that account**; the contact is removed from active contacts.
//! The person said "stop" to this sender; only an admin reactivation lifts it.

use chrono::{DateTime, Utc};

use super::{
    AccountId, ContactEffect, Decision, LogKind, NewSuppression, Retry, Scope, SuppressionKind,
};
use crate::domain::address::EmailAddress;

pub const REASON: &str =
    "spam complaint: the recipient reported our mail as spam, blocked in this account";

pub fn decide(account: AccountId, address: &EmailAddress, now: DateTime<Utc>) -> Decision {
    Decision {
        suppression: Some(NewSuppression {
            address: address.clone(),
            scope: Scope::Account(account),
            kind: SuppressionKind::SpamComplaintManual,
            stream: SuppressionKind::SpamComplaintManual.default_stream(),
            reason: REASON.to_string(),
            since: now,
            until: None,
        }),
        contact: ContactEffect::RemoveFromActive,
        log: Some(LogKind::Complaint),
        retry: Retry::Never,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::suppression::test_support::*;

    #[test]
    fn a_manual_complaint_blocks_for_good_in_that_account_and_deactivates_the_contact() {
        for account in [ACME, GLOBEX] {
            let d = decide(account, &addr("angry@example.com"), t0());
            let s = d.suppression.clone().unwrap().with_event(Some(1));
            assert_eq!(s.scope, Scope::Account(account));
            assert_eq!(s.kind, SuppressionKind::SpamComplaintManual);
            assert_eq!(s.until, None);
            assert!(s.is_active_at(DateTime::<Utc>::MAX_UTC), "for good");
            assert_eq!(d.contact, ContactEffect::RemoveFromActive);
            assert_eq!(
                d.log_entries(),
                vec![LogKind::Complaint, LogKind::SuppressionAdded]
            );
        }
    }
}
