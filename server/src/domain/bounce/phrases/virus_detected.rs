//! Wording that means `virusdetected`: the receiver found malware in the message.
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &["virus", "malware", "infected"];
