//! Pauses of bulk mail per mailbox provider (issue 18): one row per pause, open until an admin
//! resumes it.

use super::{col, from_ms, to_ms, Db};
use crate::domain::suppression::provider_family::ProviderFamily;
use crate::domain::suppression::provider_guardrail::PauseState;
use crate::domain::suppression::AccountId;
use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

/// The latest pause of one provider for an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PauseRow {
    pub id: i64,
    pub provider: ProviderFamily,
    pub paused_at: DateTime<Utc>,
    pub sent: i64,
    pub complaints: i64,
    pub resumed_at: Option<DateTime<Utc>>,
    pub resumed_by: Option<String>,
    pub resume_reason: Option<String>,
}

impl PauseRow {
    pub fn state(&self) -> PauseState {
        match self.resumed_at {
            None => PauseState::Paused { at: self.paused_at },
            Some(at) => PauseState::Resumed { at },
        }
    }
}

impl Db {
    /// The latest pause of each provider the account ever paused.
    pub async fn provider_pauses(&self, account_id: AccountId) -> anyhow::Result<Vec<PauseRow>> {
        let rows = sqlx::query(
            "SELECT id, provider, paused_at, sent, complaints, resumed_at, resumed_by, \
             resume_reason FROM provider_pauses p WHERE account_id = $1 AND id = \
             (SELECT max(q.id) FROM provider_pauses q WHERE q.account_id = p.account_id \
              AND q.provider = p.provider) ORDER BY provider",
        )
        .bind(account_id.0)
        .fetch_all(self.pool())
        .await
        .context("Failed to read provider pauses")?;
        rows.iter()
            .filter_map(|r| {
                let provider: String = match col(r, "provider") {
                    Ok(p) => p,
                    Err(e) => return Some(Err(e)),
                };
                // A name this version does not know is skipped rather than failing the page.
                let provider = ProviderFamily::parse(&provider)?;
                Some((|| {
                    let resumed: Option<i64> = col(r, "resumed_at")?;
                    Ok(PauseRow {
                        id: col(r, "id")?,
                        provider,
                        paused_at: from_ms(col(r, "paused_at")?),
                        sent: col(r, "sent")?,
                        complaints: col(r, "complaints")?,
                        resumed_at: resumed.map(from_ms),
                        resumed_by: col(r, "resumed_by")?,
                        resume_reason: col(r, "resume_reason")?,
                    })
                })())
            })
            .collect()
    }

    /// The latest complaint per recipient domain received since `since`.
    pub async fn latest_complaints_by_domain(
        &self,
        account_id: AccountId,
        since: DateTime<Utc>,
    ) -> anyhow::Result<Vec<(String, DateTime<Utc>)>> {
        let rows = sqlx::query(
            "SELECT recipient_domain AS domain, max(received_at) AS at FROM delivery_events \
             WHERE account_id = $1 AND category IN ('spam_complaint_auto', 'spam_complaint_manual') \
             AND recipient_domain IS NOT NULL AND received_at >= $2 GROUP BY recipient_domain",
        )
        .bind(account_id.0)
        .bind(to_ms(since))
        .fetch_all(self.pool())
        .await
        .context("Failed to read the latest complaints")?;
        rows.iter()
            .map(|r| Ok((col(r, "domain")?, from_ms(col(r, "at")?))))
            .collect()
    }
}

/// Opens a pause of `provider` unless one is open already; true when this call opened it.
pub async fn open_pause(
    conn: &mut AnyConnection,
    account_id: AccountId,
    provider: ProviderFamily,
    at: DateTime<Utc>,
    sent: i64,
    complaints: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO provider_pauses (account_id, provider, paused_at, sent, complaints) \
         SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM provider_pauses \
         WHERE account_id = $1 AND provider = $2 AND resumed_at IS NULL)",
    )
    .bind(account_id.0)
    .bind(provider.as_str())
    .bind(to_ms(at))
    .bind(sent)
    .bind(complaints)
    .execute(conn)
    .await
    .context("Failed to store a provider pause")?;
    Ok(done.rows_affected() > 0)
}

/// Ends the open pause of `provider`; false when none was open.
pub async fn resume(
    conn: &mut AnyConnection,
    account_id: AccountId,
    provider: ProviderFamily,
    at: DateTime<Utc>,
    actor: &str,
    reason: &str,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE provider_pauses SET resumed_at = $3, resumed_by = $4, resume_reason = $5 \
         WHERE account_id = $1 AND provider = $2 AND resumed_at IS NULL",
    )
    .bind(account_id.0)
    .bind(provider.as_str())
    .bind(to_ms(at))
    .bind(actor)
    .bind(reason)
    .execute(conn)
    .await
    .context("Failed to resume a provider")?;
    Ok(done.rows_affected() > 0)
}
