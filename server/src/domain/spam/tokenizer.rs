//! Turns a message into the tokens the statistical classifier counts.
//!
//! In the spirit of SpamBayes and bogofilter: lower-cased words of 3–20 characters from the
//! decoded text and the HTML's visible text (long runs become a `skip:` token of their first
//! letter and length class), URL host pieces, and selected header facts each under its own
//! prefix so "free" in a Subject is a different clue from "free" in a body. Received lines,
//! Message-IDs, the list of header names and `X-Spam-*` are left out: they describe the
//! route and the collector, not the sender (leaving header names out also measured better).
//! Tokens are 32-bit FNV-1a hashes so the model never stores text and stays small.

use super::message::MailView;

/// A token's identity in the model.
pub type TokenHash = u32;

const MIN_WORD: usize = 3;
const MAX_WORD: usize = 20;
const MAX_TOKENS: usize = 4_000;

/// 32-bit FNV-1a over the prefix then the token text: stable across platforms and releases
/// (a model file is only meaningful with the same hash).
pub fn hash_token(prefix: &str, text: &str) -> TokenHash {
    fnv_feed(fnv_feed(FNV_OFFSET, prefix.as_bytes()), text.as_bytes())
}

const FNV_OFFSET: u32 = 0x811c_9dc5;

/// 32-bit FNV-1a of `bytes` (also the model file's checksum and the corpus split's hash).
pub fn fnv1a(bytes: &[u8]) -> u32 {
    fnv_feed(FNV_OFFSET, bytes)
}

