//! Wording that means `spamdetected`: the receiver's filter judged the content spam.
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "spam",
    "unsolicited",
    "bulk mail",
    "bulk email",
    "bulk e-mail",
    "message content rejected",
    "content filter rejection",
    "mail content denied",
    "rejecting banned content",
    "rejecting mail content",
    "message rejected because of unacceptable content",
    "message rejected for policy reasons",
    "recurrent pattern detection",
    "uribl",
    "surbl",
    "blacklisted url",
    "ube, id=",
    "554 5.7.0 reject, id=",
    "high probability of",
    "due to spam classification",
    "message looks like",
    // the field's wider vocabulary (Sisimai's reason lists)
    "reject bulk.advertising",
    "our system has detected that this message is ",
    // Filters named by their product, and their own verdicts (Sisimai's list, the BounceParser
    // and bounce_email test sets): "antispam checks", "dspam check", "SpamAssassin",
    // MailMarshal / Trustwave SEG's "SpamProfiler".
    "spam check",
    "spamming not allowed",
    "blocked by spamassassin",
    "spamprofiler",
    "you're using a mass mailer",
];
