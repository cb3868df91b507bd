//! Contact lists, campaigns and their recipients.

use super::{batch, col, from_ms, to_ms, Db};
use crate::domain::suppression::AccountId;
use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

/// Rows per multi-row INSERT (3 binds each; well under SQLite's and PostgreSQL's limits).
const INSERT_CHUNK: usize = 1000;

/// Rows per JSON-batch statement: one parameter, a few hundred KiB of JSON.
const JSON_CHUNK: usize = 5000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    pub id: i64,
    pub name: String,
    pub members: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignRow {
    pub id: i64,
    pub account_id: AccountId,
    pub list_id: i64,
    pub list_name: String,
    pub sender_id: i64,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub total: i64,
    pub skipped_suppressed: i64,
    pub sent: i64,
    pub failed: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A recipient row to write when a campaign is prepared.
#[derive(Debug, Clone)]
pub struct NewRecipient {
    pub contact_id: i64,
    pub address: String,
    /// `queued` or `skipped`.
    pub status: &'static str,
    pub detail: Option<String>,
    /// The random key naming this recipient's message (Message-ID, VERP return path). Not a
    /// secret: the unsubscribe token is another one, issued when the message is sent.
    pub message_key: String,
}

#[derive(Debug, Clone)]
pub struct QueuedRecipient {
    pub id: i64,
    pub contact_id: i64,
    pub address: String,
    /// See [`NewRecipient::message_key`].
    pub message_key: String,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// Who an unsubscribe token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOwner {
    pub account_id: AccountId,
    pub account_name: String,
    pub address: String,
    pub campaign_id: i64,
}

/// What is stored of an unsubscribe token: SHA-256, hex. The token has 128 random bits, so a
/// plain hash (no salt, no stretching) cannot be reversed; a database leak unsubscribes nobody.
pub fn hash_token(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Db {
    /// Creates a list; `None` when the account already has one of that name.
    pub async fn create_list(
        &self,
        account_id: AccountId,
        name: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<i64>> {
        sqlx::query_scalar(
            "INSERT INTO contact_lists (account_id, name, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (account_id, name) DO NOTHING RETURNING id",
        )
        .bind(account_id.0)
        .bind(name)
        .bind(to_ms(now))
        .fetch_optional(self.pool())
        .await
        .context("Failed to create a list")
    }

    pub async fn lists(&self, account_id: AccountId) -> anyhow::Result<Vec<ListRow>> {
        let rows = sqlx::query(
            "SELECT l.id AS id, l.name AS name, (SELECT COUNT(*) FROM contact_list_members m \
             WHERE m.list_id = l.id) AS members FROM contact_lists l WHERE l.account_id = $1 ORDER BY l.name",
        )
        .bind(account_id.0)
        .fetch_all(self.pool())
        .await
        .context("Failed to list contact lists")?;
        rows.iter()
            .map(|r| {
                Ok(ListRow {
                    id: col(r, "id")?,
                    name: col(r, "name")?,
                    members: col(r, "members")?,
                })
            })
            .collect()
    }

    /// The list's members: (contact id, address), or `None` when it is not the account's.
    pub async fn list_members(
        &self,
        account_id: AccountId,
        list_id: i64,
    ) -> anyhow::Result<Option<Vec<(i64, String)>>> {
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM contact_lists WHERE id = $1 AND account_id = $2")
                .bind(list_id)
                .bind(account_id.0)
                .fetch_optional(self.pool())
                .await
                .context("Failed to read a list")?;
        if exists.is_none() {
            return Ok(None);
        }
        let rows = sqlx::query(
            "SELECT k.id AS id, k.email AS email FROM contact_list_members m \
             JOIN contacts k ON k.id = m.contact_id WHERE m.list_id = $1 ORDER BY k.id",
        )
        .bind(list_id)
        .fetch_all(self.pool())
        .await
        .context("Failed to read a list's members")?;
        Ok(Some(
            rows.iter()
                .map(|r| Ok((col(r, "id")?, col(r, "email")?)))
                .collect::<anyhow::Result<Vec<_>>>()?,
        ))
    }

    pub async fn campaigns(&self, account_id: AccountId) -> anyhow::Result<Vec<CampaignRow>> {
        self.campaign_rows("c.account_id = $1", account_id.0).await
    }

    pub async fn campaign(&self, campaign_id: i64) -> anyhow::Result<Option<CampaignRow>> {
        Ok(self
            .campaign_rows("c.id = $1", campaign_id)
            .await?
            .into_iter()
            .next())
    }

    async fn campaign_rows(&self, filter: &str, value: i64) -> anyhow::Result<Vec<CampaignRow>> {
        let rows = sqlx::query(&format!(
            "SELECT c.id AS id, c.account_id AS account_id, c.list_id AS list_id, l.name AS list_name, c.sender_id AS sender_id, \
             c.subject AS subject, c.body AS body, c.status AS status, c.total AS total, \
             c.skipped_suppressed AS skipped_suppressed, c.sent AS sent, c.failed AS failed, \
             c.created_by AS created_by, c.created_at AS created_at, c.finished_at AS finished_at \
             FROM campaigns c JOIN contact_lists l ON l.id = c.list_id WHERE {filter} \
             ORDER BY c.created_at DESC, c.id DESC LIMIT 100"
        ))
        .bind(value)
        .fetch_all(self.pool())
        .await
        .context("Failed to list campaigns")?;
        rows.iter()
            .map(|r| {
                Ok(CampaignRow {
                    id: col(r, "id")?,
                    account_id: AccountId(col(r, "account_id")?),
                    list_id: col(r, "list_id")?,
                    list_name: col(r, "list_name")?,
                    sender_id: col(r, "sender_id")?,
                    subject: col(r, "subject")?,
                    body: col(r, "body")?,
                    status: col(r, "status")?,
                    total: col(r, "total")?,
                    skipped_suppressed: col(r, "skipped_suppressed")?,
                    sent: col(r, "sent")?,
                    failed: col(r, "failed")?,
                    created_by: col(r, "created_by")?,
                    created_at: from_ms(col(r, "created_at")?),
                    finished_at: col::<Option<i64>>(r, "finished_at")?.map(from_ms),
                })
            })
            .collect()
    }

    /// Queued recipients due now (never tried, or their retry time has come).
    pub async fn next_queued(
        &self,
        campaign_id: i64,
        after_id: i64,
        limit: i64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<QueuedRecipient>> {
        let rows = sqlx::query(
            "SELECT id, contact_id, address, message_key, attempts FROM campaign_recipients \
             WHERE campaign_id = $1 AND status = 'queued' AND id > $4 \
             AND (next_attempt_at IS NULL OR next_attempt_at <= $3) ORDER BY id LIMIT $2",
        )
        .bind(campaign_id)
        .bind(limit)
        .bind(to_ms(now))
        .bind(after_id)
        .fetch_all(self.pool())
        .await
        .context("Failed to read queued recipients")?;
        rows.iter()
            .map(|r| {
                Ok(QueuedRecipient {
                    id: col(r, "id")?,
                    contact_id: col(r, "contact_id")?,
                    address: col(r, "address")?,
                    message_key: col(r, "message_key")?,
                    attempts: col(r, "attempts")?,
                })
            })
            .collect()
    }

    /// Issues `token` as the recipient's unsubscribe token: only its hash is kept (the token
    /// itself goes out in the message), and any token issued before stops working.
    pub async fn issue_unsubscribe_token(
        &self,
        recipient_id: i64,
        token: &str,
    ) -> anyhow::Result<()> {
        sqlx::query("UPDATE campaign_recipients SET unsubscribe_token = $1 WHERE id = $2")
            .bind(hash_token(token))
            .bind(recipient_id)
            .execute(self.pool())
            .await
            .context("Failed to issue an unsubscribe token")?;
        Ok(())
    }

    /// Hashes the unsubscribe tokens stored in the clear before migration 0010 (32 hex digits;
    /// a hash has 64). Returns how many.
    pub async fn hash_legacy_unsubscribe_tokens(&self) -> anyhow::Result<u64> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, unsubscribe_token FROM campaign_recipients \
             WHERE length(unsubscribe_token) = 32",
        )
        .fetch_all(self.pool())
        .await
        .context("Failed to read unhashed unsubscribe tokens")?;
        let mut tx = self.pool().begin().await.context("Failed to begin")?;
        for (id, token) in &rows {
            sqlx::query("UPDATE campaign_recipients SET unsubscribe_token = $1 WHERE id = $2")
                .bind(hash_token(token))
                .bind(id)
                .execute(&mut *tx)
                .await
                .context("Failed to hash an unsubscribe token")?;
        }
        tx.commit()
            .await
            .context("Failed to commit hashed tokens")?;
        Ok(rows.len() as u64)
    }

    /// Whose unsubscribe token `token` is (compared by hash).
    pub async fn token_owner(&self, token: &str) -> anyhow::Result<Option<TokenOwner>> {
        let row = sqlx::query(
            "SELECT c.account_id AS account_id, a.name AS account_name, r.address AS address, \
             r.campaign_id AS campaign_id FROM campaign_recipients r \
             JOIN campaigns c ON c.id = r.campaign_id JOIN accounts a ON a.id = c.account_id \
             WHERE r.unsubscribe_token = $1",
        )
        .bind(hash_token(token))
        .fetch_optional(self.pool())
        .await
        .context("Failed to look up an unsubscribe token")?;
        row.map(|r| {
            Ok(TokenOwner {
                account_id: AccountId(col(&r, "account_id")?),
                account_name: col(&r, "account_name")?,
                address: col(&r, "address")?,
                campaign_id: col(&r, "campaign_id")?,
            })
        })
        .transpose()
    }

    /// Recipients still queued (some may be waiting for a retry).
    pub async fn queued_count(&self, campaign_id: i64) -> anyhow::Result<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = $1 AND status IN ('queued', 'sending')",
        )
        .bind(campaign_id)
        .fetch_one(self.pool())
        .await
        .context("Failed to count queued recipients")
    }

    /// A campaign's recipients that were sent: (address, message key, Message-ID header), in
    /// order of sending.
    pub async fn sent_recipients(
        &self,
        campaign_id: i64,
    ) -> anyhow::Result<Vec<(String, String, String)>> {
        let rows = sqlx::query(
            "SELECT address, message_key, message_id_header FROM campaign_recipients \
             WHERE campaign_id = $1 AND status = 'sent' ORDER BY id",
        )
        .bind(campaign_id)
        .fetch_all(self.pool())
        .await
        .context("Failed to read a campaign's recipients")?;
        rows.iter()
            .map(|r| {
                Ok((
                    col(r, "address")?,
                    col::<Option<String>>(r, "message_key")?.unwrap_or_default(),
                    col::<Option<String>>(r, "message_id_header")?.unwrap_or_default(),
                ))
            })
            .collect()
    }

    /// The account's campaigns still sending (recipients held for a paused provider, or
    /// waiting for a retry).
    pub async fn sending_campaigns(&self, account_id: AccountId) -> anyhow::Result<Vec<i64>> {
        sqlx::query_scalar(
            "SELECT id FROM campaigns WHERE account_id = $1 AND status = 'sending' ORDER BY id",
        )
        .bind(account_id.0)
        .fetch_all(self.pool())
        .await
        .context("Failed to read the campaigns still sending")
    }

    /// Campaigns still sending that have a recipient due now.
    pub async fn campaigns_due(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<i64>> {
        sqlx::query_scalar(
            "SELECT DISTINCT r.campaign_id FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id \
             WHERE c.status = 'sending' AND r.status = 'queued' AND r.next_attempt_at IS NOT NULL \
             AND r.next_attempt_at <= $1",
        )
        .bind(to_ms(now))
        .fetch_all(self.pool())
        .await
        .context("Failed to find campaigns with due retries")
    }

    /// Claims a queued recipient for sending: false when another runner took it.
    pub async fn claim_recipient(&self, recipient_id: i64) -> anyhow::Result<bool> {
        let done = sqlx::query(
            "UPDATE campaign_recipients SET status = 'sending' WHERE id = $1 AND status = 'queued'",
        )
        .bind(recipient_id)
        .execute(self.pool())
        .await
        .context("Failed to claim a recipient")?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_campaign_status(
        &self,
        campaign_id: i64,
        status: &str,
        finished_at: Option<DateTime<Utc>>,
    ) -> anyhow::Result<()> {
        sqlx::query("UPDATE campaigns SET status = $1, finished_at = $2 WHERE id = $3")
            .bind(status)
            .bind(finished_at.map(to_ms))
            .bind(campaign_id)
            .execute(self.pool())
            .await
            .context("Failed to set a campaign's status")?;
        Ok(())
    }
}

pub async fn add_members(
    conn: &mut AnyConnection,
    list_id: i64,
    contact_ids: &[i64],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for chunk in contact_ids.chunks(INSERT_CHUNK) {
        let mut sql = String::from(
            "INSERT INTO contact_list_members (list_id, contact_id, added_at) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("($1, ${}, $2)", i + 3));
        }
        sql.push_str(" ON CONFLICT (list_id, contact_id) DO NOTHING");
        let mut q = sqlx::query(&sql).bind(list_id).bind(to_ms(now));
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut *conn)
            .await
            .context("Failed to add list members")?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_campaign(
    conn: &mut AnyConnection,
    account_id: AccountId,
    list_id: i64,
    sender_id: i64,
    subject: &str,
    body: &str,
    total: i64,
    skipped: i64,
    created_by: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO campaigns (account_id, list_id, sender_id, subject, body, status, total, \
         skipped_suppressed, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'sending', $6, $7, $8, $9) RETURNING id",
    )
    .bind(account_id.0)
    .bind(list_id)
    .bind(sender_id)
    .bind(subject)
    .bind(body)
    .bind(total)
    .bind(skipped)
    .bind(created_by)
    .bind(to_ms(now))
    .fetch_one(conn)
    .await
    .context("Failed to create a campaign")
}

pub async fn insert_recipients(
    conn: &mut AnyConnection,
    campaign_id: i64,
    rows: &[NewRecipient],
) -> anyhow::Result<()> {
    #[derive(serde::Serialize)]
    struct Row<'a> {
        campaign_id: i64,
        contact_id: i64,
        address: &'a str,
        status: &'a str,
        detail: Option<&'a str>,
        message_key: &'a str,
    }
    use batch::Ty::{Int, Text};
    // One JSON parameter per statement (see `batch`): with six bound values a row, a
    // thousand-row VALUES list spent most of a 100,000-recipient campaign's preparation in
    // SQLite looking up parameters by name.
    let sql = format!(
        "INSERT INTO campaign_recipients (campaign_id, contact_id, address, status, detail, \
         message_key, unsubscribe_token) \
         SELECT v.campaign_id, v.contact_id, v.address, v.status, v.detail, v.message_key, \
         'unissued:' || v.message_key FROM {}",
        batch::json_rows(
            conn,
            &[
                ("campaign_id", Int),
                ("contact_id", Int),
                ("address", Text),
                ("status", Text),
                ("detail", Text),
                ("message_key", Text),
            ]
        )
    );
    // Unique, and never the hash of any token: no link works until one is issued.
    for chunk in rows.chunks(JSON_CHUNK) {
        let chunk: Vec<Row> = chunk
            .iter()
            .map(|r| Row {
                campaign_id,
                contact_id: r.contact_id,
                address: &r.address,
                status: r.status,
                detail: r.detail.as_deref(),
                message_key: &r.message_key,
            })
            .collect();
        batch::execute_rows(
            &mut *conn,
            &sql,
            &chunk,
            "Failed to queue campaign recipients",
        )
        .await?;
    }
    Ok(())
}

/// One recipient done: `sent` or `failed` (with why); the campaign's counter moves with it.
pub async fn finish_recipient(
    conn: &mut AnyConnection,
    campaign_id: i64,
    recipient_id: i64,
    sent: bool,
    detail: Option<&str>,
    message_id_header: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE campaign_recipients SET status = $1, detail = $2, message_id_header = $3, sent_at = $4, \
         attempts = attempts + 1, next_attempt_at = NULL WHERE id = $5",
    )
    .bind(if sent { "sent" } else { "failed" })
    .bind(detail)
    .bind(message_id_header)
    .bind(to_ms(now))
    .bind(recipient_id)
    .execute(&mut *conn)
    .await
    .context("Failed to record a campaign recipient")?;
    sqlx::query(if sent {
        "UPDATE campaigns SET sent = sent + 1 WHERE id = $1"
    } else {
        "UPDATE campaigns SET failed = failed + 1 WHERE id = $1"
    })
    .bind(campaign_id)
    .execute(conn)
    .await
    .context("Failed to count a campaign recipient")?;
    Ok(())
}

