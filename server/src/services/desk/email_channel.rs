//! Apps > Channels > Email: sender addresses, providers and their pauses, the complaint
//! rate, the webhook credentials' SNS topics.

use super::{internal, DeskService};
use crate::domain::address::{Domain, EmailAddress};
use crate::domain::suppression::complaint_rate::{self, DailyCounts, DomainDailyCounts};
use crate::domain::suppression::AccountId;
use crate::services::ingest::{ProviderStatus, ResumeError};
use crate::services::transport::{Security, TransportConfig};
use crate::storage::outbound::NewSender;
use app::backend::Admin;
use app::error::ApiError;
use app::models::*;
use chrono::{Duration, Utc};

pub(super) fn sender_view(s: crate::storage::outbound::SenderAddress) -> SenderView {
    SenderView {
        id: s.id,
        address: s.address,
        name: s.name,
        kind: s.kind,
        transport: match s.transport {
            TransportConfig::Smtp {
                host,
                port,
                security,
                login,
            } => format!(
                "SMTP relay {host}:{port} ({}{})",
                security.as_str(),
                if login.is_some() { ", login" } else { "" }
            ),
            TransportConfig::Postmark { base_url, .. } => {
                format!("Postmark-compatible API {base_url}")
            }
            TransportConfig::Shared => "this deployment's shared transport".to_string(),
        },
    }
}

/// A provider's row on Apps > Channels > Email.
fn provider_view(p: ProviderStatus) -> ProviderRateView {
    let r = p.rates;
    ProviderRateView {
        provider: r.family.as_str().to_string(),
        label: r.family.label().to_string(),
        sent: r.sent as i64,
        complaints: r.complaints as i64,
        bounces: r.bounces as i64,
        complaint_per_10k: r.complaint_rate * 10_000.0,
        bounce_percent: r.bounce_rate * 100.0,
        status: r.status.as_str().to_string(),
        paused: !p.verdict.allows(crate::domain::suppression::MailKind::Bulk),
        paused_at: p.pause.as_ref().map(|x| x.paused_at),
        resumed_at: p.pause.as_ref().and_then(|x| x.resumed_at),
        resumed_by: p.pause.as_ref().and_then(|x| x.resumed_by.clone()),
        resume_reason: p.pause.and_then(|x| x.resume_reason),
    }
}

pub(super) async fn email_channel(
    desk: &DeskService,
    admin: &Admin,
) -> Result<EmailChannelView, ApiError> {
    let senders = desk
        .db
        .senders(AccountId(admin.account_id))
        .await
        .map_err(internal)?
        .into_iter()
        .map(sender_view)
        .collect();
    let providers = desk
        .ingest
        .provider_guardrail(AccountId(admin.account_id), Utc::now())
        .await
        .map_err(internal)?
        .into_iter()
        .map(provider_view)
        .collect();
    Ok(EmailChannelView {
        senders,
        providers,
        rate: desk
            .rate_view(AccountId(admin.account_id))
            .await
            .map_err(internal)?,
        spam_threshold: desk
            .db
            .spam_threshold(AccountId(admin.account_id))
            .await
            .map_err(internal)?
            .value(),
        inbound_addresses: desk
            .db
            .inbound_addresses(AccountId(admin.account_id))
            .await
            .map_err(internal)?,
        trusted_authserv_ids: desk
            .db
            .trusted_authserv_ids(AccountId(admin.account_id))
            .await
            .map_err(internal)?,
        webhook_credentials: desk
            .db
            .webhook_credentials_of(AccountId(admin.account_id))
            .await
            .map_err(internal)?
            .into_iter()
            .map(|c| app::models::WebhookCredentialView {
                username: c.username,
                has_mailgun_key: c.has_mailgun_key,
                has_sendgrid_key: c.has_sendgrid_key,
                sns_topic_arn: c.sns_topic_arn,
            })
            .collect(),
    })
}

pub(super) async fn set_sns_topic_arn(
    desk: &DeskService,
    admin: &Admin,
    username: &str,
    value: &str,
) -> Result<Option<String>, ApiError> {
    use crate::services::ingest::WebhookSettingError;
    desk.ingest
        .set_sns_topic(
            AccountId(admin.account_id),
            &admin.email,
            username,
            value,
            Utc::now(),
        )
        .await
        .map_err(|e| match e {
            WebhookSettingError::Invalid(m) => ApiError::Invalid(m),
            WebhookSettingError::NotFound => ApiError::NotFound,
            WebhookSettingError::Io(e) => internal(e),
        })
}

pub(super) async fn resume_provider(
    desk: &DeskService,
    admin: &Admin,
    provider: &str,
    reason: &str,
) -> Result<(), ApiError> {
    let now = Utc::now();
    match desk
        .ingest
        .resume_provider(
            AccountId(admin.account_id),
            &admin.email,
            provider,
            reason,
            now,
        )
        .await
    {
        Ok(()) => {}
        Err(ResumeError::Io(e)) => return Err(internal(e)),
        Err(e) => return Err(ApiError::Invalid(e.to_string())),
    }
    // The held recipients go out in the background, like a campaign's first run.
    let runner = desk.campaigns.clone();
    let account_id = admin.account_id;
    tokio::spawn(async move {
        if let Err(e) = runner
            .resume_account(AccountId(account_id), Utc::now())
            .await
        {
            tracing::error!(error = %e, account_id, "resumed campaigns failed");
        }
    });
    Ok(())
}

