//! Org Logging: the admin's page and its CSV export.

use super::{internal, DeskService, CSV_MAX_ROWS};
use crate::domain::suppression::LogKind;
use crate::storage::deliverability::LogFilter;
use app::backend::Admin;
use app::error::ApiError;
use app::models::*;
use chrono::NaiveDate;

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
        // A kind the filter does not offer filters nothing, as before.
        kind: query.kind.as_deref().and_then(LogKind::parse),
        subject: query.subject,
        from,
        to,
        page: query.page,
        per_page,
    };
    Ok(filter)
}

pub(super) async fn org_log(
    desk: &DeskService,
    admin: &Admin,
    query: LogQuery,
) -> Result<LogPageView, ApiError> {
    let filter = log_filter(query, 50)?;
    let page = desk
        .db
        .org_log(
            crate::domain::suppression::AccountId(admin.account_id),
            &filter,
        )
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

impl DeskService {
    /// The admin's Org Logging entries matching `query` (every page, newest first, at most
    /// [`CSV_MAX_ROWS`]) as CSV. Only the admin's own account's entries.
    pub async fn org_log_csv(&self, admin: &Admin, query: LogQuery) -> Result<String, ApiError> {
        let mut filter = log_filter(query, 500)?;
        filter.page = 0;
        let mut entries = Vec::new();
        loop {
            let page = self
                .db
                .org_log(
                    crate::domain::suppression::AccountId(admin.account_id),
                    &filter,
                )
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
        Ok(crate::services::org_log_export::to_csv(&entries))
    }
}
