//! One address's suppression history as an account may see it: its own entries and the global
//! ones, each with the event behind it, and its own reactivations. The raw notice and the
//! provider's words of an event come back only when the event is the account's own: another
//! account's notice never leaves it (a global entry shows its basis instead).

use super::{col, from_ms, Db};
use crate::domain::address::EmailAddress;
use crate::domain::suppression::AccountId;
use anyhow::Context;
use chrono::{DateTime, Utc};

/// A suppression entry with the event behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub id: i64,
    /// `None`: for every account.
    pub account_id: Option<i64>,
    pub kind: String,
    pub reason: String,
    pub since: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
    pub released_at: Option<DateTime<Utc>>,
    /// `shared_transport` or `quorum` for a global entry; and how many accounts confirmed.
    pub basis: Option<String>,
    pub confirmations: Option<i64>,
    pub event: Option<HistoryEvent>,
}

/// The delivery event behind an entry.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    pub id: i64,
    /// The event was reported to the asking account (its details and raw notice are shown).
    pub own: bool,
    pub category: String,
    pub status: Option<String>,
    pub reply_code: Option<i64>,
    pub received_at: DateTime<Utc>,
    /// Only for the account's own events: the provider and its words.
    pub provider: Option<String>,
    pub reason: Option<String>,
    pub diagnostic: Option<String>,
    pub remote_mta: Option<String>,
    pub feedback_type: Option<String>,
    /// Only for the account's own events: the payload or notice as received.
    pub raw: Option<Vec<u8>>,
}

/// An admin's reactivation of the address for the account.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryOverride {
    pub reason: String,
    pub actor: String,
    pub since: DateTime<Utc>,
}

impl Db {
    /// The address's entries (newest first) and reactivations for `account_id`.
    pub async fn address_history(
        &self,
        account_id: AccountId,
        address: &EmailAddress,
    ) -> anyhow::Result<(Vec<HistoryEntry>, Vec<HistoryOverride>)> {
        let found = sqlx::query(
            "SELECT s.id AS id, s.account_id AS account_id, s.kind AS kind, s.reason AS reason, \
             s.since AS since, s.until AS until, s.released_at AS released_at, \
             s.basis AS basis, s.confirmations AS confirmations, \
             e.id AS event_id, e.account_id AS event_account, e.category AS category, \
             e.status AS status, e.reply_code AS reply_code, e.received_at AS received_at, \
             CASE WHEN e.account_id = $2 THEN e.provider END AS provider, \
             CASE WHEN e.account_id = $2 THEN e.reason END AS event_reason, \
             CASE WHEN e.account_id = $2 THEN e.diagnostic END AS diagnostic, \
             CASE WHEN e.account_id = $2 THEN e.remote_mta END AS remote_mta, \
             CASE WHEN e.account_id = $2 THEN e.feedback_type END AS feedback_type, \
             CASE WHEN e.account_id = $2 THEN e.raw END AS raw \
             FROM suppressions s LEFT JOIN delivery_events e ON e.id = s.event_id \
             WHERE s.address_hash = $3 AND s.address = $1 \
             AND (s.account_id IS NULL OR s.account_id = $2) \
             ORDER BY s.since DESC, s.id DESC",
        )
        .bind(address.as_str())
        .bind(account_id.0)
        .bind(address.key_hash())
        .fetch_all(self.pool())
        .await
        .context("Failed to read an address's suppressions")?;
        let entries = found
            .iter()
            .map(|r| {
                let until: Option<i64> = col(r, "until")?;
                let released: Option<i64> = col(r, "released_at")?;
                let event_id: Option<i64> = col(r, "event_id")?;
                let event = match event_id {
                    None => None,
                    Some(id) => {
                        let event_account: i64 = col(r, "event_account")?;
                        Some(HistoryEvent {
                            id,
                            own: event_account == account_id.0,
                            category: col(r, "category")?,
                            status: col(r, "status")?,
                            reply_code: col(r, "reply_code")?,
                            received_at: from_ms(col(r, "received_at")?),
                            provider: col(r, "provider")?,
                            reason: col(r, "event_reason")?,
                            diagnostic: col(r, "diagnostic")?,
                            remote_mta: col(r, "remote_mta")?,
                            feedback_type: col(r, "feedback_type")?,
                            raw: col(r, "raw")?,
                        })
                    }
                };
                Ok(HistoryEntry {
                    id: col(r, "id")?,
                    account_id: col(r, "account_id")?,
                    kind: col(r, "kind")?,
                    reason: col(r, "reason")?,
                    since: from_ms(col(r, "since")?),
                    until: until.map(from_ms),
                    released_at: released.map(from_ms),
                    basis: col(r, "basis")?,
                    confirmations: col(r, "confirmations")?,
                    event,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let overrides = sqlx::query(
            "SELECT reason, actor, since FROM suppression_overrides \
             WHERE address = $1 AND account_id = $2 ORDER BY since DESC, id DESC",
        )
        .bind(address.as_str())
        .bind(account_id.0)
        .fetch_all(self.pool())
        .await
        .context("Failed to read an address's reactivations")?
        .iter()
        .map(|r| {
            Ok(HistoryOverride {
                reason: col(r, "reason")?,
                actor: col(r, "actor")?,
                since: from_ms(col(r, "since")?),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
        Ok((entries, overrides))
    }
}
