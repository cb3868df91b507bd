//! Wording that means `hasmoved`: the mailbox has moved and left no forwarding address (X.1.6).
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "address has moved",
    "mailbox has moved",
    "no forwarding address",
    "user has moved",
    "is no longer valid.  the new address is",
    "has been replaced by",
];
