//! An admin's reactivation of a suppressed address, for their own account.

use super::*;

/// An error from reactivation: the admin's mistake (shown) or an IO failure.
#[derive(Debug, thiserror::Error)]
pub enum ReactivateError {
    #[error(transparent)]
    Refused(#[from] ReactivationError),
    #[error("the address is not valid: {0}")]
    BadAddress(String),
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

/// What a reactivation did, for the UI's confirmation.
#[derive(Debug, Clone, Serialize)]
pub struct Reactivated {
    pub ended: u64,
    pub override_created: bool,
    pub log_id: i64,
}

impl IngestService {
    /// An account admin lets `address` be mailed again by `account_id`, with a reason.
    #[tracing::instrument(skip_all, fields(account_id = account_id.0))]
    pub async fn reactivate(
        &self,
        account_id: AccountId,
        actor: &str,
        address: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Reactivated, ReactivateError> {
        let address =
            EmailAddress::parse(address).map_err(|e| ReactivateError::BadAddress(e.to_string()))?;
        let mut tx = self.db.begin().await?;
        let entries: Vec<_> = store::suppressions_for(&mut tx, account_id, &address)
            .await?
            .into_iter()
            .filter(|s| s.released_at.is_none() || s.entry.until.is_none_or(|u| u > now))
            .map(|s| s.entry)
            .collect();
        let overrides = store::overrides_for(&mut tx, account_id, &address).await?;
        let r = reactivation::reactivate(account_id, &address, reason, &entries, &overrides, now)?;
        let ended = if r.end.is_empty() {
            0
        } else {
            store::end_account_suppressions(&mut tx, account_id, &address, now).await?
        };
        if let Some(o) = &r.create_override {
            store::insert_override(&mut tx, o, actor).await?;
        }
        store::apply_contact_effect(
            &mut tx,
            Scope::Account(account_id),
            &address,
            r.contact,
            None,
            None,
        )
        .await?;
        let log_id = store::insert_log(
            &mut tx,
            &NewLogEntry {
                account_id: Some(account_id),
                at: now,
                kind: r.log,
                actor: actor.to_string(),
                subject: address.as_str().to_string(),
                details: json!({
                    "reason": r.reason,
                    "lifted": r.lifted,
                    "override": r.create_override.is_some(),
                }),
                event_id: None,
            },
        )
        .await?;
        tx.commit()
            .await
            .context("Failed to commit a reactivation")?;
        Ok(Reactivated {
            ended,
            override_created: r.create_override.is_some(),
            log_id,
        })
    }
}
