//! The last rule before a verdict leaves: a hard bounce suppresses an address for good, so
//! it needs proof that the failure is permanent *and* about the address itself.
//!
//! In order:
//! 1. A transient signal (an RFC 3463 `4.x.x` status, a `4xx` reply with no status, or
//!    `Action: delayed`) means the receiver will take the address later: never hard
//!    (`onhold`; a delivery program's own failure, typed `X-…`, is `mailererror`, soft).
//! 2. Otherwise a permanent signal (a `5.x.x` status or a `5xx` reply) or the receiver's own
//!    words that the mailbox or domain does not exist ([`super::super::phrases`]' user- and
//!    host-unknown tables, a provider's table) make it hard.
//! 3. With neither (no code at all, and the reason read from something other than words),
//!    the verdict is not hard: the reason is kept as `onhold`.

use crate::domain::bounce::status::EnhancedStatus;

/// What a hard verdict was built on.
pub(super) struct Signals<'a> {
    pub(super) status: Option<EnhancedStatus>,
    pub(super) reply_code: Option<u16>,
    pub(super) action: Option<&'a str>,
    /// The words (or a provider's table) name a missing mailbox, domain or a move.
    pub(super) words_say_gone: bool,
}

/// A transient signal: an RFC 3463 `4.x.x` status, a `4xx` reply with no status, or
/// `Action: delayed`.
pub(super) fn transient(s: &Signals<'_>) -> bool {
    (match s.status.filter(|st| !st.is_success()) {
        Some(st) => st.is_transient(),
        None => s.reply_code.is_some_and(|c| c / 100 == 4),
    }) || matches!(s.action, Some("delayed"))
}

/// The rule [`demote`] names for a transient signal.
pub(super) const TRANSIENT: &str = "permanence.transient-code";

/// `Some(rule)` when a `hard` verdict is not proven by `s` and must be kept as
/// `onhold` instead; `None` when it stands.
pub(super) fn demote(hard: bool, s: &Signals<'_>) -> Option<&'static str> {
    if !hard {
        return None;
    }
    if transient(s) {
        return Some(TRANSIENT);
    }
    let permanent =
        s.status.is_some_and(|st| st.is_permanent()) || s.reply_code.is_some_and(|c| c / 100 == 5);
    if permanent || s.words_say_gone {
        return None;
    }
    Some("permanence.no-permanent-evidence")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(
        status: Option<&str>,
        reply: Option<u16>,
        action: Option<&'static str>,
        words: bool,
    ) -> Signals<'static> {
        Signals {
            status: status.and_then(EnhancedStatus::parse),
            reply_code: reply,
            action,
            words_say_gone: words,
        }
    }

    #[test]
    fn a_permanent_code_or_the_words_prove_a_missing_mailbox() {
        assert_eq!(
            demote(true, &sig(Some("5.1.1"), Some(550), None, true)),
            None
        );
        assert_eq!(demote(true, &sig(None, Some(550), None, false)), None);
        assert_eq!(demote(true, &sig(None, None, None, true)), None);
        assert_eq!(demote(true, &sig(Some("5.0.0"), None, None, false)), None);
    }

    #[test]
    fn a_transient_code_is_never_a_hard_bounce() {
        for s in [
            sig(Some("4.1.1"), Some(450), None, true),
            sig(None, Some(450), None, true),
            sig(Some("5.1.1"), None, Some("delayed"), true),
        ] {
            assert_eq!(demote(true, &s), Some("permanence.transient-code"));
        }
    }

    #[test]
    fn without_a_code_only_the_words_of_a_missing_address_make_it_hard() {
        assert_eq!(demote(true, &sig(None, None, None, true)), None);
        assert_eq!(
            demote(true, &sig(None, None, None, false)),
            Some("permanence.no-permanent-evidence")
        );
        assert_eq!(demote(false, &sig(None, None, None, false)), None);
    }
}
