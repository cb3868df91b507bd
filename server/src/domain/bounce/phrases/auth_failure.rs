//! Wording that means `authfailure`: SPF, DKIM or DMARC failed (X.7.23, X.7.26).
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "dmarc policy",
    "dmarc validation",
    "failed dmarc",
    "dmarc check",
    "due to dmarc",
    "spf check: fail",
    "spf fail",
    "spf validation",
    "sender policy framework",
    "not designated as permitted sender",
    "dkim signature",
    "dkim check",
    "dkim validation",
    "not pass authentication checks",
    "does not pass authentication",
    "unauthenticated email",
    "fails to pass authentication",
    "authentication checks failed",
    "is not allowed to send from",
    "//spf.pobox.com",
    "required authentication level",
    "does not have authentication information",
    // the field's wider vocabulary (Sisimai's reason lists)
    "bad spf records for",
    "please inspect your spf settings",
    "spf (sender policy framework) domain authentication fail",
];
