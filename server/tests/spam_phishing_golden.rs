//! Golden tests for the phishing rule families: small messages written for the test in
//! `tests/fixtures/phishing-golden/` (see its README), each with the rules it must fire and
//! its verdict. A mismatch writes `NN-name.failed` beside the message with what it got.

use server::domain::spam::{BayesModel, ScoreContext, Scorer};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/phishing-golden")
}

#[derive(serde::Deserialize, serde::Serialize, PartialEq, Debug)]
struct Expected {
    rules: BTreeSet<String>,
    spam: bool,
}

#[test]
fn every_golden_message_fires_exactly_its_rules() {
    let scorer = Scorer::new(BayesModel::shipped().unwrap());
    let ctx = ScoreContext::default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort();
    assert!(files.len() >= 16, "{files:?}");
    let mut failed = Vec::new();
    for eml in &files {
        let raw = std::fs::read(eml).unwrap();
        let report = scorer.score(&raw, &ctx);
        let got = Expected {
            rules: report.hits.iter().map(|h| h.name.clone()).collect(),
            spam: report.spam,
        };
        let want: Expected =
            serde_json::from_str(&std::fs::read_to_string(eml.with_extension("json")).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", eml.display()));
        let failed_path = eml.with_extension("failed");
        if got == want {
            std::fs::remove_file(&failed_path).ok();
        } else {
            let mut text = serde_json::to_string_pretty(&got).unwrap();
            text.push_str(&format!("\nscore {}\n", report.score.points()));
            std::fs::write(&failed_path, text).unwrap();
            failed.push(format!(
                "{}: want {want:?}, got {got:?} (score {})",
                eml.file_name().unwrap().to_string_lossy(),
                report.score.points()
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// Each phishing rule family has at least one golden message that fires it.
#[test]
fn every_phishing_rule_has_a_golden_message() {
    let mut covered = BTreeSet::new();
    for entry in std::fs::read_dir(folder()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let e: Expected =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            covered.extend(e.rules);
        }
    }
    for rule in [
        "BRAND_IMPERSONATION",
        "FREEMAIL_REPLY_TO",
        "LINK_TEXT_MISMATCH",
        "RCPT_IN_SUBJECT",
        "RCPT_IN_URL_PATH",
        "FREE_HOSTING_LINK",
        "FREE_IMAGE_HOST",
        "HTML_ATTACHMENT",
        "PASSWORD_FORM",
        "LOOKALIKE_DOMAIN",
        "MIXED_SCRIPT_WORD",
        "INVISIBLE_CHARS",
        "BASE64_PLAIN_TEXT",
        "ACCOUNT_THREAT_MANY",
        "FROM_UNQUOTED_COMMA",
        "RCPT_GREETING",
        "FROM_APP_HOST",
        "FROM_DOMAIN_INVALID",
        "PRIZE_CLAIM_MANY",
        "GENERIC_GREETING",
        "BRAND_SIGNOFF",
        "FREEMAIL_REPLY_TO_OTHER",
        "PHISH_SIGNALS",
    ] {
        assert!(covered.contains(rule), "no golden message for {rule}");
    }
}

/// The classifier's "ham" verdict counts nothing when a phishing family fired, and counts in
/// full otherwise.
#[test]
fn a_phishing_signal_removes_the_classifier_s_ham_credit() {
    let scorer = Scorer::new(BayesModel::shipped().unwrap());
    let ctx = ScoreContext::default();
    let raw = std::fs::read_to_string(folder().join("01-brand-in-display-name.eml")).unwrap();
    let bayes = |raw: &str| {
        scorer
            .score(raw.as_bytes(), &ctx)
            .hits
            .into_iter()
            .find(|h| h.name.starts_with("BAYES_"))
            .unwrap()
    };
    let with_brand = bayes(&raw);
    assert_eq!(with_brand.points, 0.0, "{with_brand:?}");
    assert!(with_brand.description.contains("no ham credit"));
    let plain = raw.replace("Microsoft account team", "Account team");
    let without = bayes(&plain);
    assert!(without.points < -1.0, "{without:?}");
}
