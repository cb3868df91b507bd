//! Batched statements: a whole batch of rows bound as one JSON parameter ([`json_rows`]).

pub(crate) use crate::storage::dialect::Ty;
use crate::storage::Backend;
use anyhow::Context;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

/// A statement's whole batch of rows as one bound parameter, `$1`: a JSON array of objects,
/// read as the table `v` with these columns ([`Backend::json_rows`]). One value to bind
/// instead of one per column and row (sqlx-sqlite finds each parameter by its name, and
/// SQLite finds a name by walking the statement's list of them: the cost grows with the
/// square of their number), and one statement per batch, however large, with the same text
/// every time (prepared once per connection).
pub(crate) fn json_rows(conn: &AnyConnection, columns: &[(&str, Ty)]) -> String {
    Backend::of(conn).json_rows(columns)
}

/// The SQL for bytes carried by two [`json_rows`] columns: as text when they are text, else
/// as hex digits.
pub(crate) fn bytes_of(conn: &AnyConnection, text: &str, hex: &str) -> String {
    Backend::of(conn).bytes_of(text, hex)
}

/// Runs a [`json_rows`] statement with `rows` as its parameter.
pub(crate) async fn execute_rows<T: Serialize>(
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
pub(crate) async fn fetch_rows<T: Serialize>(
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
