//! GENERIC_GREETING: the text opens by greeting a role, not a person: "Dear Customer",
//! "Dear Valued User", "Hello Email Owner", "Prezado Cliente", "Sehr geehrte Kundin". A
//! bank, shop or mail provider that holds your account knows your name; a mass mailing to
//! harvested addresses does not, and has greeted its readers this way since the first
//! "Dear PayPal user" scams. Only the opening of the text counts (a greeting further down is
//! usually a quoted or forwarded message).

use super::super::message::MailView;
use super::super::score::RuleHit;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::sync::LazyLock;

pub const NAME: &str = "GENERIC_GREETING";
pub const POINTS: f64 = 1.0;

/// How far into the visible text the greeting may stand (bytes).
const OPENING: usize = 600;

/// Words that open a greeting, in the languages of the mail seen.
const OPENERS: &[&str] = &[
    "dear",
    "hello",
    "hi",
    "greetings",
    "attention",
    "attn",
    "prezado",
    "prezada",
    "estimado",
    "estimada",
    "caro",
    "cara",
    "sehr geehrte",
    "sehr geehrter",
    "liebe",
    "lieber",
    "cher",
    "chère",
    "geachte",
];

/// Courtesy words that may stand between the opener and the role.
const COURTESY: &[&str] = &["valued", "esteemed", "respected"];

/// Roles a mass mailing greets instead of a name.
const ROLES: &[&str] = &[
    "user",
    "users",
    "customer",
    "customers",
    "client",
    "clients",
    "member",
    "members",
    "account holder",
    "account owner",
    "email owner",
    "email user",
    "email account owner",
    "email account holder",
    "email account user",
    "e-mail owner",
    "e-mail user",
    "mailbox owner",
    "mailbox user",
    "webmail user",
    "subscriber",
    "beneficiary",
    "recipient",
    "cliente",
    "usuário",
    "usuario",
    "utilizador",
    "kunde",
    "kundin",
    "nutzer",
    "benutzer",
    "klant",
    "gebruiker",
];

static MATCHER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .build(OPENERS)
        .expect("static opener list compiles")
});

/// `rest` starting with `word` (ASCII case ignored) followed by a word boundary; what follows.
fn after_word<'a>(rest: &'a str, word: &str) -> Option<&'a str> {
    let head = rest.get(..word.len())?;
    if !head.eq_ignore_ascii_case(word) {
        return None;
    }
    let tail = &rest[word.len()..];
    match tail.chars().next() {
        Some(c) if c.is_alphanumeric() => None,
        _ => Some(tail),
    }
}

/// Skips spaces and the light punctuation written after an opener ("Attention: ").
fn skip_gap(s: &str) -> &str {
    s.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ':'))
}

/// The role greeted at the start of `rest` (just after an opener), if any.
fn greeted_role(rest: &str) -> Option<&'static str> {
    let mut rest = skip_gap(rest);
    if let Some(after) = COURTESY.iter().find_map(|w| after_word(rest, w)) {
        rest = skip_gap(after);
    }
    // Longest first: "email account owner" before "email owner" cannot both match, but
    // "users" must win over "user".
    ROLES
        .iter()
        .filter(|r| after_word(rest, r).is_some())
        .max_by_key(|r| r.len())
        .copied()
}

/// The greeting to a role that opens `text`, if there is one.
pub fn generic_greeting(text: &str) -> Option<&'static str> {
    let mut end = text.len().min(OPENING);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let opening = &text[..end];
    let bytes = opening.as_bytes();
    MATCHER.find_iter(opening).find_map(|m| {
        let before_ok = m.start() == 0 || !bytes[m.start() - 1].is_ascii_alphanumeric();
        let after = &text[m.end()..];
        let boundary = after.chars().next().is_none_or(|c| !c.is_alphanumeric());
        (before_ok && boundary)
            .then(|| greeted_role(after))
            .flatten()
    })
}

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    if let Some(role) = generic_greeting(v.body_text()) {
        hits.push(RuleHit::new(
            NAME,
            POINTS,
            format!("The text greets the reader as {role:?}, not by name"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    #[test]
    fn a_greeting_to_a_role_is_a_hit() {
        for text in [
            "Dear Customer,\nYour parcel is waiting.",
            "Hello Valued User, we noticed a problem.",
            "ATTENTION: BENEFICIARY\nYour funds are ready.",
            "Dear Email Owner, your mailbox is full.",
            "Prezado Cliente, você possui valores a receber.",
            "Sehr geehrte Kundin, Ihr Konto wurde gesperrt.",
            "Notice\n\nDear users: please read.",
        ] {
            let raw = format!("Subject: x\r\n\r\n{text}");
            assert_eq!(hit_names(&raw, check), [NAME], "{text}");
        }
    }

    #[test]
    fn a_greeting_by_name_or_a_role_word_elsewhere_is_fine() {
        for text in [
            "Dear Ann,\nthe build is green.",
            "Hi all, the user list moved.",
            "Dear Customerservice team, my order is late.",
            "Hello, the customer wants a refund.",
            "Chit-chat: dearth of users here.",
        ] {
            let raw = format!("Subject: x\r\n\r\n{text}");
            assert!(hit_names(&raw, check).is_empty(), "{text}");
        }
        // Only the opening counts: a quoted greeting far down is not the sender's.
        let long = format!(
            "Subject: x\r\n\r\n{}\n> Dear Customer,",
            "word ".repeat(200)
        );
        assert!(hit_names(&long, check).is_empty());
    }
}
