//! The per-account spam threshold an admin sets under Apps > Channels > Email.

use super::score::SpamScore;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Score at or above which a message is spam. Default 5 (what SpamAssassin admins expect);
/// 0 turns filtering off.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Threshold(f64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdError {
    #[error("enter a spam threshold: a number such as 5 (0 turns filtering off)")]
    Empty,
    #[error("{0:?} is not a number: enter a spam threshold such as 5 (0 turns filtering off)")]
    NotANumber(String),
    #[error("the spam threshold cannot be negative ({0}); use 0 to turn filtering off")]
    Negative(String),
    #[error(
        "a spam threshold of {0} is too large: scores rarely exceed 30, so at most {max} is \
         accepted",
        max = Threshold::MAX
    )]
    TooLarge(String),
}

impl Threshold {
    /// The largest accepted value: above it nothing would ever be filtered.
    pub const MAX: f64 = 100.0;
    pub const DEFAULT: Threshold = Threshold(5.0);
    pub const OFF: Threshold = Threshold(0.0);

    /// Parses admin input such as `5`, ` 6.5 `, or `4,5` (a decimal comma is accepted).
    pub fn parse(input: &str) -> Result<Threshold, ThresholdError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(ThresholdError::Empty);
        }
        let normalised = s.replacen(',', ".", 1);
        // Only plain decimals: `f64::from_str` would also accept "NaN", "inf" and "1e3".
        let plain = normalised
            .strip_prefix(['-', '+'])
            .unwrap_or(&normalised)
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.');
        let value: f64 = match normalised.parse() {
            Ok(v) if plain && normalised.chars().any(|c| c.is_ascii_digit()) => v,
            _ => return Err(ThresholdError::NotANumber(s.to_string())),
        };
        Self::try_from(value).map_err(|e| match e {
            ThresholdError::Negative(_) => ThresholdError::Negative(s.to_string()),
            ThresholdError::TooLarge(_) => ThresholdError::TooLarge(s.to_string()),
            other => other,
        })
    }

    pub fn value(&self) -> f64 {
        self.0
    }

    /// Threshold 0 means filtering is off.
    pub fn is_off(&self) -> bool {
        self.0 == 0.0
    }

    /// `score >= threshold`; never spam when filtering is off.
    pub fn is_spam(&self, score: SpamScore) -> bool {
        !self.is_off() && score.points() >= self.0
    }
}

impl Default for Threshold {
    fn default() -> Self {
        Threshold::DEFAULT
    }
}

impl TryFrom<f64> for Threshold {
    type Error = ThresholdError;

    fn try_from(value: f64) -> Result<Self, Self::Error> {
        if value.is_nan() {
            Err(ThresholdError::NotANumber(value.to_string()))
        } else if value < 0.0 {
            Err(ThresholdError::Negative(value.to_string()))
        } else if value > Self::MAX {
            Err(ThresholdError::TooLarge(value.to_string()))
        } else {
            // `-0.0` compares equal to 0 above; store a plain 0.
            Ok(Threshold(value + 0.0))
        }
    }
}

impl From<Threshold> for f64 {
    fn from(t: Threshold) -> f64 {
        t.0
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_threshold_is_five() {
        assert_eq!(Threshold::default().value(), 5.0);
        assert!(!Threshold::default().is_off());
    }

    #[test]
    fn plain_and_decimal_inputs_parse() {
        assert_eq!(Threshold::parse("5").unwrap().value(), 5.0);
        assert_eq!(Threshold::parse(" 6.5 ").unwrap().value(), 6.5);
        assert_eq!(Threshold::parse("4,5").unwrap().value(), 4.5);
        assert_eq!(Threshold::parse("100").unwrap().value(), 100.0);
    }

    #[test]
    fn zero_turns_filtering_off_and_nothing_is_spam() {
        let t = Threshold::parse("0").unwrap();
        assert!(t.is_off());
        assert!(!t.is_spam(SpamScore::from_points(1000.0)));
        assert!(Threshold::parse("-0").unwrap().is_off());
    }

    #[test]
    fn score_at_the_threshold_is_spam_and_below_is_not() {
        let t = Threshold::parse("5").unwrap();
        assert!(t.is_spam(SpamScore::from_points(5.0)));
        assert!(!t.is_spam(SpamScore::from_points(4.999)));
    }

    #[test]
    fn invalid_values_get_a_clear_error() {
        assert_eq!(Threshold::parse(""), Err(ThresholdError::Empty));
        assert_eq!(Threshold::parse("  "), Err(ThresholdError::Empty));
        for bad in ["abc", "NaN", "inf", "1e3", "5.5.5", "5 points", "-", "."] {
            assert!(
                matches!(Threshold::parse(bad), Err(ThresholdError::NotANumber(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Threshold::parse("-1"),
            Err(ThresholdError::Negative(_))
        ));
        assert!(matches!(
            Threshold::parse("1000000"),
            Err(ThresholdError::TooLarge(_))
        ));
        let msg = Threshold::parse("-3").unwrap_err().to_string();
        assert!(
            msg.contains("cannot be negative") && msg.contains("-3"),
            "{msg}"
        );
    }

    #[test]
    fn serde_round_trip_validates() {
        let t: Threshold = serde_json::from_str("7.5").unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), "7.5");
        assert!(serde_json::from_str::<Threshold>("-2").is_err());
        assert!(serde_json::from_str::<Threshold>("500").is_err());
    }
}
