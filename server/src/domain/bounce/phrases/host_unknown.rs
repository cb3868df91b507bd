//! Wording that means `hostunknown`: the recipient's domain does not exist or has no mail host (X.1.2).
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "host unknown",
    "unknown host",
    "host or domain name not found",
    "domain does not exist",
    "domain not found",
    "no such domain",
    "domain must exist",
    "domain is not reachable",
    "unknown domain",
    "name or service not known",
    "unrouteable address",
    "the account or domain may not exist",
    "mail domain mentioned in email address is unknown",
    "dns records for the destination computer could not be found",
    "invalid domain",
];
