//! The gate: may this account send this kind of mail to this address now?
//!
//! An entry blocks when its scope covers the sending account, its stream covers the mail kind
//! (unsubscribes and campaign-stream entries block campaigns only, [`super::stream`]), it is
//! active (`now < until`; expiry needs no job), and, for a global entry, the account's
//! reactivation override does not cover it ([`overridden`]): an override covers the global
//! entries set up to it, and those that hold on other accounts' word (a quorum, issue 16)
//! whenever they were set: the account said the address works, and other accounts' reports do
//! not outvote it for that account. The shared transport's own evidence after the override, or
//! the account's own new bounce, suppresses again.
//!
//! When several entries block, the one reported is the longest-lasting (permanent first, then
//! the latest `until`), then global before account, then the kind in declaration order, then
//! the most recent (`since`, then event id) — the same answer whatever order storage returns
//! rows in.
//!
//! [`may_send`] checks one address against a slice of rows; [`SuppressionIndex`] is the
//! in-memory batch form (the reference figure of the issue-4 benchmark) and gives the same
//! answers.

use std::cmp::Reverse;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    is_active, AccountId, MailKind, Override, Scope, Stream, Suppression, SuppressionKind,
};
use crate::domain::address::EmailAddress;

/// The gate's answer; `Suppressed` carries what the agent is shown (reason, scope, until) and
/// the source event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum GateResult {
    Allowed,
    Suppressed {
        reason: String,
        scope: Scope,
        until: Option<DateTime<Utc>>,
        kind: SuppressionKind,
        /// The mail the entry stops.
        stream: Stream,
        event_id: Option<i64>,
    },
}

impl GateResult {
    pub fn is_allowed(&self) -> bool {
        matches!(self, GateResult::Allowed)
    }
}

/// (until, global?, kind, since, event id, reason, all-mail first) — compared
/// lexicographically.
type Rank<'a> = (
    DateTime<Utc>,
    bool,
    Reverse<SuppressionKind>,
    DateTime<Utc>,
    Option<i64>,
    Reverse<&'a str>,
    Reverse<Stream>,
);

/// Whether an account's latest reactivation override (`override_since`) covers an entry of
/// `scope` set at `since`; `quorum` when it is global on other accounts' word. See the module
/// docs.
pub fn overridden(
    scope: Scope,
    since: DateTime<Utc>,
    quorum: bool,
    override_since: Option<DateTime<Utc>>,
) -> bool {
    scope == Scope::Global && override_since.is_some_and(|o| since <= o || quorum)
}

/// The fields of an entry the gate reads, borrowed from a row or from the index.
#[derive(Clone, Copy)]
struct View<'a> {
    scope: Scope,
    kind: SuppressionKind,
    stream: Stream,
    since: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
    event_id: Option<i64>,
    reason: &'a str,
    quorum: bool,
}

impl View<'_> {
    fn blocks(
        &self,
        account: AccountId,
        mail: MailKind,
        override_since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> bool {
        let overridden = overridden(self.scope, self.since, self.quorum, override_since);
        self.scope.covers(account)
            && self.stream.blocks(mail)
            && is_active(self.until, now)
            && !overridden
    }

    /// Larger = reported first. See the module docs.
    fn rank(&self) -> Rank<'_> {
        (
            self.until.unwrap_or(DateTime::<Utc>::MAX_UTC),
            self.scope == Scope::Global,
            Reverse(self.kind),
            self.since,
            self.event_id,
            Reverse(self.reason),
            Reverse(self.stream),
        )
    }

    fn to_result(self) -> GateResult {
        GateResult::Suppressed {
            reason: self.reason.to_string(),
            scope: self.scope,
            until: self.until,
            kind: self.kind,
            stream: self.stream,
            event_id: self.event_id,
        }
    }
}

fn verdict<'a>(
    views: impl Iterator<Item = View<'a>>,
    account: AccountId,
    mail: MailKind,
    override_since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> GateResult {
    views
        .filter(|v| v.blocks(account, mail, override_since, now))
        .max_by(|a, b| a.rank().cmp(&b.rank()))
        .map_or(GateResult::Allowed, View::to_result)
}

