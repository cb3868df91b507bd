//! RCPT_GREETING: the text greets the reader by email address ("Dear bob@example.org",
//! "Hallo bob@example.org"). A sender who knows you uses your name; a list that only has
//! your address pastes it where the name should be.

use super::super::message::MailView;
use super::super::score::RuleHit;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::sync::LazyLock;

pub const NAME: &str = "RCPT_GREETING";
pub const POINTS: f64 = 3.0;

/// Greetings and "for" words, in the languages of the mail seen.
const GREETINGS: &[&str] = &[
    "dear",
    "hello",
    "hi",
    "hey",
    "greetings",
    "attention",
    "attn",
    "hallo",
    "liebe/r",
    "liebe",
    "lieber",
    "guten tag",
    "sehr geehrte",
    "ola",
    "olá",
    "oi",
    "bonjour",
    "cher",
    "chère",
    "estimado",
    "estimada",
    "querido",
    "querida",
    "hola",
    "ciao",
    "gentile",
    "beste",
];

static MATCHER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .build(GREETINGS)
        .expect("static greeting list compiles")
});

/// Characters allowed between the greeting and the address: spaces and light punctuation.
const GAP: usize = 4;

/// True when `text` greets one of `addresses` (one pass over the text for all of them).
fn greets(text: &str, addresses: &[&str]) -> bool {
    if addresses.is_empty() || !addresses.iter().any(|a| written_in(text, a)) {
        return false;
    }
    let bytes = text.as_bytes();
    MATCHER.find_iter(text).take(200).any(|m| {
        // A whole word: "hi" in "this" is no greeting.
        let before_ok = m.start() == 0 || !bytes[m.start() - 1].is_ascii_alphanumeric();
        if !before_ok {
            return false;
        }
        let rest = &text[m.end()..];
        let skipped = rest
            .char_indices()
            .take(GAP + 1)
            .find(|(_, c)| !(c.is_whitespace() || matches!(c, ':' | ',' | '*' | '-')))
            .map(|(i, _)| i);
        skipped.is_some_and(|i| {
            i > 0
                && addresses.iter().any(|address| {
                    rest[i..]
                        .get(..address.len())
                        .is_some_and(|a| a.eq_ignore_ascii_case(address))
                })
        })
    })
}

/// `address` occurs in `text` (ASCII case ignored), found from the `@`s of the text: a
/// greeting can only be followed by an address that the text holds somewhere, and most
/// texts hold none of the recipient's, so the greeting search is then skipped.
fn written_in(text: &str, address: &str) -> bool {
    let Some(at) = address.find('@') else {
        return true;
    };
    let (t, a) = (text.as_bytes(), address.as_bytes());
    memchr::memchr_iter(b'@', t).any(|p| {
        p >= at
            && t.get(p - at..p - at + a.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(a))
    })
}

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    let addresses: Vec<&str> = v
        .to_addresses
        .iter()
        .filter(|a| a.len() >= 5)
        .take(5)
        .map(String::as_str)
        .collect();
    if greets(v.body_text(), &addresses) {
        hits.push(RuleHit::new(
            NAME,
            POINTS,
            "The text greets the reader by email address instead of by name",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    #[test]
    fn a_greeting_by_address_is_a_hit() {
        let raw = "To: bob@example.org\r\n\r\nDear bob@example.org,\r\nyour parcel is waiting.";
        assert_eq!(hit_names(raw, check), [NAME]);
        let raw = "To: <Bob@Example.org>\r\n\r\nHallo *Bob@example.org*, willkommen!";
        assert_eq!(hit_names(raw, check), [NAME]);
    }

    #[test]
    fn a_greeting_by_name_or_a_quoted_address_is_fine() {
        for raw in [
            "To: bob@example.org\r\n\r\nDear Bob,\r\nsee you.",
            "To: bob@example.org\r\n\r\nOn Monday, bob@example.org wrote:\r\n> hi",
            "To: bob@example.org\r\n\r\nthis bob@example.org is subscribed",
        ] {
            assert!(hit_names(raw, check).is_empty(), "{raw}");
        }
    }

    #[test]
    fn the_address_is_looked_for_case_blind_at_every_at_sign() {
        assert!(written_in("x Dear BOB@Example.org", "bob@example.org"));
        assert!(written_in("a@b bob@example.org", "bob@example.org"));
        assert!(!written_in("bob@example.or", "bob@example.org"));
        assert!(!written_in("ob@example.org", "bob@example.org"));
        assert!(!written_in("no at sign", "bob@example.org"));
        // Only a necessary condition: a greeting still has to come first.
        assert!(written_in("this bob@example.org", "bob@example.org"));
        assert!(!greets("this bob@example.org", &["bob@example.org"]));
        assert!(greets("Hi, bob@example.org", &["bob@example.org"]));
        assert!(!greets("Hi, bob@example.or", &["bob@example.org"]));
    }
}
