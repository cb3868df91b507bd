//! Zoho Mail: the provider's own wording (and codes) and the reason each names.

use super::Provider;
use crate::domain::bounce::reason::Reason;

pub(super) const PROVIDER: Provider = Provider {
    name: "zoho",
    hosts: &["zoho.com", "zoho.eu", "zohomail.com"],
    phrases: &[
        ("email rejected per dmarc policy", Reason::AuthFailure),
        ("greylisted, try again after some time", Reason::Blocked),
        (
            "email cannot be delivered. reason: email flagged as spam",
            Reason::Rejected,
        ),
        ("mail rejected by destination domain", Reason::Rejected),
        ("email policy violation detected", Reason::PolicyViolation),
        (
            "mailbox delivery restricted by policy error",
            Reason::PolicyViolation,
        ),
        ("temporary system error", Reason::SystemError),
        ("user does not exist", Reason::UserUnknown),
        (" detected by zoho mail", Reason::VirusDetected),
    ],
    codes: None,
    context: None,
};
