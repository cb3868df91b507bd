//! Deliverability storage (issue 4): webhook credentials, delivery events, suppressions and
//! their overrides, Org Logging, and the delivery status of messages and contacts.
//!
//! The pieces the ingest writes in one transaction take a connection (`&mut *tx`); the rest
//! are methods on [`Db`](super::Db). Every query is written once for both backends.

mod delivery_status;
mod events;
mod gate;
mod org_log;
mod suppressions;
mod webhook_credentials;

pub use delivery_status::*;
pub use events::*;
pub use gate::*;
pub use org_log::*;
pub use suppressions::*;
pub use webhook_credentials::*;
