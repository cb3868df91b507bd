//! Scope follows trust: which bounces reach beyond the account that reported them.
//!
//! Every event acts in the account that reported it, at once, with its own rule
//! ([`hard_bounce`](super::hard_bounce), [`soft_bounce`](super::soft_bounce), …). An account's
//! word alone never reaches another account: it controls its own webhook credential, the raw
//! notices it posts, and what its own relay or API key answers. A bounce also becomes
//! **global** (enforced by the gate for every account) only when
//!
//! - **(a) shared transport**: the message went out through the transport the deployment's
//!   operator configured for all accounts (no account sees its credentials or envelope), and
//!   the evidence is that transport's own answer at send time, or a notice that came back to
//!   the message's VERP return path (a token only the transport's envelope carried); or
//! - **(b) quorum**: at least [`GLOBAL_QUORUM`] distinct accounts reported a hard bounce for
//!   the address within [`QUORUM_WINDOW_DAYS`] days.
//!
//! A provider event signed with a key the operator configured (SNS's certificate) is recorded
//! as [`Provenance::OperatorSigned`] but is not (a): the signature proves the provider
//! delivered it, and an account decides what its own topic carries (anyone may publish a
//! made-up notification to a topic of theirs, and SNS signs it). Like any hard bounce it
//! counts towards the quorum (b). A key an account gave (Mailgun's, SendGrid's) proves even
//! less: such events stay `account_reported`.
//!
//! Complaints, unsubscribes and the other categories are about one sender: never global.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{sub, AccountId};
use crate::domain::category::Category;

/// Distinct accounts whose hard bounces for one address make it global.
pub const GLOBAL_QUORUM: usize = 2;

/// How far back the reports of other accounts count.
pub const QUORUM_WINDOW_DAYS: i64 = 90;

pub fn quorum_window() -> TimeDelta {
    TimeDelta::days(QUORUM_WINDOW_DAYS)
}

/// How we know what a delivery event says. Stored with the event (its `as_str`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// The transport's own reply when the message was handed over: we saw it ourselves.
    TransportReply,
    /// A notice that came back to the VERP return path of a message this deployment sent.
    VerpReturnPath,
    /// Matched to a message this deployment sent by the provider's message id.
    ProviderMessageId,
    /// Matched to a message this deployment sent by its Message-ID.
    MessageId,
    /// Signed by the provider with a key the deployment's operator configured.
    OperatorSigned,
    /// The recipient used the unsubscribe link of a message we sent.
    UnsubscribeLink,
    /// Only reported with an account's credential: nothing ties it to mail we sent.
    AccountReported,
}

impl Provenance {
    pub const ALL: [Provenance; 7] = [
        Provenance::TransportReply,
        Provenance::VerpReturnPath,
        Provenance::ProviderMessageId,
        Provenance::MessageId,
        Provenance::OperatorSigned,
        Provenance::UnsubscribeLink,
        Provenance::AccountReported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Provenance::TransportReply => "transport_reply",
            Provenance::VerpReturnPath => "verp_return_path",
            Provenance::ProviderMessageId => "provider_message_id",
            Provenance::MessageId => "message_id",
            Provenance::OperatorSigned => "operator_signed",
            Provenance::UnsubscribeLink => "unsubscribe_link",
            Provenance::AccountReported => "account_reported",
        }
    }

    pub fn parse(s: &str) -> Option<Provenance> {
        Provenance::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Whether this is the shared transport's own evidence (see the module docs, (a)).
    fn is_transport_evidence(self) -> bool {
        matches!(
            self,
            Provenance::TransportReply | Provenance::VerpReturnPath
        )
    }

    /// How we know it, in words for Org Logging.
    pub fn label(self) -> &'static str {
        match self {
            Provenance::TransportReply => "the transport's own reply when the message was sent",
            Provenance::VerpReturnPath => {
                "a notice to the VERP return path of a message this deployment sent"
            }
            Provenance::ProviderMessageId => {
                "matched to a message this deployment sent by the provider's message id"
            }
            Provenance::MessageId => "matched to a message this deployment sent by its Message-ID",
            Provenance::OperatorSigned => {
                "signed by the provider, checked with a key the deployment's operator configured"
            }
            Provenance::UnsubscribeLink => "the unsubscribe link of a message we sent",
            Provenance::AccountReported => "reported with the account's credential only",
        }
    }
}

/// Which transport the message the event is about went out through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportKind {
    /// The deployment's shared relay or API, configured by its operator.
    Shared,
    /// The account's own relay or API key: the account controls what it answers.
    Account,
}

