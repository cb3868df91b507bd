//! The server side of the app, seen from server functions: a trait the `server` crate
//! implements. Server functions stay a line or two: who is asking, then one call here.
//! No SQL lives in `app/`.

use crate::error::ApiError;
use crate::models::*;
use std::sync::Arc;

/// The session the server's auth layer resolved for this request (from the session cookie),
/// put into the request's extensions before any page or server function runs.
#[derive(Debug, Clone, Default)]
pub struct AuthSession {
    pub user: Option<CurrentUser>,
    pub token: Option<String>,
    /// The client's address (the peer, or the proxy's `X-Forwarded-For` when trusted).
    pub client_ip: Option<std::net::IpAddr>,
    /// Cookies get `Secure` (the site is served over https).
    pub secure_cookies: bool,
}

pub const SESSION_COOKIE: &str = "dd_session";

/// Result of a successful login: the cookie value to set.
pub struct LoginOutcome {
    pub token: String,
    pub user: CurrentUser,
    pub max_age_secs: i64,
}

#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Checks the password (refused with 429 after too many failures for this email or IP).
    async fn login(
        &self,
        email: &str,
        password: &str,
        client_ip: Option<std::net::IpAddr>,
    ) -> Result<LoginOutcome, ApiError>;
    async fn logout(&self, token: &str) -> Result<(), ApiError>;
    /// Ends every session of the user (this one included).
    async fn logout_everywhere(&self, user: &CurrentUser) -> Result<(), ApiError>;
    /// Changes the user's own password (the current one is checked); their other sessions end.
    async fn change_password(
        &self,
        user: &CurrentUser,
        token: &str,
        current: &str,
        new: &str,
        client_ip: Option<std::net::IpAddr>,
    ) -> Result<(), ApiError>;
    /// The users of the admin's account.
    async fn list_users(&self, admin: &CurrentUser) -> Result<Vec<UserView>, ApiError>;
    /// Gives a user of the admin's account a new random password (returned once) and ends
    /// their sessions.
    async fn reset_password(&self, admin: &CurrentUser, user_id: i64) -> Result<String, ApiError>;
    /// Disables (no sign-in, sessions ended) or enables a user of the admin's account.
    async fn set_user_disabled(
        &self,
        admin: &CurrentUser,
        user_id: i64,
        disabled: bool,
    ) -> Result<(), ApiError>;
    async fn list_conversations(
        &self,
        user: &CurrentUser,
        filter: ConversationFilter,
    ) -> Result<Vec<ConversationSummary>, ApiError>;
    async fn get_conversation(
        &self,
        user: &CurrentUser,
        id: i64,
    ) -> Result<ConversationDetail, ApiError>;
    async fn list_contacts(
        &self,
        user: &CurrentUser,
        search: &str,
    ) -> Result<Vec<ContactView>, ApiError>;
    async fn reporting_summary(&self, user: &CurrentUser) -> Result<ReportingSummary, ApiError>;
    async fn account_overview(&self, admin: &CurrentUser) -> Result<AccountOverview, ApiError>;
    async fn org_log(&self, admin: &CurrentUser, query: LogQuery) -> Result<LogPageView, ApiError>;
    /// Lets the admin's account mail `email` again; `reason` is required and logged.
    async fn reactivate_contact(
        &self,
        admin: &CurrentUser,
        email: &str,
        reason: &str,
    ) -> Result<(), ApiError>;
    /// Agent's "Mark as spam": Done + `Spam: true` + sender blocked + classifier trained.
    async fn mark_spam(&self, user: &CurrentUser, conversation_id: i64) -> Result<(), ApiError>;
    /// Agent's "Not spam": reopen, attribute removed, sender unblocked when `unblock`.
    async fn mark_not_spam(
        &self,
        user: &CurrentUser,
        conversation_id: i64,
        unblock: bool,
    ) -> Result<(), ApiError>;
    async fn block_list(&self, admin: &CurrentUser) -> Result<Vec<BlockEntryView>, ApiError>;
    async fn add_block(
        &self,
        admin: &CurrentUser,
        value: &str,
        reason: &str,
    ) -> Result<BlockEntryView, ApiError>;
    async fn remove_block(&self, admin: &CurrentUser, id: i64) -> Result<(), ApiError>;
    async fn email_channel(&self, admin: &CurrentUser) -> Result<EmailChannelView, ApiError>;
    /// Resumes bulk mail to a mailbox provider the guardrail paused; `reason` is required and
    /// logged. Held campaign recipients at that provider are sent.
    async fn resume_provider(
        &self,
        admin: &CurrentUser,
        provider: &str,
        reason: &str,
    ) -> Result<(), ApiError>;
    async fn set_spam_threshold(&self, admin: &CurrentUser, value: &str) -> Result<f64, ApiError>;
    /// Replaces the trusted authserv-ids with those in `value`; returns them as stored.
    async fn set_trusted_authserv_ids(
        &self,
        admin: &CurrentUser,
        value: &str,
    ) -> Result<Vec<String>, ApiError>;
    /// Sets (or, empty, clears) the SNS topic of the account's webhook credential
    /// `username`; returns it as stored.
    async fn set_sns_topic_arn(
        &self,
        admin: &CurrentUser,
        username: &str,
        value: &str,
    ) -> Result<Option<String>, ApiError>;
    /// Sends an agent's reply; the gate may refuse it with the reason.
    async fn send_reply(
        &self,
        user: &CurrentUser,
        conversation_id: i64,
        text: &str,
    ) -> Result<i64, ApiError>;
    async fn add_sender(&self, admin: &CurrentUser, form: NewSenderForm) -> Result<(), ApiError>;
    async fn campaigns(&self, admin: &CurrentUser) -> Result<CampaignsView, ApiError>;
    async fn create_list(
        &self,
        admin: &CurrentUser,
        name: &str,
        addresses: &str,
    ) -> Result<ListView, ApiError>;
    /// Removes suppressed addresses, queues the rest and starts sending in the background.
    async fn start_campaign(
        &self,
        admin: &CurrentUser,
        list_id: i64,
        sender_id: i64,
        subject: &str,
        body: &str,
    ) -> Result<PreparedView, ApiError>;
    /// One address's suppressions (the account's and global ones), the notices behind them
    /// (raw notices of the account's own events only) and its reactivations.
    async fn address_history(
        &self,
        user: &CurrentUser,
        email: &str,
    ) -> Result<AddressHistoryView, ApiError>;
    async fn allow_list(&self, admin: &CurrentUser) -> Result<Vec<BlockEntryView>, ApiError>;
    async fn add_allow(
        &self,
        admin: &CurrentUser,
        value: &str,
        reason: &str,
    ) -> Result<BlockEntryView, ApiError>;
    async fn remove_allow(&self, admin: &CurrentUser, id: i64) -> Result<(), ApiError>;
    /// How the last 30 days' inbound would have gone under `value` (as typed).
    async fn threshold_what_if(
        &self,
        admin: &CurrentUser,
        value: &str,
    ) -> Result<WhatIfView, ApiError>;
}

