//! The threshold what-if (Apps > Channels > Email): how the last 30 days' inbound mail would
//! have gone under another spam threshold, from the scores stored when it arrived.
//!
//! Scores are compared in hundredths of a point, as stored: a message is spam under a
//! threshold `t` when `t` is not 0 (filtering off) and `score >= t`, the same rule as
//! [`Threshold::is_spam`]. Block-list and allowlist verdicts do not depend on the threshold
//! and are not counted here.

use super::Threshold;
use serde::Serialize;

/// How many stored inbound messages scored exactly `centi` hundredths of a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoreCount {
    pub centi: i64,
    pub messages: u64,
}

/// A conversation an agent flagged, with the highest score of its inbound messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flagged {
    pub max_centi: i64,
    /// The agent's verdict: `true` = spam, `false` = not spam.
    pub spam: bool,
}

/// Of the conversations agents flagged one way, how many a threshold gets right / wrong.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Agreement {
    pub right: u64,
    pub wrong: u64,
}

/// What a threshold would have done, against the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WhatIf {
    /// Scored inbound messages in the window.
    pub messages: u64,
    /// Marked spam by score under the current threshold, and under the candidate.
    pub spam_now: u64,
    pub spam_then: u64,
    /// Conversations agents flagged as spam: caught (right) or let through (wrong).
    pub flagged_spam: Agreement,
    /// Conversations agents flagged as not spam: let through (right) or caught (wrong).
    pub flagged_not_spam: Agreement,
}

impl WhatIf {
    /// More (positive) or fewer (negative) messages marked spam than today.
    pub fn change(&self) -> i64 {
        self.spam_then as i64 - self.spam_now as i64
    }
}

/// The stored score distribution, sorted once; each threshold is then a binary search.
#[derive(Debug, Clone, Default)]
pub struct ScoreDistribution {
    /// Ascending by score, one entry per distinct score.
    centis: Vec<i64>,
    /// `at_or_above[i]`: messages scoring at least `centis[i]`.
    at_or_above: Vec<u64>,
    flagged: Vec<Flagged>,
}

fn centi(t: Threshold) -> Option<i64> {
    (!t.is_off()).then(|| (t.value() * 100.0).round() as i64)
}

impl ScoreDistribution {
    /// From per-score counts in any order (repeated scores are added up) and the flagged
    /// conversations.
    pub fn new(mut counts: Vec<ScoreCount>, flagged: Vec<Flagged>) -> Self {
        counts.sort_unstable_by_key(|c| c.centi);
        let mut centis: Vec<i64> = Vec::with_capacity(counts.len());
        let mut per: Vec<u64> = Vec::with_capacity(counts.len());
        for c in counts {
            match centis.last() {
                Some(&last) if last == c.centi => {
                    if let Some(n) = per.last_mut() {
                        *n = n.saturating_add(c.messages);
                    }
                }
                _ => {
                    centis.push(c.centi);
                    per.push(c.messages);
                }
            }
        }
        let mut at_or_above = vec![0u64; per.len()];
        let mut running = 0u64;
        for i in (0..per.len()).rev() {
            running = running.saturating_add(per[i]);
            at_or_above[i] = running;
        }
        ScoreDistribution {
            centis,
            at_or_above,
            flagged,
        }
    }

    /// Scored messages in all.
    pub fn messages(&self) -> u64 {
        self.at_or_above.first().copied().unwrap_or(0)
    }

    /// Messages marked spam by score under `t`.
    pub fn spam_under(&self, t: Threshold) -> u64 {
        let Some(t) = centi(t) else { return 0 };
        let i = self.centis.partition_point(|&c| c < t);
        self.at_or_above.get(i).copied().unwrap_or(0)
    }

