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

/// Byte strings that travel beside a [`json_rows`] batch as its second parameter, `$2`: one
/// blob holding them all, each row carrying where its own starts and how long it is
/// ([`SideBytes::push`]). A payload written into the JSON batch would be escaped as a JSON
/// string (every quote of a JSON payload), parsed again by the database and unescaped; in
/// the blob it is copied once, and any bytes fit, UTF-8 or not.
#[derive(Default)]
pub(crate) struct SideBytes(Vec<u8>);

/// Where one row's bytes are in its batch's [`SideBytes`]: both `None` for no bytes.
#[derive(Serialize, Default, Clone, Copy)]
pub(crate) struct Span {
    /// 1-based, as SQL's `substr` and `substring` count.
    pub(crate) at: Option<i64>,
    pub(crate) len: Option<i64>,
}

impl SideBytes {
    pub(crate) fn with_capacity(n: usize) -> Self {
        SideBytes(Vec::with_capacity(n))
    }

    /// Appends one row's bytes; the row carries the span returned.
    pub(crate) fn push(&mut self, bytes: Option<&[u8]>) -> Span {
        match bytes {
            None => Span::default(),
            Some(b) => {
                let at = self.0.len() as i64 + 1;
                self.0.extend_from_slice(b);
                Span {
                    at: Some(at),
                    len: Some(b.len() as i64),
                }
            }
        }
    }

    /// The SQL for one row's bytes, from its span's two [`json_rows`] columns.
    pub(crate) fn sql(conn: &AnyConnection, at: &str, len: &str) -> String {
        Backend::of(conn).side_bytes(at, len)
    }
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

/// [`fetch_rows`] with the rows' [`SideBytes`] as `$2`.
pub(crate) async fn fetch_rows_with_bytes<T: Serialize>(
    conn: &mut AnyConnection,
    sql: &str,
    rows: &[T],
    bytes: SideBytes,
    failed: &'static str,
) -> anyhow::Result<Vec<AnyRow>> {
    sqlx::query(sql)
        .bind(serde_json::to_string(rows).context("Failed to encode a batch of rows")?)
        .bind(bytes.0)
        .fetch_all(conn)
        .await
        .context(failed)
}
