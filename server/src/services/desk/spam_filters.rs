//! The spam filter's controls: Mark as spam / Not spam, the block and allow lists, the
//! threshold and its what-if.

use super::{filter_error, internal, DeskService};
use crate::domain::suppression::AccountId;
use crate::storage::inbound::BlockRow;
use app::backend::Admin;
use app::error::ApiError;
use app::models::*;
use chrono::Utc;

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

pub(super) async fn mark_spam(
    desk: &DeskService,
    user: &CurrentUser,
    conversation_id: i64,
) -> Result<(), ApiError> {
    desk.filters
        .mark_spam(
            AccountId(user.account_id),
            &user.email,
            conversation_id,
            Utc::now(),
        )
        .await
        .map(|_| ())
        .map_err(filter_error)
}

pub(super) async fn mark_not_spam(
    desk: &DeskService,
    user: &CurrentUser,
    conversation_id: i64,
    unblock: bool,
) -> Result<(), ApiError> {
    desk.filters
        .not_spam(
            AccountId(user.account_id),
            &user.email,
            conversation_id,
            unblock,
            Utc::now(),
        )
        .await
        .map(|_| ())
        .map_err(filter_error)
}

pub(super) async fn block_list(
    desk: &DeskService,
    admin: &Admin,
) -> Result<Vec<BlockEntryView>, ApiError> {
    Ok(desk
        .db
        .block_list(AccountId(admin.account_id))
        .await
        .map_err(internal)?
        .into_iter()
        .map(block_view)
        .collect())
}

pub(super) async fn add_block(
    desk: &DeskService,
    admin: &Admin,
    value: &str,
    reason: &str,
) -> Result<BlockEntryView, ApiError> {
    desk.filters
        .add_block(
            AccountId(admin.account_id),
            &admin.email,
            value,
            reason,
            Utc::now(),
        )
        .await
        .map(block_view)
        .map_err(filter_error)
}

pub(super) async fn remove_block(
    desk: &DeskService,
    admin: &Admin,
    id: i64,
) -> Result<(), ApiError> {
    desk.filters
        .remove_block(AccountId(admin.account_id), &admin.email, id, Utc::now())
        .await
        .map(|_| ())
        .map_err(filter_error)
}

pub(super) async fn allow_list(
    desk: &DeskService,
    admin: &Admin,
) -> Result<Vec<BlockEntryView>, ApiError> {
    Ok(desk
        .db
        .allow_list(AccountId(admin.account_id))
        .await
        .map_err(internal)?
        .into_iter()
        .map(block_view)
        .collect())
}

pub(super) async fn add_allow(
    desk: &DeskService,
    admin: &Admin,
    value: &str,
    reason: &str,
) -> Result<BlockEntryView, ApiError> {
    desk.filters
        .add_allow(
            AccountId(admin.account_id),
            &admin.email,
            value,
            reason,
            Utc::now(),
        )
        .await
        .map(block_view)
        .map_err(filter_error)
}

pub(super) async fn remove_allow(
    desk: &DeskService,
    admin: &Admin,
    id: i64,
) -> Result<(), ApiError> {
    desk.filters
        .remove_allow(AccountId(admin.account_id), &admin.email, id, Utc::now())
        .await
        .map(|_| ())
        .map_err(filter_error)
}

pub(super) async fn set_trusted_authserv_ids(
    desk: &DeskService,
    admin: &Admin,
    value: &str,
) -> Result<Vec<String>, ApiError> {
    desk.filters
        .set_trusted_authserv_ids(AccountId(admin.account_id), &admin.email, value, Utc::now())
        .await
        .map_err(filter_error)
}

pub(super) async fn set_spam_threshold(
    desk: &DeskService,
    admin: &Admin,
    value: &str,
) -> Result<f64, ApiError> {
    desk.filters
        .set_threshold(AccountId(admin.account_id), &admin.email, value, Utc::now())
        .await
        .map(|t| t.value())
        .map_err(filter_error)
}

pub(super) async fn threshold_what_if(
    desk: &DeskService,
    admin: &Admin,
    value: &str,
) -> Result<WhatIfView, ApiError> {
    let (current, candidate, w) = desk
        .filters
        .threshold_what_if(AccountId(admin.account_id), value, Utc::now())
        .await
        .map_err(filter_error)?;
    Ok(WhatIfView {
        current: current.value(),
        candidate: candidate.value(),
        days: crate::services::spam_filters::WHAT_IF_DAYS,
        messages: w.messages,
        spam_now: w.spam_now,
        spam_then: w.spam_then,
        flagged_spam_right: w.flagged_spam.right,
        flagged_spam_wrong: w.flagged_spam.wrong,
        flagged_not_spam_right: w.flagged_not_spam.right,
        flagged_not_spam_wrong: w.flagged_not_spam.wrong,
    })
}
