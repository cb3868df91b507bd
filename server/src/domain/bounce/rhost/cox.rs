//! Cox (cox.net): its refusals carry an `AUP#` code from Cox's "Email error codes" page;
//! without one, its wording.

use super::Provider;
use crate::domain::bounce::reason::Reason;

pub(super) const PROVIDER: Provider = Provider {
    name: "cox",
    hosts: &["cox.net"],
    phrases: &[
        ("cox too many bad commands from", Reason::Blocked),
        ("too many invalid recipients", Reason::Blocked),
        ("dns check failure - try again later", Reason::RequirePtr),
        ("rejected - no rdns", Reason::RequirePtr),
        ("esmtp no data before greeting", Reason::PolicyViolation),
        ("attachment extension is forbidden", Reason::PolicyViolation),
        ("sender rejected", Reason::Rejected),
        (
            "esmtp server temporarily not available",
            Reason::SystemError,
        ),
        ("too many sessions from", Reason::TooManyConn),
        (
            "requested action aborted: try again later",
            Reason::TooManyConn,
        ),
        ("message threshold exceeded", Reason::TooManyConn),
        ("recipient rejected", Reason::UserUnknown),
    ],
    codes: Some(code),
    context: None,
};

/// `AUP#CXBL`, `AUP#IPBL0010` …: the reason Cox's list gives the code.
fn code(lower: &str) -> Option<Option<Reason>> {
    let at = lower.find("aup#")?;
    let code: String = lower[at + 4..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let reason = match code.as_str() {
        "cxbl" | "cdrbl" => Reason::Blocked,
        "cxdns" => Reason::RequirePtr,
        "cxsndr" => Reason::AuthFailure,
        "cxsmtp" => Reason::Rejected,
        "cxcnct" | "cxmxrt" => Reason::TooManyConn,
        "cxthrt" | "cxmj" => Reason::SecurityError,
        c if c.starts_with("ipbl") => Reason::Blocked,
        c if c.starts_with("urlbl") => Reason::SpamDetected,
        _ => return Some(None),
    };
    Some(Some(reason))
}

#[cfg(test)]
mod tests {
    use super::super::{find, ProviderSays};
    use crate::domain::bounce::reason::Reason;

    #[test]
    fn aup_codes_and_wording_name_the_reason() {
        let f = |d: &str| find(Some("cxr.mx.a.cox.net"), None, d);
        assert_eq!(
            f("554 5.7.1 192.0.2.1 rejected - aup#cxbl"),
            Some(ProviderSays::Reason(Reason::Blocked, "cox"))
        );
        assert_eq!(
            f("554 ... aup#urlbl1001"),
            Some(ProviderSays::Reason(Reason::SpamDetected, "cox"))
        );
        assert_eq!(f("550 aup#zzz"), Some(ProviderSays::Unspecific("cox")));
        assert_eq!(
            f("550 5.1.1 recipient rejected"),
            Some(ProviderSays::Reason(Reason::UserUnknown, "cox"))
        );
    }
}
