//! The suppression behind a red delivery badge, and an address's whole history: what storage
//! keeps, turned into what an agent reads (scope and why, whether it holds now, the notice as
//! plain text).

use crate::domain::address::EmailAddress;
use crate::domain::suppression::scope_by_trust::GlobalBasis;
use crate::domain::suppression::AccountId;
use crate::storage::address_history::{HistoryEntry, HistoryEvent, HistoryOverride};
use crate::storage::Db;
use app::models::{AddressHistoryView, NoticeView, ReactivationView, SuppressionView};
use chrono::{DateTime, Utc};

/// The most of a raw notice shown on the page.
pub const RAW_NOTICE_LIMIT: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("{0:?} is not an email address")]
    BadAddress(String),
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

/// A raw notice as text an agent may read: invalid UTF-8 replaced, control characters other
/// than line breaks and tabs dropped (they could hide or rewrite what is shown), cut at
/// `limit` bytes on a character boundary. Returns the text and whether it was cut. The page
/// shows it as text (escaped), never as HTML.
pub fn notice_text(raw: &[u8], limit: usize) -> (String, bool) {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(text.len().min(limit));
    let mut cut = false;
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            continue;
        }
        if out.len() + c.len_utf8() > limit {
            cut = true;
            break;
        }
        out.push(c);
    }
    (out, cut)
}

/// Whether `entry` holds at `now` for the account, given its reactivations.
pub fn holds(entry: &HistoryEntry, reactivations: &[HistoryOverride], now: DateTime<Utc>) -> bool {
    let live =
        entry.released_at.is_none() && entry.since <= now && entry.until.is_none_or(|u| u > now);
    // A reactivation lifts the global entries set up to its time for this account.
    let lifted = entry.account_id.is_none() && reactivations.iter().any(|o| o.since >= entry.since);
    live && !lifted
}

fn scope_why(entry: &HistoryEntry) -> (String, String) {
    match entry.account_id {
        Some(_) => (
            "account".into(),
            "reported to this account: it holds for this account only".into(),
        ),
        None => {
            let basis = entry
                .basis
                .as_deref()
                .and_then(|b| GlobalBasis::from_parts(b, entry.confirmations));
            let why = match basis {
                Some(GlobalBasis::Quorum { accounts }) => format!(
                    "confirmed by {accounts} accounts: hard bounces reported by {accounts} \
                     different accounts, so it holds for every account"
                ),
                Some(GlobalBasis::SharedTransport) => {
                    "bounced on our shared transport: the deployment's own evidence, so it \
                     holds for every account"
                        .into()
                }
                None => "recorded for every account before bases were kept".into(),
            };
            ("global".into(), why)
        }
    }
}

fn notice(e: HistoryEvent) -> NoticeView {
    let code = match (e.reply_code, e.status.clone()) {
        (Some(c), Some(s)) => Some(format!("{c} {s}")),
        (Some(c), None) => Some(c.to_string()),
        (None, Some(s)) => Some(s),
        (None, None) => None,
    };
    let (raw, raw_truncated) = match e.raw.as_deref().filter(|_| e.own) {
        Some(raw) => {
            let (text, cut) = notice_text(raw, RAW_NOTICE_LIMIT);
            (Some(text), cut)
        }
        None => (None, false),
    };
    NoticeView {
        event_id: e.id,
        own: e.own,
        category: e.category,
        received_at: e.received_at,
        code,
        provider: e.provider,
        reason: e.reason,
        diagnostic: e.diagnostic,
        remote_mta: e.remote_mta,
        feedback_type: e.feedback_type,
        raw,
        raw_truncated,
    }
}

/// The history of `email` as `account_id` may see it.
pub async fn address_history(
    db: &Db,
    account_id: AccountId,
    email: &str,
    now: DateTime<Utc>,
) -> Result<AddressHistoryView, HistoryError> {
    let address =
        EmailAddress::parse(email).map_err(|_| HistoryError::BadAddress(email.to_string()))?;
    let (entries, reactivations) = db.address_history(account_id, &address).await?;
    let views: Vec<SuppressionView> = entries
        .into_iter()
        .map(|e| {
            let active = holds(&e, &reactivations, now);
            let (scope, why) = scope_why(&e);
            SuppressionView {
                id: e.id,
                category: e.kind,
                reason: e.reason,
                scope,
                scope_why: why,
                since: e.since,
                until: e.until,
                ended_at: e.released_at,
                active,
                notice: e.event.map(notice),
            }
        })
        .collect();
    Ok(AddressHistoryView {
        address: address.as_str().to_string(),
        suppressed_now: views.iter().any(|v| v.active),
        entries: views,
        reactivations: reactivations
            .into_iter()
            .map(|o| ReactivationView {
                reason: o.reason,
                actor: o.actor,
                at: o.since,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn a_notice_is_plain_text_without_control_characters() {
        let (t, cut) = notice_text(b"550 5.1.1 <b>no</b>\x1b[31m\r\n\x00ok\xff", 1000);
        assert_eq!(t, "550 5.1.1 <b>no</b>[31m\nok\u{fffd}");
        assert!(!cut);
        let (t, cut) = notice_text("ééé".as_bytes(), 5);
        assert_eq!((t.as_str(), cut), ("éé", true));
    }

    fn entry(account: Option<i64>, since_h: i64, until_h: Option<i64>) -> HistoryEntry {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        HistoryEntry {
            id: 1,
            account_id: account,
            kind: "hard_bounce".into(),
            reason: "550 5.1.1".into(),
            since: t0 + Duration::hours(since_h),
            until: until_h.map(|h| t0 + Duration::hours(h)),
            released_at: None,
            basis: None,
            confirmations: None,
            event: None,
        }
    }

    #[test]
    fn what_holds_now() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let now = t0 + Duration::hours(10);
        let reactivated = |h: i64| HistoryOverride {
            reason: "fixed".into(),
            actor: "admin@acme.test".into(),
            since: t0 + Duration::hours(h),
        };
        assert!(holds(&entry(Some(1), 0, None), &[], now));
        assert!(holds(&entry(Some(1), 0, Some(11)), &[], now));
        assert!(!holds(&entry(Some(1), 0, Some(10)), &[], now)); // until is exclusive
        assert!(!holds(&entry(Some(1), 11, None), &[], now)); // not yet
        let mut released = entry(Some(1), 0, None);
        released.released_at = Some(t0 + Duration::hours(5));
        assert!(!holds(&released, &[], now));
        // A reactivation lifts global entries set up before it, not later ones.
        assert!(!holds(&entry(None, 0, None), &[reactivated(5)], now));
        assert!(holds(&entry(None, 6, None), &[reactivated(5)], now));
    }
}
