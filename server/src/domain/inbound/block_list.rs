//! Block list entries: one address, or a whole domain with its subdomains.
//!
//! Admins type entries by hand, so the parser accepts the common spellings (`spam.test`,
//! `@spam.test`, `*.spam.test`, `<Bob@Spam.test>`) and refuses the rest with a reason.

use crate::domain::address::{AddressError, Domain, EmailAddress};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum BlockEntry {
    Address(EmailAddress),
    /// The domain and every subdomain of it.
    Domain(Domain),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockEntryError {
    #[error("enter an email address (bob@spam.test) or a domain (spam.test)")]
    Empty,
    #[error("{0:?} is not an email address: expected name@domain")]
    BadAddress(String),
    #[error("{0:?} is not a domain name: expected something like spam.test")]
    BadDomain(String),
}

impl BlockEntry {
    pub fn parse(input: &str) -> Result<BlockEntry, BlockEntryError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(BlockEntryError::Empty);
        }
        let domain_part = s
            .strip_prefix("*.")
            .or_else(|| s.strip_prefix('@'))
            .or_else(|| (!s.contains('@')).then_some(s));
        match domain_part {
            Some(d) => Domain::parse(d)
                .map(BlockEntry::Domain)
                .map_err(|_| BlockEntryError::BadDomain(s.to_string())),
            None => EmailAddress::parse(s)
                .map(BlockEntry::Address)
                .map_err(|e| match e {
                    AddressError::Empty => BlockEntryError::Empty,
                    _ => BlockEntryError::BadAddress(s.to_string()),
                }),
        }
    }

    /// Rebuilds a stored entry (`kind` is `address` or `domain`).
    pub fn from_stored(kind: &str, value: &str) -> Option<BlockEntry> {
        match kind {
            "address" => EmailAddress::parse(value).ok().map(BlockEntry::Address),
            "domain" => Domain::parse(value).ok().map(BlockEntry::Domain),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            BlockEntry::Address(_) => "address",
            BlockEntry::Domain(_) => "domain",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            BlockEntry::Address(a) => a.as_str(),
            BlockEntry::Domain(d) => d.as_str(),
        }
    }

    /// Whether mail from `sender` is blocked by this entry (a domain covers its subdomains).
    pub fn matches(&self, sender: &EmailAddress) -> bool {
        match self {
            BlockEntry::Address(a) => a == sender,
            BlockEntry::Domain(d) => sender.domain().is_within(d),
        }
    }

    /// The stored values that could block `sender`: its address, its domain and every parent
    /// domain of at least two labels. Storage looks these up with one `IN (…)` query.
    pub fn candidates(sender: &EmailAddress) -> Vec<String> {
        let mut out = vec![sender.as_str().to_string()];
        let domain = sender.domain();
        let mut rest = domain.as_str();
        loop {
            if rest.contains('.') {
                out.push(rest.to_string());
            }
            match rest.split_once('.') {
                Some((_, parent)) if parent.contains('.') => rest = parent,
                _ => break,
            }
        }
        out
    }
}

/// The first entry that blocks `sender`, if any.
pub fn first_match<'a>(entries: &'a [BlockEntry], sender: &EmailAddress) -> Option<&'a BlockEntry> {
    entries.iter().find(|e| e.matches(sender))
}

impl fmt::Display for BlockEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> EmailAddress {
        EmailAddress::parse(s).unwrap()
    }

    #[test]
    fn parses_the_spellings_admins_type() {
        let cases = [
            ("spam.test", "domain", "spam.test"),
            ("@Spam.Test", "domain", "spam.test"),
            ("*.spam.test", "domain", "spam.test"),
            (" bob@Spam.test ", "address", "bob@spam.test"),
            ("<bob@spam.test>", "address", "bob@spam.test"),
        ];
        for (input, kind, value) in cases {
            let e = BlockEntry::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!((e.kind(), e.value()), (kind, value), "{input}");
        }
    }

    #[test]
    fn refuses_what_is_neither_with_a_reason() {
        assert_eq!(BlockEntry::parse("  "), Err(BlockEntryError::Empty));
        assert!(matches!(
            BlockEntry::parse("localhost"),
            Err(BlockEntryError::BadDomain(_))
        ));
        assert!(matches!(
            BlockEntry::parse("bob@"),
            Err(BlockEntryError::BadAddress(_))
        ));
        assert!(matches!(
            BlockEntry::parse("bob smith@spam.test"),
            Err(BlockEntryError::BadAddress(_))
        ));
        assert!(BlockEntry::parse("@")
            .unwrap_err()
            .to_string()
            .contains("domain"));
    }

    #[test]
    fn a_domain_blocks_itself_and_subdomains_but_not_lookalikes() {
        let d = BlockEntry::parse("spam.test").unwrap();
        assert!(d.matches(&addr("a@spam.test")));
        assert!(d.matches(&addr("a@mail.eu.spam.test")));
        assert!(!d.matches(&addr("a@notspam.test")));
        assert!(!d.matches(&addr("a@spam.test.example")));
    }

    #[test]
    fn an_address_blocks_only_that_address() {
        let a = BlockEntry::parse("Bob@spam.test").unwrap();
        assert!(a.matches(&addr("bob@SPAM.test")));
        assert!(!a.matches(&addr("alice@spam.test")));
        let entries = vec![a, BlockEntry::parse("other.test").unwrap()];
        assert_eq!(
            first_match(&entries, &addr("x@mx.other.test")).map(|e| e.value()),
            Some("other.test")
        );
        assert_eq!(first_match(&entries, &addr("x@fine.test")), None);
    }

    #[test]
    fn candidates_cover_every_entry_that_could_match() {
        assert_eq!(
            BlockEntry::candidates(&addr("bob@mail.eu.spam.test")),
            vec![
                "bob@mail.eu.spam.test",
                "mail.eu.spam.test",
                "eu.spam.test",
                "spam.test"
            ]
        );
        assert_eq!(
            BlockEntry::candidates(&addr("bob@spam.test")),
            vec!["bob@spam.test", "spam.test"]
        );
    }

    #[test]
    fn stored_entries_round_trip() {
        for input in ["bob@spam.test", "spam.test"] {
            let e = BlockEntry::parse(input).unwrap();
            assert_eq!(BlockEntry::from_stored(e.kind(), e.value()), Some(e));
        }
        assert_eq!(BlockEntry::from_stored("other", "x"), None);
    }
}
