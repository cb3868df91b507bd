//! Offline commands of the `deliverdesk` binary (see `deliverdesk --help`).

pub mod admin;
pub mod bounce_variants;
pub mod classify_bounce;
pub mod score;
pub mod spam_report;
pub mod train_spam;
