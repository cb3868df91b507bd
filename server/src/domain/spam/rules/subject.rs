//! Subject-line tests: shouting, money signs, and tracking numbers appended to defeat
//! duplicate detection.

use super::super::message::MailView;
use super::super::score::RuleHit;

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    let subject = v.subject.as_deref().unwrap_or("");
    if subject.trim().is_empty() {
        if v.has_header("subject") {
            hits.push(RuleHit::new("EMPTY_SUBJECT", 0.3, "Subject is empty"));
        } else if !v.unparseable {
            hits.push(RuleHit::new(
                "MISSING_SUBJECT",
                0.3,
                "Message has no Subject",
            ));
        }
        return;
    }
    let letters: Vec<char> = subject.chars().filter(|c| c.is_alphabetic()).collect();
    let words = subject
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count();
    let shouting =
        letters.iter().all(|c| !c.is_lowercase()) && letters.iter().any(|c| c.is_uppercase());
    if letters.len() >= 10 && words >= 2 && shouting {
        hits.push(RuleHit::new(
            "SUBJ_ALL_CAPS",
            2.0,
            "Subject is written in capitals",
        ));
    }
    if subject.matches('!').count() >= 2 {
        hits.push(RuleHit::new(
            "SUBJ_EXCLAIM",
            0.8,
            "Subject shouts with exclamation marks",
        ));
    }
    if subject.contains('$') || subject.contains('€') || subject.contains('£') {
        hits.push(RuleHit::new(
            "SUBJ_MONEY",
            1.0,
            "Subject talks money ($, €, £)",
        ));
    }
    if has_tracking_suffix(subject) {
        hits.push(RuleHit::new(
            "SUBJ_TRACKING_ID",
            1.3,
            "Subject ends in a random-looking tracking number after padding",
        ));
    }
}

/// `Great offer                 18762` or `hello [x7f3k]`: bulk tools append an ID after
/// spaces so every copy differs. Real subjects end in a word, a version or a date.
fn has_tracking_suffix(subject: &str) -> bool {
    let trimmed = subject.trim_end();
    let Some((head, last)) = trimmed.rsplit_once(char::is_whitespace) else {
        return false;
    };
    let last = last.trim_matches(|c: char| "[]()#-".contains(c));
    let padded = head.ends_with("   ") || head.ends_with('\t');
    let digits = last.chars().filter(char::is_ascii_digit).count();
    let alnum = last.chars().all(|c| c.is_ascii_alphanumeric());
    // Random IDs switch between letters and digits often (`x7fk2q`); names with a digit in
    // them (`Buy4Now`, `pop3proxy`) switch once or twice.
    let switches = last
        .as_bytes()
        .windows(2)
        .filter(|w| w[0].is_ascii_digit() != w[1].is_ascii_digit())
        .count();
    !head.trim().is_empty()
        && alnum
        && last.len() >= 4
        && ((padded && digits > 0) || (switches >= 3 && last.len() >= 5))
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    fn subj(s: &str) -> Vec<String> {
        hit_names(&format!("Subject: {s}\r\n\r\nx"), check)
    }

    #[test]
    fn ordinary_subjects_hit_nothing() {
        for s in [
            "Re: build failure on i386",
            "Meeting at 10",
            "RPM 4.1 released",
            "NASA news",
            "win98 drivers for mp3",
        ] {
            assert!(subj(s).is_empty(), "{s}: {:?}", subj(s));
        }
    }

    #[test]
    fn shouting_money_and_tracking_ids_hit() {
        assert_eq!(subj("MAKE MONEY FROM HOME"), ["SUBJ_ALL_CAPS"]);
        assert_eq!(subj("Earn $5000 weekly!!"), ["SUBJ_EXCLAIM", "SUBJ_MONEY"]);
        assert_eq!(
            subj("Your application             20193"),
            ["SUBJ_TRACKING_ID"]
        );
        assert_eq!(subj("Hello there x7fk2q"), ["SUBJ_TRACKING_ID"]);
    }

    #[test]
    fn missing_and_empty_subjects_hit() {
        assert_eq!(
            hit_names("From: a@b.example\r\n\r\nx", check),
            ["MISSING_SUBJECT"]
        );
        assert_eq!(subj(""), ["EMPTY_SUBJECT"]);
    }
}
