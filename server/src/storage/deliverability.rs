//! Deliverability storage (issue 4): webhook credentials, delivery events, suppressions and
//! their overrides, Org Logging, and the delivery status of messages and contacts.
//!
//! The pieces the ingest writes in one transaction take a connection (`&mut *tx`); the rest
//! are methods on [`Db`]. Every query is written once for both backends.

use super::{col, from_ms, to_ms, Db};
use crate::domain::address::EmailAddress;
use crate::domain::suppression::scope_by_trust::{GlobalBasis, Provenance, TransportKind};
use crate::domain::suppression::{
    AccountId, ContactEffect, Override, Scope, Stream, Suppression, SuppressionKind,
};
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

/// An account's webhook credential. Deliberately not `Serialize`: it holds secrets.
#[derive(Clone)]
pub struct WebhookCredential {
    pub account_id: i64,
    pub username: String,
    /// argon2 hash of the HTTP Basic password.
    pub secret_hash: String,
    /// Mailgun's HTTP webhook signing key (HMAC-SHA256); `None` = Mailgun events refused.
    pub mailgun_signing_key: Option<String>,
    /// SendGrid's verification key (base64 DER SubjectPublicKeyInfo, P-256); `None` = the
    /// signature is not checked (the Basic credential still is).
    pub sendgrid_public_key: Option<String>,
    /// The SNS topic (`arn:aws:sns:…`) the account's SES notifications come from; `None` =
    /// SES notifications refused.
    pub sns_topic_arn: Option<String>,
}

/// One delivery event to store (a provider event or one recipient of a raw notice).
#[derive(Debug, Clone)]
pub struct NewDeliveryEvent<'a> {
    pub account_id: i64,
    /// `postmark`, `ses`, `sendgrid`, `mailgun`, or `raw` for a notice posted as a message.
    pub provider: &'a str,
    /// Unique per account and provider: a second insert of the same id is a no-op.
    pub provider_event_id: &'a str,
    pub category: &'a str,
    pub reason: &'a str,
    pub status: Option<&'a str>,
    pub reply_code: Option<i64>,
    pub recipient: Option<&'a str>,
    pub recipient_domain: Option<&'a str>,
    pub diagnostic: Option<&'a str>,
    pub remote_mta: Option<&'a str>,
    pub feedback_type: Option<&'a str>,
    pub evidence_rule: &'a str,
    pub evidence_source: &'a str,
    pub provider_message_id: Option<&'a str>,
    pub message_id_header: Option<&'a str>,
    /// The VERP return path the notice came back to, if any (matching, with the two ids
    /// above, the event to the message we sent: see [`insert_event`]). Stored as evidence.
    pub return_path: Option<&'a str>,
    /// How we know what the event says, before it is matched to a message we sent (a
    /// match by VERP, provider id or Message-ID is a stronger provenance, set by the insert
    /// when the claim is only the account's word).
    pub provenance: Provenance,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    /// The payload or raw notice, as received.
    pub raw: Option<&'a [u8]>,
}

/// A stored delivery event, for the Org Logging details and the tests.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryEvent {
    pub id: i64,
    pub account_id: i64,
    pub provider: String,
    pub provider_event_id: String,
    pub category: String,
    pub reason: String,
    pub status: Option<String>,
    pub reply_code: Option<i64>,
    pub recipient: Option<String>,
    pub diagnostic: Option<String>,
    pub remote_mta: Option<String>,
    pub message_id: Option<i64>,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    #[serde(skip)]
    pub raw: Option<Vec<u8>>,
}

/// A global entry an account has not reactivated, with its evidence (the Contacts page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GlobalEntry {
    pub address: String,
    pub reason: String,
    /// `None` for an entry from before bases were recorded.
    pub basis: Option<GlobalBasis>,
    pub since: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
    /// The event that made it global, and what it said.
    pub event_id: Option<i64>,
    pub status: Option<String>,
    pub reply_code: Option<i64>,
    pub provenance: Option<Provenance>,
    pub received_at: Option<DateTime<Utc>>,
}

/// A suppression row with its storage identity.
#[derive(Debug, Clone, Serialize)]
pub struct StoredSuppression {
    pub id: i64,
    pub entry: Suppression,
    pub released_at: Option<DateTime<Utc>>,
}

