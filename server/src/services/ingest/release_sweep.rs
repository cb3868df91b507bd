//! The sweeper: logs each expired suppression as released, once, across replicas.

use super::*;

impl IngestService {
    /// Logs every entry released up to `now` once, even with several replicas sweeping one
    /// database: each release is claimed by a conditional update before it is logged.
    /// Returns how many releases this call logged.
    #[tracing::instrument(skip_all)]
    pub async fn sweep(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let mut logged = 0;
        loop {
            let batch = self.db.expired_unreleased(now, 500).await?;
            if batch.is_empty() {
                return Ok(logged);
            }
            let entries: Vec<_> = batch.iter().map(|s| s.entry.clone()).collect();
            let released = sweep::released_since(&entries, None, now);
            let mut claimed_any = false;
            for s in &batch {
                let Some(r) = released.iter().find(|r| r.entry == s.entry) else {
                    continue;
                };
                let account = match s.entry.scope {
                    Scope::Account(a) => Some(a),
                    Scope::Global => match s.entry.event_id {
                        Some(ev) => self.db.event_account(ev).await?.map(AccountId),
                        None => None,
                    },
                };
                let mut tx = self.db.begin().await?;
                if !store::claim_release(&mut tx, s.id, now).await? {
                    continue; // another replica got it
                }
                store::insert_log(
                    &mut tx,
                    &NewLogEntry {
                        account_id: account,
                        at: r.released_at,
                        kind: r.log,
                        actor: "system".into(),
                        subject: s.entry.address.as_str().to_string(),
                        details: json!({
                            "suppression_id": s.id,
                            "kind": s.entry.kind,
                            "scope": s.entry.scope,
                            "reason": s.entry.reason,
                            "since": s.entry.since,
                            "until": s.entry.until,
                        }),
                        event_id: s.entry.event_id,
                    },
                )
                .await?;
                tx.commit().await.context("Failed to commit a release")?;
                logged += 1;
                claimed_any = true;
            }
            if !claimed_any && batch.len() < 500 {
                return Ok(logged);
            }
        }
    }
}
