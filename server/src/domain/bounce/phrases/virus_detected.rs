//! Wording that means `virusdetected`: the receiver found malware in the message.
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "virus",
    "malware",
    "infected",
    // the field's wider vocabulary (Sisimai's reason lists)
    "potentially executable attachment",
    "prohibited virus or spam content",
    "used by recent viruses",
];
