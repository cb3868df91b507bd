//! Wording that means `norelaying`: the receiver will not relay for the sender.
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "relaying denied",
    "relay denied",
    "relay access denied",
    "relay not permitted",
    "not configured to relay",
    "no relaying",
    "relaying not allowed",
    "unable to relay",
    "not allowed to relay",
    "we do not relay",
    "insecure mail relay",
    "isn't in my list of allowed rcpthosts",
    "not in my list of allowed rcpthosts",
    "requires authentication when attempting to send to a non-local",
    // the field's wider vocabulary (Sisimai's reason lists)
    "as a relay",
    "is not permitted to relay through this server",
    "not a gateway",
    "not an open relay",
    "not local host",
    "relaying mail to ",
    "we don't handle mail for",
    "email address is not verified",
    // au (EZweb)'s wording
    "due to the following smtp relay error",
    // From Sisimai 5's list for this reason.
    "that domain isn't in my list of allowed rcpthost",
];
