//! Google (Gmail, Google Workspace): the wording of Google's published SMTP error messages
//! (its "About SMTP error messages" and "Email sender guidelines" pages) and the reason each
//! names. More specific wording first: the first that occurs wins.

use super::Provider;
use crate::domain::bounce::reason::Reason;

pub(super) const PROVIDER: Provider = Provider {
    name: "google",
    hosts: &["google.com", "googlemail.com", "gmail.com"],
    phrases: &[
        // Mailbox state.
        ("inbox is out of storage space", Reason::MailboxFull),
        (
            "email account that you tried to reach is over quota",
            Reason::MailboxFull,
        ),
        ("email quota exceeded", Reason::MailboxFull),
        (
            "email account that you tried to reach is disabled",
            Reason::Suspend,
        ),
        (
            "email account that you tried to reach is inactive",
            Reason::Suspend,
        ),
        (
            "email account that you tried to reach does not exist",
            Reason::UserUnknown,
        ),
        (
            "we weren't able to find the recipient domain",
            Reason::UserUnknown,
        ),
        // Rate and volume.
        ("is receiving mail too quickly", Reason::Speeding),
        (
            "is receiving mail at a rate that prevents additional messages",
            Reason::Speeding,
        ),
        ("peak smtp relay limit exceeded", Reason::Speeding),
        ("daily sending quota exceeded", Reason::Speeding),
        ("daily user sending limit exceeded", Reason::Speeding),
        ("daily smtp relay limit exceeded", Reason::Speeding),
        ("daily smtp relay sending limit exceeded", Reason::Speeding),
        ("your message has too many recipients", Reason::TooManyConn),
        ("too many recipients for this sender", Reason::TooManyConn),
        // Sender authentication and reputation.
        (
            "spf record of the sending domain has one or more suspicious entries",
            Reason::AuthFailure,
        ),
        (
            "requires all senders to authenticate with either spf or dkim",
            Reason::AuthFailure,
        ),
        (
            "fails to pass spf checks for an spf record with a hard fail",
            Reason::AuthFailure,
        ),
        (
            "has an spf record with a hard fail policy",
            Reason::AuthFailure,
        ),
        (
            "is not accepted due to domain's dmarc policy",
            Reason::AuthFailure,
        ),
        ("fails to pass authentication checks", Reason::AuthFailure),
        (
            "requires all large senders to authenticate with",
            Reason::AuthFailure,
        ),
        (
            "requires all bulk email senders to authenticate",
            Reason::AuthFailure,
        ),
        (
            "due to the very low reputation of the sending",
            Reason::BadReputation,
        ),
        (
            "ipv6 sending guidelines regarding ptr records",
            Reason::RequirePtr,
        ),
        (
            "ip address sending this message does not have a ptr record",
            Reason::RequirePtr,
        ),
        (" have a ptr record, or the ptr record", Reason::RequirePtr),
        (
            "sending ip does not match the ip address of the hostname",
            Reason::RequirePtr,
        ),
        ("an unusual rate of unsolicited mail", Reason::Blocked),
        ("ip not in whitelist for rcpt domain", Reason::Blocked),
        ("try again later, closing connection", Reason::Blocked),
        ("helo/ehlo argument is invalid", Reason::Blocked),
        ("empty helo/ehlo argument not allowed", Reason::Blocked),
        // Content.
        (
            "due to the nature of the content or the links within",
            Reason::SpamDetected,
        ),
        (
            "this message is likely unsolicited mail",
            Reason::SpamDetected,
        ),
        (
            "detected an illegal attachment on your message",
            Reason::PolicyViolation,
        ),
        (
            "its content presents a potential security issue",
            Reason::PolicyViolation,
        ),
        (
            "has a policy that prohibited the mail that you sent",
            Reason::PolicyViolation,
        ),
        (
            "exceeded its quota for sending messages with the same message-id",
            Reason::PolicyViolation,
        ),
        ("not rfc 5322 compliant", Reason::NotCompliantRfc),
        (
            "messages missing a valid address in the from: header",
            Reason::NotCompliantRfc,
        ),
        (
            "multiple addresses in from: header are not accepted",
            Reason::NotCompliantRfc,
        ),
        (
            "messages missing a valid message-id: header",
            Reason::NotCompliantRfc,
        ),
        (
            "unicode character in a disallowed header",
            Reason::NotCompliantRfc,
        ),
        (
            "encoded-word syntax is not permitted in message header",
            Reason::NotCompliantRfc,
        ),
        (
            "mail message is malformed. not accepted",
            Reason::NotCompliantRfc,
        ),
        (
            "your message exceeded google's message size limits",
            Reason::MesgTooBig,
        ),
        ("exceeds google's message size limit of", Reason::MesgTooBig),
        ("exceeds google's limit of", Reason::ExceedLimit),
        ("message header size limit", Reason::ExceedLimit),
        ("bytes per individual header size", Reason::ExceedLimit),
        ("exceeds google's header name limit", Reason::ExceedLimit),
        (
            "message exceeded 50 hops, this may indicate a mail loop",
            Reason::NetworkError,
        ),
        // Relay, sender and session.
        ("mail relay denied", Reason::NoRelaying),
        ("invalid credentials for relay", Reason::NoRelaying),
        (
            "not authorized to send email directly to our servers",
            Reason::NoRelaying,
        ),
        ("mail sending denied", Reason::Rejected),
        (
            "unauthenticated email is not accepted from this domain",
            Reason::Rejected,
        ),
        ("tls required for rcpt domain", Reason::SecurityError),
        ("too many login attempts", Reason::SecurityError),
        ("no identity changes permitted", Reason::SecurityError),
        (
            "application-specific password required",
            Reason::SecurityError,
        ),
        (
            "log in with your web browser and then try again",
            Reason::SecurityError,
        ),
        (
            "log in through your web browser and then try again",
            Reason::SecurityError,
        ),
        ("username and password not accepted", Reason::SecurityError),
        (
            "requires all large senders to use tls",
            Reason::SecurityError,
        ),
        ("connection expired", Reason::Expired),
        ("timeout - closing connection", Reason::Expired),
        ("smtp protocol violation", Reason::SyntaxError),
        ("must issue a starttls command first", Reason::SyntaxError),
        ("too many unauthenticated commands", Reason::SyntaxError),
        ("temporary system problem", Reason::SystemError),
        (
            "multiple destination domains per transaction is unsupported",
            Reason::SystemError,
        ),
        (
            "mail server has temporarily rejected this message",
            Reason::SystemError,
        ),
        (
            "mail server temporarily rejected message",
            Reason::SystemError,
        ),
        (
            "domain policy size per transaction exceeded",
            Reason::SystemError,
        ),
    ],
    codes: None,
    context: None,
};
