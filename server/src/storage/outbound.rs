//! Outbound storage: sender addresses, the sending state of outbound messages (attempts,
//! retries, who accepted them), and the daily counts behind the complaint-rate chart.

use super::{col, from_ms, to_ms, Db};
use crate::domain::suppression::complaint_rate::RateStatus;
use crate::domain::suppression::AccountId;
use crate::domain::transport_config::{Security, TransportConfig};
use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderAddress {
    pub id: i64,
    pub account_id: AccountId,
    pub address: String,
    pub name: Option<String>,
    /// `transactional` or `bulk`.
    pub kind: String,
    pub transport: TransportConfig,
}

#[derive(Debug, Clone)]
pub struct NewSender<'a> {
    pub account_id: AccountId,
    pub address: &'a str,
    pub name: Option<&'a str>,
    pub kind: &'a str,
    pub transport: &'a TransportConfig,
}

/// An outbound message due for (another) attempt.
#[derive(Debug, Clone)]
pub struct PendingSend {
    pub message_id: i64,
    pub account_id: AccountId,
    pub sender_id: i64,
    pub to_addr: String,
    pub return_path: String,
    pub message_id_header: Option<String>,
    pub raw: Vec<u8>,
    pub attempts: i64,
}

/// Per day (UTC, as days since 1970-01-01): messages sent and complaints received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DayCount {
    pub day: i64,
    pub sent: i64,
    pub complaints: i64,
}

/// One recipient domain's sent, complaint and bounce counts on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainDayCount {
    pub domain: String,
    pub day: i64,
    pub sent: i64,
    pub complaints: i64,
    /// Hard and soft bounces.
    pub bounces: i64,
}

const SENDER_COLUMNS: &str = "id, account_id, address, name, kind, transport, smtp_host, \
    smtp_port, smtp_security, smtp_username, smtp_password, api_url, api_token, shared";

fn sender_from_row(db: &Db, r: &AnyRow) -> anyhow::Result<SenderAddress> {
    let transport: String = col(r, "transport")?;
    let shared: i64 = col(r, "shared")?;
    let config = match transport.as_str() {
        // The deployment's shared transport: its settings are the operator's, not stored here.
        _ if shared != 0 => TransportConfig::Shared,
        "smtp" => {
            let security: Option<String> = col(r, "smtp_security")?;
            let user: Option<String> = col(r, "smtp_username")?;
            let password = db.open("smtp_password", col(r, "smtp_password")?)?;
            TransportConfig::Smtp {
                host: col::<Option<String>>(r, "smtp_host")?.unwrap_or_default(),
                port: col::<Option<i64>>(r, "smtp_port")?
                    .and_then(|p| u16::try_from(p).ok())
                    .unwrap_or(25),
                security: security
                    .as_deref()
                    .and_then(Security::parse)
                    .unwrap_or(Security::StartTls),
                login: user.zip(password),
            }
        }
        "postmark" => TransportConfig::Postmark {
            base_url: col::<Option<String>>(r, "api_url")?.unwrap_or_default(),
            server_token: db
                .open("api_token", col(r, "api_token")?)?
                .unwrap_or_default(),
        },
        other => anyhow::bail!("unknown transport {other:?}"),
    };
    Ok(SenderAddress {
        id: col(r, "id")?,
        account_id: AccountId(col(r, "account_id")?),
        address: col(r, "address")?,
        name: col(r, "name")?,
        kind: col(r, "kind")?,
        transport: config,
    })
}

impl Db {
    /// Adds a sender address; `None` when the account already has this address.
    pub async fn add_sender(
        &self,
        s: &NewSender<'_>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<i64>> {
        let (transport, host, port, security, user, password, url, token) = match s.transport {
            TransportConfig::Smtp {
                host,
                port,
                security,
                login,
            } => (
                "smtp",
                Some(host.clone()),
                Some(*port as i64),
                Some(security.as_str()),
                login.as_ref().map(|l| l.0.clone()),
                login.as_ref().map(|l| l.1.clone()),
                None,
                None,
            ),
            TransportConfig::Postmark {
                base_url,
                server_token,
            } => (
                "postmark",
                None,
                None,
                None,
                None,
                None,
                Some(base_url.clone()),
                Some(server_token.clone()),
            ),
            // The transport column allows 'smtp' and 'postmark' only; `shared` says which.
            TransportConfig::Shared => ("smtp", None, None, None, None, None, None, None),
        };
        let shared = i64::from(*s.transport == TransportConfig::Shared);
        sqlx::query_scalar(
            "INSERT INTO sender_addresses (account_id, address, name, kind, transport, smtp_host, \
             smtp_port, smtp_security, smtp_username, smtp_password, api_url, api_token, created_at, \
             shared) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (account_id, address) DO NOTHING RETURNING id",
        )
        .bind(s.account_id.0)
        .bind(s.address.trim().to_lowercase())
        .bind(s.name)
        .bind(s.kind)
        .bind(transport)
        .bind(host)
        .bind(port)
        .bind(security)
        .bind(user)
        .bind(self.seal("smtp_password", password))
        .bind(url)
        .bind(self.seal("api_token", token))
        .bind(to_ms(now))
        .bind(shared)
        .fetch_optional(self.pool())
        .await
        .context("Failed to add a sender address")
    }

