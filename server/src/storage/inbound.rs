//! Inbound mail storage: inbound addresses, the spam threshold, block lists, the accounts'
//! classifier overlays, sending-domain history, and the lookups threading needs.

use super::{col, from_ms, to_ms, Db};
use crate::domain::inbound::{BlockEntry, ExistingConversation};
use crate::domain::spam::{DomainHistory, Threshold};
use crate::domain::suppression::AccountId;
use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

/// A stored block-list entry.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockRow {
    pub id: i64,
    pub entry: BlockEntry,
    pub added_by: String,
    pub reason: String,
    pub added_at: DateTime<Utc>,
}

/// An agent's vote about a sending domain: one per (account, conversation) for spam / not
/// spam (a later flag replaces an earlier one), one per (account, domain) for a block
/// ([`shared_history`](crate::domain::spam::shared_history)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainVote {
    Spam { conversation_id: i64 },
    Clean { conversation_id: i64 },
    Block,
}

impl DomainVote {
    /// (ballot, vote) as stored.
    fn columns(self) -> (String, &'static str) {
        match self {
            DomainVote::Spam { conversation_id } => {
                (format!("conversation:{conversation_id}"), "spam")
            }
            DomainVote::Clean { conversation_id } => {
                (format!("conversation:{conversation_id}"), "clean")
            }
            DomainVote::Block => ("block".to_string(), "block"),
        }
    }
}

/// Replaces the account's trusted authserv-ids; returns the ones they replace.
pub async fn set_trusted_authserv_ids(
    conn: &mut AnyConnection,
    account_id: AccountId,
    ids: &[String],
) -> anyhow::Result<Vec<String>> {
    let before: String =
        sqlx::query_scalar("SELECT trusted_authserv_ids FROM accounts WHERE id = $1")
            .bind(account_id.0)
            .fetch_one(&mut *conn)
            .await
            .context("Failed to read the trusted authserv-ids")?;
    sqlx::query("UPDATE accounts SET trusted_authserv_ids = $1 WHERE id = $2")
        .bind(ids.join("\n"))
        .bind(account_id.0)
        .execute(&mut *conn)
        .await
        .context("Failed to set the trusted authserv-ids")?;
    Ok(before.lines().map(str::to_string).collect())
}

/// An inbound message of a conversation, for training the classifier.
#[derive(Debug, Clone)]
pub struct TrainingMessage {
    pub id: i64,
    pub raw: Vec<u8>,
    pub trained_as: Option<String>,
}

fn block_row(r: &sqlx::any::AnyRow) -> anyhow::Result<Option<BlockRow>> {
    let kind: String = col(r, "kind")?;
    let value: String = col(r, "value")?;
    let Some(entry) = BlockEntry::from_stored(&kind, &value) else {
        tracing::warn!(kind, value, "unreadable block-list entry skipped");
        return Ok(None);
    };
    Ok(Some(BlockRow {
        id: col(r, "id")?,
        entry,
        added_by: col(r, "added_by")?,
        reason: col(r, "reason")?,
        added_at: from_ms(col(r, "added_at")?),
    }))
}

impl Db {
    /// The account receiving mail at `address`, if it is one of the accounts' inbound addresses.
    pub async fn inbound_address_account(&self, address: &str) -> anyhow::Result<Option<i64>> {
        sqlx::query_scalar("SELECT account_id FROM inbound_addresses WHERE address = $1")
            .bind(address.trim().to_lowercase())
            .fetch_optional(self.pool())
            .await
            .context("Failed to look up an inbound address")
    }

    pub async fn add_inbound_address(
        &self,
        account_id: AccountId,
        address: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO inbound_addresses (address, account_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (address) DO NOTHING",
        )
        .bind(address.trim().to_lowercase())
        .bind(account_id.0)
        .bind(to_ms(now))
        .execute(self.pool())
        .await
        .context("Failed to add an inbound address")?;
        Ok(())
    }

    pub async fn inbound_addresses(&self, account_id: AccountId) -> anyhow::Result<Vec<String>> {
        sqlx::query_scalar(
            "SELECT address FROM inbound_addresses WHERE account_id = $1 ORDER BY address",
        )
        .bind(account_id.0)
        .fetch_all(self.pool())
        .await
        .context("Failed to list inbound addresses")
    }

