//! PHISH_SIGNALS: two or more independent deception signals in one message — say a brand
//! name on a stranger's address *and* a link to a free host, or a greeting by address *and*
//! an impossible sender domain. Each alone has an innocent reading now and then; together
//! they describe a forgery (a SpamAssassin-style meta rule). Runs after every other rule.

use super::super::score::RuleHit;

pub const NAME: &str = "PHISH_SIGNALS";
pub const POINTS: f64 = 2.5;

/// The phishing rule families (each fires on none or almost none of the 2002-03 ham).
pub const FAMILIES: &[&str] = &[
    super::brand_impersonation::NAME,
    super::brand_signoff::NAME,
    super::freemail_reply_to::NAME,
    super::freemail_reply_to_other::NAME,
    super::from_unquoted_comma::NAME,
    super::recipient_in_subject::NAME,
    super::recipient_in_url::NAME,
    super::recipient_greeting::NAME,
    super::generic_greeting::NAME,
    super::free_hosting_link::NAME,
    super::free_image_host::NAME,
    super::html_attachment::NAME,
    super::password_form::NAME,
    super::lookalike_domain::NAME,
    super::mixed_script::NAME,
    super::invisible_text::NAME,
    super::base64_plain_text::NAME,
    super::account_threat::NAME,
    super::account_threat::NAME_MANY,
    super::prize_claim::NAME,
    super::prize_claim::NAME_MANY,
    super::from_domain_invalid::NAME,
    super::from_app_host::NAME,
];

/// True when a phishing rule family fired among `hits`.
pub fn any_family(hits: &[RuleHit]) -> bool {
    hits.iter().any(|h| FAMILIES.contains(&h.name.as_str()))
}

/// The older rules that also describe a forged sender or a disguised link.
const OLDER_SIGNALS: &[&str] = &[
    "LINK_TEXT_MISMATCH",
    "FROM_MALFORMED",
    "FROM_NAME_SPOOF",
    "URL_FAKE_HOST",
    "URL_IP_LITERAL",
];

pub fn check(hits: &mut Vec<RuleHit>) {
    let mut seen: Vec<&str> = hits
        .iter()
        .map(|h| h.name.as_str())
        .filter(|n| FAMILIES.contains(n) || OLDER_SIGNALS.contains(n))
        .collect();
    seen.sort_unstable();
    seen.dedup();
    if seen.len() >= 2 {
        let what = seen.join(", ");
        hits.push(RuleHit::new(
            NAME,
            POINTS,
            format!(
                "{} independent deception signals together: {what}",
                seen.len()
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(fired: &[&str]) -> Vec<String> {
        let mut hits: Vec<RuleHit> = fired.iter().map(|n| RuleHit::new(n, 1.0, "x")).collect();
        check(&mut hits);
        hits.into_iter().map(|h| h.name).collect()
    }

    #[test]
    fn two_signals_add_the_meta_hit() {
        assert_eq!(
            names(&["BRAND_IMPERSONATION", "BAYES_50", "FREE_HOSTING_LINK"]),
            ["BRAND_IMPERSONATION", "BAYES_50", "FREE_HOSTING_LINK", NAME]
        );
    }

    #[test]
    fn one_signal_or_other_rules_do_not() {
        assert_eq!(
            names(&["BRAND_IMPERSONATION", "HTML_ONLY"]),
            ["BRAND_IMPERSONATION", "HTML_ONLY"]
        );
        assert_eq!(
            names(&["MONEY_FEW", "URGENCY_SOME"]),
            ["MONEY_FEW", "URGENCY_SOME"]
        );
    }
}