    /// How `candidate` would have done, against `current`.
    pub fn what_if(&self, current: Threshold, candidate: Threshold) -> WhatIf {
        let t = centi(candidate);
        let caught = |score: i64| t.is_some_and(|t| score >= t);
        let mut flagged_spam = Agreement::default();
        let mut flagged_not_spam = Agreement::default();
        for f in &self.flagged {
            let a = if f.spam {
                &mut flagged_spam
            } else {
                &mut flagged_not_spam
            };
            if caught(f.max_centi) == f.spam {
                a.right += 1;
            } else {
                a.wrong += 1;
            }
        }
        WhatIf {
            messages: self.messages(),
            spam_now: self.spam_under(current),
            spam_then: self.spam_under(candidate),
            flagged_spam,
            flagged_not_spam,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: f64) -> Threshold {
        Threshold::try_from(v).unwrap()
    }
    fn n(centi: i64, messages: u64) -> ScoreCount {
        ScoreCount { centi, messages }
    }
    fn spam(max_centi: i64) -> Flagged {
        Flagged {
            max_centi,
            spam: true,
        }
    }
    fn ham(max_centi: i64) -> Flagged {
        Flagged {
            max_centi,
            spam: false,
        }
    }

    fn sample() -> ScoreDistribution {
        // 10 messages: 4 at -1.0, 3 at 2.5, 1 at 4.99, 1 at 5.0, 1 at 12.0 (given unsorted,
        // with a repeated score).
        ScoreDistribution::new(
            vec![
                n(1200, 1),
                n(-100, 4),
                n(250, 2),
                n(499, 1),
                n(500, 1),
                n(250, 1),
            ],
            vec![spam(1200), spam(499), ham(-100), ham(500)],
        )
    }

    #[test]
    fn messages_marked_spam_by_threshold() {
        let d = sample();
        assert_eq!(d.messages(), 10);
        // (threshold, marked spam)
        let cases: &[(f64, u64)] = &[
            (0.0, 0), // off
            (0.01, 6),
            (2.5, 6), // at the threshold is spam
            (2.51, 3),
            (4.99, 3),
            (5.0, 2),
            (5.01, 1),
            (12.0, 1),
            (12.01, 0),
            (100.0, 0),
        ];
        for (threshold, want) in cases {
            assert_eq!(d.spam_under(t(*threshold)), *want, "threshold {threshold}");
        }
    }

    #[test]
    fn what_if_against_the_current_threshold() {
        let d = sample();
        // (current, candidate) → (spam now, spam then, change, spam right/wrong, ham right/wrong)
        #[allow(clippy::type_complexity)]
        let cases: &[((f64, f64), (u64, u64, i64, (u64, u64), (u64, u64)))] = &[
            ((5.0, 5.0), (2, 2, 0, (1, 1), (1, 1))),
            ((5.0, 4.0), (2, 3, 1, (2, 0), (1, 1))),
            ((5.0, 6.0), (2, 1, -1, (1, 1), (2, 0))),
            ((5.0, 0.0), (2, 0, -2, (0, 2), (2, 0))), // off: nothing caught
            ((0.0, 2.0), (0, 6, 6, (2, 0), (1, 1))),
            ((5.0, 13.0), (2, 0, -2, (0, 2), (2, 0))),
        ];
        for ((current, candidate), (now, then, change, s, h)) in cases {
            let w = d.what_if(t(*current), t(*candidate));
            assert_eq!(w.messages, 10);
            assert_eq!(
                (w.spam_now, w.spam_then, w.change()),
                (*now, *then, *change),
                "{current} → {candidate}"
            );
            assert_eq!(
                (w.flagged_spam.right, w.flagged_spam.wrong),
                *s,
                "{current} → {candidate}: flagged spam"
            );
            assert_eq!(
                (w.flagged_not_spam.right, w.flagged_not_spam.wrong),
                *h,
                "{current} → {candidate}: flagged not spam"
            );
        }
    }

    #[test]
    fn no_mail_is_all_zeroes() {
        let d = ScoreDistribution::new(Vec::new(), Vec::new());
        let w = d.what_if(t(5.0), t(3.0));
        assert_eq!(w.messages, 0);
        assert_eq!((w.spam_now, w.spam_then, w.change()), (0, 0, 0));
        assert_eq!(w.flagged_spam, Agreement::default());
    }

    #[test]
    fn a_hundred_thousand_messages_sum_exactly() {
        let counts: Vec<ScoreCount> = (0..100_000).map(|i| n((i % 2000) - 500, 1)).collect();
        let d = ScoreDistribution::new(counts, Vec::new());
        assert_eq!(d.messages(), 100_000);
        // Scores 500..=1499 are at or over 5.0: 1000 distinct scores, 50 messages each.
        assert_eq!(d.spam_under(t(5.0)), 50_000);
    }
}
