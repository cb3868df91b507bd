//! Domain alert: repeated ISP blocks from one recipient domain raise an Org Logging alert.
//!
//! The rule is data ([`AlertRule`]); the default, [`DEFAULT_RULE`], is **5 or more blocks from
//! one domain within 1 hour**: one block is noise, a burst within the hour means the domain has
//! started refusing us (reputation, authentication) and an admin should look now.
//!
//! Window: `(now − window, now]` like everywhere in this module, so a block exactly `window`
//! old is out. Blocks stamped after `now` (provider clock skew) are counted. A domain that
//! already alerted within the window is not alerted again (one alert per burst, not one per
//! evaluation).

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{sub, LogKind};
use crate::domain::address::Domain;

/// "`threshold` blocks within `window_minutes`."
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRule {
    pub threshold: u32,
    pub window_minutes: u32,
}

pub const DEFAULT_RULE: AlertRule = AlertRule {
    threshold: 5,
    window_minutes: 60,
};

impl AlertRule {
    pub fn window(self) -> TimeDelta {
        TimeDelta::minutes(i64::from(self.window_minutes))
    }
}

/// One ISP block, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IspBlockEvent {
    pub domain: Domain,
    pub at: DateTime<Utc>,
}

/// An alert to log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub domain: Domain,
    /// Blocks within the window.
    pub count: u32,
    pub window_minutes: u32,
    pub raised_at: DateTime<Utc>,
    /// Always [`LogKind::DomainAlert`].
    pub log: LogKind,
}

/// The alerts to raise at `now`, by domain name. `previous` are alerts already raised (only
/// their domain and time are read).
pub fn evaluate(
    blocks: &[IspBlockEvent],
    previous: &[Alert],
    rule: AlertRule,
    now: DateTime<Utc>,
) -> Vec<Alert> {
    let from = sub(now, rule.window());
    let mut counts: BTreeMap<&Domain, u32> = BTreeMap::new();
    for b in blocks.iter().filter(|b| b.at > from) {
        let c = counts.entry(&b.domain).or_insert(0);
        *c = c.saturating_add(1);
    }
    counts
        .into_iter()
        .filter(|(domain, count)| {
            *count >= rule.threshold.max(1)
                && !previous
                    .iter()
                    .any(|a| a.domain == **domain && a.raised_at > from)
        })
        .map(|(domain, count)| Alert {
            domain: domain.clone(),
            count,
            window_minutes: rule.window_minutes,
            raised_at: now,
            log: LogKind::DomainAlert,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::suppression::test_support::*;

    fn blocks(domain: &str, minutes_ago: &[i64]) -> Vec<IspBlockEvent> {
        minutes_ago
            .iter()
            .map(|m| IspBlockEvent {
                domain: Domain::parse(domain).unwrap(),
                at: t0() - TimeDelta::minutes(*m),
            })
            .collect()
    }

    #[test]
    fn five_blocks_within_the_hour_raise_an_alert_and_four_do_not() {
        // (minutes ago of each block, expected count in the alert)
        let table: [(&[i64], Option<u32>); 7] = [
            (&[], None),
            (&[0, 1, 2, 3], None),
            (&[0, 1, 2, 3, 4], Some(5)),
            (&[0, 10, 20, 30, 59], Some(5)),
            (&[0, 10, 20, 30, 60], None),
            (&[0, 10, 20, 30, 61, 90], None),
            (&[-2, 0, 1, 2, 3, 4], Some(6)),
        ];
        for (ago, expected) in table {
            let got = evaluate(&blocks("gmail.com", ago), &[], DEFAULT_RULE, t0());
            assert_eq!(got.first().map(|a| a.count), expected, "{ago:?}");
            if let Some(a) = got.first() {
                assert_eq!(
                    (a.domain.as_str(), a.window_minutes, a.raised_at, a.log),
                    ("gmail.com", 60, t0(), LogKind::DomainAlert)
                );
            }
        }
    }

    #[test]
    fn blocks_are_counted_per_domain() {
        let mut all = blocks("gmail.com", &[1, 2, 3]);
        all.extend(blocks("yahoo.com", &[1, 2, 3]));
        assert!(
            evaluate(&all, &[], DEFAULT_RULE, t0()).is_empty(),
            "3 + 3 on two domains is no burst"
        );
        all.extend(blocks("yahoo.com", &[4, 5]));
        let got: Vec<String> = evaluate(&all, &[], DEFAULT_RULE, t0())
            .into_iter()
            .map(|a| a.domain.to_string())
            .collect();
        assert_eq!(got, ["yahoo.com"]);
    }

    #[test]
    fn a_domain_alerts_once_per_window() {
        let b = blocks("gmail.com", &[0, 1, 2, 3, 4]);
        let first = evaluate(&b, &[], DEFAULT_RULE, t0());
        assert_eq!(first.len(), 1);
        // (minutes since the first alert, alert again?) — the old blocks are replayed shifted.
        for (later, again) in [(1, false), (59, false), (60, true)] {
            let now = t0() + TimeDelta::minutes(later);
            let fresh: Vec<IspBlockEvent> = b
                .iter()
                .map(|e| IspBlockEvent {
                    at: e.at + TimeDelta::minutes(later),
                    ..e.clone()
                })
                .collect();
            assert_eq!(
                !evaluate(&fresh, &first, DEFAULT_RULE, now).is_empty(),
                again,
                "{later} min later"
            );
        }
    }

    #[test]
    fn the_rule_is_data_and_a_zero_threshold_means_one() {
        let rule = AlertRule {
            threshold: 0,
            window_minutes: 10,
        };
        assert_eq!(evaluate(&blocks("a.test", &[5]), &[], rule, t0()).len(), 1);
        assert!(evaluate(&blocks("a.test", &[10]), &[], rule, t0()).is_empty());
        assert!(evaluate(&[], &[], rule, t0()).is_empty());
    }
}
