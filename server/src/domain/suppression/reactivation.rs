//! Reactivation: an account admin lets an address be mailed again, with a reason.
//!
//! - Entries of **that account** (complaints, admin blocks) are ended now.
//! - A **global** entry (hard or soft bounce) is not touched: other accounts still must not
//!   mail a dead address. Instead an account-level [`Override`] is created; the gate ignores
//!   global entries set *before or at* the override, so a new bounce on the shared transport
//!   after it suppresses again; an entry global on other accounts' word (a quorum) does not
//!   outvote the account's own judgement, whenever it was set. Reactivating an account's own
//!   bounce creates the override too: the address may become global later by a quorum.
//! - Unsubscribes are not lifted: consent is the recipient's to give back, not the admin's
//!   (they only block bulk mail anyway).
//! - Every reactivation is logged ([`Reactivation::log`]); nothing to reactivate, or an empty
//!   reason, is an error and logs nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{AccountId, ContactEffect, LogKind, Scope, Suppression, SuppressionKind};
use crate::domain::address::EmailAddress;

/// "Account `account` may mail `address` despite the global entries set up to `since`."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub account: AccountId,
    pub address: EmailAddress,
    pub reason: String,
    /// When the admin reactivated.
    pub since: DateTime<Utc>,
}

/// What storage does after a reactivation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reactivation {
    /// Account entries to end: set their `until` to [`Reactivation::at`].
    pub end: Vec<Suppression>,
    /// Present when a global entry was active, or a bounce (which may become global) lifted.
    pub create_override: Option<Override>,
    pub contact: ContactEffect,
    /// Always [`LogKind::SuppressionReactivated`].
    pub log: LogKind,
    /// The kinds that were lifted, for the log entry's details.
    pub lifted: Vec<SuppressionKind>,
    pub reason: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReactivationError {
    #[error("a reason is needed to reactivate an address")]
    EmptyReason,
    #[error("nothing to reactivate: the address is not suppressed for this account")]
    NotSuppressed,
    #[error("the recipient unsubscribed; only they can subscribe again")]
    OnlyUnsubscribed,
}

/// Reactivate `address` for `account`, given the rows and overrides storage holds for it.
pub fn reactivate(
    account: AccountId,
    address: &EmailAddress,
    reason: &str,
    entries: &[Suppression],
    overrides: &[Override],
    now: DateTime<Utc>,
) -> Result<Reactivation, ReactivationError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ReactivationError::EmptyReason);
    }
    let active: Vec<&Suppression> = entries
        .iter()
        .filter(|e| {
            e.address == *address
                && e.scope.covers(account)
                && e.is_active_at(now)
                && !already_overridden(e, account, overrides)
        })
        .collect();
    if active.is_empty() {
        return Err(ReactivationError::NotSuppressed);
    }
    let liftable: Vec<&Suppression> = active
        .into_iter()
        .filter(|e| e.kind != SuppressionKind::Unsubscribe)
        .collect();
    if liftable.is_empty() {
        return Err(ReactivationError::OnlyUnsubscribed);
    }
    // A bounce, even the account's own, may become global later on other accounts' word
    // (a quorum): the override keeps this reactivation standing then.
    let global = liftable.iter().any(|e| {
        e.scope == Scope::Global
            || matches!(
                e.kind,
                SuppressionKind::HardBounce | SuppressionKind::SoftBounce
            )
    });
    let mut lifted: Vec<SuppressionKind> = liftable.iter().map(|e| e.kind).collect();
    lifted.sort();
    lifted.dedup();
    Ok(Reactivation {
        end: liftable
            .iter()
            .filter(|e| e.scope == Scope::Account(account))
            .map(|e| (*e).clone())
            .collect(),
        create_override: global.then(|| Override {
            account,
            address: address.clone(),
            reason: reason.to_string(),
            since: now,
        }),
        contact: ContactEffect::MarkActive,
        log: LogKind::SuppressionReactivated,
        lifted,
        reason: reason.to_string(),
        at: now,
    })
}

