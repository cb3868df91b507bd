//! Hard bounce: the address does not exist or will never accept mail.
//!
//! Effect: the address is excluded **in the reporting account**, **permanent until
//! reactivated**; the contact stays, marked "hard bounce". A non-existent mailbox is a fact
//! about the address, but one account's word is not proof of it: the entry reaches every
//! account only by [`scope_by_trust`](super::scope_by_trust) (our shared transport's own
//! answer, or hard bounces from several accounts).

use chrono::{DateTime, Utc};

use super::{
    AccountId, ContactEffect, Decision, LogKind, NewSuppression, Retry, Scope, SuppressionKind,
};
use crate::domain::address::EmailAddress;

pub const REASON: &str = "hard bounce: the address does not exist or refuses all mail";

/// The entry holds in the account that reported the bounce.
pub fn decide(account: AccountId, address: &EmailAddress, now: DateTime<Utc>) -> Decision {
    Decision {
        suppression: Some(NewSuppression {
            address: address.clone(),
            scope: Scope::Account(account),
            kind: SuppressionKind::HardBounce,
            stream: SuppressionKind::HardBounce.default_stream(),
            reason: REASON.to_string(),
            since: now,
            until: None,
        }),
        contact: ContactEffect::MarkHardBounce,
        log: Some(LogKind::Bounce),
        retry: Retry::Never,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::suppression::test_support::*;

    #[test]
    fn a_hard_bounce_suppresses_the_address_for_good_in_the_account_that_reported_it() {
        for (account, address) in [
            (ACME, "gone@example.com"),
            (GLOBEX, "Gone@Example.com"),
            (AccountId(-1), "x@y.test"),
        ] {
            let d = decide(account, &addr(address), t0());
            let s = d.suppression.clone().expect("a hard bounce suppresses");
            assert_eq!(s.scope, Scope::Account(account), "{address}");
            assert_eq!(s.kind, SuppressionKind::HardBounce);
            assert_eq!(s.until, None, "permanent until reactivated");
            assert_eq!(s.since, t0());
            assert_eq!(s.address, addr(address));
            assert_eq!(
                d.contact,
                ContactEffect::MarkHardBounce,
                "the contact stays, marked"
            );
            assert_eq!(d.retry, Retry::Never);
            assert_eq!(
                d.log_entries(),
                vec![LogKind::Bounce, LogKind::SuppressionAdded]
            );
        }
    }
}
