//! Delivery events: storing what providers and bounce notices report, matched to the
//! message we sent, and reading them back.

use crate::domain::suppression::scope_by_trust::{Provenance, TransportKind};
use crate::domain::suppression::AccountId;
use crate::storage::batch::{execute_rows, fetch_rows_with_bytes, json_rows, SideBytes, Span, Ty};
use crate::storage::{col, from_ms, to_ms, Backend, Db};
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AnyConnection;
/// One delivery event to store (a provider event or one recipient of a raw notice).
#[derive(Debug, Clone)]
pub struct NewDeliveryEvent<'a> {
    pub account_id: AccountId,
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
    pub account_id: AccountId,
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
    /// The payload or notice as received, in the batch's side bytes.
    raw_at: Option<i64>,
    raw_len: Option<i64>,
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
/// is a sub-select of its own on its own index, run only when the event has that key.
pub async fn insert_events(
    conn: &mut AnyConnection,
    events: &[NewDeliveryEvent<'_>],
) -> anyhow::Result<Vec<Option<StoredEvent>>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let mut raw =
        SideBytes::with_capacity(events.iter().filter_map(|e| e.raw).map(<[u8]>::len).sum());
    let rows: Vec<EventRow> = events
        .iter()
        .map(|e| {
            let mid = e
                .message_id_header
                .map(|m| m.trim().trim_start_matches('<').trim_end_matches('>'))
                .filter(|m| !m.is_empty());
            let Span {
                at: raw_at,
                len: raw_len,
            } = raw.push(e.raw);
            EventRow {
                account_id: e.account_id.0,
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
                raw_at,
                raw_len,
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
            ("raw_at", Int),
            ("raw_len", Int),
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
          CASE WHEN v.return_path IS NOT NULL THEN \
          (SELECT min(m.id) FROM messages m WHERE m.account_id = v.account_id \
           AND m.return_path = v.return_path AND m.direction = 'outbound') END, \
          CASE WHEN v.match_provider_id IS NOT NULL THEN \
          (SELECT min(m.id) FROM messages m WHERE m.account_id = v.account_id \
           AND m.provider_message_id = v.match_provider_id AND m.direction = 'outbound') END, \
          CASE WHEN v.match_mid IS NOT NULL THEN \
          (SELECT min(m.id) FROM messages m WHERE m.account_id = v.account_id \
           AND m.message_id_header IN (v.match_mid, v.match_mid_bracketed) \
           AND m.direction = 'outbound') END), \
         v.occurred_at, v.received_at, {raw}, v.provenance, v.return_path, \
         COALESCE(\
          CASE WHEN v.match_verp_key IS NOT NULL THEN \
          (SELECT min(r.id) FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id \
           WHERE r.message_key = v.match_verp_key AND c.account_id = v.account_id) END, \
          CASE WHEN v.match_mid_bracketed IS NOT NULL THEN \
          (SELECT min(r.id) FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id \
           WHERE r.message_id_header = v.match_mid_bracketed AND c.account_id = v.account_id) \
          END) \
         FROM {table} WHERE true \
         ON CONFLICT (account_id, provider, provider_event_id) DO NOTHING \
         RETURNING id, message_id, campaign_recipient_id, account_id, provider, provider_event_id, \
         CASE WHEN delivery_events.message_id IS NOT NULL THEN \
         (SELECT CASE WHEN m.return_path = delivery_events.return_path THEN 'v' \
           WHEN m.provider_message_id = delivery_events.provider_message_id THEN 'p' ELSE 'm' END \
           || CASE WHEN m.shared_transport = 1 THEN 's' ELSE 'a' END \
          FROM messages m WHERE m.id = delivery_events.message_id) END AS matched",
        raw = SideBytes::sql(conn, "v.raw_at", "v.raw_len"),
    );
    let returned = fetch_rows_with_bytes(
        &mut *conn,
        &sql,
        &rows,
        raw,
        "Failed to store delivery events",
    )
    .await?;
    drop(rows);
    // RETURNING promises no order: rows are matched to inputs by their unique key. The first
    // input with a key is the one stored; a later one is its duplicate.
    let mut first: std::collections::HashMap<(i64, &str, &str), usize> =
        std::collections::HashMap::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        first
            .entry((e.account_id.0, e.provider, e.provider_event_id))
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
    // Per account its latest report: enough for a count of accounts in a window. The
    // addresses are a plain JSON array driving probes of the recipient index.
    let sql = format!(
        "SELECT e.recipient AS recipient, e.account_id AS account_id, \
         max(e.received_at) AS at FROM {} \
         WHERE e.category = 'hard_bounce' AND e.received_at > $2 \
         GROUP BY e.recipient, e.account_id",
        Backend::of(conn).probe_join(true, "delivery_events", "e", "recipient")
    );
    let found = sqlx::query(&sql)
        .bind(serde_json::to_string(addresses).context("Failed to encode the addresses")?)
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

/// Times of the account's ISP blocks from `domain` received after `after`.
pub async fn isp_blocks_since(
    conn: &mut AnyConnection,
    account_id: AccountId,
    domain: &str,
    after: DateTime<Utc>,
) -> anyhow::Result<Vec<DateTime<Utc>>> {
    let rows: Vec<i64> = sqlx::query_scalar(
        "SELECT received_at FROM delivery_events WHERE account_id = $1 AND category = 'isp_block' \
         AND recipient_domain = $2 AND received_at > $3",
    )
    .bind(account_id.0)
    .bind(domain)
    .bind(to_ms(after))
    .fetch_all(conn)
    .await
    .context("Failed to count ISP blocks")?;
    Ok(rows.into_iter().map(from_ms).collect())
}

impl Db {
    /// The account's delivery events, oldest first (for tests and the event details).
    pub async fn delivery_events(
        &self,
        account_id: AccountId,
    ) -> anyhow::Result<Vec<DeliveryEvent>> {
        sqlx::query(
            "SELECT id, account_id, provider, provider_event_id, category, reason, status, \
             reply_code, recipient, diagnostic, remote_mta, message_id, occurred_at, received_at, raw \
             FROM delivery_events WHERE account_id = $1 ORDER BY id",
        )
        .bind(account_id.0)
        .fetch_all(self.pool())
        .await
        .context("Failed to list delivery events")?
        .iter()
        .map(|r| {
            Ok(DeliveryEvent {
                id: col(r, "id")?,
                account_id: AccountId(col(r, "account_id")?),
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

    /// The account an event belongs to (to file a global entry's release under it).
    pub async fn event_account(&self, event_id: i64) -> anyhow::Result<Option<i64>> {
        sqlx::query_scalar("SELECT account_id FROM delivery_events WHERE id = $1")
            .bind(event_id)
            .fetch_optional(self.pool())
            .await
            .context("Failed to read an event's account")
    }
}
