//! Accounts (tenants), users and sessions.

use super::{col, to_ms, Db};
use crate::domain::suppression::AccountId;
use anyhow::Context;
use app::models::{CurrentUser, Role};
use chrono::{DateTime, Utc};

/// A user row with its password hash. Deliberately not `Serialize`: it holds a secret.
pub struct UserCredentials {
    pub user: CurrentUser,
    pub password_hash: String,
    /// An admin disabled this user: no sign-in.
    pub disabled: bool,
}

/// A user as the account's admin sees them.
pub struct UserRow {
    pub user: CurrentUser,
    pub disabled: bool,
}

const USER_COLUMNS: &str = "u.id AS id, u.account_id AS account_id, a.name AS account_name, \
     u.email AS email, u.name AS name, u.role AS role";

fn user_from_row(row: &sqlx::any::AnyRow) -> anyhow::Result<CurrentUser> {
    let role: String = col(row, "role")?;
    Ok(CurrentUser {
        id: col(row, "id")?,
        account_id: col(row, "account_id")?,
        account_name: col(row, "account_name")?,
        email: col(row, "email")?,
        name: col(row, "name")?,
        role: Role::parse(&role).with_context(|| format!("unknown role {role:?}"))?,
    })
}

impl Db {
    pub async fn create_account(&self, name: &str, now: DateTime<Utc>) -> anyhow::Result<i64> {
        sqlx::query_scalar("INSERT INTO accounts (name, created_at) VALUES ($1, $2) RETURNING id")
            .bind(name)
            .bind(to_ms(now))
            .fetch_one(self.pool())
            .await
            .context("Failed to create an account")
    }

    pub async fn account_count(&self) -> anyhow::Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
            .fetch_one(self.pool())
            .await
            .context("Failed to count accounts")
    }

    pub async fn create_user(
        &self,
        account_id: AccountId,
        email: &str,
        name: &str,
        role: Role,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<i64> {
        sqlx::query_scalar(
            "INSERT INTO users (account_id, email, name, role, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(account_id.0)
        .bind(email.to_lowercase())
        .bind(name)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(to_ms(now))
        .fetch_one(self.pool())
        .await
        .context("Failed to create a user")
    }

    pub async fn user_credentials(&self, email: &str) -> anyhow::Result<Option<UserCredentials>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, u.password_hash AS password_hash, \
             CASE WHEN u.disabled_at IS NULL THEN 0 ELSE 1 END AS disabled \
             FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.email = $1"
        );
        let row = sqlx::query(&sql)
            .bind(email.trim().to_lowercase())
            .fetch_optional(self.pool())
            .await
            .context("Failed to look up a user")?;
        row.map(|r| {
            Ok(UserCredentials {
                user: user_from_row(&r)?,
                password_hash: col(&r, "password_hash")?,
                disabled: col::<i32>(&r, "disabled")? != 0,
            })
        })
        .transpose()
    }

    pub async fn count_users(&self, account_id: AccountId) -> anyhow::Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE account_id = $1")
            .bind(account_id.0)
            .fetch_one(self.pool())
            .await
            .context("Failed to count users")
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $3)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(to_ms(now))
        .bind(to_ms(expires_at))
        .execute(self.pool())
        .await
        .context("Failed to create a session")?;
        Ok(())
    }

    /// The user of a live session: not expired, used since `idle_since`, its user not
    /// disabled. Marks the session used at `now` (at most once a minute: one write per minute
    /// of activity, not per request).
    pub async fn session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
    ) -> anyhow::Result<Option<CurrentUser>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.last_seen_at AS last_seen_at FROM sessions s \
             JOIN users u ON u.id = s.user_id JOIN accounts a ON a.id = u.account_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 \
             AND u.disabled_at IS NULL"
        );
        let row = sqlx::query(&sql)
            .bind(token_hash)
            .bind(to_ms(now))
            .bind(to_ms(idle_since))
            .fetch_optional(self.pool())
            .await
            .context("Failed to look up a session")?;
        let Some(row) = row else { return Ok(None) };
        let last_seen: i64 = col(&row, "last_seen_at")?;
        if to_ms(now) - last_seen >= 60_000 {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(to_ms(now))
                .bind(token_hash)
                .execute(self.pool())
                .await
                .context("Failed to mark a session used")?;
        }
        user_from_row(&row).map(Some)
    }

    /// Deletes the sessions that expired or were not used since `idle_since`.
    pub async fn delete_dead_sessions(
        &self,
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
    ) -> anyhow::Result<u64> {
        Ok(
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
                .bind(to_ms(now))
                .bind(to_ms(idle_since))
                .execute(self.pool())
                .await
                .context("Failed to delete dead sessions")?
                .rows_affected(),
        )
    }

    /// Ends every session of a user, except the one with `keep` (its token hash).
    pub async fn delete_user_sessions(
        &self,
        user_id: i64,
        keep: Option<&str>,
    ) -> anyhow::Result<u64> {
        Ok(
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                .bind(user_id)
                .bind(keep.unwrap_or(""))
                .execute(self.pool())
                .await
                .context("Failed to end a user's sessions")?
                .rows_affected(),
        )
    }

    /// The users of an account, by email.
    pub async fn list_users(&self, account_id: AccountId) -> anyhow::Result<Vec<UserRow>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, CASE WHEN u.disabled_at IS NULL THEN 0 ELSE 1 END AS disabled \
             FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.account_id = $1 \
             ORDER BY u.email"
        );
        let rows = sqlx::query(&sql)
            .bind(account_id.0)
            .fetch_all(self.pool())
            .await
            .context("Failed to list users")?;
        rows.iter()
            .map(|r| {
                Ok(UserRow {
                    user: user_from_row(r)?,
                    disabled: col::<i32>(r, "disabled")? != 0,
                })
            })
            .collect()
    }

    /// Sets a user's password hash; false when the user is not in this account.
    pub async fn set_password_hash(
        &self,
        account_id: AccountId,
        user_id: i64,
        password_hash: &str,
    ) -> anyhow::Result<bool> {
        Ok(
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND account_id = $3")
                .bind(password_hash)
                .bind(user_id)
                .bind(account_id.0)
                .execute(self.pool())
                .await
                .context("Failed to set a password")?
                .rows_affected()
                == 1,
        )
    }

    /// Disables (or enables again) a user; false when the user is not in this account.
    pub async fn set_user_disabled(
        &self,
        account_id: AccountId,
        user_id: i64,
        disabled: bool,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        Ok(
            sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2 AND account_id = $3")
                .bind(disabled.then(|| to_ms(now)))
                .bind(user_id)
                .bind(account_id.0)
                .execute(self.pool())
                .await
                .context("Failed to disable a user")?
                .rows_affected()
                == 1,
        )
    }

    pub async fn delete_session(&self, token_hash: &str) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.pool())
            .await
            .context("Failed to delete a session")?;
        Ok(())
    }
}

