//! Cloudflare Email Routing (mx.cloudflare.net): the wording of its postmaster page.

use super::Provider;
use crate::domain::bounce::reason::Reason;

pub(super) const PROVIDER: Provider = Provider {
    name: "cloudflare",
    hosts: &["mx.cloudflare.net"],
    phrases: &[
        ("found on one or more dnsbls", Reason::Blocked),
        ("found on one or more rbls", Reason::Blocked),
        ("upstream error", Reason::SystemError),
    ],
    codes: None,
    context: None,
};

#[cfg(test)]
mod tests {
    use super::super::{find, ProviderSays};
    use crate::domain::bounce::reason::Reason;

    #[test]
    fn a_listed_sending_ip_is_blocked() {
        assert_eq!(
            find(
                Some("route1.mx.cloudflare.net"),
                None,
                "554 192.0.2.1 found on one or more rbls (abusixip)"
            ),
            Some(ProviderSays::Reason(Reason::Blocked, "cloudflare"))
        );
    }
}
