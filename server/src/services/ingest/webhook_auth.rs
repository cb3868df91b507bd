//! Webhook authentication: HTTP Basic credentials checked with argon2 once per burst and
//! remembered for a moment while their stored secret stays the same.

use super::*;

/// username → the credential that verified, and with which password.
pub(super) type VerifiedCredentials = HashMap<String, Verified>;

/// A credential whose password verified, as read from the database at `read_at`.
pub(super) struct Verified {
    credential: store::WebhookCredential,
    /// SHA-256 of the password that verified.
    digest: [u8; 32],
    read_at: std::time::Instant,
}

/// How long a verified credential is used without reading it again: a credential removed
/// or given a new secret stops working within this time.
pub const CREDENTIAL_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// (username, SHA-256 of the password) → the turn to verify it.
pub(super) type InFlight = HashMap<(String, [u8; 32]), Arc<tokio::sync::Mutex<()>>>;

impl IngestService {
    /// Reads a verified credential again after `ttl` instead of [`CREDENTIAL_TTL`].
    pub fn with_credential_ttl(mut self, ttl: std::time::Duration) -> Self {
        self.credential_ttl = ttl;
        self
    }

    /// How many argon2 verifications of webhook passwords this service has run.
    pub fn password_verifications(&self) -> u64 {
        self.verifications
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The account whose webhook credential this is, or `None`.
    #[tracing::instrument(skip(self, password))]
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> anyhow::Result<Option<store::WebhookCredential>> {
        let digest: [u8; 32] = Sha256::digest(password.as_bytes()).into();
        // Verified moments ago: no database read either (one per request was a round trip
        // to a database thread for every event).
        let recent = self.verified.lock().ok().and_then(|m| {
            m.get(username)
                .filter(|v| v.digest == digest && v.read_at.elapsed() < self.credential_ttl)
                .map(|v| v.credential.clone())
        });
        if let Some(cred) = recent {
            return Ok(Some(cred));
        }
        let Some(cred) = self.db.webhook_credential(username).await? else {
            if let Ok(mut m) = self.verified.lock() {
                m.remove(username);
            }
            // As long as a wrong password: the time does not tell which usernames exist.
            crate::services::auth::check_password(password, None).await?;
            return Ok(None);
        };
        // This password verified against this very secret before (a new secret needs a new
        // verification, whatever the digest).
        let remember = || {
            self.verified
                .lock()
                .is_ok_and(|mut m| match m.get_mut(username) {
                    Some(v)
                        if v.digest == digest
                            && v.credential.account_id == cred.account_id
                            && v.credential.secret_hash == cred.secret_hash =>
                    {
                        v.credential = cred.clone();
                        v.read_at = std::time::Instant::now();
                        true
                    }
                    _ => false,
                })
        };
        if remember() {
            return Ok(Some(cred));
        }
        let key = (username.to_string(), digest);
        let turn = match self.verifying.lock() {
            Ok(mut m) => m.entry(key.clone()).or_default().clone(),
            Err(_) => Arc::default(),
        };
        let _turn = turn.lock().await;
        // The request before us may have verified this very password.
        if remember() {
            return Ok(Some(cred));
        }
        self.verifications
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let ok = crate::services::auth::check_password(password, Some(&cred.secret_hash))
            .await
            .context("Failed to verify a webhook password");
        if let Ok(mut m) = self.verifying.lock() {
            m.remove(&key);
        }
        if !ok? {
            return Ok(None);
        }
        if let Ok(mut m) = self.verified.lock() {
            m.insert(
                username.to_string(),
                Verified {
                    credential: cred.clone(),
                    digest,
                    read_at: std::time::Instant::now(),
                },
            );
        }
        Ok(Some(cred))
    }
}

/// A refused change to a webhook credential's settings.
#[derive(Debug, thiserror::Error)]
pub enum WebhookSettingError {
    /// The admin's mistake, shown as is.
    #[error("{0}")]
    Invalid(String),
    /// No credential of that name in this account.
    #[error("no such webhook credential")]
    NotFound,
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

impl IngestService {
    /// Sets (or, with an empty `input`, clears) the SNS topic whose SES notifications the
    /// account's credential `username` takes; logs who changed it from what to what. Returns
    /// the topic as stored. A credential of another account is not found.
    pub async fn set_sns_topic(
        &self,
        account_id: AccountId,
        actor: &str,
        username: &str,
        input: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, WebhookSettingError> {
        use crate::domain::bounce::esp::sns_topic::TopicArn;
        let arn = match input.trim() {
            "" => None,
            typed => Some(TopicArn::parse(typed).map_err(WebhookSettingError::Invalid)?),
        };
        let arn = arn.as_ref().map(TopicArn::as_str);
        let mut tx = self.db.begin().await?;
        let before = store::set_account_sns_topic(&mut tx, account_id, username, arn)
            .await?
            .ok_or(WebhookSettingError::NotFound)?;
        if before.as_deref() != arn {
            store::insert_log(
                &mut tx,
                &NewLogEntry {
                    account_id: Some(account_id),
                    at: now,
                    kind: LogKind::WebhookCredentialChanged,
                    actor: actor.to_string(),
                    subject: username.to_string(),
                    details: json!({"setting": "sns_topic_arn", "from": before, "to": arn}),
                    event_id: None,
                },
            )
            .await?;
        }
        tx.commit().await.context("Failed to commit")?;
        Ok(arn.map(str::to_string))
    }
}
