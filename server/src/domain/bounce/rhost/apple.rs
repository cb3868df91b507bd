//! Apple iCloud Mail: the wording of Apple's published postmaster notes and the reason each
//! names.

use super::Provider;
use crate::domain::bounce::reason::Reason;

pub(super) const PROVIDER: Provider = Provider {
    name: "apple",
    hosts: &["icloud.com", "me.com", "mac.com", "apple.com"],
    phrases: &[
        ("'s dmarc policy", Reason::AuthFailure),
        ("blocked for failing both spf and dkim", Reason::AuthFailure),
        (
            "rejected due to having a domain present in the spamhaus",
            Reason::Blocked,
        ),
        ("rejected due to listing in spamhaus", Reason::Blocked),
        ("support.proofpoint.com/dnsbl-lookup", Reason::Blocked),
        ("not accepting connections", Reason::Blocked),
        ("recipient no longer on server", Reason::HasMoved),
        ("user is over quota", Reason::MailboxFull),
        ("relay access denied", Reason::NoRelaying),
        ("host/domain does not accept mail", Reason::NotAccept),
        ("due to local policy", Reason::PolicyViolation),
        ("sender address rejected", Reason::Rejected),
        ("due to excessive volume", Reason::Speeding),
        ("inactive email address", Reason::UserUnknown),
        ("user does not exist", Reason::UserUnknown),
        ("unknown or illegal alias", Reason::UserUnknown),
    ],
    codes: None,
    context: None,
};
