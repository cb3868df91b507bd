//! The fine reason vocabulary (Sisimai's, which the field already knows), its mapping to our
//! categories (the corpus README's table), and the RFC 3463 status → reason table.

use crate::domain::bounce::status::EnhancedStatus;
use crate::domain::category::Category;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a message was not delivered (or what else a notice says). Serialised as Sisimai's
/// lower-case names (`userunknown`, `mailboxfull`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    /// The local part does not exist (5.1.1).
    UserUnknown,
    /// The domain part does not exist (5.1.2).
    HostUnknown,
    /// The mailbox moved with no forwarding address (5.1.6).
    HasMoved,
    /// The host does not accept mail at all (null MX, RFC 7505; 5.3.2 / 5.1.10).
    NotAccept,
    MailboxFull,
    /// A per-mailbox size or count limit was exceeded (5.2.3).
    ExceedLimit,
    SystemFull,
    MesgTooBig,
    /// The message sat in the queue too long (4.4.7, `Action: delayed`).
    Expired,
    SystemError,
    /// The local delivery agent (a pipe, procmail …) failed.
    MailerError,
    NetworkError,
    TooManyConn,
    /// Rate-limited by the receiver.
    Speeding,
    /// The mailbox is disabled or suspended.
    Suspend,
    /// A protocol syntax error (5.5.x).
    SyntaxError,
    /// STARTTLS was required but failed.
    FailedStartTls,
    /// The receiver refused the sending IP or host (5.7.1 at connect/HELO, DNSBL).
    Blocked,
    /// The receiver refused the envelope sender (5.1.7, 5.1.8).
    Rejected,
    PolicyViolation,
    VirusDetected,
    SecurityError,
    BadReputation,
    /// The sending IP lacks a valid PTR record (5.7.25).
    RequirePtr,
    /// The message is not RFC 5322 compliant.
    NotCompliantRfc,
    /// SPF / DKIM / DMARC failed (5.7.23, 5.7.26).
    AuthFailure,
    NoRelaying,
    /// The recipient's own filter refused the sender (5.2.0/5.2.1, Japanese carriers).
    Filtered,
    ContentError,
    /// The receiver's filter judged the content spam.
    SpamDetected,
    /// An ARF / JMRP feedback report (RFC 5965).
    Feedback,
    /// An RFC 3834 auto-reply.
    Vacation,
    /// A success DSN (2.x.x).
    Delivered,
    /// A notice whose reason could not be decided yet (the MTA said something we do not
    /// recognise).
    OnHold,
    /// A notice with no usable reason at all.
    Undefined,
    /// Not a notice: an ordinary message.
    None,
}

