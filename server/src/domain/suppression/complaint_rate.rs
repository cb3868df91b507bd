//! The running 30-day rates per account (and per recipient domain), and the guardrail on them.
//!
//! complaint rate = (automatic + manual complaints) / sent, over the window; 0 sent → 0 (never
//! NaN). Thresholds are compared in integers, per 10,000 sent, so the boundary is exact:
//! - **Warning** when complaints × 10,000 ≥ 10 × sent (0.1 %, the line big mailbox providers
//!   ask senders to stay under);
//! - **Paused** when complaints × 10,000 ≥ 30 × sent (0.3 %, where they start refusing mail):
//!   bulk sending pauses itself; transactional replies are never paused.
//!
//! **Window:** the 30 UTC calendar days ending on `now`'s day, today included: days
//! `today − 29 ..= today`. A day exactly 30 days before today is out, so an event exactly 30
//! days old is out. Days after today (clock skew in a bucket) are ignored.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{LogKind, MailKind};
use crate::domain::address::Domain;

pub const WINDOW_DAYS: u64 = 30;
/// The warning and bulk-pause lines, complaints per 10,000 sent (0.1 % and 0.3 %): the
/// pages draw the same ones.
pub use app::kinds::{PAUSE_PER_10K, WARNING_PER_10K};

/// One day's counters for an account (or an account and recipient domain), as storage
/// aggregates them. Several rows for one date are added up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyCounts {
    pub date: NaiveDate,
    pub sent: u64,
    pub delivered: u64,
    pub hard_bounces: u64,
    pub soft_bounces: u64,
    pub isp_blocks: u64,
    pub complaints_auto: u64,
    pub complaints_manual: u64,
}

impl DailyCounts {
    fn add(&mut self, o: &DailyCounts) {
        self.sent = self.sent.saturating_add(o.sent);
        self.delivered = self.delivered.saturating_add(o.delivered);
        self.hard_bounces = self.hard_bounces.saturating_add(o.hard_bounces);
        self.soft_bounces = self.soft_bounces.saturating_add(o.soft_bounces);
        self.isp_blocks = self.isp_blocks.saturating_add(o.isp_blocks);
        self.complaints_auto = self.complaints_auto.saturating_add(o.complaints_auto);
        self.complaints_manual = self.complaints_manual.saturating_add(o.complaints_manual);
    }

    pub fn complaints(&self) -> u64 {
        self.complaints_auto.saturating_add(self.complaints_manual)
    }
}

/// Where the complaint rate stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateStatus {
    Ok,
    /// ≥ 0.1 %: shown and logged.
    Warning,
    /// ≥ 0.3 %: bulk sending paused.
    Paused,
}

impl RateStatus {
    /// The name stored and shown: `ok`, `warning`, `paused`.
    pub fn as_str(self) -> &'static str {
        match self {
            RateStatus::Ok => "ok",
            RateStatus::Warning => "warning",
            RateStatus::Paused => "paused",
        }
    }
}

impl RateStatus {
    pub fn of(complaints: u64, sent: u64) -> RateStatus {
        if sent == 0 {
            return RateStatus::Ok;
        }
        let per_10k = u128::from(complaints) * 10_000;
        if per_10k >= u128::from(PAUSE_PER_10K) * u128::from(sent) {
            RateStatus::Paused
        } else if per_10k >= u128::from(WARNING_PER_10K) * u128::from(sent) {
            RateStatus::Warning
        } else {
            RateStatus::Ok
        }
    }

    /// The guardrail: bulk mail stops at `Paused`; replies to conversations never do.
    pub fn allows(self, mail: MailKind) -> bool {
        !(self == RateStatus::Paused && mail == MailKind::Bulk)
    }

    /// The log entry when the status moves from `previous` to `self`: going up logs, going
    /// down (or staying) does not.
    pub fn transition_log(self, previous: RateStatus) -> Option<LogKind> {
        match (previous, self) {
            (RateStatus::Paused, _) => None,
            (_, RateStatus::Paused) => Some(LogKind::BulkPaused),
            (RateStatus::Ok, RateStatus::Warning) => Some(LogKind::RateWarning),
            _ => None,
        }
    }
}

