//! The app's backend: the `app::backend::Backend` trait implemented over storage.

use super::auth;
use super::campaigns::{CampaignError, CampaignService};
use super::ingest::{IngestService, ProviderStatus, ReactivateError, ResumeError};
use super::outbound::{OutboundService, ReplyError};
use super::sanitize::without_remote_images;
use super::search::SearchQuery;
use super::spam_filters::{FilterError, SpamFilters};
use super::transport::{Security, TransportConfig};
use crate::domain::address::{Domain, EmailAddress};
use crate::domain::inbound::BlockEntry;
use crate::domain::suppression::complaint_rate::{self, DailyCounts, DomainDailyCounts};
use crate::storage::deliverability::LogFilter;
use crate::storage::inbound::BlockRow;
use crate::storage::outbound::NewSender;
use crate::storage::Db;
use app::backend::{Backend, LoginOutcome};
use app::error::ApiError;
use app::models::*;
use chrono::{Duration, NaiveDate, Utc};

/// How long a session cookie lives.
pub const SESSION_DAYS: i64 = 14;

/// A session not used for this long ends (sign in again).
pub const SESSION_IDLE_HOURS: i64 = 12;

/// The most Org Logging entries one CSV export holds.
pub const CSV_MAX_ROWS: usize = 100_000;

/// The shortest password a user may choose.
pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Clone)]
pub struct DeskService {
    db: Db,
    ingest: IngestService,
    filters: SpamFilters,
    outbound: OutboundService,
    campaigns: CampaignService,
    /// Failed sign-ins per email and per client IP.
    throttle: super::throttle::Throttle,
}

impl DeskService {
    /// Built on the process's one `ingest` service (its database is the desk's);
    /// `public_url` is where links in mail (unsubscribe) point.
    pub fn new(ingest: IngestService, public_url: String) -> Self {
        let db = ingest.db().clone();
        DeskService {
            campaigns: CampaignService::new(ingest.clone(), public_url),
            filters: SpamFilters::new(db.clone()),
            outbound: OutboundService::new(ingest.clone()),
            throttle: super::throttle::Throttle::login(db.clone()),
            ingest,
            db,
        }
    }

    /// Mail of senders that use the deployment's shared transport goes through `shared`.
    pub fn with_shared_transport(
        mut self,
        shared: Option<std::sync::Arc<TransportConfig>>,
    ) -> Self {
        self.outbound = self.outbound.with_shared_transport(shared.clone());
        self.campaigns = self.campaigns.with_shared_transport(shared);
        self
    }

    /// The process's ingest service, as the desk holds it.
    pub fn ingest(&self) -> &IngestService {
        &self.ingest
    }

    /// The outbound service (shares the desk's ingest), for the retrier.
    pub fn outbound(&self) -> &OutboundService {
        &self.outbound
    }

    /// The spam filters (Mark as spam / Not spam, the block list), for the demo's agents.
    pub fn filters(&self) -> &SpamFilters {
        &self.filters
    }

    /// The campaign service (shares the desk's ingest), for the retrier.
    pub fn campaigns(&self) -> &CampaignService {
        &self.campaigns
    }

    /// The user behind a session cookie's token, if the session is live.
    pub async fn user_for_token(&self, token: &str) -> anyhow::Result<Option<CurrentUser>> {
        let now = Utc::now();
        self.db
            .session_user(
                &auth::token_hash(token),
                now,
                now - Duration::hours(SESSION_IDLE_HOURS),
            )
            .await
    }

    /// Deletes expired and idle sessions; returns how many.
    pub async fn sweep_sessions(&self, now: chrono::DateTime<Utc>) -> anyhow::Result<u64> {
        self.db
            .delete_dead_sessions(now, now - Duration::hours(SESSION_IDLE_HOURS))
            .await
    }
}

fn filter_error(e: FilterError) -> ApiError {
    match e {
        FilterError::NotFound => ApiError::NotFound,
        FilterError::Invalid(m) => ApiError::Invalid(m),
        FilterError::Io(e) => internal(e),
    }
}

fn campaign_error(e: CampaignError) -> ApiError {
    match e {
        CampaignError::NotFound => ApiError::NotFound,
        CampaignError::Io(e) => internal(e),
        other => ApiError::Invalid(other.to_string()),
    }
}

