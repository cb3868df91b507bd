//! The guardrail per mailbox provider (issue 18): the running 30-day complaint and bounce
//! rates per [`ProviderFamily`], and bulk mail to one family paused when that family's
//! complaint rate reaches the pause line (0.3 %, [`complaint_rate::PAUSE_PER_10K`]), while
//! the other families go on. Replies to conversations are never paused.
//!
//! A pause holds until an admin resumes it. After a resume the family is paused again only
//! when a complaint arrives after the resume with the rate still at or over the line: the
//! complaints the admin already looked at do not pause it a second time.
//!
//! [`complaint_rate::PAUSE_PER_10K`]: super::complaint_rate::PAUSE_PER_10K

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::complaint_rate::{rates_by_domain, DomainDailyCounts, RateStatus};
use super::provider_family::ProviderFamily;
use super::MailKind;

/// One family's running 30-day figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProviderRates {
    pub family: ProviderFamily,
    pub sent: u64,
    pub complaints: u64,
    /// Hard and soft bounces.
    pub bounces: u64,
    /// Fractions (0.003 = 0.3 %), 0 when nothing was sent.
    pub complaint_rate: f64,
    pub bounce_rate: f64,
    /// The complaint rate's status (the line the pause is on).
    pub status: RateStatus,
}

fn ratio(n: u64, sent: u64) -> f64 {
    if sent == 0 {
        0.0
    } else {
        n as f64 / sent as f64
    }
}

/// The running rates of every family at `now` (all six, in [`ProviderFamily::ALL`] order;
/// a family nothing was sent to has zeros).
pub fn rates_by_provider(rows: &[DomainDailyCounts], now: DateTime<Utc>) -> Vec<ProviderRates> {
    let mut totals = [(0u64, 0u64, 0u64); ProviderFamily::ALL.len()];
    for d in rates_by_domain(rows, now) {
        let family = ProviderFamily::of_domain(d.domain.as_str());
        let i = ProviderFamily::ALL
            .iter()
            .position(|f| *f == family)
            .unwrap_or(ProviderFamily::ALL.len() - 1);
        let t = &mut totals[i];
        t.0 = t.0.saturating_add(d.rates.sent);
        t.1 =
            t.1.saturating_add(d.rates.complaints_auto)
                .saturating_add(d.rates.complaints_manual);
        t.2 =
            t.2.saturating_add(d.rates.hard_bounces)
                .saturating_add(d.rates.soft_bounces);
    }
    ProviderFamily::ALL
        .iter()
        .zip(totals)
        .map(|(family, (sent, complaints, bounces))| ProviderRates {
            family: *family,
            sent,
            complaints,
            bounces,
            complaint_rate: ratio(complaints, sent),
            bounce_rate: ratio(bounces, sent),
            status: RateStatus::of(complaints, sent),
        })
        .collect()
}

/// Where a family's bulk mail stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum PauseState {
    /// Never paused (or nothing stored).
    Sending,
    /// Paused since `at`, until an admin resumes it.
    Paused { at: DateTime<Utc> },
    /// An admin resumed it at `at`.
    Resumed { at: DateTime<Utc> },
}

/// What the guardrail does to a family now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Bulk mail goes out.
    Send,
    /// Already paused: bulk mail waits.
    Held,
    /// The rate reached the line now: pause (and log it), bulk mail waits.
    Pause,
}

impl Verdict {
    /// Whether `mail` to the family goes out: replies always do.
    pub fn allows(self, mail: MailKind) -> bool {
        mail == MailKind::Transactional || self == Verdict::Send
    }
}

