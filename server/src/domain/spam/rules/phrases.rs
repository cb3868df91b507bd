//! Money, urgency and bulk-mail phrases. Each family counts *distinct* phrases in the
//! subject and visible body text, so one "free" in a newsletter is not enough.

use super::super::message::MailView;
use super::super::score::RuleHit;
use super::phrase_family::{PhraseCounts, PhraseFamily};

const MONEY: &[&str] = &[
    "million dollars",
    "millions of dollars",
    "100% free",
    "risk free",
    "risk-free",
    "no obligation",
    "cash bonus",
    "extra income",
    "extra cash",
    "make money",
    "earn money",
    "earn $",
    "earn up to",
    "financial freedom",
    "be your own boss",
    "work from home",
    "double your",
    "investment opportunity",
    "wire transfer",
    "bank account details",
    "no credit check",
    "lowest rates",
    "low rates",
    "refinance",
    "mortgage rates",
    "pre-approved",
    "preapproved",
    "consolidate your debt",
    "eliminate debt",
    "per week",
    "per month guaranteed",
    "guaranteed income",
    "get paid",
    "cash prize",
    "you have won",
    "you've won",
    "winner",
    "lottery",
    "beneficiary",
    "inheritance",
    "next of kin",
    "save up to",
    "free gift",
    "free trial",
    "free quote",
    "fast cash",
    "home based business",
    "dollars per",
    "multi-level marketing",
    "check or money order",
    "credit card",
    "as seen on",
    "lowest price",
    "unsecured",
    "commission",
    "weight loss",
    "lose weight",
    "viagra",
    "herbal",
    "cable descrambler",
    "online pharmacy",
    "prescription",
];

const URGENCY: &[&str] = &[
    "act now",
    "act fast",
    "limited time",
    "urgent",
    "expires",
    "order now",
    "call now",
    "click here",
    "click below",
    "once in a lifetime",
    "while supplies last",
    "apply now",
    "don't delete",
    "do not delete",
    "don't miss",
    "offer ends",
    "today only",
    "hurry",
    "immediately",
    "instant access",
    "respond now",
    "last chance",
    "take action now",
    "what are you waiting for",
    "before it's too late",
    "order today",
    "sign up free",
];

const BULK: &[&str] = &[
    "to be removed",
    "remove me",
    "removal instructions",
    "reply with remove",
    "this is not spam",
    "not spam",
    "bulk email",
    "you received this email because",
    "you are receiving this",
    "this message is sent in compliance",
    "opt-in list",
    "opted in",
    "opt out",
    "opt-out",
    "mailing list for removal",
    "section 301",
    "bill s.1618",
    "s. 1618",
    "to unsubscribe from this",
    "one-time mailing",
    "never be mailed again",
    "dear friend",
    "dear sir",
    "dear madam",
];

pub(super) static FAMILIES: [PhraseFamily; 3] = [
    PhraseFamily::new(
        "money or prize phrases",
        MONEY,
        &[
            (5, 2.0, "MONEY_MANY"),
            (3, 1.9, "MONEY_SOME"),
            (2, 1.0, "MONEY_FEW"),
        ],
    ),
    PhraseFamily::new(
        "urgency phrases",
        URGENCY,
        &[(3, 1.6, "URGENCY_MANY"), (2, 1.5, "URGENCY_SOME")],
    ),
    PhraseFamily::new(
        "bulk-mail disclaimers or removal instructions",
        BULK,
        &[
            (3, 1.2, "BULK_MAIL_MANY"),
            (2, 0.9, "BULK_MAIL_SOME"),
            (1, 0.4, "BULK_MAIL_ONE"),
        ],
    ),
];

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    check_counted(&super::phrase_counts(v), hits);
}

/// [`check`] with the phrase families already counted.
pub(super) fn check_counted(counts: &PhraseCounts, hits: &mut Vec<RuleHit>) {
    for family in FAMILIES.iter() {
        family.hit(counts.of(family), hits);
    }
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    #[test]
    fn ordinary_text_hits_nothing() {
        assert!(hit_names(
            "Subject: patch\r\n\r\nThe build broke after the last commit.",
            check
        )
        .is_empty());
    }

    #[test]
    fn repeated_phrase_counts_once() {
        let raw = "Subject: x\r\n\r\nclick here click here CLICK HERE";
        assert!(hit_names(raw, check).is_empty());
    }

    #[test]
    fn spam_pitch_hits_each_family() {
        let raw = "Subject: Make money fast\r\n\r\nEarn up to $5000 per week with no obligation. \
                   Act now, limited time, order now! To be removed reply with REMOVE. This is not spam.";
        // make money, earn up to, per week, no obligation: four money phrases.
        assert_eq!(
            hit_names(raw, check),
            ["MONEY_SOME", "URGENCY_MANY", "BULK_MAIL_MANY"]
        );
    }
}
