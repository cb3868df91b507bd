//! Where SQLite and PostgreSQL spell a statement differently. Every SQL fragment that depends
//! on the backend is made here, so the rest of `storage/` writes one statement for both and
//! asks this module for the part that differs. (Connecting and migrating, in `mod.rs`, also
//! differ per backend: pool sizes, file creation and the migration folders.)

use super::Backend;
use sqlx::AnyConnection;

/// Up to this many rows, SQLite's [`json_rows`](Backend::json_rows) cuts each row out of the
/// parsed batch by its index (each cut walks the rows before it); above it, it reads them in
/// one pass as text and parses each again.
const INDEXED_ROWS: usize = 256;

/// The type of a column of a [`json_rows`](Backend::json_rows) batch.
#[derive(Clone, Copy)]
pub(crate) enum Ty {
    Int,
    Text,
}

/// The parts of a statement that reads a list of 64-bit keys, bound as `$1`, as the table
/// `g(value)` driving a join, and folds the matching rows into one JSON array text.
pub(crate) struct KeyListSql {
    /// Written around the comma-separated keys to make `$1`'s text.
    pub open: char,
    pub close: char,
    /// `SELECT {agg} columns {close_agg}`: one JSON array of arrays.
    pub agg: &'static str,
    pub close_agg: &'static str,
}

impl Backend {
    /// The backend a connection talks to.
    pub(crate) fn of(conn: &AnyConnection) -> Backend {
        if conn.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// A statement's whole batch of rows as one bound parameter, `$1`: a JSON array of
    /// objects, read as the table `v` with these columns (SQLite's `json_each`, PostgreSQL's
    /// `json_to_recordset`).
    pub(crate) fn json_rows(self, columns: &[(&str, Ty)]) -> String {
        let list = |f: &dyn Fn(&str, Ty) -> String| {
            columns
                .iter()
                .map(|(c, t)| f(c, *t))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Backend::Postgres => {
                let cols = list(&|c, t| {
                    let ty = match t {
                        Ty::Int => "BIGINT",
                        Ty::Text => "TEXT",
                    };
                    format!("{c} {ty}")
                });
                format!("json_to_recordset(CAST($1 AS json)) AS v({cols})")
            }
            Backend::Sqlite => {
                // `->>` gives a JSON number as an INTEGER, a string as TEXT, null as NULL.
                // The batch is parsed into SQLite's binary JSON (`jsonb`) once (a constant
                // expression, computed once per run), and each row is kept as binary JSON
                // (MATERIALIZED: once per row), which `->>` reads as it is. Kept as text,
                // every `->>` looked the row up in SQLite's small cache of parsed JSON (a
                // comparison of the whole row's text) or parsed it again.
                //
                // How a row is taken out depends on the batch's size (a constant test, made
                // once; one SELECT, so that the batch is parsed once): up to INDEXED_ROWS rows, each is cut out of the
                // parsed batch by its index, still binary. That walks the rows before it, so
                // a large batch (a campaign's 5,000 recipients) takes `json_each`'s `value`
                // instead, which writes each row out as text for `jsonb()` to parse again:
                // linear, but dearer per row.
                let cols = list(&|c, _| format!("r ->> '{c}' AS {c}"));
                format!(
                    "(WITH j AS MATERIALIZED (SELECT \
                     CASE WHEN json_array_length(jsonb($1)) <= {INDEXED_ROWS} \
                     THEN jsonb_extract(jsonb($1), '$[' || key || ']') ELSE jsonb(value) END \
                     AS r FROM json_each(jsonb($1))) \
                    SELECT {cols} FROM j) AS v"
                )
            }
        }
    }

    /// A slice of the blob bound as `$2` (see `batch::SideBytes`): from the 1-based
    /// position `at`, `len` bytes; NULL when they are NULL.
    pub(crate) fn side_bytes(self, at: &str, len: &str) -> String {
        match self {
            Backend::Postgres => {
                format!(
                    "substring(CAST($2 AS BYTEA) FROM CAST({at} AS INT) FOR CAST({len} AS INT))"
                )
            }
            // `substr` of a blob counts bytes and gives a blob, but NULL for no bytes at all
            // (when every row's bytes are empty, the blob itself is empty).
            Backend::Sqlite => {
                format!("CASE WHEN {len} = 0 THEN x'' ELSE substr($2, {at}, {len}) END")
            }
        }
    }

    /// `$1`, a JSON array of `[account_id, email]` pairs, as rows `(account_id, email)`.
    pub(crate) fn account_email_pairs(self) -> &'static str {
        match self {
            Backend::Postgres => {
                "SELECT CAST(p ->> 0 AS BIGINT) AS account_id, p ->> 1 AS email \
                 FROM json_array_elements(CAST($1 AS json)) AS p"
            }
            Backend::Sqlite => {
                "SELECT value ->> 0 AS account_id, value ->> 1 AS email FROM json_each($1)"
            }
        }
    }

