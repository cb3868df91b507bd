//! BASE64_PLAIN_TEXT: a text part (plain or HTML) is sent in base64 although every byte of it
//! is 7-bit ASCII. Base64 exists for data that would not survive SMTP as it is (RFC 2045
//! §6.8); plain ASCII text needs no encoding, and wrapping it only hides its words from
//! anything that reads the raw message.

use super::super::message::MailView;
use super::super::score::RuleHit;

pub const NAME: &str = "BASE64_PLAIN_TEXT";
pub const POINTS: f64 = 1.0;

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    if v.base64_ascii_text_parts > 0 {
        hits.push(RuleHit::new(
            NAME,
            POINTS,
            "Plain ASCII text wrapped in base64, which only hides its words",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    #[test]
    fn ascii_text_in_base64_is_a_hit() {
        // "Your mailbox is full"
        let raw = "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nWW91ciBtYWlsYm94IGlzIGZ1bGw=\r\n";
        assert_eq!(hit_names(raw, check), [NAME]);
    }

    #[test]
    fn eight_bit_text_in_base64_and_plain_ascii_are_fine() {
        // "Grüße aus Köln" in UTF-8: base64 is the honest choice.
        let raw = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nR3LDvMOfZSBhdXMgS8O2bG4=\r\n";
        assert!(hit_names(raw, check).is_empty());
        assert!(hit_names("Content-Type: text/plain\r\n\r\nhello", check).is_empty());
        let attachment = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee file\r\n--b\r\nContent-Type: text/plain; name=a.txt\r\nContent-Disposition: attachment; filename=a.txt\r\nContent-Transfer-Encoding: base64\r\n\r\nWW91ciBtYWlsYm94IGlzIGZ1bGw=\r\n--b--\r\n";
        assert!(hit_names(attachment, check).is_empty());
    }
}
