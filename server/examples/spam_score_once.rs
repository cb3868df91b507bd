//! Scores the eval-split fixtures `N` times (default 1) with the shipped model and prints a
//! checksum of the scores: a fixed amount of work for `valgrind --tool=callgrind`
//! (instructions per message = the `score_with_auth` total / messages scored).
//! `spam_score_once dump DIR...` prints every message's score and hits instead (sorted by
//! file name), to compare two builds message by message.

use server::domain::spam::{BayesModel, ScoreContext, Scorer};
use std::path::PathBuf;

fn main() {
    if std::env::args().nth(1).as_deref() == Some("dump") {
        return dump(std::env::args().skip(2));
    }
    let rounds: usize = std::env::args()
        .nth(1)
        .map_or(1, |a| a.parse().expect("rounds"));
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spam");
    let mut messages = Vec::new();
    for sub in ["ham", "spam"] {
        let mut paths: Vec<_> = std::fs::read_dir(dir.join(sub))
            .expect("fixtures present")
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        for p in paths {
            messages.push(std::fs::read(p).unwrap());
        }
    }
    let scorer = Scorer::new(BayesModel::shipped().expect("shipped model loads"));
    let ctx = ScoreContext::default();
    let mut sum = 0.0;
    let mut hits = 0usize;
    for _ in 0..rounds {
        for m in &messages {
            let r = scorer.score(m, &ctx);
            sum += r.score.points();
            hits += r.hits.len();
        }
    }
    println!(
        "{} messages scored, score sum {sum:.1}, hits {hits}",
        messages.len() * rounds
    );
}

fn dump(dirs: impl Iterator<Item = String>) {
    let scorer = Scorer::new(BayesModel::shipped().expect("shipped model loads"));
    let ctx = ScoreContext::default();
    for dir in dirs {
        let mut paths: Vec<PathBuf> = Vec::new();
        for sub in ["ham", "spam", "eml"] {
            if let Ok(rd) = std::fs::read_dir(PathBuf::from(&dir).join(sub)) {
                paths.extend(rd.map(|e| e.unwrap().path()));
            }
        }
        paths.sort();
        for p in paths {
            let raw = std::fs::read(&p).unwrap();
            let r = scorer.score(&raw, &ctx);
            println!("{} {:?} spam={}", p.display(), r.score.points(), r.spam);
            for h in &r.hits {
                println!("  {} {:?} {}", h.name, h.points, h.description);
            }
        }
    }
}