    /// The lower-cased part after the '@' of an address column.
    pub(crate) fn domain_of(self, column: &str) -> String {
        match self {
            Backend::Sqlite => format!("lower(substr({column}, instr({column}, '@') + 1))"),
            Backend::Postgres => format!("lower(split_part({column}, '@', 2))"),
        }
    }

    /// A `FROM` clause in which the list bound as `$1` (a [`key_list`](Backend::key_list)
    /// of keys, or with `text`, a JSON array of strings) is the table `g(value)` driving
    /// probes of `table`'s index on `column`: each value looks up its rows, as `alias`.
    ///
    /// The list must stay the outer loop. SQLite keeps a CROSS JOIN's order. PostgreSQL
    /// gets a LATERAL sub-select behind `OFFSET 0`, which it cannot turn around: with a
    /// plain join (and with a LATERAL one it may flatten), a table
    /// whose statistics were not yet gathered (just after a bulk import) was estimated at a
    /// few rows, and PostgreSQL scanned it once and compared all of it with every value of
    /// the list: 17 s for 50,000 keys against 5,000 suppressions, instead of 50 ms.
    pub(crate) fn probe_join(self, text: bool, table: &str, alias: &str, column: &str) -> String {
        match self {
            Backend::Sqlite => {
                format!(
                    "json_each($1) AS g CROSS JOIN {table} {alias} ON {alias}.{column} = g.value"
                )
            }
            Backend::Postgres => {
                let list = if text {
                    "json_array_elements_text(CAST($1 AS json))"
                } else {
                    "unnest(CAST($1 AS BIGINT[]))"
                };
                // OFFSET 0 keeps the sub-select a sub-select: a plain one is pulled up into
                // the join, and the join turned around again.
                format!(
                    "{list} AS g(value) CROSS JOIN LATERAL \
                     (SELECT * FROM {table} WHERE {column} = g.value OFFSET 0) {alias}"
                )
            }
        }
    }

    /// `$1`, a JSON array of integers, as a one-column `SELECT`.
    pub(crate) fn bigint_list(self) -> &'static str {
        match self {
            Backend::Sqlite => "SELECT value FROM json_each($1)",
            Backend::Postgres => {
                "SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST($1 AS json))"
            }
        }
    }

    /// See [`KeyListSql`]: a JSON array on SQLite, a `BIGINT[]` literal on PostgreSQL.
    pub(crate) fn key_list(self) -> KeyListSql {
        match self {
            Backend::Sqlite => KeyListSql {
                open: '[',
                close: ']',
                agg: "json_group_array(json_array(",
                close_agg: "))",
            },
            Backend::Postgres => KeyListSql {
                open: '{',
                close: '}',
                agg: "CAST(json_agg(json_build_array(",
                close_agg: ")) AS TEXT)",
            },
        }
    }

    /// A statement, run first in the same transaction, that fixes the plan of a
    /// [`key_list`](Backend::key_list) probe: the list drives probes of the key index, in
    /// this process. Left to itself, PostgreSQL may hash the input and scan the whole table
    /// (twice as slow, and every part of the list would scan it again), and on a table
    /// without statistics it can even nest the input inside a scan of the table; the costs
    /// of the disabled plans would make it JIT-compile the query (150 ms). SQLite needs none.
    pub(crate) fn fix_key_probe_plan(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some(
                "SELECT set_config('enable_hashjoin', 'off', true), \
                 set_config('enable_mergejoin', 'off', true), \
                 set_config('enable_seqscan', 'off', true), \
                 set_config('max_parallel_workers_per_gather', '0', true), \
                 set_config('jit', 'off', true)",
            ),
        }
    }
}
