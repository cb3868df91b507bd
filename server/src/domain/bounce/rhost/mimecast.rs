//! Mimecast: the provider's own wording (and codes) and the reason each names.

use super::Provider;
use crate::domain::bounce::reason::Reason;

pub(super) const PROVIDER: Provider = Provider {
    name: "mimecast",
    hosts: &["mimecast.com", "mimecast-offshore.com"],
    phrases: &[
        // "554 email rejected due to security policies - MCSpamSignature…": the signature
        // that matched is Mimecast's spam signature, not a virus one.
        ("mcspamsignature", Reason::SpamDetected),
        (
            "spf sender invalid - envelope rejected",
            Reason::AuthFailure,
        ),
        (
            "dkim sender invalid - envelope rejected",
            Reason::AuthFailure,
        ),
        (
            "dmarc sender invalid - envelope rejected",
            Reason::AuthFailure,
        ),
        (
            "internal resources are temporarily unavailable",
            Reason::BadReputation,
        ),
        ("local ct ip reputation", Reason::BadReputation),
        ("sender address blocked", Reason::Blocked),
        ("recipient temporarily unavailable", Reason::Blocked),
        ("ip temporarily blacklisted", Reason::Blocked),
        ("maximum email size exceeded", Reason::MesgTooBig),
        (
            "the incorrect hostname used for inbounds",
            Reason::NetworkError,
        ),
        ("mail loop detected", Reason::NetworkError),
        ("open relay not allowed", Reason::NoRelaying),
        ("open relay is not allowed", Reason::NoRelaying),
        ("account inbounds disabled", Reason::NotAccept),
        ("anti-spoofing policy", Reason::PolicyViolation),
        ("content examination policy", Reason::PolicyViolation),
        ("host network not allowed", Reason::PolicyViolation),
        ("host network, not allowed", Reason::PolicyViolation),
        (
            "administrative prohibition envelope blocked",
            Reason::Rejected,
        ),
        ("envelope blocked - user", Reason::Rejected),
        ("manually blocked senders", Reason::Rejected),
        ("blocked senders - block policy", Reason::Rejected),
        ("block policy for envelope from", Reason::Rejected),
        ("incorrect authentication data", Reason::SecurityError),
        ("submitter failed to authenticate", Reason::SecurityError),
        ("this route requires encryption", Reason::SecurityError),
        ("this route requires tls", Reason::SecurityError),
        (
            "this route requires high-strength ciphers",
            Reason::SecurityError,
        ),
        (
            "unable to process connection at this time",
            Reason::SystemError,
        ),
        ("message ended early", Reason::SystemError),
        (
            "account service is temporarily unavailable",
            Reason::TooManyConn,
        ),
        ("exceeding outbound thread limit", Reason::TooManyConn),
    ],
    codes: None,
    context: None,
};
