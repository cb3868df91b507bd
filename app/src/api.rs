//! Server functions: parse input, ask the backend, map errors once (`backend::respond`).

use crate::error::ApiError;
use crate::models::*;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::backend::{backend, require_admin, require_user, respond};

#[server(endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<(), ApiError> {
    use crate::backend::{session, SESSION_COOKIE};
    let session = session().await?;
    let outcome = respond(backend()?.login(&email, &password, session.client_ip).await)?;
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        outcome.token,
        outcome.max_age_secs,
        if session.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    let resp = expect_context::<leptos_axum::ResponseOptions>();
    if let Ok(v) = http::HeaderValue::from_str(&cookie) {
        resp.append_header(http::header::SET_COOKIE, v);
    }
    leptos_axum::redirect("/conversations");
    Ok(())
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), ApiError> {
    use crate::backend::{session, SESSION_COOKIE};
    let session = session().await?;
    if let Some(token) = &session.token {
        respond(backend()?.logout(token).await)?;
    }
    let resp = expect_context::<leptos_axum::ResponseOptions>();
    let cookie = format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if session.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    if let Ok(v) = http::HeaderValue::from_str(&cookie) {
        resp.append_header(http::header::SET_COOKIE, v);
    }
    leptos_axum::redirect("/login");
    Ok(())
}

/// Ends every session of the signed-in user, this one included.
#[server(endpoint = "logout-everywhere")]
pub async fn logout_everywhere() -> Result<(), ApiError> {
    use crate::backend::{session, SESSION_COOKIE};
    let user = require_user().await?;
    respond(backend()?.logout_everywhere(&user).await)?;
    let secure = session().await?.secure_cookies;
    let resp = expect_context::<leptos_axum::ResponseOptions>();
    let cookie = format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    );
    if let Ok(v) = http::HeaderValue::from_str(&cookie) {
        resp.append_header(http::header::SET_COOKIE, v);
    }
    leptos_axum::redirect("/login");
    Ok(())
}

#[server(endpoint = "change-password")]
pub async fn change_password(current: String, new: String) -> Result<(), ApiError> {
    use crate::backend::session;
    let user = require_user().await?;
    let session = session().await?;
    let token = session.token.unwrap_or_default();
    respond(
        backend()?
            .change_password(&user, &token, &current, &new, session.client_ip)
            .await,
    )
}

#[server(endpoint = "admin/users")]
pub async fn list_users() -> Result<Vec<UserView>, ApiError> {
    let admin = require_admin().await?;
    respond(backend()?.list_users(&admin).await)
}

/// A new random password for a user of the admin's account, shown once.
#[server(endpoint = "admin/reset-password")]
pub async fn reset_password(user_id: i64) -> Result<String, ApiError> {
    let admin = require_admin().await?;
    respond(backend()?.reset_password(&admin, user_id).await)
}

#[server(endpoint = "admin/user-disabled")]
pub async fn set_user_disabled(user_id: i64, disabled: bool) -> Result<(), ApiError> {
    let admin = require_admin().await?;
    respond(
        backend()?
            .set_user_disabled(&admin, user_id, disabled)
            .await,
    )
}

#[server(endpoint = "me")]
pub async fn me() -> Result<Option<CurrentUser>, ApiError> {
    Ok(crate::backend::session().await?.user)
}

#[server(endpoint = "conversations")]
pub async fn list_conversations(
    status: Option<String>,
    query: Option<String>,
) -> Result<Vec<ConversationSummary>, ApiError> {
    let user = require_user().await?;
    let status = match status.as_deref() {
        None | Some("") | Some("all") => None,
        Some(s) => Some(
            ConversationStatus::parse(s)
                .ok_or_else(|| ApiError::Invalid(format!("unknown status {s:?}")))?,
        ),
    };
    let query = query.filter(|q| !q.trim().is_empty());
    respond(
        backend()?
            .list_conversations(&user, ConversationFilter { status, query })
            .await,
    )
}

#[server(endpoint = "conversation")]
pub async fn get_conversation(id: i64) -> Result<ConversationDetail, ApiError> {
    let user = require_user().await?;
    respond(backend()?.get_conversation(&user, id).await)
}

/// The account's contacts; `search` (empty: all) keeps those whose address or name contains it.
#[server(endpoint = "contacts")]
pub async fn list_contacts(search: String) -> Result<Vec<ContactView>, ApiError> {
    let user = require_user().await?;
    respond(backend()?.list_contacts(&user, search.trim()).await)
}

#[server(endpoint = "reporting")]
pub async fn get_reporting_summary() -> Result<ReportingSummary, ApiError> {
    let user = require_user().await?;
    respond(backend()?.reporting_summary(&user).await)
}

#[server(endpoint = "admin/account")]
pub async fn get_account_overview() -> Result<AccountOverview, ApiError> {
    let admin = require_admin().await?;
    respond(backend()?.account_overview(&admin).await)
}

#[server(endpoint = "admin/org-log")]
pub async fn get_org_log(query: LogQuery) -> Result<LogPageView, ApiError> {
    let admin = require_admin().await?;
    respond(backend()?.org_log(&admin, query).await)
}

#[server(endpoint = "admin/reactivate")]
pub async fn reactivate_contact(email: String, reason: String) -> Result<(), ApiError> {
    let admin = require_admin().await?;
    respond(backend()?.reactivate_contact(&admin, &email, &reason).await)
}

