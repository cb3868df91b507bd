//! ACCOUNT_THREAT: the message says something is wrong with the reader's account, mailbox,
//! password, payment or parcel and must be fixed now ("your account has been suspended",
//! "mailbox quota", "verify your identity", "within 24 hours"). Credential phishing has told
//! the same story since the first AOL scams; a real notice rarely stacks several of these.
//! Distinct phrases are counted in the Subject and the visible text, in the languages seen in
//! such mail (English, German, French, Spanish, Portuguese).

use super::super::message::MailView;
use super::super::score::RuleHit;
use super::phrase_family::{PhraseCounts, PhraseFamily};

pub const NAME: &str = "ACCOUNT_THREAT";
pub const POINTS: f64 = 2.0;
pub const NAME_MANY: &str = "ACCOUNT_THREAT_MANY";
pub const POINTS_MANY: f64 = 3.0;

const PHRASES: &[&str] = &[
    // The account is in danger.
    "account has been suspended",
    "account will be suspended",
    "account has been locked",
    "account will be locked",
    "account has been limited",
    "account has been disabled",
    "account will be closed",
    "account will be deactivated",
    "account has been blocked",
    "account is on hold",
    "temporarily suspended",
    "temporarily locked",
    "unusual sign-in",
    "unusual signin",
    "unusual activity",
    "suspicious activity",
    "suspicious login",
    "unauthorized access",
    "sign-in attempt",
    "login attempt",
    "someone tried to log",
    "wallet is about to be",
    // Do something now.
    "verify your account",
    "verify your identity",
    "confirm your identity",
    "confirm your account",
    "validate your account",
    "update your account",
    "update your payment",
    "update your billing",
    "update your information",
    "reactivate your account",
    "restore your account",
    "unlock your account",
    "action required",
    "immediate action",
    "within 24 hours",
    "within 48 hours",
    "failure to comply",
    "final notice",
    "final warning",
    // The mailbox or password.
    "mailbox is full",
    "mailbox quota",
    "mailbox storage",
    "quota limit",
    "storage is full",
    "storage limit",
    "email storage",
    "password expires",
    "password will expire",
    "password has expired",
    "keep your current password",
    "keep same password",
    "pending messages",
    "undelivered messages",
    "incoming messages",
    // Money, parcels and documents.
    "payment failed",
    "payment was declined",
    "payment declined",
    "unpaid invoice",
    "overdue invoice",
    "outstanding invoice",
    "billing problem",
    "membership has expired",
    "subscription has expired",
    "subscription expired",
    "delivery failed",
    "unable to deliver your",
    "could not be delivered",
    "delivery attempt",
    "shipment on hold",
    "customs fee",
    "shared a document",
    "shared a file",
    "view document",
    "review document",
    // Other languages.
    "ihr konto",
    "konto wurde gesperrt",
    "vorübergehend gesperrt",
    "bestätigen sie ihre",
    "verifizieren sie",
    "votre compte",
    "compte a été suspendu",
    "compte sera suspendu",
    "vérifier votre",
    "su cuenta",
    "cuenta ha sido suspendida",
    "verifique su",
    "sua conta",
    "conta foi bloqueada",
    "acesso suspeito",
    "bloqueio",
    "atualize seus dados",
    "confirme seus dados",
];

pub(super) static FAMILY: PhraseFamily = PhraseFamily::new(
    "phrases about a threatened account, mailbox, password or payment",
    PHRASES,
    &[(3, POINTS_MANY, NAME_MANY), (2, POINTS, NAME)],
);

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    check_counted(&super::phrase_counts(v), hits);
}

/// [`check`] with the phrase families already counted.
pub(super) fn check_counted(counts: &PhraseCounts, hits: &mut Vec<RuleHit>) {
    FAMILY.hit(counts.of(&FAMILY), hits);
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    #[test]
    fn the_classic_story_is_a_hit() {
        let raw = "Subject: Action required\r\n\r\nYour mailbox is full. Verify your account within 24 hours or it will be closed.";
        assert_eq!(hit_names(raw, check), [NAME_MANY]);
        let two =
            "Subject: Notice\r\n\r\nWe noticed unusual activity. Please confirm your identity.";
        assert_eq!(hit_names(two, check), [NAME]);
    }

    #[test]
    fn one_phrase_or_an_ordinary_note_is_fine() {
        let raw = "Subject: Re: build\r\n\r\nThe login attempt failed because the server was down.";
        assert!(hit_names(raw, check).is_empty());
        let raw = "Subject: lunch\r\n\r\nShall we meet at noon?";
        assert!(hit_names(raw, check).is_empty());
    }
}