fn sender_view(s: crate::storage::outbound::SenderAddress) -> SenderView {
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

/// The evidence behind a global entry, in a sentence an admin can check.
fn global_evidence(g: &crate::storage::deliverability::GlobalEntry) -> String {
    use crate::domain::suppression::scope_by_trust::{GlobalBasis, Provenance, QUORUM_WINDOW_DAYS};
    let at = g
        .received_at
        .unwrap_or(g.since)
        .format("%Y-%m-%d %H:%M UTC");
    let answer = match (&g.status, g.reply_code) {
        (Some(s), Some(c)) => format!("{c} {s}"),
        (Some(s), None) => s.clone(),
        (None, Some(c)) => c.to_string(),
        (None, None) => "no status".to_string(),
    };
    let event = g
        .event_id
        .map(|e| format!(" (event #{e})"))
        .unwrap_or_default();
    match g.basis {
        Some(GlobalBasis::Quorum { accounts }) => format!(
            "Hard bounces for this address were reported by {accounts} different accounts \
             within {QUORUM_WINDOW_DAYS} days; the latest said {answer} on {at}{event}."
        ),
        Some(GlobalBasis::SharedTransport) => match g.provenance {
            Some(Provenance::VerpReturnPath) => format!(
                "A bounce came back to the VERP return path of a message sent through our \
                 shared transport: {answer} on {at}{event}."
            ),
            _ => format!("Our shared transport was refused with {answer} on {at}{event}."),
        },
        None => format!("{} (since {at}){event}.", g.reason),
    }
}

/// The Org Logging filter an admin's query asks for (bad dates are the admin's mistake).
fn log_filter(query: LogQuery, per_page: u32) -> Result<LogFilter, ApiError> {
    let day = |s: &Option<String>, what: &str| -> Result<Option<NaiveDate>, ApiError> {
        s.as_deref()
            .map(|d| {
                NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| {
                    ApiError::Invalid(format!("{what} date {d:?} is not a date like 2026-11-23"))
                })
            })
            .transpose()
    };
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let from = day(&query.from, "The from")?.and_then(midnight);
    // The range is inclusive of the "to" day.
    let to = day(&query.to, "The to")?
        .and_then(|d| d.succ_opt())
        .and_then(midnight);
    let filter = LogFilter {
        kind: query.kind.filter(|k| LOG_KINDS.contains(&k.as_str())),
        subject: query.subject,
        from,
        to,
        page: query.page,
        per_page,
    };
    Ok(filter)
}

fn block_view(r: BlockRow) -> BlockEntryView {
    BlockEntryView {
        id: r.id,
        kind: r.entry.kind().to_string(),
        value: r.entry.value().to_string(),
        added_by: r.added_by,
        reason: r.reason,
        added_at: r.added_at,
    }
}

