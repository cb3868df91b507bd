//! Wording that means `failedstarttls`: STARTTLS was required but could not be negotiated.
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "starttls",
    "tls required",
    "tls handshake",
    "must issue a starttls",
    "encryption required",
];
