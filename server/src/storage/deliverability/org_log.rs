//! Org Logging: writing entries and reading them back, filtered and paginated.

use crate::domain::suppression::{AccountId, LogKind};
use crate::storage::batch::{execute_rows, json_rows, Ty};
use crate::storage::{col, from_ms, to_ms, Db};
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
/// An Org Logging entry to write.
#[derive(Debug, Clone)]
pub struct NewLogEntry {
    /// `None` = not about one account.
    pub account_id: Option<AccountId>,
    pub at: DateTime<Utc>,
    /// Only the kinds the Org Logging filter offers can be written.
    pub kind: LogKind,
    /// `system`, `webhook:<provider>`, or the admin's email.
    pub actor: String,
    /// The address or domain the entry is about.
    pub subject: String,
    pub details: serde_json::Value,
    pub event_id: Option<i64>,
}

/// A stored Org Logging entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogEntry {
    pub id: i64,
    pub account_id: Option<i64>,
    pub at: DateTime<Utc>,
    /// A [`LogKind`](crate::domain::suppression::LogKind) name (`bounce`, `suppression_added` …).
    pub kind: String,
    pub actor: String,
    pub subject: String,
    pub details: serde_json::Value,
    pub event_id: Option<i64>,
}

/// What the Org Logging page filters by. Dates are a half-open range `[from, to)`.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub kind: Option<LogKind>,
    /// An address or domain; matched exactly, case-insensitively.
    pub subject: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// 0-based.
    pub page: u32,
    /// Clamped to 1..=500.
    pub per_page: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct LogPage {
    /// Newest first.
    pub entries: Vec<LogEntry>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

fn log_from_row(row: &AnyRow) -> anyhow::Result<LogEntry> {
    let details: String = col(row, "details")?;
    Ok(LogEntry {
        id: col(row, "id")?,
        account_id: col(row, "account_id")?,
        at: from_ms(col(row, "logged_at")?),
        kind: col(row, "kind")?,
        actor: col(row, "actor")?,
        subject: col(row, "subject")?,
        details: serde_json::from_str(&details).context("Failed to read log details")?,
        event_id: col(row, "event_id")?,
    })
}

#[tracing::instrument(level = "debug", skip_all, fields(account_id = e.account_id.map(|a| a.0)))]
pub async fn insert_log(conn: &mut AnyConnection, e: &NewLogEntry) -> anyhow::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO org_log (account_id, logged_at, kind, actor, subject, details, event_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(e.account_id.map(|a| a.0))
    .bind(to_ms(e.at))
    .bind(e.kind.as_str())
    .bind(&e.actor)
    .bind(&e.subject)
    .bind(e.details.to_string())
    .bind(e.event_id)
    .fetch_one(conn)
    .await
    .context("Failed to write an Org Logging entry")
}

/// An entry's details in a batch of rows. An object or array goes in as JSON, and the
/// statement reads it back as its JSON text (SQLite's `->>`, PostgreSQL's text column): the
/// text stored, without writing it out and escaping it again as a string inside the batch.
/// Anything else goes in as its JSON text, a string.
#[derive(Serialize)]
#[serde(untagged)]
enum Details<'a> {
    Nested(&'a serde_json::Value),
    Text(String),
}

impl<'a> Details<'a> {
    fn of(details: &'a serde_json::Value) -> Self {
        match details {
            serde_json::Value::Object(_) | serde_json::Value::Array(_) => Details::Nested(details),
            other => Details::Text(other.to_string()),
        }
    }
}

/// Several Org Logging entries, in this order, in one statement.
#[tracing::instrument(level = "debug", skip_all, fields(entries = entries.len()))]
pub async fn insert_logs(conn: &mut AnyConnection, entries: &[NewLogEntry]) -> anyhow::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    #[derive(Serialize)]
    struct Row<'a> {
        account_id: Option<i64>,
        logged_at: i64,
        kind: &'a str,
        actor: &'a str,
        subject: &'a str,
        details: Details<'a>,
        event_id: Option<i64>,
        n: usize,
    }
    let rows: Vec<Row> = entries
        .iter()
        .enumerate()
        .map(|(n, e)| Row {
            account_id: e.account_id.map(|a| a.0),
            logged_at: to_ms(e.at),
            kind: e.kind.as_str(),
            actor: &e.actor,
            subject: &e.subject,
            details: Details::of(&e.details),
            event_id: e.event_id,
            n,
        })
        .collect();
    use Ty::{Int, Text};
    // Ids in input order: the log lists entries of one moment by id.
    let sql = format!(
        "INSERT INTO org_log (account_id, logged_at, kind, actor, subject, details, event_id) \
         SELECT v.account_id, v.logged_at, v.kind, v.actor, v.subject, v.details, v.event_id \
         FROM {} ORDER BY v.n",
        json_rows(
            conn,
            &[
                ("account_id", Int),
                ("logged_at", Int),
                ("kind", Text),
                ("actor", Text),
                ("subject", Text),
                ("details", Text),
                ("event_id", Int),
                ("n", Int),
            ]
        )
    );
    execute_rows(
        &mut *conn,
        &sql,
        &rows,
        "Failed to write Org Logging entries",
    )
    .await?;
    Ok(())
}

