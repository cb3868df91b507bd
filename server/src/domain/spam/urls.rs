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

/// `http(s)://` URLs written in plain text.
pub fn text_urls(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace()
        .filter(|w| w.len() > 10 && (w.starts_with("http://") || w.starts_with("https://")))
        .map(|w| w.trim_end_matches(|c: char| ".,;:)]>\"'".contains(c)))
}

/// Every link a reader can follow: HTML `href`s with their visible text, then URLs written
/// in the plain text (at most 300 in all).
pub fn links(v: &MailView) -> impl Iterator<Item = (&str, Option<&str>)> {
    v.links
        .iter()
        .map(|l| (l.href.as_str(), Some(l.text.as_str())))
        .chain(text_urls(v.body_text()).map(|u| (u, None)))
        .take(300)
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
    fn within_needs_a_label_boundary() {
        assert!(within("mail.example.com", "example.com"));
        assert!(within("example.com", "example.com"));
        assert!(!within("badexample.com", "example.com"));
    }
}
