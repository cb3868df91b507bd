//! FROM_APP_HOST: the sender's address is on a free app-hosting domain (a Firebase,
//! Cloudflare Pages or Netlify project name, …). Those names are given to anyone in a
//! minute for a web app; a business mails from its own domain, so a mailbox there is a
//! throwaway.

use super::super::message::MailView;
use super::super::score::RuleHit;
use super::free_hosting_link::is_app_host;

pub const NAME: &str = "FROM_APP_HOST";
pub const POINTS: f64 = 3.0;

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    let Some(domain) = v.from_domain() else {
        return;
    };
    let domain = domain.trim_end_matches('.');
    if is_app_host(domain) {
        hits.push(RuleHit::new(
            NAME,
            POINTS,
            format!("The sender's address is on {domain}, a free app-hosting name"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    #[test]
    fn a_sender_on_an_app_host_is_a_hit() {
        let raw = "From: Casino <noreply@spin-42a1b.firebaseapp.com>\r\n\r\nx";
        assert_eq!(hit_names(raw, check), [NAME]);
    }

    #[test]
    fn own_domains_are_fine() {
        for raw in [
            "From: a@example.org\r\n\r\nx",
            "From: a@firebaseapp.example.org\r\n\r\nx",
        ] {
            assert!(hit_names(raw, check).is_empty(), "{raw}");
        }
    }
}