    pub async fn spam_threshold(&self, account_id: AccountId) -> anyhow::Result<Threshold> {
        let centi: i64 =
            sqlx::query_scalar("SELECT spam_threshold_centi FROM accounts WHERE id = $1")
                .bind(account_id.0)
                .fetch_one(self.pool())
                .await
                .context("Failed to read the spam threshold")?;
        Ok(Threshold::try_from(centi as f64 / 100.0).unwrap_or_default())
    }

    /// Sets the threshold; returns the previous one.
    pub async fn set_spam_threshold(
        &self,
        account_id: AccountId,
        threshold: Threshold,
    ) -> anyhow::Result<Threshold> {
        let before = self.spam_threshold(account_id).await?;
        sqlx::query("UPDATE accounts SET spam_threshold_centi = $1 WHERE id = $2")
            .bind((threshold.value() * 100.0).round() as i64)
            .bind(account_id.0)
            .execute(self.pool())
            .await
            .context("Failed to set the spam threshold")?;
        Ok(before)
    }

    /// The authserv-ids whose `Authentication-Results` the account trusts on mail that comes
    /// over HTTP (see `AuthSummary::from_trusted`); empty trusts none.
    pub async fn trusted_authserv_ids(&self, account_id: AccountId) -> anyhow::Result<Vec<String>> {
        let text: String =
            sqlx::query_scalar("SELECT trusted_authserv_ids FROM accounts WHERE id = $1")
                .bind(account_id.0)
                .fetch_one(self.pool())
                .await
                .context("Failed to read the trusted authserv-ids")?;
        Ok(text.lines().map(str::to_string).collect())
    }

    /// Replaces the trusted authserv-ids (already checked by the caller); returns the ones
    /// they replace.
    pub async fn set_trusted_authserv_ids(
        &self,
        account_id: AccountId,
        ids: &[String],
    ) -> anyhow::Result<Vec<String>> {
        let mut conn = self.pool().acquire().await.context("Failed to connect")?;
        set_trusted_authserv_ids(&mut conn, account_id, ids).await
    }

    pub async fn block_list(&self, account_id: AccountId) -> anyhow::Result<Vec<BlockRow>> {
        let rows = sqlx::query(
            "SELECT id, kind, value, added_by, reason, added_at FROM block_list \
             WHERE account_id = $1 ORDER BY added_at DESC, id DESC",
        )
        .bind(account_id.0)
        .fetch_all(self.pool())
        .await
        .context("Failed to list the block list")?;
        Ok(rows
            .iter()
            .map(block_row)
            .collect::<anyhow::Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect())
    }

