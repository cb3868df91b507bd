//! The SQLite and PostgreSQL migrations must build the same schema: the same tables, the same
//! columns (name, kind of value, nullability), the same indexes (name, table, columns, unique)
//! and the same unique constraints. Storage code is written once for both, so a column or an
//! index that exists on one backend only is a bug that shows up on the other in production.
//! Runs when `TEST_DATABASE_URL` is set (CI has PostgreSQL on 127.0.0.1:5432).

use crate::common;

use server::storage::Db;
use std::collections::BTreeSet;

/// What a schema holds, in a form both backends can be reduced to.
#[derive(Debug, Default, PartialEq, Eq)]
struct Schema {
    tables: BTreeSet<String>,
    /// (table, column, kind, not null)
    columns: BTreeSet<(String, String, &'static str, bool)>,
    /// (index name, table, columns, unique); indexes written with CREATE INDEX.
    indexes: BTreeSet<(String, String, String, bool)>,
    /// (table, columns) of UNIQUE constraints declared in CREATE TABLE.
    unique_constraints: BTreeSet<(String, String)>,
}

/// The kind of value a declared type holds; the two backends spell them differently
/// (INTEGER / BIGINT, BLOB / BYTEA).
fn kind(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") {
        "integer"
    } else if t.contains("char") || t.contains("text") || t.contains("clob") {
        "text"
    } else if t.contains("blob") || t.contains("bytea") {
        "bytes"
    } else if t.contains("real") || t.contains("floa") || t.contains("doub") {
        "real"
    } else if t.contains("bool") {
        "boolean"
    } else {
        // An unknown spelling is reported as itself, so a mismatch is visible in the diff.
        Box::leak(t.into_boxed_str())
    }
}

