//! Suppression: who may still be mailed, in which account, until when, and why (issue 4).
//!
//! Pure rules: no IO, `now` is passed in, outcomes are enums, nothing panics on input. One rule
//! per file, named after it, with its table-driven tests beside it:
//!
//! | event | file | effect |
//! |---|---|---|
//! | hard bounce | [`hard_bounce`] | this account, permanent until reactivated; contact marked |
//! | soft bounce | [`soft_bounce`] | this account, 14 days, released by itself |
//! | bounce on our shared transport, or hard bounces from 2 accounts | [`scope_by_trust`] | also global |
//! | automatic spam complaint | [`auto_complaint`] | this account, 14 days; contact stays active |
//! | manual spam complaint | [`manual_complaint`] | this account, for good; contact inactive |
//! | ISP block | [`isp_block`] | no suppression; counted per recipient domain ([`domain_alert`]) |
//! | SMTP reply at send time | [`send_time_5xx`] | 5xx = bounce, never retried; 4xx = backoff, then soft bounce |
//! | unsubscribe | [`unsubscribe`] | this account, campaigns only |
//! | reactivation | [`reactivation`] | ends account entries; overrides global ones for one account |
//!
//! Every entry carries the [`stream`] it stops: all mail, or campaigns only (unsubscribes,
//! and complaints about a campaign).
//!
//! [`provider_guardrail`] pauses bulk mail to one mailbox provider ([`provider_family`]) when
//! its own complaint rate reaches the pause line.
//!
//! [`policy::decide`] maps a [`Category`](crate::domain::category::Category) to its rule;
//! [`gate`] answers "may we send?"; [`complaint_rate`] keeps the 30-day guardrail; [`sweep`]
//! finds entries that expired so the "released" log entries can be written.
//!
//! **Time convention, everywhere in this module:** a suppression holds over the half-open
//! interval `[since, until)`. At exactly `until` the address is free again; a window of length
//! `w` ending at `now` is `(now - w, now]`, so something exactly `w` old is out of it.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::address::EmailAddress;

pub mod auto_complaint;
pub mod complaint_rate;
pub mod domain_alert;
pub mod gate;
pub mod hard_bounce;
pub mod isp_block;
pub mod manual_complaint;
pub mod policy;
pub mod provider_family;
pub mod provider_guardrail;
pub mod reactivation;
pub mod scope_by_trust;
pub mod send_time_5xx;
pub mod soft_bounce;
pub mod stream;
pub mod sweep;
pub mod unsubscribe;

pub use gate::{may_send, BatchResult, GateResult, SuppressionIndex};
pub use reactivation::Override;
pub use stream::Stream;

/// An account (tenant) of the help desk; the unit that complaint blocks and unsubscribes are
/// scoped to, because a complaint is about *that* sender, not about the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(pub i64);

/// An account id as typed on the command line (`--account-id 7`).
impl std::str::FromStr for AccountId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(AccountId)
    }
}

/// Where a suppression holds. Serialized as `"global"` or `{"account": 7}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Every account: the address itself is bad (it does not exist, the mailbox is full), on
    /// evidence no single account controls ([`scope_by_trust`]).
    Global,
    /// One account only: the recipient objected to this sender.
    Account(AccountId),
}

impl Scope {
    /// The account of an account-scoped entry; `None` for a global one.
    pub fn account(self) -> Option<AccountId> {
        match self {
            Scope::Global => None,
            Scope::Account(a) => Some(a),
        }
    }

    /// True when an entry of this scope concerns mail sent by `account`.
    pub fn covers(self, account: AccountId) -> bool {
        match self {
            Scope::Global => true,
            Scope::Account(a) => a == account,
        }
    }
}

/// Why an address is suppressed; decides which mail it blocks and what the admin sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionKind {
    /// Permanent until reactivated ([`hard_bounce`]); global by [`scope_by_trust`].
    HardBounce,
    /// 14 days ([`soft_bounce`]); global by [`scope_by_trust`].
    SoftBounce,
    /// One account, 14 days ([`auto_complaint`]).
    SpamComplaintAuto,
    /// One account, for good ([`manual_complaint`]).
    SpamComplaintManual,
    /// Blocks bulk mail only: an opt-out from campaigns is not an opt-out from the replies to a
    /// conversation the customer opened (RFC 8058 concerns list mail).
    Unsubscribe,
    /// An admin blocked the address by hand.
    BlockedByAdmin,
}

