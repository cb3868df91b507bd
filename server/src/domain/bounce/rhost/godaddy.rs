//! GoDaddy (secureserver.net): its refusals end with a numbered code (`IB401`, `IB607` …), listed
//! on GoDaddy's "What does my email bounceback mean?" page; without one, its wording.

use super::Provider;
use crate::domain::bounce::reason::Reason;

pub(super) const PROVIDER: Provider = Provider {
    name: "godaddy",
    hosts: &["secureserver.net"],
    phrases: &[
        ("rbl reject", Reason::Blocked),
        ("www.spamhaus.org/query/bl?ip=", Reason::Blocked),
        ("has been in the queue too long", Reason::Expired),
        ("delivery timeout", Reason::Expired),
        ("account storage limit", Reason::MailboxFull),
        (
            "message rejected for spam or virus content",
            Reason::SpamDetected,
        ),
        ("account disabled", Reason::Suspend),
        ("message is looping", Reason::SystemError),
        ("recipient not found", Reason::UserUnknown),
        ("account does not exist", Reason::UserUnknown),
    ],
    codes: Some(code),
    context: None,
};

/// ` IBnnn`: the reason GoDaddy's list gives that code.
fn code(lower: &str) -> Option<Option<Reason>> {
    let at = lower.find(" ib")?;
    let digits = lower.get(at + 3..at + 6)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let reason = match digits {
        "401" => Reason::SecurityError,
        "501" | "502" => Reason::NotCompliantRfc,
        "506" => Reason::Rejected,
        "508" => Reason::AuthFailure,
        "108" => Reason::RequirePtr,
        "212" => Reason::SpamDetected,
        "705" => Reason::VirusDetected,
        "605" | "007" => Reason::TooManyConn,
        "101" | "504" | "510" | "607" => Reason::Speeding,
        "110" | "111" | "112" | "113" | "104" | "105" | "106" => Reason::Blocked,
        "103" => Reason::BadReputation,
        _ => return Some(None),
    };
    Some(Some(reason))
}
