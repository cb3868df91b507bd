//! Unsubscribe (List-Unsubscribe, RFC 8058 one-click, or an opt-out report).
//!
//! Effect: blocked **in that account for bulk mail only**, for good. Replies to a conversation
//! the customer opened still go out: they asked for those. The contact stays active.

use chrono::{DateTime, Utc};

use super::{
    AccountId, ContactEffect, Decision, LogKind, NewSuppression, Retry, Scope, SuppressionKind,
};
use crate::domain::address::EmailAddress;

pub const REASON: &str = "unsubscribed from bulk mail of this account";

pub fn decide(account: AccountId, address: &EmailAddress, now: DateTime<Utc>) -> Decision {
    Decision {
        suppression: Some(NewSuppression {
            address: address.clone(),
            scope: Scope::Account(account),
            kind: SuppressionKind::Unsubscribe,
            stream: SuppressionKind::Unsubscribe.default_stream(),
            reason: REASON.to_string(),
            since: now,
            until: None,
        }),
        contact: ContactEffect::Unchanged,
        log: Some(LogKind::Unsubscribe),
        retry: Retry::Never,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::suppression::test_support::*;
    use crate::domain::suppression::MailKind;

    #[test]
    fn an_unsubscribe_blocks_bulk_mail_in_that_account_but_not_replies() {
        let d = decide(GLOBEX, &addr("bye@example.com"), t0());
        let s = d.suppression.clone().unwrap();
        assert_eq!(s.scope, Scope::Account(GLOBEX));
        assert_eq!(s.until, None);
        // (mail kind, blocked?)
        for (mail, blocked) in [(MailKind::Bulk, true), (MailKind::Transactional, false)] {
            assert_eq!(s.stream.blocks(mail), blocked, "{mail:?}");
        }
        assert_eq!(d.contact, ContactEffect::Unchanged);
        assert_eq!(
            d.log_entries(),
            vec![LogKind::Unsubscribe, LogKind::SuppressionAdded]
        );
    }
}
