//! FREEMAIL_REPLY_TO: replies go to a free mailbox (Gmail, Outlook.com, Yahoo, …) at another
//! domain than the sender's. A company writing from its own domain wants the answer there;
//! a scam sent from a borrowed or forged address needs the reply somewhere it can read.

use super::super::message::MailView;
use super::super::score::RuleHit;

pub const NAME: &str = "FREEMAIL_REPLY_TO";
pub const POINTS: f64 = 3.0;

/// Free mailbox providers anyone can sign up to, old and new.
pub const FREEMAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.co.uk",
    "yahoo.fr",
    "yahoo.de",
    "yahoo.co.in",
    "yahoo.com.br",
    "ymail.com",
    "rocketmail.com",
    "hotmail.com",
    "hotmail.co.uk",
    "hotmail.fr",
    "hotmail.de",
    "outlook.com",
    "live.com",
    "msn.com",
    "aol.com",
    "aim.com",
    "icloud.com",
    "me.com",
    "mail.com",
    "gmx.com",
    "gmx.net",
    "gmx.de",
    "web.de",
    "mail.ru",
    "inbox.ru",
    "list.ru",
    "bk.ru",
    "yandex.ru",
    "yandex.com",
    "ya.ru",
    "protonmail.com",
    "proton.me",
    "pm.me",
    "tutanota.com",
    "zoho.com",
    "qq.com",
    "163.com",
    "126.com",
    "sina.com",
    "rediffmail.com",
    "excite.com",
    "lycos.com",
    "netscape.net",
    "juno.com",
    "usa.net",
    "hushmail.com",
    "mail.ua",
    "ukr.net",
    "libero.it",
    "email.com",
    "consultant.com",
    "post.com",
    "naver.com",
    "daum.net",
    "hanmail.net",
    "seznam.cz",
    "wp.pl",
    "o2.pl",
    "onet.pl",
    "interia.pl",
    "terra.com.br",
    "bol.com.br",
    "uol.com.br",
];

/// True when `domain` (lower-case) is a free mailbox provider. Only the provider's own
/// domain: its subdomains are services (`groups.msn.com` is a mailing list), not mailboxes.
pub fn is_freemail(domain: &str) -> bool {
    FREEMAIL.contains(&domain)
}

fn domain_of(address: &str) -> Option<String> {
    address
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches(['>', '.']).to_ascii_lowercase())
        .filter(|d| !d.is_empty())
}

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    let (Some(reply), Some(from)) = (
        v.reply_to_address.as_deref().and_then(domain_of),
        v.from_domain(),
    ) else {
        return;
    };
    let from = from.trim_end_matches('.');
    if is_freemail(&reply) && reply != from {
        hits.push(RuleHit::new(
            NAME,
            POINTS,
            format!("Replies go to a free mailbox at {reply}, not to the sender's {from}"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    #[test]
    fn reply_to_a_free_mailbox_elsewhere_is_a_hit() {
        let raw = "From: Billing <billing@shop.example>\r\nReply-To: shop.billing.desk@gmail.com\r\n\r\nx";
        assert_eq!(hit_names(raw, check), [NAME]);
    }

    #[test]
    fn same_provider_company_reply_to_and_no_reply_to_are_fine() {
        for raw in [
            "From: Ann <ann@gmail.com>\r\nReply-To: ann.other@gmail.com\r\n\r\nx",
            "From: Ann <ann@shop.example>\r\nReply-To: sales@shop.example\r\n\r\nx",
            "From: List <list@lists.example>\r\nReply-To: list@lists.example\r\n\r\nx",
            "From: Ann <ann@hotmail.com>\r\nReply-To: group@groups.msn.com\r\n\r\nx",
            "From: Ann <ann@shop.example>\r\n\r\nx",
        ] {
            assert!(hit_names(raw, check).is_empty(), "{raw}");
        }
    }
}
