//! Wording that means `toomanyconn`: the receiver refused more connections or recipients at once (X.4.5, X.5.3).
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "connection rate limit exceeded",
    "too many connections",
    "too many concurrent",
    "too many smtp sessions",
    "too many recipients",
    "too many errors from your ip",
    "connection limit",
    "maximum connection limit",
    "max emails per hour",
    "throttling failure",
    "trop de connexions",
    "frequency limited",
    "numerous attempts to deliver",
    // Exchange's wording
    "resolver.adr.reciplimit",
];
