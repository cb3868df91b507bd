//! What Acme's admin does in the month.

use super::sim::Sim;
use crate::domain::suppression::AccountId;
use chrono::{DateTime, Duration, Utc};

impl Sim<'_> {
    /// What Acme's admin does in the month, through the same services as the admin pages:
    /// trusts the forwarder's Authentication-Results and sets the SNS topic of the webhook
    /// credential, tries a higher spam threshold for two days, allows the wholesale partner
    /// (and a trade fair's domain for a week), reactivates a customer who phoned about her
    /// mailbox, takes back an agent's block. Each is logged with who did it.
    pub(super) async fn admin_actions(
        &mut self,
        day: i64,
        midnight: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        const ADMIN: &str = "admin@acme.test";
        let at = midnight + Duration::hours(10);
        let filters = &self.s.filters;
        let failed = |what: &str, e: &dyn std::fmt::Display| anyhow::anyhow!("demo {what}: {e}");
        match day {
            1 => {
                filters
                    .set_trusted_authserv_ids(AccountId(self.acme), ADMIN, "mx.acme.test", at)
                    .await
                    .map_err(|e| failed("authserv-ids", &e))?;
                // SES notifications come through Acme's SNS topic from now on.
                self.s
                    .ingest
                    .set_sns_topic(
                        AccountId(self.acme),
                        ADMIN,
                        super::DEMO_WEBHOOK_USERNAME,
                        "arn:aws:sns:eu-west-1:123456789012:acme-ses-events",
                        at,
                    )
                    .await
                    .map_err(|e| failed("SNS topic", &e))?;
            }
            10 => {
                filters
                    .add_allow(
                        AccountId(self.acme),
                        ADMIN,
                        "fair-registrations.example",
                        "trade fair week: visitor registrations come from this domain",
                        at,
                    )
                    .await
                    .map_err(|e| failed("allow", &e))?;
            }
            17 => {
                let fair = self
                    .s
                    .db()
                    .allow_list(AccountId(self.acme))
                    .await?
                    .into_iter()
                    .find(|a| a.entry.value() == "fair-registrations.example");
                if let Some(a) = fair {
                    filters
                        .remove_allow(AccountId(self.acme), ADMIN, a.id, at)
                        .await
                        .map_err(|e| failed("allow removal", &e))?;
                }
            }
            2 | 4 => {
                let value = if day == 2 { "6" } else { "5" };
                filters
                    .set_threshold(AccountId(self.acme), ADMIN, value, at)
                    .await
                    .map_err(|e| failed("threshold", &e))?;
            }
            9 => {
                filters
                    .add_allow(
                        AccountId(self.acme),
                        ADMIN,
                        "bean-importers.example",
                        "our wholesale partner: their offers are wanted",
                        midnight + Duration::hours(12),
                    )
                    .await
                    .map_err(|e| failed("allow", &e))?;
            }
            20 => {
                if let Some(address) = self.hard_bounced.first().cloned() {
                    self.s
                        .ingest
                        .reactivate(
                            AccountId(self.acme),
                            ADMIN,
                            &address,
                            "She phoned: her mailbox was restored by her provider",
                            at,
                        )
                        .await
                        .map_err(|e| failed("reactivation", &e))?;
                }
            }
            21 => {
                let oldest = self
                    .s
                    .db()
                    .block_list(AccountId(self.acme))
                    .await?
                    .into_iter()
                    .min_by_key(|b| b.id);
                if let Some(b) = oldest {
                    filters
                        .remove_block(AccountId(self.acme), ADMIN, b.id, at)
                        .await
                        .map_err(|e| failed("unblock", &e))?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}
