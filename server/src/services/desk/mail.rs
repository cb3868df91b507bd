//! Conversations, contacts and replies: what agents work with.

use super::{internal, DeskService};
use crate::domain::address::EmailAddress;
use crate::domain::inbound::BlockEntry;
use crate::domain::suppression::AccountId;
use crate::services::ingest::ReactivateError;
use crate::services::outbound::ReplyError;
use crate::services::sanitize::without_remote_images;
use crate::services::search::SearchQuery;
use app::backend::Admin;
use app::error::ApiError;
use app::models::*;
use chrono::Utc;

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

pub(super) async fn list_conversations(
    desk: &DeskService,
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
    desk.db
        .list_conversations(AccountId(user.account_id), status, &search)
        .await
        .map_err(internal)
}

pub(super) async fn get_conversation(
    desk: &DeskService,
    user: &CurrentUser,
    id: i64,
) -> Result<ConversationDetail, ApiError> {
    let mut detail = desk
        .db
        .get_conversation(AccountId(user.account_id), id)
        .await
        .map_err(internal)?
        .ok_or(ApiError::NotFound)?;
    for m in &mut detail.messages {
        if let Some(blocked) = m.html_body.as_deref().and_then(without_remote_images) {
            m.remote_images_html = m.html_body.replace(blocked);
        }
    }
    if let Ok(sender) = EmailAddress::parse(&detail.summary.contact_email) {
        detail.sender_blocked_by = desk
            .db
            .block_match(AccountId(user.account_id), &BlockEntry::candidates(&sender))
            .await
            .map_err(internal)?
            .map(|b| b.entry.value().to_string());
        detail.reply_stream = Some(
            desk.outbound
                .reply_stream(AccountId(user.account_id), &sender, Utc::now())
                .await
                .map_err(internal)?,
        );
    }
    Ok(detail)
}

pub(super) async fn send_reply(
    desk: &DeskService,
    user: &CurrentUser,
    conversation_id: i64,
    text: &str,
) -> Result<i64, ApiError> {
    desk.outbound
        .reply(
            AccountId(user.account_id),
            conversation_id,
            text,
            Utc::now(),
        )
        .await
        .map_err(|e| match e {
            ReplyError::NotFound => ApiError::NotFound,
            ReplyError::Io(e) => internal(e),
            other => ApiError::Invalid(other.to_string()),
        })
}

pub(super) async fn list_contacts(
    desk: &DeskService,
    user: &CurrentUser,
    search: &str,
) -> Result<Vec<ContactView>, ApiError> {
    if search.chars().count() > 254 {
        return Err(ApiError::Invalid(
            "Search for at most 254 characters (an address is no longer)".into(),
        ));
    }
    let mut contacts = desk
        .db
        .search_contacts(AccountId(user.account_id), search)
        .await
        .map_err(internal)?;
    // Entries for every account hold here too, though no event of this account marked
    // the contact: each is shown with its basis and evidence.
    let addresses: Vec<EmailAddress> = contacts
        .iter()
        .filter_map(|c| EmailAddress::parse(&c.email).ok())
        .collect();
    let global = desk
        .db
        .global_entries(AccountId(user.account_id), &addresses, Utc::now())
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

pub(super) async fn reactivate_contact(
    desk: &DeskService,
    admin: &Admin,
    email: &str,
    reason: &str,
) -> Result<(), ApiError> {
    match desk
        .ingest
        .reactivate(
            AccountId(admin.account_id),
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

pub(super) async fn address_history(
    desk: &DeskService,
    user: &CurrentUser,
    email: &str,
) -> Result<AddressHistoryView, ApiError> {
    use crate::services::address_history::{address_history, HistoryError};
    address_history(&desk.db, AccountId(user.account_id), email, Utc::now())
        .await
        .map_err(|e| match e {
            HistoryError::Io(e) => internal(e),
            other => ApiError::Invalid(other.to_string()),
        })
}

pub(super) async fn reporting_summary(
    desk: &DeskService,
    user: &CurrentUser,
) -> Result<ReportingSummary, ApiError> {
    desk.db
        .reporting_summary(AccountId(user.account_id))
        .await
        .map_err(internal)
}
