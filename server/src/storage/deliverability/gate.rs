//! The send gate's read: the active suppressions and overrides for a whole recipient list.

use super::suppressions::{override_from_row, parse_stream, scope_of};
use crate::domain::address::EmailAddress;
use crate::domain::suppression::scope_by_trust::GlobalBasis;
use crate::domain::suppression::{AccountId, Override, Suppression, SuppressionKind};
use crate::storage::{from_ms, to_ms, Db};
use anyhow::Context;
use chrono::{DateTime, Utc};
/// How many ranges of the recipient list the batch gate probes side by side: the machines
/// this runs on have two cores or more.
pub const GATE_PARTS: usize = 2;

impl Db {
    /// The active entries and the overrides that could concern `account` for any of
    /// `recipients`, in one pass.
    ///
    /// The entries are found by address key ([`EmailAddress::key_hash`]): the sorted keys go
    /// in as one array, read as a table (`json_each` / `unnest`) that drives probes of the
    /// integer key index, so nothing is written and the probes walk the index in order. The
    /// list is cut into [`GATE_PARTS`] ranges probed side by side, each on its own
    /// connection (SQLite's readers run beside each other; PostgreSQL gives each its own
    /// process). A key match is only a candidate: an entry of another address with the same
    /// key may come back, and is harmless, since the gate looks entries up by address.
    pub async fn suppressions_matching(
        &self,
        account_id: AccountId,
        recipients: &[EmailAddress],
        now: DateTime<Utc>,
    ) -> anyhow::Result<(Vec<Suppression>, Vec<Override>)> {
        let mut keys: Vec<i64> = recipients.iter().map(EmailAddress::key_hash).collect();
        keys.sort_unstable();
        keys.dedup();
        let per_part = keys.len().div_ceil(GATE_PARTS).max(1);
        let mut parts = tokio::task::JoinSet::new();
        for (i, part) in keys.chunks(per_part).enumerate() {
            let (db, part) = (self.clone(), part.to_vec());
            parts.spawn(async move { (i, db.suppressions_by_key(account_id, &part, now).await) });
        }
        let mut found = Vec::new();
        while let Some(done) = parts.join_next().await {
            let (i, entries) = done.context("A part of the gate's read stopped")?;
            found.push((i, entries?));
        }
        found.sort_by_key(|(i, _)| *i);
        let entries: Vec<Suppression> = found.into_iter().flat_map(|(_, e)| e).collect();

        // Most accounts never reactivated anyone: then there is nothing to probe.
        let any_override: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM suppression_overrides WHERE account_id = $1 LIMIT 1")
                .bind(account_id.0)
                .fetch_optional(self.pool())
                .await
                .context("Failed to look for overrides")?;
        let overrides = match any_override {
            None => Vec::new(),
            Some(_) => self.overrides_matching(account_id, recipients).await?,
        };
        Ok((entries, overrides))
    }

    /// The active entries for `account` (its own and global ones) whose address key is one
    /// of `keys` (sorted).
    async fn suppressions_by_key(
        &self,
        account_id: AccountId,
        keys: &[i64],
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Suppression>> {
        use std::fmt::Write;
        // The keys as an array literal read as a table, and the matches aggregated into one
        // row back: a hundred thousand rows one by one cost more (each a hand-over from the
        // driver, each value converted) than the probes that found them.
        let crate::storage::dialect::KeyListSql {
            open,
            close,
            agg,
            close_agg,
        } = self.backend().key_list();
        let from = self
            .backend()
            .probe_join(false, "suppressions", "s", "address_hash");

        let mut list = String::with_capacity(keys.len() * 21 + 2);
        list.push(open);
        for (i, k) in keys.iter().enumerate() {
            if i > 0 {
                list.push(',');
            }
            let _ = write!(list, "{k}");
        }
        list.push(close);
        let sql = format!(
            "SELECT {agg}s.address, s.account_id, s.kind, s.reason, s.since, s.until, \
             s.event_id, s.basis, s.confirmations, s.stream{close_agg} AS found FROM {from} \
             WHERE (s.account_id IS NULL OR s.account_id = $2) \
             AND (s.until IS NULL OR s.until > $3)"
        );
        let mut tx = self.pool().begin().await.context("Failed to begin")?;
        if let Some(fix) = self.backend().fix_key_probe_plan() {
            sqlx::query(fix)
                .execute(&mut *tx)
                .await
                .context("Failed to fix the gate's plan")?;
        }
        let found: Option<String> = sqlx::query_scalar(&sql)
            .bind(list)
            .bind(account_id.0)
            .bind(to_ms(now))
            .fetch_one(&mut *tx)
            .await
            .context("Failed to match recipients against suppressions")?;
        tx.commit().await.context("Failed to end the gate's read")?;
        type Found = (
            String,
            Option<i64>,
            String,
            String,
            i64,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<i64>,
            String,
        );
        let found: Vec<Found> = match found {
            None => Vec::new(),
            Some(json) => {
                serde_json::from_str(&json).context("Failed to read the gate's matches")?
            }
        };
        found
            .into_iter()
            .map(
                |(
                    address,
                    account,
                    kind,
                    reason,
                    since,
                    until,
                    event_id,
                    basis,
                    confirmations,
                    stream,
                )| {
                    Ok(Suppression {
                        address: EmailAddress::parse(&address)
                            .with_context(|| format!("stored address {address:?} is not valid"))?,
                        scope: scope_of(account),
                        kind: SuppressionKind::parse(&kind)
                            .with_context(|| format!("unknown suppression kind {kind:?}"))?,
                        stream: parse_stream(&stream)?,
                        reason,
                        since: from_ms(since),
                        until: until.map(from_ms),
                        event_id,
                        basis: basis.and_then(|b| GlobalBasis::from_parts(&b, confirmations)),
                    })
                },
            )
            .collect()
    }

    /// The account's overrides for any of `recipients`.
    async fn overrides_matching(
        &self,
        account_id: AccountId,
        recipients: &[EmailAddress],
    ) -> anyhow::Result<Vec<Override>> {
        let mut sorted: Vec<&str> = recipients.iter().map(EmailAddress::as_str).collect();
        sorted.sort_unstable();
        sorted.dedup();
        let list = serde_json::to_string(&sorted).context("Failed to encode the recipients")?;
        let from = self
            .backend()
            .probe_join(true, "suppression_overrides", "o", "address");

        sqlx::query(&format!(
            "SELECT o.account_id AS account_id, o.address AS address, o.reason AS reason, \
             o.since AS since FROM {from} WHERE o.account_id = $2"
        ))
        .bind(list)
        .bind(account_id.0)
        .fetch_all(self.pool())
        .await
        .context("Failed to match recipients against overrides")?
        .iter()
        .map(override_from_row)
        .collect()
    }
}
