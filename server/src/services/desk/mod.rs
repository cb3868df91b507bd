//! The app's backend: the `app::backend::Backend` trait implemented over storage.
//!
//! Each method of the trait is one call here to the function of the same name in the file
//! of its purpose: [`sessions`] (sign-in, passwords), [`users`], [`mail`] (conversations,
//! contacts, replies), [`org_log`], [`spam_filters`], [`email_channel`] (senders, providers,
//! complaint rate, SNS topics) and [`campaigns`].

mod campaigns;
mod email_channel;
mod mail;
mod org_log;
mod sessions;
mod spam_filters;
mod users;

use super::auth;
use super::campaigns::{CampaignError, CampaignService};
use super::ingest::IngestService;
use super::outbound::OutboundService;
use super::spam_filters::{FilterError, SpamFilters};
use super::transport::TransportConfig;
use crate::storage::Db;
use app::backend::{Admin, Backend, LoginOutcome};
use app::error::ApiError;
use app::models::*;
use chrono::{Duration, Utc};

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

    /// Senders connect only where `egress` allows, and the sender form refuses relays and API
    /// URLs it would not allow (public addresses only until then).
    pub fn with_egress(mut self, egress: super::egress::Egress) -> Self {
        self.outbound = self.outbound.with_egress(egress.clone());
        self.campaigns = self.campaigns.with_egress(egress);
        self
    }

    /// Relays' TLS may chain to `roots` as well as to the public roots, for replies and
    /// campaigns alike (none until then).
    pub fn with_trust_roots(mut self, roots: super::transport::TrustRoots) -> Self {
        self.outbound = self.outbound.with_trust_roots(roots.clone());
        self.campaigns = self.campaigns.with_trust_roots(roots);
        self
    }

    /// The outbound policy the desk's senders are held to.
    pub fn egress(&self) -> &super::egress::Egress {
        self.outbound.transports().egress()
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
        sessions::login(self, email, password, client_ip).await
    }

    async fn logout(&self, token: &str) -> Result<(), ApiError> {
        sessions::logout(self, token).await
    }

    async fn logout_everywhere(&self, user: &CurrentUser) -> Result<(), ApiError> {
        sessions::logout_everywhere(self, user).await
    }

    async fn change_password(
        &self,
        user: &CurrentUser,
        token: &str,
        current: &str,
        new: &str,
        client_ip: Option<std::net::IpAddr>,
    ) -> Result<(), ApiError> {
        sessions::change_password(self, user, token, current, new, client_ip).await
    }

    async fn list_users(&self, admin: &Admin) -> Result<Vec<UserView>, ApiError> {
        users::list_users(self, admin).await
    }

    async fn reset_password(&self, admin: &Admin, user_id: i64) -> Result<String, ApiError> {
        users::reset_password(self, admin, user_id).await
    }

    async fn set_user_disabled(
        &self,
        admin: &Admin,
        user_id: i64,
        disabled: bool,
    ) -> Result<(), ApiError> {
        users::set_user_disabled(self, admin, user_id, disabled).await
    }

    async fn account_overview(&self, admin: &Admin) -> Result<AccountOverview, ApiError> {
        users::account_overview(self, admin).await
    }

    async fn list_conversations(
        &self,
        user: &CurrentUser,
        filter: ConversationFilter,
    ) -> Result<Vec<ConversationSummary>, ApiError> {
        mail::list_conversations(self, user, filter).await
    }

    async fn get_conversation(
        &self,
        user: &CurrentUser,
        id: i64,
    ) -> Result<ConversationDetail, ApiError> {
        mail::get_conversation(self, user, id).await
    }

    async fn send_reply(
        &self,
        user: &CurrentUser,
        conversation_id: i64,
        text: &str,
    ) -> Result<i64, ApiError> {
        mail::send_reply(self, user, conversation_id, text).await
    }

    async fn list_contacts(
        &self,
        user: &CurrentUser,
        search: &str,
    ) -> Result<Vec<ContactView>, ApiError> {
        mail::list_contacts(self, user, search).await
    }

    async fn reactivate_contact(
        &self,
        admin: &Admin,
        email: &str,
        reason: &str,
    ) -> Result<(), ApiError> {
        mail::reactivate_contact(self, admin, email, reason).await
    }

    async fn address_history(
        &self,
        user: &CurrentUser,
        email: &str,
    ) -> Result<AddressHistoryView, ApiError> {
        mail::address_history(self, user, email).await
    }

    async fn reporting_summary(&self, user: &CurrentUser) -> Result<ReportingSummary, ApiError> {
        mail::reporting_summary(self, user).await
    }

    async fn org_log(&self, admin: &Admin, query: LogQuery) -> Result<LogPageView, ApiError> {
        org_log::org_log(self, admin, query).await
    }

    async fn mark_spam(&self, user: &CurrentUser, conversation_id: i64) -> Result<(), ApiError> {
        spam_filters::mark_spam(self, user, conversation_id).await
    }

    async fn mark_not_spam(
        &self,
        user: &CurrentUser,
        conversation_id: i64,
        unblock: bool,
    ) -> Result<(), ApiError> {
        spam_filters::mark_not_spam(self, user, conversation_id, unblock).await
    }

    async fn block_list(&self, admin: &Admin) -> Result<Vec<BlockEntryView>, ApiError> {
        spam_filters::block_list(self, admin).await
    }

    async fn add_block(
        &self,
        admin: &Admin,
        value: &str,
        reason: &str,
    ) -> Result<BlockEntryView, ApiError> {
        spam_filters::add_block(self, admin, value, reason).await
    }

    async fn remove_block(&self, admin: &Admin, id: i64) -> Result<(), ApiError> {
        spam_filters::remove_block(self, admin, id).await
    }

    async fn allow_list(&self, admin: &Admin) -> Result<Vec<BlockEntryView>, ApiError> {
        spam_filters::allow_list(self, admin).await
    }

    async fn add_allow(
        &self,
        admin: &Admin,
        value: &str,
        reason: &str,
    ) -> Result<BlockEntryView, ApiError> {
        spam_filters::add_allow(self, admin, value, reason).await
    }

    async fn remove_allow(&self, admin: &Admin, id: i64) -> Result<(), ApiError> {
        spam_filters::remove_allow(self, admin, id).await
    }

    async fn set_trusted_authserv_ids(
        &self,
        admin: &Admin,
        value: &str,
    ) -> Result<Vec<String>, ApiError> {
        spam_filters::set_trusted_authserv_ids(self, admin, value).await
    }

    async fn set_spam_threshold(&self, admin: &Admin, value: &str) -> Result<f64, ApiError> {
        spam_filters::set_spam_threshold(self, admin, value).await
    }

    async fn threshold_what_if(&self, admin: &Admin, value: &str) -> Result<WhatIfView, ApiError> {
        spam_filters::threshold_what_if(self, admin, value).await
    }

    async fn email_channel(&self, admin: &Admin) -> Result<EmailChannelView, ApiError> {
        email_channel::email_channel(self, admin).await
    }

    async fn set_sns_topic_arn(
        &self,
        admin: &Admin,
        username: &str,
        value: &str,
    ) -> Result<Option<String>, ApiError> {
        email_channel::set_sns_topic_arn(self, admin, username, value).await
    }

    async fn resume_provider(
        &self,
        admin: &Admin,
        provider: &str,
        reason: &str,
    ) -> Result<(), ApiError> {
        email_channel::resume_provider(self, admin, provider, reason).await
    }

    async fn add_sender(&self, admin: &Admin, form: NewSenderForm) -> Result<(), ApiError> {
        email_channel::add_sender(self, admin, form).await
    }

    async fn campaigns(&self, admin: &Admin) -> Result<CampaignsView, ApiError> {
        campaigns::campaigns(self, admin).await
    }

    async fn campaign_list(&self, admin: &Admin) -> Result<Vec<CampaignView>, ApiError> {
        campaigns::campaign_list(self, admin).await
    }

    async fn create_list(
        &self,
        admin: &Admin,
        name: &str,
        addresses: &str,
    ) -> Result<ListView, ApiError> {
        campaigns::create_list(self, admin, name, addresses).await
    }

    async fn start_campaign(
        &self,
        admin: &Admin,
        list_id: i64,
        sender_id: i64,
        subject: &str,
        body: &str,
    ) -> Result<PreparedView, ApiError> {
        campaigns::start_campaign(self, admin, list_id, sender_id, subject, body).await
    }
}
