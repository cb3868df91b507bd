//! RCPT_IN_SUBJECT: the Subject spells out the recipient's own address ("you@example.org has
//! reached its quota", "Notice for you@example.org"). People write to a person by name;
//! mail-merge scripts fill in the one thing they have, the address.

use super::super::message::MailView;
use super::super::score::RuleHit;

pub const NAME: &str = "RCPT_IN_SUBJECT";
pub const POINTS: f64 = 3.0;

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    let Some(subject) = v.subject.as_deref() else {
        return;
    };
    let subject = subject.to_lowercase();
    if v.to_addresses
        .iter()
        .any(|a| a.len() >= 5 && subject.contains(a.as_str()))
    {
        hits.push(RuleHit::new(
            NAME,
            POINTS,
            "The Subject contains the recipient's own email address",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    #[test]
    fn the_recipient_s_address_in_the_subject_is_a_hit() {
        let raw = "To: Bob <bob@example.org>\r\nSubject: BOB@example.org has reached the quota limit\r\n\r\nx";
        assert_eq!(hit_names(raw, check), [NAME]);
    }

    #[test]
    fn other_addresses_or_none_are_fine() {
        for raw in [
            "To: bob@example.org\r\nSubject: write to ann@example.org\r\n\r\nx",
            "To: bob@example.org\r\nSubject: hello bob\r\n\r\nx",
            "Subject: bob@example.org\r\n\r\nx",
        ] {
            assert!(hit_names(raw, check).is_empty(), "{raw}");
        }
    }
}
