//! The delivery status of contacts (their badge) and of the messages we sent.

use super::suppressions::scope_account;
use crate::domain::address::EmailAddress;
use crate::domain::suppression::{AccountId, ContactEffect, Scope};
use crate::storage::batch::{execute_rows, json_rows, Ty};
use crate::storage::{col, from_ms, to_ms, Db};
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AnyConnection;
/// A contact's deliverability badge, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactStatus {
    /// `active`, `hard_bounce`, `soft_bounce`, `complaint` or `inactive`.
    pub status: String,
    pub until: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub event_id: Option<i64>,
}

/// The delivery status of an outbound message, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageDelivery {
    /// `pending`, `accepted` or `failed`; `None` for inbound messages.
    pub status: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// JSON `{category, reason, status, code, diagnostic, at}` when failed.
    pub error: Option<serde_json::Value>,
}

/// "Accepted at T", unless the message already failed (a failure is the news that matters).
pub async fn mark_message_accepted(
    conn: &mut AnyConnection,
    message_id: i64,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    mark_messages(conn, &[(message_id, at)], &[]).await
}

/// Applies a rule's [`ContactEffect`] to the contacts with `address`: every account's for a
/// global scope, the one account's otherwise. A temporary badge never replaces a permanent
/// one (`hard_bounce`, `inactive`); only a reactivation brings a contact back to `active`.
pub async fn apply_contact_effect(
    conn: &mut AnyConnection,
    scope: Scope,
    address: &EmailAddress,
    effect: ContactEffect,
    reason: Option<&str>,
    event_id: Option<i64>,
) -> anyhow::Result<()> {
    apply_contact_effects(
        conn,
        &[ContactUpdate {
            scope,
            address: address.clone(),
            effect,
            reason: reason.map(str::to_string),
            event_id,
        }],
    )
    .await
}

/// One contact update of a batch: the rule's effect on the contacts with `address`, every
/// account's for a global scope.
#[derive(Debug, Clone)]
pub struct ContactUpdate {
    pub scope: Scope,
    pub address: EmailAddress,
    pub effect: ContactEffect,
    pub reason: Option<String>,
    pub event_id: Option<i64>,
}

/// [`apply_contact_effect`] for many updates, in order, in few statements: one per "wave",
/// where a wave holds at most one update per address (so an address's updates still apply
/// one after the other, each seeing the status the one before left).
pub async fn apply_contact_effects(
    conn: &mut AnyConnection,
    updates: &[ContactUpdate],
) -> anyhow::Result<()> {
    let mut waves: Vec<Vec<&ContactUpdate>> = Vec::new();
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for u in updates
        .iter()
        .filter(|u| u.effect != ContactEffect::Unchanged)
    {
        let n = seen.entry(u.address.as_str()).or_insert(0);
        if waves.len() <= *n {
            waves.push(Vec::new());
        }
        waves[*n].push(u);
        *n += 1;
    }
    #[derive(Serialize)]
    struct Row<'a> {
        email: &'a str,
        /// `None` = every account's contacts.
        account_id: Option<i64>,
        status: &'a str,
        until_ms: Option<i64>,
        reason: Option<&'a str>,
        event_id: Option<i64>,
        /// A temporary badge never replaces a permanent one.
        keep_permanent: i64,
        /// A contact an account removed stays removed.
        hard: i64,
    }
    use Ty::{Int, Text};
    let sql = format!(
        "WITH v AS (SELECT * FROM {}) \
         UPDATE contacts SET status = v.status, status_until = v.until_ms, \
         status_reason = v.reason, status_event_id = v.event_id FROM v \
         WHERE contacts.email = v.email \
         AND (v.account_id IS NULL OR contacts.account_id = v.account_id) \
         AND (v.keep_permanent = 0 OR contacts.status NOT IN ('hard_bounce', 'inactive')) \
         AND (v.hard = 0 OR contacts.status <> 'inactive')",
        json_rows(
            conn,
            &[
                ("email", Text),
                ("account_id", Int),
                ("status", Text),
                ("until_ms", Int),
                ("reason", Text),
                ("event_id", Int),
                ("keep_permanent", Int),
                ("hard", Int),
            ]
        )
    );
    for wave in &waves {
        let rows: Vec<Row> = wave
            .iter()
            .map(|u| {
                let (status, until_ms, keep_permanent) = contact_status_of(u.effect);
                let (reason, event_id) = if u.effect == ContactEffect::MarkActive {
                    (None, None)
                } else {
                    (u.reason.as_deref(), u.event_id)
                };
                Row {
                    email: u.address.as_str(),
                    account_id: scope_account(u.scope),
                    status,
                    until_ms,
                    reason,
                    event_id,
                    keep_permanent: i64::from(keep_permanent),
                    hard: i64::from(u.effect == ContactEffect::MarkHardBounce),
                }
            })
            .collect();
        execute_rows(&mut *conn, &sql, &rows, "Failed to update contact statuses").await?;
    }
    Ok(())
}

