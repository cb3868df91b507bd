//! The train/evaluation split and accuracy figures used by `deliverdesk train-spam`, the
//! accuracy test and the benchmark. Pure: callers read the files.

use super::tokenizer::fnv1a;
use serde::Serialize;

/// Every fifth message (by a hash of its corpus path, e.g. `spam/spam-2-00042-….eml`) is
/// held out for evaluation: deterministic, independent of file order, about 80/20.
pub fn is_eval(corpus_path: &str) -> bool {
    fnv1a(corpus_path.as_bytes()).is_multiple_of(5)
}

/// The cross-validation fold (0..`folds`) of a train-split message: the same path hash as
/// [`is_eval`], divided by 5 first so the folds do not depend on the eval split's residue.
/// `folds` of 0 is treated as 1.
pub fn cv_fold(corpus_path: &str, folds: u32) -> u32 {
    (fnv1a(corpus_path.as_bytes()) / 5) % folds.max(1)
}

/// Counts of verdicts against labels, spam being the positive class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    pub true_positives: u32,
    pub false_positives: u32,
    pub true_negatives: u32,
    pub false_negatives: u32,
}

impl Confusion {
    pub fn record(&mut self, is_spam: bool, flagged: bool) {
        match (is_spam, flagged) {
            (true, true) => self.true_positives += 1,
            (false, true) => self.false_positives += 1,
            (false, false) => self.true_negatives += 1,
            (true, false) => self.false_negatives += 1,
        }
    }

    pub fn total(&self) -> u32 {
        self.true_positives + self.false_positives + self.true_negatives + self.false_negatives
    }

    /// Of the mail flagged, how much was spam (1 when nothing was flagged).
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// Of the spam, how much was flagged (1 when there was no spam).
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    /// Of the ham, how much was wrongly flagged (0 when there was no ham).
    pub fn false_positive_rate(&self) -> f64 {
        1.0 - ratio(
            self.true_negatives,
            self.true_negatives + self.false_positives,
        )
    }

    pub fn summary(&self) -> String {
        format!(
            "n={} tp={} fp={} tn={} fn={} precision={:.4} recall={:.4} fp-rate={:.4}",
            self.total(),
            self.true_positives,
            self.false_positives,
            self.true_negatives,
            self.false_negatives,
            self.precision(),
            self.recall(),
            self.false_positive_rate()
        )
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_deterministic_and_about_a_fifth() {
        let names: Vec<String> = (0..5000)
            .map(|i| format!("ham/easy-ham-1-{i:05}.eml"))
            .collect();
        let eval = names.iter().filter(|n| is_eval(n)).count();
        assert!((800..1200).contains(&eval), "{eval}");
        assert_eq!(is_eval("spam/x.eml"), is_eval("spam/x.eml"));
    }

    #[test]
    fn folds_are_balanced_and_in_range() {
        let mut sizes = [0u32; 5];
        for i in 0..5000 {
            let name = format!("spam/spam-2-{i:05}.eml");
            if !is_eval(&name) {
                sizes[cv_fold(&name, 5) as usize] += 1;
            }
        }
        for s in sizes {
            assert!((700..900).contains(&s), "{sizes:?}");
        }
        assert_eq!(cv_fold("a", 0), 0);
    }

    #[test]
    fn metrics_follow_their_definitions() {
        let mut c = Confusion::default();
        for _ in 0..9 {
            c.record(true, true);
        }
        c.record(true, false);
        c.record(false, true);
        for _ in 0..9 {
            c.record(false, false);
        }
        assert_eq!(c.precision(), 0.9);
        assert_eq!(c.recall(), 0.9);
        assert!((c.false_positive_rate() - 0.1).abs() < 1e-12);
        assert_eq!(Confusion::default().precision(), 1.0);
    }
}
