//! Webhook credentials (HTTP Basic, Mailgun and SendGrid keys, SNS topic) and the replay
//! guard of signed webhook deliveries.

use crate::domain::suppression::AccountId;
use crate::storage::{col, to_ms, Db};
use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
/// An account's webhook credential. Deliberately not `Serialize`: it holds secrets.
#[derive(Clone)]
pub struct WebhookCredential {
    pub account_id: AccountId,
    pub username: String,
    /// argon2 hash of the HTTP Basic password.
    pub secret_hash: String,
    /// Mailgun's HTTP webhook signing key (HMAC-SHA256); `None` = Mailgun events refused.
    pub mailgun_signing_key: Option<String>,
    /// SendGrid's verification key (base64 DER SubjectPublicKeyInfo, P-256); `None` = the
    /// signature is not checked (the Basic credential still is).
    pub sendgrid_public_key: Option<String>,
    /// The SNS topic (`arn:aws:sns:…`) the account's SES notifications come from; `None` =
    /// SES notifications refused.
    pub sns_topic_arn: Option<String>,
}

/// A webhook credential as its account's admin sees it: no secret, only what is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookCredentialSummary {
    pub username: String,
    pub has_mailgun_key: bool,
    pub has_sendgrid_key: bool,
    pub sns_topic_arn: Option<String>,
}

/// Sets the SNS topic of the account's credential `username`; the topic it replaces, or
/// `None` when the account has no credential of that name (another account's is not found).
pub async fn set_account_sns_topic(
    conn: &mut AnyConnection,
    account_id: AccountId,
    username: &str,
    arn: Option<&str>,
) -> anyhow::Result<Option<Option<String>>> {
    let before: Option<Option<String>> = sqlx::query_scalar(
        "SELECT sns_topic_arn FROM webhook_credentials WHERE account_id = $1 AND username = $2",
    )
    .bind(account_id.0)
    .bind(username)
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to read a webhook credential")?;
    if before.is_none() {
        return Ok(None);
    }
    sqlx::query(
        "UPDATE webhook_credentials SET sns_topic_arn = $1 WHERE account_id = $2 AND username = $3",
    )
    .bind(arn)
    .bind(account_id.0)
    .bind(username)
    .execute(&mut *conn)
    .await
    .context("Failed to set the SNS topic")?;
    Ok(before)
}

/// The column a sealed Mailgun signing key is bound to (see [`crate::secrets`]).
pub(crate) const MAILGUN_KEY_PURPOSE: &str = "mailgun_signing_key";

impl Db {
    pub async fn create_webhook_credential(
        &self,
        account_id: AccountId,
        username: &str,
        secret_hash: &str,
        mailgun_signing_key: Option<&str>,
        sendgrid_public_key: Option<&str>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<i64> {
        sqlx::query_scalar(
            "INSERT INTO webhook_credentials (account_id, username, secret_hash, \
             mailgun_signing_key, sendgrid_public_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(account_id.0)
        .bind(username)
        .bind(secret_hash)
        // The Mailgun key signs what Mailgun posts: whoever reads it can forge webhooks.
        .bind(self.seal(MAILGUN_KEY_PURPOSE, mailgun_signing_key.map(str::to_string)))
        .bind(sendgrid_public_key)
        .bind(to_ms(now))
        .fetch_one(self.pool())
        .await
        .context("Failed to create a webhook credential")
    }

    pub async fn webhook_credential(
        &self,
        username: &str,
    ) -> anyhow::Result<Option<WebhookCredential>> {
        let row = sqlx::query(
            "SELECT account_id, username, secret_hash, mailgun_signing_key, sendgrid_public_key, \
             sns_topic_arn FROM webhook_credentials WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(self.pool())
        .await
        .context("Failed to look up a webhook credential")?;
        row.map(|r| {
            Ok(WebhookCredential {
                account_id: AccountId(col(&r, "account_id")?),
                username: col(&r, "username")?,
                secret_hash: col(&r, "secret_hash")?,
                mailgun_signing_key: self
                    .open(MAILGUN_KEY_PURPOSE, col(&r, "mailgun_signing_key")?)
                    .context("the credential's Mailgun signing key")?,
                sendgrid_public_key: col(&r, "sendgrid_public_key")?,
                sns_topic_arn: col(&r, "sns_topic_arn")?,
            })
        })
        .transpose()
    }

    /// Sets the SNS topic of the credential `username`; false when there is no such credential.
    pub async fn set_sns_topic_arn(
        &self,
        username: &str,
        arn: Option<&str>,
    ) -> anyhow::Result<bool> {
        let done =
            sqlx::query("UPDATE webhook_credentials SET sns_topic_arn = $1 WHERE username = $2")
                .bind(arn)
                .bind(username)
                .execute(self.pool())
                .await
                .context("Failed to set the SNS topic")?;
        Ok(done.rows_affected() == 1)
    }

    /// The account's webhook credentials, by username (their secrets are not read).
    pub async fn webhook_credentials_of(
        &self,
        account_id: AccountId,
    ) -> anyhow::Result<Vec<WebhookCredentialSummary>> {
        let rows = sqlx::query(
            "SELECT username, \
             CAST(CASE WHEN mailgun_signing_key IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_mailgun, \
             CAST(CASE WHEN sendgrid_public_key IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_sendgrid, \
             sns_topic_arn \
             FROM webhook_credentials WHERE account_id = $1 ORDER BY username",
        )
        .bind(account_id.0)
        .fetch_all(self.pool())
        .await
        .context("Failed to list webhook credentials")?;
        rows.iter()
            .map(|r| {
                Ok(WebhookCredentialSummary {
                    username: col(r, "username")?,
                    has_mailgun_key: col::<i64>(r, "has_mailgun")? != 0,
                    has_sendgrid_key: col::<i64>(r, "has_sendgrid")? != 0,
                    sns_topic_arn: col(r, "sns_topic_arn")?,
                })
            })
            .collect()
    }

    /// Claims the token of a signed webhook delivery: true the first time, false when it was
    /// taken before (a replay). Tokens seen before `forget_before` (older than any timestamp
    /// still accepted) are forgotten first.
    pub async fn claim_webhook_token(
        &self,
        account_id: AccountId,
        provider: &str,
        token: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        sqlx::query("DELETE FROM webhook_replays WHERE seen_at < $1")
            .bind(to_ms(forget_before))
            .execute(self.pool())
            .await
            .context("Failed to forget old webhook tokens")?;
        let done = sqlx::query(
            "INSERT INTO webhook_replays (provider, token, account_id, seen_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (provider, token) DO NOTHING",
        )
        .bind(provider)
        .bind(token)
        .bind(account_id.0)
        .bind(to_ms(now))
        .execute(self.pool())
        .await
        .context("Failed to remember a webhook token")?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives a claimed token back (its delivery could not be stored: the provider's retry
    /// must get through).
    pub async fn release_webhook_token(&self, provider: &str, token: &str) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM webhook_replays WHERE provider = $1 AND token = $2")
            .bind(provider)
            .bind(token)
            .execute(self.pool())
            .await
            .context("Failed to release a webhook token")?;
        Ok(())
    }
}
