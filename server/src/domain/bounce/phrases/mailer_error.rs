//! Wording that means `mailererror`: the local delivery agent (a pipe, procmail …) failed.
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "mailer error",
    "x-unix;",
    "procmail",
    "command died with status",
    "command output:",
    "exit code",
    "pipe to |",
    "permission denied",
    // From Sisimai's reason list (the field's reference for this wording).
    "command failed: ",
    "bin/maildrop",
    // the field's wider vocabulary (Sisimai's reason lists)
    " || exit ",
    "pipe to |/",
];