/// The status a (changing) effect sets, until when, and whether it keeps a permanent one.
fn contact_status_of(effect: ContactEffect) -> (&'static str, Option<i64>, bool) {
    match effect {
        ContactEffect::Unchanged | ContactEffect::MarkActive => ("active", None, false),
        ContactEffect::MarkHardBounce => ("hard_bounce", None, false),
        ContactEffect::MarkSoftBounceUntil(t) => ("soft_bounce", Some(to_ms(t)), true),
        ContactEffect::MarkComplaintUntil(t) => ("complaint", Some(to_ms(t)), true),
        ContactEffect::RemoveFromActive => ("inactive", None, false),
    }
}

/// The delivery status of several messages we sent, in two statements: `accepted` (message,
/// time) unless already failed, then `failed` (message, error JSON). One entry per message
/// in each (the caller reduces an event sequence to its outcome).
pub async fn mark_messages(
    conn: &mut AnyConnection,
    accepted: &[(i64, DateTime<Utc>)],
    failed: &[(i64, String)],
) -> anyhow::Result<()> {
    use Ty::{Int, Text};
    if !accepted.is_empty() {
        let sql = format!(
            "WITH v AS (SELECT * FROM {}) \
             UPDATE messages SET delivery_status = 'accepted', delivered_at = v.at_ms FROM v \
             WHERE messages.id = v.id \
             AND (messages.delivery_status IS NULL OR messages.delivery_status <> 'failed')",
            json_rows(conn, &[("id", Int), ("at_ms", Int)])
        );
        let rows: Vec<serde_json::Value> = accepted
            .iter()
            .map(|(id, at)| serde_json::json!({"id": id, "at_ms": to_ms(*at)}))
            .collect();
        execute_rows(&mut *conn, &sql, &rows, "Failed to mark messages accepted").await?;
    }
    if !failed.is_empty() {
        let sql = format!(
            "WITH v AS (SELECT * FROM {}) \
             UPDATE messages SET delivery_status = 'failed', delivery_error = v.error FROM v \
             WHERE messages.id = v.id",
            json_rows(conn, &[("id", Int), ("error", Text)])
        );
        let rows: Vec<serde_json::Value> = failed
            .iter()
            .map(|(id, error)| serde_json::json!({"id": id, "error": error}))
            .collect();
        execute_rows(&mut *conn, &sql, &rows, "Failed to mark messages failed").await?;
    }
    Ok(())
}

impl Db {
    pub async fn contact_status(
        &self,
        account_id: AccountId,
        email: &str,
    ) -> anyhow::Result<Option<ContactStatus>> {
        let row = sqlx::query(
            "SELECT status, status_until, status_reason, status_event_id FROM contacts \
             WHERE account_id = $1 AND email = $2",
        )
        .bind(account_id.0)
        .bind(email.trim().to_lowercase())
        .fetch_optional(self.pool())
        .await
        .context("Failed to read a contact's status")?;
        row.map(|r| {
            let until: Option<i64> = col(&r, "status_until")?;
            Ok(ContactStatus {
                status: col(&r, "status")?,
                until: until.map(from_ms),
                reason: col(&r, "status_reason")?,
                event_id: col(&r, "status_event_id")?,
            })
        })
        .transpose()
    }

    pub async fn message_delivery(
        &self,
        account_id: AccountId,
        message_id: i64,
    ) -> anyhow::Result<Option<MessageDelivery>> {
        let row = sqlx::query(
            "SELECT delivery_status, delivered_at, delivery_error FROM messages \
             WHERE account_id = $1 AND id = $2",
        )
        .bind(account_id.0)
        .bind(message_id)
        .fetch_optional(self.pool())
        .await
        .context("Failed to read a message's delivery status")?;
        row.map(|r| {
            let at: Option<i64> = col(&r, "delivered_at")?;
            let error: Option<String> = col(&r, "delivery_error")?;
            Ok(MessageDelivery {
                status: col(&r, "delivery_status")?,
                delivered_at: at.map(from_ms),
                error: error
                    .map(|e| serde_json::from_str(&e))
                    .transpose()
                    .context("Failed to read a delivery error")?,
            })
        })
        .transpose()
    }

    /// Records how an outbound message was handed over: its provider id and `pending`.
    pub async fn set_message_sent(
        &self,
        account_id: AccountId,
        message_id: i64,
        provider_message_id: Option<&str>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE messages SET delivery_status = 'pending', provider_message_id = $1 \
             WHERE account_id = $2 AND id = $3",
        )
        .bind(provider_message_id)
        .bind(account_id.0)
        .bind(message_id)
        .execute(self.pool())
        .await
        .context("Failed to record a sent message")?;
        Ok(())
    }
}
