//! What agents and admins do about spam: "Mark as spam" / "Not spam" on a conversation (which
//! also train the account's classifier and maintain the block list), the block list itself,
//! and the account's threshold. Every action is logged in Org Logging.

use crate::domain::address::EmailAddress;
use crate::domain::inbound::BlockEntry;
use crate::domain::spam::threshold_what_if::WhatIf;
use crate::domain::spam::{AccountModel, Threshold};
use crate::domain::suppression::{AccountId, LogKind};
use crate::storage::deliverability::{insert_log, NewLogEntry};
use crate::storage::inbound::{self as store, BlockRow, DomainVote};
use crate::storage::spam_controls as allow_store;
use crate::storage::Db;
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde_json::json;

/// The window the threshold what-if looks back over.
pub const WHAT_IF_DAYS: i64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    #[error("not found")]
    NotFound,
    /// The user's mistake, shown to them as is.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

/// What "Mark as spam" did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkedSpam {
    pub sender: String,
    /// False when the sender was already on the block list.
    pub blocked_now: bool,
    pub trained_messages: usize,
}

#[derive(Clone)]
pub struct SpamFilters {
    db: Db,
}

impl SpamFilters {
    pub fn new(db: Db) -> Self {
        SpamFilters { db }
    }

    /// The conversation's sender, or `NotFound` when the conversation is not this account's.
    async fn sender_of(
        &self,
        account: AccountId,
        conversation_id: i64,
    ) -> Result<String, FilterError> {
        let detail = self
            .db
            .get_conversation(account, conversation_id)
            .await?
            .ok_or(FilterError::NotFound)?;
        Ok(detail.summary.contact_email)
    }

    /// Done + `Spam: true` + the sender on the block list + the account's classifier learns the
    /// conversation's inbound messages as spam.
    #[tracing::instrument(skip_all, fields(account_id = account.0, conversation_id = conversation_id))]
    pub async fn mark_spam(
        &self,
        account: AccountId,
        actor: &str,
        conversation_id: i64,
        now: DateTime<Utc>,
    ) -> Result<MarkedSpam, FilterError> {
        let sender = self.sender_of(account, conversation_id).await?;
        let address = EmailAddress::parse(&sender).ok();
        let mut tx = self.db.begin().await?;
        store::set_conversation_status(&mut tx, account, conversation_id, false).await?;
        store::set_spam_attribute(&mut tx, conversation_id, true).await?;
        let mut blocked_now = false;
        if let Some(address) = &address {
            let entry = BlockEntry::Address(address.clone());
            let reason = format!("marked as spam in conversation #{conversation_id}");
            blocked_now = store::insert_block(&mut tx, account, &entry, actor, &reason, now)
                .await?
                .is_some();
            // Votes, not clicks: marking the conversation again changes nothing.
            let domain = address.domain();
            let spam = DomainVote::Spam { conversation_id };
            store::vote_domain(&mut tx, account, domain.as_str(), spam, now).await?;
            store::vote_domain(&mut tx, account, domain.as_str(), DomainVote::Block, now).await?;
        }
        let trained = train(&mut tx, account, conversation_id, true, now).await?;
        insert_log(
            &mut tx,
            &NewLogEntry {
                account_id: Some(account),
                at: now,
                kind: LogKind::MarkedSpam,
                actor: actor.to_string(),
                subject: sender.clone(),
                details: json!({
                    "conversation_id": conversation_id,
                    "blocked": blocked_now,
                    "trained_messages": trained,
                }),
                event_id: None,
            },
        )
        .await?;
        if blocked_now {
            insert_log(
                &mut tx,
                &NewLogEntry {
                    account_id: Some(account),
                    at: now,
                    kind: LogKind::BlockAdded,
                    actor: actor.to_string(),
                    subject: sender.clone(),
                    details: json!({"kind": "address", "reason": format!("marked as spam in conversation #{conversation_id}")}),
                    event_id: None,
                },
            )
            .await?;
        }
        tx.commit().await.context("Failed to commit")?;
        Ok(MarkedSpam {
            sender,
            blocked_now,
            trained_messages: trained,
        })
    }

