//! The guardrail per mailbox provider: each family's running rates, its pause (opened and
//! logged once when its complaint rate reaches the line) and an admin's resume.

use super::*;
use crate::domain::suppression::complaint_rate::{DailyCounts, DomainDailyCounts};
use crate::domain::suppression::provider_family::ProviderFamily;
use crate::domain::suppression::provider_guardrail::{self, PauseState, ProviderRates, Verdict};
use crate::storage::providers::{self, PauseRow};

/// One family as the guardrail sees it now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderStatus {
    pub rates: ProviderRates,
    pub verdict: Verdict,
    /// The latest pause, open or resumed.
    pub pause: Option<PauseInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PauseInfo {
    pub paused_at: DateTime<Utc>,
    pub resumed_at: Option<DateTime<Utc>>,
    pub resumed_by: Option<String>,
    pub resume_reason: Option<String>,
}

impl From<&PauseRow> for PauseInfo {
    fn from(p: &PauseRow) -> Self {
        PauseInfo {
            paused_at: p.paused_at,
            resumed_at: p.resumed_at,
            resumed_by: p.resumed_by.clone(),
            resume_reason: p.resume_reason.clone(),
        }
    }
}

/// An admin's resume that could not be done.
#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    #[error("Give a reason for resuming bulk mail to this provider.")]
    NoReason,
    #[error("Unknown mailbox provider {0:?}.")]
    UnknownProvider(String),
    #[error("Bulk mail to {0} is not paused.")]
    NotPaused(&'static str),
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

impl IngestService {
    /// Every family's running rates and verdict at `now`. A family whose complaint rate
    /// reached the line gets its pause opened and logged here (once: a concurrent caller's
    /// insert finds the open pause and logs nothing).
    pub async fn provider_guardrail(
        &self,
        account_id: AccountId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<ProviderStatus>> {
        let today = now.timestamp().div_euclid(86_400);
        let rows: Vec<DomainDailyCounts> = self
            .db
            .daily_domain_counts(account_id, today - 29, today)
            .await?
            .into_iter()
            .filter_map(|c| {
                Some(DomainDailyCounts {
                    domain: Domain::parse(&c.domain).ok()?,
                    counts: DailyCounts {
                        date: DateTime::from_timestamp(c.day * 86_400, 0)?.date_naive(),
                        sent: c.sent.max(0) as u64,
                        complaints_auto: c.complaints.max(0) as u64,
                        hard_bounces: c.bounces.max(0) as u64,
                        ..DailyCounts::default()
                    },
                })
            })
            .collect();
        let rates = provider_guardrail::rates_by_provider(&rows, now);
        let mut pauses = self.db.provider_pauses(account_id).await?;
        let mut last_complaint: HashMap<ProviderFamily, DateTime<Utc>> = HashMap::new();
        for (domain, at) in self
            .db
            .latest_complaints_by_domain(account_id, now - chrono::Duration::days(30))
            .await?
        {
            let e = last_complaint
                .entry(ProviderFamily::of_domain(&domain))
                .or_insert(at);
            *e = (*e).max(at);
        }
        let mut out = Vec::with_capacity(rates.len());
        for r in rates {
            let pause = pauses.iter().find(|p| p.provider == r.family);
            let state = pause.map_or(PauseState::Sending, PauseRow::state);
            let verdict =
                provider_guardrail::decide(&r, state, last_complaint.get(&r.family).copied());
            if verdict == Verdict::Pause {
                let mut tx = self.db.begin().await?;
                let opened = providers::open_pause(
                    &mut tx,
                    account_id,
                    r.family,
                    now,
                    r.sent as i64,
                    r.complaints as i64,
                )
                .await?;
                if opened {
                    store::insert_log(
                        &mut tx,
                        &NewLogEntry {
                            account_id: Some(account_id),
                            at: now,
                            kind: LogKind::ProviderPaused,
                            actor: "system".into(),
                            subject: r.family.label().into(),
                            details: json!({
                                "provider": r.family,
                                "sent": r.sent,
                                "complaints": r.complaints,
                                "bounces": r.bounces,
                                "rate_percent": r.complaint_rate * 100.0,
                                "bounce_rate_percent": r.bounce_rate * 100.0,
                                "window_days": complaint_rate::WINDOW_DAYS,
                            }),
                            event_id: None,
                        },
                    )
                    .await?;
                }
                tx.commit()
                    .await
                    .context("Failed to commit a provider pause")?;
                pauses = self.db.provider_pauses(account_id).await?;
            }
            let pause = pauses
                .iter()
                .find(|p| p.provider == r.family)
                .map(PauseInfo::from);
            out.push(ProviderStatus {
                rates: r,
                verdict,
                pause,
            });
        }
        Ok(out)
    }

    /// An admin resumes bulk mail to `provider` in their account, with a reason (logged).
    #[tracing::instrument(skip_all, fields(account_id = account_id.0, provider = provider))]
    pub async fn resume_provider(
        &self,
        account_id: AccountId,
        actor: &str,
        provider: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ResumeError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ResumeError::NoReason);
        }
        let family = ProviderFamily::parse(provider)
            .ok_or_else(|| ResumeError::UnknownProvider(provider.to_string()))?;
        let mut tx = self.db.begin().await?;
        if !providers::resume(&mut tx, account_id, family, now, actor, reason).await? {
            return Err(ResumeError::NotPaused(family.label()));
        }
        store::insert_log(
            &mut tx,
            &NewLogEntry {
                account_id: Some(account_id),
                at: now,
                kind: LogKind::ProviderResumed,
                actor: actor.to_string(),
                subject: family.label().into(),
                details: json!({ "provider": family, "reason": reason }),
                event_id: None,
            },
        )
        .await?;
        tx.commit().await.context("Failed to commit a resume")?;
        Ok(())
    }
}