/// Continues an FNV-1a hash over more bytes (FNV is a stream: feeding `a` then `b` equals
/// hashing `a` followed by `b`).
fn fnv_feed(mut h: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Unique token hashes of a message, sorted (each token counts once per message).
pub fn tokens(view: &MailView) -> Vec<TokenHash> {
    let mut out = Tokens::default();
    if let Some(subject) = &view.subject {
        out.words("s:", subject);
        let letters: Vec<char> = subject.chars().filter(|c| c.is_alphabetic()).collect();
        if letters.len() >= 6 && letters.iter().all(|c| c.is_uppercase()) {
            out.push("s:", "<allcaps>");
        }
    } else {
        out.push("h:", "no-subject");
    }
    if let Some(name) = &view.from_name {
        out.words("fn:", name);
    }
    match view.from_domain() {
        Some(domain) => {
            out.domain("fd:", &domain);
        }
        None => out.push("fd:", "<none>"),
    }
    if let Some(local) = view
        .from_address
        .as_deref()
        .and_then(|a| a.rsplit_once('@'))
        .map(|(l, _)| l)
    {
        out.push("fl:", &shape(local));
    }
    if let (Some(reply), Some(from)) = (&view.reply_to_address, &view.from_address) {
        out.push(
            "h:",
            if reply.eq_ignore_ascii_case(from) {
                "reply-to=from"
            } else {
                "reply-to!=from"
            },
        );
    }
    for (name, value) in &view.headers {
        // Which headers a message carries says much about the software that wrote it.
        match name.as_str() {
            "x-mailer" | "user-agent" => out.push("xm:", &mailer_family(value)),
            "content-type" => {
                let main = value
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                out.push("ct:", &main);
            }
            "content-transfer-encoding" => out.push("cte:", &value.to_ascii_lowercase()),
            "x-priority" | "importance" | "x-msmail-priority" => {
                out.push("pri:", &value.to_ascii_lowercase())
            }
            "to" | "cc" => {
                let n = value.matches('@').count();
                out.push("rcpt:", &n.min(10).to_string());
            }
            _ => {}
        }
    }
    for cs in &view.charsets {
        out.push("cs:", cs);
    }
    for a in &view.attachments {
        out.push("att:", &a.content_type);
    }
    out.push(
        "parts:",
        &format!("t{}h{}", view.text_parts.min(3), view.html_parts.min(3)),
    );
    out.text(&view.text);
    out.text(&view.html_text);
    for link in &view.links {
        out.url(&link.href);
    }
    if view.images > 0 {
        out.push("img:", &view.images.min(5).to_string());
    }
    out.finish()
}

#[derive(Default)]
struct Tokens {
    hashes: Vec<TokenHash>,
    scratch: String,
}

impl Tokens {
    fn push(&mut self, prefix: &str, text: &str) {
        self.push_hash(hash_token(prefix, text));
    }

    /// Words of a short header: kept whole (case folded) for 1–20 characters.
    fn words(&mut self, prefix: &str, text: &str) {
        for w in split_words(text) {
            self.word(prefix, w, 1);
        }
    }

    /// Pushes `prefix` + the lower-cased word; returns the lower-cased word's length in
    /// `scratch` when it was kept as a word (not too short, not a `skip:` token).
    fn word(&mut self, prefix: &str, w: &str, min: usize) -> bool {
        let ascii = w.is_ascii();
        if !ascii && w.chars().any(is_cjk) {
            self.cjk_pairs(prefix, w);
            return false;
        }
        let n = if ascii { w.len() } else { w.chars().count() };
        if n < min {
            return false;
        }
        if n > MAX_WORD {
            let first = w.chars().next().unwrap_or('?').to_ascii_lowercase();
            let mut buf = [0u8; 4];
            let class = (n / 10 * 10).min(990);
            let digits = [
                b'0' + (class / 100) as u8,
                b'0' + (class / 10 % 10) as u8,
                b'0',
            ];
            let mut h = fnv_feed(FNV_OFFSET, b"skip:");
            h = fnv_feed(h, first.encode_utf8(&mut buf).as_bytes());
            let digits = if class >= 100 {
                &digits[..]
            } else {
                &digits[1..]
            };
            self.push_hash(fnv_feed(h, digits));
            return false;
        }
        self.scratch.clear();
        if ascii {
            self.scratch.push_str(w);
            self.scratch.make_ascii_lowercase();
        } else {
            for c in w.chars() {
                self.scratch.extend(c.to_lowercase());
            }
        }
        let h = fnv_feed(
            fnv_feed(FNV_OFFSET, prefix.as_bytes()),
            self.scratch.as_bytes(),
        );
        self.push_hash(h);
        true
    }

    /// Chinese, Japanese and Korean are written without spaces, so a whole sentence would be
    /// one over-long "word". Each pair of neighbouring CJK characters is a token instead (the
    /// usual bigram segmentation of CJK text for classifiers), under `prefix` + `cjk:`.
    fn cjk_pairs(&mut self, prefix: &str, w: &str) {
        let start = fnv_feed(fnv_feed(FNV_OFFSET, prefix.as_bytes()), b"cjk:");
        let mut prev: Option<char> = None;
        let mut buf = [0u8; 8];
        for (read, c) in w.chars().enumerate() {
            if read >= MAX_CJK_CHARS {
                return;
            }
            if !is_cjk(c) {
                prev = None;
                continue;
            }
            if let Some(p) = prev {
                let a = p.encode_utf8(&mut buf[..4]).len();
                let b = c.encode_utf8(&mut buf[a..]).len();
                self.push_hash(fnv_feed(start, &buf[..a + b]));
            }
            prev = Some(c);
        }
    }

    fn push_hash(&mut self, h: TokenHash) {
        if self.hashes.len() < MAX_TOKENS {
            self.hashes.push(h);
        }
    }

    /// Body words, and pairs of neighbouring words (`bi:`): "click here" and "remove me"
    /// say more together than apart. The pair hash is streamed (FNV-1a of
    /// `bi:` + first + space + second) so no string is built per word.
    fn text(&mut self, text: &str) {
        // FNV state after `bi:` + previous word + ' ', when there is a previous word.
        let mut pair_state: Option<u32> = None;
        for w in split_words(text) {
            if self.hashes.len() >= MAX_TOKENS {
                return;
            }
            if has_scheme_separator(w) || w.starts_with("www.") {
                self.url(w);
                pair_state = None;
                continue;
            }
            if self.word("", w, MIN_WORD) {
                let lower = self.scratch.as_bytes();
                if let Some(state) = pair_state {
                    let h = fnv_feed(state, lower);
                    self.push_hash(h);
                }
                let lower = self.scratch.as_bytes();
                pair_state = Some(fnv_feed(
                    fnv_feed(fnv_feed(FNV_OFFSET, b"bi:"), lower),
                    b" ",
                ));
            } else {
                pair_state = None;
            }
        }
    }

    /// `url:` tokens for the scheme and each suffix of the host (`a.b.example`, `b.example`,
    /// `example`): spam reuses domains, ham links to its projects.
    fn url(&mut self, href: &str) {
        let lower = href.trim().to_ascii_lowercase();
        let (scheme, rest) = match lower.split_once("://") {
            Some((s, r)) => (s, r),
            None if lower.starts_with("www.") => ("http", lower.as_str()),
            None => {
                if let Some(mail) = lower.strip_prefix("mailto:") {
                    self.push("url:", "mailto");
                    if let Some((_, d)) = mail.split_once('@') {
                        self.domain("mailto:", d.split(['?', '>']).next().unwrap_or(""));
                    }
                }
                return;
            }
        };
        self.push("proto:", scheme);
        let host = rest
            .split(['/', '?', '#'])
            .next()
            .unwrap_or("")
            .rsplit('@')
            .next()
            .unwrap_or("");
        let host = host.split(':').next().unwrap_or("");
        if host.parse::<std::net::Ipv4Addr>().is_ok() {
            self.push("url:", "<ip>");
            return;
        }
        self.domain("url:", host);
        let path = rest.find('/').map(|p| &rest[p..]).unwrap_or("");
        for piece in path.split(|c: char| !c.is_ascii_alphanumeric()).take(8) {
            if piece.len() >= 3 && piece.len() <= MAX_WORD {
                self.push("up:", piece);
            }
        }
    }

    fn domain(&mut self, prefix: &str, domain: &str) {
        let domain = domain.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        if domain.is_empty() || domain.len() > 100 {
            return;
        }
        let mut rest = domain;
        for _ in 0..4 {
            self.push(prefix, rest);
            match rest.split_once('.') {
                Some((_, tail)) if tail.contains('.') => rest = tail,
                Some((_, tail)) => {
                    self.push(prefix, tail);
                    break;
                }
                None => break,
            }
        }
    }

    fn finish(mut self) -> Vec<TokenHash> {
        self.hashes.sort_unstable();
        self.hashes.dedup();
        self.hashes
    }
}

/// Words: runs of letters/digits with inner `'`, `-`, `.`, `$`, `!`, `%` kept where they are
/// part of how spam writes (`$100`, `free!`, `100%`), outer punctuation trimmed.
///
/// Pieces between separators (Unicode white space and `,;"()<>[]{}*|=`), as
/// `str::split` with that predicate gives them, trimmed and without empty ones; read byte by
/// byte (every other separator is ASCII), decoding a character only above 0x7F.
fn split_words(text: &str) -> impl Iterator<Item = &str> {
    Pieces { text, pos: 0 }
        .map(trim_word)
        .filter(|w| !w.is_empty())
}

/// A byte's part in [`split_words`].
const SEPARATOR: u8 = 1;
const TRIMMED: u8 = 2;
const NON_ASCII: u8 = 4;

/// Separators: ASCII white space (as `char::is_whitespace` has it) and `,;"()<>[]{}*|=`;
/// trimmed from a word's ends: `.:'-?_/#&+~`^@`.
static BYTE_CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        class[i] = if b >= 0x80 {
            NON_ASCII
        } else if matches!(
            b,
            b'\t'
                ..=b'\r'
                    | b' '
                    | b','
                    | b';'
                    | b'"'
                    | b'('
                    | b')'
                    | b'<'
                    | b'>'
                    | b'['
                    | b']'
                    | b'{'
                    | b'}'
                    | b'*'
                    | b'|'
                    | b'='
        ) {
            SEPARATOR
        } else if matches!(
            b,
            b'.' | b':'
                | b'\''
                | b'-'
                | b'?'
                | b'_'
                | b'/'
                | b'#'
                | b'&'
                | b'+'
                | b'~'
                | b'`'
                | b'^'
                | b'@'
        ) {
            TRIMMED
        } else {
            0
        };
        i += 1;
    }
    class
};

