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
    // the field's wider vocabulary (Sisimai's reason lists)
    "executable files are not allowed in compressed files",
    "sorry, you don't authenticate or the domain isn't in my list of allowed rcpthosts",
    "authentification invalide",
    // OpenSMTPD's and Exchange's wording
    "could not retrieve credentials",
    "resolver.rst.authrequired",
    // Exchange 2000/2003's MSEXCH codes
    "(000b0981)",
];
