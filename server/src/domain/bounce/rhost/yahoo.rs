//! Yahoo and AOL: the provider's own wording (and codes) and the reason each names.

use super::Provider;
use crate::domain::bounce::reason::Reason;

pub(super) const PROVIDER: Provider = Provider {
    name: "yahoo",
    hosts: &["yahoodns.net", "yahoo.com", "yahoo.co.jp", "aol.com"],
    phrases: &[
        (
            "yahoo requires all senders to authenticate",
            Reason::AuthFailure,
        ),
        (
            "temporarily deferred due to unexpected volume or user complaints",
            Reason::BadReputation,
        ),
        ("because the ip is in spamhaus's list", Reason::Blocked),
        (
            "not accepted from ip addresses on spamhaus",
            Reason::Blocked,
        ),
        ("relaying denied for ", Reason::NoRelaying),
        ("headers are not rfc compliant", Reason::NotCompliantRfc),
        ("not accepted for policy reasons", Reason::PolicyViolation),
        (" will be permanently deferred", Reason::Rejected),
        ("user is receiving mail too quickly", Reason::Speeding),
        (" is no longer valid.", Reason::Suspend),
        ("this mailbox is disabled", Reason::Suspend),
        ("max message per connection reached", Reason::TooManyConn),
        ("dd this user doesn't have a ", Reason::UserUnknown),
        // AOL: an MX look-up that came back malformed means the domain takes no mail.
        (
            "type=mx: malformed or unexpected name server reply",
            Reason::NotAccept,
        ),
    ],
    codes: None,
    context: None,
};