impl SuppressionKind {
    pub const ALL: [SuppressionKind; 6] = [
        SuppressionKind::HardBounce,
        SuppressionKind::SoftBounce,
        SuppressionKind::SpamComplaintAuto,
        SuppressionKind::SpamComplaintManual,
        SuppressionKind::Unsubscribe,
        SuppressionKind::BlockedByAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::HardBounce => "hard_bounce",
            SuppressionKind::SoftBounce => "soft_bounce",
            SuppressionKind::SpamComplaintAuto => "spam_complaint_auto",
            SuppressionKind::SpamComplaintManual => "spam_complaint_manual",
            SuppressionKind::Unsubscribe => "unsubscribe",
            SuppressionKind::BlockedByAdmin => "blocked_by_admin",
        }
    }

    pub fn parse(s: &str) -> Option<SuppressionKind> {
        SuppressionKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The stream a new entry of this kind stops when the event is not tied to a message
    /// ([`stream::applies_to`]).
    pub fn default_stream(self) -> Stream {
        stream::applies_to(self, stream::About::Unknown)
    }
}

/// Replies to conversations versus campaigns: the unsubscribe block and the complaint-rate
/// pause apply to bulk mail only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// A reply or notification in a conversation the customer opened.
    Transactional,
    /// A campaign to a contact list.
    Bulk,
}

/// A stored suppression entry (a row of the suppression table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub address: EmailAddress,
    pub scope: Scope,
    pub kind: SuppressionKind,
    /// The mail it stops ([`stream`]).
    pub stream: Stream,
    /// Shown to the agent at the gate and to the admin on the Contacts page.
    pub reason: String,
    pub since: DateTime<Utc>,
    /// `None` = until reactivated. Holds over `[since, until)`.
    pub until: Option<DateTime<Utc>>,
    /// The deliverability event that caused it, for "source event" links.
    pub event_id: Option<i64>,
    /// Why a global entry holds for every account ([`scope_by_trust`]); `None` for an
    /// account's entry.
    #[serde(default)]
    pub basis: Option<scope_by_trust::GlobalBasis>,
}

impl Suppression {
    /// Active at `now`: `until` not reached yet (at exactly `until` it is released).
    pub fn is_active_at(&self, now: DateTime<Utc>) -> bool {
        is_active(self.until, now)
    }

    /// Global on other accounts' word (a quorum of their hard bounces).
    pub fn is_quorum(&self) -> bool {
        matches!(self.basis, Some(scope_by_trust::GlobalBasis::Quorum { .. }))
    }
}

pub(crate) fn is_active(until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    until.is_none_or(|u| now < u)
}

/// What a rule asks storage to insert. The event id is not known to the pure rule; storage
/// adds it with [`NewSuppression::with_event`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSuppression {
    pub address: EmailAddress,
    pub scope: Scope,
    pub kind: SuppressionKind,
    pub stream: Stream,
    pub reason: String,
    pub since: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

impl NewSuppression {
    pub fn with_event(self, event_id: Option<i64>) -> Suppression {
        Suppression {
            address: self.address,
            scope: self.scope,
            kind: self.kind,
            stream: self.stream,
            reason: self.reason,
            since: self.since,
            until: self.until,
            event_id,
            basis: None,
        }
    }
}

/// What happens to the reporting account's contact with that address (another account's
/// contacts change only through that account's own events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactEffect {
    /// Nothing about the contact changes.
    Unchanged,
    /// Badge "hard bounce"; the contact stays (issue 4: "the contact stays, marked").
    MarkHardBounce,
    /// Badge "soft bounce until …".
    MarkSoftBounceUntil(DateTime<Utc>),
    /// Badge "complaint until …"; the contact stays in active contacts and lists.
    MarkComplaintUntil(DateTime<Utc>),
    /// Badge "inactive": removed from active contacts (and so from campaign lists).
    RemoveFromActive,
    /// Back to "active" (reactivation).
    MarkActive,
}

/// The Org Logging entry type a decision produces: the one list the Org Logging filter
/// offers too.
pub use app::kinds::LogKind;

/// Whether the message is sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Retry {
    Never,
    /// Try again at `at`; `attempt` is the number of the retry (1 = first retry).
    At {
        attempt: u32,
        at: DateTime<Utc>,
    },
}

