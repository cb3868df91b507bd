//! The `score` and `train-spam` commands on fixture messages.

use server::cli::{score, spam_report, train_spam};
use server::domain::spam::{BayesModel, Threshold};
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spam")
}

/// The fixtures are all eval-split messages under their own names; listing them by absolute
/// path in a new `labels.tsv` gives a tiny corpus whose split has both a train and an eval
/// part. Returns its folder (under the temporary directory, named `name`-pid).
fn fixture_corpus(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut labels = String::from("file\tlabel\tgroup\n");
    for m in train_spam::read_labels(&fixtures()).unwrap() {
        let label = if m.is_spam { "spam" } else { "ham" };
        let path = fixtures().join(&m.file);
        labels.push_str(&format!("{}\t{label}\t{}\n", path.display(), m.group));
    }
    std::fs::write(dir.join("labels.tsv"), labels).unwrap();
    dir
}

#[test]
fn score_prints_one_json_line_per_message() {
    let files = vec![
        fixtures().join("spam/spam-2-00089-1235261e1b2063edce03a18d06c11474.eml"),
        fixtures().join("ham/easy-ham-1-00024-59c2cb781c60594315241e2b50ea70e2.eml"),
    ];
    let mut out = Vec::new();
    score::run(&files, Threshold::default(), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0]["file"]
        .as_str()
        .unwrap()
        .ends_with("spam-2-00089-1235261e1b2063edce03a18d06c11474.eml"));
    assert_eq!(lines[0]["spam"], true);
    assert_eq!(lines[1]["spam"], false);
    let rules = lines[0]["rules"].as_array().unwrap();
    let sum: f64 = rules.iter().map(|r| r["points"].as_f64().unwrap()).sum();
    assert!((sum - lines[0]["score"].as_f64().unwrap()).abs() < 1e-6);
    assert!(rules
        .iter()
        .all(|r| r["name"].is_string() && r.as_object().unwrap().len() == 2));
}

#[test]
fn score_threshold_zero_marks_nothing_as_spam() {
    let mut out = Vec::new();
    score::run(&[fixtures().join("spam")], Threshold::OFF, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.lines().count() > 100);
    assert!(text.lines().all(|l| l.contains("\"spam\":false")));
}

#[test]
fn score_reports_a_missing_file() {
    let err = score::run(
        &[PathBuf::from("/nonexistent/x.eml")],
        Threshold::default(),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(format!("{err:#}").contains("/nonexistent/x.eml"));
}

#[test]
fn train_spam_writes_a_loadable_model_and_reports_the_split() {
    let dir = fixture_corpus("dd-train");
    let model_path = dir.join("model.bin");
    let mut log = Vec::new();
    train_spam::run(&dir, &model_path, &mut log).unwrap();
    let log = String::from_utf8(log).unwrap();
    assert!(
        log.contains("split") && log.contains("train") && log.contains("eval"),
        "{log}"
    );
    assert!(log.contains("precision="), "{log}");
    let model = BayesModel::from_bytes(&std::fs::read(&model_path).unwrap()).unwrap();
    assert!(
        model.spam_messages() > 50 && model.ham_messages() > 50,
        "{log}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn train_spam_rejects_a_bad_label() {
    let dir = std::env::temp_dir().join(format!("dd-badlabels-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("labels.tsv"),
        "file\tlabel\tgroup\nx.eml\tmaybe\tg\n",
    )
    .unwrap();
    let err = train_spam::run(&dir, &dir.join("m.bin"), &mut Vec::new()).unwrap_err();
    assert!(err.to_string().contains("neither ham nor spam"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn spam_cv_scores_every_train_message_once_by_a_model_that_did_not_see_it() {
    let dir = fixture_corpus("dd-cv");
    let corpus = train_spam::read_labels(&dir).unwrap();
    let train: Vec<_> = corpus.iter().filter(|m| !m.is_eval()).collect();
    assert!(train.len() > 100 && train.len() < corpus.len());

    let rows = train_spam::cross_validate(&dir, 5).unwrap();
    assert_eq!(rows.len(), train.len(), "each train message exactly once");
    let mut files: Vec<&str> = rows.iter().map(|r| r.file.as_str()).collect();
    files.sort_unstable();
    files.dedup();
    assert_eq!(files.len(), train.len());
    assert!(rows.iter().all(|r| r.fold < 5));
    assert!(rows
        .iter()
        .all(|r| !server::domain::spam::eval::is_eval(&r.file)));
    // Trained on four fifths of ~220 messages, the classifier still separates them.
    let flagged_spam = rows.iter().filter(|r| r.is_spam && r.report.spam).count();
    let spam = rows.iter().filter(|r| r.is_spam).count();
    assert!(flagged_spam * 10 >= spam * 8, "{flagged_spam}/{spam}");

    let out = dir.join("rows.tsv");
    let mut log = Vec::new();
    let c = train_spam::run_cv(&dir, 5, Some(&out), &mut log).unwrap();
    assert_eq!(c.total() as usize, train.len());
    let tsv = std::fs::read_to_string(&out).unwrap();
    assert_eq!(tsv.lines().count(), train.len() + 1);
    assert!(tsv.starts_with("file\tlabel\tfold\tbayes\tscore\thits\n"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn spam_report_puts_corpora_side_by_side_with_halves_scores_and_top_rules() {
    // The fixtures, and a spam-only corpus made of the fixtures' spam (as the phishing corpus
    // is): listed by absolute path in its own labels.tsv.
    let phish = std::env::temp_dir().join(format!("dd-report-phish-{}", std::process::id()));
    std::fs::create_dir_all(&phish).unwrap();
    let mut labels = String::from("file\tlabel\tgroup\n");
    for m in train_spam::read_labels(&fixtures()).unwrap() {
        if m.is_spam {
            labels.push_str(&format!(
                "{}\tspam\tphishing\n",
                fixtures().join(&m.file).display()
            ));
        }
    }
    std::fs::write(phish.join("labels.tsv"), labels).unwrap();
    let scorer = server::domain::spam::Scorer::new(BayesModel::shipped().unwrap());
    let mut out = Vec::new();
    let figures = spam_report::run(
        &[fixtures().as_path(), phish.as_path()],
        &scorer,
        5,
        &mut out,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(figures.len(), 2);
    assert_eq!(text.matches("== ").count(), 2, "{text}");
    assert!(text.contains("eval split:"), "{text}");
    assert!(text.contains("design half (hash even): recall"), "{text}");
    assert!(text.contains("confirm half (hash odd): recall"), "{text}");
    assert!(text.contains("spam scores: <0:"), "{text}");
    assert!(text.contains("rules that fired most on spam"), "{text}");
    // The spam-only corpus: no ham lines, recall of its own, halves that add up.
    let [ham, spam] = figures[1].messages;
    assert_eq!(ham, 0);
    assert!(spam > 100);
    assert_eq!(
        figures[1].halves[0].total() + figures[1].halves[1].total(),
        spam
    );
    assert_eq!(figures[1].all.true_positives, figures[0].all.true_positives);
    // At most 5 rules listed per label.
    let listed = text
        .lines()
        .skip_while(|l| !l.contains("rules that fired most on spam"))
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .count();
    assert_eq!(listed, 5, "{text}");
    std::fs::remove_dir_all(&phish).ok();
}
