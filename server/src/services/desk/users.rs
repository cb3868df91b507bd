//! The users of an account, as its admin manages them.

use super::{internal, DeskService};
use crate::domain::suppression::AccountId;
use crate::services::auth;
use app::backend::Admin;
use app::error::ApiError;
use app::models::*;
use chrono::Utc;

pub(super) async fn list_users(
    desk: &DeskService,
    admin: &Admin,
) -> Result<Vec<UserView>, ApiError> {
    Ok(desk
        .db
        .list_users(AccountId(admin.account_id))
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

pub(super) async fn reset_password(
    desk: &DeskService,
    admin: &Admin,
    user_id: i64,
) -> Result<String, ApiError> {
    let password = auth::new_token()[..20].to_string();
    let hash = auth::hash_password(&password).map_err(internal)?;
    // Scoped to the admin's account: another account's user is "not found".
    if !desk
        .db
        .set_password_hash(AccountId(admin.account_id), user_id, &hash)
        .await
        .map_err(internal)?
    {
        return Err(ApiError::NotFound);
    }
    desk.db
        .delete_user_sessions(user_id, None)
        .await
        .map_err(internal)?;
    tracing::info!(admin_id = admin.id, user_id, "password reset by an admin");
    Ok(password)
}

pub(super) async fn set_user_disabled(
    desk: &DeskService,
    admin: &Admin,
    user_id: i64,
    disabled: bool,
) -> Result<(), ApiError> {
    if disabled && user_id == admin.id {
        return Err(ApiError::Invalid("You cannot disable yourself.".into()));
    }
    if !desk
        .db
        .set_user_disabled(AccountId(admin.account_id), user_id, disabled, Utc::now())
        .await
        .map_err(internal)?
    {
        return Err(ApiError::NotFound);
    }
    if disabled {
        desk.db
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

pub(super) async fn account_overview(
    desk: &DeskService,
    admin: &Admin,
) -> Result<AccountOverview, ApiError> {
    let users = desk
        .db
        .count_users(AccountId(admin.account_id))
        .await
        .map_err(internal)?;
    Ok(AccountOverview {
        account_id: admin.account_id,
        account_name: admin.account_name.clone(),
        users,
    })
}
