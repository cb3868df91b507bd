//! Pure deliverability rules: no IO, `now` passed in, enums out, never panics on input.
//!
//! One rule per file, named after it, with its tests beside it.

pub mod address;
pub mod bounce;
pub mod category;
pub mod inbound;
pub mod search;
pub mod spam;
pub mod suppression;
pub mod transport_config;
