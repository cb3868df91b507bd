//! Wording that means `systemfull`: the receiving system is out of storage (X.3.1).
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "mail system full",
    "system full",
    "insufficient system storage",
    "not enough disk space",
    "insufficient disk space",
    // the field's wider vocabulary (Sisimai's reason lists)
    "requested mail action aborted: exceeded storage allocation",
    // qmail and qmail-ldap's own wording (qmail-remote.c, qmail-local.c, the LDAP patch)
    "mailbox unavailable (not enough free space)",
    "no space left to finish writing",
];