/// An Org Logging entry to write.
#[derive(Debug, Clone)]
pub struct NewLogEntry {
    /// `None` = not about one account.
    pub account_id: Option<i64>,
    pub at: DateTime<Utc>,
    /// A [`LogKind`](crate::domain::suppression::LogKind) name, or a webhook kind such as `sns_subscription`.
    pub kind: &'static str,
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
    pub kind: Option<String>,
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

fn scope_of(account_id: Option<i64>) -> Scope {
    match account_id {
        None => Scope::Global,
        Some(a) => Scope::Account(AccountId(a)),
    }
}

fn scope_account(scope: Scope) -> Option<i64> {
    match scope {
        Scope::Global => None,
        Scope::Account(a) => Some(a.0),
    }
}

const SUPPRESSION_COLUMNS: &str =
    "id, address, account_id, kind, stream, reason, since, until, event_id, released_at, basis, \
     confirmations";

fn suppression_from_row(row: &AnyRow) -> anyhow::Result<StoredSuppression> {
    let address: String = col(row, "address")?;
    let kind: String = col(row, "kind")?;
    let until: Option<i64> = col(row, "until")?;
    let released: Option<i64> = col(row, "released_at")?;
    Ok(StoredSuppression {
        id: col(row, "id")?,
        entry: Suppression {
            address: EmailAddress::parse(&address)
                .with_context(|| format!("stored address {address:?} is not valid"))?,
            scope: scope_of(col(row, "account_id")?),
            kind: SuppressionKind::parse(&kind)
                .with_context(|| format!("unknown suppression kind {kind:?}"))?,
            stream: parse_stream(&col::<String>(row, "stream")?)?,
            reason: col(row, "reason")?,
            since: from_ms(col(row, "since")?),
            until: until.map(from_ms),
            event_id: col(row, "event_id")?,
            basis: col::<Option<String>>(row, "basis")?
                .and_then(|b| GlobalBasis::from_parts(&b, col(row, "confirmations").ok()?)),
        },
        released_at: released.map(from_ms),
    })
}

fn parse_stream(s: &str) -> anyhow::Result<Stream> {
    Stream::parse(s).with_context(|| format!("unknown suppression stream {s:?}"))
}

fn override_from_row(row: &AnyRow) -> anyhow::Result<Override> {
    let address: String = col(row, "address")?;
    Ok(Override {
        account: AccountId(col(row, "account_id")?),
        address: EmailAddress::parse(&address)
            .with_context(|| format!("stored address {address:?} is not valid"))?,
        reason: col(row, "reason")?,
        since: from_ms(col(row, "since")?),
    })
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

/// Stores one delivery event; `None` when it was already stored (a provider retry).
pub async fn insert_event(
    conn: &mut AnyConnection,
    e: &NewDeliveryEvent<'_>,
) -> anyhow::Result<Option<StoredEvent>> {
    Ok(insert_events(conn, std::slice::from_ref(e))
        .await?
        .pop()
        .flatten())
}

/// The type of a column of a [`json_rows`] batch.
#[derive(Clone, Copy)]
enum Ty {
    Int,
    Text,
}

/// A statement's whole batch of rows as one bound parameter, `$1`: a JSON array of objects,
/// read as the table `v` with these columns (SQLite's `json_each`, PostgreSQL's
/// `json_to_recordset`). One value to bind instead of one per column and row (sqlx-sqlite
/// finds each parameter by its name, and SQLite finds a name by walking the statement's
/// list of them: the cost grows with the square of their number), and one statement per
/// batch, however large, with the same text every time (prepared once per connection).
fn json_rows(conn: &AnyConnection, columns: &[(&str, Ty)]) -> String {
    let list = |f: &dyn Fn(&str, Ty) -> String| {
        columns
            .iter()
            .map(|(c, t)| f(c, *t))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if super::is_postgres(conn) {
        let cols = list(&|c, t| {
            let ty = match t {
                Ty::Int => "BIGINT",
                Ty::Text => "TEXT",
            };
            format!("{c} {ty}")
        });
        format!("json_to_recordset(CAST($1 AS json)) AS v({cols})")
    } else {
        // `->>` gives a JSON number as an INTEGER, a string as TEXT, null as NULL. Each row
        // is read out of the array once (MATERIALIZED): `json_each` turns an object back into
        // text every time its `value` is read, once per column otherwise.
        let cols = list(&|c, _| format!("r ->> '{c}' AS {c}"));
        format!(
            "(WITH j AS MATERIALIZED (SELECT value AS r FROM json_each($1)) \
             SELECT {cols} FROM j) AS v"
        )
    }
}

/// The SQL that turns a [`json_rows`] text column of hex digits back into bytes.
fn unhex(conn: &AnyConnection, column: &str) -> String {
    if super::is_postgres(conn) {
        format!("decode({column}, 'hex')")
    } else {
        format!("unhex({column})")
    }
}

/// Runs a [`json_rows`] statement with `rows` as its parameter.
async fn execute_rows<T: Serialize>(
    conn: &mut AnyConnection,
    sql: &str,
    rows: &[T],
    failed: &'static str,
) -> anyhow::Result<()> {
    sqlx::query(sql)
        .bind(serde_json::to_string(rows).context("Failed to encode a batch of rows")?)
        .execute(conn)
        .await
        .context(failed)?;
    Ok(())
}

/// Runs a [`json_rows`] statement with `rows` as its parameter; returns what it returns.
async fn fetch_rows<T: Serialize>(
    conn: &mut AnyConnection,
    sql: &str,
    rows: &[T],
    failed: &'static str,
) -> anyhow::Result<Vec<AnyRow>> {
    sqlx::query(sql)
        .bind(serde_json::to_string(rows).context("Failed to encode a batch of rows")?)
        .fetch_all(conn)
        .await
        .context(failed)
}

/// One event of [`insert_events`]' batch.
#[derive(Serialize)]
struct EventRow<'a> {
    account_id: i64,
    provider: &'a str,
    provider_event_id: &'a str,
    category: &'a str,
    reason: &'a str,
    status: Option<&'a str>,
    reply_code: Option<i64>,
    recipient: Option<&'a str>,
    recipient_domain: Option<&'a str>,
    diagnostic: Option<&'a str>,
    remote_mta: Option<&'a str>,
    feedback_type: Option<&'a str>,
    evidence_rule: &'a str,
    evidence_source: &'a str,
    provider_message_id: Option<&'a str>,
    message_id_header: Option<&'a str>,
    occurred_at: i64,
    received_at: i64,
    /// Hex digits: a raw notice need not be UTF-8.
    raw: Option<String>,
    provenance: &'static str,
    /// What the event is matched to the message we sent by (see [`insert_events`]).
    return_path: Option<&'a str>,
    match_provider_id: Option<&'a str>,
    match_mid: Option<&'a str>,
    match_mid_bracketed: Option<String>,
    /// The key of a campaign message's VERP return path (`bounces+KEY@…`).
    match_verp_key: Option<&'a str>,
}

/// Stores delivery events in one statement. Returns, for each input in order, the stored
/// event, or `None` for a duplicate: of an event stored before, or of an earlier input with
/// the same key (the first one is stored).
///
/// The match to the message we sent is a sub-select of the insert: one statement, and the
/// transaction's first statement is still a write (SQLite takes its write lock at once; a
/// read first could not upgrade under a concurrent writer).
///
/// `message_id` is the outbound message the event is about: by the VERP return path it was
/// sent with, then the provider's id, then the Message-ID with or without angle brackets
/// (the first of these that matches; the oldest message if several do). Each alternative
/// is a sub-select of its own on its own index.
pub async fn insert_events(
    conn: &mut AnyConnection,
    events: &[NewDeliveryEvent<'_>],
) -> anyhow::Result<Vec<Option<StoredEvent>>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<EventRow> = events
        .iter()
        .map(|e| {
            let mid = e
                .message_id_header
                .map(|m| m.trim().trim_start_matches('<').trim_end_matches('>'))
                .filter(|m| !m.is_empty());
            EventRow {
                account_id: e.account_id,
                provider: e.provider,
                provider_event_id: e.provider_event_id,
                category: e.category,
                reason: e.reason,
                status: e.status,
                reply_code: e.reply_code,
                recipient: e.recipient,
                recipient_domain: e.recipient_domain,
                diagnostic: e.diagnostic,
                remote_mta: e.remote_mta,
                feedback_type: e.feedback_type,
                evidence_rule: e.evidence_rule,
                evidence_source: e.evidence_source,
                provider_message_id: e.provider_message_id,
                message_id_header: e.message_id_header,
                occurred_at: to_ms(e.occurred_at),
                received_at: to_ms(e.received_at),
                raw: e.raw.map(hex::encode),
                provenance: e.provenance.as_str(),
                return_path: e.return_path.filter(|s| !s.is_empty()),
                match_provider_id: e.provider_message_id.filter(|s| !s.is_empty()),
                match_mid: mid,
                match_mid_bracketed: mid.map(|m| format!("<{m}>")),
                match_verp_key: e
                    .return_path
                    .and_then(|r| r.strip_prefix("bounces+"))
                    .and_then(|r| r.split_once('@'))
                    .map(|(key, _)| key)
                    .filter(|k| !k.is_empty()),
            }
        })
        .collect();
    use Ty::{Int, Text};
    let table = json_rows(
        conn,
        &[
            ("account_id", Int),
            ("provider", Text),
            ("provider_event_id", Text),
            ("category", Text),
            ("reason", Text),
            ("status", Text),
            ("reply_code", Int),
            ("recipient", Text),
            ("recipient_domain", Text),
            ("diagnostic", Text),
            ("remote_mta", Text),
            ("feedback_type", Text),
            ("evidence_rule", Text),
            ("evidence_source", Text),
            ("provider_message_id", Text),
            ("message_id_header", Text),
            ("occurred_at", Int),
            ("received_at", Int),
            ("raw", Text),
            ("provenance", Text),
            ("return_path", Text),
            ("match_provider_id", Text),
            ("match_mid", Text),
            ("match_mid_bracketed", Text),
            ("match_verp_key", Text),
        ],
    );
    // `WHERE true`: SQLite would otherwise read `ON CONFLICT` as a join constraint.
    let sql = format!(
        "INSERT INTO delivery_events (account_id, provider, provider_event_id, category, \
         reason, status, reply_code, recipient, recipient_domain, diagnostic, remote_mta, \
         feedback_type, evidence_rule, evidence_source, provider_message_id, \
         message_id_header, message_id, occurred_at, received_at, raw, provenance, return_path, \
         campaign_recipient_id) \
         SELECT v.account_id, v.provider, v.provider_event_id, v.category, v.reason, v.status, \
         v.reply_code, v.recipient, v.recipient_domain, v.diagnostic, v.remote_mta, \
         v.feedback_type, v.evidence_rule, v.evidence_source, v.provider_message_id, \
         v.message_id_header, \
         COALESCE(\
          (SELECT min(m.id) FROM messages m WHERE m.account_id = v.account_id \
           AND m.return_path = v.return_path AND m.direction = 'outbound'), \
          (SELECT min(m.id) FROM messages m WHERE m.account_id = v.account_id \
           AND m.provider_message_id = v.match_provider_id AND m.direction = 'outbound'), \
          (SELECT min(m.id) FROM messages m WHERE m.account_id = v.account_id \
           AND m.message_id_header IN (v.match_mid, v.match_mid_bracketed) \
           AND m.direction = 'outbound')), \
         v.occurred_at, v.received_at, {raw}, v.provenance, v.return_path, \
         COALESCE(\
          (SELECT min(r.id) FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id \
           WHERE r.message_key = v.match_verp_key AND c.account_id = v.account_id), \
          (SELECT min(r.id) FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id \
           WHERE r.message_id_header = v.match_mid_bracketed AND c.account_id = v.account_id)) \
         FROM {table} WHERE true \
         ON CONFLICT (account_id, provider, provider_event_id) DO NOTHING \
         RETURNING id, message_id, campaign_recipient_id, account_id, provider, provider_event_id, \
         (SELECT CASE WHEN m.return_path = delivery_events.return_path THEN 'v' \
           WHEN m.provider_message_id = delivery_events.provider_message_id THEN 'p' ELSE 'm' END \
           || CASE WHEN m.shared_transport = 1 THEN 's' ELSE 'a' END \
          FROM messages m WHERE m.id = delivery_events.message_id) AS matched",
        raw = unhex(conn, "v.raw"),
    );
    let returned = fetch_rows(&mut *conn, &sql, &rows, "Failed to store delivery events").await?;
    drop(rows);
    // RETURNING promises no order: rows are matched to inputs by their unique key. The first
    // input with a key is the one stored; a later one is its duplicate.
    let mut first: std::collections::HashMap<(i64, &str, &str), usize> =
        std::collections::HashMap::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        first
            .entry((e.account_id, e.provider, e.provider_event_id))
            .or_insert(i);
    }
    let mut stored = vec![None; events.len()];
    for r in &returned {
        let (account, provider, id): (i64, String, String) = (
            col(r, "account_id")?,
            col(r, "provider")?,
            col(r, "provider_event_id")?,
        );
        let i = *first
            .get(&(account, provider.as_str(), id.as_str()))
            .context("a stored event matches no input")?;
        let matched: Option<String> = col(r, "matched")?;
        let matched = matched.as_deref().map(|m| {
            let by = match m.as_bytes().first() {
                Some(b'v') => Provenance::VerpReturnPath,
                Some(b'p') => Provenance::ProviderMessageId,
                _ => Provenance::MessageId,
            };
            let transport = match m.as_bytes().get(1) {
                Some(b's') => TransportKind::Shared,
                _ => TransportKind::Account,
            };
            (by, transport)
        });
        stored[i] = Some(StoredEvent {
            id: col(r, "id")?,
            message_id: col(r, "message_id")?,
            campaign_recipient: col(r, "campaign_recipient_id")?,
            matched,
        });
    }
    Ok(stored)
}

/// A delivery event just stored, and the message we sent that it was matched to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredEvent {
    pub id: i64,
    pub message_id: Option<i64>,
    /// The campaign message it is about, matched by VERP key or Message-ID.
    pub campaign_recipient: Option<i64>,
    /// How it matched the message (VERP return path, provider id or Message-ID), and which
    /// transport that message went out through; `None` when it matched none.
    pub matched: Option<(Provenance, TransportKind)>,
}

