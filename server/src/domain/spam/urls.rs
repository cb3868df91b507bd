//! URLs and domains as the link rules and the DNS block lists see them: the host of an
//! `http(s)` URL, and the registered domain (the part a registrant bought) of a host.

use super::message::MailView;

/// Second-level labels under which registries sell names (`example.co.uk`), for the
/// country codes seen in mail. A host under `co.uk` has its registered domain one label
/// further left. Not the whole Public Suffix List: close enough to compare sites.
const SECOND_LEVEL: &[&str] = &[
    "co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go", "gob", "gouv", "mil", "nom",
    "ltd", "plc", "sch", "info", "biz", "int", "res", "web", "blog", "art", "med", "adm", "eng",
    "ind", "inf", "jus", "pro", "tur", "nic", "ed", "gv", "lg", "ad", "in", "kr", "nhs",
];

/// The lower-cased host of an `http://` or `https://` URL, without user info, port or a
/// trailing dot. `None` for other schemes and for URLs without a host.
pub fn url_host(href: &str) -> Option<String> {
    let href = href.trim();
    let scheme_end = href.find("://")?;
    let scheme = &href[..scheme_end];
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return None;
    }
    let rest = &href[scheme_end + 3..];
    let authority = rest.split(['/', '?', '#', '\\']).next()?;
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if hostport.starts_with('[') {
        hostport.split(']').next()?.trim_start_matches('[')
    } else {
        hostport.split(':').next()?
    };
    let host = host.trim_end_matches('.').to_lowercase();
    (!host.is_empty() && host.len() <= 253).then_some(host)
}

/// The registered domain of `host` (`www.mail.example.co.uk` → `example.co.uk`); an IP
/// literal or a single label is returned as it is.
pub fn registered_domain(host: &str) -> &str {
    let host = host.trim_end_matches('.');
    if host.parse::<std::net::IpAddr>().is_ok() {
        return host;
    }
    let labels: Vec<&str> = host.rsplitn(4, '.').collect();
    let keep = match labels.as_slice() {
        [tld, second, _, ..] if tld.len() == 2 && SECOND_LEVEL.contains(second) => 3,
        [_, _, ..] => 2,
        _ => return host,
    };
    let len: usize = labels[..keep].iter().map(|l| l.len()).sum::<usize>() + keep - 1;
    &host[host.len() - len..]
}

/// True when `host` is `domain` or a subdomain of it.
pub fn within(host: &str, domain: &str) -> bool {
    host == domain
        || (host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

/// `http(s)://` URLs written in plain text: the whitespace-separated words longer than 10
/// bytes that start with the scheme, closing punctuation trimmed. Found by searching for
/// "http" rather than splitting every word (the same words `split_whitespace` gives).
pub fn text_urls(text: &str) -> impl Iterator<Item = &str> {
    memchr::memmem::find_iter(text.as_bytes(), b"http").filter_map(move |start| {
        let rest = &text[start..];
        if !(rest.starts_with("http://") || rest.starts_with("https://")) {
            return None;
        }
        // Only at the start of a word.
        if text[..start]
            .chars()
            .next_back()
            .is_some_and(|c| !c.is_whitespace())
        {
            return None;
        }
        let len = rest.find(char::is_whitespace).unwrap_or(rest.len());
        (len > 10).then(|| rest[..len].trim_end_matches(|c: char| ".,;:)]>\"'".contains(c)))
    })
}

/// Every link a reader can follow, found once per message by [`MailView::parse`]: an HTML
/// link (by its place in [`MailView::links`]) or a URL written in the visible text (its
/// byte range in [`MailView::body_text`]), with the host of an http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followable {
    source: Source,
    /// [`url_host`] of the URL.
    pub host: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Html(usize),
    Text(usize, usize),
}

/// At most this many links of one message are read.
const MAX_FOLLOWABLE: usize = 300;

/// The links of a parsed view: HTML `href`s, then URLs in the plain text (at most 300).
pub(crate) fn find_followable(v: &MailView) -> Vec<Followable> {
    let body = v.body_text();
    let html = v
        .links
        .iter()
        .enumerate()
        .map(|(i, l)| (Source::Html(i), l.href.as_str()));
    let text = text_urls(body).map(|u| {
        let start = u.as_ptr() as usize - body.as_ptr() as usize;
        (Source::Text(start, start + u.len()), u)
    });
    html.chain(text)
        .take(MAX_FOLLOWABLE)
        .map(|(source, href)| Followable {
            source,
            host: url_host(href),
        })
        .collect()
}

impl Followable {
    /// The URL and, for an HTML link, the text the reader sees.
    pub fn parts<'a>(&self, v: &'a MailView) -> (&'a str, Option<&'a str>) {
        match self.source {
            Source::Html(i) => v
                .links
                .get(i)
                .map_or(("", None), |l| (l.href.as_str(), Some(l.text.as_str()))),
            Source::Text(a, b) => (v.body_text().get(a..b).unwrap_or(""), None),
        }
    }
}

