//! The gate: may an account send this kind of mail to an address (or a list) now?

use super::*;

impl IngestService {
    /// May `account_id` send `kind` mail to `address` now?
    pub async fn gate(
        &self,
        account_id: AccountId,
        address: &EmailAddress,
        kind: MailKind,
        now: DateTime<Utc>,
    ) -> anyhow::Result<GateResult> {
        let entries: Vec<_> = self
            .db
            .suppressions(account_id, address)
            .await?
            .into_iter()
            .map(|s| s.entry)
            .collect();
        let overrides = self.db.overrides(account_id, address).await?;
        Ok(gate::may_send(
            account_id, address, kind, &entries, &overrides, now,
        ))
    }

    /// The gate for a whole recipient list in one database pass.
    pub async fn gate_batch<'a>(
        &self,
        account_id: AccountId,
        recipients: &'a [EmailAddress],
        kind: MailKind,
        now: DateTime<Utc>,
    ) -> anyhow::Result<gate::BatchResult<'a>> {
        let (entries, overrides) = self
            .db
            .suppressions_matching(account_id, recipients, now)
            .await?;
        let index = SuppressionIndex::build(&entries, &overrides);
        Ok(index.filter(account_id, kind, recipients, now))
    }
}
