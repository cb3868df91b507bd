//! One parse of a raw message into the plain facts every rule and the tokenizer read.
//!
//! MIME is decoded by mail-parser (which never panics on damaged input); HTML is reduced to
//! its text, links and image count here. `X-Spam-*` headers are dropped before anything can
//! read them: upstream verdicts are stale in old mail and forgeable in new mail.

use mail_parser::{HeaderValue, Message, MessageParser, PartType};

/// Only the first part of a huge message is looked at (SpamAssassin skips mail over 500 KB;
/// spam is small, and this bounds the time one message can take).
pub const MAX_SCANNED_BYTES: usize = 384 * 1024;
/// Text kept per message for tokens and phrase tests.
const MAX_TEXT_CHARS: usize = 96 * 1024;
const MAX_NESTING: usize = 3;

/// A hyperlink found in an HTML body: where it points and what the reader sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub href: String,
    pub text: String,
}

/// A non-text MIME part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub content_type: String,
    pub filename: String,
    pub size: usize,
}

/// The facts of one message that the rules and the tokenizer need, extracted once.
#[derive(Debug, Clone, Default)]
pub struct MailView {
    /// Top-level headers in order: lower-cased name, unfolded raw value. No `X-Spam-*`.
    pub headers: Vec<(String, String)>,
    /// Decoded Subject (RFC 2047 words decoded).
    pub subject: Option<String>,
    pub from_name: Option<String>,
    pub from_address: Option<String>,
    pub reply_to_address: Option<String>,
    /// Addresses in the To header, lower-cased: whom the message says it is for.
    pub to_addresses: Vec<String>,
    /// Seconds since the epoch from the Date header, if present and parseable.
    pub date: Option<i64>,
    /// Seconds since the epoch from the newest (topmost) Received header with a date.
    pub received_date: Option<i64>,
    /// Decoded text/plain bodies, joined.
    pub text: String,
    /// Text of the HTML bodies with tags, scripts and styles removed.
    pub html_text: String,
    pub text_parts: usize,
    pub html_parts: usize,
    pub links: Vec<Link>,
    /// `<img>` tags in HTML bodies plus image attachments.
    pub images: usize,
    /// `src` of the `<img>` tags in HTML bodies (at most 100).
    pub image_urls: Vec<String>,
    /// `<input type=password>` fields in HTML bodies.
    pub password_inputs: usize,
    /// Text parts (plain or HTML, not attachments) sent in base64 although their decoded
    /// text is plain 7-bit ASCII: nothing needed encoding, so the encoding only hides words.
    pub base64_ascii_text_parts: usize,
    /// HTML elements that hide text from the reader (tiny fonts, invisible colours).
    pub hidden_text_tricks: usize,
    pub html_has_script_or_form: bool,
    /// Lower-cased charsets declared on text parts.
    pub charsets: Vec<String>,
    pub attachments: Vec<Attachment>,
    /// Parts mail-parser could not decode cleanly (bad base64, bad charset).
    pub encoding_problems: usize,
    /// Subject or From carries raw bytes above 0x7F (RFC 5322 §2.2 allows only US-ASCII).
    pub raw_8bit_headers: bool,
    /// True when the input was not recognisable as a message at all.
    pub unparseable: bool,
    /// Every link a reader can follow, with its host, found once for all rules
    /// ([`urls::links`](super::urls::links)).
    pub followable: Vec<super::urls::Followable>,
}

