//! Contacts, conversations, their attributes and messages. Every query takes the account id:
//! tenancy is enforced here, not only in the UI.

use super::{col, from_ms, to_ms, Db};
use crate::domain::search::SearchQuery;
use crate::domain::suppression::AccountId;
use anyhow::Context;
use app::models::*;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

/// A message to store. `html_body` must already be sanitized.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub account_id: AccountId,
    pub conversation_id: i64,
    pub direction: Direction,
    pub from_addr: &'a str,
    pub to_addr: &'a str,
    pub subject: &'a str,
    pub text_body: &'a str,
    pub html_body: Option<&'a str>,
    pub raw_source: Option<&'a [u8]>,
    pub message_id_header: Option<&'a str>,
    pub created_at: DateTime<Utc>,
    /// Makes a redelivery a no-op: the provider's id, the Message-ID or a digest (inbound only).
    pub inbound_key: Option<&'a str>,
    /// The spam score and its rule hits as JSON (inbound only).
    pub spam_score: Option<f64>,
    pub spam_rules: Option<&'a str>,
}

/// The attribute that marks a conversation as spam (`Spam: true`).
pub const SPAM_ATTRIBUTE: &str = "Spam";

const SUMMARY_COLUMNS: &str = "c.id AS id, c.subject AS subject, k.email AS contact_email, \
    k.name AS contact_name, c.status AS status, c.updated_at AS updated_at, \
    (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count, \
    (SELECT COUNT(*) FROM conversation_attributes ca WHERE ca.conversation_id = c.id \
        AND ca.name = 'Spam' AND ca.value = 'true') AS spam";

fn summary_from_row(row: &AnyRow) -> anyhow::Result<ConversationSummary> {
    let status: String = col(row, "status")?;
    let spam: i64 = col(row, "spam")?;
    Ok(ConversationSummary {
        id: col(row, "id")?,
        subject: col(row, "subject")?,
        contact_email: col(row, "contact_email")?,
        contact_name: col(row, "contact_name")?,
        status: ConversationStatus::parse(&status)
            .with_context(|| format!("unknown status {status:?}"))?,
        spam: spam > 0,
        updated_at: from_ms(col(row, "updated_at")?),
        message_count: col(row, "message_count")?,
    })
}

/// Stores a message and moves its conversation's `updated_at` forward. `None` when a message
/// with the same `inbound_key` is already stored in the account (nothing is written).
pub async fn insert_message(
    conn: &mut sqlx::AnyConnection,
    m: &NewMessage<'_>,
) -> anyhow::Result<Option<i64>> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO messages (account_id, conversation_id, direction, from_addr, to_addr, subject, \
         text_body, html_body, raw_source, message_id_header, created_at, inbound_key, \
         spam_score_centi, spam_rules) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (account_id, inbound_key) DO NOTHING RETURNING id",
    )
    .bind(m.account_id.0)
    .bind(m.conversation_id)
    .bind(m.direction.as_str())
    .bind(m.from_addr)
    .bind(m.to_addr)
    .bind(m.subject)
    .bind(m.text_body)
    .bind(m.html_body)
    .bind(m.raw_source.map(|b| b.to_vec()))
    .bind(m.message_id_header)
    .bind(to_ms(m.created_at))
    .bind(m.inbound_key)
    .bind(m.spam_score.map(|s| (s * 100.0).round() as i64))
    .bind(m.spam_rules)
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to store a message")?;
    if id.is_some() {
        sqlx::query(
            "UPDATE conversations SET updated_at = $1 WHERE id = $2 AND account_id = $3 AND updated_at < $1",
        )
        .bind(to_ms(m.created_at))
        .bind(m.conversation_id)
        .bind(m.account_id.0)
        .execute(&mut *conn)
        .await
        .context("Failed to touch the conversation")?;
    }
    Ok(id)
}

