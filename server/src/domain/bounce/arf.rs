//! Complaint reports: RFC 5965 Abuse Reporting Format (`multipart/report;
//! report-type=feedback-report` with a `message/feedback-report` part) and Hotmail's JMRP
//! (a plain `multipart/mixed` carrying the original, marked by `X-HmXmrOriginalRecipient`).
//!
//! mail-parser does the MIME; the report fields are RFC 5322 header syntax (RFC 5965 §3.1),
//! read with the same unfolding as DSN fields.

use crate::domain::bounce::dsn::fields;
use crate::domain::bounce::text_patterns::normalise_address;
use crate::domain::category::Category;

/// The fields of a `message/feedback-report` part that we use (RFC 5965 §3.1, §3.2).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedbackReport {
    /// Lower-cased: `abuse`, `fraud`, `virus`, `other`, `not-spam`, `opt-out` (RFC 6650),
    /// `auth-failure` (RFC 6591).
    pub feedback_type: Option<String>,
    pub user_agent: Option<String>,
    /// Every `Original-Rcpt-To`, lower-cased.
    pub original_rcpt_to: Vec<String>,
    pub original_mail_from: Option<String>,
    pub source_ip: Option<String>,
    pub reported_domain: Option<String>,
    /// `Removal-Recipient` (older reports: the address to stop mailing).
    pub removal_recipient: Vec<String>,
}

pub fn parse(text: &str) -> FeedbackReport {
    let mut r = FeedbackReport::default();
    for (name, value) in fields(text) {
        match name.as_str() {
            "feedback-type" if r.feedback_type.is_none() => {
                r.feedback_type = Some(value.trim().to_ascii_lowercase());
            }
            "user-agent" => r.user_agent = Some(value),
            "original-rcpt-to" => {
                if let Some(a) = normalise_address(&value) {
                    if !r.original_rcpt_to.contains(&a) {
                        r.original_rcpt_to.push(a);
                    }
                }
            }
            "removal-recipient" => {
                if let Some(a) = normalise_address(&value) {
                    r.removal_recipient.push(a);
                }
            }
            "original-mail-from" => r.original_mail_from = normalise_address(&value),
            "source-ip" => r.source_ip = Some(value),
            "reported-domain" => r.reported_domain = Some(value),
            _ => {}
        }
    }
    r
}

/// The category a feedback type means: a person's complaint (`abuse`, `fraud`, `virus`,
/// unknown types — RFC 5965 §7.3 says treat those as `other`, and a report is a complaint),
/// an opt-out (RFC 6650 `opt-out`), or a report that is not about a failure at all
/// (`auth-failure` DMARC forensics, `not-spam`).
pub fn category_for(feedback_type: Option<&str>) -> Category {
    match feedback_type {
        Some("opt-out") | Some("optout") | Some("unsubscribe") => Category::Unsubscribe,
        Some("auth-failure") | Some("dkim") | Some("not-spam") => Category::NotBounce,
        _ => Category::SpamComplaintManual,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_fields_are_read_and_types_lower_cased() {
        let r = parse("Feedback-Type: Abuse\r\nUser-Agent: SomeGenerator/1.0\r\nVersion: 1\r\nOriginal-Mail-From: <s@example.org>\r\nOriginal-Rcpt-To: <R@Example.NET>\r\nSource-IP: 192.0.2.1\r\n");
        assert_eq!(r.feedback_type.as_deref(), Some("abuse"));
        assert_eq!(r.original_rcpt_to, vec!["r@example.net".to_string()]);
        assert_eq!(r.original_mail_from.as_deref(), Some("s@example.org"));
    }

    #[test]
    fn feedback_types_map_to_categories() {
        assert_eq!(category_for(Some("abuse")), Category::SpamComplaintManual);
        assert_eq!(category_for(Some("opt-out")), Category::Unsubscribe);
        assert_eq!(category_for(Some("auth-failure")), Category::NotBounce);
        assert_eq!(category_for(None), Category::SpamComplaintManual);
    }
}