impl MailView {
    pub fn parse(raw: &[u8]) -> MailView {
        let raw = &raw[..raw.len().min(MAX_SCANNED_BYTES)];
        // mail-parser 0.11 can panic on malformed nested multiparts (found by cargo-fuzz):
        // such a message is unparseable, not a crash.
        let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            MessageParser::default().parse(raw)
        }))
        .ok()
        .flatten();
        let Some(message) = parsed else {
            return MailView {
                unparseable: true,
                ..MailView::default()
            };
        };
        let mut view = MailView {
            raw_8bit_headers: raw_8bit_headers(raw),
            ..MailView::default()
        };
        // Our own reading of the header block: mail-parser's typed parsers can swallow the
        // next field after a malformed one (e.g. a Date ending in "AM"), which would make a
        // present header look missing.
        view.headers = raw_header_fields(raw);
        view.subject = message.subject().map(str::to_string);
        if let Some(addr) = message.from().and_then(|a| a.first()) {
            view.from_name = addr.name().map(str::to_string);
            view.from_address = addr.address().map(str::to_string);
        }
        if view.from_address.is_none() {
            view.from_address = view.header("from").and_then(address_in);
        }
        view.reply_to_address = message
            .reply_to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(str::to_string);
        if let Some(to) = view.header("to") {
            view.to_addresses = split_addresses(to);
        }
        view.date = message
            .date()
            .filter(|d| d.is_valid())
            .map(|d| d.to_timestamp());
        view.received_date = message
            .header_values("Received")
            .filter_map(|v| match v {
                HeaderValue::Received(r) => r.date.as_ref(),
                _ => None,
            })
            .find(|d| d.is_valid())
            .map(|d| d.to_timestamp());
        view.collect_parts(&message, 0);
        view.followable = super::urls::find_followable(&view);
        view
    }

    /// The value of the first header named `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn has_header(&self, name: &str) -> bool {
        self.headers.iter().any(|(n, _)| n == name)
    }

    /// Visible text of the whole body (plain parts, else the HTML's text).
    pub fn body_text(&self) -> &str {
        if self.text.trim().is_empty() {
            &self.html_text
        } else {
            &self.text
        }
    }

    /// Domain of the From address, lower-cased.
    pub fn from_domain(&self) -> Option<String> {
        self.from_address
            .as_deref()
            .and_then(|a| a.rsplit_once('@'))
            .map(|(_, d)| d.trim_end_matches('>').to_ascii_lowercase())
            .filter(|d| !d.is_empty())
    }

    fn collect_parts(&mut self, message: &Message<'_>, depth: usize) {
        for part in &message.parts {
            let ctype = part.content_type();
            let mime = ctype
                .map(|c| match c.subtype() {
                    Some(sub) => format!("{}/{}", c.ctype(), sub),
                    None => c.ctype().to_string(),
                })
                .unwrap_or_else(|| "text/plain".to_string())
                .to_ascii_lowercase();
            if part.is_encoding_problem {
                self.encoding_problems += 1;
            }
            let is_attachment = part
                .content_disposition()
                .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"));
            if let Some(cs) = ctype.and_then(|c| c.attribute("charset")) {
                if matches!(part.body, PartType::Text(_) | PartType::Html(_)) {
                    let cs = cs.trim().to_ascii_lowercase();
                    if !self.charsets.contains(&cs) {
                        self.charsets.push(cs);
                    }
                }
            }
            let base64 = part
                .content_transfer_encoding()
                .is_some_and(|e| e.trim().eq_ignore_ascii_case("base64"));
            match &part.body {
                PartType::Text(t) | PartType::Html(t)
                    if !is_attachment && base64 && !t.trim().is_empty() && t.is_ascii() =>
                {
                    self.base64_ascii_text_parts += 1
                }
                _ => {}
            }
            match &part.body {
                PartType::Text(text) if !is_attachment => {
                    self.text_parts += 1;
                    push_capped(&mut self.text, text);
                }
                PartType::Html(html) if !is_attachment => {
                    self.html_parts += 1;
                    let stripped = strip_html(html);
                    self.links.extend(stripped.links);
                    self.images += stripped.images;
                    self.password_inputs += stripped.password_inputs;
                    for src in stripped.image_urls {
                        if self.image_urls.len() < 100 {
                            self.image_urls.push(src);
                        }
                    }
                    self.hidden_text_tricks += stripped.hidden;
                    self.html_has_script_or_form |= stripped.script_or_form;
                    push_capped(&mut self.html_text, &stripped.text);
                }
                PartType::Text(t) | PartType::Html(t) => self.attachments.push(Attachment {
                    content_type: mime,
                    filename: part.attachment_name().unwrap_or_default().to_string(),
                    size: t.len(),
                }),
                PartType::Binary(b) | PartType::InlineBinary(b) => {
                    if mime.starts_with("image/") {
                        self.images += 1;
                    }
                    self.attachments.push(Attachment {
                        content_type: mime,
                        filename: part.attachment_name().unwrap_or_default().to_string(),
                        size: b.len(),
                    });
                }
                PartType::Message(inner) => {
                    if depth < MAX_NESTING {
                        self.collect_parts(inner, depth + 1);
                    }
                }
                PartType::Multipart(_) => {}
            }
        }
    }
}

use mail_parser::MimeHeaders;

/// Top-level header fields (RFC 5322 §2.2): lower-cased name, unfolded value, in order,
/// without `X-Spam*`. Lines without a colon are skipped; 8-bit bytes are replaced.
fn raw_header_fields(raw: &[u8]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in raw.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if let Some((_, value)) = fields.last_mut() {
                if value.len() < 16 * 1024 {
                    value.push(' ');
                    value.push_str(String::from_utf8_lossy(line).trim());
                }
            }
            continue;
        }
        let Some(colon) = memchr::memchr(b':', line) else {
            continue;
        };
        let name = String::from_utf8_lossy(&line[..colon])
            .trim()
            .to_ascii_lowercase();
        if name.is_empty() || name.contains(' ') || fields.len() >= 500 {
            continue;
        }
        let value = String::from_utf8_lossy(&line[colon + 1..])
            .trim()
            .to_string();
        fields.push((name, value));
    }
    fields.retain(|(name, _)| !name.starts_with("x-spam"));
    fields
}