/// The latest reactivation override of `account` among `overrides` (already narrowed to one
/// address).
fn latest_override<'a>(
    overrides: impl Iterator<Item = &'a (AccountId, DateTime<Utc>)>,
    account: AccountId,
) -> Option<DateTime<Utc>> {
    overrides
        .filter(|(a, _)| *a == account)
        .map(|(_, t)| *t)
        .max()
}

/// One address against the rows storage found for it (rows for other addresses are ignored).
pub fn may_send(
    account: AccountId,
    address: &EmailAddress,
    kind: MailKind,
    entries: &[Suppression],
    overrides: &[Override],
    now: DateTime<Utc>,
) -> GateResult {
    let pairs: Vec<(AccountId, DateTime<Utc>)> = overrides
        .iter()
        .filter(|o| o.address == *address)
        .map(|o| (o.account, o.since))
        .collect();
    let override_since = latest_override(pairs.iter(), account);
    let views = entries
        .iter()
        .filter(|e| e.address == *address)
        .map(|e| View {
            scope: e.scope,
            kind: e.kind,
            stream: e.stream,
            since: e.since,
            until: e.until,
            event_id: e.event_id,
            reason: &e.reason,
            quorum: e.is_quorum(),
        });
    verdict(views, account, kind, override_since, now)
}

const NONE: usize = usize::MAX;

/// A compact entry: the reason is interned (most rows share a handful of texts), rows for one
/// address are chained through `next`, so an address costs one map slot, not a `Vec`.
struct Entry {
    scope: Scope,
    kind: SuppressionKind,
    stream: Stream,
    since: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
    event_id: Option<i64>,
    reason: usize,
    quorum: bool,
    next: usize,
}

/// In-memory index of suppressions and overrides keyed by the normalised (lower-cased)
/// address, to filter a whole recipient list in one pass.
#[derive(Default)]
pub struct SuppressionIndex {
    heads: HashMap<Box<str>, usize>,
    entries: Vec<Entry>,
    reasons: Vec<Box<str>>,
    reason_ids: HashMap<Box<str>, usize>,
    overrides: HashMap<Box<str>, Vec<(AccountId, DateTime<Utc>)>>,
}

/// The outcome of [`SuppressionIndex::filter`], borrowing the recipients (no per-address
/// copies: a campaign of a million recipients should not allocate a million strings).
/// Recipients keep their input order; duplicates are not removed.
#[derive(Debug, Default, Serialize)]
pub struct BatchResult<'a> {
    pub allowed: Vec<&'a EmailAddress>,
    pub suppressed: Vec<(&'a EmailAddress, GateResult)>,
}

impl SuppressionIndex {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn build(entries: &[Suppression], overrides: &[Override]) -> Self {
        let mut index = SuppressionIndex {
            heads: HashMap::with_capacity(entries.len()),
            entries: Vec::with_capacity(entries.len()),
            ..Self::default()
        };
        for e in entries {
            index.insert(e);
        }
        for o in overrides {
            index.insert_override(o);
        }
        index
    }

    pub fn insert(&mut self, e: &Suppression) {
        let reason = match self.reason_ids.get(e.reason.as_str()) {
            Some(id) => *id,
            None => {
                let id = self.reasons.len();
                self.reasons.push(e.reason.as_str().into());
                self.reason_ids.insert(e.reason.as_str().into(), id);
                id
            }
        };
        let at = self.entries.len();
        let head = self.heads.entry(e.address.as_str().into()).or_insert(NONE);
        self.entries.push(Entry {
            scope: e.scope,
            kind: e.kind,
            stream: e.stream,
            since: e.since,
            until: e.until,
            event_id: e.event_id,
            reason,
            quorum: e.is_quorum(),
            next: *head,
        });
        *head = at;
    }

    pub fn insert_override(&mut self, o: &Override) {
        self.overrides
            .entry(o.address.as_str().into())
            .or_default()
            .push((o.account, o.since));
    }

    /// Number of distinct suppressed addresses.
    pub fn addresses(&self) -> usize {
        self.heads.len()
    }

