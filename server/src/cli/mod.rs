//! Offline commands of the `deliverdesk` binary (see `deliverdesk --help`).

pub mod score;
pub mod train_spam;