/// The address in a raw From value: inside `<…>`, else the first word with an `@`.
fn address_in(value: &str) -> Option<String> {
    let inner = match (value.rfind('<'), value.rfind('>')) {
        (Some(a), Some(b)) if a < b => &value[a + 1..b],
        _ => value
            .split_whitespace()
            .find(|w| w.contains('@'))?
            .trim_matches(|c: char| "\"'(),;".contains(c)),
    };
    let inner = inner.trim();
    (!inner.is_empty() && inner.contains('@')).then(|| inner.to_string())
}

/// Every address in an address-list header value (RFC 5322 §3.4), lower-cased. Commas
/// inside quoted display names split a name in two halves, which hold no `@` and drop out.
fn split_addresses(value: &str) -> Vec<String> {
    value
        .split(',')
        .filter_map(address_in)
        .map(|a| a.to_lowercase())
        .take(50)
        .collect()
}

/// Scans the top-level header block for Subject/From lines (and their continuations) with
/// 8-bit bytes: mail-parser hides them once it has turned the header into text.
fn raw_8bit_headers(raw: &[u8]) -> bool {
    let mut in_watched = false;
    for line in raw.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line[0] != b' ' && line[0] != b'\t' {
            let lower: Vec<u8> = line.iter().take(8).map(u8::to_ascii_lowercase).collect();
            in_watched = lower.starts_with(b"subject:") || lower.starts_with(b"from:");
        }
        if in_watched && line.iter().any(|b| *b >= 0x80) {
            return true;
        }
    }
    false
}

fn push_capped(dst: &mut String, src: &str) {
    if dst.len() >= MAX_TEXT_CHARS {
        return;
    }
    if !dst.is_empty() {
        dst.push('\n');
    }
    let room = MAX_TEXT_CHARS - dst.len();
    let mut end = src.len().min(room);
    while !src.is_char_boundary(end) {
        end -= 1;
    }
    dst.push_str(&src[..end]);
}

/// What an HTML body shows and links to.
#[derive(Debug, Default)]
pub struct StrippedHtml {
    pub text: String,
    pub links: Vec<Link>,
    pub images: usize,
    pub image_urls: Vec<String>,
    pub password_inputs: usize,
    pub hidden: usize,
    pub script_or_form: bool,
}

/// A small, forgiving HTML reader: tags become spaces, `<script>`/`<style>` and comments are
/// skipped, common entities decoded. It only has to be good enough for tokens and link
/// tests, and must never panic on broken markup.
pub fn strip_html(html: &str) -> StrippedHtml {
    let mut out = StrippedHtml::default();
    let bytes = html.as_bytes();
    let mut i = 0;
    let mut text_start = 0;
    let mut open_link: Option<(String, usize)> = None;
    while i < bytes.len() {
        // Text runs up to the next tag.
        let Some(p) = memchr::memchr(b'<', &bytes[i..]) else {
            break;
        };
        i += p;
        push_text(&mut out.text, &html[text_start..i]);
        // Comments.
        if html[i..].starts_with("<!--") {
            let end = html[i + 4..]
                .find("-->")
                .map_or(bytes.len(), |p| i + 4 + p + 3);
            i = end;
            text_start = i;
            continue;
        }
        let tag_end = memchr::memchr(b'>', &bytes[i..]).map_or(bytes.len(), |p| i + p + 1);
        let tag = &html[i..tag_end];
        let name = tag_name(tag);
        let name = name.as_str();
        match name {
            "script" | "style" => {
                out.script_or_form |= name == "script";
                let close = format!("</{name}");
                let rest = &html[tag_end..];
                let end = find_ascii_ci(rest, &close).map_or(bytes.len(), |p| {
                    let after = tag_end + p;
                    memchr::memchr(b'>', &bytes[after..]).map_or(bytes.len(), |q| after + q + 1)
                });
                i = end;
                text_start = i;
                continue;
            }
            "a" => {
                if let Some((href, start)) = open_link.take() {
                    close_link(&mut out, href, start);
                }
                if let Some(href) = attribute(tag, "href") {
                    open_link = Some((href, out.text.len()));
                }
            }
            "/a" => {
                if let Some((href, start)) = open_link.take() {
                    close_link(&mut out, href, start);
                }
            }
            "img" => {
                out.images += 1;
                if let Some(src) = attribute(tag, "src") {
                    if out.image_urls.len() < 100 {
                        out.image_urls.push(src);
                    }
                }
            }
            "input" => {
                out.script_or_form = true;
                if attribute(tag, "type").is_some_and(|t| t.eq_ignore_ascii_case("password")) {
                    out.password_inputs += 1;
                }
            }
            "form" => out.script_or_form = true,
            "font" | "span" | "div" | "p" | "td" if hides_text(tag) => out.hidden += 1,
            _ => {}
        }
        out.text.push(' ');
        i = tag_end;
        text_start = i;
    }
    if text_start < bytes.len() {
        push_text(&mut out.text, &html[text_start..]);
    }
    if let Some((href, start)) = open_link.take() {
        close_link(&mut out, href, start);
    }
    out
}

