//! Wording that means `syntaxerror`: the receiver could not parse an SMTP command (5.5.x, 500-504).
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "syntax error",
    "command unrecognized",
    "command not recognized",
    "unrecognized command",
    "bad command",
    "bad sequence of commands",
    "improper sequence of commands",
    "command parameter not implemented",
    "command not implemented",
    "malformed address",
    // Exim's own wording (its deliver.c, route.c and transports)
    "angle-brackets nested too deep",
    "expected word or \"<\"",
    "domain missing in source-routed address",
];