/// The sending state of an outbound message (`None` for inbound ones).
fn delivery_from_row(r: &AnyRow) -> anyhow::Result<Option<DeliveryView>> {
    let Some(status) = col::<Option<String>>(r, "delivery_status")? else {
        return Ok(None);
    };
    let next: Option<i64> = col(r, "next_attempt_at")?;
    let error: Option<serde_json::Value> =
        col::<Option<String>>(r, "delivery_error")?.and_then(|e| serde_json::from_str(&e).ok());
    let error = error.map(|e| {
        let s = |k: &str| e.get(k).and_then(|v| v.as_str()).map(str::to_string);
        DeliveryErrorView {
            category: s("category").unwrap_or_else(|| "unclassified".into()),
            reason: s("reason").unwrap_or_default(),
            status: s("status"),
            code: e.get("code").and_then(|v| v.as_i64()),
            diagnostic: s("diagnostic"),
            at: e
                .get("at")
                .and_then(|v| serde_json::from_value(v.clone()).ok()),
        }
    });
    let state = match status.as_str() {
        "pending" if next.is_some() => "deferred".to_string(),
        other => other.to_string(),
    };
    Ok(Some(DeliveryView {
        accepted_at: col::<Option<i64>>(r, "delivered_at")?.map(from_ms),
        accepted_by: col(r, "accepted_by")?,
        next_attempt_at: next.map(from_ms),
        attempts: col(r, "attempts")?,
        error: if state == "accepted" { None } else { error },
        state,
    }))
}

enum Bind {
    Int(i64),
    Text(String),
}

