//! Wording that means `policyviolation`: the message broke the receiver's policy.
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "policy violation",
    "denied by policy",
    "for policy reasons",
    "due to local policy",
    "rejected due to security policies",
    "organization policy",
    "organizational settings",
    "an illegal attachment",
    "members-only list",
    "closed mailing list",
    "not subscribed to this group",
    "header error",
    "header are not accepted",
    "protocol violation",
    "message given low priority",
    "mass mailer",
    "not accepting mail with ",
    "content presents a potential",
    "images or other attachments",
    "without solving a captcha",
    "executable",
];