pub(super) async fn add_sender(
    desk: &DeskService,
    admin: &Admin,
    form: NewSenderForm,
) -> Result<(), ApiError> {
    let invalid = |m: String| ApiError::Invalid(m);
    let address = EmailAddress::parse(&form.address).map_err(|e| invalid(e.to_string()))?;
    let kind = match form.kind.as_str() {
        "transactional" | "bulk" => form.kind.as_str(),
        k => {
            return Err(invalid(format!(
                "{k:?} is not a kind: transactional or bulk"
            )))
        }
    };
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let transport = match form.transport.as_str() {
        "smtp" => {
            let host = text(&form.smtp_host)
                .ok_or_else(|| invalid("Enter the relay's host name.".into()))?;
            let port: u16 = text(&form.smtp_port)
                .unwrap_or_else(|| "587".into())
                .parse()
                .map_err(|_| invalid("The port is a number such as 587.".into()))?;
            let security =
                Security::parse(text(&form.smtp_security).as_deref().unwrap_or("starttls"))
                    .ok_or_else(|| invalid("Security is none, starttls or tls.".into()))?;
            // Names are checked again on what they resolve to, at each connection.
            crate::services::egress::check_relay_host(desk.egress(), &host, port)
                .map_err(invalid)?;
            TransportConfig::Smtp {
                host,
                port,
                security,
                login: text(&form.smtp_username).zip(text(&form.smtp_password)),
            }
        }
        "postmark" => {
            let base_url =
                text(&form.api_url).unwrap_or_else(|| "https://api.postmarkapp.com".into());
            crate::services::egress::check_api_url(desk.egress(), &base_url).map_err(invalid)?;
            TransportConfig::Postmark {
                base_url,
                server_token: text(&form.api_token)
                    .ok_or_else(|| invalid("Enter the API's server token.".into()))?,
            }
        }
        "shared" => TransportConfig::Shared,
        t => {
            return Err(invalid(format!(
                "{t:?} is not a transport: smtp, postmark or shared"
            )))
        }
    };
    let added = desk
        .db
        .add_sender(
            &NewSender {
                account_id: AccountId(admin.account_id),
                address: address.as_str(),
                name: text(&form.name).as_deref(),
                kind,
                transport: &transport,
            },
            Utc::now(),
        )
        .await
        .map_err(internal)?;
    match added {
        Some(_) => Ok(()),
        None => Err(invalid(format!("{address} is already a sender address"))),
    }
}

impl DeskService {
    /// The running 30-day complaint rate, its daily chart and the event breakdown.
    async fn rate_view(&self, account: AccountId) -> anyhow::Result<RateView> {
        let now = Utc::now();
        let today = now.timestamp().div_euclid(86_400);
        // 60 days so that each of the 30 chart points has its own 30-day window.
        let counts = self.db.daily_counts(account, today - 59, today).await?;
        let days: Vec<DailyCounts> = counts
            .iter()
            .filter_map(|c| {
                let date = chrono::DateTime::from_timestamp(c.day * 86_400, 0)?.date_naive();
                Some(DailyCounts {
                    date,
                    sent: c.sent.max(0) as u64,
                    complaints_auto: c.complaints.max(0) as u64,
                    ..DailyCounts::default()
                })
            })
            .collect();
        let rates = complaint_rate::rates(&days, now);
        let series = complaint_rate::daily_series(&days, now);
        let (by_category, by_domain) = self
            .db
            .event_breakdown(account, now - Duration::days(30))
            .await?;
        let complaints = rates.complaints_auto + rates.complaints_manual;
        let domain_rows: Vec<DomainDailyCounts> = self
            .db
            .daily_domain_counts(account, today - 29, today)
            .await?
            .into_iter()
            .filter_map(|c| {
                Some(DomainDailyCounts {
                    domain: Domain::parse(&c.domain).ok()?,
                    counts: DailyCounts {
                        date: chrono::DateTime::from_timestamp(c.day * 86_400, 0)?.date_naive(),
                        sent: c.sent.max(0) as u64,
                        complaints_auto: c.complaints.max(0) as u64,
                        ..DailyCounts::default()
                    },
                })
            })
            .collect();
        let mut domain_rates: Vec<DomainRateView> =
            complaint_rate::rates_by_domain(&domain_rows, now)
                .into_iter()
                .map(|d| DomainRateView {
                    domain: d.domain.as_str().to_string(),
                    sent: d.rates.sent as i64,
                    complaints: (d.rates.complaints_auto + d.rates.complaints_manual) as i64,
                    per_10k: d.rates.complaint_rate * 10_000.0,
                    status: d.rates.status.as_str().to_string(),
                })
                .collect();
        domain_rates.sort_by(|a, b| {
            (b.complaints > 0)
                .cmp(&(a.complaints > 0))
                .then(b.per_10k.total_cmp(&a.per_10k))
                .then(b.sent.cmp(&a.sent))
                .then(a.domain.cmp(&b.domain))
        });
        domain_rates.truncate(50);
        Ok(RateView {
            sent: rates.sent as i64,
            complaints: complaints as i64,
            per_10k: rates.complaint_rate * 10_000.0,
            status: rates.status.as_str().to_string(),
            days: series
                .into_iter()
                .map(|p| RatePoint {
                    date: p.date.format("%Y-%m-%d").to_string(),
                    sent: p.sent as i64,
                    complaints: p.complaints as i64,
                    running_per_10k: p.running_rate * 10_000.0,
                })
                .collect(),
            by_category,
            by_domain,
            domain_rates,
        })
    }
}