fn close_link(out: &mut StrippedHtml, href: String, start: usize) {
    let text = out.text.get(start..).unwrap_or("").trim().to_string();
    if out.links.len() < 500 {
        out.links.push(Link { href, text });
    }
}

fn push_text(dst: &mut String, src: &str) {
    if !src.contains('&') {
        dst.push_str(src);
        return;
    }
    let mut rest = src;
    while let Some(p) = rest.find('&') {
        dst.push_str(&rest[..p]);
        rest = &rest[p..];
        let end = rest.as_bytes()[..rest.len().min(10)]
            .iter()
            .position(|&b| b == b';');
        let decoded = end.and_then(|e| decode_entity(&rest[1..e]));
        match (end, decoded) {
            (Some(e), Some(c)) => {
                dst.push(c);
                rest = &rest[e + 1..];
            }
            _ => {
                dst.push('&');
                rest = &rest[1..];
            }
        }
    }
    dst.push_str(rest);
}

fn decode_entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name.to_ascii_lowercase().as_str() {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "copy" => '©',
        "reg" => '®',
        // Invisible ones: the rule that looks for them must see them.
        "zwnj" => '\u{200c}',
        "zwj" => '\u{200d}',
        _ => return None,
    })
}

/// A tag's lower-cased name (at most 16 letters or digits) with a leading `/` for closing
/// tags, kept on the stack: a message has thousands of tags.
struct TagName {
    bytes: [u8; 17],
    len: usize,
}

