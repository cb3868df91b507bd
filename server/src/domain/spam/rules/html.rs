//! HTML-shaped tests: HTML with no plain-text alternative (real mail clients send both),
//! messages that are mostly pictures (text in images evades word filters), hidden text and
//! scripts or forms (never needed in a legitimate email).

use super::super::message::MailView;
use super::super::score::RuleHit;

/// Fewer visible words than this next to images makes an "image-only" message.
const IMAGE_ONLY_MAX_WORDS: usize = 30;

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    if v.html_parts > 0 && v.text_parts == 0 {
        hits.push(RuleHit::new(
            "HTML_ONLY",
            2.5,
            "HTML body without a plain-text alternative",
        ));
    }
    let words = v
        .body_text()
        .split_whitespace()
        .take(IMAGE_ONLY_MAX_WORDS + 1)
        .count();
    if v.images > 0 && words < IMAGE_ONLY_MAX_WORDS {
        hits.push(RuleHit::new(
            "IMAGE_ONLY",
            1.0,
            "Message is images with almost no text",
        ));
    }
    if has_markup(&v.text) {
        hits.push(RuleHit::new(
            "HTML_IN_PLAIN_TEXT",
            1.0,
            "Plain-text body carries raw HTML markup (sent by a form mailer or a broken bulk tool)",
        ));
    }
    if v.hidden_text_tricks > 0 {
        hits.push(RuleHit::new(
            "HTML_HIDDEN_TEXT",
            0.1,
            "HTML hides text with tiny fonts or invisible colours",
        ));
    }
    if v.html_has_script_or_form {
        hits.push(RuleHit::new(
            "HTML_SCRIPT_OR_FORM",
            0.9,
            "HTML contains a script or a form",
        ));
    }
}

/// Link, font or image tags written into a text/plain part.
fn has_markup(text: &str) -> bool {
    const TAGS: &[&[u8]] = &[b"<a href", b"<font", b"<img src", b"<body", b"<html"];
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'<', bytes).take(2_000).any(|i| {
        TAGS.iter().any(|t| {
            bytes
                .get(i..i + t.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(t))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    const HTML_HEAD: &str = "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n";

    #[test]
    fn plain_text_mail_hits_nothing() {
        assert!(hit_names("Subject: x\r\n\r\nhello there", check).is_empty());
    }

    #[test]
    fn html_only_and_image_only() {
        let raw = format!("{HTML_HEAD}<html><img src=\"http://x.example/a.gif\"></html>");
        assert_eq!(hit_names(&raw, check), ["HTML_ONLY", "IMAGE_ONLY"]);
    }

    #[test]
    fn hidden_text_and_forms() {
        let raw = format!(
            "{HTML_HEAD}<font size=1 color=#ffffff>pills</font><form><input></form> {}",
            "word ".repeat(40)
        );
        assert_eq!(
            hit_names(&raw, check),
            ["HTML_ONLY", "HTML_HIDDEN_TEXT", "HTML_SCRIPT_OR_FORM"]
        );
    }

    #[test]
    fn multipart_alternative_with_text_is_not_html_only() {
        let raw = "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>hello</p>\r\n--b--\r\n";
        assert!(hit_names(raw, check).is_empty());
    }
}
