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

/// Proof that the signed-in user is an admin of their account. Only [`Admin::check`] makes
/// one, so a backend method that takes `&Admin` cannot be reached on an agent's behalf: the
/// role is checked once, where the request comes in, not again in every method.
#[derive(Debug, Clone)]
pub struct Admin(CurrentUser);

impl Admin {
    /// The user as an admin, or `Forbidden` for an agent.
    pub fn check(user: CurrentUser) -> Result<Admin, ApiError> {
        if user.is_admin() {
            Ok(Admin(user))
        } else {
            Err(ApiError::Forbidden)
        }
    }

    pub fn user(&self) -> &CurrentUser {
        &self.0
    }
}

impl std::ops::Deref for Admin {
    type Target = CurrentUser;
    fn deref(&self) -> &CurrentUser {
        &self.0
    }
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
    async fn list_users(&self, admin: &Admin) -> Result<Vec<UserView>, ApiError>;
    /// Gives a user of the admin's account a new random password (returned once) and ends
    /// their sessions.
    async fn reset_password(&self, admin: &Admin, user_id: i64) -> Result<String, ApiError>;
    /// Disables (no sign-in, sessions ended) or enables a user of the admin's account.
    async fn set_user_disabled(
        &self,
        admin: &Admin,
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
    async fn account_overview(&self, admin: &Admin) -> Result<AccountOverview, ApiError>;
    async fn org_log(&self, admin: &Admin, query: LogQuery) -> Result<LogPageView, ApiError>;
    /// Lets the admin's account mail `email` again; `reason` is required and logged.
    async fn reactivate_contact(
        &self,
        admin: &Admin,
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
    async fn block_list(&self, admin: &Admin) -> Result<Vec<BlockEntryView>, ApiError>;
    async fn add_block(
        &self,
        admin: &Admin,
        value: &str,
        reason: &str,
    ) -> Result<BlockEntryView, ApiError>;
    async fn remove_block(&self, admin: &Admin, id: i64) -> Result<(), ApiError>;
    async fn email_channel(&self, admin: &Admin) -> Result<EmailChannelView, ApiError>;
    /// Resumes bulk mail to a mailbox provider the guardrail paused; `reason` is required and
    /// logged. Held campaign recipients at that provider are sent.
    async fn resume_provider(
        &self,
        admin: &Admin,
        provider: &str,
        reason: &str,
    ) -> Result<(), ApiError>;
    async fn set_spam_threshold(&self, admin: &Admin, value: &str) -> Result<f64, ApiError>;
    /// Replaces the trusted authserv-ids with those in `value`; returns them as stored.
    async fn set_trusted_authserv_ids(
        &self,
        admin: &Admin,
        value: &str,
    ) -> Result<Vec<String>, ApiError>;
    /// Sets (or, empty, clears) the SNS topic of the account's webhook credential
    /// `username`; returns it as stored.
    async fn set_sns_topic_arn(
        &self,
        admin: &Admin,
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
    async fn add_sender(&self, admin: &Admin, form: NewSenderForm) -> Result<(), ApiError>;
    async fn campaigns(&self, admin: &Admin) -> Result<CampaignsView, ApiError>;
    /// The account's campaigns alone (no lists, no senders): what the campaigns page polls
    /// while one sends.
    async fn campaign_list(&self, admin: &Admin) -> Result<Vec<CampaignView>, ApiError>;
    async fn create_list(
        &self,
        admin: &Admin,
        name: &str,
        addresses: &str,
    ) -> Result<ListView, ApiError>;
    /// Removes suppressed addresses, queues the rest and starts sending in the background.
    async fn start_campaign(
        &self,
        admin: &Admin,
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
    async fn allow_list(&self, admin: &Admin) -> Result<Vec<BlockEntryView>, ApiError>;
    async fn add_allow(
        &self,
        admin: &Admin,
        value: &str,
        reason: &str,
    ) -> Result<BlockEntryView, ApiError>;
    async fn remove_allow(&self, admin: &Admin, id: i64) -> Result<(), ApiError>;
    /// How the last 30 days' inbound would have gone under `value` (as typed).
    async fn threshold_what_if(&self, admin: &Admin, value: &str) -> Result<WhatIfView, ApiError>;
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
pub async fn require_admin() -> Result<Admin, ApiError> {
    Admin::check(require_user().await?).map_err(fail)
}

/// Maps a backend result's error to its HTTP status once.
pub fn respond<T>(r: Result<T, ApiError>) -> Result<T, ApiError> {
    r.map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> CurrentUser {
        CurrentUser {
            id: 7,
            account_id: 3,
            account_name: "Acme".into(),
            email: "someone@acme.test".into(),
            name: "Someone".into(),
            role,
        }
    }

    #[test]
    fn only_an_admin_becomes_an_admin() {
        let admin = Admin::check(user(Role::Admin)).unwrap();
        assert_eq!(admin.account_id, 3);
        assert_eq!(admin.user().email, "someone@acme.test");
        assert!(matches!(
            Admin::check(user(Role::Agent)),
            Err(ApiError::Forbidden)
        ));
    }
}
