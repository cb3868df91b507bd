//! Charset tricks: raw 8-bit bytes in headers (RFC 5322 §2.2 allows only US-ASCII there;
//! RFC 2047 encoded words are the honest way), encoded words hiding plain ASCII (used to
//! dodge subject filters), undeclared or bogus charsets, and parts that failed to decode.

use super::super::message::MailView;
use super::super::score::RuleHit;

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    let raw_8bit = v.raw_8bit_headers;
    if raw_8bit {
        hits.push(RuleHit::new(
            "HEADER_8BIT",
            0.5,
            "Subject or From contains raw 8-bit characters instead of RFC 2047 encoding",
        ));
    }
    let needless = ["subject", "from"].iter().any(|name| {
        let (Some(raw), decoded) = (v.header(name), decoded(v, name)) else {
            return false;
        };
        raw.contains("=?")
            && decoded.is_some_and(|d| {
                // Plain printable ASCII with letters; 7-bit encodings such as ISO-2022-JP
                // that could not be decoded still carry escape bytes and are not a trick.
                d.is_ascii()
                    && d.chars().any(|c| c.is_ascii_alphabetic())
                    && !d.chars().any(|c| c.is_ascii_control())
            })
    });
    if needless {
        hits.push(RuleHit::new(
            "ENCODED_ASCII_HEADER",
            0.2,
            "Subject or From is encoded although it is plain ASCII (hides words from filters)",
        ));
    }
    if v.charsets.iter().any(|c| !plausible_charset(c)) {
        hits.push(RuleHit::new(
            "BOGUS_CHARSET",
            0.8,
            "A text part declares a charset that does not exist",
        ));
    }
    if v.encoding_problems > 0 {
        hits.push(RuleHit::new(
            "BAD_ENCODING",
            1.5,
            "A part's transfer encoding or charset could not be decoded",
        ));
    }
}

fn decoded<'a>(v: &'a MailView, name: &str) -> Option<&'a str> {
    match name {
        "subject" => v.subject.as_deref(),
        _ => v.from_name.as_deref(),
    }
}

/// Charset names seen in real mail: IANA names and their common aliases.
fn plausible_charset(c: &str) -> bool {
    let c = c.trim_matches(|ch: char| ch == '"' || ch == '\'' || ch.is_whitespace());
    const PREFIXES: &[&str] = &[
        "us-ascii",
        "ascii",
        "utf-8",
        "utf8",
        "utf-16",
        "utf-7",
        "iso-8859-",
        "iso8859-",
        "iso_8859-",
        "windows-125",
        "cp125",
        "cp850",
        "cp437",
        "cp866",
        "koi8-",
        "gb2312",
        "gbk",
        "gb18030",
        "big5",
        "euc-",
        "shift_jis",
        "shift-jis",
        "sjis",
        "iso-2022-",
        "ks_c_5601",
        "tis-620",
        "macintosh",
        "x-mac-",
        "ansi_x3.4",
        "latin",
        "x-user-defined",
        "unicode-1-1-utf-7",
        "iso-10646",
        "x-unknown",
        "default",
        "ibm",
        "x-sjis",
        "x-euc",
        "hz-gb-2312",
        "viscii",
        "armscii",
        "x-gbk",
        "cp932",
        "cp936",
        "cp949",
        "cp950",
        "x-mac-roman",
        "x-iso-",
        "x-",
    ];
    !c.is_empty() && PREFIXES.iter().any(|p| c.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    #[test]
    fn plain_ascii_mail_hits_nothing() {
        let raw = "From: Ann <a@example.org>\r\nSubject: hi\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nx";
        assert!(hit_names(raw, check).is_empty());
    }

    #[test]
    fn encoded_word_hiding_ascii_is_a_trick() {
        let raw = "Subject: =?utf-8?B?RlJFRSBWSUFHUkE=?=\r\n\r\nx";
        assert_eq!(hit_names(raw, check), ["ENCODED_ASCII_HEADER"]);
    }

    #[test]
    fn undecoded_seven_bit_charsets_are_not_a_trick() {
        let raw = "Subject: =?iso-2022-jp?B?GyRCRnxLXBsoQg==?=\r\n\r\nx";
        assert!(
            hit_names(raw, check).is_empty(),
            "{:?}",
            hit_names(raw, check)
        );
    }

    #[test]
    fn honest_encoded_words_are_fine() {
        let raw = "Subject: =?utf-8?Q?Caf=C3=A9?=\r\n\r\nx";
        assert!(hit_names(raw, check).is_empty());
    }

    #[test]
    fn raw_8bit_subject_and_bogus_charset_hit() {
        let raw =
            b"Subject: caf\xe9 \xbf\xa1\r\nContent-Type: text/plain; charset=\"foo-bar\"\r\n\r\nx";
        let mut hits = Vec::new();
        check(&MailView::parse(raw), &mut hits);
        let names: Vec<_> = hits.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["HEADER_8BIT", "BOGUS_CHARSET"]);
    }
}