/// Every link a reader can follow: HTML `href`s with their visible text, then URLs written
/// in the plain text (at most 300 in all).
pub fn links(v: &MailView) -> impl Iterator<Item = (&str, Option<&str>)> {
    v.followable.iter().map(|f| f.parts(v))
}

/// Like [`links`], with each URL's host (`None` unless it is an http(s) URL with a host).
pub fn links_with_hosts(v: &MailView) -> impl Iterator<Item = (&str, Option<&str>)> {
    v.followable
        .iter()
        .map(|f| (f.parts(v).0, f.host.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_lose_user_info_port_case_and_trailing_dot() {
        assert_eq!(
            url_host("HTTPS://user:pw@Www.Example.COM.:8080/x?y#z").as_deref(),
            Some("www.example.com")
        );
        assert_eq!(
            url_host("http://[2001:db8::1]/").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(url_host("mailto:a@example.com"), None);
        assert_eq!(url_host("http:///x"), None);
        assert_eq!(url_host("javascript://x"), None);
    }

    #[test]
    fn registered_domains_know_common_second_levels() {
        assert_eq!(registered_domain("www.mail.example.co.uk"), "example.co.uk");
        assert_eq!(registered_domain("a.b.example.com"), "example.com");
        assert_eq!(registered_domain("shop.example.com.br"), "example.com.br");
        assert_eq!(registered_domain("example.de"), "example.de");
        assert_eq!(registered_domain("localhost"), "localhost");
        assert_eq!(registered_domain("192.0.2.1"), "192.0.2.1");
    }

    #[test]
    fn text_urls_are_whole_words_with_closing_punctuation_trimmed() {
        let text = "see http://a.example/x, (https://b.example/y) and\u{a0}https://c.example/z.\n\
                    xhttp://d.example/ http://e.e https://f.example/?u=http://g.example/";
        assert_eq!(
            text_urls(text).collect::<Vec<_>>(),
            [
                "http://a.example/x",
                "https://c.example/z",
                "https://f.example/?u=http://g.example/"
            ]
        );
        // The same words as splitting on whitespace finds.
        let split: Vec<&str> = text
            .split_whitespace()
            .filter(|w| w.len() > 10 && (w.starts_with("http://") || w.starts_with("https://")))
            .map(|w| w.trim_end_matches(|c: char| ".,;:)]>\"'".contains(c)))
            .collect();
        assert_eq!(text_urls(text).collect::<Vec<_>>(), split);
    }

    #[test]
    fn links_come_from_html_then_text_with_their_hosts() {
        let v = MailView::parse(
            b"Content-Type: text/html\r\n\r\n<a href=\"https://A.example/x\">shown</a> \
              <a href=\"mailto:x@y.example\">mail</a>",
        );
        assert_eq!(
            links(&v).collect::<Vec<_>>(),
            [
                ("https://A.example/x", Some("shown")),
                ("mailto:x@y.example", Some("mail"))
            ]
        );
        assert_eq!(
            links_with_hosts(&v).map(|(_, h)| h).collect::<Vec<_>>(),
            [Some("a.example"), None]
        );
        let v = MailView::parse(b"Subject: x\r\n\r\nGo to https://b.example/p now.");
        assert_eq!(
            links_with_hosts(&v).collect::<Vec<_>>(),
            [("https://b.example/p", Some("b.example"))]
        );
    }

    #[test]
    fn within_needs_a_label_boundary() {
        assert!(within("mail.example.com", "example.com"));
        assert!(within("example.com", "example.com"));
        assert!(!within("badexample.com", "example.com"));
    }
}
