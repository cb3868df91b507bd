//! Sending-domain reputation from this deployment's own history, plus what upstream
//! authentication said. The history is handed in (the server counts it); this file only
//! decides what it is worth.
//!
//! Bad history counts whether or not the mail authenticates (forgers make a domain look bad
//! to everyone); good history earns credit only when SPF/DKIM/DMARC vouch for the From
//! domain, or any spammer could borrow a good name.

use super::auth_results::{AuthResult, AuthSummary};
use super::score::RuleHit;
use serde::{Deserialize, Serialize};

/// What this deployment has seen from the sender's domain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainHistory {
    /// Messages agents marked as spam.
    pub spam_flags: u32,
    /// Times an address or the domain was put on a block list.
    pub blocks: u32,
    /// Complaints about mail from the domain (feedback reports).
    pub complaints: u32,
    /// Conversations with the domain that ended normally.
    pub clean_conversations: u32,
}

impl DomainHistory {
    /// Complaints weigh double: someone took the trouble to report.
    fn bad(&self) -> u64 {
        self.spam_flags as u64 + self.blocks as u64 + 2 * self.complaints as u64
    }

    /// Share of bad outcomes, smoothed so two data points are not a verdict.
    fn bad_share(&self) -> f64 {
        let bad = self.bad() as f64;
        bad / (bad + self.clean_conversations as f64 + 2.0)
    }
}

pub fn check(
    history: &DomainHistory,
    auth: &AuthSummary,
    from_domain: Option<&str>,
    hits: &mut Vec<RuleHit>,
) {
    match auth.spf {
        Some(AuthResult::Fail) => hits.push(RuleHit::new("SPF_FAIL", 1.0, "SPF check failed")),
        Some(AuthResult::SoftFail) => {
            hits.push(RuleHit::new("SPF_SOFTFAIL", 0.6, "SPF check soft-failed"))
        }
        Some(AuthResult::Pass) => hits.push(RuleHit::new("SPF_PASS", -0.1, "SPF check passed")),
        _ => {}
    }
    match auth.dkim {
        Some(AuthResult::Fail) | Some(AuthResult::PermError) => hits.push(RuleHit::new(
            "DKIM_INVALID",
            1.0,
            "DKIM signature did not verify",
        )),
        Some(AuthResult::Pass) => hits.push(RuleHit::new(
            "DKIM_VALID",
            -0.1,
            "A DKIM signature verified",
        )),
        _ => {}
    }
    match auth.dmarc {
        Some(AuthResult::Fail) => hits.push(RuleHit::new(
            "DMARC_FAIL",
            2.5,
            "DMARC failed: the From domain did not authorise this sender",
        )),
        Some(AuthResult::Pass) => hits.push(RuleHit::new("DMARC_PASS", -0.2, "DMARC passed")),
        _ => {}
    }

    let bad = history.bad();
    let share = history.bad_share();
    if bad >= 3 && share >= 0.75 {
        hits.push(RuleHit::new(
            "DOMAIN_BAD_HISTORY",
            2.5,
            format!(
                "Sender's domain is mostly spam here ({} spam flags, {} blocks, {} complaints, {} clean conversations)",
                history.spam_flags, history.blocks, history.complaints, history.clean_conversations
            ),
        ));
    } else if bad >= 2 && share >= 0.4 {
        hits.push(RuleHit::new(
            "DOMAIN_MIXED_HISTORY",
            1.0,
            format!(
                "Sender's domain has often been spam here ({bad} bad vs {} clean)",
                history.clean_conversations
            ),
        ));
    }
    let authenticated = from_domain.is_some_and(|d| auth.aligned_pass(d));
    if authenticated && share <= 0.1 {
        if history.clean_conversations >= 20 {
            hits.push(RuleHit::new(
                "DOMAIN_TRUSTED_HISTORY",
                -2.5,
                format!(
                    "Authenticated sender from a domain with {} clean conversations here",
                    history.clean_conversations
                ),
            ));
        } else if history.clean_conversations >= 3 {
            hits.push(RuleHit::new(
                "DOMAIN_GOOD_HISTORY",
                -1.0,
                format!(
                    "Authenticated sender from a domain with {} clean conversations here",
                    history.clean_conversations
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(h: DomainHistory, auth: AuthSummary) -> Vec<String> {
        let mut hits = Vec::new();
        check(&h, &auth, Some("example.com"), &mut hits);
        hits.into_iter().map(|h| h.name).collect()
    }

    fn dmarc_pass() -> AuthSummary {
        AuthSummary {
            dmarc: Some(AuthResult::Pass),
            ..Default::default()
        }
    }

    #[test]
    fn no_history_and_no_auth_is_neutral() {
        assert!(names(DomainHistory::default(), AuthSummary::default()).is_empty());
    }

    #[test]
    fn a_domain_agents_keep_flagging_scores_badly_even_when_authenticated() {
        let h = DomainHistory {
            spam_flags: 5,
            blocks: 1,
            ..Default::default()
        };
        assert_eq!(names(h, dmarc_pass()), ["DMARC_PASS", "DOMAIN_BAD_HISTORY"]);
    }

    #[test]
    fn mixed_history_gives_a_smaller_penalty() {
        let h = DomainHistory {
            spam_flags: 3,
            clean_conversations: 2,
            ..Default::default()
        };
        assert_eq!(names(h, AuthSummary::default()), ["DOMAIN_MIXED_HISTORY"]);
    }

    #[test]
    fn good_history_counts_only_when_authenticated() {
        let h = DomainHistory {
            clean_conversations: 25,
            ..Default::default()
        };
        assert!(names(h, AuthSummary::default()).is_empty());
        assert_eq!(
            names(h, dmarc_pass()),
            ["DMARC_PASS", "DOMAIN_TRUSTED_HISTORY"]
        );
        let few = DomainHistory {
            clean_conversations: 4,
            ..Default::default()
        };
        assert_eq!(
            names(few, dmarc_pass()),
            ["DMARC_PASS", "DOMAIN_GOOD_HISTORY"]
        );
    }

    #[test]
    fn failed_authentication_is_penalised() {
        let auth = AuthSummary {
            spf: Some(AuthResult::Fail),
            dkim: Some(AuthResult::Fail),
            dmarc: Some(AuthResult::Fail),
            ..Default::default()
        };
        assert_eq!(
            names(DomainHistory::default(), auth),
            ["SPF_FAIL", "DKIM_INVALID", "DMARC_FAIL"]
        );
    }
}
