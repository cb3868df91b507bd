//! Microsoft (Exchange Online, Outlook.com, Hotmail, on-premises Exchange): the wording of
//! Microsoft's published NDR list ("Non-delivery reports in Exchange Online", "Non-delivery
//! reports and bounce messages") and the reason each names. Only wording specific to
//! Microsoft's servers is here; generic replies are left to the phrase tables.

use super::Provider;
use crate::domain::bounce::reason::Reason;
use crate::domain::bounce::status::EnhancedStatus;

pub(super) const PROVIDER: Provider = Provider {
    name: "microsoft",
    hosts: &[
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "office365.com",
    ],
    phrases: &[
        // Sender authentication.
        (
            "must pass either spf or dkim validation",
            Reason::AuthFailure,
        ),
        ("the domain failed dane validation", Reason::AuthFailure),
        (
            "destination domain returned invalid dnssec records",
            Reason::AuthFailure,
        ),
        ("certificate-host-mismatch", Reason::AuthFailure),
        ("certificate-expired:", Reason::AuthFailure),
        (
            "rejected because of sender policy framework violation",
            Reason::AuthFailure,
        ),
        ("does not pass dmarc verification", Reason::AuthFailure),
        (
            "temporarily rate limited due to ip reputation",
            Reason::BadReputation,
        ),
        // The sending IP or host.
        ("must have a reverse dns record", Reason::Blocked),
        ("access denied, bad helo", Reason::Blocked),
        ("access denied, rejected by recipient", Reason::Blocked),
        ("does not accept email over ipv6", Reason::Blocked),
        ("using customer block list", Reason::Blocked),
        ("access denied, banned sending ip", Reason::Blocked),
        (
            "restrictdomainstoipaddresses or restrictdomainstocertificate",
            Reason::Blocked,
        ),
        // The sender.
        ("access denied, bad outbound sender", Reason::Rejected),
        (
            "sender was not authenticated by organization",
            Reason::Rejected,
        ),
        ("sender not in allowed-senders list", Reason::Rejected),
        ("sender not authenticated for group", Reason::Rejected),
        ("sender was not authenticated for mailbox", Reason::Rejected),
        (
            "sender was not authenticated for public folder",
            Reason::Rejected,
        ),
        ("access denied, spam abuse detected", Reason::Rejected),
        (
            "message must be rfc 5322 section 3.6.2 compliant",
            Reason::Rejected,
        ),
        (
            "client blocked from sending from unregistered domains",
            Reason::Rejected,
        ),
        ("unknown sender address", Reason::Rejected),
        // Rates.
        ("recipient thread limit exceeded", Reason::Speeding),
        (
            "reached your daily limit for message recipients",
            Reason::Speeding,
        ),
        ("submission quota exceeded", Reason::Speeding),
        ("per hour message receive limit", Reason::Speeding),
        ("has exceeded permitted limits within", Reason::Speeding),
        ("tenant has exceeded threshold", Reason::Speeding),
        ("traffic not accepted from this ip", Reason::Speeding),
        (
            "the recipient has exceeded their limit for",
            Reason::TooManyConn,
        ),
        // The recipient.
        ("access denied, banned recipient", Reason::Suspend),
        ("mailbox cannot be accessed", Reason::Suspend),
        (
            "storedrv.submit; invalid recipient address",
            Reason::UserUnknown,
        ),
        (
            "recipient address reserved by rfc 2606",
            Reason::UserUnknown,
        ),
        (
            "recipient addresses in single label domains not accepted",
            Reason::UserUnknown,
        ),
        ("bad destination mailbox address", Reason::UserUnknown),
        ("invalid x.400 address", Reason::UserUnknown),
        // Content.
        (
            "content filter agent quarantined this message",
            Reason::SpamDetected,
        ),
        ("x-dg-ref header is too long", Reason::PolicyViolation),
        ("policy violation detected (as345)", Reason::PolicyViolation),
        (
            "agent generated message depth exceeded",
            Reason::ContentError,
        ),
        ("invalid message content", Reason::ContentError),
        ("too many related errors", Reason::ContentError),
        ("message too big for system", Reason::MesgTooBig),
        // The receiving system.
        (
            "missing or bad storedriver mdb properties",
            Reason::NotAccept,
        ),
        (
            "starttls-not-supported: destination mail server must support tls",
            Reason::SecurityError,
        ),
        (
            "cannot achieve exchange server authentication",
            Reason::SecurityError,
        ),
        (
            "client was not authenticated to send anonymous mail",
            Reason::SecurityError,
        ),
        ("send hello first", Reason::SyntaxError),
        ("insufficient system resources", Reason::SystemFull),
        ("system incorrectly configured", Reason::SystemError),
        ("journaling archive is disabled", Reason::SystemError),
        ("helo / ehlo requires domain address", Reason::SystemError),
        ("destination mailbox address ambiguous", Reason::SystemError),
        ("mailing list expansion problem", Reason::SystemError),
        ("misconfigured forwarding address", Reason::SystemError),
        (
            "temporary server error. please try again later",
            Reason::SystemError,
        ),
        ("message failed to be replicated", Reason::SystemError),
        ("(suspiciousremoteservererror)", Reason::SystemError),
        (
            "server busy. please try again later from",
            Reason::SystemError,
        ),
        ("pfa agent busy", Reason::SystemError),
        ("queue expired; message expired", Reason::Expired),
    ],
    codes: Some(code),
    context: None,
};

