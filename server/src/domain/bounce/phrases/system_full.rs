//! Wording that means `systemfull`: the receiving system is out of storage (X.3.1).
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "mail system full",
    "system full",
    "insufficient system storage",
    "not enough disk space",
    "insufficient disk space",
];