    /// The entry blocking a sender whose candidates (address, domain, parent domains) are
    /// given; most specific first.
    pub async fn block_match(
        &self,
        account_id: AccountId,
        candidates: &[String],
    ) -> anyhow::Result<Option<BlockRow>> {
        if candidates.is_empty() {
            return Ok(None);
        }
        let placeholders: Vec<String> = (0..candidates.len())
            .map(|i| format!("${}", i + 2))
            .collect();
        let sql = format!(
            "SELECT id, kind, value, added_by, reason, added_at FROM block_list \
             WHERE account_id = $1 AND value IN ({})",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(account_id.0);
        for c in candidates {
            q = q.bind(c);
        }
        let rows = q
            .fetch_all(self.pool())
            .await
            .context("Failed to check the block list")?;
        let mut found: Vec<BlockRow> = rows
            .iter()
            .map(block_row)
            .collect::<anyhow::Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        found.sort_by_key(|r| {
            candidates
                .iter()
                .position(|c| c == r.entry.value())
                .unwrap_or(usize::MAX)
        });
        Ok(found.into_iter().next())
    }

    pub async fn block_entry(
        &self,
        account_id: AccountId,
        id: i64,
    ) -> anyhow::Result<Option<BlockRow>> {
        let row = sqlx::query(
            "SELECT id, kind, value, added_by, reason, added_at FROM block_list \
             WHERE account_id = $1 AND id = $2",
        )
        .bind(account_id.0)
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .context("Failed to read a block-list entry")?;
        Ok(match row {
            Some(r) => block_row(&r)?,
            None => None,
        })
    }

    pub async fn account_model(&self, account_id: AccountId) -> anyhow::Result<Option<Vec<u8>>> {
        sqlx::query_scalar("SELECT model FROM account_spam_models WHERE account_id = $1")
            .bind(account_id.0)
            .fetch_optional(self.pool())
            .await
            .context("Failed to read the account's spam model")
    }

    /// The history `account_id` scores `domain` with: its own votes in full, every other
    /// account's once ([`shared_history`](crate::domain::spam::shared_history)).
    pub async fn domain_history(
        &self,
        account_id: AccountId,
        domain: &str,
    ) -> anyhow::Result<DomainHistory> {
        let votes = self.domain_votes(domain).await?;
        Ok(crate::domain::spam::shared_history::history_for(
            account_id, &votes,
        ))
    }

    /// Every account's votes about `domain`, counted per account.
    pub async fn domain_votes(
        &self,
        domain: &str,
    ) -> anyhow::Result<Vec<crate::domain::spam::shared_history::AccountVotes>> {
        let rows = sqlx::query(
            "SELECT account_id, \
             SUM(CASE WHEN vote = 'spam' THEN 1 ELSE 0 END) AS spam, \
             SUM(CASE WHEN vote = 'clean' THEN 1 ELSE 0 END) AS clean, \
             SUM(CASE WHEN vote = 'block' THEN 1 ELSE 0 END) AS blocks \
             FROM domain_votes WHERE domain = $1 GROUP BY account_id ORDER BY account_id",
        )
        .bind(domain.to_lowercase())
        .fetch_all(self.pool())
        .await
        .context("Failed to read a domain's votes")?;
        rows.iter()
            .map(|r| {
                let n = |c: &str| -> anyhow::Result<u32> {
                    Ok(col::<i64>(r, c)?.clamp(0, u32::MAX as i64) as u32)
                };
                Ok(crate::domain::spam::shared_history::AccountVotes {
                    account: AccountId(col(r, "account_id")?),
                    spam: n("spam")?,
                    clean: n("clean")?,
                    blocks: n("blocks")?,
                })
            })
            .collect()
    }
}

/// Adds a block-list entry; `None` when the account already has it.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = account_id.0))]
pub async fn insert_block(
    conn: &mut AnyConnection,
    account_id: AccountId,
    entry: &BlockEntry,
    added_by: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO block_list (account_id, kind, value, added_by, reason, added_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, value) DO NOTHING RETURNING id",
    )
    .bind(account_id.0)
    .bind(entry.kind())
    .bind(entry.value())
    .bind(added_by)
    .bind(reason)
    .bind(to_ms(now))
    .fetch_optional(conn)
    .await
    .context("Failed to add a block-list entry")
}

/// Removes the account's entry with this value; whether there was one.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = account_id.0))]
pub async fn delete_block(
    conn: &mut AnyConnection,
    account_id: AccountId,
    value: &str,
) -> anyhow::Result<bool> {
    let done = sqlx::query("DELETE FROM block_list WHERE account_id = $1 AND value = $2")
        .bind(account_id.0)
        .bind(value)
        .execute(conn)
        .await
        .context("Failed to remove a block-list entry")?;
    Ok(done.rows_affected() > 0)
}

/// Records the account's vote about `domain`; voting again on the same ballot replaces the
/// vote (a hundred clicks are one vote).
pub async fn vote_domain(
    conn: &mut AnyConnection,
    account_id: AccountId,
    domain: &str,
    vote: DomainVote,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let (ballot, vote) = vote.columns();
    sqlx::query(
        "INSERT INTO domain_votes (account_id, domain, ballot, vote, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, domain, ballot) \
         DO UPDATE SET vote = excluded.vote, updated_at = excluded.updated_at",
    )
    .bind(account_id.0)
    .bind(domain.to_lowercase())
    .bind(ballot)
    .bind(vote)
    .bind(to_ms(now))
    .execute(conn)
    .await
    .context("Failed to record a vote about a domain")?;
    Ok(())
}

