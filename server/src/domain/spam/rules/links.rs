//! Link tests: the text a reader sees names one site while the link goes to another
//! (phishing), links hidden behind URL shorteners, links to bare IP addresses, and URLs
//! that smuggle a fake host before an `@`.

use super::super::message::MailView;
use super::super::score::RuleHit;
use super::super::urls::links;

/// Public URL shorteners: they hide the destination from reader and filter alike.
const SHORTENERS: &[&str] = &[
    "bit.ly",
    "bitly.com",
    "tinyurl.com",
    "goo.gl",
    "t.co",
    "ow.ly",
    "is.gd",
    "buff.ly",
    "rebrand.ly",
    "cutt.ly",
    "shorturl.at",
    "tiny.cc",
    "t.ly",
    "rb.gy",
    "s.id",
    "v.gd",
    "x.co",
    "lnkd.in",
    "snip.ly",
    "shorte.st",
    "adf.ly",
    "bl.ink",
    "qr.net",
    "tr.im",
    "cli.gs",
    "su.pr",
    "u.nu",
    "go2.me",
    "shrinkurl.us",
    "makeashorterlink.com",
    "snipurl.com",
];

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    let mut mismatch = false;
    let mut shortener = false;
    let mut ip = false;
    let mut userinfo = false;
    for (href, text) in links(v) {
        let Some(url) = HttpUrl::parse(href) else {
            continue;
        };
        if let Some(shown) = text.and_then(shown_host) {
            if !same_site(&shown, &url.host) {
                mismatch = true;
            }
        }
        shortener |= SHORTENERS.iter().any(|s| {
            url.host == *s
                || (url.host.ends_with(s) && url.host[..url.host.len() - s.len()].ends_with('.'))
        });
        ip |= url.is_ip();
        userinfo |= url.has_userinfo;
    }
    if mismatch {
        hits.push(RuleHit::new(
            "LINK_TEXT_MISMATCH",
            0.5,
            "A link's text shows one site but the link goes to another",
        ));
    }
    if shortener {
        hits.push(RuleHit::new(
            "URL_SHORTENER",
            0.3,
            "Links through a URL shortener",
        ));
    }
    if ip {
        hits.push(RuleHit::new(
            "URL_IP_LITERAL",
            1.9,
            "Links to a bare IP address instead of a domain name",
        ));
    }
    if userinfo {
        hits.push(RuleHit::new(
            "URL_FAKE_HOST",
            1.0,
            "A URL puts a fake host name before '@' to hide the real one",
        ));
    }
}

struct HttpUrl {
    host: String,
    has_userinfo: bool,
}

impl HttpUrl {
    fn parse(href: &str) -> Option<HttpUrl> {
        let href = href.trim();
        let lower = href.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("http://")
            .or_else(|| lower.strip_prefix("https://"))?;
        let authority = rest.split(['/', '?', '#', '\\']).next()?;
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let host = hostport
            .split(':')
            .next()?
            .trim_end_matches('.')
            .to_string();
        if host.is_empty() {
            return None;
        }
        Some(HttpUrl {
            // A user name that looks like a host is the trick; `user:pass@` alone is not.
            has_userinfo: userinfo.is_some_and(|u| u.contains('.')),
            host,
        })
    }

    fn is_ip(&self) -> bool {
        self.host.parse::<std::net::Ipv4Addr>().is_ok()
            || self.host.trim_matches(['[', ']']).parse::<std::net::Ipv6Addr>().is_ok()
            // Decimal or hex forms browsers also accept: http://3232235777/
            || (self.host.len() >= 8 && self.host.chars().all(|c| c.is_ascii_digit()))
            || (self.host.starts_with("0x") && self.host[2..].chars().all(|c| c.is_ascii_hexdigit()))
    }
}

/// The host a link's visible text claims, if the text looks like a URL or domain.
fn shown_host(text: &str) -> Option<String> {
    let t = text.trim().to_ascii_lowercase();
    if t.contains(' ') || t.contains('@') || t.len() < 4 {
        return None;
    }
    let t = t
        .strip_prefix("http://")
        .or_else(|| t.strip_prefix("https://"))
        .map(str::to_string)
        .or_else(|| t.starts_with("www.").then(|| t.clone()))?;
    let host = t.split(['/', '?', '#', ':']).next()?.trim_end_matches('.');
    (host.contains('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'))
    .then(|| host.to_string())
}

/// Same registered site, loosely: one host ends with the other's last two labels.
fn same_site(a: &str, b: &str) -> bool {
    fn base(h: &str) -> &str {
        let labels: Vec<&str> = h.rsplitn(3, '.').collect();
        if labels.len() >= 2 {
            let len = labels[0].len() + labels[1].len() + 1;
            &h[h.len() - len..]
        } else {
            h
        }
    }
    base(a) == base(b)
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    fn html(body: &str) -> Vec<String> {
        hit_names(
            &format!("Subject: x\r\nContent-Type: text/html\r\n\r\n{body}"),
            check,
        )
    }

    #[test]
    fn honest_links_hit_nothing() {
        assert!(html("<a href=\"http://www.example.com/a\">www.example.com</a>").is_empty());
        assert!(html("<a href=\"https://lists.example.com/x\">http://example.com</a>").is_empty());
        assert!(html("<a href=\"http://example.com/\">click here</a>").is_empty());
    }

    #[test]
    fn link_text_naming_another_site_is_a_mismatch() {
        assert_eq!(
            html("<a href=\"http://evil.example.net/login\">www.mybank.example.com</a>"),
            ["LINK_TEXT_MISMATCH"]
        );
    }

    #[test]
    fn shorteners_ip_literals_and_fake_hosts() {
        assert_eq!(
            html("<a href=\"http://bit.ly/abc\">x</a>"),
            ["URL_SHORTENER"]
        );
        assert_eq!(
            html("<a href=\"http://192.0.2.7/x\">x</a>"),
            ["URL_IP_LITERAL"]
        );
        assert_eq!(
            hit_names(
                "Subject: x\r\n\r\ngo to http://www.bank.example@198.51.100.2/login now",
                check
            ),
            ["URL_IP_LITERAL", "URL_FAKE_HOST"]
        );
    }
}
