//! Symantec/Broadcom Email Security.cloud (formerly MessageLabs): the wording of its published
//! bounce-code articles and the reason each names. Its gateways also relay the refusals of the
//! hosts behind them, so the reporting MTA names it as well as the remote one.

use super::Provider;
use crate::domain::bounce::reason::Reason;

pub(super) const PROVIDER: Provider = Provider {
    name: "messagelabs",
    hosts: &["messagelabs.com"],
    phrases: &[
        ("domain authentication fail", Reason::AuthFailure),
        ("connection rejected by policy", Reason::BadReputation),
        (
            "mail rejected because your ip is in the pbl",
            Reason::Blocked,
        ),
        ("your ip address has been ", Reason::Blocked),
        ("stray linefeeds in message", Reason::ContentError),
        ("tls/sslv3 connection required", Reason::FailedStartTls),
        (" as a relay, ", Reason::NoRelaying),
        ("550 requested action aborted [4]", Reason::NotCompliantRfc),
        (
            "has detected that this message is not rfc 5322",
            Reason::NotCompliantRfc,
        ),
        (
            "sender envelope domain not allowed for sender ip address",
            Reason::Rejected,
        ),
        ("your domain has been blocked", Reason::Rejected),
        ("your email address has been blocked", Reason::Rejected),
        (
            "your envelope sender is in my badmailfrom list",
            Reason::Rejected,
        ),
        ("has been blacklisted", Reason::Rejected),
        (
            "please turn on smtp authentication in your mail client",
            Reason::SecurityError,
        ),
        ("message filtered", Reason::SpamDetected),
        ("filtered by outbound scanning", Reason::SpamDetected),
        (
            "too many recipients received this hour",
            Reason::TooManyConn,
        ),
        ("too many messages", Reason::TooManyConn),
        ("no such user", Reason::UserUnknown),
        ("invalid recipient", Reason::UserUnknown),
        ("mailbox is not allowed", Reason::UserUnknown),
    ],
    codes: None,
    context: None,
};

#[cfg(test)]
mod tests {
    use super::super::{find_for, ProviderSays, Query};
    use crate::domain::bounce::reason::Reason;

    #[test]
    fn a_refusal_relayed_by_its_gateway_is_read_in_its_words() {
        let q = Query {
            remote_mta: Some("mx.example.org"),
            reporting_mta: Some("server-1.tower-2.messagelabs.com"),
            diag_lower: "550 a@example.org... no such user",
            ..Query::default()
        };
        assert_eq!(
            find_for(&q),
            Some(ProviderSays::Reason(Reason::UserUnknown, "messagelabs"))
        );
        let q = Query {
            remote_mta: Some("cluster1.eu.messagelabs.com"),
            diag_lower: "553 sorry, your envelope sender is in my badmailfrom list",
            ..Query::default()
        };
        assert_eq!(
            find_for(&q),
            Some(ProviderSays::Reason(Reason::Rejected, "messagelabs"))
        );
        // Another gateway's report is not read by this table.
        let q = Query {
            remote_mta: Some("mx.example.org"),
            reporting_mta: Some("mx.example.net"),
            diag_lower: "550 a@example.org... no such user",
            ..Query::default()
        };
        assert_eq!(find_for(&q), None);
    }
}
