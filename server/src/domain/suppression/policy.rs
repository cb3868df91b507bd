//! From a classified event to its rule: one arm per [`Category`], no wildcard, so a new category
//! cannot be added without deciding what it does here.

use chrono::{DateTime, Utc};

use super::{
    auto_complaint, hard_bounce, isp_block, manual_complaint, soft_bounce, unsubscribe, AccountId,
    Decision, LogKind,
};
use crate::domain::address::EmailAddress;
use crate::domain::category::Category;

/// What one event of `category` for `address`, on mail sent by `account`, does.
pub fn decide(
    category: Category,
    account: AccountId,
    address: &EmailAddress,
    now: DateTime<Utc>,
) -> Decision {
    match category {
        Category::HardBounce => hard_bounce::decide(account, address, now),
        Category::SoftBounce => soft_bounce::decide(account, address, now),
        Category::IspBlock => isp_block::decide(account, address, now),
        Category::SpamComplaintAuto => auto_complaint::decide(account, address, now),
        Category::SpamComplaintManual => manual_complaint::decide(account, address, now),
        Category::Unsubscribe => unsubscribe::decide(account, address, now),
        Category::Delivered => Decision::record_only(LogKind::Delivered),
        // An out-of-office proves the mailbox exists (RFC 3834): never a reason to suppress.
        Category::AutoReply => Decision::record_only(LogKind::AutoReply),
        // Kept with its raw source for a human; guessing would suppress good addresses.
        Category::Unclassified => Decision::record_only(LogKind::Unclassified),
        Category::NotBounce => Decision::not_logged(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::suppression::test_support::*;
    use crate::domain::suppression::{ContactEffect, Scope, SuppressionKind};

    #[test]
    fn each_category_leads_to_its_rule() {
        let a = addr("someone@example.com");
        // (category, expected kind and scope of the suppression, event log entry)
        type Row = (Category, Option<(SuppressionKind, Scope)>, Option<LogKind>);
        let table: [Row; 10] = [
            (
                Category::HardBounce,
                Some((SuppressionKind::HardBounce, Scope::Account(ACME))),
                Some(LogKind::Bounce),
            ),
            (
                Category::SoftBounce,
                Some((SuppressionKind::SoftBounce, Scope::Account(ACME))),
                Some(LogKind::Bounce),
            ),
            (Category::IspBlock, None, Some(LogKind::IspBlock)),
            (
                Category::SpamComplaintAuto,
                Some((SuppressionKind::SpamComplaintAuto, Scope::Account(ACME))),
                Some(LogKind::Complaint),
            ),
            (
                Category::SpamComplaintManual,
                Some((SuppressionKind::SpamComplaintManual, Scope::Account(ACME))),
                Some(LogKind::Complaint),
            ),
            (
                Category::Unsubscribe,
                Some((SuppressionKind::Unsubscribe, Scope::Account(ACME))),
                Some(LogKind::Unsubscribe),
            ),
            (Category::Delivered, None, Some(LogKind::Delivered)),
            (Category::AutoReply, None, Some(LogKind::AutoReply)),
            (Category::Unclassified, None, Some(LogKind::Unclassified)),
            (Category::NotBounce, None, None),
        ];
        for (category, expected, log) in table {
            let d = decide(category, ACME, &a, t0());
            assert_eq!(
                d.suppression.as_ref().map(|s| (s.kind, s.scope)),
                expected,
                "{category}"
            );
            assert_eq!(d.log, log, "{category}");
            if expected.is_none() {
                assert_eq!(d.contact, ContactEffect::Unchanged, "{category}");
            }
        }
        assert_eq!(
            table.len(),
            Category::ALL.len(),
            "every category is in the table"
        );
    }

    #[test]
    fn an_ordinary_message_leaves_no_log_entry() {
        assert!(decide(Category::NotBounce, ACME, &addr("a@b.test"), t0())
            .log_entries()
            .is_empty());
    }
}