/// The outcome of one deliverability event for one address in one sending account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub suppression: Option<NewSuppression>,
    pub contact: ContactEffect,
    /// The entry for the event itself; `None` when there is nothing to log (an ordinary
    /// message reached the bounce address). See [`Decision::log_entries`].
    pub log: Option<LogKind>,
    pub retry: Retry,
}

impl Decision {
    /// A decision that records the event and changes nothing else.
    pub fn record_only(log: LogKind) -> Decision {
        Decision {
            log: Some(log),
            ..Decision::not_logged()
        }
    }

    /// A decision that changes nothing and logs nothing.
    pub fn not_logged() -> Decision {
        Decision {
            suppression: None,
            contact: ContactEffect::Unchanged,
            log: None,
            retry: Retry::Never,
        }
    }

    /// The decision for an event about `about`: its entry gets the stream
    /// [`stream::applies_to`] says.
    pub fn about(mut self, about: stream::About) -> Decision {
        if let Some(s) = &mut self.suppression {
            s.stream = stream::applies_to(s.kind, about);
        }
        self
    }

    /// Every Org Logging entry to write: the event's own, then "suppression added" if any.
    /// An event with no entry of its own yields only the latter.
    pub fn log_entries(&self) -> Vec<LogKind> {
        let mut out = Vec::with_capacity(2);
        out.extend(self.log);
        if self.suppression.is_some() {
            out.push(LogKind::SuppressionAdded);
        }
        out
    }
}

/// `t + d`, saturating at the end of representable time instead of panicking.
pub(crate) fn add(t: DateTime<Utc>, d: TimeDelta) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `t - d`, saturating at the start of representable time instead of panicking.
pub(crate) fn sub(t: DateTime<Utc>, d: TimeDelta) -> DateTime<Utc> {
    t.checked_sub_signed(d).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use chrono::TimeZone;

    pub fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
    }

    pub fn addr(s: &str) -> EmailAddress {
        EmailAddress::parse(s).unwrap()
    }

    pub const ACME: AccountId = AccountId(1);
    pub const GLOBEX: AccountId = AccountId(2);
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for k in SuppressionKind::ALL {
            assert_eq!(SuppressionKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
        assert_eq!(SuppressionKind::parse("bogus"), None);
    }

    #[test]
    fn scopes_serialize_as_global_or_an_account_object() {
        assert_eq!(serde_json::to_string(&Scope::Global).unwrap(), "\"global\"");
        assert_eq!(
            serde_json::to_string(&Scope::Account(AccountId(7))).unwrap(),
            "{\"account\":7}"
        );
    }

    #[test]
    fn without_a_matched_message_only_unsubscribes_let_replies_through() {
        for k in SuppressionKind::ALL {
            let s = k.default_stream();
            assert!(s.blocks(MailKind::Bulk), "{k:?} must block bulk");
            assert_eq!(
                s.blocks(MailKind::Transactional),
                k != SuppressionKind::Unsubscribe,
                "{k:?}"
            );
        }
    }

    #[test]
    fn time_arithmetic_saturates_instead_of_panicking() {
        let far = DateTime::<Utc>::MAX_UTC;
        assert_eq!(add(far, TimeDelta::days(14)), far);
        assert_eq!(
            sub(DateTime::<Utc>::MIN_UTC, TimeDelta::days(30)),
            DateTime::<Utc>::MIN_UTC
        );
        assert_eq!(add(t0(), TimeDelta::days(1)) - t0(), TimeDelta::days(1));
    }

    #[test]
    fn decisions_serialize_in_snake_case_for_storage_and_the_ui() {
        let d = policy::decide(
            crate::domain::category::Category::SoftBounce,
            ACME,
            &addr("a@b.test"),
            t0(),
        );
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["log"], "bounce");
        assert_eq!(json["retry"], "never");
        assert_eq!(json["suppression"]["kind"], "soft_bounce");
        assert!(json["contact"]["mark_soft_bounce_until"].is_string());
        let back: Decision = serde_json::from_value(json).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn a_suppression_is_released_at_exactly_its_until() {
        let until = add(t0(), TimeDelta::days(14));
        assert!(is_active(
            Some(until),
            sub(until, TimeDelta::nanoseconds(1))
        ));
        assert!(!is_active(Some(until), until));
        assert!(is_active(None, DateTime::<Utc>::MAX_UTC));
    }
}
