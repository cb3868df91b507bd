//! FREE_HOSTING_LINK: a link goes to a place where anyone can publish a page in a minute
//! without saying who they are: public cloud-storage buckets, app and function hosts, form
//! builders, IPFS gateways and open redirectors. A business links to its own site; a
//! phishing kit lives where it costs nothing and leaves no trace. (Shorteners have their own
//! rule, `URL_SHORTENER`.)
//!
//! Personal-homepage hosts and dynamic DNS are deliberately not listed: their 2002
//! counterparts (GeoCities, Tripod, Angelfire, DynDNS) fired on 14 of 2,905 ham messages —
//! people link to their own pages there.

use super::super::message::MailView;
use super::super::score::RuleHit;
use super::super::urls::{links_with_hosts, within};

pub const NAME: &str = "FREE_HOSTING_LINK";
pub const POINTS: f64 = 3.0;

/// Hosts (and their subdomains) that serve anyone's pages.
const HOSTS: &[&str] = &[
    // Public buckets.
    "storage.googleapis.com",
    "firebasestorage.googleapis.com",
    "storage.cloud.google.com",
    "s3.amazonaws.com",
    "blob.core.windows.net",
    "web.core.windows.net",
    "digitaloceanspaces.com",
    "r2.dev",
    "backblazeb2.com",
    // Form builders.
    "forms.gle",
    "forms.office.com",
    "jotform.com",
    "typeform.com",
    "formspree.io",
    "123formbuilder.com",
    "wufoo.com",
    "forms.app",
    // IPFS gateways.
    "ipfs.io",
    "dweb.link",
    "cloudflare-ipfs.com",
    "ipfs.fleek.co",
    "nftstorage.link",
    "w3s.link",
    "infura-ipfs.io",
    "pinata.cloud",
];

/// App and function hosts that give anyone a name for a web app from a free account.
const APP_HOSTS: &[&str] = &[
    "web.app",
    "firebaseapp.com",
    "pages.dev",
    "workers.dev",
    "netlify.app",
    "vercel.app",
    "herokuapp.com",
    "glitch.me",
    "repl.co",
    "replit.app",
    "appspot.com",
    "run.app",
    "cloudfunctions.net",
    "azurewebsites.net",
    "ngrok.io",
    "ngrok-free.app",
    "trycloudflare.com",
    "onrender.com",
    "fly.dev",
    "surge.sh",
];

/// True when `host` is a name on a free app host (also read by `FROM_APP_HOST`).
pub fn is_app_host(host: &str) -> bool {
    APP_HOSTS.iter().any(|h| host != *h && within(host, h))
}

/// Paths on big sites that forward to any URL given to them, or host anyone's form.
const PATHS: &[(&str, &str)] = &[
    ("google.com", "/url"),
    ("google.com", "/amp/s/"),
    ("docs.google.com", "/forms/"),
    ("bing.com", "/ck/a"),
    ("l.facebook.com", "/l.php"),
    ("l.instagram.com", "/"),
    ("youtube.com", "/redirect"),
];

/// True when `href`, whose host is `host` (`urls::url_host`), is on a free hosting service.
fn is_free_hosting(href: &str, host: &str) -> bool {
    if HOSTS.iter().any(|h| within(host, h))
        || is_app_host(host)
        || host.split('.').any(|l| l == "ipfs")
        || (within(host, "amazonaws.com") && host.split('.').any(|l| l.starts_with("s3")))
    {
        return true;
    }
    let lower = href.to_ascii_lowercase();
    let path = lower
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|p| &rest[p..]))
        .unwrap_or("");
    path.starts_with("/ipfs/")
        || PATHS
            .iter()
            .any(|(h, p)| within(host, h) && path.starts_with(p))
}

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    if let Some(host) =
        links_with_hosts(v).find_map(|(href, host)| host.filter(|host| is_free_hosting(href, host)))
    {
        hits.push(RuleHit::new(
            NAME,
            POINTS,
            format!("Links to {host}, where anyone can publish a page, form or file anonymously"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    fn html(href: &str) -> Vec<String> {
        hit_names(
            &format!("Content-Type: text/html\r\n\r\n<a href=\"{href}\">Open</a>"),
            check,
        )
    }

    #[test]
    fn buckets_site_builders_forms_ipfs_and_redirectors_are_hits() {
        for href in [
            "https://storage.googleapis.com/bucket-x/index.html",
            "https://my-login.web.app/",
            "https://bucket.s3.us-east-1.amazonaws.com/page.html",
            "https://docs.google.com/forms/d/e/abc/viewform",
            "https://forms.office.com/r/abc",
            "https://ipfs.io/ipfs/bafybeigdyr/index.html",
            "https://bafybeigdyr.ipfs.dweb.link/",
            "https://gateway.example.net/ipfs/bafybeigdyr",
            "https://www.google.com/url?q=https://evil.example/",
            "https://login-help.pages.dev/",
        ] {
            assert_eq!(html(href), [NAME], "{href}");
        }
    }

    #[test]
    fn ordinary_sites_and_look_alike_paths_are_fine() {
        for href in [
            "https://www.example.com/account",
            "https://docs.google.com/document/d/abc",
            "https://www.google.com/search?q=x",
            "https://fonts.googleapis.com/css?family=Roboto",
            "https://notgithub.io.example.com/",
            "http://www.geocities.example/~me/",
        ] {
            assert!(html(href).is_empty(), "{href}");
        }
    }
}