    /// Reopens the conversation, removes `Spam: true`, optionally takes the sender's address
    /// off the block list, and trains the classifier the other way.
    #[tracing::instrument(skip_all, fields(account_id = account.0, conversation_id = conversation_id))]
    pub async fn not_spam(
        &self,
        account: AccountId,
        actor: &str,
        conversation_id: i64,
        unblock: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, FilterError> {
        let sender = self.sender_of(account, conversation_id).await?;
        let address = EmailAddress::parse(&sender).ok();
        let mut tx = self.db.begin().await?;
        store::set_conversation_status(&mut tx, account, conversation_id, true).await?;
        store::set_spam_attribute(&mut tx, conversation_id, false).await?;
        let mut unblocked = false;
        if let Some(address) = &address {
            if unblock {
                unblocked = store::delete_block(&mut tx, account, address.as_str()).await?;
                store::withdraw_block_vote(&mut tx, account, address.domain().as_str()).await?;
            }
            store::vote_domain(
                &mut tx,
                account,
                address.domain().as_str(),
                DomainVote::Clean { conversation_id },
                now,
            )
            .await?;
        }
        let trained = train(&mut tx, account, conversation_id, false, now).await?;
        insert_log(
            &mut tx,
            &NewLogEntry {
                account_id: Some(account),
                at: now,
                kind: LogKind::MarkedNotSpam,
                actor: actor.to_string(),
                subject: sender.clone(),
                details: json!({
                    "conversation_id": conversation_id,
                    "unblocked": unblocked,
                    "trained_messages": trained,
                }),
                event_id: None,
            },
        )
        .await?;
        if unblocked {
            insert_log(
                &mut tx,
                &NewLogEntry {
                    account_id: Some(account),
                    at: now,
                    kind: LogKind::BlockRemoved,
                    actor: actor.to_string(),
                    subject: sender.clone(),
                    details: json!({"kind": "address", "reason": format!("marked not spam in conversation #{conversation_id}")}),
                    event_id: None,
                },
            )
            .await?;
        }
        tx.commit().await.context("Failed to commit")?;
        Ok(unblocked)
    }

    /// Adds an address or domain an admin typed. Refuses bad input and duplicates with a reason.
    #[tracing::instrument(skip_all, fields(account_id = account.0))]
    pub async fn add_block(
        &self,
        account: AccountId,
        actor: &str,
        input: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<BlockRow, FilterError> {
        let entry = BlockEntry::parse(input).map_err(|e| FilterError::Invalid(e.to_string()))?;
        let reason = match reason.trim() {
            "" => "added by an admin",
            r => r,
        };
        let mut tx = self.db.begin().await?;
        let Some(id) = store::insert_block(&mut tx, account, &entry, actor, reason, now).await?
        else {
            return Err(FilterError::Invalid(format!(
                "{} is already on the block list",
                entry.value()
            )));
        };
        let domain = voted_domain(&entry);
        store::vote_domain(&mut tx, account, &domain, DomainVote::Block, now).await?;
        insert_log(
            &mut tx,
            &NewLogEntry {
                account_id: Some(account),
                at: now,
                kind: LogKind::BlockAdded,
                actor: actor.to_string(),
                subject: entry.value().to_string(),
                details: json!({"kind": entry.kind(), "reason": reason}),
                event_id: None,
            },
        )
        .await?;
        tx.commit().await.context("Failed to commit")?;
        Ok(BlockRow {
            id,
            entry,
            added_by: actor.to_string(),
            reason: reason.to_string(),
            added_at: now,
        })
    }

    #[tracing::instrument(skip_all, fields(account_id = account.0))]
    pub async fn remove_block(
        &self,
        account: AccountId,
        actor: &str,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<BlockRow, FilterError> {
        let row = self
            .db
            .block_entry(account, id)
            .await?
            .ok_or(FilterError::NotFound)?;
        let mut tx = self.db.begin().await?;
        store::delete_block(&mut tx, account, row.entry.value()).await?;
        // The account's vote goes with its last entry about the domain.
        store::withdraw_block_vote(&mut tx, account, &voted_domain(&row.entry)).await?;
        insert_log(
            &mut tx,
            &NewLogEntry {
                account_id: Some(account),
                at: now,
                kind: LogKind::BlockRemoved,
                actor: actor.to_string(),
                subject: row.entry.value().to_string(),
                details: json!({"kind": row.entry.kind(), "added_by": row.added_by, "reason": row.reason}),
                event_id: None,
            },
        )
        .await?;
        tx.commit().await.context("Failed to commit")?;
        Ok(row)
    }

    /// Adds an address or domain to the allowlist (its mail is never marked spam by score;
    /// the block list still wins). Refuses bad input and duplicates with a reason.
    #[tracing::instrument(skip_all, fields(account_id = account.0))]
    pub async fn add_allow(
        &self,
        account: AccountId,
        actor: &str,
        input: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<BlockRow, FilterError> {
        let entry = BlockEntry::parse(input).map_err(|e| FilterError::Invalid(e.to_string()))?;
        let reason = match reason.trim() {
            "" => "added by an admin",
            r => r,
        };
        let mut tx = self.db.begin().await?;
        let Some(id) =
            allow_store::insert_allow(&mut tx, account, &entry, actor, reason, now).await?
        else {
            return Err(FilterError::Invalid(format!(
                "{} is already on the allowlist",
                entry.value()
            )));
        };
        insert_log(
            &mut tx,
            &NewLogEntry {
                account_id: Some(account),
                at: now,
                kind: LogKind::AllowAdded,
                actor: actor.to_string(),
                subject: entry.value().to_string(),
                details: json!({"kind": entry.kind(), "reason": reason}),
                event_id: None,
            },
        )
        .await?;
        tx.commit().await.context("Failed to commit")?;
        Ok(BlockRow {
            id,
            entry,
            added_by: actor.to_string(),
            reason: reason.to_string(),
            added_at: now,
        })
    }

    #[tracing::instrument(skip_all, fields(account_id = account.0))]
    pub async fn remove_allow(
        &self,
        account: AccountId,
        actor: &str,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<BlockRow, FilterError> {
        let row = self
            .db
            .allow_entry(account, id)
            .await?
            .ok_or(FilterError::NotFound)?;
        let mut tx = self.db.begin().await?;
        allow_store::delete_allow(&mut tx, account, id).await?;
        insert_log(
            &mut tx,
            &NewLogEntry {
                account_id: Some(account),
                at: now,
                kind: LogKind::AllowRemoved,
                actor: actor.to_string(),
                subject: row.entry.value().to_string(),
                details: json!({"kind": row.entry.kind(), "added_by": row.added_by, "reason": row.reason}),
                event_id: None,
            },
        )
        .await?;
        tx.commit().await.context("Failed to commit")?;
        Ok(row)
    }

    /// How the last [`WHAT_IF_DAYS`] days' inbound mail would have gone under the threshold
    /// an admin is trying (`input`, as typed), against the account's current one.
    pub async fn threshold_what_if(
        &self,
        account: AccountId,
        input: &str,
        now: DateTime<Utc>,
    ) -> Result<(Threshold, Threshold, WhatIf), FilterError> {
        let candidate = Threshold::parse(input).map_err(|e| FilterError::Invalid(e.to_string()))?;
        let current = self.db.spam_threshold(account).await?;
        let scores = self
            .db
            .score_distribution(account, now - chrono::Duration::days(WHAT_IF_DAYS))
            .await?;
        Ok((current, candidate, scores.what_if(current, candidate)))
    }

    /// Sets the account's threshold from what an admin typed; logs the change.
    #[tracing::instrument(skip_all, fields(account_id = account.0))]
    pub async fn set_threshold(
        &self,
        account: AccountId,
        actor: &str,
        input: &str,
        now: DateTime<Utc>,
    ) -> Result<Threshold, FilterError> {
        let threshold = Threshold::parse(input).map_err(|e| FilterError::Invalid(e.to_string()))?;
        let before = self.db.set_spam_threshold(account, threshold).await?;
        let mut conn = self
            .db
            .pool()
            .acquire()
            .await
            .context("Failed to connect")?;
        insert_log(
            &mut conn,
            &NewLogEntry {
                account_id: Some(account),
                at: now,
                kind: LogKind::SpamThresholdChanged,
                actor: actor.to_string(),
                subject: "spam threshold".into(),
                details: json!({
                    "from": before.value(),
                    "to": threshold.value(),
                    "filtering": if threshold.is_off() { "off" } else { "on" },
                }),
                event_id: None,
            },
        )
        .await?;
        Ok(threshold)
    }
}

impl SpamFilters {
    /// Replaces the authserv-ids whose `Authentication-Results` the account trusts on mail
    /// that comes over HTTP, from what an admin typed; logs who changed them from what to
    /// what (a change of who is believed about SPF/DKIM/DMARC is a security setting).
    #[tracing::instrument(skip_all, fields(account_id = account.0))]
    pub async fn set_trusted_authserv_ids(
        &self,
        account: AccountId,
        actor: &str,
        input: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, FilterError> {
        let ids = crate::domain::spam::auth_results::parse_authserv_ids(input)
            .map_err(FilterError::Invalid)?;
        let mut tx = self.db.begin().await?;
        let before = store::set_trusted_authserv_ids(&mut tx, account, &ids).await?;
        if before != ids {
            insert_log(
                &mut tx,
                &NewLogEntry {
                    account_id: Some(account),
                    at: now,
                    kind: LogKind::TrustedAuthservIdsChanged,
                    actor: actor.to_string(),
                    subject: "trusted authserv-ids".into(),
                    details: json!({"from": before, "to": ids}),
                    event_id: None,
                },
            )
            .await?;
        }
        tx.commit().await.context("Failed to commit")?;
        Ok(ids)
    }
}

/// The domain a block-list entry votes about.
fn voted_domain(entry: &BlockEntry) -> String {
    match entry {
        BlockEntry::Address(a) => a.domain().as_str().to_string(),
        BlockEntry::Domain(d) => d.as_str().to_string(),
    }
}

/// Trains the account's overlay on the conversation's inbound messages as spam or ham,
/// undoing an earlier opposite flag on the same message first. Returns how many it learned.
async fn train(
    conn: &mut sqlx::AnyConnection,
    account: AccountId,
    conversation_id: i64,
    spam: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let label = if spam { "spam" } else { "ham" };
    let messages = store::training_messages(conn, account, conversation_id).await?;
    let todo: Vec<_> = messages
        .iter()
        .filter(|m| m.trained_as.as_deref() != Some(label))
        .collect();
    if todo.is_empty() {
        return Ok(0);
    }
    let mut model = match store::load_account_model(conn, account).await? {
        Some(bytes) => AccountModel::from_bytes(&bytes).unwrap_or_else(|e| {
            tracing::warn!(account_id = account.0, error = %e, "account spam model unreadable; starting anew");
            AccountModel::new()
        }),
        None => AccountModel::new(),
    };
    for m in &todo {
        if let Some(previous) = m.trained_as.as_deref() {
            model.unlearn(&m.raw, previous == "spam");
        }
        model.learn(&m.raw, spam);
        store::set_trained_as(conn, m.id, label).await?;
    }
    store::save_account_model(conn, account, &model.to_bytes(), now).await?;
    Ok(todo.len())
}
