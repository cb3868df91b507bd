//! Services: what handlers and server functions call. Each takes parsed input, talks to
//! storage and the pure domain, and returns typed results.

pub mod address_history;
pub mod auth;
pub mod campaigns;
pub mod desk;
pub mod dnsbl;
pub mod egress;
pub mod inbound;
pub mod inbound_smtp;
pub mod ingest;
pub mod mail_auth;
pub mod org_log_export;
pub mod outbound;
pub mod sanitize;
/// The search query parser lives in the domain (storage reads it); kept here for callers.
pub use crate::domain::search;
pub mod spam_filters;
pub mod throttle;
pub mod transport;
