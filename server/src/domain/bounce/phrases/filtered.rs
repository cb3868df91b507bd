//! Wording that means `filtered`: the recipient's own filter refused the sender (X.2.0 with a filter's words).
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "user reject",
    "refuse to receive mail",
    "only accepting mail from specific email addresses",
    "refused due to recipient preferences",
    "has restricted sms e-mail",
    "is not accepting any mail",
    "resolver.rst.notauthorized",
    "this account is protected by",
    "you have been blocked by the recipient",
    "due to extended inactivity new mail is not currently being accepted",
    "bounced address",
    // A bare "Message Filtered" (with X.2.0) is the recipient's filter; with the word spam
    // (below, a pair) it is a spam verdict.
    "message filtered",
    // the field's wider vocabulary (Sisimai's reason lists)
    "message rejected due to user rules",
    "not found recipient account",
    "user refuses to receive this mail",
    // vpopmail's wording
    "user does not exist, but will deliver to ",
    // Domino's wording
    "cannot route mail to user",
    // Exchange 2000/2003's MSEXCH codes
    "(000c0595)",
    // Biglobe's wording
    "mail delivery failed... user unknown",
];
