//! NTT docomo (mfsmax.docomo.ne.jp), Japan: its "Unknown user" means a missing address when
//! it answers `RCPT TO`, the recipient's own filter (domain or sender refusal) when it answers
//! the message after `DATA`; its 552 replies name a full mailbox or too many recipients.

use super::{Provider, Query};
use crate::domain::bounce::reason::Reason;
use crate::domain::bounce::text_patterns::Command;

pub(super) const PROVIDER: Provider = Provider {
    name: "nttdocomo",
    hosts: &["mfsmax.docomo.ne.jp"],
    phrases: &[
        ("552 too much mail data", Reason::MailboxFull),
        ("552 too many recipients", Reason::TooManyConn),
        ("503 bad sequence of commands", Reason::SyntaxError),
        ("504 command parameter not implemented", Reason::SyntaxError),
    ],
    codes: None,
    context: Some(by_status_and_command),
};

/// docomo's status codes and the command it refused at decide what "Unknown user" means.
fn by_status_and_command(q: &Query<'_>) -> Option<Reason> {
    let status = q.status.map(|s| s.to_string());
    match status.as_deref() {
        Some("5.1.1") => Some(Reason::UserUnknown),
        Some("5.2.0") => Some(Reason::Filtered),
        Some("5.0.0") if q.diag_lower.contains("unknown user") => match q.command {
            Some(Command::RcptTo) => Some(Reason::UserUnknown),
            Some(Command::Data) => Some(Reason::Rejected),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{find_for, ProviderSays, Query};
    use crate::domain::bounce::reason::Reason;
    use crate::domain::bounce::status::EnhancedStatus;
    use crate::domain::bounce::text_patterns::Command;

    fn q(status: &str, command: Option<Command>) -> Query<'static> {
        Query {
            remote_mta: Some("mfsmax.docomo.ne.jp"),
            diag_lower: "550 unknown user a@docomo.ne.jp",
            status: EnhancedStatus::parse(status),
            command,
            ..Query::default()
        }
    }

    #[test]
    fn unknown_user_means_what_the_command_and_status_say() {
        let says = |s, c| find_for(&q(s, c));
        assert_eq!(
            says("5.0.0", Some(Command::Data)),
            Some(ProviderSays::Reason(Reason::Rejected, "nttdocomo"))
        );
        assert_eq!(
            says("5.0.0", Some(Command::RcptTo)),
            Some(ProviderSays::Reason(Reason::UserUnknown, "nttdocomo"))
        );
        assert_eq!(
            says("5.2.0", None),
            Some(ProviderSays::Reason(Reason::Filtered, "nttdocomo"))
        );
        assert_eq!(says("5.0.0", None), None);
    }
}