/// Withdraws the account's block vote about `domain` when none of its block-list entries is
/// about that domain any more (an address in it, or the domain itself): one vote per
/// (account, domain) however many entries, and none once they are all removed. Whether a
/// vote was withdrawn.
pub async fn withdraw_block_vote(
    conn: &mut AnyConnection,
    account_id: AccountId,
    domain: &str,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "DELETE FROM domain_votes WHERE account_id = $1 AND domain = $2 AND ballot = 'block' \
         AND NOT EXISTS (SELECT 1 FROM block_list b WHERE b.account_id = $1 \
           AND (lower(b.value) = $2 \
             OR substr(lower(b.value), length(b.value) - length($2)) = '@' || $2))",
    )
    .bind(account_id.0)
    .bind(domain.to_lowercase())
    .execute(conn)
    .await
    .context("Failed to withdraw a block vote")?;
    Ok(done.rows_affected() > 0)
}

/// The message already stored under this inbound key: (message id, conversation id).
pub async fn message_by_inbound_key(
    conn: &mut AnyConnection,
    account_id: AccountId,
    key: &str,
) -> anyhow::Result<Option<(i64, i64)>> {
    let row = sqlx::query(
        "SELECT id, conversation_id FROM messages WHERE account_id = $1 AND inbound_key = $2",
    )
    .bind(account_id.0)
    .bind(key)
    .fetch_optional(conn)
    .await
    .context("Failed to look up an inbound message")?;
    row.map(|r| Ok((col(&r, "id")?, col(&r, "conversation_id")?)))
        .transpose()
}

