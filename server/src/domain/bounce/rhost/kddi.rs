//! au (KDDI), Japan: the provider's own wording (and codes) and the reason each names.
//! au (KDDI): its filter answers "550 : User unknown" (no address), a missing mailbox
//! "550 <address>: User unknown".

use super::Provider;
use crate::domain::bounce::reason::Reason;

pub(super) const PROVIDER: Provider = Provider {
    name: "kddi",
    hosts: &["ezweb.ne.jp", "au.com"],
    phrases: &[
        ("550 : user unknown", Reason::Filtered),
        (">: user unknown", Reason::UserUnknown),
    ],
    codes: None,
    context: None,
};
