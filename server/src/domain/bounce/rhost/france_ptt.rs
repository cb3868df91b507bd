//! Orange and La Poste, France: the provider's own wording (and codes) and the reason each names.
//! Orange / La Poste: `OFR005_505`, `LPN006_107`, `OUK_513` … the last three digits.

use super::Provider;
use crate::domain::bounce::reason::Reason;

pub(super) const PROVIDER: Provider = Provider {
    name: "franceptt",
    hosts: &["orange.fr", "wanadoo.fr", "laposte.net"],
    phrases: &[("spf/dns de votre nom de domaine", Reason::AuthFailure)],
    codes: Some(code),
    context: None,
};

/// Orange and La Poste number their refusals (`OFR005_505`, `LPN105-104`, `OUK_513`); the
/// last three digits name the reason. `Some(None)`: a known code that names none.
fn code(lower: &str) -> Option<Option<Reason>> {
    let b = lower.as_bytes();
    for prefix in ["lpnaaa", "lpn", "ofr", "ouk"] {
        let mut from = 0;
        while let Some(p) = lower.get(from..).and_then(|s| s.find(prefix)) {
            let start = from + p;
            from = start + prefix.len();
            if start > 0 && b[start - 1].is_ascii_alphanumeric() {
                continue;
            }
            let rest = &b[start + prefix.len()..];
            // `_505` or `005_505` / `105-104`.
            let digits = if rest.first() == Some(&b'_') {
                rest.get(1..4)
            } else if rest.len() >= 7
                && rest[..3].iter().all(u8::is_ascii_digit)
                && matches!(rest[3], b'_' | b'-')
            {
                rest.get(4..7)
            } else {
                None
            };
            let Some(d) = digits.filter(|d| d.iter().all(u8::is_ascii_digit)) else {
                continue;
            };
            let tail_end = start + prefix.len() + if rest.first() == Some(&b'_') { 4 } else { 7 };
            if b.get(tail_end).is_some_and(u8::is_ascii_alphanumeric) {
                continue;
            }
            return Some(match d {
                b"101" | b"102" | b"103" | b"510" | b"999" => Some(Reason::Blocked),
                b"104" => Some(Reason::TooManyConn),
                b"305" | b"402" => Some(Reason::SecurityError),
                b"401" | b"517" => Some(Reason::AuthFailure),
                b"403" | b"405" | b"415" | b"421" => Some(Reason::Rejected),
                b"416" => Some(Reason::UserUnknown),
                b"417" => Some(Reason::MailboxFull),
                b"420" | b"426" => Some(Reason::Suspend),
                b"505" => Some(Reason::SystemError),
                b"506" => Some(Reason::SpamDetected),
                b"514" => Some(Reason::MesgTooBig),
                b"630" => Some(Reason::PolicyViolation),
                _ => None,
            });
        }
    }
    None
}