/// The conversation holding one of these Message-IDs (bare, without `<>`), trying them in
/// order.
pub async fn conversation_by_message_ids(
    conn: &mut AnyConnection,
    account_id: AccountId,
    ids: &[String],
) -> anyhow::Result<Option<i64>> {
    for id in ids {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT conversation_id FROM messages WHERE account_id = $1 \
             AND (message_id_header = $2 OR message_id_header = $3) ORDER BY id DESC LIMIT 1",
        )
        .bind(account_id.0)
        .bind(format!("<{id}>"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .context("Failed to thread by Message-ID")?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// The contact's recent conversations (newest first): (id, subject).
pub async fn recent_conversations_of(
    conn: &mut AnyConnection,
    account_id: AccountId,
    contact_id: i64,
    since: DateTime<Utc>,
) -> anyhow::Result<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT id, subject FROM conversations WHERE account_id = $1 AND contact_id = $2 \
         AND updated_at >= $3 ORDER BY updated_at DESC, id DESC LIMIT 50",
    )
    .bind(account_id.0)
    .bind(contact_id)
    .bind(to_ms(since))
    .fetch_all(conn)
    .await
    .context("Failed to list a contact's conversations")?;
    rows.iter()
        .map(|r| Ok((col(r, "id")?, col(r, "subject")?)))
        .collect()
}

pub async fn conversation_state(
    conn: &mut AnyConnection,
    account_id: AccountId,
    conversation_id: i64,
) -> anyhow::Result<Option<ExistingConversation>> {
    let row = sqlx::query(
        "SELECT c.status AS status, (SELECT COUNT(*) FROM conversation_attributes ca \
           WHERE ca.conversation_id = c.id AND ca.name = 'Spam' AND ca.value = 'true') AS spam \
         FROM conversations c WHERE c.id = $1 AND c.account_id = $2",
    )
    .bind(conversation_id)
    .bind(account_id.0)
    .fetch_optional(conn)
    .await
    .context("Failed to read a conversation's state")?;
    row.map(|r| {
        let status: String = col(&r, "status")?;
        let spam: i64 = col(&r, "spam")?;
        Ok(ExistingConversation {
            open: status == "open",
            spam: spam > 0,
        })
    })
    .transpose()
}

pub async fn upsert_contact(
    conn: &mut AnyConnection,
    account_id: AccountId,
    email: &str,
    name: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<i64> {
    sqlx::query(
        "INSERT INTO contacts (account_id, email, name, status, created_at) \
         VALUES ($1, $2, $3, 'active', $4) ON CONFLICT (account_id, email) DO NOTHING",
    )
    .bind(account_id.0)
    .bind(email)
    .bind(name)
    .bind(to_ms(now))
    .execute(&mut *conn)
    .await
    .context("Failed to create a contact")?;
    sqlx::query_scalar("SELECT id FROM contacts WHERE account_id = $1 AND email = $2")
        .bind(account_id.0)
        .bind(email)
        .fetch_one(conn)
        .await
        .context("Failed to read a contact")
}

pub async fn create_conversation(
    conn: &mut AnyConnection,
    account_id: AccountId,
    contact_id: i64,
    subject: &str,
    open: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO conversations (account_id, contact_id, subject, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(account_id.0)
    .bind(contact_id)
    .bind(subject)
    .bind(if open { "open" } else { "done" })
    .bind(to_ms(now))
    .fetch_one(conn)
    .await
    .context("Failed to create a conversation")
}

pub async fn set_conversation_status(
    conn: &mut AnyConnection,
    account_id: AccountId,
    conversation_id: i64,
    open: bool,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE conversations SET status = $1 WHERE id = $2 AND account_id = $3")
        .bind(if open { "open" } else { "done" })
        .bind(conversation_id)
        .bind(account_id.0)
        .execute(conn)
        .await
        .context("Failed to set a conversation's status")?;
    Ok(())
}

/// Sets or removes `Spam: true`.
pub async fn set_spam_attribute(
    conn: &mut AnyConnection,
    conversation_id: i64,
    spam: bool,
) -> anyhow::Result<()> {
    if spam {
        sqlx::query(
            "INSERT INTO conversation_attributes (conversation_id, name, value) VALUES ($1, 'Spam', 'true') \
             ON CONFLICT (conversation_id, name) DO UPDATE SET value = excluded.value",
        )
        .bind(conversation_id)
        .execute(conn)
        .await
        .context("Failed to mark a conversation as spam")?;
    } else {
        sqlx::query(
            "DELETE FROM conversation_attributes WHERE conversation_id = $1 AND name = 'Spam'",
        )
        .bind(conversation_id)
        .execute(conn)
        .await
        .context("Failed to unmark a conversation as spam")?;
    }
    Ok(())
}

/// The conversation's inbound messages with their raw source (or what is known of it).
pub async fn training_messages(
    conn: &mut AnyConnection,
    account_id: AccountId,
    conversation_id: i64,
) -> anyhow::Result<Vec<TrainingMessage>> {
    let rows = sqlx::query(
        "SELECT id, raw_source, from_addr, subject, text_body, trained_as FROM messages \
         WHERE account_id = $1 AND conversation_id = $2 AND direction = 'inbound' ORDER BY id",
    )
    .bind(account_id.0)
    .bind(conversation_id)
    .fetch_all(conn)
    .await
    .context("Failed to read messages for training")?;
    rows.iter()
        .map(|r| {
            let raw: Option<Vec<u8>> = col(r, "raw_source")?;
            let raw = match raw {
                Some(raw) => raw,
                None => {
                    let from: String = col(r, "from_addr")?;
                    let subject: String = col(r, "subject")?;
                    let text: String = col(r, "text_body")?;
                    format!("From: {from}\r\nSubject: {subject}\r\n\r\n{text}\r\n").into_bytes()
                }
            };
            Ok(TrainingMessage {
                id: col(r, "id")?,
                raw,
                trained_as: col(r, "trained_as")?,
            })
        })
        .collect()
}

pub async fn set_trained_as(
    conn: &mut AnyConnection,
    message_id: i64,
    label: &str,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE messages SET trained_as = $1 WHERE id = $2")
        .bind(label)
        .bind(message_id)
        .execute(conn)
        .await
        .context("Failed to record training")?;
    Ok(())
}

pub async fn load_account_model(
    conn: &mut AnyConnection,
    account_id: AccountId,
) -> anyhow::Result<Option<Vec<u8>>> {
    sqlx::query_scalar("SELECT model FROM account_spam_models WHERE account_id = $1")
        .bind(account_id.0)
        .fetch_optional(conn)
        .await
        .context("Failed to read the account's spam model")
}

pub async fn save_account_model(
    conn: &mut AnyConnection,
    account_id: AccountId,
    model: &[u8],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO account_spam_models (account_id, model, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id) DO UPDATE SET model = excluded.model, updated_at = excluded.updated_at",
    )
    .bind(account_id.0)
    .bind(model.to_vec())
    .bind(to_ms(now))
    .execute(conn)
    .await
    .context("Failed to save the account's spam model")?;
    Ok(())
}
