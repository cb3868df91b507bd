//! RFC 3834 automatic responses (vacation / out-of-office), and the de-facto headers that
//! responders used before it.

use crate::domain::bounce::text_patterns::strip_prefix_ci;
use aho_corasick::AhoCorasick;
use std::sync::LazyLock;

/// Subject openings of auto-replies (lower-case, several languages).
const SUBJECTS: &[&str] = &[
    "auto:",
    "auto reply",
    "auto-reply",
    "autoreply",
    "auto response",
    "auto-response",
    "autorespons",
    "automatic reply",
    "automatic response",
    "automatische antwort",
    "réponse automatique",
    "reponse automatique",
    "respuesta automática",
    "risposta automatica",
    "out of office",
    "out of the office",
    "out-of-office",
    "away from my mail",
    "away until",
    "on vacation",
    "abwesenheit",
    "自動応答",
    "自動返信",
];

/// Single words that name an absence in an offer or a newsletter ("for your summer
/// vacation") as often as in an automatic answer: they count only when they open the
/// subject as its label ("Vacation: …", "Absence notice", "不在").
const OPENING_WORDS: &[&str] = &["vacation", "absence", "不在"];

/// What may follow an opening word for it to be the subject's label.
const LABEL_TAILS: &[&str] = &[
    ":",
    " -",
    " reply",
    " notice",
    " message",
    " response",
    " notification",
    " auto",
];

fn opens_with_absence_word(subject: &str) -> bool {
    let s = subject.trim_start();
    OPENING_WORDS.iter().any(|w| {
        strip_prefix_ci(s, w).is_some_and(|rest| {
            rest.trim().is_empty()
                || LABEL_TAILS
                    .iter()
                    .any(|t| strip_prefix_ci(rest, t).is_some())
        })
    })
}

static SUBJECT: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(SUBJECTS)
        .expect("static subjects")
});

/// Header evidence that a message is an automatic response: `(rule, source)`.
///
/// `headers` yields `(name, value)` pairs of the message's own header.
pub fn detect<'a>(
    headers: impl Iterator<Item = (&'a str, &'a str)>,
    subject: Option<&str>,
) -> Option<(&'static str, String)> {
    for (name, value) in headers {
        let v = value.trim().to_ascii_lowercase();
        let n = name.to_ascii_lowercase();
        match n.as_str() {
            // RFC 3834 §5: auto-replied is a response.
            "auto-submitted" if v.starts_with("auto-replied") => {
                return Some((
                    "rfc3834.auto-submitted",
                    format!("{name}: {}", value.trim()),
                ));
            }
            // RFC 3834 §5 calls auto-generated mail no reply, but this reader only sees mail
            // that came back to our return path, and the caller has already ruled out a
            // mail system's own notice (a bounce, a system sender): what a machine sent there
            // answers our message (older vacation programs and ticket systems' receipts use
            // it). auto-notified (RFC 5436) is a Sieve notification of the same kind.
            "auto-submitted"
                if v.starts_with("auto-generated") || v.starts_with("auto-notified") =>
            {
                return Some((
                    "rfc3834.auto-generated",
                    format!("{name}: {}", value.trim()),
                ));
            }
            "x-autoreply" | "x-autorespond" | "x-autoresponder" | "x-mailautoreply" => {
                return Some(("autoreply.header", format!("{name}: {}", value.trim())));
            }
            "precedence" if v == "auto_reply" => {
                return Some(("autoreply.precedence", format!("{name}: {}", value.trim())));
            }
            "x-auto-response-suppress" => {}
            _ => {}
        }
    }
    let s = subject?;
    (SUBJECT.find(s).is_some() || opens_with_absence_word(s))
        .then(|| ("autoreply.subject", format!("Subject: {}", s.trim())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3834_header_and_subjects_are_recognised() {
        let h = [("Auto-Submitted", "auto-replied (vacation)")];
        assert_eq!(
            detect(h.iter().copied(), None).unwrap().0,
            "rfc3834.auto-submitted"
        );
        let h2 = [("Auto-Submitted", "auto-generated")];
        assert_eq!(
            detect(h2.iter().copied(), Some("re: Your order"))
                .unwrap()
                .0,
            "rfc3834.auto-generated"
        );
        let no = [("Auto-Submitted", "no")];
        assert_eq!(detect(no.iter().copied(), Some("Hello")), None);
        assert!(detect(std::iter::empty(), Some("Automatic reply: Lunch on Friday")).is_some());
        assert!(detect(std::iter::empty(), Some("Quarterly numbers")).is_none());
    }

    #[test]
    fn a_bare_absence_word_counts_only_as_the_subjects_label() {
        for yes in [
            "Vacation: Re: Lunch",
            "Absence notice",
            "vacation reply",
            "不在",
            "Vacation",
        ] {
            assert!(detect(std::iter::empty(), Some(yes)).is_some(), "{yes}");
        }
        for no in [
            "Looking for the perfect camera for your summer vacation?",
            "Vacation Time, behind in bills? Refinance now",
            "Free vacation offer",
            "In the absence of a quorum",
        ] {
            assert!(detect(std::iter::empty(), Some(no)).is_none(), "{no}");
        }
        // The phrases of an automatic answer still count anywhere.
        assert!(detect(std::iter::empty(), Some("Re: Lunch [I am on vacation]")).is_some());
    }
}
