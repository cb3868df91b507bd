//! Wording that means `speeding`: the receiver is rate-limiting the sender.
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "rate limit",
    "rate-limit",
    "ratelimit",
    "sending rate",
    "too fast",
    "temporarily rate limited",
    "unusual rate of",
    "too many recipients this hour",
    "sent to too many recipients",
    // the field's wider vocabulary (Sisimai's reason lists)
    "please try again slower",
    "receiving mail at a rate that prevents additional messages",
];
