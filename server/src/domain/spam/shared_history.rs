//! Reputation counts accounts, not clicks: the [`DomainHistory`] one account scores a sending
//! domain with.
//!
//! Agents vote: one vote per (account, conversation) for spam / not spam (the latest flag),
//! one per (account, domain) for a block, whatever the number of clicks. The account's own
//! votes count fully for that account (its agents know its mail). Every **other** account
//! counts once, on the side its votes lean to: a bad vote (spam flag or block) when its bad
//! votes outnumber its clean ones, a clean conversation when its clean ones do, nothing on a
//! tie. So no single account moves a domain across a line of
//! [`reputation`](super::reputation) for everyone else: one account gives at most one bad vote
//! (`DOMAIN_MIXED_HISTORY` needs 2, `DOMAIN_BAD_HISTORY` 3) or one clean conversation
//! (`DOMAIN_GOOD_HISTORY` needs 3, `DOMAIN_TRUSTED_HISTORY` 20).

use serde::{Deserialize, Serialize};

use super::reputation::DomainHistory;
use crate::domain::suppression::AccountId;

/// One account's votes about one sending domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountVotes {
    pub account: AccountId,
    /// Conversations the account's agents marked as spam (latest flag).
    pub spam: u32,
    /// Conversations marked "not spam" (latest flag).
    pub clean: u32,
    /// 1 when the account blocked the domain or an address of it.
    pub blocks: u32,
}

/// The history `account` scores the domain with, from every account's votes about it.
pub fn history_for(account: AccountId, votes: &[AccountVotes]) -> DomainHistory {
    let mut h = DomainHistory::default();
    for v in votes {
        if v.account == account {
            h.spam_flags = h.spam_flags.saturating_add(v.spam);
            h.blocks = h.blocks.saturating_add(v.blocks);
            h.clean_conversations = h.clean_conversations.saturating_add(v.clean);
            continue;
        }
        let bad = u64::from(v.spam) + u64::from(v.blocks);
        let clean = u64::from(v.clean);
        if bad > clean {
            if v.spam > 0 {
                h.spam_flags = h.spam_flags.saturating_add(1);
            } else {
                h.blocks = h.blocks.saturating_add(1);
            }
        } else if clean > bad {
            h.clean_conversations = h.clean_conversations.saturating_add(1);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::spam::auth_results::{AuthResult, AuthSummary};
    use crate::domain::spam::reputation;

    const ACME: AccountId = AccountId(1);
    const GLOBEX: AccountId = AccountId(2);

    fn votes(account: i64, spam: u32, clean: u32, blocks: u32) -> AccountVotes {
        AccountVotes {
            account: AccountId(account),
            spam,
            clean,
            blocks,
        }
    }

    /// The reputation rules that fire for this history (DMARC passing, so good history
    /// could count too).
    fn rules(h: DomainHistory) -> Vec<String> {
        let auth = AuthSummary {
            dmarc: Some(AuthResult::Pass),
            ..Default::default()
        };
        let mut hits = Vec::new();
        reputation::check(&h, &auth, Some("example.com"), &mut hits);
        hits.into_iter()
            .map(|h| h.name)
            .filter(|n| n.starts_with("DOMAIN_"))
            .collect()
    }

    #[test]
    fn another_account_counts_once_on_the_side_it_leans_to() {
        // (Globex's votes, what Acme's history gets from them)
        let table = [
            (votes(2, 0, 0, 0), DomainHistory::default()),
            (
                votes(2, 100, 0, 1),
                DomainHistory {
                    spam_flags: 1,
                    ..Default::default()
                },
            ),
            (
                votes(2, 0, 0, 1),
                DomainHistory {
                    blocks: 1,
                    ..Default::default()
                },
            ),
            (
                votes(2, 0, 500, 0),
                DomainHistory {
                    clean_conversations: 1,
                    ..Default::default()
                },
            ),
            (votes(2, 1, 2, 1), DomainHistory::default()),
            (
                votes(2, 3, 1, 0),
                DomainHistory {
                    spam_flags: 1,
                    ..Default::default()
                },
            ),
        ];
        for (globex, expected) in table {
            assert_eq!(history_for(ACME, &[globex]), expected, "{globex:?}");
        }
    }

    #[test]
    fn an_accounts_own_votes_count_fully_for_itself() {
        let all = [votes(1, 4, 1, 1), votes(2, 9, 0, 1)];
        assert_eq!(
            history_for(ACME, &all),
            DomainHistory {
                spam_flags: 5,
                blocks: 1,
                clean_conversations: 1,
                complaints: 0,
            }
        );
        assert_eq!(
            history_for(GLOBEX, &all),
            DomainHistory {
                spam_flags: 10,
                blocks: 1,
                clean_conversations: 0,
                complaints: 0,
            }
        );
    }

    #[test]
    fn no_single_account_moves_a_domain_across_a_line_for_others() {
        // However one account votes, the others' rules stay silent.
        for globex in [
            votes(2, 1000, 0, 1),
            votes(2, 0, 0, 1),
            votes(2, 0, 1000, 0),
        ] {
            assert!(rules(history_for(ACME, &[globex])).is_empty(), "{globex:?}");
        }
        // Its own history is its own business: the same votes do move it for itself.
        assert_eq!(
            rules(history_for(GLOBEX, &[votes(2, 1000, 0, 1)])),
            ["DOMAIN_BAD_HISTORY"]
        );
        assert_eq!(
            rules(history_for(GLOBEX, &[votes(2, 0, 1000, 0)])),
            ["DOMAIN_TRUSTED_HISTORY"]
        );
    }

    #[test]
    fn accounts_that_agree_do_move_it() {
        let bad: Vec<AccountVotes> = (2..4).map(|a| votes(a, 1, 0, 0)).collect();
        assert_eq!(rules(history_for(ACME, &bad)), ["DOMAIN_MIXED_HISTORY"]);
        let worse: Vec<AccountVotes> = (2..8).map(|a| votes(a, 1, 0, 1)).collect();
        assert_eq!(rules(history_for(ACME, &worse)), ["DOMAIN_BAD_HISTORY"]);
        let good: Vec<AccountVotes> = (2..5).map(|a| votes(a, 0, 3, 0)).collect();
        assert_eq!(rules(history_for(ACME, &good)), ["DOMAIN_GOOD_HISTORY"]);
    }
}