/// Records the provenance of events whose match to a message we sent is stronger evidence
/// than what they were stored with (one statement for the batch).
pub async fn set_provenance(
    conn: &mut AnyConnection,
    events: &[(i64, Provenance)],
) -> anyhow::Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    #[derive(Serialize)]
    struct Row {
        id: i64,
        provenance: &'static str,
    }
    let rows: Vec<Row> = events
        .iter()
        .map(|(id, p)| Row {
            id: *id,
            provenance: p.as_str(),
        })
        .collect();
    let sql = format!(
        "WITH v AS (SELECT * FROM {}) \
         UPDATE delivery_events SET provenance = v.provenance FROM v WHERE delivery_events.id = v.id",
        json_rows(conn, &[("id", Ty::Int), ("provenance", Ty::Text)])
    );
    execute_rows(conn, &sql, &rows, "Failed to record event provenance").await
}

/// The hard bounces stored for each of `addresses` received after `after`: (account, when),
/// for the quorum of [`scope_by_trust`](crate::domain::suppression::scope_by_trust). One
/// statement for the batch.
pub async fn hard_bounce_reports(
    conn: &mut AnyConnection,
    addresses: &[&str],
    after: DateTime<Utc>,
) -> anyhow::Result<std::collections::HashMap<String, Vec<(AccountId, DateTime<Utc>)>>> {
    let mut out: std::collections::HashMap<String, Vec<(AccountId, DateTime<Utc>)>> =
        std::collections::HashMap::new();
    if addresses.is_empty() {
        return Ok(out);
    }
    #[derive(Serialize)]
    struct Row<'a> {
        address: &'a str,
    }
    let rows: Vec<Row> = addresses.iter().map(|a| Row { address: a }).collect();
    // Per account its latest report: enough for a count of accounts in a window.
    let sql = format!(
        "SELECT e.recipient AS recipient, e.account_id AS account_id, \
         max(e.received_at) AS at FROM {} JOIN delivery_events e ON e.recipient = v.address \
         WHERE e.category = 'hard_bounce' AND e.received_at > $2 \
         GROUP BY e.recipient, e.account_id",
        json_rows(conn, &[("address", Ty::Text)])
    );
    let found = sqlx::query(&sql)
        .bind(serde_json::to_string(&rows).context("Failed to encode a batch of rows")?)
        .bind(to_ms(after))
        .fetch_all(conn)
        .await
        .context("Failed to count the accounts reporting hard bounces")?;
    for r in &found {
        let recipient: String = col(r, "recipient")?;
        let account: i64 = col(r, "account_id")?;
        let at: i64 = col(r, "at")?;
        out.entry(recipient)
            .or_default()
            .push((AccountId(account), from_ms(at)));
    }
    Ok(out)
}

