//! Wording that means `notcompliantrfc`: the message does not follow RFC 5322.
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "not rfc 5322 compliant",
    "not rfc5322 compliant",
    "rfcmessagenoncompliant",
    "duplicate header",
    "multiple from",
    "multiple subject",
    "multiple date",
    "multiple message-id",
    "multiple to ",
    "multiple sender",
    "multiple addresses in from",
    "messages with multiple addresses",
];
