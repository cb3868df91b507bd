//! `deliverdesk train-spam CORPUS_DIR`: trains the shipped token model on the train split of
//! a labelled corpus (`labels.tsv`: file, label ham|spam, group) and reports accuracy at
//! threshold 5 on the held-out evaluation split.

use crate::domain::spam::bayes::{BayesModel, BayesTrainer};
use crate::domain::spam::eval::{cv_fold, is_eval, Confusion};
use crate::domain::spam::message::MailView;
use crate::domain::spam::{tokenizer, ScoreContext, ScoreReport, Scorer};
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

/// The raw bytes of one labelled message.
pub fn read_message(corpus_dir: &Path, m: &CorpusMessage) -> anyhow::Result<Vec<u8>> {
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

/// One train-split message scored by a model that did not see it (k-fold cross-validation).
#[derive(Debug, Clone)]
pub struct CvRow {
    pub file: String,
    pub is_spam: bool,
    pub fold: u32,
    /// The token classifier's spam probability (naive Bayes and regression combined), when
    /// the fold's model has both classes.
    pub bayes: Option<f64>,
    pub report: ScoreReport,
}

/// k-fold cross-validation on the *train* split only (the eval split is never read): each
/// fold is scored by a model trained on the other folds. This is what rule points and
/// tokenizer changes are judged on, so the eval split stays a fair test.
pub fn cross_validate(corpus_dir: &Path, folds: u32) -> anyhow::Result<Vec<CvRow>> {
    let labels = read_labels(corpus_dir)?;
    let train_set: Vec<&CorpusMessage> = labels.iter().filter(|m| !m.is_eval()).collect();
    let raws = train_set
        .iter()
        .map(|m| read_message(corpus_dir, m))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let tokens: Vec<_> = raws
        .iter()
        .map(|r| tokenizer::tokens(&MailView::parse(r)))
        .collect();
    let fold_of: Vec<u32> = train_set.iter().map(|m| cv_fold(&m.file, folds)).collect();
    let ctx = ScoreContext::default();
    let mut rows = Vec::with_capacity(train_set.len());
    for fold in 0..folds.max(1) {
        let mut trainer = BayesTrainer::new();
        for (i, m) in train_set.iter().enumerate() {
            if fold_of[i] != fold {
                trainer.learn_tokens(&tokens[i], m.is_spam);
            }
        }
        let scorer = Scorer::new(trainer.build(MIN_TOKEN_MESSAGES));
        for (i, m) in train_set.iter().enumerate() {
            if fold_of[i] == fold {
                rows.push(CvRow {
                    file: m.file.clone(),
                    is_spam: m.is_spam,
                    fold,
                    bayes: scorer.model().spam_probability(&tokens[i], None),
                    report: scorer.score(&raws[i], &ctx),
                });
            }
        }
    }
    Ok(rows)
}

/// `deliverdesk spam-cv`: cross-validated figures on the train split, and optionally every
/// row as TSV (file, label, fold, bayes probability, score, `NAME=points` hits separated by
/// `;`) for fitting rule points.
pub fn run_cv(
    corpus_dir: &Path,
    folds: u32,
    rows_out: Option<&Path>,
    log: &mut dyn Write,
) -> anyhow::Result<Confusion> {
    let rows = cross_validate(corpus_dir, folds)?;
    let mut all = Confusion::default();
    for r in &rows {
        all.record(r.is_spam, r.report.spam);
    }
    writeln!(
        log,
        "{folds}-fold cross-validation on the train split ({} messages), threshold 5:\n  {}",
        rows.len(),
        all.summary()
    )?;
    let mut missed: BTreeMap<&str, u32> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.is_spam && !r.report.spam) {
        let band = r
            .report
            .hits
            .iter()
            .find(|h| h.name.starts_with("BAYES_"))
            .map_or("no BAYES", |h| h.name.as_str());
        *missed.entry(band).or_default() += 1;
    }
    writeln!(log, "  missed spam by classifier band: {missed:?}")?;
    if let Some(path) = rows_out {
        let mut out = String::from("file\tlabel\tfold\tbayes\tscore\thits\n");
        for r in &rows {
            let hits: Vec<String> = r
                .report
                .hits
                .iter()
                .map(|h| format!("{}={}", h.name, h.points))
                .collect();
            out.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\n",
                r.file,
                if r.is_spam { "spam" } else { "ham" },
                r.fold,
                r.bayes.map_or(String::new(), |p| format!("{p:.6}")),
                r.report.score.points(),
                hits.join(";")
            ));
        }
        std::fs::write(path, out).with_context(|| format!("Failed to write {}", path.display()))?;
        writeln!(log, "  rows → {}", path.display())?;
    }
    Ok(all)
}