/// "Accepted at T", unless the message already failed (a failure is the news that matters).
pub async fn mark_message_accepted(
    conn: &mut AnyConnection,
    message_id: i64,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    mark_messages(conn, &[(message_id, at)], &[]).await
}

/// Inserts a suppression entry; returns its id.
pub async fn insert_suppression(conn: &mut AnyConnection, s: &Suppression) -> anyhow::Result<i64> {
    insert_suppression_with_basis(conn, s, None).await
}

/// Inserts a suppression entry, global on `basis` when given; returns its id.
pub async fn insert_suppression_with_basis(
    conn: &mut AnyConnection,
    s: &Suppression,
    basis: Option<GlobalBasis>,
) -> anyhow::Result<i64> {
    let sql = insert_suppressions_sql(conn);
    let rows = fetch_rows(
        conn,
        &sql,
        &[SuppressionRow::new(s, basis)],
        "Failed to store a suppression",
    )
    .await?;
    col(rows.first().context("no suppression came back")?, "id")
}

/// A suppression to insert, and why it is global (`None` for an account entry).
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub entry: Suppression,
    pub basis: Option<GlobalBasis>,
}

/// One row of a suppression insert.
#[derive(Serialize)]
struct SuppressionRow<'a> {
    address: &'a str,
    account_id: Option<i64>,
    kind: &'a str,
    stream: &'a str,
    reason: &'a str,
    since: i64,
    until: Option<i64>,
    event_id: Option<i64>,
    address_hash: i64,
    basis: Option<&'static str>,
    confirmations: Option<i64>,
}

impl<'a> SuppressionRow<'a> {
    fn new(s: &'a Suppression, basis: Option<GlobalBasis>) -> Self {
        SuppressionRow {
            address: s.address.as_str(),
            account_id: scope_account(s.scope),
            kind: s.kind.as_str(),
            stream: s.stream.as_str(),
            reason: &s.reason,
            since: to_ms(s.since),
            until: s.until.map(to_ms),
            event_id: s.event_id,
            address_hash: s.address.key_hash(),
            basis: basis.map(GlobalBasis::as_str),
            confirmations: match basis {
                Some(GlobalBasis::Quorum { accounts }) => Some(i64::from(accounts)),
                _ => None,
            },
        }
    }
}

/// Inserts [`SuppressionRow`]s; returns each one's id and event.
fn insert_suppressions_sql(conn: &AnyConnection) -> String {
    use Ty::{Int, Text};
    format!(
        "INSERT INTO suppressions (address, account_id, kind, stream, reason, since, until, \
         event_id, address_hash, basis, confirmations) SELECT v.address, v.account_id, v.kind, \
         v.stream, v.reason, v.since, v.until, v.event_id, v.address_hash, v.basis, \
         v.confirmations FROM {} \
         RETURNING id, event_id, account_id",
        json_rows(
            conn,
            &[
                ("address", Text),
                ("account_id", Int),
                ("kind", Text),
                ("stream", Text),
                ("reason", Text),
                ("since", Int),
                ("until", Int),
                ("event_id", Int),
                ("address_hash", Int),
                ("basis", Text),
                ("confirmations", Int),
            ]
        )
    )
}

