//! Signing in and out, and a user's own password.

use super::{internal, DeskService, MIN_PASSWORD_CHARS, SESSION_DAYS};
use crate::domain::suppression::AccountId;
use crate::services::auth;
use app::backend::LoginOutcome;
use app::error::ApiError;
use app::models::*;
use chrono::{Duration, Utc};

pub(super) async fn login(
    desk: &DeskService,
    email: &str,
    password: &str,
    client_ip: Option<std::net::IpAddr>,
) -> Result<LoginOutcome, ApiError> {
    let wrong = || ApiError::Invalid("Wrong email or password.".into());
    if email.trim().is_empty() || password.is_empty() {
        return Err(ApiError::Invalid("Enter your email and password.".into()));
    }
    let admitted = match desk.throttle.check(client_ip, email, Utc::now()).await {
        Ok(admitted) => admitted,
        Err(blocked) => {
            tracing::warn!(?client_ip, "sign-in refused: too many failures");
            return Err(ApiError::TooManyRequests(blocked.retry_after_secs()));
        }
    };
    let creds = desk.db.user_credentials(email).await.map_err(internal)?;
    // An unknown email is checked against a real hash too: the answer takes as long.
    let ok = auth::check_password(password, creds.as_ref().map(|c| c.password_hash.as_str()))
        .await
        .map_err(internal)?;
    let Some(creds) = creds.filter(|_| ok) else {
        desk.throttle.failed(client_ip, email, Utc::now()).await;
        return Err(wrong());
    };
    desk.throttle.succeeded(admitted, email).await;
    if creds.disabled {
        return Err(ApiError::Invalid(
            "This user is disabled. Ask an admin of your account.".into(),
        ));
    }
    let token = auth::new_token();
    let now = Utc::now();
    desk.db
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

pub(super) async fn logout(desk: &DeskService, token: &str) -> Result<(), ApiError> {
    desk.db
        .delete_session(&auth::token_hash(token))
        .await
        .map_err(internal)
}

pub(super) async fn logout_everywhere(
    desk: &DeskService,
    user: &CurrentUser,
) -> Result<(), ApiError> {
    let ended = desk
        .db
        .delete_user_sessions(user.id, None)
        .await
        .map_err(internal)?;
    tracing::info!(user_id = user.id, ended, "signed out everywhere");
    Ok(())
}

pub(super) async fn change_password(
    desk: &DeskService,
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
    let admitted = desk
        .throttle
        .check(client_ip, &user.email, Utc::now())
        .await
        .map_err(|blocked| ApiError::TooManyRequests(blocked.retry_after_secs()))?;
    let creds = desk
        .db
        .user_credentials(&user.email)
        .await
        .map_err(internal)?
        .ok_or(ApiError::Unauthorized)?;
    let ok = auth::check_password(current, Some(&creds.password_hash))
        .await
        .map_err(internal)?;
    if !ok {
        desk.throttle
            .failed(client_ip, &user.email, Utc::now())
            .await;
        return Err(ApiError::Invalid("The current password is wrong.".into()));
    }
    desk.throttle.succeeded(admitted, &user.email).await;
    let hash = auth::hash_password(new).map_err(internal)?;
    if !desk
        .db
        .set_password_hash(AccountId(user.account_id), user.id, &hash)
        .await
        .map_err(internal)?
    {
        return Err(ApiError::NotFound);
    }
    // Whoever else holds a session (the reason to change it, often) is signed out.
    desk.db
        .delete_user_sessions(user.id, Some(&auth::token_hash(token)))
        .await
        .map_err(internal)?;
    tracing::info!(user_id = user.id, "password changed");
    Ok(())
}
