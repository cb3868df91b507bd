//! The account's running 30-day complaint rate and its logged transitions.

use super::*;

impl IngestService {
    /// The account's running 30-day complaint rate; a rise to warning (≥ 0.1 %) or paused
    /// (≥ 0.3 %: bulk sending stops) is logged once.
    pub async fn check_complaint_rate(
        &self,
        account_id: AccountId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<complaint_rate::Rates> {
        let today = now.timestamp().div_euclid(86_400);
        let days: Vec<complaint_rate::DailyCounts> = self
            .db
            .daily_counts(account_id, today - 29, today)
            .await?
            .into_iter()
            .filter_map(|c| {
                Some(complaint_rate::DailyCounts {
                    date: DateTime::from_timestamp(c.day * 86_400, 0)?.date_naive(),
                    sent: c.sent.max(0) as u64,
                    complaints_auto: c.complaints.max(0) as u64,
                    ..Default::default()
                })
            })
            .collect();
        let rates = complaint_rate::rates(&days, now);
        let previous = self.db.rate_status(account_id).await?;
        if previous != rates.status {
            self.db.set_rate_status(account_id, rates.status).await?;
            if let Some(kind) = rates.status.transition_log(previous) {
                let mut conn = self
                    .db
                    .pool()
                    .acquire()
                    .await
                    .context("Failed to connect")?;
                store::insert_log(
                    &mut conn,
                    &NewLogEntry {
                        account_id: Some(account_id),
                        at: now,
                        kind,
                        actor: "system".into(),
                        subject: "complaint rate".into(),
                        details: json!({
                            "complaints": rates.complaints_auto + rates.complaints_manual,
                            "sent": rates.sent,
                            "rate_percent": rates.complaint_rate * 100.0,
                            "window_days": complaint_rate::WINDOW_DAYS,
                            "status": rates.status,
                        }),
                        event_id: None,
                    },
                )
                .await?;
            }
        }
        Ok(rates)
    }
}