/// Inserts suppression entries in one statement; returns their ids in input order. Rows are
/// matched back by event and scope, so each entry must name an event, and one event at most
/// one entry per scope (as the ingest's do: the reporting account's, and a global one).
pub async fn insert_suppressions(
    conn: &mut AnyConnection,
    entries: &[NewEntry],
) -> anyhow::Result<Vec<i64>> {
    let mut seen = std::collections::HashSet::new();
    anyhow::ensure!(
        entries.iter().all(|s| s
            .entry
            .event_id
            .is_some_and(|e| seen.insert((e, scope_account(s.entry.scope))))),
        "a batch of suppressions needs one distinct event per entry and scope"
    );
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<SuppressionRow> = entries
        .iter()
        .map(|s| SuppressionRow::new(&s.entry, s.basis))
        .collect();
    let sql = insert_suppressions_sql(conn);
    let ids: std::collections::HashMap<(i64, Option<i64>), i64> =
        fetch_rows(&mut *conn, &sql, &rows, "Failed to store suppressions")
            .await?
            .iter()
            .map(|r| {
                Ok((
                    (
                        col::<i64>(r, "event_id")?,
                        col::<Option<i64>>(r, "account_id")?,
                    ),
                    col::<i64>(r, "id")?,
                ))
            })
            .collect::<anyhow::Result<_>>()?;
    entries
        .iter()
        .map(|s| {
            let event = s.entry.event_id.unwrap_or_default();
            ids.get(&(event, scope_account(s.entry.scope)))
                .copied()
                .with_context(|| format!("no suppression came back for event {event}"))
        })
        .collect()
}

/// Every entry (active or not) for `address` that concerns `account`: global ones and the
/// account's own.
pub async fn suppressions_for(
    conn: &mut AnyConnection,
    account_id: i64,
    address: &EmailAddress,
) -> anyhow::Result<Vec<StoredSuppression>> {
    let sql = format!(
        "SELECT {SUPPRESSION_COLUMNS} FROM suppressions WHERE address_hash = $3 \
         AND address = $1 AND (account_id IS NULL OR account_id = $2) ORDER BY id"
    );
    sqlx::query(&sql)
        .bind(address.as_str())
        .bind(account_id)
        .bind(address.key_hash())
        .fetch_all(conn)
        .await
        .context("Failed to read suppressions")?
        .iter()
        .map(suppression_from_row)
        .collect()
}

pub async fn overrides_for(
    conn: &mut AnyConnection,
    account_id: i64,
    address: &EmailAddress,
) -> anyhow::Result<Vec<Override>> {
    sqlx::query(
        "SELECT account_id, address, reason, since FROM suppression_overrides \
         WHERE address = $1 AND account_id = $2 ORDER BY id",
    )
    .bind(address.as_str())
    .bind(account_id)
    .fetch_all(conn)
    .await
    .context("Failed to read suppression overrides")?
    .iter()
    .map(override_from_row)
    .collect()
}

pub async fn insert_override(
    conn: &mut AnyConnection,
    o: &Override,
    actor: &str,
) -> anyhow::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO suppression_overrides (account_id, address, reason, actor, since) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(o.account.0)
    .bind(o.address.as_str())
    .bind(&o.reason)
    .bind(actor)
    .bind(to_ms(o.since))
    .fetch_one(conn)
    .await
    .context("Failed to store a suppression override")
}

/// Ends the account's active entries for `address` (not unsubscribes: those are the
/// recipient's to lift). They count as released now, so the sweeper does not log them again.
pub async fn end_account_suppressions(
    conn: &mut AnyConnection,
    account_id: i64,
    address: &EmailAddress,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let done = sqlx::query(
        "UPDATE suppressions SET until = $1, released_at = $1 WHERE address_hash = $4 \
         AND address = $2 AND account_id = $3 AND kind <> 'unsubscribe' \
         AND (until IS NULL OR until > $1)",
    )
    .bind(to_ms(now))
    .bind(address.as_str())
    .bind(account_id)
    .bind(address.key_hash())
    .execute(conn)
    .await
    .context("Failed to end suppressions")?;
    Ok(done.rows_affected())
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

pub async fn insert_log(conn: &mut AnyConnection, e: &NewLogEntry) -> anyhow::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO org_log (account_id, logged_at, kind, actor, subject, details, event_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(e.account_id)
    .bind(to_ms(e.at))
    .bind(e.kind)
    .bind(&e.actor)
    .bind(&e.subject)
    .bind(e.details.to_string())
    .bind(e.event_id)
    .fetch_one(conn)
    .await
    .context("Failed to write an Org Logging entry")
}

/// Several Org Logging entries, in this order, in one statement.
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
        /// The details' JSON text, as stored.
        details: String,
        event_id: Option<i64>,
        n: usize,
    }
    let rows: Vec<Row> = entries
        .iter()
        .enumerate()
        .map(|(n, e)| Row {
            account_id: e.account_id,
            logged_at: to_ms(e.at),
            kind: e.kind,
            actor: &e.actor,
            subject: &e.subject,
            details: e.details.to_string(),
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

/// Times of the account's ISP blocks from `domain` received after `after`.
pub async fn isp_blocks_since(
    conn: &mut AnyConnection,
    account_id: i64,
    domain: &str,
    after: DateTime<Utc>,
) -> anyhow::Result<Vec<DateTime<Utc>>> {
    let rows: Vec<i64> = sqlx::query_scalar(
        "SELECT received_at FROM delivery_events WHERE account_id = $1 AND category = 'isp_block' \
         AND recipient_domain = $2 AND received_at > $3",
    )
    .bind(account_id)
    .bind(domain)
    .bind(to_ms(after))
    .fetch_all(conn)
    .await
    .context("Failed to count ISP blocks")?;
    Ok(rows.into_iter().map(from_ms).collect())
}

/// Times of the account's domain alerts for `domain` logged after `after`.
pub async fn domain_alerts_since(
    conn: &mut AnyConnection,
    account_id: i64,
    domain: &str,
    after: DateTime<Utc>,
) -> anyhow::Result<Vec<DateTime<Utc>>> {
    let rows: Vec<i64> = sqlx::query_scalar(
        "SELECT logged_at FROM org_log WHERE account_id = $1 AND kind = 'domain_alert' \
         AND subject = $2 AND logged_at > $3",
    )
    .bind(account_id)
    .bind(domain)
    .bind(to_ms(after))
    .fetch_all(conn)
    .await
    .context("Failed to read domain alerts")?;
    Ok(rows.into_iter().map(from_ms).collect())
}

/// Marks the entry released, once: `true` only for the caller whose update changed the row,
/// so several replicas sweeping one database log each release once.
pub async fn claim_release(
    conn: &mut AnyConnection,
    suppression_id: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE suppressions SET released_at = $1 WHERE id = $2 AND released_at IS NULL",
    )
    .bind(to_ms(now))
    .bind(suppression_id)
    .execute(conn)
    .await
    .context("Failed to claim a released suppression")?;
    Ok(done.rows_affected() == 1)
}

/// How many ranges of the recipient list the batch gate probes side by side: the machines
/// this runs on have two cores or more.
pub const GATE_PARTS: usize = 2;

/// A webhook credential as its account's admin sees it: no secret, only what is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookCredentialSummary {
    pub username: String,
    pub has_mailgun_key: bool,
    pub has_sendgrid_key: bool,
    pub sns_topic_arn: Option<String>,
}

