//! Facebook (facebook.com): its postmaster page lists response codes of three letters, a
//! dash, `P` (permanent) or `T` (temporary) and a digit (`RCP-P1`, `POL-T2` …).

use super::Provider;
use crate::domain::bounce::reason::Reason;

pub(super) const PROVIDER: Provider = Provider {
    name: "facebook",
    hosts: &["facebook.com"],
    phrases: &[],
    codes: Some(code),
    context: None,
};

const CODES: &[(&str, Reason)] = &[
    ("pol-p7", Reason::AuthFailure),
    ("pol-p1", Reason::Blocked),
    ("pol-p2", Reason::Blocked),
    ("pol-p3", Reason::Blocked),
    ("pol-p4", Reason::Blocked),
    ("pol-t1", Reason::Blocked),
    ("pol-t2", Reason::Blocked),
    ("pol-t3", Reason::Blocked),
    ("msg-p2", Reason::ContentError),
    ("rcp-p2", Reason::Filtered),
    ("rcp-p3", Reason::Filtered),
    ("msg-p1", Reason::MesgTooBig),
    ("int-p2", Reason::MesgTooBig),
    ("msg-p3", Reason::NotCompliantRfc),
    ("dns-p1", Reason::Rejected),
    ("dns-p2", Reason::Rejected),
    ("dns-t1", Reason::Rejected),
    ("dns-p3", Reason::RequirePtr),
    ("dns-t2", Reason::RequirePtr),
    ("pol-p6", Reason::SpamDetected),
    ("rcp-t4", Reason::Suspend),
    ("rcp-t1", Reason::SystemError),
    ("con-t1", Reason::TooManyConn),
    ("con-t2", Reason::TooManyConn),
    ("con-t3", Reason::TooManyConn),
    ("con-t4", Reason::TooManyConn),
    ("msg-t1", Reason::TooManyConn),
    ("rcp-p1", Reason::UserUnknown),
    ("int-p1", Reason::UserUnknown),
    ("int-p3", Reason::UserUnknown),
    ("int-p4", Reason::UserUnknown),
    ("pol-p5", Reason::VirusDetected),
];

fn code(lower: &str) -> Option<Option<Reason>> {
    CODES
        .iter()
        .find(|(c, _)| {
            lower.match_indices(c).any(|(i, _)| {
                let before = lower[..i].chars().next_back();
                let after = lower[i + c.len()..].chars().next();
                !before.is_some_and(|b| b.is_ascii_alphanumeric())
                    && !after.is_some_and(|a| a.is_ascii_alphanumeric())
            })
        })
        .map(|(_, r)| Some(*r))
}

#[cfg(test)]
mod tests {
    use super::super::{find, ProviderSays};
    use crate::domain::bounce::reason::Reason;

    #[test]
    fn response_codes_name_the_reason() {
        let f = |d: &str| find(Some("mx-out.facebook.com"), None, d);
        assert_eq!(
            f("550 5.1.1 rcp-p1 http://postmaster.facebook.com/response_codes?ip=192.0.2.1#rcp-p1"),
            Some(ProviderSays::Reason(Reason::UserUnknown, "facebook"))
        );
        assert_eq!(
            f("550 5.1.1 rcp-p2 recipient's preferences"),
            Some(ProviderSays::Reason(Reason::Filtered, "facebook"))
        );
        assert_eq!(f("550 xrcp-p2x"), None);
    }
}
