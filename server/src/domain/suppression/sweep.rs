//! The sweeper: which entries were released since the last sweep, so "suppression released"
//! log entries can be written. Correctness never depends on it (the gate compares `until` with
//! now); it only makes releases visible in Org Logging.
//!
//! An entry is released at exactly its `until`, so a sweep covering `(last_sweep, now]` reports
//! entries with `last_sweep < until <= now`; consecutive sweeps report each release once.
//! Several replicas may run it: storage must claim each release once (e.g. an
//! `UPDATE … SET released_logged = true WHERE … AND NOT released_logged` and log only the rows
//! it changed); this function only names the candidates.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{LogKind, Suppression};

/// One release to log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Released {
    pub entry: Suppression,
    /// When it was released (its `until`), not when the sweep ran.
    pub released_at: DateTime<Utc>,
    /// Always [`LogKind::SuppressionReleased`].
    pub log: LogKind,
}

/// Entries released in `(last_sweep, now]`, oldest release first. `None` = never swept: every
/// release up to now.
pub fn released_since(
    entries: &[Suppression],
    last_sweep: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Vec<Released> {
    let mut out: Vec<Released> = entries
        .iter()
        .filter_map(|e| {
            let until = e.until?;
            let after_last = last_sweep.is_none_or(|l| l < until);
            (after_last && until <= now).then(|| Released {
                entry: e.clone(),
                released_at: until,
                log: LogKind::SuppressionReleased,
            })
        })
        .collect();
    out.sort_by_key(|r| r.released_at);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::category::Category;
    use crate::domain::suppression::policy;
    use crate::domain::suppression::test_support::*;
    use chrono::TimeDelta;

    #[test]
    fn each_release_is_reported_by_exactly_one_of_consecutive_sweeps() {
        let d = |n| t0() + TimeDelta::days(n);
        let entries: Vec<Suppression> = [
            (Category::SoftBounce, 0),
            (Category::SpamComplaintAuto, 3),
            (Category::HardBounce, 0),
            (Category::SoftBounce, 10),
        ]
        .into_iter()
        .enumerate()
        .filter_map(|(i, (c, day))| {
            policy::decide(c, ACME, &addr(&format!("a{i}@example.com")), d(day))
                .suppression
                .map(|s| s.with_event(Some(i as i64)))
        })
        .collect();
        // (last sweep, now, released event ids); until = day 14, 17, none, 24
        let table: [(Option<i64>, i64, &[i64]); 7] = [
            (None, 13, &[]),
            (None, 14, &[0]),
            (Some(13), 14, &[0]),
            (Some(14), 17, &[1]),
            (Some(17), 23, &[]),
            (Some(23), 400, &[3]),
            (None, 400, &[0, 1, 3]),
        ];
        for (last, now, expected) in table {
            let got: Vec<i64> = released_since(&entries, last.map(d), d(now))
                .iter()
                .map(|r| r.entry.event_id.unwrap())
                .collect();
            assert_eq!(got, expected, "sweep ({last:?}, {now}]");
        }
        let r = &released_since(&entries, None, d(14))[0];
        assert_eq!(
            (r.released_at, r.log),
            (d(14), LogKind::SuppressionReleased)
        );
    }
}
