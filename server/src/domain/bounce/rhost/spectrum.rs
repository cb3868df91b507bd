//! Spectrum / Charter (charter.net): its refusals carry an `AUP#` code with four digits
//! (`AUP#I1260`, `AUP#O1500`), from Spectrum's "Understanding email error codes" page; ranges
//! of codes share a reason.

use super::Provider;
use crate::domain::bounce::reason::Reason;

pub(super) const PROVIDER: Provider = Provider {
    name: "spectrum",
    hosts: &["charter.net"],
    phrases: &[],
    codes: Some(code),
    context: None,
};

/// The four digits after `AUP#` (and an optional letter) and the reason of their range.
fn code(lower: &str) -> Option<Option<Reason>> {
    let at = lower.find("aup#")?;
    let rest = lower[at + 4..].trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == '-');
    let digits = rest.get(..4)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u16 = digits.parse().ok()?;
    let reason = match n {
        1000 => Reason::Blocked,
        1010 | 1020..=1080 => Reason::Rejected,
        1090 => Reason::SystemError,
        1100..=1150 => Reason::RequirePtr,
        1160..=1190 => Reason::PolicyViolation,
        1200..=1250 => Reason::Blocked,
        1260 => Reason::NetworkError,
        1300..=1340 => Reason::TooManyConn,
        1350..=1490 | 1540 | 1550 | 1580 => Reason::Speeding,
        1500 | 1520 => Reason::Rejected,
        1530 => Reason::MesgTooBig,
        1560 => Reason::PolicyViolation,
        _ => return Some(None),
    };
    Some(Some(reason))
}

#[cfg(test)]
mod tests {
    use super::super::{find, ProviderSays};
    use crate::domain::bounce::reason::Reason;

    #[test]
    fn aup_ranges_name_the_reason() {
        let f = |d: &str| find(Some("mx.charter.net"), None, d);
        assert_eq!(
            f("554 5.7.1 ip blocked, see aup#i1260"),
            Some(ProviderSays::Reason(Reason::NetworkError, "spectrum"))
        );
        assert_eq!(
            f("550 aup#o1400"),
            Some(ProviderSays::Reason(Reason::Speeding, "spectrum"))
        );
        assert_eq!(
            f("552 aup#1530 too big"),
            Some(ProviderSays::Reason(Reason::MesgTooBig, "spectrum"))
        );
        assert_eq!(
            f("550 aup#9999"),
            Some(ProviderSays::Unspecific("spectrum"))
        );
        assert_eq!(f("550 no code"), None);
    }
}