impl Reason {
    pub const ALL: [Reason; 36] = [
        Reason::UserUnknown,
        Reason::HostUnknown,
        Reason::HasMoved,
        Reason::NotAccept,
        Reason::MailboxFull,
        Reason::ExceedLimit,
        Reason::SystemFull,
        Reason::MesgTooBig,
        Reason::Expired,
        Reason::SystemError,
        Reason::MailerError,
        Reason::NetworkError,
        Reason::TooManyConn,
        Reason::Speeding,
        Reason::Suspend,
        Reason::SyntaxError,
        Reason::FailedStartTls,
        Reason::Blocked,
        Reason::Rejected,
        Reason::PolicyViolation,
        Reason::VirusDetected,
        Reason::SecurityError,
        Reason::BadReputation,
        Reason::RequirePtr,
        Reason::NotCompliantRfc,
        Reason::AuthFailure,
        Reason::NoRelaying,
        Reason::Filtered,
        Reason::ContentError,
        Reason::SpamDetected,
        Reason::Feedback,
        Reason::Vacation,
        Reason::Delivered,
        Reason::OnHold,
        Reason::Undefined,
        Reason::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::UserUnknown => "userunknown",
            Reason::HostUnknown => "hostunknown",
            Reason::HasMoved => "hasmoved",
            Reason::NotAccept => "notaccept",
            Reason::MailboxFull => "mailboxfull",
            Reason::ExceedLimit => "exceedlimit",
            Reason::SystemFull => "systemfull",
            Reason::MesgTooBig => "mesgtoobig",
            Reason::Expired => "expired",
            Reason::SystemError => "systemerror",
            Reason::MailerError => "mailererror",
            Reason::NetworkError => "networkerror",
            Reason::TooManyConn => "toomanyconn",
            Reason::Speeding => "speeding",
            Reason::Suspend => "suspend",
            Reason::SyntaxError => "syntaxerror",
            Reason::FailedStartTls => "failedstarttls",
            Reason::Blocked => "blocked",
            Reason::Rejected => "rejected",
            Reason::PolicyViolation => "policyviolation",
            Reason::VirusDetected => "virusdetected",
            Reason::SecurityError => "securityerror",
            Reason::BadReputation => "badreputation",
            Reason::RequirePtr => "requireptr",
            Reason::NotCompliantRfc => "notcompliantrfc",
            Reason::AuthFailure => "authfailure",
            Reason::NoRelaying => "norelaying",
            Reason::Filtered => "filtered",
            Reason::ContentError => "contenterror",
            Reason::SpamDetected => "spamdetected",
            Reason::Feedback => "feedback",
            Reason::Vacation => "vacation",
            Reason::Delivered => "delivered",
            Reason::OnHold => "onhold",
            Reason::Undefined => "undefined",
            Reason::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The category this reason means, per the corpus README's table. `notaccept` is a hard
    /// bounce on a permanent (5xx) failure and a soft one on a transient (4xx) failure.
    /// `feedback` is a manual complaint here; the ARF reader narrows it by `Feedback-Type`
    /// (`opt-out` → unsubscribe, `auth-failure` → not a bounce).
    pub fn category(self, status: Option<EnhancedStatus>, reply_code: Option<u16>) -> Category {
        match self {
            Reason::UserUnknown | Reason::HostUnknown | Reason::HasMoved => Category::HardBounce,
            Reason::NotAccept => {
                let transient = status.map(|s| s.is_transient()).unwrap_or(false)
                    || (status.is_none() && reply_code.map(|c| c / 100 == 4).unwrap_or(false));
                if transient {
                    Category::SoftBounce
                } else {
                    Category::HardBounce
                }
            }
            Reason::MailboxFull
            | Reason::ExceedLimit
            | Reason::SystemFull
            | Reason::MesgTooBig
            | Reason::Expired
            | Reason::SystemError
            | Reason::MailerError
            | Reason::NetworkError
            | Reason::TooManyConn
            | Reason::Speeding
            | Reason::Suspend
            | Reason::SyntaxError
            | Reason::FailedStartTls => Category::SoftBounce,
            Reason::Blocked
            | Reason::Rejected
            | Reason::PolicyViolation
            | Reason::VirusDetected
            | Reason::SecurityError
            | Reason::BadReputation
            | Reason::RequirePtr
            | Reason::NotCompliantRfc
            | Reason::AuthFailure
            | Reason::NoRelaying
            | Reason::Filtered
            | Reason::ContentError => Category::IspBlock,
            Reason::SpamDetected => Category::SpamComplaintAuto,
            Reason::Feedback => Category::SpamComplaintManual,
            Reason::Vacation => Category::AutoReply,
            Reason::Delivered => Category::Delivered,
            Reason::OnHold | Reason::Undefined => Category::Unclassified,
            Reason::None => Category::NotBounce,
        }
    }

    /// The reason an RFC 3463 code names by itself (after the IANA registry's descriptions).
    /// `None` for codes that say too little (`X.0.0`, `X.5.0`, …): the text must decide.
    pub fn from_status(st: EnhancedStatus) -> Option<Reason> {
        use Reason::*;
        let transient = st.is_transient();
        Some(match (st.class(), st.subject(), st.detail()) {
            (2, _, _) => Delivered,
            (_, 1, 0) if !transient => UserUnknown,
            (_, 1, 1) | (_, 1, 3) => {
                if transient {
                    return Option::None;
                }
                UserUnknown
            }
            (_, 1, 2) => HostUnknown,
            (_, 1, 4) => Filtered,
            (_, 1, 6) => HasMoved,
            (_, 1, 7) | (_, 1, 8) => Rejected,
            (_, 1, 9) => SystemError,
            (_, 1, 10) => NotAccept,
            (_, 2, 1) if transient => Suspend,
            (_, 2, 0) if transient => return Option::None,
            (_, 2, 0) | (_, 2, 1) | (_, 2, 4) => Filtered,
            (_, 2, 2) => MailboxFull,
            (_, 2, 3) => ExceedLimit,
            (_, 3, 0) if !transient => SystemError,
            (_, 3, 1) => SystemFull,
            (_, 3, 2) => NotAccept,
            (_, 3, 3) | (_, 3, 5) => SystemError,
            (_, 3, 4) => MesgTooBig,
            (_, 4, 0) if !transient => NetworkError,
            (_, 4, 1) => Expired,
            // "Unable to route": no next hop found for the domain. RFC 3463's typical case is
            // a domain that does not exist (no MX, no address); for good (5.4.4) that is a
            // host unknown, for now (4.4.4) a network error.
            (_, 4, 4) if !transient => HostUnknown,
            (_, 4, 2) | (_, 4, 4) | (_, 4, 6) | (_, 4, 8) => NetworkError,
            // "Directory server failure": the receiver's own look-up failed, for now or
            // for good (RFC 3463 allows both classes).
            (_, 4, 3) => SystemError,
            // "Mail system congestion": the receiver is full for now.
            (_, 4, 5) => SystemFull,
            (_, 4, 7) => Expired,
            (_, 5, 3) => {
                if transient {
                    SystemError
                } else {
                    TooManyConn
                }
            }
            (_, 5, 2) | (_, 5, 6) => SyntaxError,
            (_, 5, 4) | (_, 5, 5) => SystemError,
            (_, 6, _) => ContentError,
            (_, 7, 0) if !transient => SecurityError,
            // RFC 3463: "delivery not authorized, message refused" — permanently a
            // security refusal, transiently the receiver blocking us for now.
            (_, 7, 1) | (_, 7, 2) if !transient => SecurityError,
            (_, 7, 1) | (_, 7, 2) => Blocked,
            (_, 7, 13) => Suspend,
            (_, 7, 16) => MesgTooBig,
            (_, 7, 17) | (_, 7, 18) => HasMoved,
            // RFC 7372: DKIM (X.7.20-22), SPF (X.7.23-24), several (X.7.26).
            (_, 7, 20..=24) | (_, 7, 26) => AuthFailure,
            (_, 7, 25) => RequirePtr,
            (_, 7, 27) => Rejected,
            (_, 7, 3..=24) => SecurityError,
            _ => return Option::None,
        })
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(s: &str) -> Option<EnhancedStatus> {
        EnhancedStatus::parse(s)
    }

    #[test]
    fn unable_to_route_is_a_host_unknown_for_good_and_a_network_error_for_now() {
        assert_eq!(
            st("5.4.4").and_then(Reason::from_status),
            Some(Reason::HostUnknown)
        );
        assert_eq!(
            st("4.4.4").and_then(Reason::from_status),
            Some(Reason::NetworkError)
        );
    }

    #[test]
    fn a_directory_server_failure_is_a_system_error_in_either_class() {
        for code in ["4.4.3", "5.4.3"] {
            assert_eq!(
                st(code).and_then(Reason::from_status),
                Some(Reason::SystemError),
                "{code}"
            );
        }
    }

    #[test]
    fn every_reason_round_trips_through_its_serde_name() {
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.as_str()), Some(r));
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
    }

