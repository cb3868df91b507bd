//! Deliverdesk's server: the pure deliverability domain, storage (SQLite / PostgreSQL),
//! services, the HTTP layer and the CLI commands.

pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod http;
pub mod secrets;
pub mod services;
pub mod smtp;
pub mod storage;
