//! The counting shared by the phrase rules (`phrases`, `account_threat`, `prize_claim`): a
//! family of phrases, matched case-insensitively in the Subject and the visible text, and
//! scored by how many *distinct* phrases occur, so one "free" in a newsletter or one
//! "final notice" in a real bill is not enough.
//!
//! Matching is leftmost-longest within one family: a phrase inside a longer phrase of the
//! same family ("not spam" in "this is not spam") counts once, as the longer one.
//!
//! All families are found in one pass over the text ([`PhraseSet`]): one automaton reports
//! every occurrence of every phrase, and each family's leftmost-longest matches are picked
//! from those, as a search with that family's phrases alone would find them.

use super::super::message::MailView;
use super::super::score::RuleHit;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// A list of phrases and the rules it scores.
pub struct PhraseFamily {
    /// What the phrases are about, for the hit's description ("urgency phrases").
    what: &'static str,
    phrases: &'static [&'static str],
    /// (distinct phrases needed, points, rule name), most phrases first.
    bands: &'static [(usize, f64, &'static str)],
}

impl PhraseFamily {
    /// The family; `bands` must be ordered by descending phrase count.
    pub const fn new(
        what: &'static str,
        phrases: &'static [&'static str],
        bands: &'static [(usize, f64, &'static str)],
    ) -> PhraseFamily {
        PhraseFamily {
            what,
            phrases,
            bands,
        }
    }

    /// Appends the strongest band's hit that `distinct` phrases of the family reach.
    pub fn hit(&self, distinct: usize, hits: &mut Vec<RuleHit>) {
        if let Some((_, points, name)) = self.bands.iter().find(|(min, ..)| distinct >= *min) {
            hits.push(RuleHit::new(
                name,
                *points,
                format!("{distinct} distinct {}", self.what),
            ));
        }
    }
}

/// Several phrase families, searched together.
pub struct PhraseSet {
    families: Vec<&'static PhraseFamily>,
    /// Every family's phrases in one automaton, reporting overlapping matches.
    matcher: AhoCorasick,
    /// The family of each pattern, by pattern number (families' phrases in order).
    family_of: Vec<usize>,
}

/// How many distinct phrases of each family of a [`PhraseSet`] occur in some texts.
pub struct PhraseCounts<'a> {
    set: &'a PhraseSet,
    counts: Vec<usize>,
}

impl PhraseCounts<'_> {
    /// The count of `family`, which must be one of the set's.
    pub fn of(&self, family: &PhraseFamily) -> usize {
        let i = self
            .set
            .families
            .iter()
            .position(|f| std::ptr::eq(*f, family))
            .expect("the family is in the phrase set");
        self.counts[i]
    }
}

impl PhraseSet {
    pub fn new(families: &[&'static PhraseFamily]) -> PhraseSet {
        let mut family_of = Vec::new();
        let mut patterns = Vec::new();
        for (i, f) in families.iter().enumerate() {
            debug_assert!(f.bands.windows(2).all(|w| w[0].0 > w[1].0));
            family_of.extend(std::iter::repeat_n(i, f.phrases.len()));
            patterns.extend_from_slice(f.phrases);
        }
        PhraseSet {
            families: families.to_vec(),
            // A DFA: with more than 100 patterns the default is a contiguous NFA, which
            // follows failure links byte by byte (the same matches, more work per byte).
            matcher: AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(patterns)
                .expect("static phrase lists compile"),
            family_of,
        }
    }

    /// How many distinct phrases of each family occur in any of `texts`.
    ///
    /// Per text and family this is what a leftmost-longest search with the family's phrases
    /// alone finds: from the leftmost occurrence the longest phrase (the first listed of
    /// equal ones), then the same again from where it ends.
    pub fn distinct(&self, texts: &[&str]) -> PhraseCounts<'_> {
        let mut counts = vec![0; self.families.len()];
        let mut seen = vec![false; self.family_of.len()];
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        let mut resume = vec![0; self.families.len()];
        for text in texts {
            found.clear();
            found.extend(
                self.matcher
                    .find_overlapping_iter(*text)
                    .map(|m| (m.start(), m.end(), m.pattern().as_usize())),
            );
            // Leftmost first, then longest, then the first listed.
            found.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
            resume.iter_mut().for_each(|r| *r = 0);
            for &(start, end, pattern) in &found {
                let family = self.family_of[pattern];
                if start < resume[family] {
                    continue;
                }
                resume[family] = end;
                counts[family] += usize::from(!seen[pattern]);
                seen[pattern] = true;
            }
        }
        PhraseCounts { set: self, counts }
    }