/// Sets the SNS topic of the account's credential `username`; the topic it replaces, or
/// `None` when the account has no credential of that name (another account's is not found).
pub async fn set_account_sns_topic(
    conn: &mut AnyConnection,
    account_id: i64,
    username: &str,
    arn: Option<&str>,
) -> anyhow::Result<Option<Option<String>>> {
    let before: Option<Option<String>> = sqlx::query_scalar(
        "SELECT sns_topic_arn FROM webhook_credentials WHERE account_id = $1 AND username = $2",
    )
    .bind(account_id)
    .bind(username)
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to read a webhook credential")?;
    if before.is_none() {
        return Ok(None);
    }
    sqlx::query(
        "UPDATE webhook_credentials SET sns_topic_arn = $1 WHERE account_id = $2 AND username = $3",
    )
    .bind(arn)
    .bind(account_id)
    .bind(username)
    .execute(&mut *conn)
    .await
    .context("Failed to set the SNS topic")?;
    Ok(before)
}

/// The column a sealed Mailgun signing key is bound to (see [`crate::secrets`]).
pub(crate) const MAILGUN_KEY_PURPOSE: &str = "mailgun_signing_key";

impl Db {
    pub async fn create_webhook_credential(
        &self,
        account_id: i64,
        username: &str,
        secret_hash: &str,
        mailgun_signing_key: Option<&str>,
        sendgrid_public_key: Option<&str>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<i64> {
        sqlx::query_scalar(
            "INSERT INTO webhook_credentials (account_id, username, secret_hash, \
             mailgun_signing_key, sendgrid_public_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(account_id)
        .bind(username)
        .bind(secret_hash)
        // The Mailgun key signs what Mailgun posts: whoever reads it can forge webhooks.
        .bind(self.seal(MAILGUN_KEY_PURPOSE, mailgun_signing_key.map(str::to_string)))
        .bind(sendgrid_public_key)
        .bind(to_ms(now))
        .fetch_one(self.pool())
        .await
        .context("Failed to create a webhook credential")
    }

    pub async fn webhook_credential(
        &self,
        username: &str,
    ) -> anyhow::Result<Option<WebhookCredential>> {
        let row = sqlx::query(
            "SELECT account_id, username, secret_hash, mailgun_signing_key, sendgrid_public_key, \
             sns_topic_arn FROM webhook_credentials WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(self.pool())
        .await
        .context("Failed to look up a webhook credential")?;
        row.map(|r| {
            Ok(WebhookCredential {
                account_id: col(&r, "account_id")?,
                username: col(&r, "username")?,
                secret_hash: col(&r, "secret_hash")?,
                mailgun_signing_key: self
                    .open(MAILGUN_KEY_PURPOSE, col(&r, "mailgun_signing_key")?)
                    .context("the credential's Mailgun signing key")?,
                sendgrid_public_key: col(&r, "sendgrid_public_key")?,
                sns_topic_arn: col(&r, "sns_topic_arn")?,
            })
        })
        .transpose()
    }

    /// Sets the SNS topic of the credential `username`; false when there is no such credential.
    pub async fn set_sns_topic_arn(
        &self,
        username: &str,
        arn: Option<&str>,
    ) -> anyhow::Result<bool> {
        let done =
            sqlx::query("UPDATE webhook_credentials SET sns_topic_arn = $1 WHERE username = $2")
                .bind(arn)
                .bind(username)
                .execute(self.pool())
                .await
                .context("Failed to set the SNS topic")?;
        Ok(done.rows_affected() == 1)
    }

    /// The account's webhook credentials, by username (their secrets are not read).
    pub async fn webhook_credentials_of(
        &self,
        account_id: i64,
    ) -> anyhow::Result<Vec<WebhookCredentialSummary>> {
        let rows = sqlx::query(
            "SELECT username, \
             CAST(CASE WHEN mailgun_signing_key IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_mailgun, \
             CAST(CASE WHEN sendgrid_public_key IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_sendgrid, \
             sns_topic_arn \
             FROM webhook_credentials WHERE account_id = $1 ORDER BY username",
        )
        .bind(account_id)
        .fetch_all(self.pool())
        .await
        .context("Failed to list webhook credentials")?;
        rows.iter()
            .map(|r| {
                Ok(WebhookCredentialSummary {
                    username: col(r, "username")?,
                    has_mailgun_key: col::<i64>(r, "has_mailgun")? != 0,
                    has_sendgrid_key: col::<i64>(r, "has_sendgrid")? != 0,
                    sns_topic_arn: col(r, "sns_topic_arn")?,
                })
            })
            .collect()
    }

    /// Claims the token of a signed webhook delivery: true the first time, false when it was
    /// taken before (a replay). Tokens seen before `forget_before` (older than any timestamp
    /// still accepted) are forgotten first.
    pub async fn claim_webhook_token(
        &self,
        account_id: i64,
        provider: &str,
        token: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        sqlx::query("DELETE FROM webhook_replays WHERE seen_at < $1")
            .bind(to_ms(forget_before))
            .execute(self.pool())
            .await
            .context("Failed to forget old webhook tokens")?;
        let done = sqlx::query(
            "INSERT INTO webhook_replays (provider, token, account_id, seen_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (provider, token) DO NOTHING",
        )
        .bind(provider)
        .bind(token)
        .bind(account_id)
        .bind(to_ms(now))
        .execute(self.pool())
        .await
        .context("Failed to remember a webhook token")?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives a claimed token back (its delivery could not be stored: the provider's retry
    /// must get through).
    pub async fn release_webhook_token(&self, provider: &str, token: &str) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM webhook_replays WHERE provider = $1 AND token = $2")
            .bind(provider)
            .bind(token)
            .execute(self.pool())
            .await
            .context("Failed to release a webhook token")?;
        Ok(())
    }

    /// The account's delivery events, oldest first (for tests and the event details).
    pub async fn delivery_events(&self, account_id: i64) -> anyhow::Result<Vec<DeliveryEvent>> {
        sqlx::query(
            "SELECT id, account_id, provider, provider_event_id, category, reason, status, \
             reply_code, recipient, diagnostic, remote_mta, message_id, occurred_at, received_at, raw \
             FROM delivery_events WHERE account_id = $1 ORDER BY id",
        )
        .bind(account_id)
        .fetch_all(self.pool())
        .await
        .context("Failed to list delivery events")?
        .iter()
        .map(|r| {
            Ok(DeliveryEvent {
                id: col(r, "id")?,
                account_id: col(r, "account_id")?,
                provider: col(r, "provider")?,
                provider_event_id: col(r, "provider_event_id")?,
                category: col(r, "category")?,
                reason: col(r, "reason")?,
                status: col(r, "status")?,
                reply_code: col(r, "reply_code")?,
                recipient: col(r, "recipient")?,
                diagnostic: col(r, "diagnostic")?,
                remote_mta: col(r, "remote_mta")?,
                message_id: col(r, "message_id")?,
                occurred_at: from_ms(col(r, "occurred_at")?),
                received_at: from_ms(col(r, "received_at")?),
                raw: col(r, "raw")?,
            })
        })
        .collect()
    }

    /// Every entry for `address` that concerns `account` (global and the account's own).
    pub async fn suppressions(
        &self,
        account_id: i64,
        address: &EmailAddress,
    ) -> anyhow::Result<Vec<StoredSuppression>> {
        let mut conn = self.pool().acquire().await.context("Failed to connect")?;
        suppressions_for(&mut conn, account_id, address).await
    }

    pub async fn overrides(
        &self,
        account_id: i64,
        address: &EmailAddress,
    ) -> anyhow::Result<Vec<Override>> {
        let mut conn = self.pool().acquire().await.context("Failed to connect")?;
        overrides_for(&mut conn, account_id, address).await
    }

    /// Unreleased entries whose `until` is at or before `now`: the sweeper's candidates.
    pub async fn expired_unreleased(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> anyhow::Result<Vec<StoredSuppression>> {
        let sql = format!(
            "SELECT {SUPPRESSION_COLUMNS} FROM suppressions WHERE released_at IS NULL \
             AND until IS NOT NULL AND until <= $1 ORDER BY until, id LIMIT $2"
        );
        sqlx::query(&sql)
            .bind(to_ms(now))
            .bind(limit)
            .fetch_all(self.pool())
            .await
            .context("Failed to read expired suppressions")?
            .iter()
            .map(suppression_from_row)
            .collect()
    }

    /// The account an event belongs to (to file a global entry's release under it).
    pub async fn event_account(&self, event_id: i64) -> anyhow::Result<Option<i64>> {
        sqlx::query_scalar("SELECT account_id FROM delivery_events WHERE id = $1")
            .bind(event_id)
            .fetch_optional(self.pool())
            .await
            .context("Failed to read an event's account")
    }

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
        account_id: i64,
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
                .bind(account_id)
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
        account_id: i64,
        keys: &[i64],
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Suppression>> {
        use std::fmt::Write;
        // The keys as an array literal read as a table, and the matches aggregated into one
        // row back: a hundred thousand rows one by one cost more (each a hand-over from the
        // driver, each value converted) than the probes that found them.
        let (open, close, input, agg, close_agg) = match self.backend() {
            // CROSS JOIN keeps the input the outer loop.
            super::Backend::Sqlite => (
                '[',
                ']',
                "json_each($1) AS g CROSS JOIN",
                "json_group_array(json_array(",
                "))",
            ),
            super::Backend::Postgres => (
                '{',
                '}',
                "unnest(CAST($1 AS BIGINT[])) AS g(value) JOIN",
                "CAST(json_agg(json_build_array(",
                ")) AS TEXT)",
            ),
        };
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
             s.event_id, s.basis, s.confirmations, s.stream{close_agg} AS found FROM {input} \
             suppressions s \
             ON s.address_hash = g.value WHERE (s.account_id IS NULL OR s.account_id = $2) \
             AND (s.until IS NULL OR s.until > $3)"
        );
        let mut tx = self.pool().begin().await.context("Failed to begin")?;
        if self.backend() == super::Backend::Postgres {
            // The plan is fixed: the input drives probes of the key index, in this process.
            // Left to itself, PostgreSQL may hash the input and scan the whole table (twice
            // as slow, and every part of the list would scan it again), and on a table
            // without statistics it can even nest the input inside a scan of the table. The
            // costs of the disabled plans would make it JIT-compile the query (150 ms).
            sqlx::query(
                "SELECT set_config('enable_hashjoin', 'off', true), \
                 set_config('enable_mergejoin', 'off', true), \
                 set_config('enable_seqscan', 'off', true), \
                 set_config('max_parallel_workers_per_gather', '0', true), \
                 set_config('jit', 'off', true)",
            )
            .execute(&mut *tx)
            .await
            .context("Failed to fix the gate's plan")?;
        }
        let found: Option<String> = sqlx::query_scalar(&sql)
            .bind(list)
            .bind(account_id)
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
        account_id: i64,
        recipients: &[EmailAddress],
    ) -> anyhow::Result<Vec<Override>> {
        let mut sorted: Vec<&str> = recipients.iter().map(EmailAddress::as_str).collect();
        sorted.sort_unstable();
        sorted.dedup();
        let list = serde_json::to_string(&sorted).context("Failed to encode the recipients")?;
        let input = match self.backend() {
            super::Backend::Sqlite => "json_each($1) AS g CROSS JOIN",
            super::Backend::Postgres => "json_array_elements_text($1::json) AS g(value) JOIN",
        };
        sqlx::query(&format!(
            "SELECT o.account_id AS account_id, o.address AS address, o.reason AS reason, \
             o.since AS since FROM {input} suppression_overrides o ON o.address = g.value \
             WHERE o.account_id = $2"
        ))
        .bind(list)
        .bind(account_id)
        .fetch_all(self.pool())
        .await
        .context("Failed to match recipients against overrides")?
        .iter()
        .map(override_from_row)
        .collect()
    }

    /// Gives every suppression stored before its address had a key
    /// ([`EmailAddress::key_hash`]; migration 0007) its key. Run after migrating; finds
    /// nothing to do, through the key index (which holds NULLs too), once done. Returns how many rows it keyed.
    pub async fn backfill_address_keys(&self) -> anyhow::Result<u64> {
        let mut done = 0;
        loop {
            let rows: Vec<(i64, String)> = sqlx::query_as(
                "SELECT id, address FROM suppressions WHERE address_hash IS NULL \
                 ORDER BY id LIMIT 1000",
            )
            .fetch_all(self.pool())
            .await
            .context("Failed to read suppressions without a key")?;
            if rows.is_empty() {
                return Ok(done);
            }
            let mut tx = self.pool().begin().await.context("Failed to begin")?;
            let keyed: Vec<serde_json::Value> = rows
                .iter()
                // Stored addresses are stored normalised.
                .map(|(id, address)| {
                    serde_json::json!({"id": id, "h": crate::domain::address::key_of(address)})
                })
                .collect();
            let sql = format!(
                "WITH v AS (SELECT * FROM {}) \
                 UPDATE suppressions SET address_hash = v.h FROM v WHERE suppressions.id = v.id",
                json_rows(&tx, &[("id", Ty::Int), ("h", Ty::Int)])
            );
            execute_rows(&mut tx, &sql, &keyed, "Failed to key suppressions").await?;
            tx.commit().await.context("Failed to commit keys")?;
            done += rows.len() as u64;
        }
    }

    /// The active global entries for any of `addresses` that `account_id` has not
    /// reactivated, oldest first, with their basis and source event (the evidence).
    pub async fn global_entries(
        &self,
        account_id: i64,
        addresses: &[EmailAddress],
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<GlobalEntry>> {
        if addresses.is_empty() {
            return Ok(Vec::new());
        }
        let mut keys: Vec<i64> = addresses.iter().map(EmailAddress::key_hash).collect();
        keys.sort_unstable();
        keys.dedup();
        let input = match self.backend() {
            super::Backend::Sqlite => "SELECT value FROM json_each($1)",
            super::Backend::Postgres => {
                "SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST($1 AS json))"
            }
        };
        let sql = format!(
            "SELECT s.address AS address, s.reason AS reason, s.basis AS basis, \
             s.confirmations AS confirmations, s.since AS since, s.until AS until, \
             s.event_id AS event_id, e.status AS status, e.reply_code AS reply_code, \
             e.provenance AS provenance, e.received_at AS received_at \
             FROM suppressions s LEFT JOIN delivery_events e ON e.id = s.event_id \
             WHERE s.address_hash IN ({input}) AND s.account_id IS NULL \
             AND (s.until IS NULL OR s.until > $3) \
             AND NOT EXISTS (SELECT 1 FROM suppression_overrides o WHERE o.account_id = $2 \
               AND o.address = s.address AND (o.since >= s.since OR s.basis = 'quorum')) \
             ORDER BY s.since, s.id"
        );
        let wanted: std::collections::HashSet<&str> =
            addresses.iter().map(EmailAddress::as_str).collect();
        sqlx::query(&sql)
            .bind(serde_json::to_string(&keys).context("Failed to encode address keys")?)
            .bind(account_id)
            .bind(to_ms(now))
            .fetch_all(self.pool())
            .await
            .context("Failed to read global suppressions")?
            .iter()
            .map(|r| {
                let basis: Option<String> = col(r, "basis")?;
                let provenance: Option<String> = col(r, "provenance")?;
                let until: Option<i64> = col(r, "until")?;
                let received: Option<i64> = col(r, "received_at")?;
                Ok(GlobalEntry {
                    address: col(r, "address")?,
                    reason: col(r, "reason")?,
                    basis: basis.as_deref().and_then(|b| {
                        GlobalBasis::from_parts(b, col(r, "confirmations").ok().flatten())
                    }),
                    since: from_ms(col(r, "since")?),
                    until: until.map(from_ms),
                    event_id: col(r, "event_id")?,
                    status: col(r, "status")?,
                    reply_code: col(r, "reply_code")?,
                    provenance: provenance.as_deref().and_then(Provenance::parse),
                    received_at: received.map(from_ms),
                })
            })
            .filter(|e: &anyhow::Result<GlobalEntry>| {
                e.as_ref()
                    .map_or(true, |e| wanted.contains(e.address.as_str()))
            })
            .collect()
    }

    /// The account's Org Logging entries, newest first, filtered and paginated.
    pub async fn org_log(&self, account_id: i64, filter: &LogFilter) -> anyhow::Result<LogPage> {
        let per_page = filter.per_page.clamp(1, 500);
        let mut clauses = vec!["account_id = $1".to_string()];
        let mut n = 1;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        let kind = filter.kind.as_deref().filter(|k| !k.is_empty());
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
                let mut q = $q.bind(account_id);
                if let Some(k) = kind {
                    q = q.bind(k.to_string());
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

    pub async fn contact_status(
        &self,
        account_id: i64,
        email: &str,
    ) -> anyhow::Result<Option<ContactStatus>> {
        let row = sqlx::query(
            "SELECT status, status_until, status_reason, status_event_id FROM contacts \
             WHERE account_id = $1 AND email = $2",
        )
        .bind(account_id)
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
        account_id: i64,
        message_id: i64,
    ) -> anyhow::Result<Option<MessageDelivery>> {
        let row = sqlx::query(
            "SELECT delivery_status, delivered_at, delivery_error FROM messages \
             WHERE account_id = $1 AND id = $2",
        )
        .bind(account_id)
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
        account_id: i64,
        message_id: i64,
        provider_message_id: Option<&str>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE messages SET delivery_status = 'pending', provider_message_id = $1 \
             WHERE account_id = $2 AND id = $3",
        )
        .bind(provider_message_id)
        .bind(account_id)
        .bind(message_id)
        .execute(self.pool())
        .await
        .context("Failed to record a sent message")?;
        Ok(())
    }
}
