//! ISP block: the receiving side refused the *sender* (policy, reputation, authentication).
//!
//! Effect: **no address suppression** — the address is fine, our reputation is not. The event
//! is recorded and counted per recipient domain ([`recipient_domain`]); repeated blocks from one
//! domain raise an Org Logging alert ([`super::domain_alert`]).

use chrono::{DateTime, Utc};

use super::{AccountId, Decision, LogKind};
use crate::domain::address::{Domain, EmailAddress};

pub fn decide(_account: AccountId, _address: &EmailAddress, _now: DateTime<Utc>) -> Decision {
    Decision::record_only(LogKind::IspBlock)
}

/// The key ISP blocks are counted under.
pub fn recipient_domain(address: &EmailAddress) -> Domain {
    address.domain()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::suppression::test_support::*;
    use crate::domain::suppression::{ContactEffect, Retry};

    #[test]
    fn an_isp_block_suppresses_nothing_and_is_counted_under_the_recipient_domain() {
        for (address, domain) in [
            ("a@gmail.com", "gmail.com"),
            ("B@Mail.Outlook.COM", "mail.outlook.com"),
        ] {
            let d = decide(ACME, &addr(address), t0());
            assert_eq!(d.suppression, None);
            assert_eq!(d.contact, ContactEffect::Unchanged);
            assert_eq!(d.retry, Retry::Never);
            assert_eq!(d.log_entries(), vec![LogKind::IspBlock]);
            assert_eq!(recipient_domain(&addr(address)).as_str(), domain);
        }
    }
}
