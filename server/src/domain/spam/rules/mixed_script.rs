//! MIXED_SCRIPT_WORD: a word in the Subject, the sender's name or the text mixes Latin
//! letters with Cyrillic or Greek look-alikes ("Binаnсе" with a Cyrillic а and с). It reads
//! as the brand to a person and as gibberish to a word filter, which is its only purpose:
//! Russian or Greek writers write whole words in their own alphabet.

use super::super::homoglyph::{latin_lookalike, script, Script};
use super::super::message::MailView;
use super::super::score::RuleHit;

pub const NAME: &str = "MIXED_SCRIPT_WORD";
pub const POINTS: f64 = 3.0;

/// Words checked per message (a bound on the time a long message takes).
const MAX_WORDS: usize = 5_000;

/// True for a word of Latin letters with at least one Cyrillic or Greek look-alike in it.
pub fn is_mixed(word: &str) -> bool {
    let (mut latin, mut lookalike, mut other) = (false, false, false);
    for c in word.chars() {
        match script(c) {
            Script::Latin => latin = true,
            Script::Cyrillic | Script::Greek if latin_lookalike(c).is_some() => lookalike = true,
            Script::Cyrillic | Script::Greek => other = true,
            Script::Other => {}
        }
    }
    latin && lookalike && !other
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2)
}

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    let fields = [
        v.subject.as_deref().unwrap_or(""),
        v.from_name.as_deref().unwrap_or(""),
        v.body_text(),
    ];
    let found = fields
        .iter()
        // An ASCII field has no Cyrillic or Greek to mix in.
        .filter(|f| !f.is_ascii())
        .flat_map(|f| words(f))
        .take(MAX_WORDS)
        .find(|w| !w.is_ascii() && is_mixed(w));
    if let Some(word) = found {
        hits.push(RuleHit::new(
            NAME,
            POINTS,
            format!("{word:?} mixes Latin letters with Cyrillic or Greek look-alikes"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    #[test]
    fn look_alike_letters_inside_a_latin_word_are_a_hit() {
        let raw = "Subject: =?utf-8?B?W0JpbtCwbtGB0LVdIHZlcmlmeQ==?=\r\n\r\nx";
        assert_eq!(hit_names(raw, check), [NAME]);
        let body =
            "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nYour Аpple ID is locked";
        assert_eq!(hit_names(body, check), [NAME]);
    }

    #[test]
    fn whole_words_in_one_script_are_fine() {
        let raw = "Subject: =?utf-8?B?0J/RgNC40LLQtdGCIHdvcmxk?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nΚαλημέρα friends, café naïve";
        assert!(hit_names(raw, check).is_empty());
    }

    #[test]
    fn mixing_needs_a_look_alike() {
        assert!(is_mixed("Binаnсе"));
        assert!(!is_mixed("Binance"));
        assert!(!is_mixed("Приветhello")); // П, и, в are no Latin look-alikes
    }
}
