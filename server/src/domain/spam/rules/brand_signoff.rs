//! BRAND_SIGNOFF: the text speaks as a well-known brand's staff ("The Spotify Team",
//! "PayPal Support", "Équipe Ledger", "Ihr Telekom-Team") while the message comes from a
//! domain that is not the brand's and no DKIM signature of the brand vouches for it. The
//! display-name trick (`BRAND_IMPERSONATION`) moved into the text: the reader sees the
//! brand sign the message; the address behind it belongs to someone else.

use super::super::auth_results::AuthSummary;
use super::super::message::MailView;
use super::super::score::RuleHit;
use super::brand_impersonation::{brand_names, brand_not_vouching};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::sync::LazyLock;

pub const NAME: &str = "BRAND_SIGNOFF";
pub const POINTS: f64 = 2.0;

/// What follows the brand name in a signature ("PayPal Support", "Ledger-Team").
const AFTER: &[&str] = &[
    "team",
    "support",
    "security team",
    "customer service",
    "account team",
    "billing team",
];
/// What comes before it ("Team Ledger", "L'équipe Binance", "El equipo de Netflix").
const BEFORE: &[&str] = &["team", "equipe", "équipe", "equipo de"];

/// The brand names, with the brand each belongs to.
static NAMES: LazyLock<(AhoCorasick, Vec<usize>)> = LazyLock::new(|| {
    let (brands, names): (Vec<usize>, Vec<&str>) = brand_names().unzip();
    let matcher = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .build(names)
        .expect("static brand names compile");
    (matcher, brands)
});

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// `text` begins with `word` (ASCII case ignored) followed by a word boundary.
fn starts_with_word(text: &str, word: &str) -> bool {
    text.get(..word.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(word))
        && text[word.len()..]
            .chars()
            .next()
            .is_none_or(|c| !is_word_char(c))
}

/// `text` ends with `word` (case ignored) preceded by a word boundary.
fn ends_with_word(text: &str, word: &str) -> bool {
    text.len() >= word.len()
        && text.is_char_boundary(text.len() - word.len())
        && text[text.len() - word.len()..].to_lowercase() == word
        && text[..text.len() - word.len()]
            .chars()
            .next_back()
            .is_none_or(|c| !is_word_char(c))
}

/// The brands that sign `text` as their staff, by number.
fn signing_brands(text: &str) -> impl Iterator<Item = usize> + '_ {
    let (matcher, brands) = &*NAMES;
    matcher.find_iter(text).filter_map(move |m| {
        let before = &text[..m.start()];
        let after = &text[m.end()..];
        let whole_word = before.chars().next_back().is_none_or(|c| !is_word_char(c))
            && after.chars().next().is_none_or(|c| !is_word_char(c));
        if !whole_word {
            return None;
        }
        let after = after.trim_start_matches([' ', '-']);
        let before = before.trim_end_matches(' ');
        let signs = AFTER.iter().any(|w| starts_with_word(after, w))
            || BEFORE.iter().any(|w| ends_with_word(before, w));
        signs.then(|| brands[m.pattern().as_usize()])
    })
}

pub fn check(v: &MailView, auth: &AuthSummary, hits: &mut Vec<RuleHit>) {
    let Some(domain) = v.from_domain() else {
        return;
    };
    if let Some(brand) =
        signing_brands(v.body_text()).find_map(|b| brand_not_vouching(b, &domain, auth))
    {
        hits.push(RuleHit::new(
            NAME,
            POINTS,
            format!("The text is signed by {brand:?} staff but the sender is at {domain}, not one of its domains"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(from: &str, text: &str, auth: &AuthSummary) -> Vec<String> {
        let raw = format!("From: {from}\r\nSubject: x\r\n\r\n{text}");
        let mut hits = Vec::new();
        check(&MailView::parse(raw.as_bytes()), auth, &mut hits);
        hits.into_iter().map(|h| h.name).collect()
    }

    #[test]
    fn a_brand_signing_from_a_stranger_s_domain_is_a_hit() {
        let none = AuthSummary::default();
        for text in [
            "Please retry your payment.\n\nThe Spotify Team",
            "Thanks,\nPayPal Support",
            "Cordialement,\nL'équipe Ledger",
            "Team MetaMask",
            "Ihr Telekom-Team",
        ] {
            assert_eq!(
                names("Billing <billing@shop.example>", text, &none),
                [NAME],
                "{text}"
            );
        }
    }

    #[test]
    fn the_brand_itself_its_signature_or_a_mere_mention_is_fine() {
        let none = AuthSummary::default();
        assert!(names("Spotify <no-reply@spotify.com>", "The Spotify Team", &none).is_empty());
        let signed = AuthSummary {
            dkim_pass_domains: vec!["paypal.com".into()],
            ..Default::default()
        };
        assert!(names("PayPal <a@esp.example>", "PayPal Support", &signed).is_empty());
        for text in [
            "I bought it on Amazon last week.",
            "The Apple teams up with nobody; ask the Appleseed team.",
            "Our support team uses Outlook.",
        ] {
            assert!(
                names("Ann <ann@example.org>", text, &none).is_empty(),
                "{text}"
            );
        }
    }
}