/// `w` without the trimmed punctuation at its ends (all ASCII, so cutting bytes keeps
/// character boundaries).
fn trim_word(w: &str) -> &str {
    let b = w.as_bytes();
    let mut start = 0;
    let mut end = b.len();
    while start < end && BYTE_CLASS[b[start] as usize] == TRIMMED {
        start += 1;
    }
    while end > start && BYTE_CLASS[b[end - 1] as usize] == TRIMMED {
        end -= 1;
    }
    &w[start..end]
}

/// The pieces of `text` between separators (see [`split_words`]); a run of ASCII
/// separators counts as one, so few pieces are empty.
struct Pieces<'a> {
    text: &'a str,
    /// Start of the next piece; past the end when done.
    pos: usize,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        let mut start = self.pos;
        if start > bytes.len() {
            return None;
        }
        // A run of ASCII separators would only give empty pieces, which split_words drops.
        while bytes
            .get(start)
            .is_some_and(|&b| BYTE_CLASS[b as usize] == SEPARATOR)
        {
            start += 1;
        }
        let mut i = start;
        while let Some(&b) = bytes.get(i) {
            let class = BYTE_CLASS[b as usize];
            if class & (SEPARATOR | NON_ASCII) == 0 {
                i += 1;
            } else if class == SEPARATOR {
                self.pos = i + 1;
                return Some(&self.text[start..i]);
            } else {
                // `i` is a character boundary: only ASCII bytes and whole characters are skipped.
                let c = self.text[i..].chars().next().unwrap_or(' ');
                if c.is_whitespace() {
                    self.pos = i + c.len_utf8();
                    return Some(&self.text[start..i]);
                }
                i += c.len_utf8();
            }
        }
        self.pos = bytes.len() + 1;
        Some(&self.text[start..])
    }
}

