//! An SMTP reply at send time, read with the same vocabulary as a bounce: `550 5.1.1 No such
//! user` is a hard bounce (`userunknown`) whether it comes back in an NDN or straight from the
//! receiving server. Pure; never panics.

use super::classify::reason_from_smtp;
use super::{EnhancedStatus, Reason, Verdict};
use crate::domain::category::Category;

/// Classifies the reply `code` (+ enhanced status and text) a server gave for `recipient`.
///
/// - 2xx: `delivered`.
/// - 5xx: a failure in the category its words and status name; a 5xx whose text reads as
///   anything but a failure is kept as `unclassified` (still a failure: never retried).
/// - 4xx and anything else: a soft bounce (`the caller retries it`).
pub fn classify_smtp_reply(
    code: u16,
    enhanced: Option<&str>,
    text: &str,
    recipient: &str,
) -> Verdict {
    let status = enhanced.and_then(EnhancedStatus::parse);
    let text: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(1000)
        .collect();
    let diagnostic = match enhanced {
        Some(e) => format!("{code} {e} {text}"),
        None => format!("{code} {text}"),
    };
    let mut v = match code {
        200..=299 => Verdict::new(
            Reason::Delivered,
            "smtp.reply-2xx",
            "SMTP reply at send time",
        ),
        _ => match reason_from_smtp(&diagnostic, status) {
            Some((reason, rule)) => Verdict::new(reason, rule, "SMTP reply at send time"),
            None => Verdict::new(
                Reason::Undefined,
                "smtp.reply-code",
                "SMTP reply at send time",
            ),
        },
    };
    v.status = status;
    v.reply_code = Some(code);
    v.recipient = Some(recipient.trim().to_lowercase());
    v.diagnostic = Some(diagnostic);
    v = v.recategorise();
    match code {
        200..=299 => v.category = Category::Delivered,
        500..=599 if !v.category.is_failure() => {
            if !matches!(
                v.category,
                Category::SpamComplaintManual | Category::Unsubscribe
            ) {
                v.category = Category::Unclassified;
            }
        }
        500..=599 => {}
        _ => v.category = Category::SoftBounce,
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_like_bounces() {
        let cases = [
            (
                250,
                Some("2.0.0"),
                "OK queued as 12345",
                Category::Delivered,
            ),
            (
                550,
                Some("5.1.1"),
                "<bob@example.net>: Recipient address rejected: User unknown",
                Category::HardBounce,
            ),
            (
                550,
                None,
                "5.7.1 Message rejected as spam by Content Filtering",
                Category::SpamComplaintAuto,
            ),
            (
                554,
                Some("5.7.1"),
                "Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
                Category::IspBlock,
            ),
            (552, Some("5.2.2"), "Mailbox full", Category::SoftBounce),
            (
                452,
                Some("4.2.2"),
                "Mailbox full, try again later",
                Category::SoftBounce,
            ),
            (421, None, "Too many connections", Category::SoftBounce),
            (550, None, "", Category::Unclassified),
        ];
        for (code, enhanced, text, want) in cases {
            let v = classify_smtp_reply(code, enhanced, text, "Bob@Example.net");
            assert_eq!(v.category, want, "{code} {enhanced:?} {text}: {v:?}");
            assert_eq!(v.reply_code, Some(code));
            assert_eq!(v.recipient.as_deref(), Some("bob@example.net"));
        }
    }

    #[test]
    fn the_diagnostic_keeps_the_whole_reply_on_one_line() {
        let v = classify_smtp_reply(550, Some("5.1.1"), "No such\r\nuser", "a@b.test");
        assert_eq!(v.diagnostic.as_deref(), Some("550 5.1.1 No suchuser"));
        assert_eq!(v.status.map(|s| s.to_string()).as_deref(), Some("5.1.1"));
    }

    #[test]
    fn odd_input_does_not_panic() {
        for code in [0, 199, 354, 600, u16::MAX] {
            let v = classify_smtp_reply(code, Some("x.y.z"), "\u{0}\u{ffff}ü", "");
            assert_eq!(v.category, Category::SoftBounce);
        }
    }
}
