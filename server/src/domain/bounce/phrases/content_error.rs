//! Wording that means `contenterror`: the content or its encoding was refused (X.6.x).
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "conversion required",
    "media not supported",
    "conversion failed",
    "improper use of 8-bit data",
    "message header size",
    "line too long",
];