pub type SharedBackend = Arc<dyn Backend>;

/// Sets the HTTP status of the current response to the error's, then hands the error back.
pub fn fail(e: ApiError) -> ApiError {
    if let Some(resp) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(code) = http::StatusCode::from_u16(e.status()) {
            resp.set_status(code);
        }
        if let ApiError::TooManyRequests(secs) = &e {
            resp.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(*secs));
        }
    }
    e
}

pub fn backend() -> Result<SharedBackend, ApiError> {
    leptos::prelude::use_context::<SharedBackend>()
        .ok_or_else(|| fail(ApiError::Internal("backend missing from context".into())))
}

pub async fn session() -> Result<AuthSession, ApiError> {
    let axum_ext: Option<http::Extensions> =
        leptos::prelude::use_context::<http::request::Parts>().map(|p| p.extensions);
    Ok(axum_ext
        .and_then(|e| e.get::<AuthSession>().cloned())
        .unwrap_or_default())
}

/// The signed-in user, or 401.
pub async fn require_user() -> Result<CurrentUser, ApiError> {
    session()
        .await?
        .user
        .ok_or_else(|| fail(ApiError::Unauthorized))
}

/// The signed-in admin, or 401 / 403: admin server functions refuse agents on the server.
pub async fn require_admin() -> Result<CurrentUser, ApiError> {
    let user = require_user().await?;
    if user.is_admin() {
        Ok(user)
    } else {
        Err(fail(ApiError::Forbidden))
    }
}

/// Maps a backend result's error to its HTTP status once.
pub fn respond<T>(r: Result<T, ApiError>) -> Result<T, ApiError> {
    r.map_err(fail)
}
