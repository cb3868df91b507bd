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
    use super::*;

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