#[server(endpoint = "conversation/mark-spam")]
pub async fn mark_spam(id: i64) -> Result<(), ApiError> {
    let user = require_user().await?;
    respond(backend()?.mark_spam(&user, id).await)
}

#[server(endpoint = "conversation/not-spam")]
pub async fn mark_not_spam(id: i64, unblock: bool) -> Result<(), ApiError> {
    let user = require_user().await?;
    respond(backend()?.mark_not_spam(&user, id, unblock).await)
}

#[server(endpoint = "admin/block-list")]
pub async fn get_block_list() -> Result<Vec<BlockEntryView>, ApiError> {
    let admin = require_admin().await?;
    respond(backend()?.block_list(&admin).await)
}

#[server(endpoint = "admin/block")]
pub async fn add_block(value: String, reason: String) -> Result<BlockEntryView, ApiError> {
    let admin = require_admin().await?;
    respond(backend()?.add_block(&admin, &value, &reason).await)
}

#[server(endpoint = "admin/unblock")]
pub async fn remove_block(id: i64) -> Result<(), ApiError> {
    let admin = require_admin().await?;
    respond(backend()?.remove_block(&admin, id).await)
}

#[server(endpoint = "admin/email-channel")]
pub async fn get_email_channel() -> Result<EmailChannelView, ApiError> {
    let admin = require_admin().await?;
    respond(backend()?.email_channel(&admin).await)
}

#[server(endpoint = "admin/resume-provider")]
pub async fn resume_provider(provider: String, reason: String) -> Result<(), ApiError> {
    let admin = require_admin().await?;
    respond(backend()?.resume_provider(&admin, &provider, &reason).await)
}

#[server(endpoint = "admin/spam-threshold")]
pub async fn set_spam_threshold(value: String) -> Result<f64, ApiError> {
    let admin = require_admin().await?;
    respond(backend()?.set_spam_threshold(&admin, &value).await)
}

#[server(endpoint = "admin/trusted-authserv-ids")]
pub async fn set_trusted_authserv_ids(value: String) -> Result<Vec<String>, ApiError> {
    let admin = require_admin().await?;
    respond(backend()?.set_trusted_authserv_ids(&admin, &value).await)
}

#[server(endpoint = "admin/sns-topic")]
pub async fn set_sns_topic_arn(
    username: String,
    value: String,
) -> Result<Option<String>, ApiError> {
    let admin = require_admin().await?;
    respond(
        backend()?
            .set_sns_topic_arn(&admin, &username, &value)
            .await,
    )
}

#[server(endpoint = "conversation/reply")]
pub async fn send_reply(id: i64, text: String) -> Result<i64, ApiError> {
    let user = require_user().await?;
    respond(backend()?.send_reply(&user, id, &text).await)
}

#[server(endpoint = "admin/sender")]
pub async fn add_sender(form: NewSenderForm) -> Result<(), ApiError> {
    let admin = require_admin().await?;
    respond(backend()?.add_sender(&admin, form).await)
}

#[server(endpoint = "admin/campaigns")]
pub async fn get_campaigns() -> Result<CampaignsView, ApiError> {
    let admin = require_admin().await?;
    respond(backend()?.campaigns(&admin).await)
}

/// [`CampaignsView::progress_signature`] alone: what the campaigns page polls while a
/// campaign sends.
#[server(endpoint = "admin/campaigns-progress")]
pub async fn campaigns_progress() -> Result<String, ApiError> {
    let admin = require_admin().await?;
    respond(backend()?.campaign_list(&admin).await).map(|c| CampaignView::progress_signature(&c))
}

#[server(endpoint = "admin/list")]
pub async fn create_list(name: String, addresses: String) -> Result<ListView, ApiError> {
    let admin = require_admin().await?;
    respond(backend()?.create_list(&admin, &name, &addresses).await)
}

#[server(endpoint = "admin/campaign")]
pub async fn start_campaign(
    list_id: i64,
    sender_id: i64,
    subject: String,
    body: String,
) -> Result<PreparedView, ApiError> {
    let admin = require_admin().await?;
    respond(
        backend()?
            .start_campaign(&admin, list_id, sender_id, &subject, &body)
            .await,
    )
}

#[server(endpoint = "address-history")]
pub async fn get_address_history(email: String) -> Result<AddressHistoryView, ApiError> {
    let user = require_user().await?;
    respond(backend()?.address_history(&user, &email).await)
}

#[server(endpoint = "admin/allow-list")]
pub async fn get_allow_list() -> Result<Vec<BlockEntryView>, ApiError> {
    let admin = require_admin().await?;
    respond(backend()?.allow_list(&admin).await)
}

#[server(endpoint = "admin/allow")]
pub async fn add_allow(value: String, reason: String) -> Result<BlockEntryView, ApiError> {
    let admin = require_admin().await?;
    respond(backend()?.add_allow(&admin, &value, &reason).await)
}

#[server(endpoint = "admin/unallow")]
pub async fn remove_allow(id: i64) -> Result<(), ApiError> {
    let admin = require_admin().await?;
    respond(backend()?.remove_allow(&admin, id).await)
}

#[server(endpoint = "admin/threshold-what-if")]
pub async fn threshold_what_if(value: String) -> Result<WhatIfView, ApiError> {
    let admin = require_admin().await?;
    respond(backend()?.threshold_what_if(&admin, &value).await)
}
