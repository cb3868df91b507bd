//! One storage layer, SQLite and PostgreSQL behind it (atuin's pattern): each backend has its
//! own `migrations/` folder with the same version names, queries are written once in the SQL
//! both speak (`$1` placeholders, `RETURNING`, `ON CONFLICT`), times are epoch milliseconds.

mod accounts;
pub mod address_history;
pub(crate) mod batch;
pub mod campaigns;
mod conversations;
pub mod deliverability;
pub(crate) mod dialect;
pub mod inbound;
pub mod outbound;
pub mod providers;
pub mod spam_controls;

pub use accounts::*;
pub use conversations::*;

use anyhow::Context;
use chrono::{DateTime, TimeZone, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};
use std::str::FromStr;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// The database the process keeps when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/deliverdesk.db";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// Seals relay passwords and API tokens; without it they are stored as given.
    secrets: Option<std::sync::Arc<crate::secrets::SecretBox>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish()
    }
}

impl Db {
    /// Seals secrets (relay passwords, API tokens) with `secrets` from now on, and opens them.
    /// [`Db::seal_secrets`] seals those stored before.
    pub fn with_secrets(mut self, secrets: crate::secrets::SecretBox) -> Db {
        self.secrets = Some(std::sync::Arc::new(secrets));
        self
    }

    /// A secret as stored: sealed when there is a key.
    pub(crate) fn seal(&self, purpose: &str, plaintext: Option<String>) -> Option<String> {
        match &self.secrets {
            Some(s) => plaintext.map(|p| s.seal(purpose, &p)),
            None => plaintext,
        }
    }

    /// A stored secret's plaintext.
    pub(crate) fn open(
        &self,
        purpose: &str,
        stored: Option<String>,
    ) -> anyhow::Result<Option<String>> {
        match (&self.secrets, stored) {
            (_, None) => Ok(None),
            (Some(s), Some(v)) => s.open(purpose, &v).map(Some),
            (None, Some(v)) if v.starts_with("enc:v1:") => anyhow::bail!(
                "a stored secret is encrypted and no key was given (SECRETS_KEY or the key file)"
            ),
            (None, Some(v)) => Ok(Some(v)),
        }
    }

