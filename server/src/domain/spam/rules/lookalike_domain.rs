//! LOOKALIKE_DOMAIN: the sender's, the Reply-To or a link's domain imitates a well-known
//! brand's: digits or letter pairs standing in for letters (`paypa1`, `rnicrosoft`), the
//! brand joined to another word (`paypal-secure`, `coinbase-wallet`), or an international
//! name whose letters are Cyrillic or Greek look-alikes of Latin ones (`аррӏе`, IDN homograph,
//! UTS #39). A brand's own domains are not look-alikes of it.

use super::super::homoglyph::{latin_lookalike, script, Script};
use super::super::message::MailView;
use super::super::score::RuleHit;
use super::super::urls::{links_with_hosts, registered_domain};
use super::brand_impersonation::brand_not_owning;

pub const NAME: &str = "LOOKALIKE_DOMAIN";
pub const POINTS: f64 = 3.0;

/// The label as it reads: common digit and letter-pair substitutions undone.
fn unmasked(label: &str) -> String {
    let swapped: String = label
        .chars()
        .map(|c| match c {
            '0' => 'o',
            '1' => 'l',
            '3' => 'e',
            '4' => 'a',
            '5' => 's',
            '7' => 't',
            c => c,
        })
        .collect();
    swapped.replace("rn", "m").replace("vv", "w")
}

/// Why `domain` looks like a brand it is not, if it does.
fn imitation(domain: &str) -> Option<String> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    for label in domain.split('.') {
        if let Some(puny) = label.strip_prefix("xn--") {
            let (unicode, _) = idna::domain_to_unicode(&format!("xn--{puny}"));
            let lookalikes = unicode.chars().filter(|c| {
                matches!(script(*c), Script::Cyrillic | Script::Greek)
                    && latin_lookalike(*c).is_some()
            });
            let foreign = unicode
                .chars()
                .filter(|c| matches!(script(*c), Script::Cyrillic | Script::Greek))
                .count();
            let latin = unicode.chars().any(|c| script(c) == Script::Latin);
            let n = lookalikes.count();
            // Mixed with Latin, or every letter a Latin look-alike: a homograph.
            if n > 0 && (latin || n == foreign) {
                return Some(format!(
                    "{unicode} spells Latin letters with Cyrillic or Greek ones"
                ));
            }
        }
    }
    let registered = registered_domain(&domain);
    let label = registered.split('.').next().unwrap_or("");
    let plain = unmasked(label);
    if plain != label {
        if let Some(brand) = brand_not_owning(&plain, &domain) {
            return Some(format!("{registered} imitates {brand:?}"));
        }
    }
    // A brand joined to other words; a short brand name (`ups`, `dhl`) only in front, so
    // `pick-ups` stays a pick-up.
    label
        .split('-')
        .enumerate()
        .filter(|(i, part)| part.len() >= 5 || (*i == 0 && part.len() >= 3))
        .map(|(_, part)| part)
        .take(8)
        .find_map(|part| {
            (part != label)
                .then(|| brand_not_owning(&unmasked(part), &domain))
                .flatten()
        })
        .map(|brand| format!("{registered} borrows the name {brand:?}"))
}

fn domain_of(address: &str) -> Option<&str> {
    address
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>'))
}

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    let header_domains = [v.from_address.as_deref(), v.reply_to_address.as_deref()]
        .into_iter()
        .flatten()
        .filter_map(domain_of)
        .map(str::to_string);
    let link_domains = links_with_hosts(v)
        .filter_map(|(_, host)| host.map(str::to_string))
        .take(50);
    if let Some(why) = header_domains
        .chain(link_domains)
        .find_map(|d| imitation(&d))
    {
        hits.push(RuleHit::new(NAME, POINTS, why));
    }
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    #[test]
    fn look_alike_sender_and_link_domains_are_hits() {
        for raw in [
            "From: PayPal <service@paypa1.com>\r\n\r\nx",
            "From: x@example.org\r\nReply-To: help@rnicrosoft.com\r\n\r\nx",
            "From: x@example.org\r\n\r\nlog in at https://www.paypal-secure-login.com/x today",
            "From: x@example.org\r\n\r\nlog in at https://coinbase-wallet.co.uk/x today",
            // "аррӏе.com": every letter Cyrillic.
            "From: x@example.org\r\n\r\nopen https://xn--80ak6aa92e.com/ today",
        ] {
            assert_eq!(hit_names(raw, check), [NAME], "{raw}");
        }
    }

    #[test]
    fn brands_own_and_unrelated_domains_are_fine() {
        for raw in [
            "From: PayPal <service@paypal.com>\r\n\r\nhttps://www.paypal.com/signin now",
            "From: x@example.org\r\n\r\nhttps://aldi-sued.de/angebote and https://www.apple.com/ and https://applelinks.example/",
            "From: x@m\u{fc}nchen.example\r\n\r\nhttps://xn--mnchen-3ya.de/ is fine",
            "From: x@example.org\r\n\r\nhttps://xn--d1acpjx3f.xn--p1ai/ (Cyrillic words)",
        ] {
            assert!(hit_names(raw, check).is_empty(), "{raw}");
        }
    }
}
