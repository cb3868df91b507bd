//! FROM_DOMAIN_INVALID: the From address's domain cannot exist in the DNS: a single label
//! (`@detran`, `@correios`), characters no host name has (`@%detran.com.br`), or an
//! all-digit top-level label. RFC 5321 §2.3.5 wants a fully qualified domain there; no mail
//! system writes anything else, and nobody can reply. A From address in the recipient's own
//! domain is left alone: that domain is the one we receive mail for, whatever its form (and
//! forging it is DMARC's matter).

use super::super::message::MailView;
use super::super::score::RuleHit;

pub const NAME: &str = "FROM_DOMAIN_INVALID";
pub const POINTS: f64 = 3.0;

/// True for a domain that could be a public host name (LDH labels, or IDN letters).
fn plausible(domain: &str) -> bool {
    let domain = domain.trim_end_matches('.');
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()))
}

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    let Some(address) = v.from_address.as_deref() else {
        return;
    };
    let Some((_, domain)) = address.rsplit_once('@') else {
        return;
    };
    let lower = domain.trim_end_matches('>').to_lowercase();
    if v.to_addresses
        .iter()
        .any(|a| a.rsplit_once('@').is_some_and(|(_, d)| d == lower))
    {
        return;
    }
    // An address literal (`user@[192.0.2.1]`) is valid syntax, if odd.
    if domain.starts_with('[') {
        return;
    }
    if !plausible(domain) {
        hits.push(RuleHit::new(
            NAME,
            POINTS,
            format!("The sender's domain {domain:?} cannot exist in the DNS"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    #[test]
    fn impossible_sender_domains_are_hits() {
        for from in [
            "Aviso <comunicado703025@detran>",
            "x <61700@%detran.com.br>",
            "x <a@example.123>",
            "x <a@-bad.example>",
            "x <a@example..com>",
        ] {
            let raw = format!("From: {from}\r\nTo: dana@acme.test\r\n\r\nx");
            assert_eq!(hit_names(&raw, check), [NAME], "{from}");
        }
    }

    #[test]
    fn real_domains_idn_literals_and_the_recipient_s_own_address_are_fine() {
        for raw in [
            "From: a@example.org\r\nTo: b@acme.test\r\n\r\nx",
            "From: a@mail.example.co.uk.\r\nTo: b@acme.test\r\n\r\nx",
            "From: a@m\u{fc}nchen.example\r\nTo: b@acme.test\r\n\r\nx",
            "From: a@[192.0.2.1]\r\nTo: b@acme.test\r\n\r\nx",
            "From: me@intranet\r\nTo: me@intranet\r\n\r\nx",
            "From: boss@intranet\r\nTo: me@intranet\r\n\r\nx",
        ] {
            assert!(hit_names(raw, check).is_empty(), "{raw}");
        }
    }
}