    /// The counts in the Subject and visible text of `v`.
    pub fn distinct_in(&self, v: &MailView) -> PhraseCounts<'_> {
        self.distinct(&[v.subject.as_deref().unwrap_or(""), v.body_text()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BANDS: &[(usize, f64, &str)] = &[(3, 2.0, "T_MANY"), (2, 1.0, "T_SOME")];

    static TEST: PhraseFamily = PhraseFamily::new(
        "test phrases",
        &["not spam", "this is not spam", "act now", "urgent"],
        BANDS,
    );
    static OTHER: PhraseFamily =
        PhraseFamily::new("other", &["spam", "is not", "now u", "URGENT"], BANDS);

    fn distinct(texts: &[&str]) -> usize {
        PhraseSet::new(&[&TEST]).distinct(texts).of(&TEST)
    }

    #[test]
    fn distinct_phrases_are_counted_once_across_texts_and_case() {
        assert_eq!(distinct(&["URGENT urgent", "Urgent"]), 1);
        assert_eq!(distinct(&["urgent", "act now"]), 2);
        assert_eq!(distinct(&["", ""]), 0);
    }

    #[test]
    fn a_phrase_inside_a_longer_one_counts_as_the_longer() {
        assert_eq!(distinct(&["This is not spam."]), 1);
    }

    #[test]
    fn families_searched_together_do_not_hide_each_others_phrases() {
        let set = PhraseSet::new(&[&TEST, &OTHER]);
        let c = set.distinct(&["this is not spam, act now, urgently"]);
        assert_eq!(c.of(&TEST), 3);
        // "is not", "spam" and "URGENT" stand inside the other family's phrases.
        assert_eq!(c.of(&OTHER), 3);
        // Within one family the longer match still hides the one it overlaps: "now u"
        // takes the "u" of "urgently".
        assert_eq!(set.distinct(&["act now urgently"]).of(&OTHER), 1);
    }

    /// The counting as it was, one leftmost-longest search per family.
    fn one_family_at_a_time(family: &PhraseFamily, texts: &[&str]) -> usize {
        let matcher = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(family.phrases)
            .unwrap();
        let mut seen = vec![false; family.phrases.len()];
        let mut distinct = 0;
        for text in texts {
            for m in matcher.find_iter(text) {
                let s = &mut seen[m.pattern().as_usize()];
                distinct += usize::from(!*s);
                *s = true;
            }
        }
        distinct
    }

    static DUPLICATES: PhraseFamily =
        PhraseFamily::new("dups", &["act", "ACT", "act now", "now", "w u"], BANDS);

    proptest::proptest! {
        #[test]
        fn one_pass_counts_as_one_search_per_family(
            a in "(not |spam |this |is |act |now |urgent|URGENT |u|w |x)*",
            b in "(not |spam |this |is |act |now |urgent|URGENT |u|w |x)*",
        ) {
            let families = [&TEST, &OTHER, &DUPLICATES];
            let set = PhraseSet::new(&families);
            let counts = set.distinct(&[&a, &b]);
            for f in families {
                proptest::prop_assert_eq!(counts.of(f), one_family_at_a_time(f, &[&a, &b]));
            }
        }
    }

    #[test]
    fn the_rules_families_count_as_one_search_per_family_on_the_fixtures() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spam");
        let mut checked = 0;
        for sub in ["ham", "spam"] {
            for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
                let v = MailView::parse(&std::fs::read(entry.unwrap().path()).unwrap());
                let texts = [v.subject.as_deref().unwrap_or(""), v.body_text()];
                let counts = super::super::PHRASE_FAMILIES.distinct(&texts);
                for f in super::super::PHRASE_FAMILIES.families.iter() {
                    assert_eq!(counts.of(f), one_family_at_a_time(f, &texts));
                }
                checked += 1;
            }
        }
        assert!(checked > 200);
    }

    #[test]
    fn the_strongest_band_reached_is_the_hit() {
        let names = |raw: &str| {
            let mut hits = Vec::new();
            let v = MailView::parse(raw.as_bytes());
            TEST.hit(
                PhraseSet::new(&[&TEST]).distinct_in(&v).of(&TEST),
                &mut hits,
            );
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