    #[test]
    fn notaccept_is_hard_on_permanent_and_soft_on_transient_failures() {
        assert_eq!(
            Reason::NotAccept.category(st("5.3.2"), Some(556)),
            Category::HardBounce
        );
        assert_eq!(
            Reason::NotAccept.category(st("4.3.2"), Some(421)),
            Category::SoftBounce
        );
        assert_eq!(
            Reason::NotAccept.category(None, Some(421)),
            Category::SoftBounce
        );
    }

    #[test]
    fn reasons_map_to_the_readme_categories() {
        assert_eq!(
            Reason::UserUnknown.category(None, None),
            Category::HardBounce
        );
        assert_eq!(
            Reason::MailboxFull.category(None, None),
            Category::SoftBounce
        );
        assert_eq!(Reason::Filtered.category(None, None), Category::IspBlock);
        assert_eq!(
            Reason::SpamDetected.category(None, None),
            Category::SpamComplaintAuto
        );
        assert_eq!(Reason::Vacation.category(None, None), Category::AutoReply);
        assert_eq!(Reason::OnHold.category(None, None), Category::Unclassified);
    }

    #[test]
    fn status_codes_name_their_reasons() {
        assert_eq!(
            Reason::from_status(st("5.1.1").unwrap()),
            Some(Reason::UserUnknown)
        );
        assert_eq!(
            Reason::from_status(st("4.2.2").unwrap()),
            Some(Reason::MailboxFull)
        );
        assert_eq!(
            Reason::from_status(st("5.7.25").unwrap()),
            Some(Reason::RequirePtr)
        );
        assert_eq!(
            Reason::from_status(st("4.4.7").unwrap()),
            Some(Reason::Expired)
        );
        assert_eq!(Reason::from_status(st("5.0.0").unwrap()), None);
    }
}
