//! Wording that means `mesgtoobig`: the message is larger than the receiver accepts (X.3.4).
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "message too big",
    "message too large",
    "message is too big",
    "message is too large",
    "message size exceeds",
    "message exceeds maximum size",
    "message file too big",
    "exceeds size limit",
    "size limit exceeded",
    "exceeded maximum message size",
    "exceeds the maximum message size",
    "message length exceeds",
    "mail size limit",
    "message size limit",
    "size of the message exceeds",
    "taille limite du message atteinte",
    "line limit exceeded",
    // From Sisimai's reason list (the field's reference for this wording).
    "exceeded maximum inbound message size",
    "exceeded the maximum incoming message size",
    "max message size exceeded",
    "message size exceeds fixed",
    "message size exceeds maximum value",
    "message too large for this ",
    // qmail and qmail-ldap's own wording (qmail-remote.c, qmail-local.c, the LDAP patch)
    "exceeds my databytes limit",
    // Exchange's wording
    "resolver.rst.recipsizelimit",
    // A bare "size limit" (e.g. "Class=size limit=15728640"): Sisimai's list has it too; the
    // longer mailbox-quota phrases ("mailbox size limit exceeded") outrank it.
    "size limit",
];