/// The guardrail for one family: its rates, its stored state, and its latest complaint.
pub fn decide(
    rates: &ProviderRates,
    state: PauseState,
    last_complaint: Option<DateTime<Utc>>,
) -> Verdict {
    let at_line = rates.status == RateStatus::Paused;
    match state {
        PauseState::Paused { .. } => Verdict::Held,
        PauseState::Sending if at_line => Verdict::Pause,
        PauseState::Resumed { at } if at_line && last_complaint.is_some_and(|c| c > at) => {
            Verdict::Pause
        }
        PauseState::Sending | PauseState::Resumed { .. } => Verdict::Send,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::address::Domain;
    use crate::domain::suppression::complaint_rate::DailyCounts;
    use crate::domain::suppression::test_support::*;
    use chrono::TimeDelta;

    fn row(
        domain: &str,
        days_ago: i64,
        sent: u64,
        complaints: u64,
        bounces: u64,
    ) -> DomainDailyCounts {
        DomainDailyCounts {
            domain: Domain::parse(domain).unwrap(),
            counts: DailyCounts {
                date: (t0() - TimeDelta::days(days_ago)).date_naive(),
                sent,
                complaints_auto: complaints,
                hard_bounces: bounces,
                ..DailyCounts::default()
            },
        }
    }

    #[test]
    fn rates_are_added_up_per_family_over_the_window() {
        let rows = [
            row("gmail.com", 0, 600, 1, 6),
            row("googlemail.com", 3, 400, 2, 4),
            row("gmail.com", 30, 5_000, 50, 0), // out of the window
            row("hotmail.co.uk", 1, 1_000, 1, 0),
            row("web.de", 2, 100, 0, 10),
            row("gmx.net", 2, 100, 0, 0),
            row("example.com", 0, 2_000, 0, 20),
        ];
        let got = rates_by_provider(&rows, t0());
        let fams: Vec<ProviderFamily> = got.iter().map(|r| r.family).collect();
        assert_eq!(fams, ProviderFamily::ALL, "all six, in order");
        // (family, sent, complaints, bounces, status)
        let expected = [
            (ProviderFamily::Gmail, 1_000, 3, 10, RateStatus::Paused),
            (ProviderFamily::Microsoft, 1_000, 1, 0, RateStatus::Warning),
            (ProviderFamily::Yahoo, 0, 0, 0, RateStatus::Ok),
            (ProviderFamily::Apple, 0, 0, 0, RateStatus::Ok),
            (ProviderFamily::GmxWebde, 200, 0, 10, RateStatus::Ok),
            (ProviderFamily::Other, 2_000, 0, 20, RateStatus::Ok),
        ];
        for (r, (family, sent, complaints, bounces, status)) in got.iter().zip(expected) {
            assert_eq!(
                (r.family, r.sent, r.complaints, r.bounces, r.status),
                (family, sent, complaints, bounces, status)
            );
        }
        assert!((got[0].complaint_rate - 0.003).abs() < 1e-12);
        assert!((got[4].bounce_rate - 0.05).abs() < 1e-12);
        assert_eq!(got[2].complaint_rate, 0.0, "nothing sent: 0, not NaN");
    }

    fn rates(complaints: u64, sent: u64) -> ProviderRates {
        ProviderRates {
            family: ProviderFamily::Gmail,
            sent,
            complaints,
            bounces: 0,
            complaint_rate: ratio(complaints, sent),
            bounce_rate: 0.0,
            status: RateStatus::of(complaints, sent),
        }
    }

    #[test]
    fn the_guardrail_pauses_at_the_line_holds_until_resumed_and_pauses_again_on_new_complaints() {
        let (t, later, earlier) = (t0(), t0() + TimeDelta::hours(1), t0() - TimeDelta::hours(1));
        // (complaints per 1,000 sent, state, last complaint, verdict)
        let table = [
            (2, PauseState::Sending, Some(t), Verdict::Send),
            (3, PauseState::Sending, Some(t), Verdict::Pause),
            (0, PauseState::Paused { at: t }, None, Verdict::Held),
            (9, PauseState::Paused { at: t }, Some(later), Verdict::Held),
            (
                3,
                PauseState::Resumed { at: t },
                Some(earlier),
                Verdict::Send,
            ),
            (3, PauseState::Resumed { at: t }, Some(t), Verdict::Send),
            (
                3,
                PauseState::Resumed { at: t },
                Some(later),
                Verdict::Pause,
            ),
            (2, PauseState::Resumed { at: t }, Some(later), Verdict::Send),
        ];
        for (complaints, state, last, verdict) in table {
            assert_eq!(
                decide(&rates(complaints, 1_000), state, last),
                verdict,
                "{complaints} {state:?} {last:?}"
            );
        }
    }

    #[test]
    fn replies_are_never_paused() {
        for v in [Verdict::Send, Verdict::Held, Verdict::Pause] {
            assert!(v.allows(MailKind::Transactional));
            assert_eq!(v.allows(MailKind::Bulk), v == Verdict::Send);
        }
    }
}