/// A 4xx: back in the queue until `at`.
pub async fn defer_recipient(
    conn: &mut AnyConnection,
    recipient_id: i64,
    at: DateTime<Utc>,
    detail: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE campaign_recipients SET status = 'queued', attempts = attempts + 1, \
         next_attempt_at = $1, detail = $2 WHERE id = $3",
    )
    .bind(to_ms(at))
    .bind(detail)
    .bind(recipient_id)
    .execute(conn)
    .await
    .context("Failed to defer a recipient")?;
    Ok(())
}

pub async fn remove_from_list(
    conn: &mut AnyConnection,
    list_id: i64,
    contact_id: i64,
) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM contact_list_members WHERE list_id = $1 AND contact_id = $2")
        .bind(list_id)
        .bind(contact_id)
        .execute(conn)
        .await
        .context("Failed to remove a list member")?;
    Ok(())
}

/// A hard bounce takes the address off the lists of the account that reported it (another
/// account's lists change only through its own events). Several (account, address) pairs in
/// one statement.
pub async fn remove_addresses_from_lists(
    conn: &mut AnyConnection,
    addresses: &[(i64, String)],
) -> anyhow::Result<u64> {
    if addresses.is_empty() {
        return Ok(0);
    }
    // (account, address) pairs as one JSON parameter: one value to bind, however many.
    let pairs = super::Backend::of(conn).account_email_pairs();
    let sql = format!(
        "DELETE FROM contact_list_members WHERE contact_id IN \
         (SELECT c.id FROM contacts c JOIN ({pairs}) AS v \
          ON c.account_id = v.account_id AND c.email = v.email)"
    );
    let done = sqlx::query(&sql)
        .bind(serde_json::to_string(addresses)?)
        .execute(conn)
        .await
        .context("Failed to take addresses off lists")?;
    Ok(done.rows_affected())
}