/// Times of the account's domain alerts for `domain` logged after `after`.
pub async fn domain_alerts_since(
    conn: &mut AnyConnection,
    account_id: AccountId,
    domain: &str,
    after: DateTime<Utc>,
) -> anyhow::Result<Vec<DateTime<Utc>>> {
    let rows: Vec<i64> = sqlx::query_scalar(
        "SELECT logged_at FROM org_log WHERE account_id = $1 AND kind = $4 \
         AND subject = $2 AND logged_at > $3",
    )
    .bind(account_id.0)
    .bind(domain)
    .bind(to_ms(after))
    .bind(LogKind::DomainAlert.as_str())
    .fetch_all(conn)
    .await
    .context("Failed to read domain alerts")?;
    Ok(rows.into_iter().map(from_ms).collect())
}

impl Db {
    /// The account's Org Logging entries, newest first, filtered and paginated.
    pub async fn org_log(
        &self,
        account_id: AccountId,
        filter: &LogFilter,
    ) -> anyhow::Result<LogPage> {
        let per_page = filter.per_page.clamp(1, 500);
        let mut clauses = vec!["account_id = $1".to_string()];
        let mut n = 1;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        let kind = filter.kind;
        let subject = filter
            .subject
            .as_deref()
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty());
        if kind.is_some() {
            clauses.push(format!("kind = {}", next()));
        }
        if subject.is_some() {
            clauses.push(format!("subject = {}", next()));
        }
        if filter.from.is_some() {
            clauses.push(format!("logged_at >= {}", next()));
        }
        if filter.to.is_some() {
            clauses.push(format!("logged_at < {}", next()));
        }
        let where_ = clauses.join(" AND ");
        let count_sql = format!("SELECT COUNT(*) FROM org_log WHERE {where_}");
        let list_sql = format!(
            "SELECT id, account_id, logged_at, kind, actor, subject, details, event_id FROM org_log \
             WHERE {where_} ORDER BY logged_at DESC, id DESC LIMIT {per_page} OFFSET {}",
            i64::from(filter.page) * i64::from(per_page)
        );
        macro_rules! bind_all {
            ($q:expr) => {{
                let mut q = $q.bind(account_id.0);
                if let Some(k) = kind {
                    q = q.bind(k.as_str().to_string());
                }
                if let Some(s) = &subject {
                    q = q.bind(s.clone());
                }
                if let Some(f) = filter.from {
                    q = q.bind(to_ms(f));
                }
                if let Some(t) = filter.to {
                    q = q.bind(to_ms(t));
                }
                q
            }};
        }
        let total: i64 = bind_all!(sqlx::query_scalar(&count_sql))
            .fetch_one(self.pool())
            .await
            .context("Failed to count Org Logging entries")?;
        let entries = bind_all!(sqlx::query(&list_sql))
            .fetch_all(self.pool())
            .await
            .context("Failed to list Org Logging entries")?
            .iter()
            .map(log_from_row)
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(LogPage {
            entries,
            total,
            page: filter.page,
            per_page,
        })
    }
}