/// Totals over the window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    pub sent: u64,
    pub delivered: u64,
    pub hard_bounces: u64,
    pub soft_bounces: u64,
    pub isp_blocks: u64,
    pub complaints_auto: u64,
    pub complaints_manual: u64,
    /// A fraction (0.003 = 0.3 %), 0 when nothing was sent.
    pub complaint_rate: f64,
    pub status: RateStatus,
}

impl Rates {
    fn from_totals(t: &DailyCounts) -> Rates {
        let complaints = t.complaints();
        Rates {
            sent: t.sent,
            delivered: t.delivered,
            hard_bounces: t.hard_bounces,
            soft_bounces: t.soft_bounces,
            isp_blocks: t.isp_blocks,
            complaints_auto: t.complaints_auto,
            complaints_manual: t.complaints_manual,
            complaint_rate: ratio(complaints, t.sent),
            status: RateStatus::of(complaints, t.sent),
        }
    }
}

fn ratio(complaints: u64, sent: u64) -> f64 {
    if sent == 0 {
        0.0
    } else {
        complaints as f64 / sent as f64
    }
}

/// First day of the window ending on `today`.
fn window_start(today: NaiveDate) -> NaiveDate {
    today
        .checked_sub_days(Days::new(WINDOW_DAYS - 1))
        .unwrap_or(NaiveDate::MIN)
}

fn totals<'a>(days: impl Iterator<Item = &'a DailyCounts>, today: NaiveDate) -> DailyCounts {
    let start = window_start(today);
    let mut t = DailyCounts {
        date: today,
        ..DailyCounts::default()
    };
    for d in days.filter(|d| start <= d.date && d.date <= today) {
        t.add(d);
    }
    t
}

/// The running 30-day rates at `now`.
pub fn rates(days: &[DailyCounts], now: DateTime<Utc>) -> Rates {
    Rates::from_totals(&totals(days.iter(), now.date_naive()))
}

/// One day's counters for one recipient domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainDailyCounts {
    pub domain: Domain,
    pub counts: DailyCounts,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainRates {
    pub domain: Domain,
    pub rates: Rates,
}

/// The running 30-day rates per recipient domain, by domain name; domains with nothing in the
/// window are left out.
pub fn rates_by_domain(rows: &[DomainDailyCounts], now: DateTime<Utc>) -> Vec<DomainRates> {
    let mut by: BTreeMap<&Domain, Vec<&DailyCounts>> = BTreeMap::new();
    for r in rows {
        by.entry(&r.domain).or_default().push(&r.counts);
    }
    let today = now.date_naive();
    by.into_iter()
        .filter_map(|(domain, days)| {
            let t = totals(days.into_iter(), today);
            (t != DailyCounts {
                date: today,
                ..DailyCounts::default()
            })
            .then(|| DomainRates {
                domain: domain.clone(),
                rates: Rates::from_totals(&t),
            })
        })
        .collect()
}

/// One point of the chart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DailyPoint {
    pub date: NaiveDate,
    pub sent: u64,
    pub complaints: u64,
    /// That day's complaints / sent.
    pub day_rate: f64,
    /// The running 30-day rate as of the end of that day (what the guardrail saw).
    pub running_rate: f64,
}

