//! RFC 3463 enhanced mail system status codes (`class.subject.detail`), and the SMTP reply
//! codes of RFC 5321 §4.2 that usually travel with them.

use serde::{Serialize, Serializer};
use std::fmt;

/// An RFC 3463 status code such as `5.1.1`. Parse, don't validate: a value that exists has a
/// class of 2, 4 or 5, a subject of at most three digits and a detail of at most three digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnhancedStatus {
    class: u8,
    subject: u16,
    detail: u16,
}

impl EnhancedStatus {
    /// Parses exactly `C.S.D` (surrounding whitespace allowed).
    pub fn parse(input: &str) -> Option<Self> {
        let s = input.trim();
        let mut it = s.split('.');
        let class = it.next()?;
        let subject = it.next()?;
        let detail = it.next()?;
        if it.next().is_some() {
            return None;
        }
        let num = |p: &str, max_len: usize| -> Option<u16> {
            if p.is_empty() || p.len() > max_len || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            p.parse().ok()
        };
        let class = num(class, 1)? as u8;
        if !matches!(class, 2 | 4 | 5) {
            return None;
        }
        Some(EnhancedStatus {
            class,
            subject: num(subject, 3)?,
            detail: num(detail, 3)?,
        })
    }

    /// Builds a code from its parts; `None` when the class is not 2, 4 or 5.
    pub fn new(class: u8, subject: u16, detail: u16) -> Option<Self> {
        matches!(class, 2 | 4 | 5).then_some(EnhancedStatus {
            class,
            subject: subject.min(999),
            detail: detail.min(999),
        })
    }

    /// Finds the first enhanced status code in free text (`550 5.1.1 ...`, `#5.1.1`,
    /// `(#4.4.1)`), skipping things that merely look like one: IP addresses, version numbers
    /// and dates (a code must not be glued to another digit or dot).
    pub fn find(text: &str) -> Option<Self> {
        Self::find_all(text).next()
    }

    /// Every plausible enhanced status code in `text`, in order.
    pub fn find_all(text: &str) -> impl Iterator<Item = Self> + '_ {
        let b = text.as_bytes();
        let mut i = 0;
        std::iter::from_fn(move || {
            while i < b.len() {
                let start = i;
                i += 1;
                if !matches!(b[start], b'2' | b'4' | b'5') {
                    continue;
                }
                if start > 0 && (b[start - 1].is_ascii_digit() || b[start - 1] == b'.') {
                    continue;
                }
                if start > 0 && b[start - 1].is_ascii_alphabetic() {
                    continue;
                }
                let mut j = start + 1;
                if j >= b.len() || b[j] != b'.' {
                    continue;
                }
                j += 1;
                let s0 = j;
                while j < b.len() && b[j].is_ascii_digit() && j - s0 < 4 {
                    j += 1;
                }
                if j == s0 || j - s0 > 3 || j >= b.len() || b[j] != b'.' {
                    continue;
                }
                j += 1;
                let d0 = j;
                while j < b.len() && b[j].is_ascii_digit() && j - d0 < 4 {
                    j += 1;
                }
                if j == d0 || j - d0 > 3 {
                    continue;
                }
                // Reject `5.1.1.3` (an IP address or a version) and `5.1.1a`.
                if j < b.len()
                    && (b[j].is_ascii_alphanumeric()
                        || (b[j] == b'.' && j + 1 < b.len() && b[j + 1].is_ascii_digit()))
                {
                    continue;
                }
                if let Some(st) = EnhancedStatus::parse(&text[start..j]) {
                    i = j;
                    return Some(st);
                }
            }
            None
        })
    }

    pub fn class(self) -> u8 {
        self.class
    }
    pub fn subject(self) -> u16 {
        self.subject
    }
    pub fn detail(self) -> u16 {
        self.detail
    }
    /// `4.x.x`: the sender may retry (RFC 3463 §3.1 "persistent transient failure").
    pub fn is_transient(self) -> bool {
        self.class == 4
    }
    /// `5.x.x`: permanent failure.
    pub fn is_permanent(self) -> bool {
        self.class == 5
    }
    /// `2.x.x`: success.
    pub fn is_success(self) -> bool {
        self.class == 2
    }
    /// `X.0.0` or `X.0.Y` carries only the class: a weak signal.
    pub fn is_generic(self) -> bool {
        self.subject == 0
    }
}

impl fmt::Display for EnhancedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

impl Serialize for EnhancedStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Finds an SMTP reply code (RFC 5321 §4.2: `4yz` or `5yz`, or `2yz`) in free text: a
/// three-digit number standing alone, preferably at a line start or after `said:`, `<<<`,
/// `error:`. Returns the first match.
pub fn find_reply_code(text: &str) -> Option<u16> {
    let b = text.as_bytes();
    let mut i = 0;
    while i + 3 <= b.len() {
        let c = b[i];
        if matches!(c, b'2' | b'4' | b'5')
            && b[i + 1].is_ascii_digit()
            && b[i + 2].is_ascii_digit()
            && (i == 0
                || !(b[i - 1].is_ascii_alphanumeric()
                    || matches!(
                        b[i - 1],
                        b'.' | b':' | b'-' | b'/' | b'+' | b'=' | b'_' | b'@' | b'['
                    )))
            && (i + 3 == b.len()
                || matches!(b[i + 3], b' ' | b'-' | b'\t' | b'\r' | b'\n' | b')' | b','))
        {
            // A following "-" is a continuation line (`550-5.1.1`), but "-" then a letter
            // is a date or an identifier.
            let ok_follow = i + 3 == b.len()
                || b[i + 3] != b'-'
                || (i + 4 < b.len() && b[i + 4].is_ascii_digit());
            let v =
                (c - b'0') as u16 * 100 + (b[i + 1] - b'0') as u16 * 10 + (b[i + 2] - b'0') as u16;
            let second_ok = matches!(b[i + 1], b'0'..=b'5');
            if ok_follow && second_ok && v != 200 {
                return Some(v);
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_codes_parse_and_print_back() {
        let s = EnhancedStatus::parse(" 5.1.1 ").unwrap();
        assert_eq!(s.to_string(), "5.1.1");
        assert!(s.is_permanent());
        assert_eq!(EnhancedStatus::parse("4.7.26").unwrap().detail(), 26);
        for bad in ["", "5.1", "6.1.1", "5..1", "5.1.1.1", "x.1.1", "5.1.1000"] {
            assert_eq!(EnhancedStatus::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn codes_are_found_in_text_but_ip_addresses_are_not() {
        assert_eq!(
            EnhancedStatus::find("550 5.1.1 <rcpt@example.org>: unknown")
                .unwrap()
                .to_string(),
            "5.1.1"
        );
        assert_eq!(
            EnhancedStatus::find("said 550-5.7.1 go")
                .unwrap()
                .to_string(),
            "5.7.1"
        );
        assert_eq!(
            EnhancedStatus::find("(#4.4.1)").unwrap().to_string(),
            "4.4.1"
        );
        assert_eq!(EnhancedStatus::find("host [192.0.2.5] said hi"), None);
        assert_eq!(EnhancedStatus::find("version 2.5.4.1 here"), None);
    }

    #[test]
    fn reply_codes_are_found_but_not_inside_other_numbers() {
        assert_eq!(find_reply_code("host said: 550 5.1.1 no"), Some(550));
        assert_eq!(find_reply_code("<<< 452-4.2.2 full"), Some(452));
        assert_eq!(find_reply_code("port 25025 and 2024-05-01"), None);
        assert_eq!(find_reply_code("id 550abc"), None);
    }
}
