//! The counting shared by the phrase rules (`phrases`, `account_threat`, `prize_claim`): a
//! family of phrases, matched case-insensitively in the Subject and the visible text, and
//! scored by how many *distinct* phrases occur, so one "free" in a newsletter or one
//! "final notice" in a real bill is not enough.
//!
//! Matching is leftmost-longest within one family: a phrase inside a longer phrase of the
//! same family ("not spam" in "this is not spam") counts once, as the longer one.

use super::super::message::MailView;
use super::super::score::RuleHit;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// A list of phrases and the rules it scores.
pub struct PhraseFamily {
    /// What the phrases are about, for the hit's description ("urgency phrases").
    what: &'static str,
    matcher: AhoCorasick,
    count: usize,
    /// (distinct phrases needed, points, rule name), most phrases first.
    bands: &'static [(usize, f64, &'static str)],
}

impl PhraseFamily {
    /// Builds the family; `bands` must be ordered by descending phrase count.
    pub fn new(
        what: &'static str,
        phrases: &[&str],
        bands: &'static [(usize, f64, &'static str)],
    ) -> PhraseFamily {
        debug_assert!(bands.windows(2).all(|w| w[0].0 > w[1].0));
        PhraseFamily {
            what,
            matcher: AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .build(phrases)
                .expect("static phrase lists compile"),
            count: phrases.len(),
            bands,
        }
    }

    /// How many distinct phrases of the family occur in any of `texts`.
    pub fn distinct(&self, texts: &[&str]) -> usize {
        let mut seen = vec![false; self.count];
        let mut distinct = 0;
        for text in texts {
            for m in self.matcher.find_iter(text) {
                let s = &mut seen[m.pattern().as_usize()];
                distinct += usize::from(!*s);
                *s = true;
            }
        }
        distinct
    }

    /// Appends the strongest band's hit that the Subject and visible text of `v` reach.
    pub fn check(&self, v: &MailView, hits: &mut Vec<RuleHit>) {
        let distinct = self.distinct(&[v.subject.as_deref().unwrap_or(""), v.body_text()]);
        if let Some((_, points, name)) = self.bands.iter().find(|(min, ..)| distinct >= *min) {
            hits.push(RuleHit::new(
                name,
                *points,
                format!("{distinct} distinct {}", self.what),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BANDS: &[(usize, f64, &str)] = &[(3, 2.0, "T_MANY"), (2, 1.0, "T_SOME")];

    fn family() -> PhraseFamily {
        PhraseFamily::new(
            "test phrases",
            &["not spam", "this is not spam", "act now", "urgent"],
            BANDS,
        )
    }

    #[test]
    fn distinct_phrases_are_counted_once_across_texts_and_case() {
        let f = family();
        assert_eq!(f.distinct(&["URGENT urgent", "Urgent"]), 1);
        assert_eq!(f.distinct(&["urgent", "act now"]), 2);
        assert_eq!(f.distinct(&["", ""]), 0);
    }

    #[test]
    fn a_phrase_inside_a_longer_one_counts_as_the_longer() {
        assert_eq!(family().distinct(&["This is not spam."]), 1);
    }

    #[test]
    fn the_strongest_band_reached_is_the_hit() {
        let names = |raw: &str| {
            let mut hits = Vec::new();
            family().check(&MailView::parse(raw.as_bytes()), &mut hits);
            hits.into_iter()
                .map(|h| (h.name, h.points, h.description))
                .collect::<Vec<_>>()
        };
        assert!(names("Subject: urgent\r\n\r\nhello").is_empty());
        assert_eq!(
            names("Subject: urgent\r\n\r\nact now"),
            [(
                "T_SOME".to_string(),
                1.0,
                "2 distinct test phrases".to_string()
            )]
        );
        assert_eq!(
            names("Subject: urgent\r\n\r\nact now, this is not spam")[0].0,
            "T_MANY"
        );
    }
}
