//! Tencent (QQ Mail, Foxmail, Exmail): the wording of Tencent's published error-code pages and
//! the reason each names.

use super::Provider;
use crate::domain::bounce::reason::Reason;

pub(super) const PROVIDER: Provider = Provider {
    name: "tencent",
    hosts: &["qq.com", "foxmail.com", "exmail.qq.com"],
    phrases: &[
        ("spf check failed", Reason::AuthFailure),
        ("dmarc check failed", Reason::AuthFailure),
        ("suspected bounce attacks", Reason::Blocked),
        ("suspected spam ip", Reason::Blocked),
        ("connection denied", Reason::Blocked),
        ("message too large", Reason::MesgTooBig),
        ("spam is embedded in the email", Reason::SpamDetected),
        ("mail content denied", Reason::SpamDetected),
        ("suspected spam", Reason::Rejected),
        ("mail is rejected by recipients", Reason::Rejected),
        ("mailbox unavailable or access denined", Reason::Speeding),
        ("is a deactivated mailbox", Reason::Suspend),
        ("bad address syntax", Reason::SyntaxError),
        ("frequency limited", Reason::TooManyConn),
        ("mailbox not found", Reason::UserUnknown),
    ],
    codes: None,
    context: None,
};