    pub async fn senders(&self, account_id: AccountId) -> anyhow::Result<Vec<SenderAddress>> {
        let rows = sqlx::query(&format!(
            "SELECT {SENDER_COLUMNS} FROM sender_addresses WHERE account_id = $1 ORDER BY kind DESC, id"
        ))
        .bind(account_id.0)
        .fetch_all(self.pool())
        .await
        .context("Failed to list sender addresses")?;
        rows.iter().map(|r| sender_from_row(self, r)).collect()
    }

    pub async fn sender(
        &self,
        account_id: AccountId,
        id: i64,
    ) -> anyhow::Result<Option<SenderAddress>> {
        let row = sqlx::query(&format!(
            "SELECT {SENDER_COLUMNS} FROM sender_addresses WHERE account_id = $1 AND id = $2"
        ))
        .bind(account_id.0)
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .context("Failed to read a sender address")?;
        row.as_ref().map(|r| sender_from_row(self, r)).transpose()
    }

    /// Seals the relay passwords, API tokens and Mailgun signing keys stored in plaintext
    /// (before encryption) or under an old key; returns how many values it sealed. Run at
    /// start; safe to run again.
    pub async fn seal_secrets(&self) -> anyhow::Result<usize> {
        let Some(secrets) = self.secrets.clone() else {
            return Ok(0);
        };
        let rows = sqlx::query("SELECT id, smtp_password, api_token FROM sender_addresses")
            .fetch_all(self.pool())
            .await
            .context("Failed to read stored secrets")?;
        let mut sealed = 0;
        for r in rows {
            let id: i64 = col(&r, "id")?;
            for column in ["smtp_password", "api_token"] {
                let Some(stored) = col::<Option<String>>(&r, column)? else {
                    continue;
                };
                if !secrets.needs_sealing(&stored) {
                    continue;
                }
                let plain = secrets
                    .open(column, &stored)
                    .with_context(|| format!("sender address {id}'s {column}"))?;
                // Only the value read is replaced: a concurrent change wins.
                sqlx::query(&format!(
                    "UPDATE sender_addresses SET {column} = $1 WHERE id = $2 AND {column} = $3"
                ))
                .bind(secrets.seal(column, &plain))
                .bind(id)
                .bind(&stored)
                .execute(self.pool())
                .await
                .context("Failed to seal a stored secret")?;
                sealed += 1;
            }
        }
        // Webhook credentials' Mailgun signing keys (stored in the clear before 0011).
        let purpose = super::deliverability::MAILGUN_KEY_PURPOSE;
        let rows = sqlx::query(
            "SELECT id, mailgun_signing_key FROM webhook_credentials \
             WHERE mailgun_signing_key IS NOT NULL",
        )
        .fetch_all(self.pool())
        .await
        .context("Failed to read stored signing keys")?;
        for r in rows {
            let id: i64 = col(&r, "id")?;
            let stored: String = col(&r, "mailgun_signing_key")?;
            if !secrets.needs_sealing(&stored) {
                continue;
            }
            let plain = secrets
                .open(purpose, &stored)
                .with_context(|| format!("webhook credential {id}'s Mailgun signing key"))?;
            sqlx::query(
                "UPDATE webhook_credentials SET mailgun_signing_key = $1 \
                 WHERE id = $2 AND mailgun_signing_key = $3",
            )
            .bind(secrets.seal(purpose, &plain))
            .bind(id)
            .bind(&stored)
            .execute(self.pool())
            .await
            .context("Failed to seal a stored signing key")?;
            sealed += 1;
        }
        Ok(sealed)
    }

