//! Batched statements: a whole batch of rows bound as one JSON parameter ([`json_rows`]).

use anyhow::Context;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
/// The type of a column of a [`json_rows`] batch.
#[derive(Clone, Copy)]
pub(super) enum Ty {
    Int,
    Text,
}

/// A statement's whole batch of rows as one bound parameter, `$1`: a JSON array of objects,
/// read as the table `v` with these columns (SQLite's `json_each`, PostgreSQL's
/// `json_to_recordset`). One value to bind instead of one per column and row (sqlx-sqlite
/// finds each parameter by its name, and SQLite finds a name by walking the statement's
/// list of them: the cost grows with the square of their number), and one statement per
/// batch, however large, with the same text every time (prepared once per connection).
pub(super) fn json_rows(conn: &AnyConnection, columns: &[(&str, Ty)]) -> String {
    let list = |f: &dyn Fn(&str, Ty) -> String| {
        columns
            .iter()
            .map(|(c, t)| f(c, *t))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if crate::storage::is_postgres(conn) {
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
pub(super) fn unhex(conn: &AnyConnection, column: &str) -> String {
    if crate::storage::is_postgres(conn) {
        format!("decode({column}, 'hex')")
    } else {
        format!("unhex({column})")
    }
}

/// Runs a [`json_rows`] statement with `rows` as its parameter.
pub(super) async fn execute_rows<T: Serialize>(
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
pub(super) async fn fetch_rows<T: Serialize>(
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
