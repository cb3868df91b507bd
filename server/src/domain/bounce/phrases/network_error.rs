//! Wording that means `networkerror`: the route or connection to the receiver failed (X.4.x): DNS, loops, timeouts.
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "no route to host",
    "host is unreachable",
    "host unreachable",
    "network is unreachable",
    "host not found, try again",
    "unrouteable mail domain",
    "unable to resolve route",
    "malformed name server reply",
    "malformed or unexpected name server reply",
    "mail forwarding loop",
    "message looping",
    "routing loop",
    "too many hops",
    "hop count exceeded",
    "forwarding loop count exceeded",
    "could not connect and send the mail",
    "lost connection",
    "temporary failure in name resolution",
    "dns lookup",
    "dns error",
    "network error",
    "name service error",
    "nxdomain",
    "domain name not found",
];
