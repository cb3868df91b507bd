//! `deliverdesk score PATH... [--threshold N]`: one JSON line per message,
//! `{"file","score","spam","rules":[{"name","points"}]}`. A folder stands for the files in it.

use crate::domain::spam::{BayesModel, ScoreContext, Scorer, Threshold};
use anyhow::Context;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Serialize)]
struct Line<'a> {
    file: &'a str,
    score: f64,
    spam: bool,
    rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
struct Rule<'a> {
    name: &'a str,
    points: f64,
}

pub fn run(paths: &[PathBuf], threshold: Threshold, out: &mut dyn Write) -> anyhow::Result<()> {
    let scorer =
        Scorer::new(BayesModel::shipped().context("Failed to load the shipped spam model")?);
    let ctx = ScoreContext {
        threshold,
        ..ScoreContext::default()
    };
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files)?;
    }
    for file in files {
        let raw =
            std::fs::read(&file).with_context(|| format!("Failed to read {}", file.display()))?;
        let report = scorer.score(&raw, &ctx);
        let line = Line {
            file: &file.to_string_lossy(),
            score: report.score.points(),
            spam: report.spam,
            rules: report
                .hits
                .iter()
                .map(|h| Rule {
                    name: &h.name,
                    points: h.points,
                })
                .collect(),
        };
        serde_json::to_writer(&mut *out, &line)?;
        writeln!(out)?;
    }
    Ok(())
}

fn collect(path: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("Failed to list {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            if e.is_file() {
                files.push(e);
            }
        }
    } else {
        files.push(path.to_path_buf());
    }
    Ok(())
}