/// Why an entry holds for every account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "basis")]
pub enum GlobalBasis {
    /// Bounced on the operator's shared transport.
    SharedTransport,
    /// Hard bounces reported by this many distinct accounts within the window.
    Quorum { accounts: u32 },
}

impl GlobalBasis {
    /// The stored name of the basis.
    pub fn as_str(self) -> &'static str {
        match self {
            GlobalBasis::SharedTransport => "shared_transport",
            GlobalBasis::Quorum { .. } => "quorum",
        }
    }

    /// From the stored name and account count; `None` for an unknown name.
    pub fn from_parts(basis: &str, accounts: Option<i64>) -> Option<GlobalBasis> {
        match basis {
            "shared_transport" => Some(GlobalBasis::SharedTransport),
            "quorum" => Some(GlobalBasis::Quorum {
                accounts: accounts.unwrap_or(0).clamp(0, u32::MAX as i64) as u32,
            }),
            _ => None,
        }
    }

    /// What the agent and the admin are shown: "global: confirmed by 2 accounts".
    pub fn label(self) -> String {
        match self {
            GlobalBasis::SharedTransport => "global: bounced on our shared transport".to_string(),
            GlobalBasis::Quorum { accounts } => format!("global: confirmed by {accounts} accounts"),
        }
    }
}

/// Where a bounce acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// In the reporting account only.
    Account,
    /// In the reporting account, and for every account on this basis.
    Global(GlobalBasis),
}

/// What one event is, for this rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evidence {
    pub category: Category,
    pub provenance: Provenance,
    /// The transport of the message the event was matched to; `None` when it matched none.
    pub transport: Option<TransportKind>,
}

/// How far an event reaches. `hard_bounce_reports` are (account, when) of the hard bounces
/// stored for the same address, this event's included; only those within
/// [`QUORUM_WINDOW_DAYS`] of `now` count, each account once.
pub fn decide(
    e: Evidence,
    hard_bounce_reports: &[(AccountId, DateTime<Utc>)],
    now: DateTime<Utc>,
) -> Reach {
    let bounce = matches!(e.category, Category::HardBounce | Category::SoftBounce);
    if !bounce {
        return Reach::Account;
    }
    if e.transport == Some(TransportKind::Shared) && e.provenance.is_transport_evidence() {
        return Reach::Global(GlobalBasis::SharedTransport);
    }
    if e.category == Category::HardBounce {
        let accounts = confirming_accounts(hard_bounce_reports, now);
        if accounts >= GLOBAL_QUORUM {
            return Reach::Global(GlobalBasis::Quorum {
                accounts: accounts.min(u32::MAX as usize) as u32,
            });
        }
    }
    Reach::Account
}

