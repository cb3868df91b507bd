//! Wording that means `systemerror`: the receiving system failed or is misconfigured (X.3.x, X.5.x).
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "local configuration error",
    "local error in processing",
    "mail system configuration error",
    "server configuration error",
    "system config error",
    "temporary local problem",
    "internal error",
    "internal server error",
    "queue file write error",
    "service currently unavailable",
    "service unavailable",
    "remote server is misconfigured",
    "interrupted system call",
    "timeout waiting for input",
    "aliasing/forwarding loop broken",
    "loops back to myself",
    "it would create a mail loop",
    "loop was found in the mail exchanger",
    "can't create user output file",
    "encountered an error while being processed",
    "recipient deferred because there is no mdb",
    "could not load drd",
    "system error",
    "transaction failed",
    "upstream error",
    // From Sisimai's reason list (the field's reference for this wording).
    "could not load drd for domain",
    "internal error reading data",
    "it encountered an error while being processed",
];
