//! I.UA (email.ua), Ukraine: its refusals link to `mail.i.ua/err/N`, a numbered reason.

use super::Provider;
use crate::domain::bounce::reason::Reason;

pub(super) const PROVIDER: Provider = Provider {
    name: "iua",
    hosts: &["email.ua"],
    phrases: &[],
    codes: Some(code),
    context: None,
};

fn code(lower: &str) -> Option<Option<Reason>> {
    let at = lower.find(".i.ua/err/")?;
    let digits: String = lower[at + 10..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let reason = match digits.as_str() {
        "1" | "6" => Reason::NoRelaying,
        "2" => Reason::UserUnknown,
        "3" => Reason::Suspend,
        "4" => Reason::MailboxFull,
        "5" => Reason::TooManyConn,
        "7" | "9" => Reason::Blocked,
        "8" => Reason::Rejected,
        "10" => Reason::Filtered,
        _ => return Some(None),
    };
    Some(Some(reason))
}

#[cfg(test)]
mod tests {
    use super::super::{find, ProviderSays};
    use crate::domain::bounce::reason::Reason;

    #[test]
    fn error_page_numbers_name_the_reason() {
        let f = |d: &str| find(Some("mx.email.ua"), None, d);
        assert_eq!(
            f("550 mailbox is full, see https://mail.i.ua/err/4/"),
            Some(ProviderSays::Reason(Reason::MailboxFull, "iua"))
        );
        assert_eq!(
            f("550 see https://mail.i.ua/err/10/"),
            Some(ProviderSays::Reason(Reason::Filtered, "iua"))
        );
        assert_eq!(
            f("550 see https://mail.i.ua/err/77/"),
            Some(ProviderSays::Unspecific("iua"))
        );
    }
}
