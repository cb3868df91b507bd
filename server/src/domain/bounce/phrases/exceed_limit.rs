//! Wording that means `exceedlimit`: a per-mailbox size or count limit was exceeded (X.2.3).
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "message length exceeds administrative limit",
    "exceeds per-mailbox",
    // the field's wider vocabulary (Sisimai's reason lists)
    "message header size exceeds limit",
    // qmail and qmail-ldap's own wording (qmail-remote.c, qmail-local.c, the LDAP patch)
    "the maximum size the user accepts",
];