impl TagName {
    fn as_str(&self) -> &str {
        // Only ASCII letters, digits and '/' are ever stored.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

/// Lower-cased tag name, with a leading `/` for closing tags.
fn tag_name(tag: &str) -> TagName {
    let inner = tag.trim_start_matches('<');
    let mut name = TagName {
        bytes: [0; 17],
        len: 0,
    };
    let inner = match inner.strip_prefix('/') {
        Some(rest) => {
            name.bytes[0] = b'/';
            name.len = 1;
            rest
        }
        None => inner,
    };
    for b in inner
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric())
        .take(16)
    {
        name.bytes[name.len] = b.to_ascii_lowercase();
        name.len += 1;
    }
    name
}

/// Value of `attr` in a tag, quoted or not.
fn attribute(tag: &str, attr: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = lower[from..].find(attr) {
        let at = from + p;
        from = at + attr.len();
        let before_ok = at == 0 || !lower.as_bytes()[at - 1].is_ascii_alphanumeric();
        let rest = lower[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let offset = tag.len() - rest.len() + 1;
        let value = tag[offset..].trim_start();
        let v = match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or(""),
            _ => value
                .split(|c: char| c.is_whitespace() || c == '>')
                .next()
                .unwrap_or(""),
        };
        return Some(v.trim().to_string());
    }
    None
}

/// Tiny fonts or white-on-white: text meant for filters, not people. Each pattern is looked
/// for in the tag lower-cased with its spaces removed.
const HIDING_PATTERNS: &[&str] = &[
    "size=\"1\"",
    "size=1",
    "size=\"0",
    "font-size:0",
    "font-size:1px",
    "display:none",
    "visibility:hidden",
    "color=\"#ffffff\"",
    "color=#ffffff",
    "color=\"white\"",
    "color:#ffffff",
];

static HIDING: std::sync::LazyLock<aho_corasick::AhoCorasick> = std::sync::LazyLock::new(|| {
    aho_corasick::AhoCorasick::new(HIDING_PATTERNS).expect("static patterns compile")
});

fn hides_text(tag: &str) -> bool {
    // Every pattern has an `=` or a `:`; most tags have neither.
    if !tag.bytes().any(|b| b == b'=' || b == b':') {
        return false;
    }
    // Lower-cased without spaces; on the stack for the usual short tag.
    let mut buf = [0u8; 256];
    let mut heap = Vec::new();
    let lower: &[u8] = if tag.len() <= buf.len() {
        let mut n = 0;
        for b in tag.bytes().filter(|b| *b != b' ') {
            buf[n] = b.to_ascii_lowercase();
            n += 1;
        }
        &buf[..n]
    } else {
        heap.extend(
            tag.bytes()
                .filter(|b| *b != b' ')
                .map(|b| b.to_ascii_lowercase()),
        );
        &heap
    };
    HIDING.is_match(lower)
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(n.len())
        .position(|w| w.eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_reduced_to_text_links_and_images() {
        let s = strip_html(
            "<html><style>p{}</style><p>Hello &amp; <b>welcome</b></p>\
             <a href=\"http://evil.example/x\">www.bank.example</a><img src=x>\
             <!-- hidden --><script>var a='<b>';</script>bye",
        );
        assert!(s.text.contains("Hello & "), "{}", s.text);
        assert!(s.text.contains("welcome") && s.text.contains("bye"));
        assert!(!s.text.contains("p{}") && !s.text.contains("hidden") && !s.text.contains("var"));
        assert_eq!(
            s.links,
            vec![Link {
                href: "http://evil.example/x".into(),
                text: "www.bank.example".into()
            }]
        );
        assert_eq!(s.images, 1);
        assert!(s.script_or_form);
    }

    #[test]
    fn hiding_tags_are_found_in_any_case_and_spacing() {
        let old = |tag: &str| {
            let lower = tag.to_ascii_lowercase().replace(' ', "");
            HIDING_PATTERNS.iter().any(|p| lower.contains(p))
        };
        for tag in [
            "<font size=1>",
            "<FONT SIZE = \"1\">",
            "<span style=\"font-size: 0px\">",
            "<div style='DISPLAY : none'>",
            "<p style=\"visibility:hidden\">",
            "<font color=\"#FFFFFF\">",
            "<td style=\"color: #ffffff\">",
            "<font color=White>",
            "<font size=2 color=red>",
            "<div class=x>",
            "<p>",
            &format!(
                "<div title=\"{}\" style=\"display: none\">",
                "x".repeat(300)
            ),
            &format!("<div title=\"{}\">", "x".repeat(300)),
        ] {
            assert_eq!(hides_text(tag), old(tag), "{tag}");
        }
        assert!(hides_text("<font size=1>"));
        assert!(!hides_text("<font size=2 color=red>"));
    }

    #[test]
    fn broken_html_does_not_panic() {
        for html in [
            "<",
            "<a href=",
            "<a href='x",
            "&#99999999;",
            "<!--",
            "<script",
            "é<é>é&",
        ] {
            let _ = strip_html(html);
        }
    }

    #[test]
    fn x_spam_headers_are_dropped() {
        let v =
            MailView::parse(b"From: a@b.example\r\nX-Spam-Flag: YES\r\nSubject: hi\r\n\r\nbody");
        assert!(!v.has_header("x-spam-flag"));
        assert_eq!(v.subject.as_deref(), Some("hi"));
        assert_eq!(v.from_domain().as_deref(), Some("b.example"));
    }

    #[test]
    fn a_malformed_date_does_not_hide_the_next_header() {
        let v = MailView::parse(
            b"Date: 29 Jul 01 11:34:44 AM\r\nFrom: abc@example.net\r\nSubject: s\r\n\r\nx",
        );
        assert!(v.has_header("from"));
        assert_eq!(v.from_address.as_deref(), Some("abc@example.net"));
    }

    #[test]
    fn headers_are_unfolded() {
        let v = MailView::parse(b"Subject: a\r\n  b\r\nX-Long: one\r\n\ttwo\r\n\r\nx");
        assert_eq!(v.header("x-long"), Some("one two"));
    }

    /// Found by cargo-fuzz in the bounce classifier: mail-parser panicked on this input.
    #[test]
    fn malformed_nested_multipart_does_not_panic() {
        let raw = b"Recom\nContent-Type: multipart/reobacrt;\n    boundary=\"NekoNyaan/222nnn300===_22/00-22002-00000225\"\n\n--_----NekoNyaan/222nnn300===_22/00-22002-00000225etCIa0225\nContent-Type: message/rfc822\ntio e\n\nmpl\nContent-Type: message/rfc822\n\n\n--_----NekoNyaan/222nnn300===_22/00-22002-00000225--\n\n";
        let _ = MailView::parse(raw);
    }
}
