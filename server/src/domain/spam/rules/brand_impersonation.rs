//! BRAND_IMPERSONATION: the From display name opens with a well-known brand ("Microsoft
//! account team", "PayPal", "Netflix") while the From domain is not one of that brand's and
//! no DKIM signature of the brand vouches for the message. Readers trust the name they see;
//! the address behind it is the one thing a forger cannot borrow once DMARC is enforced.
//!
//! The name is read as a person sees it (Cyrillic and mathematical look-alikes folded, see
//! [`homoglyph`](super::super::homoglyph)). Only the start of the name counts: "Lockergnome
//! Apple Core" is a newsletter about Apple, not Apple.

use super::super::auth_results::AuthSummary;
use super::super::homoglyph::reader_form;
use super::super::message::MailView;
use super::super::score::RuleHit;
use super::super::urls::{registered_domain, within};

pub const NAME: &str = "BRAND_IMPERSONATION";
pub const POINTS: f64 = 3.0;

/// A brand: the names it goes by (in [`reader_form`]) and the domains it mails from. Any
/// domain whose registered name (before the public suffix) is the brand's first name without
/// spaces also counts (`paypal.de`, `amazon.co.uk`).
struct Brand {
    names: &'static [&'static str],
    domains: &'static [&'static str],
}

const BRANDS: &[Brand] = &[
    Brand {
        names: &[
            "microsoft",
            "office 365",
            "office365",
            "microsoft 365",
            "outlook",
            "onedrive",
            "sharepoint",
        ],
        domains: &[
            "microsoft.com",
            "microsoftonline.com",
            "office.com",
            "office365.com",
            "outlook.com",
            "live.com",
            "hotmail.com",
            "msn.com",
            "sharepoint.com",
            "onedrive.com",
            "microsoftstore.com",
            "xbox.com",
            "skype.com",
        ],
    },
    Brand {
        names: &["apple", "icloud", "itunes", "app store"],
        domains: &["apple.com", "icloud.com", "me.com", "mac.com", "itunes.com"],
    },
    Brand {
        names: &["paypal"],
        domains: &[],
    },
    Brand {
        names: &["amazon", "amazon prime", "prime video"],
        domains: &["amazonses.com", "amazon.com"],
    },
    Brand {
        names: &["netflix"],
        domains: &[],
    },
    Brand {
        names: &["docusign"],
        domains: &["docusign.net", "docusign.com"],
    },
    Brand {
        names: &["facebook", "instagram", "whatsapp"],
        domains: &[
            "facebookmail.com",
            "facebook.com",
            "instagram.com",
            "whatsapp.com",
            "meta.com",
            "fb.com",
        ],
    },
    Brand {
        names: &["google", "gmail", "google drive", "google docs", "youtube"],
        domains: &["google.com", "googlemail.com", "youtube.com", "gmail.com"],
    },
    Brand {
        names: &["binance"],
        domains: &[],
    },
    Brand {
        names: &["coinbase"],
        domains: &[],
    },
    Brand {
        names: &["metamask"],
        domains: &["metamask.io", "consensys.net"],
    },
    Brand {
        names: &["trust wallet", "trustwallet"],
        domains: &["trustwallet.com"],
    },
    Brand {
        names: &["ledger"],
        domains: &["ledger.com"],
    },
    Brand {
        names: &["wells fargo"],
        domains: &[],
    },
    Brand {
        names: &["bank of america"],
        domains: &["bofa.com"],
    },
    Brand {
        names: &["citibank"],
        domains: &["citi.com"],
    },
    Brand {
        names: &["american express", "amex"],
        domains: &["americanexpress.com", "aexp.com"],
    },
    Brand {
        names: &["hsbc"],
        domains: &[],
    },
    Brand {
        names: &["barclays"],
        domains: &[],
    },
    Brand {
        names: &["santander"],
        domains: &[],
    },
    Brand {
        names: &["bradesco"],
        domains: &[],
    },
    Brand {
        names: &["itau"],
        domains: &["itau.com.br"],
    },
    Brand {
        names: &["caixa"],
        domains: &["caixa.gov.br"],
    },
    Brand {
        names: &["mercado pago", "mercado livre", "mercado libre"],
        domains: &[
            "mercadopago.com",
            "mercadolivre.com.br",
            "mercadolibre.com",
            "mercadolivre.com",
        ],
    },
    Brand {
        names: &["dhl"],
        domains: &[],
    },
    Brand {
        names: &["fedex"],
        domains: &[],
    },
    Brand {
        names: &["ups"],
        domains: &[],
    },
    Brand {
        names: &["usps"],
        domains: &[],
    },
    Brand {
        names: &["royal mail"],
        domains: &[],
    },
    Brand {
        names: &["correos"],
        domains: &[],
    },
    Brand {
        names: &["chronopost"],
        domains: &[],
    },
    Brand {
        names: &["dpd"],
        domains: &[],
    },
    Brand {
        names: &["norton", "norton 360", "norton antivirus"],
        domains: &["nortonlifelock.com", "gen.com"],
    },
    Brand {
        names: &["mcafee"],
        domains: &[],
    },
    Brand {
        names: &["geek squad"],
        domains: &["bestbuy.com"],
    },
    Brand {
        names: &["walmart"],
        domains: &[],
    },
    Brand {
        names: &["costco"],
        domains: &[],
    },
    Brand {
        names: &["aarp"],
        domains: &[],
    },
    Brand {
        names: &["lowes"],
        domains: &[],
    },
    Brand {
        names: &["home depot"],
        domains: &[],
    },
    Brand {
        names: &["kohls"],
        domains: &[],
    },
    Brand {
        names: &["walgreens"],
        domains: &[],
    },
    Brand {
        names: &["hulu"],
        domains: &[],
    },
    Brand {
        names: &["spotify"],
        domains: &[],
    },
    Brand {
        names: &["adobe"],
        domains: &[],
    },
    Brand {
        names: &["dropbox"],
        domains: &["dropboxmail.com"],
    },
    Brand {
        names: &["wetransfer"],
        domains: &[],
    },
    Brand {
        names: &["linkedin"],
        domains: &[],
    },
    Brand {
        names: &["yahoo"],
        domains: &["yahoogroups.com", "yahoo-inc.com"],
    },
    Brand {
        names: &["verizon"],
        domains: &[],
    },
    Brand {
        names: &["comcast", "xfinity"],
        domains: &["comcast.net", "xfinity.com"],
    },
    Brand {
        names: &["internal revenue service"],
        domains: &["irs.gov"],
    },
    Brand {
        names: &["hmrc"],
        domains: &["hmrc.gov.uk"],
    },
    Brand {
        names: &["telekom"],
        domains: &["telekom.de", "t-online.de"],
    },
    Brand {
        names: &["vodafone"],
        domains: &[],
    },
    Brand {
        names: &["sparkasse"],
        domains: &[],
    },
    Brand {
        names: &["postbank"],
        domains: &[],
    },
    Brand {
        names: &["rossmann"],
        domains: &[],
    },
    Brand {
        names: &["lidl"],
        domains: &[],
    },
    Brand {
        names: &["aldi"],
        domains: &["aldi-sued.de", "aldi-nord.de"],
    },
    Brand {
        names: &["edeka"],
        domains: &[],
    },
    Brand {
        names: &["rewe"],
        domains: &[],
    },
    Brand {
        names: &["temu"],
        domains: &[],
    },
    Brand {
        names: &["shein"],
        domains: &[],
    },
    Brand {
        names: &["ikea"],
        domains: &[],
    },
    Brand {
        names: &["mediamarkt", "media markt"],
        domains: &[],
    },
    Brand {
        names: &["decathlon"],
        domains: &[],
    },
    Brand {
        names: &["ebay"],
        domains: &[],
    },
    Brand {
        names: &["aliexpress"],
        domains: &[],
    },
    Brand {
        names: &["mcdonalds"],
        domains: &["mcdonalds.com"],
    },
    Brand {
        names: &["booking com"],
        domains: &["booking.com"],
    },
    Brand {
        names: &["airbnb"],
        domains: &[],
    },
];