fn admin_only(user: &CurrentUser) -> Result<(), ApiError> {
    if user.is_admin() {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// Logs the cause and shows the user a short message: internals stay in the log.
fn internal(e: anyhow::Error) -> ApiError {
    tracing::error!(error = ?e, "request failed");
    ApiError::Internal("please try again; the error was logged".into())
}

#[async_trait::async_trait]
impl Backend for DeskService {
    async fn login(
        &self,
        email: &str,
        password: &str,
        client_ip: Option<std::net::IpAddr>,
    ) -> Result<LoginOutcome, ApiError> {
        let wrong = || ApiError::Invalid("Wrong email or password.".into());
        if email.trim().is_empty() || password.is_empty() {
            return Err(ApiError::Invalid("Enter your email and password.".into()));
        }
        let admitted = match self.throttle.check(client_ip, email, Utc::now()).await {
            Ok(admitted) => admitted,
            Err(blocked) => {
                tracing::warn!(?client_ip, "sign-in refused: too many failures");
                return Err(ApiError::TooManyRequests(blocked.retry_after_secs()));
            }
        };
        let creds = self.db.user_credentials(email).await.map_err(internal)?;
        // An unknown email is checked against a real hash too: the answer takes as long.
        let ok = auth::check_password(password, creds.as_ref().map(|c| c.password_hash.as_str()))
            .await
            .map_err(internal)?;
        let Some(creds) = creds.filter(|_| ok) else {
            self.throttle.failed(client_ip, email, Utc::now()).await;
            return Err(wrong());
        };
        self.throttle.succeeded(admitted, email).await;
        if creds.disabled {
            return Err(ApiError::Invalid(
                "This user is disabled. Ask an admin of your account.".into(),
            ));
        }
        let token = auth::new_token();
        let now = Utc::now();
        self.db
            .create_session(
                &auth::token_hash(&token),
                creds.user.id,
                now,
                now + Duration::days(SESSION_DAYS),
            )
            .await
            .map_err(internal)?;
        tracing::info!(
            user_id = creds.user.id,
            account_id = creds.user.account_id,
            "signed in"
        );
        Ok(LoginOutcome {
            token,
            user: creds.user,
            max_age_secs: SESSION_DAYS * 24 * 3600,
        })
    }

    async fn logout(&self, token: &str) -> Result<(), ApiError> {
        self.db
            .delete_session(&auth::token_hash(token))
            .await
            .map_err(internal)
    }

    async fn logout_everywhere(&self, user: &CurrentUser) -> Result<(), ApiError> {
        let ended = self
            .db
            .delete_user_sessions(user.id, None)
            .await
            .map_err(internal)?;
        tracing::info!(user_id = user.id, ended, "signed out everywhere");
        Ok(())
    }

    async fn change_password(
        &self,
        user: &CurrentUser,
        token: &str,
        current: &str,
        new: &str,
        client_ip: Option<std::net::IpAddr>,
    ) -> Result<(), ApiError> {
        if new.chars().count() < MIN_PASSWORD_CHARS {
            return Err(ApiError::Invalid(format!(
                "The new password needs at least {MIN_PASSWORD_CHARS} characters."
            )));
        }
        if new == current {
            return Err(ApiError::Invalid(
                "The new password is the same as the current one.".into(),
            ));
        }
        // The current password is guessed under the same limits as a sign-in.
        let admitted = self
            .throttle
            .check(client_ip, &user.email, Utc::now())
            .await
            .map_err(|blocked| ApiError::TooManyRequests(blocked.retry_after_secs()))?;
        let creds = self
            .db
            .user_credentials(&user.email)
            .await
            .map_err(internal)?
            .ok_or(ApiError::Unauthorized)?;
        let ok = auth::check_password(current, Some(&creds.password_hash))
            .await
            .map_err(internal)?;
        if !ok {
            self.throttle
                .failed(client_ip, &user.email, Utc::now())
                .await;
            return Err(ApiError::Invalid("The current password is wrong.".into()));
        }
        self.throttle.succeeded(admitted, &user.email).await;
        let hash = auth::hash_password(new).map_err(internal)?;
        if !self
            .db
            .set_password_hash(user.account_id, user.id, &hash)
            .await
            .map_err(internal)?
        {
            return Err(ApiError::NotFound);
        }
        // Whoever else holds a session (the reason to change it, often) is signed out.
        self.db
            .delete_user_sessions(user.id, Some(&auth::token_hash(token)))
            .await
            .map_err(internal)?;
        tracing::info!(user_id = user.id, "password changed");
        Ok(())
    }

    async fn list_users(&self, admin: &CurrentUser) -> Result<Vec<UserView>, ApiError> {
        admin_only(admin)?;
        Ok(self
            .db
            .list_users(admin.account_id)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|r| UserView {
                id: r.user.id,
                email: r.user.email,
                name: r.user.name,
                role: r.user.role,
                disabled: r.disabled,
            })
            .collect())
    }

    async fn reset_password(&self, admin: &CurrentUser, user_id: i64) -> Result<String, ApiError> {
        admin_only(admin)?;
        let password = auth::new_token()[..20].to_string();
        let hash = auth::hash_password(&password).map_err(internal)?;
        // Scoped to the admin's account: another account's user is "not found".
        if !self
            .db
            .set_password_hash(admin.account_id, user_id, &hash)
            .await
            .map_err(internal)?
        {
            return Err(ApiError::NotFound);
        }
        self.db
            .delete_user_sessions(user_id, None)
            .await
            .map_err(internal)?;
        tracing::info!(admin_id = admin.id, user_id, "password reset by an admin");
        Ok(password)
    }

    async fn set_user_disabled(
        &self,
        admin: &CurrentUser,
        user_id: i64,
        disabled: bool,
    ) -> Result<(), ApiError> {
        admin_only(admin)?;
        if disabled && user_id == admin.id {
            return Err(ApiError::Invalid("You cannot disable yourself.".into()));
        }
        if !self
            .db
            .set_user_disabled(admin.account_id, user_id, disabled, Utc::now())
            .await
            .map_err(internal)?
        {
            return Err(ApiError::NotFound);
        }
        if disabled {
            self.db
                .delete_user_sessions(user_id, None)
                .await
                .map_err(internal)?;
        }
        tracing::info!(
            admin_id = admin.id,
            user_id,
            disabled,
            "user disabled or enabled"
        );
        Ok(())
    }

    async fn list_conversations(
        &self,
        user: &CurrentUser,
        filter: ConversationFilter,
    ) -> Result<Vec<ConversationSummary>, ApiError> {
        let search = SearchQuery::parse(filter.query.as_deref().unwrap_or(""));
        // A search looks through every conversation (spam ones are Done) unless it says
        // `status:`; the tab only narrows browsing.
        let status = if search.is_empty() {
            filter.status
        } else {
            None
        };
        self.db
            .list_conversations(user.account_id, status, &search)
            .await
            .map_err(internal)
    }

    async fn get_conversation(
        &self,
        user: &CurrentUser,
        id: i64,
    ) -> Result<ConversationDetail, ApiError> {
        let mut detail = self
            .db
            .get_conversation(user.account_id, id)
            .await
            .map_err(internal)?
            .ok_or(ApiError::NotFound)?;
        for m in &mut detail.messages {
            if let Some(blocked) = m.html_body.as_deref().and_then(without_remote_images) {
                m.remote_images_html = m.html_body.replace(blocked);
            }
        }
        if let Ok(sender) = EmailAddress::parse(&detail.summary.contact_email) {
            detail.sender_blocked_by = self
                .db
                .block_match(user.account_id, &BlockEntry::candidates(&sender))
                .await
                .map_err(internal)?
                .map(|b| b.entry.value().to_string());
            detail.reply_stream = Some(
                self.outbound
                    .reply_stream(user.account_id, &sender, Utc::now())
                    .await
                    .map_err(internal)?,
            );
        }
        Ok(detail)
    }

    async fn list_contacts(
        &self,
        user: &CurrentUser,
        search: &str,
    ) -> Result<Vec<ContactView>, ApiError> {
        if search.chars().count() > 254 {
            return Err(ApiError::Invalid(
                "Search for at most 254 characters (an address is no longer)".into(),
            ));
        }
        let mut contacts = self
            .db
            .search_contacts(user.account_id, search)
            .await
            .map_err(internal)?;
        // Entries for every account hold here too, though no event of this account marked
        // the contact: each is shown with its basis and evidence.
        let addresses: Vec<EmailAddress> = contacts
            .iter()
            .filter_map(|c| EmailAddress::parse(&c.email).ok())
            .collect();
        let global = self
            .db
            .global_entries(user.account_id, &addresses, Utc::now())
            .await
            .map_err(internal)?;
        for c in &mut contacts {
            // The latest entry for the address (they come oldest first).
            if let Some(g) = global.iter().rev().find(|g| g.address == c.email) {
                c.global = Some(g.basis.map_or_else(|| "global".to_string(), |b| b.label()));
                c.global_evidence = Some(global_evidence(g));
            }
        }
        Ok(contacts)
    }

    async fn reporting_summary(&self, user: &CurrentUser) -> Result<ReportingSummary, ApiError> {
        self.db
            .reporting_summary(user.account_id)
            .await
            .map_err(internal)
    }

    async fn account_overview(&self, admin: &CurrentUser) -> Result<AccountOverview, ApiError> {
        if !admin.is_admin() {
            return Err(ApiError::Forbidden);
        }
        let users = self
            .db
            .count_users(admin.account_id)
            .await
            .map_err(internal)?;
        Ok(AccountOverview {
            account_id: admin.account_id,
            account_name: admin.account_name.clone(),
            users,
        })
    }

    async fn org_log(&self, admin: &CurrentUser, query: LogQuery) -> Result<LogPageView, ApiError> {
        if !admin.is_admin() {
            return Err(ApiError::Forbidden);
        }
        let filter = log_filter(query, 50)?;
        let page = self
            .db
            .org_log(admin.account_id, &filter)
            .await
            .map_err(internal)?;
        Ok(LogPageView {
            entries: page
                .entries
                .into_iter()
                .map(|e| LogEntryView {
                    id: e.id,
                    at: e.at,
                    kind: e.kind,
                    actor: e.actor,
                    subject: e.subject,
                    details: e.details.to_string(),
                })
                .collect(),
            total: page.total,
            page: page.page,
            per_page: page.per_page,
        })
    }

    async fn reactivate_contact(
        &self,
        admin: &CurrentUser,
        email: &str,
        reason: &str,
    ) -> Result<(), ApiError> {
        if !admin.is_admin() {
            return Err(ApiError::Forbidden);
        }
        match self
            .ingest
            .reactivate(
                admin.account_id,
                &admin.email,
                email,
                reason.trim(),
                Utc::now(),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(ReactivateError::Io(e)) => Err(internal(e)),
            Err(e) => Err(ApiError::Invalid(e.to_string())),
        }
    }

    async fn mark_spam(&self, user: &CurrentUser, conversation_id: i64) -> Result<(), ApiError> {
        self.filters
            .mark_spam(user.account_id, &user.email, conversation_id, Utc::now())
            .await
            .map(|_| ())
            .map_err(filter_error)
    }

    async fn mark_not_spam(
        &self,
        user: &CurrentUser,
        conversation_id: i64,
        unblock: bool,
    ) -> Result<(), ApiError> {
        self.filters
            .not_spam(
                user.account_id,
                &user.email,
                conversation_id,
                unblock,
                Utc::now(),
            )
            .await
            .map(|_| ())
            .map_err(filter_error)
    }

    async fn block_list(&self, admin: &CurrentUser) -> Result<Vec<BlockEntryView>, ApiError> {
        admin_only(admin)?;
        Ok(self
            .db
            .block_list(admin.account_id)
            .await
            .map_err(internal)?
            .into_iter()
            .map(block_view)
            .collect())
    }

    async fn add_block(
        &self,
        admin: &CurrentUser,
        value: &str,
        reason: &str,
    ) -> Result<BlockEntryView, ApiError> {
        admin_only(admin)?;
        self.filters
            .add_block(admin.account_id, &admin.email, value, reason, Utc::now())
            .await
            .map(block_view)
            .map_err(filter_error)
    }

    async fn remove_block(&self, admin: &CurrentUser, id: i64) -> Result<(), ApiError> {
        admin_only(admin)?;
        self.filters
            .remove_block(admin.account_id, &admin.email, id, Utc::now())
            .await
            .map(|_| ())
            .map_err(filter_error)
    }

    async fn email_channel(&self, admin: &CurrentUser) -> Result<EmailChannelView, ApiError> {
        admin_only(admin)?;
        let senders = self
            .db
            .senders(admin.account_id)
            .await
            .map_err(internal)?
            .into_iter()
            .map(sender_view)
            .collect();
        let providers = self
            .ingest
            .provider_guardrail(admin.account_id, Utc::now())
            .await
            .map_err(internal)?
            .into_iter()
            .map(provider_view)
            .collect();
        Ok(EmailChannelView {
            senders,
            providers,
            rate: self.rate_view(admin.account_id).await.map_err(internal)?,
            spam_threshold: self
                .db
                .spam_threshold(admin.account_id)
                .await
                .map_err(internal)?
                .value(),
            inbound_addresses: self
                .db
                .inbound_addresses(admin.account_id)
                .await
                .map_err(internal)?,
            trusted_authserv_ids: self
                .db
                .trusted_authserv_ids(admin.account_id)
                .await
                .map_err(internal)?,
            webhook_credentials: self
                .db
                .webhook_credentials_of(admin.account_id)
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

    async fn set_sns_topic_arn(
        &self,
        admin: &CurrentUser,
        username: &str,
        value: &str,
    ) -> Result<Option<String>, ApiError> {
        use super::ingest::WebhookSettingError;
        admin_only(admin)?;
        self.ingest
            .set_sns_topic(admin.account_id, &admin.email, username, value, Utc::now())
            .await
            .map_err(|e| match e {
                WebhookSettingError::Invalid(m) => ApiError::Invalid(m),
                WebhookSettingError::NotFound => ApiError::NotFound,
                WebhookSettingError::Io(e) => internal(e),
            })
    }

    async fn resume_provider(
        &self,
        admin: &CurrentUser,
        provider: &str,
        reason: &str,
    ) -> Result<(), ApiError> {
        admin_only(admin)?;
        let now = Utc::now();
        match self
            .ingest
            .resume_provider(admin.account_id, &admin.email, provider, reason, now)
            .await
        {
            Ok(()) => {}
            Err(ResumeError::Io(e)) => return Err(internal(e)),
            Err(e) => return Err(ApiError::Invalid(e.to_string())),
        }
        // The held recipients go out in the background, like a campaign's first run.
        let runner = self.campaigns.clone();
        let account_id = admin.account_id;
        tokio::spawn(async move {
            if let Err(e) = runner.resume_account(account_id, Utc::now()).await {
                tracing::error!(error = %e, account_id, "resumed campaigns failed");
            }
        });
        Ok(())
    }

    async fn set_trusted_authserv_ids(
        &self,
        admin: &CurrentUser,
        value: &str,
    ) -> Result<Vec<String>, ApiError> {
        admin_only(admin)?;
        self.filters
            .set_trusted_authserv_ids(admin.account_id, &admin.email, value, Utc::now())
            .await
            .map_err(filter_error)
    }

    async fn set_spam_threshold(&self, admin: &CurrentUser, value: &str) -> Result<f64, ApiError> {
        admin_only(admin)?;
        self.filters
            .set_threshold(admin.account_id, &admin.email, value, Utc::now())
            .await
            .map(|t| t.value())
            .map_err(filter_error)
    }

    async fn send_reply(
        &self,
        user: &CurrentUser,
        conversation_id: i64,
        text: &str,
    ) -> Result<i64, ApiError> {
        self.outbound
            .reply(user.account_id, conversation_id, text, Utc::now())
            .await
            .map_err(|e| match e {
                ReplyError::NotFound => ApiError::NotFound,
                ReplyError::Io(e) => internal(e),
                other => ApiError::Invalid(other.to_string()),
            })
    }

    async fn add_sender(&self, admin: &CurrentUser, form: NewSenderForm) -> Result<(), ApiError> {
        admin_only(admin)?;
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
                super::egress::check_relay_host(&super::egress::egress(), &host, port)
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
                super::egress::check_api_url(&super::egress::egress(), &base_url)
                    .map_err(invalid)?;
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
        let added = self
            .db
            .add_sender(
                &NewSender {
                    account_id: admin.account_id,
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

    async fn campaigns(&self, admin: &CurrentUser) -> Result<CampaignsView, ApiError> {
        admin_only(admin)?;
        self.campaigns_impl(admin.account_id)
            .await
            .map_err(internal)
    }

    async fn create_list(
        &self,
        admin: &CurrentUser,
        name: &str,
        addresses: &str,
    ) -> Result<ListView, ApiError> {
        admin_only(admin)?;
        let (id, members) = self
            .campaigns
            .create_list(admin.account_id, name, addresses, Utc::now())
            .await
            .map_err(campaign_error)?;
        Ok(ListView {
            id,
            name: name.trim().to_string(),
            members: members as i64,
        })
    }

    async fn start_campaign(
        &self,
        admin: &CurrentUser,
        list_id: i64,
        sender_id: i64,
        subject: &str,
        body: &str,
    ) -> Result<PreparedView, ApiError> {
        admin_only(admin)?;
        let prepared = self
            .campaigns
            .prepare(
                admin.account_id,
                &admin.email,
                list_id,
                sender_id,
                subject,
                body,
                Utc::now(),
            )
            .await
            .map_err(campaign_error)?;
        let runner = self.campaigns.clone();
        let id = prepared.campaign_id;
        tokio::spawn(async move {
            if let Err(e) = runner.run(id, Utc::now()).await {
                tracing::error!(campaign_id = id, error = ?e, "campaign stopped");
            }
        });
        Ok(PreparedView {
            campaign_id: prepared.campaign_id,
            total: prepared.total as i64,
            skipped_suppressed: prepared.skipped_suppressed as i64,
            queued: prepared.queued as i64,
        })
    }

    async fn address_history(
        &self,
        user: &CurrentUser,
        email: &str,
    ) -> Result<AddressHistoryView, ApiError> {
        use super::address_history::{address_history, HistoryError};
        address_history(&self.db, user.account_id, email, Utc::now())
            .await
            .map_err(|e| match e {
                HistoryError::Io(e) => internal(e),
                other => ApiError::Invalid(other.to_string()),
            })
    }

    async fn allow_list(&self, admin: &CurrentUser) -> Result<Vec<BlockEntryView>, ApiError> {
        admin_only(admin)?;
        Ok(self
            .db
            .allow_list(admin.account_id)
            .await
            .map_err(internal)?
            .into_iter()
            .map(block_view)
            .collect())
    }

    async fn add_allow(
        &self,
        admin: &CurrentUser,
        value: &str,
        reason: &str,
    ) -> Result<BlockEntryView, ApiError> {
        admin_only(admin)?;
        self.filters
            .add_allow(admin.account_id, &admin.email, value, reason, Utc::now())
            .await
            .map(block_view)
            .map_err(filter_error)
    }

    async fn remove_allow(&self, admin: &CurrentUser, id: i64) -> Result<(), ApiError> {
        admin_only(admin)?;
        self.filters
            .remove_allow(admin.account_id, &admin.email, id, Utc::now())
            .await
            .map(|_| ())
            .map_err(filter_error)
    }

    async fn threshold_what_if(
        &self,
        admin: &CurrentUser,
        value: &str,
    ) -> Result<WhatIfView, ApiError> {
        admin_only(admin)?;
        let (current, candidate, w) = self
            .filters
            .threshold_what_if(admin.account_id, value, Utc::now())
            .await
            .map_err(filter_error)?;
        Ok(WhatIfView {
            current: current.value(),
            candidate: candidate.value(),
            days: super::spam_filters::WHAT_IF_DAYS,
            messages: w.messages,
            spam_now: w.spam_now,
            spam_then: w.spam_then,
            flagged_spam_right: w.flagged_spam.right,
            flagged_spam_wrong: w.flagged_spam.wrong,
            flagged_not_spam_right: w.flagged_not_spam.right,
            flagged_not_spam_wrong: w.flagged_not_spam.wrong,
        })
    }
}

impl DeskService {
    /// The admin's Org Logging entries matching `query` (every page, newest first, at most
    /// [`CSV_MAX_ROWS`]) as CSV. Only the admin's own account's entries.
    pub async fn org_log_csv(
        &self,
        admin: &CurrentUser,
        query: LogQuery,
    ) -> Result<String, ApiError> {
        admin_only(admin)?;
        let mut filter = log_filter(query, 500)?;
        filter.page = 0;
        let mut entries = Vec::new();
        loop {
            let page = self
                .db
                .org_log(admin.account_id, &filter)
                .await
                .map_err(internal)?;
            let done = page.entries.len() < page.per_page as usize;
            entries.extend(page.entries);
            if done || entries.len() >= CSV_MAX_ROWS {
                break;
            }
            filter.page += 1;
        }
        entries.truncate(CSV_MAX_ROWS);
        Ok(super::org_log_export::to_csv(&entries))
    }

    async fn campaigns_impl(&self, account_id: i64) -> anyhow::Result<CampaignsView> {
        Ok(CampaignsView {
            lists: self
                .db
                .lists(account_id)
                .await?
                .into_iter()
                .map(|l| ListView {
                    id: l.id,
                    name: l.name,
                    members: l.members,
                })
                .collect(),
            campaigns: self
                .db
                .campaigns(account_id)
                .await?
                .into_iter()
                .map(|c| CampaignView {
                    id: c.id,
                    list_name: c.list_name,
                    subject: c.subject,
                    status: c.status,
                    total: c.total,
                    skipped_suppressed: c.skipped_suppressed,
                    sent: c.sent,
                    failed: c.failed,
                    created_by: c.created_by,
                    created_at: c.created_at,
                    finished_at: c.finished_at,
                })
                .collect(),
            senders: self
                .db
                .senders(account_id)
                .await?
                .into_iter()
                .filter(|s| s.kind == "bulk")
                .map(sender_view)
                .collect(),
        })
    }

    /// The running 30-day complaint rate, its daily chart and the event breakdown.
    async fn rate_view(&self, account_id: i64) -> anyhow::Result<RateView> {
        let now = Utc::now();
        let today = now.timestamp().div_euclid(86_400);
        // 60 days so that each of the 30 chart points has its own 30-day window.
        let counts = self.db.daily_counts(account_id, today - 59, today).await?;
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
            .event_breakdown(account_id, now - Duration::days(30))
            .await?;
        let complaints = rates.complaints_auto + rates.complaints_manual;
        let domain_rows: Vec<DomainDailyCounts> = self
            .db
            .daily_domain_counts(account_id, today - 29, today)
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
