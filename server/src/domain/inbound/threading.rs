//! Which conversation a message belongs to: first the message ids it answers
//! (`In-Reply-To`, then `References`, newest first), then the same sender with the same subject
//! once reply prefixes are stripped.

/// What storage looks a conversation up by.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ThreadKeys {
    /// Message-IDs (without `<>`) the message answers, most specific first.
    pub message_ids: Vec<String>,
    /// The subject without `Re:`/`Fwd:`/`AW:`… prefixes, lower-cased; empty when nothing is left.
    pub subject: String,
}

/// At most this many referenced ids are looked up (long threads carry dozens).
pub const MAX_REFERENCES: usize = 20;

pub fn thread_keys(in_reply_to: &[String], references: &[String], subject: &str) -> ThreadKeys {
    let mut ids: Vec<String> = Vec::new();
    for id in in_reply_to.iter().chain(references.iter().rev()) {
        let id = id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        if !id.is_empty() && id.len() <= 998 && !ids.iter().any(|x| x == id) {
            ids.push(id.to_string());
        }
        if ids.len() == MAX_REFERENCES {
            break;
        }
    }
    ThreadKeys {
        message_ids: ids,
        subject: normalize_subject(subject),
    }
}

/// Reply and forward prefixes in the languages support desks see most.
const PREFIXES: &[&str] = &[
    "re", "fw", "fwd", "aw", "wg", "sv", "vs", "antw", "rif", "tr", "r", "odp", "res", "enc",
];

/// `"RE: Fwd: [Ticket] Order  late"` → `"[ticket] order late"`: prefixes (also `Re[2]:`)
/// stripped, whitespace collapsed, lower-cased.
pub fn normalize_subject(subject: &str) -> String {
    let mut s = subject.trim();
    while let Some((head, rest)) = s.split_once(':') {
        let word = head.trim();
        let word = match word.find('[') {
            Some(i) if word.ends_with(']') => &word[..i],
            _ => word,
        };
        if PREFIXES.iter().any(|p| word.eq_ignore_ascii_case(p)) {
            s = rest.trim_start();
        } else {
            break;
        }
    }
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_reply_prefixes_in_several_languages() {
        let cases = [
            ("Re: Order late", "order late"),
            ("RE: Fwd: Order  late ", "order late"),
            ("AW: WG: Lieferung", "lieferung"),
            ("Re[2]: Invoice", "invoice"),
            ("SV: Faktura", "faktura"),
            ("Order: late", "order: late"),
            ("[Ticket 12] Re: x", "[ticket 12] re: x"),
            ("Re:", ""),
            ("", ""),
            ("Ré: café", "ré: café"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_subject(input), want, "{input:?}");
        }
    }

    #[test]
    fn in_reply_to_comes_first_then_references_newest_first() {
        let k = thread_keys(
            &["<c@x>".into()],
            &["<a@x>".into(), "<b@x>".into(), "<c@x>".into()],
            "Re: Hello",
        );
        assert_eq!(k.message_ids, vec!["c@x", "b@x", "a@x"]);
        assert_eq!(k.subject, "hello");
    }

    #[test]
    fn long_reference_chains_are_capped() {
        let refs: Vec<String> = (0..100).map(|i| format!("<{i}@x>")).collect();
        let k = thread_keys(&[], &refs, "s");
        assert_eq!(k.message_ids.len(), MAX_REFERENCES);
        assert_eq!(k.message_ids[0], "99@x");
    }

    #[test]
    fn blank_ids_are_ignored() {
        assert!(thread_keys(&["<>".into(), " ".into()], &[], "")
            .message_ids
            .is_empty());
    }
}