    /// The newest inbound Message-ID of a conversation and its References chain, to answer it.
    pub async fn last_inbound_ids(
        &self,
        account_id: AccountId,
        conversation_id: i64,
    ) -> anyhow::Result<Vec<String>> {
        sqlx::query_scalar(
            "SELECT message_id_header FROM messages WHERE account_id = $1 AND conversation_id = $2 \
             AND message_id_header IS NOT NULL ORDER BY created_at, id",
        )
        .bind(account_id.0)
        .bind(conversation_id)
        .fetch_all(self.pool())
        .await
        .context("Failed to read a conversation's Message-IDs")
    }

    /// Outbound messages whose retry is due, oldest first.
    pub async fn due_retries(&self, now: DateTime<Utc>, limit: i64) -> anyhow::Result<Vec<i64>> {
        sqlx::query_scalar(
            "SELECT id FROM messages WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at, id LIMIT $2",
        )
        .bind(to_ms(now))
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .context("Failed to list due retries")
    }

    /// Claims a due retry so that one replica sends it: `None` when someone else did.
    pub async fn claim_retry(
        &self,
        message_id: i64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<PendingSend>> {
        let claimed = sqlx::query(
            "UPDATE messages SET next_attempt_at = NULL WHERE id = $1 \
             AND next_attempt_at IS NOT NULL AND next_attempt_at <= $2",
        )
        .bind(message_id)
        .bind(to_ms(now))
        .execute(self.pool())
        .await
        .context("Failed to claim a retry")?;
        if claimed.rows_affected() == 0 {
            return Ok(None);
        }
        self.pending_send(message_id).await
    }

    pub async fn pending_send(&self, message_id: i64) -> anyhow::Result<Option<PendingSend>> {
        let row = sqlx::query(
            "SELECT id, account_id, sender_id, to_addr, return_path, message_id_header, raw_source, \
             attempts FROM messages WHERE id = $1 AND direction = 'outbound'",
        )
        .bind(message_id)
        .fetch_optional(self.pool())
        .await
        .context("Failed to read an outbound message")?;
        let Some(r) = row else { return Ok(None) };
        let (Some(sender_id), Some(return_path), Some(raw)) = (
            col::<Option<i64>>(&r, "sender_id")?,
            col::<Option<String>>(&r, "return_path")?,
            col::<Option<Vec<u8>>>(&r, "raw_source")?,
        ) else {
            return Ok(None);
        };
        Ok(Some(PendingSend {
            message_id: col(&r, "id")?,
            account_id: AccountId(col(&r, "account_id")?),
            sender_id,
            to_addr: col(&r, "to_addr")?,
            return_path,
            message_id_header: col(&r, "message_id_header")?,
            raw,
            attempts: col(&r, "attempts")?,
        }))
    }

    pub async fn rate_status(&self, account_id: AccountId) -> anyhow::Result<RateStatus> {
        let s: String = sqlx::query_scalar("SELECT rate_status FROM accounts WHERE id = $1")
            .bind(account_id.0)
            .fetch_one(self.pool())
            .await
            .context("Failed to read the rate status")?;
        Ok(match s.as_str() {
            "warning" => RateStatus::Warning,
            "paused" => RateStatus::Paused,
            _ => RateStatus::Ok,
        })
    }

    pub async fn set_rate_status(
        &self,
        account_id: AccountId,
        status: RateStatus,
    ) -> anyhow::Result<()> {
        sqlx::query("UPDATE accounts SET rate_status = $1 WHERE id = $2")
            .bind(status.as_str())
            .bind(account_id.0)
            .execute(self.pool())
            .await
            .context("Failed to store the rate status")?;
        Ok(())
    }

    /// Daily sent and complaint counts per recipient domain for the account, days
    /// `[from_day, to_day]` (only days with something in them).
    pub async fn daily_domain_counts(
        &self,
        account_id: AccountId,
        from_day: i64,
        to_day: i64,
    ) -> anyhow::Result<Vec<DomainDayCount>> {
        const DAY_MS: i64 = 86_400_000;
        let (from_ms, to_ms_) = (from_day * DAY_MS, (to_day + 1) * DAY_MS);
        // The part after the '@': the two dialects spell it differently.
        let domain_of = |column: &str| self.backend().domain_of(column);

        let queries = [
            (
                format!(
                    "SELECT {d} AS domain, created_at / 86400000 AS day, COUNT(*) AS n FROM messages \
                     WHERE account_id = $1 AND direction = 'outbound' AND created_at >= $2 \
                     AND created_at < $3 GROUP BY {d}, created_at / 86400000",
                    d = domain_of("to_addr")
                ),
                0,
            ),
            (
                format!(
                    "SELECT {d} AS domain, r.sent_at / 86400000 AS day, COUNT(*) AS n \
                     FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id \
                     WHERE c.account_id = $1 AND r.status = 'sent' AND r.sent_at >= $2 \
                     AND r.sent_at < $3 GROUP BY {d}, r.sent_at / 86400000",
                    d = domain_of("r.address")
                ),
                0,
            ),
            (
                "SELECT recipient_domain AS domain, received_at / 86400000 AS day, COUNT(*) AS n \
                 FROM delivery_events WHERE account_id = $1 \
                 AND category IN ('spam_complaint_auto', 'spam_complaint_manual') \
                 AND recipient_domain IS NOT NULL AND received_at >= $2 AND received_at < $3 \
                 GROUP BY recipient_domain, received_at / 86400000"
                    .to_string(),
                1,
            ),
            (
                "SELECT recipient_domain AS domain, received_at / 86400000 AS day, COUNT(*) AS n \
                 FROM delivery_events WHERE account_id = $1 \
                 AND category IN ('hard_bounce', 'soft_bounce') \
                 AND recipient_domain IS NOT NULL AND received_at >= $2 AND received_at < $3 \
                 GROUP BY recipient_domain, received_at / 86400000"
                    .to_string(),
                2,
            ),
        ];
        // (sent, complaints, bounces)
        let mut by: std::collections::BTreeMap<(String, i64), [i64; 3]> = Default::default();
        for (sql, counter) in queries {
            let rows = sqlx::query(&sql)
                .bind(account_id.0)
                .bind(from_ms)
                .bind(to_ms_)
                .fetch_all(self.pool())
                .await
                .context("Failed to count per recipient domain")?;
            for r in rows.iter() {
                let domain: String = col(r, "domain")?;
                let day: i64 = col(r, "day")?;
                let n: i64 = col(r, "n")?;
                by.entry((domain, day)).or_default()[counter] += n;
            }
        }
        Ok(by
            .into_iter()
            .map(
                |((domain, day), [sent, complaints, bounces])| DomainDayCount {
                    domain,
                    day,
                    sent,
                    complaints,
                    bounces,
                },
            )
            .collect())
    }

    /// Daily sent and complaint counts for the account, days `[from_day, to_day]`.
    pub async fn daily_counts(
        &self,
        account_id: AccountId,
        from_day: i64,
        to_day: i64,
    ) -> anyhow::Result<Vec<DayCount>> {
        const DAY_MS: i64 = 86_400_000;
        let (from_ms, to_ms_) = (from_day * DAY_MS, (to_day + 1) * DAY_MS);
        let sent = sqlx::query(
            "SELECT created_at / 86400000 AS day, COUNT(*) AS n FROM messages \
             WHERE account_id = $1 AND direction = 'outbound' AND created_at >= $2 AND created_at < $3 \
             GROUP BY created_at / 86400000",
        )
        .bind(account_id.0)
        .bind(from_ms)
        .bind(to_ms_)
        .fetch_all(self.pool())
        .await
        .context("Failed to count sent messages per day")?;
        let campaign_sent = sqlx::query(
            "SELECT r.sent_at / 86400000 AS day, COUNT(*) AS n FROM campaign_recipients r \
             JOIN campaigns c ON c.id = r.campaign_id WHERE c.account_id = $1 AND r.status = 'sent' \
             AND r.sent_at >= $2 AND r.sent_at < $3 GROUP BY r.sent_at / 86400000",
        )
        .bind(account_id.0)
        .bind(from_ms)
        .bind(to_ms_)
        .fetch_all(self.pool())
        .await
        .context("Failed to count campaign messages per day")?;
        let complaints = sqlx::query(
            "SELECT received_at / 86400000 AS day, COUNT(*) AS n FROM delivery_events \
             WHERE account_id = $1 AND category IN ('spam_complaint_auto', 'spam_complaint_manual') \
             AND received_at >= $2 AND received_at < $3 GROUP BY received_at / 86400000",
        )
        .bind(account_id.0)
        .bind(from_ms)
        .bind(to_ms_)
        .fetch_all(self.pool())
        .await
        .context("Failed to count complaints per day")?;
        let mut days: Vec<DayCount> = (from_day..=to_day)
            .map(|day| DayCount {
                day,
                ..DayCount::default()
            })
            .collect();
        for (rows, complaint) in [(&sent, false), (&campaign_sent, false), (&complaints, true)] {
            for r in rows.iter() {
                let day: i64 = col(r, "day")?;
                let n: i64 = col(r, "n")?;
                if let Some(d) = days.get_mut((day - from_day) as usize) {
                    if complaint {
                        d.complaints += n;
                    } else {
                        d.sent += n;
                    }
                }
            }
        }
        Ok(days)
    }

    /// Delivery events of the last days by category and by recipient domain (most first).
    pub async fn event_breakdown(
        &self,
        account_id: AccountId,
        since: DateTime<Utc>,
    ) -> anyhow::Result<(Vec<(String, i64)>, Vec<(String, String, i64)>)> {
        let by_category = sqlx::query(
            "SELECT category, COUNT(*) AS n FROM delivery_events WHERE account_id = $1 \
             AND received_at >= $2 GROUP BY category ORDER BY COUNT(*) DESC, category",
        )
        .bind(account_id.0)
        .bind(to_ms(since))
        .fetch_all(self.pool())
        .await
        .context("Failed to count events by category")?
        .iter()
        .map(|r| Ok((col(r, "category")?, col(r, "n")?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
        let by_domain = sqlx::query(
            "SELECT recipient_domain, category, COUNT(*) AS n FROM delivery_events \
             WHERE account_id = $1 AND received_at >= $2 AND recipient_domain IS NOT NULL \
             AND category <> 'delivered' GROUP BY recipient_domain, category \
             ORDER BY COUNT(*) DESC, recipient_domain LIMIT 50",
        )
        .bind(account_id.0)
        .bind(to_ms(since))
        .fetch_all(self.pool())
        .await
        .context("Failed to count events by domain")?
        .iter()
        .map(|r| {
            Ok((
                col(r, "recipient_domain")?,
                col(r, "category")?,
                col(r, "n")?,
            ))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
        Ok((by_category, by_domain))
    }
}

/// Records an outbound message's sending details right after it is stored.
/// `shared`: it goes out through the deployment's shared transport.
pub async fn set_outbound(
    conn: &mut AnyConnection,
    message_id: i64,
    sender_id: i64,
    return_path: &str,
    shared: bool,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE messages SET sender_id = $1, return_path = $2, delivery_status = 'pending', \
         shared_transport = $4 WHERE id = $3",
    )
    .bind(sender_id)
    .bind(return_path)
    .bind(message_id)
    .bind(i64::from(shared))
    .execute(conn)
    .await
    .context("Failed to record an outbound message")?;
    Ok(())
}

/// One more attempt was made; `accepted_by` and the provider's id when it was accepted.
pub async fn record_attempt(
    conn: &mut AnyConnection,
    message_id: i64,
    provider_message_id: Option<&str>,
    accepted: Option<(&str, DateTime<Utc>)>,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE messages SET attempts = attempts + 1, \
         provider_message_id = COALESCE($1, provider_message_id) WHERE id = $2",
    )
    .bind(provider_message_id)
    .bind(message_id)
    .execute(&mut *conn)
    .await
    .context("Failed to count an attempt")?;
    if let Some((by, at)) = accepted {
        sqlx::query("UPDATE messages SET accepted_by = $1 WHERE id = $2")
            .bind(by)
            .bind(message_id)
            .execute(&mut *conn)
            .await
            .context("Failed to record who accepted a message")?;
        super::deliverability::mark_message_accepted(conn, message_id, at).await?;
    }
    Ok(())
}

/// A 4xx: try again at `at`; `error` says what the last attempt got.
pub async fn defer(
    conn: &mut AnyConnection,
    message_id: i64,
    at: DateTime<Utc>,
    error: &serde_json::Value,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE messages SET next_attempt_at = $1, delivery_error = $2 WHERE id = $3")
        .bind(to_ms(at))
        .bind(error.to_string())
        .bind(message_id)
        .execute(conn)
        .await
        .context("Failed to defer a message")?;
    Ok(())
}

/// What the timeline shows about an outbound message's sending.
#[derive(Debug, Clone, PartialEq)]
pub struct SendingState {
    pub accepted_by: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub attempts: i64,
}

pub fn sending_state(r: &AnyRow) -> anyhow::Result<SendingState> {
    Ok(SendingState {
        accepted_by: col(r, "accepted_by")?,
        next_attempt_at: col::<Option<i64>>(r, "next_attempt_at")?.map(from_ms),
        attempts: col(r, "attempts")?,
    })
}