/// The brand the display name opens with, if any.
fn claimed_brand(name: &str) -> Option<&'static Brand> {
    let name = reader_form(name);
    BRANDS.iter().find(|b| {
        b.names.iter().any(|n| {
            name.strip_prefix(n)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
        })
    })
}

impl Brand {
    /// True when `label` is the first name without spaces (`wellsfargo`), the label the
    /// brand's own domains carry. Compared without allocating: it runs for every link.
    fn key_is(&self, label: &str) -> bool {
        self.names[0]
            .chars()
            .filter(|c| *c != ' ')
            .eq(label.chars())
    }
}

/// True when `domain` is one the brand mails from.
fn brand_domain(brand: &Brand, domain: &str) -> bool {
    let registered = registered_domain(domain);
    registered
        .split('.')
        .next()
        .is_some_and(|l| brand.key_is(l))
        || brand.domains.iter().any(|d| within(domain, d))
}

/// The brand whose key `label` is, if `domain` is not one of that brand's own (for the
/// look-alike domain rule).
pub(crate) fn brand_not_owning(label: &str, domain: &str) -> Option<&'static str> {
    BRANDS
        .iter()
        .find(|b| b.key_is(label) && !brand_domain(b, domain))
        .map(|b| b.names[0])
}

/// Every name of every brand with the brand's number, for searching text.
pub(crate) fn brand_names() -> impl Iterator<Item = (usize, &'static str)> {
    BRANDS
        .iter()
        .enumerate()
        .flat_map(|(i, b)| b.names.iter().map(move |n| (i, *n)))
}

