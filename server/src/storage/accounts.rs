//! Accounts (tenants), users and sessions.

use super::{col, to_ms, Db};
use anyhow::Context;
use app::models::{CurrentUser, Role};
use chrono::{DateTime, Utc};

/// A user row with its password hash. Deliberately not `Serialize`: it holds a secret.
pub struct UserCredentials {
    pub user: CurrentUser,
    pub password_hash: String,
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
        account_id: i64,
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
        .bind(account_id)
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
            "SELECT {USER_COLUMNS}, u.password_hash AS password_hash \
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
            })
        })
        .transpose()
    }

    pub async fn count_users(&self, account_id: i64) -> anyhow::Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE account_id = $1")
            .bind(account_id)
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
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
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

    pub async fn session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<CurrentUser>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id \
             JOIN accounts a ON a.id = u.account_id WHERE s.token_hash = $1 AND s.expires_at > $2"
        );
        let row = sqlx::query(&sql)
            .bind(token_hash)
            .bind(to_ms(now))
            .fetch_optional(self.pool())
            .await
            .context("Failed to look up a session")?;
        row.as_ref().map(user_from_row).transpose()
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
