//! RCPT_IN_URL_PATH: a link carries the recipient's own address in its path or fragment, or
//! base64-encoded anywhere: the page behind it greets the victim with a login form already
//! filled in. Newsletters put the address in a *query* parameter of their own
//! unsubscribe or log-in links (`?email=…`), which is left alone.

use super::super::message::MailView;
use super::super::score::RuleHit;
use super::super::urls::links;
use base64::Engine;
use memchr::memmem::Finder;

pub const NAME: &str = "RCPT_IN_URL_PATH";
pub const POINTS: f64 = 3.0;

/// Forms the address takes in a URL besides itself: percent-encoded `@`, and base64
/// (standard and URL-safe alphabets; the first 4 characters of every 3 bytes are stable
/// whatever follows, so the encoding of the address is looked for without its tail).
fn encodings(address: &str) -> Vec<String> {
    let mut out = vec![address.to_string(), address.replace('@', "%40")];
    let whole = address.len() / 3 * 3;
    if whole >= 6 {
        let b = &address.as_bytes()[..whole];
        out.push(base64::engine::general_purpose::STANDARD_NO_PAD.encode(b));
        out.push(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b));
    }
    out
}

/// The part of `url` before the query, plus its fragment: where an address is no
/// newsletter parameter.
fn path_and_fragment(url: &str) -> (&str, &str) {
    let (before_fragment, fragment) = url.split_once('#').unwrap_or((url, ""));
    let path = before_fragment.split('?').next().unwrap_or("");
    (path, fragment)
}

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    if v.followable.is_empty() {
        return;
    }
    // Each form's searcher is built once per message, not once per link and form.
    let wanted: Vec<(Finder, Vec<(bool, Finder)>)> = v
        .to_addresses
        .iter()
        .filter(|a| a.len() >= 5)
        .take(5)
        .map(|a| {
            let forms = encodings(a)
                .into_iter()
                .skip(1)
                .map(|f| (f.contains('%'), Finder::new(f.as_bytes()).into_owned()))
                .collect();
            (Finder::new(a.as_bytes()).into_owned(), forms)
        })
        .collect();
    if wanted.is_empty() {
        return;
    }
    let found = links(v).any(|(href, _)| {
        let lower = href.to_lowercase();
        let (path, fragment) = path_and_fragment(&lower);
        // The scheme and host are skipped: `http://user@host` is another rule's matter.
        let path = path.splitn(4, '/').nth(3).unwrap_or("");
        let (path, fragment) = (path.as_bytes(), fragment.as_bytes());
        wanted.iter().any(|(address, forms)| {
            address.find(path).is_some()
                || address.find(fragment).is_some()
                || forms.iter().any(|(percent, f)| {
                    if *percent {
                        f.find(path).is_some() || f.find(fragment).is_some()
                    } else {
                        // base64 is case-sensitive: look in the URL as written.
                        f.find(href.as_bytes()).is_some()
                    }
                })
        })
    });
    if found {
        hits.push(RuleHit::new(
            NAME,
            POINTS,
            "A link carries the recipient's own address in its path (a pre-filled login page)",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    fn html(to: &str, href: &str) -> Vec<String> {
        hit_names(
            &format!("To: {to}\r\nContent-Type: text/html\r\n\r\n<a href=\"{href}\">Sign in</a>"),
            check,
        )
    }

    #[test]
    fn address_in_path_fragment_or_base64_is_a_hit() {
        let to = "bob@example.org";
        assert_eq!(
            html(to, "https://login.example.net/verify/bob@example.org/"),
            [NAME]
        );
        assert_eq!(
            html(to, "https://login.example.net/o/#bob@example.org"),
            [NAME]
        );
        assert_eq!(
            html(to, "https://login.example.net/o/#Ym9iQGV4YW1wbGUub3Jn"),
            [NAME]
        );
        assert_eq!(
            html(to, "https://login.example.net/Ym9iQGV4YW1wbGUub3Jn/x"),
            [NAME]
        );
        assert_eq!(
            html(to, "https://login.example.net/bob%40example.org"),
            [NAME]
        );
        let plain = "To: bob@example.org\r\n\r\nsee https://x.example.net/l/bob@example.org now";
        assert_eq!(hit_names(plain, check), [NAME]);
    }

    #[test]
    fn a_newsletter_query_parameter_or_another_address_is_fine() {
        let to = "bob@example.org";
        assert!(html(
            to,
            "http://news.example.com/login?email=bob@example.org&brand=x"
        )
        .is_empty());
        assert!(html(to, "https://login.example.net/verify/ann@example.org/").is_empty());
        assert!(html(to, "mailto:bob@example.org").is_empty());
        assert!(html("undisclosed-recipients:;", "https://x.example.net/a").is_empty());
    }
}