/// Exchange Online's own enhanced status codes (details of 100 and above, outside RFC 3463's
/// registry) that its "Email non-delivery reports" page gives one meaning whatever the words:
/// the code alone names the reason. Codes whose meaning Microsoft's wording refines (5.0.350,
/// 4.4.316, 5.7.501-503, 5.7.510-512, 4.7.5xx-8xx, 5.7.7xx) and standard codes are left to the
/// phrase table above and the RFC 3463 table.
fn code(lower: &str) -> Option<Option<Reason>> {
    EnhancedStatus::find_all(lower)
        .filter(|s| s.detail() >= 100)
        .find_map(|s| {
            let reason = match (s.class(), s.subject(), s.detail()) {
                (_, 4, 312) => Reason::NetworkError,
                (5, 4, 316) => Reason::Expired,
                (5, 6, 11) => Reason::ContentError,
                (5, 7, 504 | 505) => Reason::Filtered,
                (5, 7, 506 | 507) => Reason::Blocked,
                (5, 7, 508) => Reason::TooManyConn,
                (5, 7, 509) => Reason::AuthFailure,
                (5, 7, 606..=649) => Reason::Blocked,
                _ => return None,
            };
            Some(Some(reason))
        })
}

#[cfg(test)]
mod tests {
    use super::super::{find, ProviderSays};
    use crate::domain::bounce::reason::Reason;

    #[test]
    fn exchange_onlines_own_codes_name_the_reason() {
        let f = |d: &str| find(Some("mail.protection.outlook.com"), None, d);
        assert_eq!(
            f("550 5.4.312 message expired, dns query failed"),
            Some(ProviderSays::Reason(Reason::NetworkError, "microsoft"))
        );
        assert_eq!(
            f("550 5.7.509 access denied, sending domain does not pass dmarc verification"),
            Some(ProviderSays::Reason(Reason::AuthFailure, "microsoft"))
        );
        // A code whose meaning the words refine is left to them.
        assert_eq!(
            f("451 4.7.650 the mail server has been temporarily rate limited due to ip reputation"),
            Some(ProviderSays::Reason(Reason::BadReputation, "microsoft"))
        );
        // A registry code is left to the RFC 3463 table and the words.
        assert_eq!(f("550 5.1.1 user unknown"), None);
    }
}
