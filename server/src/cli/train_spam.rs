//! `deliverdesk train-spam CORPUS_DIR`: trains the shipped token model on the train split of
//! a labelled corpus (`labels.tsv`: file, label ham|spam, group) and reports accuracy at
//! threshold 5 on the held-out evaluation split.

use crate::domain::spam::bayes::{BayesModel, BayesTrainer};
use crate::domain::spam::eval::{is_eval, Confusion};
use crate::domain::spam::{ScoreContext, Scorer};
use anyhow::{bail, Context};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// Tokens seen in fewer training messages than this are left out of the shipped model.
pub const MIN_TOKEN_MESSAGES: u32 = 2;

/// One row of `labels.tsv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorpusMessage {
    /// Path relative to the corpus folder, as written in `labels.tsv`.
    pub file: String,
    pub is_spam: bool,
    pub group: String,
}

impl CorpusMessage {
    pub fn is_eval(&self) -> bool {
        is_eval(&self.file)
    }
}

pub fn read_labels(corpus_dir: &Path) -> anyhow::Result<Vec<CorpusMessage>> {
    let path = corpus_dir.join("labels.tsv");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("Failed to read {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let cols: Vec<&str> = line.split('\t').collect();
        if i == 0 && cols.first() == Some(&"file") {
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let [file, label, rest @ ..] = cols.as_slice() else {
            bail!(
                "{}:{}: expected file<TAB>label<TAB>group",
                path.display(),
                i + 1
            );
        };
        let is_spam = match *label {
            "spam" => true,
            "ham" => false,
            other => bail!(
                "{}:{}: label {other:?} is neither ham nor spam",
                path.display(),
                i + 1
            ),
        };
        out.push(CorpusMessage {
            file: file.to_string(),
            is_spam,
            group: rest.first().unwrap_or(&"").to_string(),
        });
    }
    Ok(out)
}

fn read_message(corpus_dir: &Path, m: &CorpusMessage) -> anyhow::Result<Vec<u8>> {
    let path = corpus_dir.join(&m.file);
    std::fs::read(&path).with_context(|| format!("Failed to read {}", path.display()))
}

/// Trains a model on `messages`.
pub fn train(corpus_dir: &Path, messages: &[&CorpusMessage]) -> anyhow::Result<BayesModel> {
    let mut trainer = BayesTrainer::new();
    for m in messages {
        trainer.learn(&read_message(corpus_dir, m)?, m.is_spam);
    }
    Ok(trainer.build(MIN_TOKEN_MESSAGES))
}

/// Scores `messages` at the default threshold (5) with no history or account model and
/// writes overall and per-group figures to `log`.
pub fn evaluate(
    corpus_dir: &Path,
    scorer: &Scorer,
    messages: &[&CorpusMessage],
    log: &mut dyn Write,
) -> anyhow::Result<Confusion> {
    let ctx = ScoreContext::default();
    let mut all = Confusion::default();
    let mut groups: BTreeMap<&str, Confusion> = BTreeMap::new();
    for m in messages {
        let report = scorer.score(&read_message(corpus_dir, m)?, &ctx);
        all.record(m.is_spam, report.spam);
        groups
            .entry(&m.group)
            .or_default()
            .record(m.is_spam, report.spam);
    }
    writeln!(log, "  all: {}", all.summary())?;
    for (group, c) in &groups {
        let flagged = c.true_positives + c.false_positives;
        writeln!(log, "  {group}: {flagged}/{} flagged as spam", c.total())?;
    }
    Ok(all)
}

/// Full-corpus figures for a scorer (train and eval parts together: optimistic for the
/// train part, which the model has seen), with the eval part alone beside them.
pub fn report_full_corpus(
    corpus_dir: &Path,
    scorer: &Scorer,
    log: &mut dyn Write,
) -> anyhow::Result<(Confusion, Confusion)> {
    let labels = read_labels(corpus_dir)?;
    let all: Vec<&CorpusMessage> = labels.iter().collect();
    let eval: Vec<&CorpusMessage> = labels.iter().filter(|m| m.is_eval()).collect();
    writeln!(
        log,
        "full corpus ({} messages, includes the train split):",
        all.len()
    )?;
    let full = evaluate(corpus_dir, scorer, &all, log)?;
    writeln!(log, "eval split only ({} messages):", eval.len())?;
    let held_out = evaluate(corpus_dir, scorer, &eval, log)?;
    Ok((full, held_out))
}

pub fn run(corpus_dir: &Path, out_model: &Path, log: &mut dyn Write) -> anyhow::Result<()> {
    let labels = read_labels(corpus_dir)?;
    let (eval, train_set): (Vec<&CorpusMessage>, Vec<&CorpusMessage>) =
        labels.iter().partition(|m| m.is_eval());
    let count = |v: &[&CorpusMessage], spam: bool| v.iter().filter(|m| m.is_spam == spam).count();
    writeln!(
        log,
        "split (FNV-1a of the labels.tsv path mod 5 == 0 → eval): train {} ({} ham, {} spam), eval {} ({} ham, {} spam)",
        train_set.len(),
        count(&train_set, false),
        count(&train_set, true),
        eval.len(),
        count(&eval, false),
        count(&eval, true)
    )?;
    let model = train(corpus_dir, &train_set)?;
    let bytes = model.to_bytes();
    std::fs::write(out_model, &bytes)
        .with_context(|| format!("Failed to write {}", out_model.display()))?;
    writeln!(
        log,
        "model: {} tokens (seen in >= {MIN_TOKEN_MESSAGES} messages), {} bytes → {}",
        model.token_count(),
        bytes.len(),
        out_model.display()
    )?;
    writeln!(log, "eval split at threshold 5:")?;
    evaluate(corpus_dir, &Scorer::new(model), &eval, log)?;
    Ok(())
}