    /// Connects, creating the SQLite file (and its folder) if missing, and migrates.
    #[tracing::instrument(skip(url))]
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            anyhow::bail!(
                "DATABASE_URL must start with sqlite: or postgres: (got {:?})",
                redact_url(url)
            );
        };
        // Errors from the driver may quote the URL: its password never reaches a log.
        let scrub = |e: sqlx::Error| anyhow::anyhow!("{}", scrub_secret(&e.to_string(), url));
        let url = match backend {
            Backend::Sqlite => prepare_sqlite_url(url)?,
            Backend::Postgres => url.to_string(),
        };
        let mut options = AnyPoolOptions::new().max_connections(match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        });
        if backend == Backend::Sqlite {
            // A SQLite connection is a handle to a file in this process: it cannot drop out
            // the way a network connection can, so the pool does not send it a test query
            // (one more hop to its worker thread) every time it is handed out.
            options = options.test_before_acquire(false);
            options = options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // WAL lets readers run beside the one writer; FULL keeps a commit durable
                    // across power loss; foreign keys are off by default in SQLite.
                    // Reads through a memory map (up to SQLite's default ceiling of 2 GiB, so a
                    // database of millions of suppressions is mapped whole; it is address
                    // space, not memory) and a 16 MiB page cache: index probes (the batch gate
                    // makes a million) stay off the read() syscall. Statement journals (a
                    // multi-row insert keeps one, to undo itself alone) in memory: past 64 KiB
                    // SQLite spilled them to a temporary file, on every ingest group. A
                    // checkpoint every 4,000 WAL pages (16 MiB) rather than 1,000: a page
                    // written again and again (an index's upper levels, a table's last page)
                    // is copied back once per checkpoint, so fewer copies in all.
                    conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA mmap_size = 2147418112; PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 4000;")
                        .await?;
                    Ok(())
                })
            });
        }
        let pool = options
            .connect(&url)
            .await
            .map_err(scrub)
            .with_context(|| {
                format!(
                    "Failed to connect to the {backend:?} database {}",
                    redact_url(&url)
                )
            })?;
        let db = Db {
            pool,
            backend,
            secrets: None,
        };
        db.migrate().await?;
        let hashed = db.hash_legacy_unsubscribe_tokens().await?;
        if hashed > 0 {
            tracing::info!(hashed, "hashed unsubscribe tokens stored before 0010");
        }
        let keyed = db.backfill_address_keys().await?;
        if keyed > 0 {
            tracing::info!(
                keyed,
                "gave suppressions stored before 0007 their address keys"
            );
        }
        Ok(db)
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.pool)
            .await
            .context("Failed to migrate the database")
    }

    /// A transaction: services that must write several things at once take one from here and
    /// hand it to the storage functions that take `&mut AnyConnection` (`&mut *tx`).
    pub async fn begin(&self) -> anyhow::Result<Tx> {
        self.pool
            .begin()
            .await
            .context("Failed to begin a transaction")
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A database round trip, for `/healthz`.
    pub async fn ping(&self) -> anyhow::Result<()> {
        let one: i64 = sqlx::query_scalar("SELECT CAST(1 AS BIGINT)")
            .fetch_one(&self.pool)
            .await
            .context("Failed to reach the database")?;
        anyhow::ensure!(one == 1, "database answered {one} to SELECT 1");
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A storage transaction ([`Db::begin`]).
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// A named savepoint inside a transaction, so one job's writes can be undone without losing
/// the others' (the group-commit writer). Each method runs one statement on `conn`.
pub struct Savepoint(&'static str);

impl Savepoint {
    /// Starts the savepoint `name` (a fixed identifier, never user input).
    pub async fn start(conn: &mut sqlx::AnyConnection, name: &'static str) -> anyhow::Result<Self> {
        debug_assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        sqlx::query(&format!("SAVEPOINT {name}"))
            .execute(&mut *conn)
            .await
            .context("Failed to start a savepoint")?;
        Ok(Savepoint(name))
    }

    /// Keeps what was written since [`Savepoint::start`].
    pub async fn release(self, conn: &mut sqlx::AnyConnection) -> anyhow::Result<()> {
        sqlx::query(&format!("RELEASE SAVEPOINT {}", self.0))
            .execute(&mut *conn)
            .await
            .context("Failed to release a savepoint")?;
        Ok(())
    }

    /// Undoes what was written since [`Savepoint::start`]; the transaction goes on.
    pub async fn undo(self, conn: &mut sqlx::AnyConnection) -> anyhow::Result<()> {
        sqlx::query(&format!("ROLLBACK TO SAVEPOINT {}", self.0))
            .execute(&mut *conn)
            .await
            .context("Failed to roll back to a savepoint")?;
        sqlx::query(&format!("RELEASE SAVEPOINT {}", self.0))
            .execute(&mut *conn)
            .await
            .context("Failed to release a savepoint")?;
        Ok(())
    }
}

/// Makes sure the SQLite file's folder exists and asks SQLite to create the file.
/// The password in a database URL, if it has one (`scheme://user:password@host/…`, or a
/// `password=` parameter).
fn url_password(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map(|(_, r)| r)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if let Some((userinfo, _)) = authority.rsplit_once('@') {
        if let Some((_, password)) = userinfo.split_once(':') {
            if !password.is_empty() {
                return Some(password);
            }
        }
    }
    let query = url.split_once('?').map(|(_, q)| q)?;
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case("password"))
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// `url` with its password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    scrub_secret(url, url)
}

/// `text` with the password of `url` (and its percent-decoded form) replaced by `***`.
fn scrub_secret(text: &str, url: &str) -> String {
    let Some(password) = url_password(url) else {
        return text.to_string();
    };
    let mut out = text.replace(password, "***");
    if let Ok(decoded) = percent_decode(password) {
        if !decoded.is_empty() && decoded != password {
            out = out.replace(&decoded, "***");
        }
    }
    out
}

fn percent_decode(s: &str) -> Result<String, ()> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or(())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| ())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

fn prepare_sqlite_url(url: &str) -> anyhow::Result<String> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:" && !path.is_empty() {
        if let Some(dir) = std::path::Path::new(path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("Failed to create the folder {}", dir.display()))?;
            }
        }
    }
    let mut url = format!("sqlite://{path}");
    if query.is_empty() {
        url.push_str("?mode=rwc");
    } else if !query.contains("mode=") {
        url.push_str(&format!("?{query}&mode=rwc"));
    } else {
        url.push_str(&format!("?{query}"));
    }
    // Validate early with a clear message rather than at first query.
    sqlx::sqlite::SqliteConnectOptions::from_str(&url)
        .with_context(|| format!("Invalid SQLite URL {url:?}"))?;
    Ok(url)
}

pub fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// Column access that turns a type mismatch into an error naming the column.
pub(crate) fn col<'r, T>(row: &'r AnyRow, name: &str) -> anyhow::Result<T>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Row;
    row.try_get(name)
        .with_context(|| format!("Failed to read column {name}"))
}

#[cfg(test)]
mod redaction_tests {
    use super::*;

    #[test]
    fn a_database_urls_password_is_redacted() {
        assert_eq!(
            redact_url("postgres://app:hunter2@db.internal:5432/desk"),
            "postgres://app:***@db.internal:5432/desk"
        );
        assert_eq!(
            redact_url("postgres://db/desk?user=app&password=hunter2"),
            "postgres://db/desk?user=app&password=***"
        );
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
        assert_eq!(
            scrub_secret("bad: p%40ss and p@ss", "postgres://u:p%40ss@h/d"),
            "bad: *** and ***"
        );
    }

    #[tokio::test]
    async fn a_bad_database_url_is_reported_without_its_password() {
        for url in [
            "mysql://app:hunter2@db.internal/desk",
            "postgres://app:hunter2@127.0.0.1:1/desk",
            "postgres://app:hunter2@127.0.0.1:notaport/desk",
        ] {
            let e = Db::connect(url).await.unwrap_err();
            let shown = format!("{e:?} {e:#}");
            assert!(!shown.contains("hunter2"), "{shown}");
        }
    }
}
