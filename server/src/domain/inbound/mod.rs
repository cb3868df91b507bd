//! Pure rules for mail on its way in: the block list, which conversation a message belongs to,
//! and what the spam business rule does with it. No IO; the service hands in what storage knows.

pub mod block_list;
pub mod spam_rule;
pub mod threading;

pub use block_list::{BlockEntry, BlockEntryError};
pub use spam_rule::{
    allowlist_override, decide, ExistingConversation, InboundAction, Listed, SpamReason,
};
pub use threading::{normalize_subject, thread_keys, ThreadKeys};