impl Db {
    /// Finds or creates the account's contact for this address; returns its id.
    pub async fn upsert_contact(
        &self,
        account_id: AccountId,
        email: &str,
        name: Option<&str>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<i64> {
        let email = email.trim().to_lowercase();
        sqlx::query(
            "INSERT INTO contacts (account_id, email, name, status, created_at) \
             VALUES ($1, $2, $3, 'active', $4) ON CONFLICT (account_id, email) DO NOTHING",
        )
        .bind(account_id.0)
        .bind(&email)
        .bind(name)
        .bind(to_ms(now))
        .execute(self.pool())
        .await
        .context("Failed to create a contact")?;
        sqlx::query_scalar("SELECT id FROM contacts WHERE account_id = $1 AND email = $2")
            .bind(account_id.0)
            .bind(&email)
            .fetch_one(self.pool())
            .await
            .context("Failed to read a contact")
    }

    pub async fn create_conversation(
        &self,
        account_id: AccountId,
        contact_id: i64,
        subject: &str,
        status: ConversationStatus,
        now: DateTime<Utc>,
    ) -> anyhow::Result<i64> {
        sqlx::query_scalar(
            "INSERT INTO conversations (account_id, contact_id, subject, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(account_id.0)
        .bind(contact_id)
        .bind(subject)
        .bind(status.as_str())
        .bind(to_ms(now))
        .fetch_one(self.pool())
        .await
        .context("Failed to create a conversation")
    }

    /// Stores a message and moves its conversation's `updated_at` forward.
    pub async fn add_message(&self, m: &NewMessage<'_>) -> anyhow::Result<i64> {
        let mut tx = self.pool().begin().await.context("Failed to begin")?;
        let id = insert_message(&mut tx, m)
            .await?
            .context("A message with this inbound key is already stored")?;
        tx.commit().await.context("Failed to commit a message")?;
        Ok(id)
    }

    pub async fn set_attribute(
        &self,
        account_id: AccountId,
        conversation_id: i64,
        name: &str,
        value: &str,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO conversation_attributes (conversation_id, name, value) \
             SELECT id, $3, $4 FROM conversations WHERE id = $1 AND account_id = $2 \
             ON CONFLICT (conversation_id, name) DO UPDATE SET value = excluded.value",
        )
        .bind(conversation_id)
        .bind(account_id.0)
        .bind(name)
        .bind(value)
        .execute(self.pool())
        .await
        .context("Failed to set an attribute")?;
        Ok(())
    }

    pub async fn list_conversations(
        &self,
        account_id: AccountId,
        status: Option<ConversationStatus>,
        search: &SearchQuery,
    ) -> anyhow::Result<Vec<ConversationSummary>> {
        let mut sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM conversations c JOIN contacts k ON k.id = c.contact_id \
             WHERE c.account_id = $1"
        );
        let mut binds = vec![Bind::Int(account_id.0)];
        let mut push = |sql: &mut String, clause: &str, b: Bind| {
            binds.push(b);
            sql.push_str(&clause.replace("$N", &format!("${}", binds.len())));
        };
        if let Some(s) = search.status.or(status) {
            push(
                &mut sql,
                " AND c.status = $N",
                Bind::Text(s.as_str().into()),
            );
        }
        if let Some(from) = &search.from {
            push(
                &mut sql,
                " AND LOWER(k.email) LIKE $N ESCAPE '\\'",
                Bind::Text(format!("%{}%", like_escape(from))),
            );
        }
        if let Some(spam) = search.spam {
            let exists = "EXISTS (SELECT 1 FROM conversation_attributes ca WHERE \
                ca.conversation_id = c.id AND ca.name = 'Spam' AND ca.value = 'true')";
            sql.push_str(&if spam {
                format!(" AND {exists}")
            } else {
                format!(" AND NOT {exists}")
            });
        }
        for word in &search.words {
            push(
                &mut sql,
                " AND (LOWER(c.subject) LIKE $N ESCAPE '\\' OR LOWER(k.email) LIKE $N ESCAPE '\\' \
                 OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id \
                 AND LOWER(m.text_body) LIKE $N ESCAPE '\\'))",
                Bind::Text(format!("%{}%", like_escape(word))),
            );
        }
        sql.push_str(" ORDER BY c.updated_at DESC, c.id DESC LIMIT 200");
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = match b {
                Bind::Int(i) => q.bind(i),
                Bind::Text(t) => q.bind(t),
            };
        }
        let rows = q
            .fetch_all(self.pool())
            .await
            .context("Failed to list conversations")?;
        rows.iter().map(summary_from_row).collect()
    }

    /// The conversation with its attributes and timeline, or `None` when it does not exist
    /// in this account (another account's id is indistinguishable from a missing one).
    pub async fn get_conversation(
        &self,
        account_id: AccountId,
        id: i64,
    ) -> anyhow::Result<Option<ConversationDetail>> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM conversations c JOIN contacts k ON k.id = c.contact_id \
             WHERE c.id = $1 AND c.account_id = $2"
        );
        let Some(row) = sqlx::query(&sql)
            .bind(id)
            .bind(account_id.0)
            .fetch_optional(self.pool())
            .await
            .context("Failed to read a conversation")?
        else {
            return Ok(None);
        };
        let summary = summary_from_row(&row)?;
        let attributes = sqlx::query(
            "SELECT name, value FROM conversation_attributes WHERE conversation_id = $1 ORDER BY name",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await
        .context("Failed to read attributes")?
        .iter()
        .map(|r| {
            Ok(Attribute {
                name: col(r, "name")?,
                value: col(r, "value")?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
        let messages = sqlx::query(
            "SELECT id, direction, from_addr, to_addr, subject, text_body, html_body, created_at, \
             spam_score_centi, spam_rules, message_id_header, delivery_status, delivered_at, \
             delivery_error, accepted_by, next_attempt_at, attempts FROM messages WHERE conversation_id = $1 AND account_id = $2 ORDER BY created_at, id",
        )
        .bind(id)
        .bind(account_id.0)
        .fetch_all(self.pool())
        .await
        .context("Failed to read messages")?
        .iter()
        .map(|r| {
            let direction: String = col(r, "direction")?;
            Ok(MessageView {
                id: col(r, "id")?,
                direction: Direction::parse(&direction)
                    .with_context(|| format!("unknown direction {direction:?}"))?,
                from_addr: col(r, "from_addr")?,
                to_addr: col(r, "to_addr")?,
                subject: col(r, "subject")?,
                text_body: col(r, "text_body")?,
                html_body: col(r, "html_body")?,
                remote_images_html: None,
                created_at: from_ms(col(r, "created_at")?),
                spam_score: col::<Option<i64>>(r, "spam_score_centi")?.map(|c| c as f64 / 100.0),
                spam_rules: col::<Option<String>>(r, "spam_rules")?
                    .and_then(|j| serde_json::from_str(&j).ok())
                    .unwrap_or_default(),
                delivery: delivery_from_row(r)?,
                message_id_header: col::<Option<String>>(r, "message_id_header")?
                    .map(|m| m.trim().trim_start_matches('<').trim_end_matches('>').to_string()),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Some(ConversationDetail {
            summary,
            attributes,
            messages,
            sender_blocked_by: None,
            reply_stream: None,
        }))
    }

    pub async fn list_contacts(&self, account_id: AccountId) -> anyhow::Result<Vec<ContactView>> {
        self.search_contacts(account_id, "").await
    }

    /// The account's contacts whose address or name contains `search` (any case; empty: all),
    /// by address, at most 1,000.
    pub async fn search_contacts(
        &self,
        account_id: AccountId,
        search: &str,
    ) -> anyhow::Result<Vec<ContactView>> {
        let pattern = format!("%{}%", like_escape(search));
        sqlx::query(
            "SELECT id, email, name, status, status_until, status_reason, status_event_id, created_at \
             FROM contacts WHERE account_id = $1 AND ($2 = '' OR lower(email) LIKE $3 ESCAPE '\\' \
             OR lower(COALESCE(name, '')) LIKE $3 ESCAPE '\\') ORDER BY email LIMIT 1000",
        )
        .bind(account_id.0)
        .bind(search)
        .bind(pattern)
        .fetch_all(self.pool())
        .await
        .context("Failed to list contacts")?
        .iter()
        .map(|r| {
            Ok(ContactView {
                id: col(r, "id")?,
                email: col(r, "email")?,
                name: col(r, "name")?,
                status: col(r, "status")?,
                status_until: col::<Option<i64>>(r, "status_until")?.map(from_ms),
                status_reason: col(r, "status_reason")?,
                status_event_id: col(r, "status_event_id")?,
                created_at: from_ms(col(r, "created_at")?),
                global: None,
                global_evidence: None,
            })
        })
        .collect()
    }

    /// Counts for Reporting. Conversations marked `Spam: true` are left out.
    pub async fn reporting_summary(
        &self,
        account_id: AccountId,
    ) -> anyhow::Result<ReportingSummary> {
        let not_spam = "NOT EXISTS (SELECT 1 FROM conversation_attributes ca WHERE \
            ca.conversation_id = c.id AND ca.name = 'Spam' AND ca.value = 'true')";
        let sql = format!(
            "SELECT \
              (SELECT COUNT(*) FROM conversations c WHERE c.account_id = $1 AND c.status = 'open' AND {not_spam}) AS open, \
              (SELECT COUNT(*) FROM conversations c WHERE c.account_id = $1 AND c.status = 'done' AND {not_spam}) AS done, \
              (SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id \
                 WHERE m.account_id = $1 AND m.direction = 'inbound' AND {not_spam}) AS inbound, \
              (SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id \
                 WHERE m.account_id = $1 AND m.direction = 'outbound' AND {not_spam}) AS outbound, \
              (SELECT COUNT(*) FROM conversations c WHERE c.account_id = $1 AND NOT {not_spam}) AS spam"
        );
        let r = sqlx::query(&sql)
            .bind(account_id.0)
            .fetch_one(self.pool())
            .await
            .context("Failed to count for reporting")?;
        Ok(ReportingSummary {
            open: col(&r, "open")?,
            done: col(&r, "done")?,
            inbound_messages: col(&r, "inbound")?,
            outbound_messages: col(&r, "outbound")?,
            excluded_spam: col(&r, "spam")?,
        })
    }
}

/// `s` lower-cased for a `LIKE … ESCAPE '\'` pattern: `%`, `_` and `\` typed by a user are
/// themselves, not wildcards.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}
