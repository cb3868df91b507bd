//! Wording that means `contenterror`: the content or its encoding was refused (X.6.x).
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "conversion required",
    "media not supported",
    "conversion failed",
    "improper use of 8-bit data",
    "message header size",
    "line too long",
    // the field's wider vocabulary (Sisimai's reason lists)
    "header size exceeds maximum permitted",
    "mime complexity exceeds",
    "routing loop detected -- too many received: headers",
    "contain invalid mime headers",
    "improperly-formatted binary content",
    "unnecessary base64 encoding",
    // Exim's own wording (its deliver.c, route.c and transports)
    "too many \"received\" headers",
    // Exchange 2000/2003's MSEXCH codes
    "(00050311)",
    "(000502cc)",
    // From Sisimai 5's list for this reason.
    "illegal attachment on your message",
];
