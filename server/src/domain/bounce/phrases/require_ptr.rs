//! Wording that means `requireptr`: the sending IP has no valid reverse DNS (PTR) record (X.7.25).
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "ptr record",
    "reverse dns",
    "reverse lookup",
    "rdns",
    "cannot find your hostname",
    "cannot resolve your address",
    "ip name lookup failed",
    "forward dns entry does not point to the sending ip",
    "unresolvable relay host name",
    "mismatches client ip",
    "generic dns ptr",
    "client host name",
    "hostname does not resolve",
    "does not resolve to your ip",
    // the field's wider vocabulary (Sisimai's reason lists)
    "ptr resource record",
    "ips with missing ptr",
];