/// Exactly 30 points, oldest first, ending today; missing days are zeros.
pub fn daily_series(days: &[DailyCounts], now: DateTime<Utc>) -> Vec<DailyPoint> {
    let mut by: BTreeMap<NaiveDate, DailyCounts> = BTreeMap::new();
    for d in days {
        by.entry(d.date)
            .or_insert(DailyCounts {
                date: d.date,
                ..DailyCounts::default()
            })
            .add(d);
    }
    let today = now.date_naive();
    let start = window_start(today);
    start
        .iter_days()
        .take_while(|d| *d <= today)
        .take(WINDOW_DAYS as usize)
        .map(|date| {
            let day = by.get(&date).copied().unwrap_or_default();
            let running = totals(by.range(window_start(date)..=date).map(|(_, c)| c), date);
            DailyPoint {
                date,
                sent: day.sent,
                complaints: day.complaints(),
                day_rate: ratio(day.complaints(), day.sent),
                running_rate: ratio(running.complaints(), running.sent),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::suppression::test_support::*;
    use chrono::TimeDelta;

    fn day(days_ago: i64, sent: u64, auto: u64, manual: u64) -> DailyCounts {
        DailyCounts {
            date: (t0() - TimeDelta::days(days_ago)).date_naive(),
            sent,
            delivered: sent,
            complaints_auto: auto,
            complaints_manual: manual,
            ..DailyCounts::default()
        }
    }

    #[test]
    fn the_status_turns_at_exactly_ten_and_thirty_per_ten_thousand() {
        // (complaints, sent, status)
        let table = [
            (0, 0, RateStatus::Ok),
            (5, 0, RateStatus::Ok),
            (0, 10_000, RateStatus::Ok),
            (9, 10_000, RateStatus::Ok),
            (10, 10_000, RateStatus::Warning),
            (1, 1_000, RateStatus::Warning),
            (1, 1_001, RateStatus::Ok),
            (29, 10_000, RateStatus::Warning),
            (30, 10_000, RateStatus::Paused),
            (3, 1_000, RateStatus::Paused),
            (3, 1_001, RateStatus::Warning),
            (1, 1, RateStatus::Paused),
            (u64::MAX, u64::MAX, RateStatus::Paused),
            (1, u64::MAX, RateStatus::Ok),
        ];
        for (complaints, sent, status) in table {
            assert_eq!(
                RateStatus::of(complaints, sent),
                status,
                "{complaints} / {sent}"
            );
        }
    }

    #[test]
    fn a_pause_stops_bulk_mail_but_never_replies() {
        // (status, mail, allowed)
        for (status, mail, allowed) in [
            (RateStatus::Ok, MailKind::Bulk, true),
            (RateStatus::Warning, MailKind::Bulk, true),
            (RateStatus::Paused, MailKind::Bulk, false),
            (RateStatus::Paused, MailKind::Transactional, true),
        ] {
            assert_eq!(status.allows(mail), allowed, "{status:?} {mail:?}");
        }
    }

    #[test]
    fn only_a_rise_of_the_status_is_logged() {
        use RateStatus::*;
        for (prev, now, log) in [
            (Ok, Ok, None),
            (Ok, Warning, Some(LogKind::RateWarning)),
            (Ok, Paused, Some(LogKind::BulkPaused)),
            (Warning, Paused, Some(LogKind::BulkPaused)),
            (Warning, Warning, None),
            (Paused, Paused, None),
            (Paused, Warning, None),
            (Warning, Ok, None),
        ] {
            assert_eq!(now.transition_log(prev), log, "{prev:?} -> {now:?}");
        }
    }

    #[test]
    fn the_window_holds_today_and_the_29_days_before_and_not_day_30() {
        // (day of the complaints, counted?) — every row also sends 1,000 so `sent` shows it too.
        for (days_ago, counted) in [
            (0, true),
            (1, true),
            (29, true),
            (30, false),
            (31, false),
            (-1, false),
        ] {
            let r = rates(&[day(days_ago, 1_000, 2, 1)], t0());
            assert_eq!(
                r.sent,
                if counted { 1_000 } else { 0 },
                "{days_ago} days ago"
            );
            assert_eq!(
                r.complaints_auto + r.complaints_manual,
                if counted { 3 } else { 0 },
                "{days_ago} days ago"
            );
        }
        // An event exactly 30 days old is on the day 30 days ago: out.
        let exactly_30_days_old = t0() - TimeDelta::days(30);
        let r = rates(
            &[DailyCounts {
                date: exactly_30_days_old.date_naive(),
                sent: 5,
                ..DailyCounts::default()
            }],
            t0(),
        );
        assert_eq!(r.sent, 0);
    }

    #[test]
    fn rates_add_up_the_window_and_never_divide_by_zero() {
        let r = rates(
            &[
                day(0, 4_000, 1, 1),
                day(3, 6_000, 4, 4),
                day(3, 0, 0, 0),
                day(45, 100, 100, 0),
            ],
            t0(),
        );
        assert_eq!(
            (r.sent, r.delivered, r.complaints_auto, r.complaints_manual),
            (10_000, 10_000, 5, 5)
        );
        assert!((r.complaint_rate - 0.001).abs() < 1e-12);
        assert_eq!(r.status, RateStatus::Warning);
        let empty = rates(&[], t0());
        assert_eq!((empty.complaint_rate, empty.status), (0.0, RateStatus::Ok));
        let complaints_only = rates(&[day(0, 0, 3, 0)], t0());
        assert_eq!(
            complaints_only.complaint_rate, 0.0,
            "0 sent → 0, not NaN or infinity"
        );
    }

    #[test]
    fn rates_are_also_given_per_recipient_domain() {
        let d = |s: &str| Domain::parse(s).unwrap();
        let rows = [
            DomainDailyCounts {
                domain: d("yahoo.com"),
                counts: day(1, 1_000, 3, 0),
            },
            DomainDailyCounts {
                domain: d("gmail.com"),
                counts: day(0, 5_000, 0, 1),
            },
            DomainDailyCounts {
                domain: d("gmail.com"),
                counts: day(2, 5_000, 0, 0),
            },
            DomainDailyCounts {
                domain: d("old.example"),
                counts: day(40, 5_000, 0, 0),
            },
        ];
        let got: Vec<(String, u64, RateStatus)> = rates_by_domain(&rows, t0())
            .into_iter()
            .map(|r| (r.domain.to_string(), r.rates.sent, r.rates.status))
            .collect();
        let got: Vec<(&str, u64, RateStatus)> =
            got.iter().map(|(d, s, r)| (d.as_str(), *s, *r)).collect();
        assert_eq!(
            got,
            [
                ("gmail.com", 10_000, RateStatus::Ok),
                ("yahoo.com", 1_000, RateStatus::Paused)
            ]
        );
    }

    #[test]
    fn the_chart_has_thirty_points_ending_today_with_zeros_for_quiet_days() {
        let days = [
            day(0, 1_000, 1, 0),
            day(29, 1_000, 0, 0),
            day(35, 1_000, 9, 0),
        ];
        let s = daily_series(&days, t0());
        assert_eq!(s.len(), 30);
        assert_eq!(s[29].date, t0().date_naive());
        assert_eq!(s[0].date, (t0() - TimeDelta::days(29)).date_naive());
        assert!(s
            .windows(2)
            .all(|w| w[0].date.succ_opt() == Some(w[1].date)));
        assert_eq!((s[29].sent, s[29].complaints), (1_000, 1));
        assert!((s[29].day_rate - 0.001).abs() < 1e-12);
        // A quiet day (19 days ago) still has a running rate: its window holds day 35-ago.
        assert_eq!((s[10].sent, s[10].day_rate), (0, 0.0));
        assert!((s[10].running_rate - 9.0 / 2_000.0).abs() < 1e-12);
        // Day 29-ago's running window reaches back to day 35-ago (9 complaints on 2,000 sent).
        assert!((s[0].running_rate - 9.0 / 2_000.0).abs() < 1e-12);
        // Today's running window: 1 complaint on 2,000 sent (day 35-ago has left it).
        assert!((s[29].running_rate - 1.0 / 2_000.0).abs() < 1e-12);
    }

    #[test]
    fn the_chart_at_the_start_of_time_is_short_instead_of_panicking() {
        let first_day = DateTime::<Utc>::MIN_UTC;
        let s = daily_series(&[day(0, 10, 0, 0)], first_day);
        assert_eq!(
            s.iter().map(|p| p.date).collect::<Vec<_>>(),
            [first_day.date_naive()]
        );
        assert_eq!(rates(&[], first_day).sent, 0);
    }
}
