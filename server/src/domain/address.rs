//! Parse, don't validate: an `EmailAddress` or `Domain` that exists is well-formed and
//! normalised (trimmed, domain lower-cased; the local part keeps its case per RFC 5321 §2.4
//! but comparisons use the lower-cased form, as every large mailbox provider does).

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Domain(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("an email address is needed")]
    Empty,
    #[error("{0:?} is not an email address (expected name@domain)")]
    NotAnAddress(String),
    #[error("{0:?} is not a valid domain name")]
    BadDomain(String),
}

impl EmailAddress {
    /// Accepts `local@domain` with optional surrounding `<>` and whitespace.
    pub fn parse(input: &str) -> Result<Self, AddressError> {
        let s = input
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        if s.is_empty() {
            return Err(AddressError::Empty);
        }
        let (local, domain) = s
            .rsplit_once('@')
            .ok_or_else(|| AddressError::NotAnAddress(input.to_string()))?;
        if local.is_empty()
            || local.len() > 64
            || local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        {
            return Err(AddressError::NotAnAddress(input.to_string()));
        }
        let domain =
            Domain::parse(domain).map_err(|_| AddressError::NotAnAddress(input.to_string()))?;
        Ok(EmailAddress(format!(
            "{}@{}",
            local.to_lowercase(),
            domain.0
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A 64-bit key of the address, stored beside it (`suppressions.address_hash`) so the
    /// batch gate can probe an integer index instead of a text one. Two addresses may share
    /// a key: a match on the key is only a candidate, compared by address afterwards.
    ///
    /// FNV-1a over the normalised address, then SplitMix64's finaliser so every bit depends
    /// on every byte. It is stored: it must never change.
    pub fn key_hash(&self) -> i64 {
        key_of(&self.0)
    }

    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map(|(l, _)| l).unwrap_or("")
    }

    pub fn domain(&self) -> Domain {
        Domain(
            self.0
                .rsplit_once('@')
                .map(|(_, d)| d)
                .unwrap_or("")
                .to_string(),
        )
    }
}

impl Domain {
    /// A DNS name of at least two labels (or a bracketed address literal is refused: we only
    /// track names). Lower-cased, trailing dot removed.
    pub fn parse(input: &str) -> Result<Self, AddressError> {
        let s = input.trim().trim_end_matches('.').to_lowercase();
        let ok = !s.is_empty()
            && s.len() <= 253
            && s.contains('.')
            && s.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
            });
        if ok {
            Ok(Domain(s))
        } else {
            Err(AddressError::BadDomain(input.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `self` is `other` or a subdomain of it (`mail.spam.test` is within `spam.test`).
    pub fn is_within(&self, other: &Domain) -> bool {
        self.0 == other.0
            || (self.0.len() > other.0.len()
                && self.0.ends_with(&other.0)
                && self.0.as_bytes()[self.0.len() - other.0.len() - 1] == b'.')
    }
}

/// [`EmailAddress::key_hash`] of an address as stored (already normalised).
pub fn key_of(normalised: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in normalised.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (h ^ (h >> 31)) as i64
}

/// `name <address>` for a header or an API's address field, the name as an RFC 5322 §3.2.4
/// quoted-string (backslash and quote escaped, line breaks and other controls dropped), so a
/// name such as `spy@evil.test, Jane` stays one display name instead of adding a recipient.
/// Without a usable name, the bare address.
pub fn mailbox(name: Option<&str>, address: &str) -> String {
    let name: String = name
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let name = name.trim();
    if name.is_empty() {
        return address.to_string();
    }
    let mut out = String::with_capacity(name.len() + address.len() + 6);
    out.push('"');
    for c in name.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push_str("\" <");
    out.push_str(address);
    out.push('>');
    out
}

macro_rules! string_newtype_impls {
    ($t:ty) => {
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl TryFrom<String> for $t {
            type Error = AddressError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                <$t>::parse(&s)
            }
        }
    };
}
string_newtype_impls!(EmailAddress);
string_newtype_impls!(Domain);

#[cfg(test)]
mod tests {
    #[test]
    fn mailbox_quotes_the_display_name_so_it_cannot_add_recipients() {
        assert_eq!(mailbox(None, "a@b.test"), "a@b.test");
        assert_eq!(mailbox(Some("  "), "a@b.test"), "a@b.test");
        assert_eq!(
            mailbox(Some("Jane Doe"), "a@b.test"),
            "\"Jane Doe\" <a@b.test>"
        );
        let hostile = mailbox(Some("spy@evil.test, Jane"), "a@b.test");
        assert_eq!(hostile, "\"spy@evil.test, Jane\" <a@b.test>");
        let raw = format!("To: {hostile}\r\n\r\n");
        let parsed = mail_parser::MessageParser::default()
            .parse(raw.as_bytes())
            .unwrap();
        let to: Vec<_> = parsed.to().unwrap().iter().collect();
        assert_eq!(to.len(), 1);
        assert_eq!(to[0].address(), Some("a@b.test"));
        assert_eq!(to[0].name(), Some("spy@evil.test, Jane"));
        assert_eq!(
            mailbox(Some("a \"q\" \\ b\r\nBcc: x@y"), "a@b.test"),
            "\"a \\\"q\\\" \\\\ bBcc: x@y\" <a@b.test>"
        );
    }

    use super::*;

    /// `key_hash("jane.doe@example.com")`, computed by a separate Python implementation of
    /// FNV-1a 64 + SplitMix64's finaliser.
    const KEY_OF_JANE: i64 = -2_415_480_582_562_393_264;

    #[test]
    fn the_stored_key_of_an_address_never_changes() {
        // Stored in every suppression row: a change here would hide them from the gate.
        let a = EmailAddress::parse("Jane.Doe@Example.COM").unwrap();
        assert_eq!(
            a.key_hash(),
            EmailAddress::parse("jane.doe@example.com")
                .unwrap()
                .key_hash()
        );
        assert_eq!(a.key_hash(), KEY_OF_JANE);
        assert_ne!(
            a.key_hash(),
            EmailAddress::parse("jane.doe@example.org")
                .unwrap()
                .key_hash()
        );
    }

    #[test]
    fn addresses_are_trimmed_unbracketed_and_lower_cased() {
        let a = EmailAddress::parse("  <Jane.Doe@Example.COM> ").unwrap();
        assert_eq!(a.as_str(), "jane.doe@example.com");
        assert_eq!(a.domain().as_str(), "example.com");
        assert_eq!(a.local_part(), "jane.doe");
    }

    #[test]
    fn malformed_addresses_are_refused_with_a_reason() {
        for bad in [
            "",
            "   ",
            "nobody",
            "@example.com",
            "a@",
            "a@localhost",
            "a b@x.com",
            "a@-x.com",
            "a@x..com",
        ] {
            assert!(
                EmailAddress::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn subdomains_are_within_their_parent_but_lookalikes_are_not() {
        let parent = Domain::parse("spam.test").unwrap();
        assert!(Domain::parse("spam.test").unwrap().is_within(&parent));
        assert!(Domain::parse("mail.spam.test").unwrap().is_within(&parent));
        assert!(!Domain::parse("notspam.test").unwrap().is_within(&parent));
        assert!(!Domain::parse("test.org").unwrap().is_within(&parent));
    }
}