/// `w` contains `://` (a URL written in the text). Words are short: a plain loop.
fn has_scheme_separator(w: &str) -> bool {
    w.as_bytes().windows(3).any(|t| t == b"://")
}

/// At most this many characters of one space-less CJK run are read as pairs.
const MAX_CJK_CHARS: usize = 400;

/// Han ideographs, kana and Hangul syllables: scripts written without spaces between words.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF // Hiragana, Katakana
        | 0x3400..=0x4DBF // CJK Extension A
        | 0x4E00..=0x9FFF // CJK Unified Ideographs
        | 0xAC00..=0xD7AF // Hangul syllables
        | 0xF900..=0xFAFF // CJK Compatibility Ideographs
        | 0xFF66..=0xFF9F) // half-width Katakana
}

/// A letter/digit pattern of an address local part (`aaa999`): random senders look alike.
fn shape(local: &str) -> String {
    let mut s = String::new();
    let mut last = ' ';
    let mut run = 0;
    for c in local.chars().take(40) {
        let class = if c.is_ascii_digit() {
            '9'
        } else if c.is_alphabetic() {
            'a'
        } else {
            '.'
        };
        if class == last {
            run += 1;
            if run > 2 {
                continue;
            }
        } else {
            run = 1;
            last = class;
        }
        s.push(class);
    }
    s
}

