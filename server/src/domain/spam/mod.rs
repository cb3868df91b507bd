//! Inbound spam scoring: a pure, explainable score in SpamAssassin points.
//!
//! The score is the sum of named [`RuleHit`]s so the UI can show *why* a message scored what
//! it did. Three sources of hits, each in its own file:
//! - content and header tests ([`rules`]), one family per file;
//! - a statistical token classifier ([`bayes`]) shipped as a compact pretrained model and
//!   overlaid per account with what agents flagged, reported as `BAYES_00` … `BAYES_99` bands;
//! - sending-domain reputation ([`reputation`]): this deployment's own history for the sender's
//!   domain (agents' votes, each other account counted once: [`shared_history`]) plus the
//!   upstream `Authentication-Results` ([`auth_results`], RFC 8601), and the DNS block lists
//!   the operator configured ([`dnsbl`]; looked up by the server, handed in).
//!
//! Upstream `X-Spam-*` headers are never read: collectors add stale verdicts to old mail.
//! No IO happens here; malformed input is data, never a panic.

pub mod auth_results;
pub mod bayes;
pub mod dnsbl;
pub mod eval;
pub mod homoglyph;
pub mod message;
pub mod reputation;
pub mod rules;
pub mod score;
pub mod scorer;
pub mod shared_history;
pub mod threshold;
pub mod threshold_what_if;
pub mod tokenizer;
pub mod urls;

pub use auth_results::{AuthResult, AuthSummary};
pub use bayes::{AccountModel, BayesModel, ModelError};
pub use reputation::DomainHistory;
pub use score::{RuleHit, SpamScore};
pub use scorer::{ScoreContext, ScoreReport, Scorer};
pub use threshold::{Threshold, ThresholdError};

/// The pretrained model shipped with the server (trained on the train split of the
/// development corpus by `deliverdesk train-spam`).
pub const SHIPPED_MODEL: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/spam-model.bin"
));
