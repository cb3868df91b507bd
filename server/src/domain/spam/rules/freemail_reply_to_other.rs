//! FREEMAIL_REPLY_TO_OTHER: the sender writes from one free mailbox and asks for replies at
//! another mailbox of the same provider ("From: a.smith@gmail.com, Reply-To:
//! claims.desk@gmail.com"). A person answers from the account they wrote from; advance-fee
//! and prize scams send from throwaway accounts that get closed, and collect the answers
//! somewhere else. A free Reply-To at any other domain than the sender's is
//! `FREEMAIL_REPLY_TO`; this rule covers the same-provider case that one leaves out.

use super::super::message::MailView;
use super::super::score::RuleHit;
use super::freemail_reply_to::is_freemail;

pub const NAME: &str = "FREEMAIL_REPLY_TO_OTHER";
pub const POINTS: f64 = 2.0;

/// The lower-cased address and its domain.
fn mailbox(address: &str) -> Option<(String, String)> {
    let address = address
        .trim()
        .trim_matches(['<', '>'])
        .trim_end_matches('.')
        .to_lowercase();
    let (_, domain) = address.rsplit_once('@')?;
    let domain = domain.to_string();
    (!domain.is_empty()).then_some((address, domain))
}

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    let (Some((reply, reply_domain)), Some((from, from_domain))) = (
        v.reply_to_address.as_deref().and_then(mailbox),
        v.from_address.as_deref().and_then(mailbox),
    ) else {
        return;
    };
    if reply != from && reply_domain == from_domain && is_freemail(&reply_domain) {
        hits.push(RuleHit::new(
            NAME,
            POINTS,
            format!("Sent from the free mailbox {from} but replies go to another one, {reply}"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    #[test]
    fn replies_to_another_free_mailbox_are_a_hit() {
        for raw in [
            "From: Ann <ann.smith@gmail.com>\r\nReply-To: claims.office@gmail.com\r\n\r\nx",
            "From: Ann <ann@hotmail.com>\r\nReply-To: <desk@Hotmail.com>\r\n\r\nx",
        ] {
            assert_eq!(hit_names(raw, check), [NAME], "{raw}");
        }
    }

    #[test]
    fn the_same_mailbox_or_a_company_domain_is_fine() {
        for raw in [
            "From: Ann <Ann@Gmail.com>\r\nReply-To: ann@gmail.com\r\n\r\nx",
            "From: Ann <ann@gmail.com>\r\nReply-To: list@lists.example\r\n\r\nx",
            "From: Ann <ann@shop.example>\r\nReply-To: sales@gmail.com\r\n\r\nx",
            // Another provider: FREEMAIL_REPLY_TO's case, not counted twice.
            "From: Ann <ann@gmail.com>\r\nReply-To: desk@yahoo.com\r\n\r\nx",
            "From: Ann <ann@gmail.com>\r\n\r\nx",
        ] {
            assert!(hit_names(raw, check).is_empty(), "{raw}");
        }
    }
}