/// `Microsoft Outlook Express 6.00.2600.0000` → `microsoft outlook express`.
fn mailer_family(value: &str) -> String {
    value
        .split(|c: char| c.is_whitespace() || c == '/' || c == '(')
        .filter(|w| !w.is_empty() && !w.starts_with(|c: char| c.is_ascii_digit()))
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(raw: &str) -> Vec<TokenHash> {
        tokens(&MailView::parse(raw.as_bytes()))
    }

    #[test]
    fn hash_is_stable() {
        // FNV-1a test vector: "a" → 0xe40c292c.
        assert_eq!(hash_token("", "a"), 0xe40c_292c);
    }

    #[test]
    fn subject_and_body_words_are_distinct_tokens() {
        let t = toks("Subject: Free\r\n\r\nfree money");
        assert!(t.contains(&hash_token("s:", "free")));
        assert!(t.contains(&hash_token("", "free")));
        assert!(t.contains(&hash_token("", "money")));
    }

    #[test]
    fn urls_give_host_suffix_tokens() {
        let t = toks("Subject: x\r\n\r\nsee http://www.deals.example.com/buy now");
        assert!(t.contains(&hash_token("url:", "www.deals.example.com")));
        assert!(t.contains(&hash_token("url:", "example.com")));
        assert!(t.contains(&hash_token("up:", "buy")));
    }

    #[test]
    fn streamed_pair_and_skip_hashes_equal_the_plain_ones() {
        let t = toks("Subject: a\r\n\r\nClick Here now aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        assert!(t.contains(&hash_token("bi:", "click here")));
        assert!(t.contains(&hash_token("bi:", "here now")));
        assert!(t.contains(&hash_token("skip:", "a30")));
        assert!(!t.contains(&hash_token("bi:", "now aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")));
    }

    #[test]
    fn tokens_are_unique_and_sorted() {
        let t = toks("Subject: a\r\n\r\nspam spam spam eggs");
        let mut sorted = t.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(t, sorted);
    }

    #[test]
    fn x_spam_headers_give_no_tokens() {
        let a = toks("Subject: a\r\nX-Spam-Status: Yes, score=20\r\n\r\nbody text");
        let b = toks("Subject: a\r\n\r\nbody text");
        assert_eq!(a, b);
    }

    #[test]
    fn cjk_text_gives_character_pairs_not_one_skipped_word() {
        let t = toks("Subject: a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\u{5341}\u{5206}\u{4fbf}\u{5b9c}\u{3002}ok");
        assert!(t.contains(&hash_token("cjk:", "\u{5341}\u{5206}")));
        assert!(t.contains(&hash_token("cjk:", "\u{5206}\u{4fbf}")));
        assert!(t.contains(&hash_token("cjk:", "\u{4fbf}\u{5b9c}")));
        // The ideographic full stop breaks the run: no pair across it.
        assert!(!t.contains(&hash_token("cjk:", "\u{5b9c}\u{3002}")));
        assert!(!t.contains(&hash_token("skip:", "\u{5341}")));
        let s = toks("Subject: \u{5341}\u{5206}\r\n\r\nbody");
        assert!(s.contains(&hash_token("s:cjk:", "\u{5341}\u{5206}")));
    }

    /// The words as `str::split` with the separator predicate finds them (the reading
    /// before [`Pieces`]).
    fn split_words_by_char(text: &str) -> Vec<&str> {
        text.split(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    ',' | ';'
                        | '"'
                        | '('
                        | ')'
                        | '<'
                        | '>'
                        | '['
                        | ']'
                        | '{'
                        | '}'
                        | '*'
                        | '|'
                        | '='
                )
        })
        .map(|w| {
            w.trim_matches(|c: char| {
                matches!(
                    c,
                    '.' | ':'
                        | '\''
                        | '-'
                        | '?'
                        | '_'
                        | '/'
                        | '#'
                        | '&'
                        | '+'
                        | '~'
                        | '`'
                        | '^'
                        | '@'
                )
            })
        })
        .filter(|w| !w.is_empty())
        .collect()
    }

    #[test]
    fn byte_splitter_finds_the_words_char_splitting_finds() {
        for text in [
            "",
            " ",
            "a",
            "Click here, now!! (free) $100 100% <b>x</b>",
            "tab\tvt\x0bff\x0ccr\rlf\nend\x1cfs",
            "no\u{a0}break\u{2003}em\u{3000}ideo\u{85}nel\u{200b}zw",
            "é<é>é&  ,;  ..--  ::word::  \u{5341}\u{5206} ok",
            "trailing sep ",
            "http://a.example/x?y=1&z=2 www.b.example",
        ] {
            assert_eq!(
                split_words(text).collect::<Vec<_>>(),
                split_words_by_char(text),
                "{text:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn byte_splitter_agrees_on_any_text(text in "(\\PC|[ \t\r\n,;\"()<>\\[\\]{}*|=.:'@\u{a0}\u{2000}\u{3000}\u{85}]){0,64}") {
            proptest::prop_assert_eq!(split_words(&text).collect::<Vec<_>>(), split_words_by_char(&text));
        }

        #[test]
        fn scheme_separator_is_contains(text in "[:/a]{0,12}") {
            proptest::prop_assert_eq!(has_scheme_separator(&text), text.contains("://"));
        }
    }

    #[test]
    fn local_part_shape_collapses_runs() {
        assert_eq!(shape("john.smith1234"), "aa.aa99");
    }
}