/// Distinct accounts among `reports` within the window `(now - 90 days, now]`.
pub fn confirming_accounts(reports: &[(AccountId, DateTime<Utc>)], now: DateTime<Utc>) -> usize {
    let from = sub(now, quorum_window());
    let mut accounts: Vec<AccountId> = reports
        .iter()
        .filter(|(_, at)| *at > from && *at <= now)
        .map(|(a, _)| *a)
        .collect();
    accounts.sort_unstable();
    accounts.dedup();
    accounts.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::suppression::test_support::*;

    const INITECH: AccountId = AccountId(3);

    fn ev(
        category: Category,
        provenance: Provenance,
        transport: Option<TransportKind>,
    ) -> Evidence {
        Evidence {
            category,
            provenance,
            transport,
        }
    }

    #[test]
    fn only_the_shared_transports_own_evidence_makes_a_bounce_global_at_once() {
        use Category::*;
        use Provenance::*;
        use TransportKind::{Account as Own, Shared};
        let shared = Reach::Global(GlobalBasis::SharedTransport);
        // (category, provenance, transport of the matched message, expected reach)
        let table = [
            (HardBounce, TransportReply, Some(Shared), shared),
            (HardBounce, VerpReturnPath, Some(Shared), shared),
            (SoftBounce, TransportReply, Some(Shared), shared),
            (SoftBounce, VerpReturnPath, Some(Shared), shared),
            // Signed by SNS under the operator's certificate, but published to the account's
            // own topic: what it says is still the account's word.
            (HardBounce, OperatorSigned, Some(Shared), Reach::Account),
            (SoftBounce, OperatorSigned, Some(Shared), Reach::Account),
            // Ids an account can copy from a message it can see: its word only.
            (HardBounce, ProviderMessageId, Some(Shared), Reach::Account),
            (HardBounce, MessageId, Some(Shared), Reach::Account),
            (HardBounce, AccountReported, Some(Shared), Reach::Account),
            // The account's own relay or API answers as the account wishes.
            (HardBounce, TransportReply, Some(Own), Reach::Account),
            (HardBounce, VerpReturnPath, Some(Own), Reach::Account),
            (HardBounce, OperatorSigned, Some(Own), Reach::Account),
            (SoftBounce, TransportReply, Some(Own), Reach::Account),
            // Nothing we sent: nothing to vouch for it.
            (HardBounce, AccountReported, None, Reach::Account),
            (HardBounce, OperatorSigned, None, Reach::Account),
            (SoftBounce, AccountReported, None, Reach::Account),
            // Complaints and opt-outs are about one sender, whatever the evidence.
            (
                SpamComplaintAuto,
                VerpReturnPath,
                Some(Shared),
                Reach::Account,
            ),
            (
                SpamComplaintManual,
                OperatorSigned,
                Some(Shared),
                Reach::Account,
            ),
            (Unsubscribe, UnsubscribeLink, Some(Shared), Reach::Account),
            (IspBlock, TransportReply, Some(Shared), Reach::Account),
            (Delivered, TransportReply, Some(Shared), Reach::Account),
        ];
        for (category, provenance, transport, expected) in table {
            assert_eq!(
                decide(ev(category, provenance, transport), &[], t0()),
                expected,
                "{category} {provenance:?} {transport:?}"
            );
        }
    }

    #[test]
    fn hard_bounces_from_two_accounts_within_ninety_days_make_it_global() {
        let day = TimeDelta::days(1);
        let hb = ev(Category::HardBounce, Provenance::AccountReported, None);
        // (reports, expected reach)
        type Reports = Vec<(AccountId, DateTime<Utc>)>;
        let table: Vec<(Reports, Reach)> = vec![
            (vec![], Reach::Account),
            (vec![(ACME, t0())], Reach::Account),
            // One account reporting a hundred times is still one account.
            (
                (0..100).map(|i| (ACME, t0() - day * i)).collect(),
                Reach::Account,
            ),
            (
                vec![(ACME, t0()), (GLOBEX, t0() - day * 3)],
                Reach::Global(GlobalBasis::Quorum { accounts: 2 }),
            ),
            (
                vec![(ACME, t0()), (GLOBEX, t0()), (INITECH, t0()), (ACME, t0())],
                Reach::Global(GlobalBasis::Quorum { accounts: 3 }),
            ),
            // Exactly 90 days old is out of the window (half-open), a moment less is in.
            (
                vec![(ACME, t0()), (GLOBEX, t0() - day * 90)],
                Reach::Account,
            ),
            (
                vec![
                    (ACME, t0()),
                    (GLOBEX, t0() - day * 90 + TimeDelta::seconds(1)),
                ],
                Reach::Global(GlobalBasis::Quorum { accounts: 2 }),
            ),
            // A report from the future (a skewed clock) does not count.
            (vec![(ACME, t0()), (GLOBEX, t0() + day)], Reach::Account),
        ];
        for (reports, expected) in table {
            assert_eq!(decide(hb, &reports, t0()), expected, "{reports:?}");
        }
    }

    #[test]
    fn a_soft_bounce_never_becomes_global_by_quorum() {
        let soft = ev(Category::SoftBounce, Provenance::AccountReported, None);
        let reports = [(ACME, t0()), (GLOBEX, t0()), (INITECH, t0())];
        assert_eq!(decide(soft, &reports, t0()), Reach::Account);
    }

    #[test]
    fn the_shared_transport_wins_over_the_quorum_and_labels_say_why() {
        let e = ev(
            Category::HardBounce,
            Provenance::VerpReturnPath,
            Some(TransportKind::Shared),
        );
        let reach = decide(e, &[(ACME, t0()), (GLOBEX, t0())], t0());
        assert_eq!(reach, Reach::Global(GlobalBasis::SharedTransport));
        assert_eq!(
            GlobalBasis::SharedTransport.label(),
            "global: bounced on our shared transport"
        );
        assert_eq!(
            GlobalBasis::Quorum { accounts: 2 }.label(),
            "global: confirmed by 2 accounts"
        );
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for p in Provenance::ALL {
            assert_eq!(Provenance::parse(p.as_str()), Some(p));
        }
        assert_eq!(Provenance::parse("trust_me"), None);
        for b in [
            GlobalBasis::SharedTransport,
            GlobalBasis::Quorum { accounts: 4 },
        ] {
            assert_eq!(GlobalBasis::from_parts(b.as_str(), Some(4)), Some(b));
        }
        assert_eq!(GlobalBasis::from_parts("because", Some(9)), None);
        assert_eq!(
            GlobalBasis::from_parts("quorum", Some(-5)),
            Some(GlobalBasis::Quorum { accounts: 0 })
        );
    }
}