/// One bucket's failures in its current window, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureWindow {
    pub bucket: String,
    pub window_start: DateTime<Utc>,
    pub failures: i64,
}

/// Failed password checks, shared by every process on the database (see migration 0011).
impl Db {
    /// The stored windows of these buckets of `scope`.
    pub async fn auth_failures(
        &self,
        scope: &str,
        buckets: &[String],
    ) -> anyhow::Result<Vec<FailureWindow>> {
        if buckets.is_empty() {
            return Ok(Vec::new());
        }
        // One statement for the one or two buckets of a check (it runs before every
        // HTTP Basic request): `bucket IN ($2, $3)`.
        let placeholders: Vec<String> = (0..buckets.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT bucket, window_start, failures FROM auth_failures \
             WHERE scope = $1 AND bucket IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(scope);
        for bucket in buckets {
            query = query.bind(bucket);
        }
        let rows = query
            .fetch_all(self.pool())
            .await
            .context("Failed to read failed sign-ins")?;
        rows.iter()
            .map(|r| {
                Ok(FailureWindow {
                    bucket: col(r, "bucket")?,
                    window_start: super::from_ms(col(r, "window_start")?),
                    failures: col(r, "failures")?,
                })
            })
            .collect()
    }

    /// Counts one failure for each bucket: a bucket whose window began at or before
    /// `restart_before` starts a new window at `now`. Windows that began before
    /// `restart_before` are deleted first (they count for nothing any more).
    pub async fn count_auth_failure(
        &self,
        scope: &str,
        buckets: &[String],
        now: DateTime<Utc>,
        restart_before: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut tx = self.pool().begin().await.context("Failed to begin")?;
        sqlx::query("DELETE FROM auth_failures WHERE window_start < $1")
            .bind(to_ms(restart_before))
            .execute(&mut *tx)
            .await
            .context("Failed to forget old failed sign-ins")?;
        for bucket in buckets {
            sqlx::query(
                "INSERT INTO auth_failures (scope, bucket, window_start, failures) \
                 VALUES ($1, $2, $3, 1) ON CONFLICT (scope, bucket) DO UPDATE SET \
                 failures = CASE WHEN auth_failures.window_start <= $4 THEN 1 \
                                 ELSE auth_failures.failures + 1 END, \
                 window_start = CASE WHEN auth_failures.window_start <= $4 THEN $3 \
                                     ELSE auth_failures.window_start END",
            )
            .bind(scope)
            .bind(bucket)
            .bind(to_ms(now))
            .bind(to_ms(restart_before))
            .execute(&mut *tx)
            .await
            .context("Failed to count a failed sign-in")?;
        }
        tx.commit().await.context("Failed to commit")?;
        Ok(())
    }

    /// Forgets one bucket's failures (a correct password for that name).
    pub async fn forget_auth_failures(&self, scope: &str, bucket: &str) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM auth_failures WHERE scope = $1 AND bucket = $2")
            .bind(scope)
            .bind(bucket)
            .execute(self.pool())
            .await
            .context("Failed to forget failed sign-ins")?;
        Ok(())
    }
}