async fn strings(db: &Db, sql: &str) -> Vec<Vec<String>> {
    use sqlx::Row;
    let rows = sqlx::query(sql)
        .fetch_all(db.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.iter()
        .map(|r| {
            (0..r.len())
                .map(|i| r.try_get::<String, _>(i).expect("text column"))
                .collect()
        })
        .collect()
}

async fn sqlite_schema(db: &Db) -> Schema {
    let mut s = Schema::default();
    let tables = strings(
        db,
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .await;
    for t in tables {
        let table = t[0].clone();
        for c in strings(
            db,
            &format!(
                "SELECT name, type, CAST(\"notnull\" AS TEXT), CAST(pk AS TEXT) \
                 FROM pragma_table_info('{table}')"
            ),
        )
        .await
        {
            let not_null = c[2] == "1" || c[3] != "0";
            s.columns
                .insert((table.clone(), c[0].clone(), kind(&c[1]), not_null));
        }
        for i in strings(
            db,
            &format!(
                "SELECT name, CAST(\"unique\" AS TEXT), origin FROM pragma_index_list('{table}')"
            ),
        )
        .await
        {
            let (name, unique, origin) = (&i[0], i[1] == "1", i[2].as_str());
            let cols = strings(
                db,
                &format!(
                    "SELECT COALESCE(name, '<expr>') FROM pragma_index_info('{name}') ORDER BY seqno"
                ),
            )
            .await
            .into_iter()
            .map(|r| r[0].clone())
            .collect::<Vec<_>>()
            .join(",");
            match origin {
                // CREATE INDEX
                "c" => {
                    s.indexes
                        .insert((name.clone(), table.clone(), cols, unique));
                }
                // UNIQUE (…) in CREATE TABLE, or a column's UNIQUE
                "u" => {
                    s.unique_constraints.insert((table.clone(), cols));
                }
                _ => {} // the primary key
            }
        }
        s.tables.insert(table);
    }
    s
}

async fn postgres_schema(db: &Db) -> Schema {
    let mut s = Schema::default();
    for t in strings(
        db,
        "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
         AND table_name <> '_sqlx_migrations'",
    )
    .await
    {
        s.tables.insert(t[0].clone());
    }
    for c in strings(
        db,
        "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT), CAST(data_type AS TEXT), \
         CAST(is_nullable AS TEXT) FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .await
    {
        s.columns
            .insert((c[0].clone(), c[1].clone(), kind(&c[2]), c[3] == "NO"));
    }
    // Every index with its columns in order; expression columns (attnum 0) as <expr>.
    let index_sql = "SELECT CAST(ic.relname AS TEXT), CAST(tc.relname AS TEXT), \
         COALESCE((SELECT string_agg(COALESCE(a.attname::text, '<expr>'), ',' ORDER BY k.ord) \
            FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) \
            LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum), ''), \
         CASE WHEN ix.indisunique THEN 'true' ELSE 'false' END, \
         COALESCE((SELECT CAST(con.contype AS TEXT) FROM pg_constraint con \
            WHERE con.conindid = ix.indexrelid LIMIT 1), '') \
         FROM pg_index ix \
         JOIN pg_class ic ON ic.oid = ix.indexrelid \
         JOIN pg_class tc ON tc.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = tc.relnamespace \
         WHERE n.nspname = 'public' AND tc.relname <> '_sqlx_migrations'";
    for i in strings(db, index_sql).await {
        match i[4].as_str() {
            "p" => {}
            "u" => {
                s.unique_constraints.insert((i[1].clone(), i[2].clone()));
            }
            _ => {
                s.indexes
                    .insert((i[0].clone(), i[1].clone(), i[2].clone(), i[3] == "true"));
            }
        }
    }
    s
}

/// Lists what one side has and the other lacks, so a failure says what to fix.
fn differences<T: Ord + std::fmt::Debug>(
    what: &str,
    sqlite: &BTreeSet<T>,
    pg: &BTreeSet<T>,
) -> Vec<String> {
    let mut out = Vec::new();
    for x in sqlite.difference(pg) {
        out.push(format!("{what} only on SQLite: {x:?}"));
    }
    for x in pg.difference(sqlite) {
        out.push(format!("{what} only on PostgreSQL: {x:?}"));
    }
    out
}

#[tokio::test]
async fn sqlite_and_postgres_migrations_build_the_same_schema() {
    let Some(pg) = common::postgres_db().await else {
        return;
    };
    let lite = common::sqlite_db().await;
    let a = sqlite_schema(&lite).await;
    let b = postgres_schema(&pg).await;
    assert!(a.tables.len() >= 10, "SQLite schema read: {:?}", a.tables);
    let mut diffs = differences("table", &a.tables, &b.tables);
    diffs.extend(differences("column", &a.columns, &b.columns));
    diffs.extend(differences("index", &a.indexes, &b.indexes));
    diffs.extend(differences(
        "unique constraint",
        &a.unique_constraints,
        &b.unique_constraints,
    ));
    assert!(diffs.is_empty(), "schemas differ:\n{}", diffs.join("\n"));
}

/// The reader of each backend sees what a migration adds, so the comparison above can fail:
/// a column and an index added on one backend only are reported.
#[tokio::test]
async fn a_column_or_index_on_one_backend_only_is_reported() {
    let Some(pg) = common::postgres_db().await else {
        return;
    };
    let lite = common::sqlite_db().await;
    sqlx::query("ALTER TABLE accounts ADD COLUMN only_here TEXT")
        .execute(lite.pool())
        .await
        .unwrap();
    sqlx::query("CREATE INDEX accounts_only_here ON accounts (only_here)")
        .execute(lite.pool())
        .await
        .unwrap();
    let a = sqlite_schema(&lite).await;
    let b = postgres_schema(&pg).await;
    let diffs: Vec<String> = differences("column", &a.columns, &b.columns)
        .into_iter()
        .chain(differences("index", &a.indexes, &b.indexes))
        .collect();
    assert_eq!(
        diffs,
        vec![
            "column only on SQLite: (\"accounts\", \"only_here\", \"text\", false)".to_string(),
            "index only on SQLite: (\"accounts_only_here\", \"accounts\", \"only_here\", false)"
                .to_string(),
        ]
    );
}
