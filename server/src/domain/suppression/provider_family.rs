//! Mailbox provider families: which big mailbox provider a recipient domain belongs to
//! (issue 18). Each family filters with its own reputation for the sender, so the guardrail
//! counts complaints per family ([`super::provider_guardrail`]).
//!
//! Known by the recipient's domain only (no DNS): the providers' consumer domains, and the
//! brands they register under many country TLDs (`hotmail.co.uk`, `yahoo.fr`, `gmx.at`). A
//! company domain hosted by Google or Microsoft counts as "other": only its MX would tell.

use serde::{Deserialize, Serialize};

/// A mailbox provider family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderFamily {
    Gmail,
    Microsoft,
    Yahoo,
    Apple,
    /// GMX and Web.de (one company, one filter).
    GmxWebde,
    Other,
}

/// Domains that belong to a family as they are.
const EXACT: &[(&str, ProviderFamily)] = &[
    ("gmail.com", ProviderFamily::Gmail),
    ("googlemail.com", ProviderFamily::Gmail),
    ("msn.com", ProviderFamily::Microsoft),
    ("passport.com", ProviderFamily::Microsoft),
    ("ymail.com", ProviderFamily::Yahoo),
    ("rocketmail.com", ProviderFamily::Yahoo),
    // AOL's mail runs on Yahoo's platform.
    ("aol.com", ProviderFamily::Yahoo),
    ("aim.com", ProviderFamily::Yahoo),
    ("icloud.com", ProviderFamily::Apple),
    ("me.com", ProviderFamily::Apple),
    ("mac.com", ProviderFamily::Apple),
    ("web.de", ProviderFamily::GmxWebde),
];

/// Brands registered under many country domains: `<brand>.<tld>` or `<brand>.<sld>.<tld>`
/// with short labels after the brand (`hotmail.co.uk`, `yahoo.com.br`).
const BRANDS: &[(&str, ProviderFamily)] = &[
    ("hotmail", ProviderFamily::Microsoft),
    ("outlook", ProviderFamily::Microsoft),
    ("live", ProviderFamily::Microsoft),
    ("windowslive", ProviderFamily::Microsoft),
    ("yahoo", ProviderFamily::Yahoo),
    ("gmx", ProviderFamily::GmxWebde),
];

impl ProviderFamily {
    /// Every family, in the order they are shown.
    pub const ALL: [ProviderFamily; 6] = [
        ProviderFamily::Gmail,
        ProviderFamily::Microsoft,
        ProviderFamily::Yahoo,
        ProviderFamily::Apple,
        ProviderFamily::GmxWebde,
        ProviderFamily::Other,
    ];

    /// The family of a recipient domain (any case, a trailing dot ignored).
    pub fn of_domain(domain: &str) -> ProviderFamily {
        let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        if let Some((_, f)) = EXACT.iter().find(|(e, _)| *e == d) {
            return *f;
        }
        let mut labels = d.split('.');
        let (Some(brand), rest) = (labels.next(), labels.collect::<Vec<_>>()) else {
            return ProviderFamily::Other;
        };
        let country_like = !rest.is_empty()
            && rest.len() <= 2
            && rest.iter().all(|l| !l.is_empty() && l.len() <= 3);
        match BRANDS.iter().find(|(b, _)| *b == brand) {
            Some((_, f)) if country_like => *f,
            _ => ProviderFamily::Other,
        }
    }

    /// The family of an address's domain.
    pub fn of_address(address: &str) -> ProviderFamily {
        address
            .rsplit_once('@')
            .map_or(ProviderFamily::Other, |(_, d)| Self::of_domain(d))
    }

    /// The name stored and used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderFamily::Gmail => "gmail",
            ProviderFamily::Microsoft => "microsoft",
            ProviderFamily::Yahoo => "yahoo",
            ProviderFamily::Apple => "apple",
            ProviderFamily::GmxWebde => "gmx_webde",
            ProviderFamily::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<ProviderFamily> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// What the admin reads.
    pub fn label(self) -> &'static str {
        match self {
            ProviderFamily::Gmail => "Gmail",
            ProviderFamily::Microsoft => "Microsoft (Outlook, Hotmail, Live)",
            ProviderFamily::Yahoo => "Yahoo (and AOL)",
            ProviderFamily::Apple => "Apple (iCloud)",
            ProviderFamily::GmxWebde => "GMX / Web.de",
            ProviderFamily::Other => "Others",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ProviderFamily::{self, *};

    const TABLE: &[(&str, ProviderFamily)] = &[
        ("gmail.com", Gmail),
        ("GoogleMail.com", Gmail),
        ("gmail.com.", Gmail),
        ("outlook.com", Microsoft),
        ("hotmail.co.uk", Microsoft),
        ("hotmail.fr", Microsoft),
        ("live.de", Microsoft),
        ("msn.com", Microsoft),
        ("yahoo.com", Yahoo),
        ("yahoo.com.br", Yahoo),
        ("ymail.com", Yahoo),
        ("aol.com", Yahoo),
        ("icloud.com", Apple),
        ("me.com", Apple),
        ("mac.com", Apple),
        ("gmx.de", GmxWebde),
        ("gmx.net", GmxWebde),
        ("gmx.at", GmxWebde),
        ("web.de", GmxWebde),
        // look-alikes and company domains are "other"
        ("gmail.example.com", Other),
        ("notgmail.com", Other),
        ("outlook.acme.example", Other),
        ("live.example", Other),
        ("yahoo", Other),
        ("mail.web.de.example", Other),
        ("example.com", Other),
        ("", Other),
        ("....", Other),
    ];

    #[test]
    fn each_domain_belongs_to_the_family_the_table_says() {
        for &(domain, family) in TABLE {
            assert_eq!(ProviderFamily::of_domain(domain), family, "{domain:?}");
        }
    }

    #[test]
    fn an_address_is_read_by_its_domain() {
        assert_eq!(ProviderFamily::of_address("Ann@GMX.de"), GmxWebde);
        assert_eq!(ProviderFamily::of_address("no-at-sign"), Other);
    }

    #[test]
    fn families_round_trip_through_their_names() {
        for f in ProviderFamily::ALL {
            assert_eq!(ProviderFamily::parse(f.as_str()), Some(f));
        }
        assert_eq!(ProviderFamily::parse("hotmail"), None);
    }
}
