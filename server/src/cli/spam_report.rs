//! `deliverdesk spam-report [DIR]...`: how the shipped scorer does on one or more labelled
//! corpora (`labels.tsv` + files), side by side: precision / recall / false positives at the
//! threshold, the eval split alone when the corpus has both classes, recall on the two halves
//! of the corpus by file-name hash (design on one, confirm on the other), the score
//! distribution per label, and the rules that fired most per label with their hit rates.

use super::train_spam::{read_labels, read_message, CorpusMessage};
use crate::domain::spam::eval::Confusion;
use crate::domain::spam::tokenizer::fnv1a;
use crate::domain::spam::{ScoreContext, Scorer};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// Upper bounds of the score histogram's buckets (the last bucket is open).
const BUCKETS: &[f64] = &[0.0, 2.0, 4.0, 5.0, 7.0, 10.0, 15.0];

/// Which half of a corpus a file is in: its `labels.tsv` path's FNV-1a hash, even or odd.
/// Rules are designed looking at the even half only; the odd half confirms they generalise.
pub fn is_design_half(corpus_path: &str) -> bool {
    fnv1a(corpus_path.as_bytes()).is_multiple_of(2)
}

/// What one corpus scored.
#[derive(Debug, Default)]
pub struct CorpusFigures {
    pub all: Confusion,
    /// Eval split only (the shipped model never saw it).
    pub eval: Confusion,
    /// Design half (hash even) and confirmation half (hash odd).
    pub halves: [Confusion; 2],
    /// Per label (false = ham, true = spam): messages per histogram bucket.
    pub histogram: [Vec<u32>; 2],
    /// Per label: how many messages each rule fired on.
    pub rule_hits: [BTreeMap<String, u32>; 2],
    pub messages: [u32; 2],
}

/// Scores every message of the corpus in `dir` with `scorer` at `ctx`'s threshold.
pub fn measure(dir: &Path, scorer: &Scorer, ctx: &ScoreContext) -> anyhow::Result<CorpusFigures> {
    let labels = read_labels(dir)?;
    let mut f = CorpusFigures {
        histogram: [vec![0; BUCKETS.len() + 1], vec![0; BUCKETS.len() + 1]],
        ..Default::default()
    };
    for m in &labels {
        let report = scorer.score(&read_message(dir, m)?, ctx);
        record(&mut f, m, report.spam, report.score.points());
        let label = m.is_spam as usize;
        for h in &report.hits {
            *f.rule_hits[label].entry(h.name.clone()).or_default() += 1;
        }
    }
    Ok(f)
}

fn record(f: &mut CorpusFigures, m: &CorpusMessage, flagged: bool, score: f64) {
    f.all.record(m.is_spam, flagged);
    if m.is_eval() {
        f.eval.record(m.is_spam, flagged);
    }
    f.halves[usize::from(!is_design_half(&m.file))].record(m.is_spam, flagged);
    let bucket = BUCKETS
        .iter()
        .position(|b| score < *b)
        .unwrap_or(BUCKETS.len());
    let label = m.is_spam as usize;
    f.histogram[label][bucket] += 1;
    f.messages[label] += 1;
}

/// Writes the report for every corpus in `dirs`; `top` rules per label are listed.
pub fn run(
    dirs: &[&Path],
    scorer: &Scorer,
    top: usize,
    log: &mut dyn Write,
) -> anyhow::Result<Vec<CorpusFigures>> {
    let ctx = ScoreContext::default();
    let mut all = Vec::new();
    for dir in dirs {
        let f = measure(dir, scorer, &ctx)?;
        write_figures(dir, &f, top, log)?;
        all.push(f);
    }
    Ok(all)
}

fn write_figures(
    dir: &Path,
    f: &CorpusFigures,
    top: usize,
    log: &mut dyn Write,
) -> anyhow::Result<()> {
    let [ham, spam] = f.messages;
    writeln!(
        log,
        "== {} ({} messages: {ham} ham, {spam} spam), threshold {}",
        dir.display(),
        ham + spam,
        ScoreContext::default().threshold.value()
    )?;
    writeln!(log, "  all:        {}", f.all.summary())?;
    if ham > 0 && spam > 0 {
        writeln!(log, "  eval split: {}", f.eval.summary())?;
    }
    for (name, c) in ["design half (hash even)", "confirm half (hash odd)"]
        .iter()
        .zip(&f.halves)
    {
        if spam > 0 {
            write!(log, "  {name}: recall {:.4}", c.recall())?;
        }
        if ham > 0 {
            write!(log, "  fp-rate {:.4}", c.false_positive_rate())?;
        }
        writeln!(log, " (n={})", c.total())?;
    }
    for (label, name) in [(0, "ham"), (1, "spam")] {
        let n = f.messages[label];
        if n == 0 {
            continue;
        }
        let mut line = format!("  {name} scores:");
        let mut lower = f64::NEG_INFINITY;
        for (i, count) in f.histogram[label].iter().enumerate() {
            let upper = BUCKETS.get(i).copied().unwrap_or(f64::INFINITY);
            let range = match (lower.is_finite(), upper.is_finite()) {
                (false, _) => format!("<{upper}"),
                (_, false) => format!(">={lower}"),
                _ => format!("{lower}..{upper}"),
            };
            line.push_str(&format!(" {range}: {count}"));
            lower = upper;
        }
        writeln!(log, "{line}")?;
        let mut rules: Vec<(&String, &u32)> = f.rule_hits[label].iter().collect();
        rules.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        writeln!(log, "  rules that fired most on {name} (messages, share):")?;
        for (rule, count) in rules.into_iter().take(top) {
            writeln!(
                log,
                "    {rule:<26} {count:>5}  {:>6.2}%",
                *count as f64 * 100.0 / n as f64
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_split_by_name_hash_about_evenly() {
        let even = (0..2000)
            .filter(|i| is_design_half(&format!("eml/sample-{i}.eml")))
            .count();
        assert!((900..1100).contains(&even), "{even}");
    }
}
