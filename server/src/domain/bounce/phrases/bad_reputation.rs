//! Wording that means `badreputation`: the sender's reputation is too poor.
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "poor reputation",
    "bad reputation",
    "low reputation",
    "sender reputation",
    "ip reputation",
    "domain reputation",
    "reputation of the sending",
    // the field's wider vocabulary (Sisimai's reason lists)
    "poor email reputation",
];