/// A global entry this account already reactivated (the same test as the gate's).
fn already_overridden(e: &Suppression, account: AccountId, overrides: &[Override]) -> bool {
    let latest = overrides
        .iter()
        .filter(|o| o.account == account && o.address == e.address)
        .map(|o| o.since)
        .max();
    super::gate::overridden(e.scope, e.since, e.is_quorum(), latest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::category::Category;
    use crate::domain::suppression::gate::may_send;
    use crate::domain::suppression::test_support::*;
    use crate::domain::suppression::{policy, MailKind};
    use chrono::TimeDelta;

    fn rows_after(events: &[(Category, AccountId)], address: &EmailAddress) -> Vec<Suppression> {
        events
            .iter()
            .enumerate()
            .filter_map(|(i, (c, a))| {
                policy::decide(*c, *a, address, t0())
                    .suppression
                    .map(|s| s.with_event(Some(i as i64)))
            })
            .collect()
    }

    /// The same rows made global (as `scope_by_trust` does on a quorum or on our shared
    /// transport's evidence).
    fn global(rows: Vec<Suppression>) -> Vec<Suppression> {
        rows.into_iter()
            .map(|s| Suppression {
                scope: Scope::Global,
                ..s
            })
            .collect()
    }

    #[test]
    fn reactivation_needs_a_reason_and_something_to_reactivate() {
        let a = addr("x@example.com");
        let hard = rows_after(&[(Category::HardBounce, ACME)], &a);
        let unsub = rows_after(&[(Category::Unsubscribe, ACME)], &a);
        let soft = rows_after(&[(Category::SoftBounce, ACME)], &a);
        let later = t0() + TimeDelta::days(14);
        type Case<'a> = (
            &'a str,
            &'a [Suppression],
            DateTime<Utc>,
            Option<ReactivationError>,
        );
        let table: [Case; 7] = [
            ("", &hard, t0(), Some(ReactivationError::EmptyReason)),
            ("   ", &hard, t0(), Some(ReactivationError::EmptyReason)),
            (
                "typo fixed",
                &[],
                t0(),
                Some(ReactivationError::NotSuppressed),
            ),
            (
                "typo fixed",
                &soft,
                later,
                Some(ReactivationError::NotSuppressed),
            ),
            (
                "asked by phone",
                &unsub,
                t0(),
                Some(ReactivationError::OnlyUnsubscribed),
            ),
            ("typo fixed", &hard, t0(), None),
            ("mailbox emptied", &soft, t0(), None),
        ];
        for (reason, rows, now, expected) in table {
            assert_eq!(
                reactivate(ACME, &a, reason, rows, &[], now).err(),
                expected,
                "{reason:?} {rows:?}"
            );
        }
    }

    #[test]
    fn reactivating_a_global_hard_bounce_overrides_it_for_that_account_only() {
        let a = addr("typo@example.com");
        let rows = global(rows_after(&[(Category::HardBounce, GLOBEX)], &a));
        let now = t0() + TimeDelta::hours(1);
        let r = reactivate(ACME, &a, "  address confirmed by phone ", &rows, &[], now).unwrap();
        assert!(r.end.is_empty(), "the global entry stays");
        let o = r
            .create_override
            .clone()
            .expect("an account-level override");
        assert_eq!(
            (o.account, o.since, o.reason.as_str()),
            (ACME, now, "address confirmed by phone")
        );
        assert_eq!(r.log, LogKind::SuppressionReactivated);
        assert_eq!(r.lifted, vec![SuppressionKind::HardBounce]);
        assert_eq!(r.contact, ContactEffect::MarkActive);
        // (account, allowed after the override?)
        for (account, allowed) in [(ACME, true), (GLOBEX, false), (AccountId(3), false)] {
            let got = may_send(
                account,
                &a,
                MailKind::Bulk,
                &rows,
                std::slice::from_ref(&o),
                now,
            );
            assert_eq!(got.is_allowed(), allowed, "{account:?}");
        }
    }

    #[test]
    fn reactivating_ends_the_accounts_own_entries_and_leaves_other_accounts_alone() {
        let a = addr("moody@example.com");
        let rows = rows_after(
            &[
                (Category::SpamComplaintManual, ACME),
                (Category::SpamComplaintAuto, ACME),
                (Category::SpamComplaintManual, GLOBEX),
                (Category::Unsubscribe, ACME),
            ],
            &a,
        );
        let r = reactivate(
            ACME,
            &a,
            "customer asked us to write again",
            &rows,
            &[],
            t0(),
        )
        .unwrap();
        let ended: Vec<(SuppressionKind, Scope)> =
            r.end.iter().map(|e| (e.kind, e.scope)).collect();
        assert_eq!(
            ended,
            [
                (SuppressionKind::SpamComplaintManual, Scope::Account(ACME)),
                (SuppressionKind::SpamComplaintAuto, Scope::Account(ACME)),
            ]
        );
        assert_eq!(r.create_override, None, "no global entry, no override");
        assert_eq!(
            r.lifted,
            vec![
                SuppressionKind::SpamComplaintAuto,
                SuppressionKind::SpamComplaintManual
            ]
        );
    }

    #[test]
    fn reactivating_twice_finds_nothing_left_but_a_new_bounce_can_be_reactivated_again() {
        let a = addr("twice@example.com");
        let mut rows = global(rows_after(&[(Category::HardBounce, GLOBEX)], &a));
        let first = reactivate(ACME, &a, "confirmed", &rows, &[], t0()).unwrap();
        let overrides = vec![first.create_override.unwrap()];
        // (who asks, expected)
        for (account, expected) in [
            (ACME, Err(ReactivationError::NotSuppressed)),
            (GLOBEX, Ok(())),
        ] {
            let got = reactivate(account, &a, "again", &rows, &overrides, t0()).map(|_| ());
            assert_eq!(got, expected, "{account:?}");
        }
        let mut later = hard_bounce_row(&a, t0() + TimeDelta::days(1));
        later.event_id = Some(99);
        rows.push(later);
        let second = reactivate(
            ACME,
            &a,
            "typo fixed again",
            &rows,
            &overrides,
            t0() + TimeDelta::days(2),
        );
        assert!(second.unwrap().create_override.is_some());
    }

    #[test]
    fn a_later_quorum_does_not_outvote_a_reactivation_but_the_shared_transport_does() {
        use crate::domain::suppression::gate::SuppressionIndex;
        use crate::domain::suppression::scope_by_trust::GlobalBasis;
        let a = addr("back@example.com");
        let own = rows_after(&[(Category::HardBounce, ACME)], &a);
        let r = reactivate(ACME, &a, "she wrote to us", &own, &[], t0()).unwrap();
        assert_eq!(r.end.len(), 1, "Acme's own entry ends");
        let o = r
            .create_override
            .expect("an override: the bounce may become global later");
        let later = t0() + TimeDelta::days(3);
        let mut quorum = hard_bounce_row(&a, later);
        quorum.basis = Some(GlobalBasis::Quorum { accounts: 2 });
        let mut shared = hard_bounce_row(&a, later);
        shared.basis = Some(GlobalBasis::SharedTransport);
        // (global entry set after the reactivation, may Acme send?)
        for (row, acme_allowed) in [(quorum, true), (shared, false)] {
            let rows = std::slice::from_ref(&row);
            let overrides = std::slice::from_ref(&o);
            let index = SuppressionIndex::build(rows, overrides);
            for mail in [MailKind::Transactional, MailKind::Bulk] {
                let got = may_send(ACME, &a, mail, rows, overrides, later);
                assert_eq!(got.is_allowed(), acme_allowed, "{:?}", row.basis);
                assert_eq!(index.may_send(ACME, &a, mail, later), got);
                assert!(!may_send(GLOBEX, &a, mail, rows, overrides, later).is_allowed());
            }
            // Nothing left for Acme to reactivate when the override covers it.
            let again = reactivate(ACME, &a, "again", rows, overrides, later);
            assert_eq!(again.is_err(), acme_allowed, "{:?}", row.basis);
        }
    }

    fn hard_bounce_row(a: &EmailAddress, at: DateTime<Utc>) -> Suppression {
        let row = policy::decide(Category::HardBounce, GLOBEX, a, at)
            .suppression
            .unwrap()
            .with_event(None);
        global(vec![row]).remove(0)
    }
}
