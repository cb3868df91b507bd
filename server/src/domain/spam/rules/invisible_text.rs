//! INVISIBLE_CHARS: zero-width characters or strike-through overlays inside the Subject, the
//! sender's name or the text ("Pass\u{200b}word", "E̷ntrega"). They leave a word readable to a
//! person and break it for a filter; a writer has no use for them (a byte-order mark at
//! the very start of a text is not counted).

use super::super::homoglyph::is_overlay_mark;
use super::super::message::MailView;
use super::super::score::RuleHit;

pub const NAME: &str = "INVISIBLE_CHARS";
pub const POINTS: f64 = 3.0;

/// Characters that take no space: zero-width space / joiners, word joiner and invisible
/// operators, the Mongolian vowel separator, the combining grapheme joiner, Hangul fillers,
/// and a byte-order mark inside text.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}'..='\u{200d}'
            | '\u{2060}'..='\u{2064}'
            | '\u{feff}'
            | '\u{180e}'
            | '\u{34f}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{3164}'
    ) || is_overlay_mark(c)
}

fn count(text: &str) -> usize {
    // All of them are outside ASCII; most mail is ASCII, which is checked at memory speed.
    if text.is_ascii() {
        return 0;
    }
    text.trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| is_invisible(*c))
        .count()
}

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    let n = count(v.subject.as_deref().unwrap_or(""))
        + count(v.from_name.as_deref().unwrap_or(""))
        + count(&v.text)
        + count(&v.html_text);
    if n > 0 {
        hits.push(RuleHit::new(
            NAME,
            POINTS,
            format!("{n} invisible or overlay characters split words for the eye, not the filter"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    #[test]
    fn zero_width_characters_and_overlays_are_hits() {
        let raw = "Subject: Pass\u{200b}word expiry\r\n\r\nx";
        assert_eq!(hit_names(raw, check), [NAME]);
        let html = "Content-Type: text/html; charset=utf-8\r\n\r\n<p>Your acc&#8203;ount</p>";
        assert_eq!(hit_names(html, check), [NAME]);
        let overlay = "Subject: E\u{337}ntrega pendente\r\n\r\nx";
        assert_eq!(hit_names(overlay, check), [NAME]);
    }

    #[test]
    fn plain_text_and_a_leading_byte_order_mark_are_fine() {
        assert!(hit_names("Subject: hello\r\n\r\nplain words", check).is_empty());
        let bom = "Content-Type: text/plain; charset=utf-8\r\n\r\n\u{feff}hello";
        assert!(hit_names(bom, check).is_empty());
    }
}