/// The brand numbered `brand`'s first name, if `domain` is not one of its own and none of
/// the brand's domains signed the message (DKIM); `None` when the brand vouches for it.
pub(crate) fn brand_not_vouching(
    brand: usize,
    domain: &str,
    auth: &AuthSummary,
) -> Option<&'static str> {
    let brand = BRANDS.get(brand)?;
    let domain = domain.trim_end_matches('.');
    let vouched = brand_domain(brand, domain)
        || auth
            .dkim_pass_domains
            .iter()
            .any(|d| brand_domain(brand, d));
    (!vouched).then_some(brand.names[0])
}

pub fn check(v: &MailView, auth: &AuthSummary, hits: &mut Vec<RuleHit>) {
    let (Some(name), Some(domain)) = (v.from_name.as_deref(), v.from_domain()) else {
        return;
    };
    let Some(brand) = claimed_brand(name) else {
        return;
    };
    let domain = domain.trim_end_matches('.');
    if brand_domain(brand, domain)
        || auth
            .dkim_pass_domains
            .iter()
            .any(|d| brand_domain(brand, d))
    {
        return;
    }
    hits.push(RuleHit::new(
        NAME,
        POINTS,
        format!(
            "The sender's name claims {:?} but the address is at {domain}, not one of its domains",
            brand.names[0]
        ),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(from: &str, auth: &AuthSummary) -> Vec<String> {
        let raw = format!("From: {from}\r\nSubject: x\r\n\r\nbody");
        let mut hits = Vec::new();
        check(&MailView::parse(raw.as_bytes()), auth, &mut hits);
        hits.into_iter().map(|h| h.name).collect()
    }

    #[test]
    fn a_brand_name_on_a_stranger_s_address_is_a_hit() {
        let none = AuthSummary::default();
        assert_eq!(
            names("\"PayPal Service\" <service@pay-verify.example>", &none),
            [NAME]
        );
        assert_eq!(
            names(
                "Microsoft account team <no-reply@account-secure.example>",
                &none
            ),
            [NAME]
        );
        // Cyrillic а and е in the name read as Latin.
        assert_eq!(
            names("\"Binаnсе\" <help@binance-help.example>", &none),
            [NAME]
        );
    }

    #[test]
    fn the_brand_s_own_domains_and_signatures_are_fine() {
        let none = AuthSummary::default();
        assert!(names("PayPal <service@intl.paypal.com>", &none).is_empty());
        assert!(names("PayPal <service@paypal.co.uk>", &none).is_empty());
        assert!(names("Amazon.com <auto-confirm@amazon.com>", &none).is_empty());
        assert!(names("Yahoo! Groups <notify@yahoogroups.com>", &none).is_empty());
        let signed = AuthSummary {
            dkim_pass_domains: vec!["docusign.net".into()],
            ..Default::default()
        };
        assert!(names("DocuSign <dse@esp.example>", &signed).is_empty());
    }

    #[test]
    fn a_brand_later_in_the_name_or_inside_a_word_is_not_a_claim() {
        let none = AuthSummary::default();
        assert!(names(
            "Lockergnome Apple Core <subscriptions@lockergnome.example>",
            &none
        )
        .is_empty());
        assert!(names("Upsilon Lab <lab@example.org>", &none).is_empty());
        assert!(names("Ann Example <ann@example.org>", &none).is_empty());
    }
}
