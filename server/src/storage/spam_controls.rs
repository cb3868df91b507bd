//! The account's spam controls beside the block list: the allowlist, and the stored scores
//! the threshold what-if reads. Every query names the account.

use super::inbound::BlockRow;
use super::{col, from_ms, to_ms, Db};
use crate::domain::inbound::BlockEntry;
use crate::domain::spam::threshold_what_if::{Flagged, ScoreCount, ScoreDistribution};
use crate::domain::suppression::AccountId;
use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

fn allow_row(r: &sqlx::any::AnyRow) -> anyhow::Result<Option<BlockRow>> {
    let kind: String = col(r, "kind")?;
    let value: String = col(r, "value")?;
    let Some(entry) = BlockEntry::from_stored(&kind, &value) else {
        tracing::warn!(kind, value, "unreadable allowlist entry skipped");
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

fn rows(rows: &[sqlx::any::AnyRow]) -> anyhow::Result<Vec<BlockRow>> {
    Ok(rows
        .iter()
        .map(allow_row)
        .collect::<anyhow::Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect())
}

impl Db {
    /// The account's allowlist, newest first.
    pub async fn allow_list(&self, account_id: AccountId) -> anyhow::Result<Vec<BlockRow>> {
        let found = sqlx::query(
            "SELECT id, kind, value, added_by, reason, added_at FROM allow_list \
             WHERE account_id = $1 ORDER BY added_at DESC, id DESC",
        )
        .bind(account_id.0)
        .fetch_all(self.pool())
        .await
        .context("Failed to list the allowlist")?;
        rows(&found)
    }

    /// The allowlist entry for a sender whose candidates (address, domain, parent domains;
    /// [`BlockEntry::candidates`]) are given; most specific first.
    pub async fn allow_match(
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
            "SELECT id, kind, value, added_by, reason, added_at FROM allow_list \
             WHERE account_id = $1 AND value IN ({})",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(account_id.0);
        for c in candidates {
            q = q.bind(c);
        }
        let found = q
            .fetch_all(self.pool())
            .await
            .context("Failed to check the allowlist")?;
        let mut found = rows(&found)?;
        found.sort_by_key(|r| {
            candidates
                .iter()
                .position(|c| c == r.entry.value())
                .unwrap_or(usize::MAX)
        });
        Ok(found.into_iter().next())
    }

    pub async fn allow_entry(
        &self,
        account_id: AccountId,
        id: i64,
    ) -> anyhow::Result<Option<BlockRow>> {
        let row = sqlx::query(
            "SELECT id, kind, value, added_by, reason, added_at FROM allow_list \
             WHERE account_id = $1 AND id = $2",
        )
        .bind(account_id.0)
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .context("Failed to read an allowlist entry")?;
        Ok(match row {
            Some(r) => allow_row(&r)?,
            None => None,
        })
    }

    /// The account's stored inbound scores since `since`, and the conversations its agents
    /// flagged in that time, for the threshold what-if. Two index-only scans
    /// (`messages_inbound_scores`, `messages_trained`); the distribution comes back grouped
    /// by score (a few thousand rows for any number of messages).
    pub async fn score_distribution(
        &self,
        account_id: AccountId,
        since: DateTime<Utc>,
    ) -> anyhow::Result<ScoreDistribution> {
        let counts = sqlx::query(
            "SELECT spam_score_centi AS centi, CAST(COUNT(*) AS BIGINT) AS n FROM messages \
             WHERE account_id = $1 AND direction = 'inbound' AND created_at >= $2 \
             AND spam_score_centi IS NOT NULL GROUP BY spam_score_centi",
        )
        .bind(account_id.0)
        .bind(to_ms(since))
        .fetch_all(self.pool())
        .await
        .context("Failed to read the stored spam scores")?
        .iter()
        .map(|r| {
            Ok(ScoreCount {
                centi: col(r, "centi")?,
                messages: col::<i64>(r, "n")?.max(0) as u64,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
        // A conversation's verdict is its latest flag (every inbound message of it carries
        // it); its score, the highest of its inbound messages.
        let flagged = sqlx::query(
            "SELECT conversation_id, MAX(spam_score_centi) AS max_centi, \
             CAST(MAX(CASE WHEN trained_as = 'spam' THEN 1 ELSE 0 END) AS BIGINT) AS spam FROM messages \
             WHERE account_id = $1 AND created_at >= $2 AND trained_as IS NOT NULL \
             AND direction = 'inbound' AND spam_score_centi IS NOT NULL \
             GROUP BY conversation_id",
        )
        .bind(account_id.0)
        .bind(to_ms(since))
        .fetch_all(self.pool())
        .await
        .context("Failed to read the flagged conversations")?
        .iter()
        .map(|r| {
            Ok(Flagged {
                max_centi: col(r, "max_centi")?,
                spam: col::<i64>(r, "spam")? == 1,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(ScoreDistribution::new(counts, flagged))
    }
}

/// Adds an allowlist entry; `None` when the account already has it.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = account_id.0))]
pub async fn insert_allow(
    conn: &mut AnyConnection,
    account_id: AccountId,
    entry: &BlockEntry,
    added_by: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO allow_list (account_id, kind, value, added_by, reason, added_at) \
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
    .context("Failed to add an allowlist entry")
}

/// Removes the account's allowlist entry `id`; whether there was one.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = account_id.0))]
pub async fn delete_allow(
    conn: &mut AnyConnection,
    account_id: AccountId,
    id: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query("DELETE FROM allow_list WHERE account_id = $1 AND id = $2")
        .bind(account_id.0)
        .bind(id)
        .execute(conn)
        .await
        .context("Failed to remove an allowlist entry")?;
    Ok(done.rows_affected() > 0)
}