    /// Number of entries (rows).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn chain(&self, mut at: usize) -> impl Iterator<Item = View<'_>> {
        std::iter::from_fn(move || {
            let e = self.entries.get(at)?;
            at = e.next;
            Some(View {
                scope: e.scope,
                kind: e.kind,
                stream: e.stream,
                since: e.since,
                until: e.until,
                event_id: e.event_id,
                reason: self.reasons.get(e.reason).map_or("", |r| r),
                quorum: e.quorum,
            })
        })
    }

    /// The gate for one address; same answer as [`may_send`] over the same rows.
    pub fn may_send(
        &self,
        account: AccountId,
        address: &EmailAddress,
        kind: MailKind,
        now: DateTime<Utc>,
    ) -> GateResult {
        let Some(&head) = self.heads.get(address.as_str()) else {
            return GateResult::Allowed;
        };
        let override_since = self
            .overrides
            .get(address.as_str())
            .and_then(|v| latest_override(v.iter(), account));
        verdict(self.chain(head), account, kind, override_since, now)
    }

    /// The gate for a whole recipient list in one pass.
    pub fn filter<'a>(
        &self,
        account: AccountId,
        kind: MailKind,
        recipients: &'a [EmailAddress],
        now: DateTime<Utc>,
    ) -> BatchResult<'a> {
        let mut out = BatchResult {
            allowed: Vec::with_capacity(recipients.len()),
            suppressed: Vec::new(),
        };
        for r in recipients {
            match self.may_send(account, r, kind, now) {
                GateResult::Allowed => out.allowed.push(r),
                blocked => out.suppressed.push((r, blocked)),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::suppression::test_support::*;
    use chrono::TimeDelta;

    fn row(
        address: &str,
        scope: Scope,
        kind: SuppressionKind,
        since_days: i64,
        until_days: Option<i64>,
        event: i64,
    ) -> Suppression {
        Suppression {
            address: addr(address),
            scope,
            kind,
            stream: kind.default_stream(),
            reason: format!("{} #{event}", kind.as_str()),
            since: t0() + TimeDelta::days(since_days),
            until: until_days.map(|d| t0() + TimeDelta::days(d)),
            event_id: Some(event),
            basis: None,
        }
    }

    fn ovr(address: &str, account: AccountId, at_days: i64) -> Override {
        Override {
            account,
            address: addr(address),
            reason: "confirmed by phone".into(),
            since: t0() + TimeDelta::days(at_days),
        }
    }

    use SuppressionKind::*;

    fn rows() -> Vec<Suppression> {
        vec![
            row("hard@x.test", Scope::Global, HardBounce, 0, None, 1),
            row("soft@x.test", Scope::Global, SoftBounce, 0, Some(14), 2),
            row(
                "auto@x.test",
                Scope::Account(ACME),
                SpamComplaintAuto,
                0,
                Some(14),
                3,
            ),
            row(
                "manual@x.test",
                Scope::Account(ACME),
                SpamComplaintManual,
                0,
                None,
                4,
            ),
            row(
                "unsub@x.test",
                Scope::Account(ACME),
                Unsubscribe,
                0,
                None,
                5,
            ),
            // two entries on one address: the permanent one is reported
            row("both@x.test", Scope::Global, SoftBounce, 0, Some(14), 6),
            row(
                "both@x.test",
                Scope::Account(ACME),
                SpamComplaintManual,
                1,
                None,
                7,
            ),
            // hard bounce reactivated by Acme on day 2 (overrides event 8), bounced again on day 5
            row("again@x.test", Scope::Global, HardBounce, 0, None, 8),
            row("again@x.test", Scope::Global, HardBounce, 5, None, 9),
            row("reactivated@x.test", Scope::Global, HardBounce, 0, None, 10),
            row(
                "blocked@x.test",
                Scope::Account(GLOBEX),
                BlockedByAdmin,
                0,
                None,
                11,
            ),
            // a complaint about a campaign: campaigns stop, replies go on
            Suppression {
                stream: Stream::Campaign,
                ..row(
                    "newsletter@x.test",
                    Scope::Account(ACME),
                    SpamComplaintManual,
                    0,
                    None,
                    12,
                )
            },
        ]
    }

    fn overrides() -> Vec<Override> {
        vec![
            ovr("again@x.test", ACME, 2),
            ovr("reactivated@x.test", ACME, 1),
        ]
    }

    /// (address, account, mail kind, day offset of now, expected blocking event id)
    type Case = (&'static str, AccountId, MailKind, i64, Option<i64>);
    const TABLE: &[Case] = &[
        ("nobody@x.test", ACME, MailKind::Bulk, 0, None),
        ("hard@x.test", ACME, MailKind::Transactional, 0, Some(1)),
        ("hard@x.test", GLOBEX, MailKind::Bulk, 999, Some(1)),
        ("soft@x.test", GLOBEX, MailKind::Transactional, 13, Some(2)),
        ("soft@x.test", GLOBEX, MailKind::Transactional, 14, None),
        ("auto@x.test", ACME, MailKind::Bulk, 13, Some(3)),
        ("auto@x.test", ACME, MailKind::Bulk, 14, None),
        ("auto@x.test", GLOBEX, MailKind::Bulk, 0, None),
        ("manual@x.test", ACME, MailKind::Transactional, 999, Some(4)),
        ("manual@x.test", GLOBEX, MailKind::Transactional, 0, None),
        ("unsub@x.test", ACME, MailKind::Bulk, 0, Some(5)),
        ("unsub@x.test", ACME, MailKind::Transactional, 0, None),
        ("unsub@x.test", GLOBEX, MailKind::Bulk, 0, None),
        ("both@x.test", ACME, MailKind::Bulk, 3, Some(7)),
        ("both@x.test", GLOBEX, MailKind::Bulk, 3, Some(6)),
        ("both@x.test", GLOBEX, MailKind::Bulk, 14, None),
        ("reactivated@x.test", ACME, MailKind::Bulk, 3, None),
        ("reactivated@x.test", GLOBEX, MailKind::Bulk, 3, Some(10)),
        ("again@x.test", ACME, MailKind::Bulk, 5, Some(9)),
        ("again@x.test", GLOBEX, MailKind::Bulk, 3, Some(9)),
        (
            "blocked@x.test",
            GLOBEX,
            MailKind::Transactional,
            0,
            Some(11),
        ),
        ("blocked@x.test", ACME, MailKind::Transactional, 0, None),
        ("newsletter@x.test", ACME, MailKind::Bulk, 999, Some(12)),
        (
            "newsletter@x.test",
            ACME,
            MailKind::Transactional,
            999,
            None,
        ),
        ("newsletter@x.test", GLOBEX, MailKind::Bulk, 0, None),
    ];

    fn event_of(r: &GateResult) -> Option<i64> {
        match r {
            GateResult::Allowed => None,
            GateResult::Suppressed { event_id, .. } => *event_id,
        }
    }

    #[test]
    fn the_gate_blocks_by_scope_kind_expiry_and_override_as_the_table_says() {
        let (rows, overrides) = (rows(), overrides());
        for &(address, account, kind, day, expected) in TABLE {
            let now = t0() + TimeDelta::days(day);
            let got = may_send(account, &addr(address), kind, &rows, &overrides, now);
            assert_eq!(
                event_of(&got),
                expected,
                "{address} {account:?} {kind:?} day {day}"
            );
        }
    }

    #[test]
    fn the_index_answers_exactly_like_the_gate_whatever_the_row_order() {
        let (mut rows, overrides) = (rows(), overrides());
        for _ in 0..2 {
            let index = SuppressionIndex::build(&rows, &overrides);
            for &(address, account, kind, day, _) in TABLE {
                let now = t0() + TimeDelta::days(day);
                let a = addr(address);
                assert_eq!(
                    index.may_send(account, &a, kind, now),
                    may_send(account, &a, kind, &rows, &overrides, now),
                    "{address} {account:?} {kind:?} day {day}"
                );
            }
            rows.reverse();
        }
    }

    #[test]
    fn a_suppressed_answer_carries_reason_scope_until_kind_and_event() {
        let got = may_send(
            ACME,
            &addr("soft@x.test"),
            MailKind::Bulk,
            &rows(),
            &[],
            t0(),
        );
        assert_eq!(
            got,
            GateResult::Suppressed {
                reason: "soft_bounce #2".into(),
                scope: Scope::Global,
                until: Some(t0() + TimeDelta::days(14)),
                kind: SoftBounce,
                stream: Stream::All,
                event_id: Some(2),
            }
        );
        let json = serde_json::to_value(&got).unwrap();
        assert_eq!(json["result"], "suppressed");
        assert_eq!(json["scope"], "global");
    }

    #[test]
    fn the_gate_matches_addresses_whatever_their_case() {
        let index = SuppressionIndex::build(&rows(), &[]);
        for spelled in ["HARD@X.TEST", "Hard@x.Test", "<hard@x.test>"] {
            let a = addr(spelled);
            assert!(
                !may_send(GLOBEX, &a, MailKind::Bulk, &rows(), &[], t0()).is_allowed(),
                "{spelled}"
            );
            assert!(
                !index
                    .may_send(GLOBEX, &a, MailKind::Bulk, t0())
                    .is_allowed(),
                "{spelled}"
            );
        }
    }

    #[test]
    fn the_batch_filter_splits_a_list_in_order_and_keeps_duplicates() {
        let index = SuppressionIndex::build(&rows(), &overrides());
        assert_eq!((index.addresses(), index.len()), (10, 12));
        let list: Vec<EmailAddress> = [
            "ok1@x.test",
            "hard@x.test",
            "ok2@x.test",
            "unsub@x.test",
            "ok1@x.test",
            "reactivated@x.test",
        ]
        .into_iter()
        .map(addr)
        .collect();
        let out = index.filter(ACME, MailKind::Bulk, &list, t0());
        let allowed: Vec<&str> = out.allowed.iter().map(|a| a.as_str()).collect();
        assert_eq!(
            allowed,
            [
                "ok1@x.test",
                "ok2@x.test",
                "ok1@x.test",
                "reactivated@x.test"
            ]
        );
        let suppressed: Vec<(&str, Option<i64>)> = out
            .suppressed
            .iter()
            .map(|(a, r)| (a.as_str(), event_of(r)))
            .collect();
        assert_eq!(
            suppressed,
            [("hard@x.test", Some(1)), ("unsub@x.test", Some(5))]
        );
        let replies = index.filter(ACME, MailKind::Transactional, &list, t0());
        assert_eq!(
            replies.suppressed.len(),
            1,
            "unsubscribe does not block replies"
        );
    }

    #[test]
    fn an_empty_index_allows_everyone() {
        let index = SuppressionIndex::new();
        assert!(index.is_empty());
        assert!(index
            .may_send(ACME, &addr("a@b.test"), MailKind::Bulk, t0())
            .is_allowed());
    }

    /// Deterministic pseudo-random rows and questions: the index and the slice gate agree.
    #[test]
    fn the_index_and_the_gate_agree_on_thousands_of_generated_cases() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let kinds = SuppressionKind::ALL;
        let accounts = [ACME, GLOBEX, AccountId(3)];
        let rows: Vec<Suppression> = (0..2_000)
            .map(|i| Suppression {
                address: addr(&format!("u{}@x.test", next(60))),
                scope: if next(2) == 0 {
                    Scope::Global
                } else {
                    Scope::Account(accounts[next(3) as usize])
                },
                kind: kinds[next(kinds.len() as u64) as usize],
                stream: Stream::ALL[next(2) as usize],
                reason: format!("r{}", next(5)),
                since: t0() + TimeDelta::days(next(20) as i64),
                until: (next(3) != 0).then(|| t0() + TimeDelta::days(next(40) as i64)),
                event_id: (next(10) != 0).then_some(i),
                // Some global on other accounts' word: overrides cover those whenever set.
                basis: (next(3) == 0).then_some(
                    crate::domain::suppression::scope_by_trust::GlobalBasis::Quorum { accounts: 2 },
                ),
            })
            .collect();
        let overrides: Vec<Override> = (0..40)
            .map(|_| {
                ovr(
                    &format!("u{}@x.test", next(60)),
                    accounts[next(3) as usize],
                    next(30) as i64,
                )
            })
            .collect();
        let index = SuppressionIndex::build(&rows, &overrides);
        let mut suppressed = 0;
        for _ in 0..3_000 {
            let a = addr(&format!("u{}@x.test", next(70)));
            let account = accounts[next(3) as usize];
            let kind = if next(2) == 0 {
                MailKind::Bulk
            } else {
                MailKind::Transactional
            };
            let now = t0() + TimeDelta::days(next(45) as i64);
            let expected = may_send(account, &a, kind, &rows, &overrides, now);
            suppressed += usize::from(!expected.is_allowed());
            assert_eq!(
                index.may_send(account, &a, kind, now),
                expected,
                "{a} {account:?} {kind:?} {now}"
            );
        }
        assert!(
            suppressed > 300 && suppressed < 2_700,
            "the cases mix both answers ({suppressed})"
        );
    }
}
