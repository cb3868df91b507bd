//! The score's units: SpamAssassin points, the sum of named rule hits.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A spam score in SpamAssassin points (5.0 is SpamAssassin's and our default threshold).
///
/// Always finite: built from a sum of finite rule points, rounded to three decimals so the
/// same message always prints the same score.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SpamScore(f64);

impl SpamScore {
    pub const ZERO: SpamScore = SpamScore(0.0);

    /// Sums the points of `hits`.
    pub fn from_hits(hits: &[RuleHit]) -> Self {
        Self::from_points(hits.iter().map(|h| h.points).sum())
    }

    /// Non-finite input becomes 0 (a score must always be comparable).
    pub fn from_points(points: f64) -> Self {
        if points.is_finite() {
            SpamScore((points * 1000.0).round() / 1000.0)
        } else {
            SpamScore(0.0)
        }
    }

    pub fn points(self) -> f64 {
        self.0
    }
}

impl fmt::Display for SpamScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1}", self.0)
    }
}

/// One named test that fired, with the points it added (negative points speak for ham).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleHit {
    /// Stable upper-case name, e.g. `MISSING_DATE`, `BAYES_99`.
    pub name: String,
    pub points: f64,
    /// One sentence for the agent reading the report.
    pub description: String,
}

impl RuleHit {
    pub fn new(name: &str, points: f64, description: impl Into<String>) -> Self {
        RuleHit {
            name: name.to_string(),
            points,
            description: description.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_is_the_sum_of_hit_points_rounded_to_thousandths() {
        let hits = vec![
            RuleHit::new("A", 1.25, "a"),
            RuleHit::new("B", 2.0004, "b"),
            RuleHit::new("C", -0.5, "c"),
        ];
        assert_eq!(SpamScore::from_hits(&hits).points(), 2.75);
    }

    #[test]
    fn non_finite_points_become_zero() {
        assert_eq!(SpamScore::from_points(f64::NAN), SpamScore::ZERO);
        assert_eq!(SpamScore::from_points(f64::INFINITY), SpamScore::ZERO);
    }

    #[test]
    fn score_serialises_as_a_plain_number() {
        assert_eq!(
            serde_json::to_string(&SpamScore::from_points(5.5)).unwrap(),
            "5.5"
        );
    }
}
