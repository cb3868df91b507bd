//! Suppressions and their overrides (reactivations): inserting, reading, ending and
//! releasing entries, and the global entries shown on the Contacts page.

use crate::domain::address::EmailAddress;
use crate::domain::suppression::scope_by_trust::{GlobalBasis, Provenance};
use crate::domain::suppression::{
    AccountId, Override, Scope, Stream, Suppression, SuppressionKind,
};
use crate::storage::batch::{execute_rows, fetch_rows, json_rows, Ty};
use crate::storage::{col, from_ms, to_ms, Db};
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
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

pub(super) fn scope_of(account_id: Option<i64>) -> Scope {
    match account_id {
        None => Scope::Global,
        Some(a) => Scope::Account(AccountId(a)),
    }
}

pub(super) fn scope_account(scope: Scope) -> Option<i64> {
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

pub(super) fn parse_stream(s: &str) -> anyhow::Result<Stream> {
    Stream::parse(s).with_context(|| format!("unknown suppression stream {s:?}"))
}

pub(super) fn override_from_row(row: &AnyRow) -> anyhow::Result<Override> {
    let address: String = col(row, "address")?;
    Ok(Override {
        account: AccountId(col(row, "account_id")?),
        address: EmailAddress::parse(&address)
            .with_context(|| format!("stored address {address:?} is not valid"))?,
        reason: col(row, "reason")?,
        since: from_ms(col(row, "since")?),
    })
}

/// Inserts a suppression entry; returns its id.
pub async fn insert_suppression(conn: &mut AnyConnection, s: &Suppression) -> anyhow::Result<i64> {
    insert_suppression_with_basis(conn, s, None).await
}

/// Inserts a suppression entry, global on `basis` when given; returns its id.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = s.scope.account().map(|a| a.0)))]
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
#[tracing::instrument(level = "debug", skip_all, fields(entries = entries.len()))]
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
    account_id: AccountId,
    address: &EmailAddress,
) -> anyhow::Result<Vec<StoredSuppression>> {
    let sql = format!(
        "SELECT {SUPPRESSION_COLUMNS} FROM suppressions WHERE address_hash = $3 \
         AND address = $1 AND (account_id IS NULL OR account_id = $2) ORDER BY id"
    );
    sqlx::query(&sql)
        .bind(address.as_str())
        .bind(account_id.0)
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
    account_id: AccountId,
    address: &EmailAddress,
) -> anyhow::Result<Vec<Override>> {
    sqlx::query(
        "SELECT account_id, address, reason, since FROM suppression_overrides \
         WHERE address = $1 AND account_id = $2 ORDER BY id",
    )
    .bind(address.as_str())
    .bind(account_id.0)
    .fetch_all(conn)
    .await
    .context("Failed to read suppression overrides")?
    .iter()
    .map(override_from_row)
    .collect()
}

#[tracing::instrument(level = "debug", skip_all, fields(account_id = o.account.0))]
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
#[tracing::instrument(level = "debug", skip_all, fields(account_id = account_id.0))]
pub async fn end_account_suppressions(
    conn: &mut AnyConnection,
    account_id: AccountId,
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
    .bind(account_id.0)
    .bind(address.key_hash())
    .execute(conn)
    .await
    .context("Failed to end suppressions")?;
    Ok(done.rows_affected())
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

impl Db {
    /// Every entry for `address` that concerns `account` (global and the account's own).
    pub async fn suppressions(
        &self,
        account_id: AccountId,
        address: &EmailAddress,
    ) -> anyhow::Result<Vec<StoredSuppression>> {
        let mut conn = self.pool().acquire().await.context("Failed to connect")?;
        suppressions_for(&mut conn, account_id, address).await
    }

    pub async fn overrides(
        &self,
        account_id: AccountId,
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
        account_id: AccountId,
        addresses: &[EmailAddress],
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<GlobalEntry>> {
        if addresses.is_empty() {
            return Ok(Vec::new());
        }
        let mut keys: Vec<i64> = addresses.iter().map(EmailAddress::key_hash).collect();
        keys.sort_unstable();
        keys.dedup();
        let input = self.backend().bigint_list();

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
            .bind(account_id.0)
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
}
