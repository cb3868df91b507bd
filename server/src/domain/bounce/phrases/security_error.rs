//! Wording that means `securityerror`: a security check failed (X.7.x): authentication, encryption.
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "authentication required",
    "authentication failure",
    "authentication credentials invalid",
    "authentication turned on in your email client",
    "unauthenticated senders not allowed",
    "verification failure",
    "not authorized to send mail",
    "not authorized to perform ses:",
    "account not subscribed to ses",
    "is a dead domain",
    "authentification requise",
    "smtp authentication",
];
