//! Whether a signed webhook delivery is recent enough to take. A signature proves who wrote a
//! request, not when it was sent: without a freshness check, anyone who once saw a signed
//! request (a log, a proxy) could play it again for ever.
//!
//! Mailgun and SendGrid sign a Unix timestamp with each POST; SNS signs the ISO 8601 time the
//! notification was published, and keeps it through its own retries, so it gets longer.

use chrono::{DateTime, Duration, Utc};

/// Mailgun's and SendGrid's signed timestamps: 5 minutes, as Mailgun's documentation asks.
pub const SIGNED_POST_MAX_AGE: Duration = Duration::minutes(5);
/// SNS's `Timestamp`: SNS retries an HTTP delivery for up to an hour with the same one.
pub const SNS_MAX_AGE: Duration = Duration::hours(1);
/// Clocks disagree: a timestamp this far ahead of ours is still taken.
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(5);

/// The verdict on a signed timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    /// Older than the window: a replay, or a delivery held up too long.
    TooOld,
    /// Further in the future than clock skew explains.
    FromTheFuture,
    /// Not a timestamp at all.
    Unreadable,
}

impl Freshness {
    fn of(at: DateTime<Utc>, now: DateTime<Utc>, max_age: Duration) -> Freshness {
        if at < now - max_age {
            Freshness::TooOld
        } else if at > now + MAX_CLOCK_SKEW {
            Freshness::FromTheFuture
        } else {
            Freshness::Fresh
        }
    }

    /// A Unix timestamp in seconds (`"1700000000"`).
    pub fn of_unix(timestamp: &str, now: DateTime<Utc>, max_age: Duration) -> Freshness {
        match timestamp
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
        {
            Some(at) => Self::of(at, now, max_age),
            None => Freshness::Unreadable,
        }
    }

    /// An RFC 3339 timestamp (`"2026-11-23T06:00:00.000Z"`).
    pub fn of_rfc3339(timestamp: &str, now: DateTime<Utc>, max_age: Duration) -> Freshness {
        match DateTime::parse_from_rfc3339(timestamp.trim()) {
            Ok(at) => Self::of(at.with_timezone(&Utc), now, max_age),
            Err(_) => Freshness::Unreadable,
        }
    }

    /// `Ok` when fresh; otherwise why not, for the refusal.
    pub fn check(self) -> Result<(), &'static str> {
        match self {
            Freshness::Fresh => Ok(()),
            Freshness::TooOld => Err("timestamp too old (replayed or held up)"),
            Freshness::FromTheFuture => Err("timestamp in the future"),
            Freshness::Unreadable => Err("timestamp unreadable"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn unix_timestamps_within_five_minutes_are_fresh() {
        let max = SIGNED_POST_MAX_AGE;
        assert_eq!(
            Freshness::of_unix("1800000000", now(), max),
            Freshness::Fresh
        );
        assert_eq!(
            Freshness::of_unix("1799999700", now(), max),
            Freshness::Fresh
        );
        assert_eq!(
            Freshness::of_unix("1799999699", now(), max),
            Freshness::TooOld
        );
        assert_eq!(
            Freshness::of_unix("1800000300", now(), max),
            Freshness::Fresh
        );
        assert_eq!(
            Freshness::of_unix("1800000301", now(), max),
            Freshness::FromTheFuture
        );
        for bad in ["", "soon", "1e9", "99999999999999999999"] {
            assert_eq!(
                Freshness::of_unix(bad, now(), max),
                Freshness::Unreadable,
                "{bad}"
            );
        }
    }

    #[test]
    fn sns_timestamps_get_an_hour() {
        let at = |s| Freshness::of_rfc3339(s, now(), SNS_MAX_AGE);
        // now() is 2027-01-15T08:00:00Z.
        assert_eq!(at("2027-01-15T07:00:00.000Z"), Freshness::Fresh);
        assert_eq!(at("2027-01-15T06:59:59.999Z"), Freshness::TooOld);
        assert_eq!(at("2027-01-15T08:05:00Z"), Freshness::Fresh);
        assert_eq!(at("2027-01-15T09:00:00Z"), Freshness::FromTheFuture);
        assert_eq!(at("yesterday"), Freshness::Unreadable);
        assert!(Freshness::TooOld.check().is_err());
        assert!(Freshness::Fresh.check().is_ok());
    }
}
