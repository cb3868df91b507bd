//! `deliverdesk classify-bounce PATH...` and `deliverdesk bounce-report [DIR...]`.
//!
//! `classify-bounce` prints one JSON object per line per recipient and nothing else on
//! stdout. `bounce-report` measures the classifier against labelled corpora (`labels.tsv`
//! and `eml/` each, the layout of Sisimai's set-of-emails): per corpus its rows, category and
//! reason agreement, false hard bounces, the confusion matrix and every miss.
//!
//! A *false hard bounce* is a row whose label is not `hard_bounce` but which we read as
//! one: the costliest mistake, since a hard bounce suppresses the address for good.
//!
//! The corpus label `other` ("not a bounce, delivered, on hold, undetermined, opt-out or
//! DMARC-failure reports") has no single category of ours; it agrees with any of
//! `delivered`, `unsubscribe`, `not_bounce` and `unclassified` — every category that is
//! neither a failure to deliver, a complaint nor an auto-reply.

use crate::domain::bounce::{classify_message, ClassifyError, Verdict};
use crate::domain::category::Category;
use anyhow::Context;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One output line of `classify-bounce`.
#[derive(Debug, Serialize)]
struct Line<'a> {
    file: &'a str,
    category: Category,
    reason: &'a str,
    status: Option<String>,
    reply_code: Option<u16>,
    recipient: Option<&'a str>,
    diagnostic: Option<&'a str>,
    rule: &'a str,
}

/// Files to read for `paths`: files as given, directories walked recursively for `.eml`
/// files, each directory's files sorted by name.
pub(crate) fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("Failed to read directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            walk(&e, out)?;
        } else if e
            .extension()
            .map(|x| x.eq_ignore_ascii_case("eml"))
            .unwrap_or(false)
        {
            out.push(e);
        }
    }
    Ok(())
}

/// Classifies one raw message into verdicts; an oversized file becomes one `unclassified`
/// verdict whose diagnostic says why (kept, never dropped).
/// The messages of an mbox file (RFC 4155: each starts with a `From ` line, after a blank
/// line but the first). A file that does not start with `From ` is one message.
fn mbox_messages(raw: &[u8]) -> Vec<&[u8]> {
    let start = raw
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
        .unwrap_or(raw.len());
    if !raw[start..].starts_with(b"From ") {
        return vec![raw];
    }
    let mut cuts = vec![start];
    for i in memchr::memmem::find_iter(&raw[start..], b"\nFrom ").map(|i| start + i + 1) {
        let before = &raw[..i - 1];
        if before.ends_with(b"\n") || before.ends_with(b"\n\r") {
            cuts.push(i);
        }
    }
    cuts.push(raw.len());
    cuts.windows(2).map(|w| &raw[w[0]..w[1]]).collect()
}

/// Every verdict of a file: its first message's, then those of any further message of an
/// mbox file that is itself a notice (an original pasted after an unescaped `From ` line
/// is not one, and adds nothing).
pub(crate) fn verdicts_for(raw: &[u8]) -> Vec<Verdict> {
    let messages = mbox_messages(raw);
    let mut out = verdicts_of_message(messages[0]);
    for m in &messages[1..] {
        let more = verdicts_of_message(m);
        if more
            .iter()
            .any(|v| v.recipient.is_some() && v.reason != crate::domain::bounce::Reason::None)
        {
            out.extend(more);
        }
    }
    out
}

fn verdicts_of_message(raw: &[u8]) -> Vec<Verdict> {
    match classify_message(raw) {
        Ok(c) => c.verdicts,
        Err(e @ ClassifyError::TooLarge { .. }) => {
            let mut v = Verdict::new(
                crate::domain::bounce::Reason::Undefined,
                "input.too-large",
                "message size",
            );
            v.category = Category::Unclassified;
            v.diagnostic = Some(e.to_string());
            vec![v]
        }
    }
}

/// `deliverdesk classify-bounce PATH...`
pub fn run(paths: &[PathBuf], out: &mut dyn Write) -> anyhow::Result<()> {
    for file in collect(paths)? {
        let raw =
            std::fs::read(&file).with_context(|| format!("Failed to read {}", file.display()))?;
        let name = file.display().to_string();
        for v in verdicts_for(&raw) {
            let line = Line {
                file: &name,
                category: v.category,
                reason: v.reason.as_str(),
                status: v.status.map(|s| s.to_string()),
                reply_code: v.reply_code,
                recipient: v.recipient.as_deref(),
                diagnostic: v.diagnostic.as_deref(),
                rule: &v.evidence.rule,
            };
            serde_json::to_writer(&mut *out, &line).context("Failed to write JSON")?;
            out.write_all(b"\n").context("Failed to write output")?;
        }
    }
    Ok(())
}

/// One label row the classifier disagreed with.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub file: String,
    pub recipient: String,
    pub expected_category: String,
    pub expected_reason: String,
    pub got_category: String,
    pub got_reason: String,
    pub rule: String,
    pub diagnostic: String,
}

/// What `bounce-report` measured.
#[derive(Debug, Clone, Serialize)]
pub struct ReportSummary {
    pub rows: usize,
    pub category_matches: usize,
    pub reason_matches: usize,
    /// Percentages, 0–100.
    pub category_agreement: f64,
    pub reason_agreement: f64,
    /// Rows labelled anything but `hard_bounce` that we read as `hard_bounce`.
    pub false_hard: usize,
    /// `false_hard` as a percentage of `rows`.
    pub false_hard_rate: f64,
    pub misses: Vec<Miss>,
}

/// The corpus's name for one of our categories (see the module note on `other`).
pub fn corpus_category(c: Category) -> &'static str {
    match c {
        Category::Delivered
        | Category::Unsubscribe
        | Category::NotBounce
        | Category::Unclassified => "other",
        c => c.as_str(),
    }
}

struct LabelRow {
    file: String,
    index: usize,
    reason: String,
    category: String,
    recipient: String,
}

fn read_labels(path: &Path) -> anyhow::Result<Vec<LabelRow>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("Failed to read {}", path.display()))?;
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if n == 0 || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        anyhow::ensure!(
            cols.len() >= 7,
            "{}:{}: expected 8 columns",
            path.display(),
            n + 1
        );
        rows.push(LabelRow {
            file: cols[0].to_string(),
            index: cols[1].parse().unwrap_or(1),
            reason: cols[2].to_string(),
            category: cols[3].to_string(),
            // Read as an address: Sisimai's output sometimes keeps a `smtp:` prefix, a
            // trailing quote or dots (`smtp:a@b.example`, `a@b.example'`).
            recipient: crate::domain::bounce::text_patterns::normalise_address(cols[6])
                .unwrap_or_else(|| cols[6].trim().to_lowercase()),
        });
    }
    Ok(rows)
}

/// The verdict a label row is about: same recipient (lower-cased); else, for a row without
/// an address or a verdict without one, the verdict at the row's position.
fn matching<'v>(row: &LabelRow, verdicts: &'v [Verdict]) -> Option<&'v Verdict> {
    if let Some(v) = verdicts.iter().find(|v| {
        !row.recipient.is_empty() && v.recipient.as_deref() == Some(row.recipient.as_str())
    }) {
        return Some(v);
    }
    let at = verdicts
        .get(row.index.saturating_sub(1))
        .or(verdicts.first())?;
    (row.recipient.is_empty() || at.recipient.is_none()).then_some(at)
}

/// `deliverdesk bounce-report DIR...`: [`report`] for each corpus in turn, then one line per
/// corpus with its figures. With `summary_only`, the figures alone (no matrix, no misses):
/// for confirming a change on a corpus without reading its misses first.
pub fn report_many(
    corpus_dirs: &[PathBuf],
    summary_only: bool,
    out: &mut dyn Write,
) -> anyhow::Result<Vec<ReportSummary>> {
    let mut all = Vec::new();
    for dir in corpus_dirs {
        writeln!(out, "== {} ==", dir.display())?;
        let s = if summary_only {
            report(dir, &mut std::io::sink())?
        } else {
            report(dir, out)?
        };
        if summary_only {
            write_figures(&s, out)?;
        }
        writeln!(out)?;
        all.push(s);
    }
    writeln!(
        out,
        "{:<40} {:>5} {:>9} {:>9} {:>11}",
        "corpus", "rows", "category", "reason", "false hard"
    )?;
    for (dir, s) in corpus_dirs.iter().zip(&all) {
        writeln!(
            out,
            "{:<40} {:>5} {:>8.2}% {:>8.2}% {:>4} {:>5.2}%",
            dir.display(),
            s.rows,
            s.category_agreement,
            s.reason_agreement,
            s.false_hard,
            s.false_hard_rate
        )?;
    }
    Ok(all)
}

fn write_figures(s: &ReportSummary, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "rows: {}", s.rows)?;
    writeln!(
        out,
        "category agreement: {}/{} = {:.2} %",
        s.category_matches, s.rows, s.category_agreement
    )?;
    writeln!(
        out,
        "reason agreement:   {}/{} = {:.2} %",
        s.reason_matches, s.rows, s.reason_agreement
    )?;
    writeln!(
        out,
        "false hard bounces: {}/{} = {:.2} %",
        s.false_hard, s.rows, s.false_hard_rate
    )
}

/// One corpus: per label row (file, recipient), category and reason agreement, false hard
/// bounces, a confusion matrix (rows: label, columns: ours) and every miss.
pub fn report(corpus_dir: &Path, out: &mut dyn Write) -> anyhow::Result<ReportSummary> {
    let rows = read_labels(&corpus_dir.join("labels.tsv"))?;
    let mut cache: BTreeMap<String, Vec<Verdict>> = BTreeMap::new();
    let mut matrix: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut labels_seen: Vec<String> = Vec::new();
    let mut got_seen: Vec<String> = Vec::new();
    let (mut cat_ok, mut reason_ok, mut false_hard) = (0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    for row in &rows {
        if !cache.contains_key(&row.file) {
            let path = corpus_dir.join("eml").join(&row.file);
            let raw = std::fs::read(&path)
                .with_context(|| format!("Failed to read {}", path.display()))?;
            cache.insert(row.file.clone(), verdicts_for(&raw));
        }
        let verdicts = &cache[&row.file];
        let mut diagnostic = String::new();
        let (got_cat, got_reason, rule) = match matching(row, verdicts) {
            Some(v) => {
                diagnostic = v.diagnostic.clone().unwrap_or_default();
                (
                    corpus_category(v.category).to_string(),
                    v.reason.as_str().to_string(),
                    v.evidence.rule.clone(),
                )
            }
            None => (
                "(no verdict)".to_string(),
                "(no verdict)".to_string(),
                format!(
                    "recipients: {}",
                    verdicts
                        .iter()
                        .map(|v| v.recipient.as_deref().unwrap_or("-"))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            ),
        };
        let c = got_cat == row.category;
        let r = got_reason == row.reason;
        cat_ok += c as usize;
        reason_ok += r as usize;
        false_hard += (got_cat == "hard_bounce" && row.category != "hard_bounce") as usize;
        *matrix
            .entry((row.category.clone(), got_cat.clone()))
            .or_default() += 1;
        if !labels_seen.contains(&row.category) {
            labels_seen.push(row.category.clone());
        }
        if !got_seen.contains(&got_cat) {
            got_seen.push(got_cat.clone());
        }
        if !(c && r) {
            misses.push(Miss {
                file: row.file.clone(),
                recipient: row.recipient.clone(),
                expected_category: row.category.clone(),
                expected_reason: row.reason.clone(),
                got_category: got_cat,
                got_reason,
                rule,
                diagnostic,
            });
        }
    }
    let n = rows.len().max(1);
    let summary = ReportSummary {
        rows: rows.len(),
        category_matches: cat_ok,
        reason_matches: reason_ok,
        category_agreement: 100.0 * cat_ok as f64 / n as f64,
        reason_agreement: 100.0 * reason_ok as f64 / n as f64,
        false_hard,
        false_hard_rate: 100.0 * false_hard as f64 / n as f64,
        misses,
    };
    labels_seen.sort();
    got_seen.sort();
    write_figures(&summary, out)?;
    writeln!(out, "\nconfusion matrix (rows: label, columns: classifier)")?;
    write!(out, "{:<24}", "")?;
    for g in &got_seen {
        write!(out, " {:>21}", shorten(g))?;
    }
    writeln!(out)?;
    for l in &labels_seen {
        write!(out, "{:<24}", l)?;
        for g in &got_seen {
            let v = matrix.get(&(l.clone(), g.clone())).copied().unwrap_or(0);
            write!(out, " {:>21}", v)?;
        }
        writeln!(out)?;
    }
    writeln!(out, "\nmisses ({}):", summary.misses.len())?;
    for m in &summary.misses {
        writeln!(
            out,
            "{}\t{}\texpected {}/{}\tgot {}/{}\t{}\t{}",
            m.file,
            m.recipient,
            m.expected_category,
            m.expected_reason,
            m.got_category,
            m.got_reason,
            m.rule,
            text_patterns_truncate(&m.diagnostic)
        )?;
    }
    Ok(summary)
}

fn text_patterns_truncate(s: &str) -> String {
    crate::domain::bounce::text_patterns::truncate_chars(s, 160)
}

fn shorten(s: &str) -> String {
    s.chars().take(21).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_bounce_prints_one_json_line_per_recipient_and_file_as_given() {
        let dir = std::env::temp_dir().join(format!("dd-cb-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(
            dir.join("sub/a.eml"),
            b"From: a@b.example\r\nTo: c@d.example\r\nSubject: hi\r\n\r\nhello\r\n",
        )
        .unwrap();
        std::fs::write(dir.join("ignored.txt"), b"x").unwrap();
        let mut out = Vec::new();
        run(std::slice::from_ref(&dir), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{text}");
        let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(v["category"], "not_bounce");
        assert_eq!(
            v["file"],
            dir.join("sub").join("a.eml").display().to_string()
        );
        for k in [
            "file",
            "category",
            "reason",
            "status",
            "reply_code",
            "recipient",
            "diagnostic",
            "rule",
        ] {
            assert!(v.get(k).is_some(), "missing {k}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn corpus_summary() -> (ReportSummary, String) {
        let dir = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/bounces"
        ));
        let mut out = Vec::new();
        let s = report(dir, &mut out).unwrap();
        assert!(s.rows >= 400, "only {} label rows", s.rows);
        (s, String::from_utf8_lossy(&out).into_owned())
    }

    /// Regression guard just under the level measured (97.4 % category, 94.4 % reason on
    /// real bounces labelled by Sisimai's maintainers): a change that loses ground fails
    /// here, with the full report (confusion matrix, every miss) in the message.
    #[test]
    fn corpus_agreement_does_not_regress() {
        let (s, text) = corpus_summary();
        assert!(
            s.category_agreement >= 97.0,
            "category agreement {:.2} % < 97 %\n{text}",
            s.category_agreement
        );
        assert!(
            s.reason_agreement >= 93.5,
            "reason agreement {:.2} % < 93.5 %\n{text}",
            s.reason_agreement
        );
    }

    /// The issue's goal: 97 % category agreement (97.4 % measured).
    #[test]
    fn corpus_category_agreement_meets_the_issue_goal() {
        let (s, text) = corpus_summary();
        assert!(
            s.category_agreement >= 97.0,
            "category agreement {:.2} % < 97 %\n{text}",
            s.category_agreement
        );
    }

    fn fixture_summary(name: &str) -> (ReportSummary, String) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        let mut out = Vec::new();
        let s = report(&dir, &mut out).unwrap();
        (s, String::from_utf8_lossy(&out).into_owned())
    }

    /// The most false hard bounces a corpus may have: a share of its rows, or a count of
    /// rows whose labels are believed wrong.
    enum FalseHard {
        Rate(f64),
        Rows(usize),
    }

    /// Asserts a fixture corpus's floors: label rows, category and reason agreement, false
    /// hard bounces; a failure prints the whole report.
    fn assert_floors(name: &str, min_rows: usize, category: f64, reason: f64, hard: FalseHard) {
        let (s, text) = fixture_summary(name);
        assert!(s.rows >= min_rows, "{name}: only {} label rows", s.rows);
        assert!(
            s.category_agreement >= category,
            "{name}: category agreement {:.2} % < {category} %\n{text}",
            s.category_agreement
        );
        assert!(
            s.reason_agreement >= reason,
            "{name}: reason agreement {:.2} % < {reason} %\n{text}",
            s.reason_agreement
        );
        match hard {
            FalseHard::Rate(max) => assert!(
                s.false_hard_rate <= max,
                "{name}: false hard bounces {:.2} % > {max} %\n{text}",
                s.false_hard_rate
            ),
            FalseHard::Rows(max) => assert!(
                s.false_hard <= max,
                "{name}: {} false hard bounces > {max}\n{text}",
                s.false_hard
            ),
        }
    }

    /// Floors on both labelled corpora, with the real classifier over the real files, just
    /// under the levels reached (Sisimai's set 97.85 % category / 96.56 % reason, Mailman's
    /// 91.67 % / 86.36 %), and at most 0.5 % of rows read as a hard bounce when the label
    /// says otherwise, on each. The issue's goal for Mailman's set is 95 %; 9 of its 132
    /// rows are out of reach (labels naming addresses quoted in prose, a delay warning, an
    /// X.400 relay refusal labelled `onhold`; see the branch report).
    #[test]
    fn both_fixture_corpora_meet_their_category_and_false_hard_floors() {
        assert_floors("bounces", 400, 97.8, 96.5, FalseHard::Rate(0.5));
        assert_floors("bounces-mailman", 120, 91.5, 86.0, FalseHard::Rate(0.5));
    }

    /// A third corpus, from neither Sisimai's nor Mailman's set (bounce_email's and
    /// flanker's test messages, labelled with Debian's Sisimai 4.25: see its README). Floors
    /// just under what the classifier reaches (84.44 % category, 73.33 % reason on 45 rows).
    /// Three rows read as hard carry labels believed wrong (4.25 read no reply in one, and
    /// names `filtered` / `onhold` where the 5.1.x code or Yahoo's directory reply says the
    /// address is unknown): at most those three, no new one.
    #[test]
    fn the_third_fixture_corpus_meets_its_floors() {
        assert_floors("bounces-other", 45, 84.0, 73.0, FalseHard::Rows(3));
    }

    /// Sisimai mail held out until 2026-12-06 (first measured unseen: 93.10 % category,
    /// 85.06 % reason on 87 rows), then read to design four rules once a third held-out set
    /// existed (see its README): floors just under the design level reached then (97.70 % /
    /// 91.95 %, no false hard bounce).
    #[test]
    fn the_held_out_corpus_meets_its_floors() {
        assert_floors("bounces-heldout", 87, 97.5, 91.5, FalseHard::Rate(0.5));
    }

    /// A third project's bounces (Mail::DeliveryStatus::BounceParser's test corpus, labelled
    /// with Debian's Sisimai 4.25: see its README), measured once before any change and
    /// without reading a miss: 98.36 % category, 94.26 % reason, one false hard bounce in
    /// 122 rows. After the rules designed on `bounces-heldout`: 97.54 % category (one row, a
    /// Mimecast "MCSpamSignature" refusal, now reads as Sisimai 5 labels it and 4.25 cannot).
    /// Floors just under that level; no second false hard bounce.
    #[test]
    fn the_third_held_out_corpus_meets_its_floors() {
        assert_floors("bounces-heldout-3", 122, 97.5, 94.0, FalseHard::Rows(1));
    }

    /// PHP-Bounce-Handler's test mail (labelled with Debian's Sisimai 4.25: see its README),
    /// held out: measured once before any change and without reading a miss, 96.94 %
    /// category, 96.94 % reason, no false hard bounce in 98 rows. Floors just under that.
    #[test]
    fn the_fourth_held_out_corpus_meets_its_floors() {
        assert_floors("bounces-heldout-4", 98, 96.5, 96.5, FalseHard::Rate(0.5));
    }

    /// Four more projects' test mail (AbuseIO's feedback-loop samples, Chatwoot, mailparser,
    /// CPython's email tests; labelled with Debian's Sisimai 4.25: see its README), held out:
    /// measured once before any change, 12/12 by category and reason, no false hard bounce.
    /// Twelve rows, so any row lost fails: mostly complaint reports, which must stay
    /// complaints.
    #[test]
    fn the_fifth_held_out_corpus_meets_its_floors() {
        assert_floors("bounces-heldout-5", 12, 100.0, 100.0, FalseHard::Rows(0));
    }

    /// CwsMailBounceHandler's own test mail (16 rows, a design set: see its README), first
    /// measured at 87.50 % category, 68.75 % reason, one false hard bounce.
    #[test]
    fn the_cws_corpus_meets_its_floors() {
        assert_floors("bounces-cws", 16, 87.5, 68.5, FalseHard::Rows(1));
    }

    /// Three applications' test bounces (the `mail` gem, Discourse, MediaWiki's
    /// BounceHandler; a design set: see its README): first measured at 82.61 % category and
    /// reason on 23 rows, then 95.65 % / 95.65 % with the rules designed on it (an
    /// auto-generated answer, a delivery-status part holding only prose, a delivery program's
    /// transient failure). The one row left names a masked Final-Recipient.
    #[test]
    fn the_applications_corpus_meets_its_floors() {
        assert_floors("bounces-apps", 23, 95.5, 95.5, FalseHard::Rate(0.5));
    }

    /// Six more projects' test bounces (Dada Mail, deliveryboy, MailBounceDetector, MimeKit,
    /// mail_manager, tmail_bouncer; a design set: see its README): first measured at
    /// 80.77 % category, 76.92 % reason on 26 rows, then 88.46 % / 84.62 % with the two
    /// rules designed on it; two later files (both agreeing at first contact) make it
    /// 89.29 % / 85.71 % on 28. The two rows read as hard carry labels believed wrong
    /// (Gmail's "email account … does not exist" and Yahoo's "dd This user doesn't have …
    /// account", both `filtered` to Sisimai 4.25): at most those two.
    #[test]
    fn the_misc_corpus_meets_its_floors() {
        assert_floors("bounces-misc", 28, 89.0, 85.5, FalseHard::Rows(2));
    }

    /// Ordinary mail (the spam fixtures' ham and spam: newsletters, bug trackers' mail,
    /// list traffic, offers) must never give a verdict that suppresses an address or blocks
    /// a sender: at most not a bounce, unclassified or an auto-reply. The one file Sisimai
    /// 4.25 reads as a notice (a real bounce that reached a list) is left out.
    #[test]
    fn ordinary_mail_never_suppresses_an_address() {
        const NOTICES: &[&str] = &["easy-ham-2-01311-b6a06b3e24130a32172b4c5225a1d5a6.eml"];
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spam");
        let mut read = 0;
        for dir in ["ham", "spam"] {
            for e in std::fs::read_dir(root.join(dir)).unwrap() {
                let p = e.unwrap().path();
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                if NOTICES.contains(&name.as_str()) {
                    continue;
                }
                let raw = std::fs::read(&p).unwrap();
                let Ok(c) = classify_message(&raw) else {
                    continue;
                };
                read += 1;
                for v in &c.verdicts {
                    assert!(
                        matches!(
                            v.category,
                            Category::NotBounce | Category::Unclassified | Category::AutoReply
                        ),
                        "{name}: {v:?}"
                    );
                }
            }
        }
        assert!(read > 250, "only {read} messages read");
    }

    /// Every file under `dir`, recursively.
    fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                source_files(&p, out);
            } else {
                out.push(p);
            }
        }
    }

    /// Rules must read structure and wording, not remember the corpora: no source of the
    /// classifier may name a corpus file, a corpus address or one of the corpora's
    /// anonymisation strings (Sisimai's set uses a cat's vocabulary; Mailman's `userx`).
    #[test]
    fn the_classifier_names_no_corpus_file_address_or_anonymisation_string() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut banned: Vec<String> = [
            "kijitora",
            "libsisimai",
            "example.jp",
            "neko",
            "nyaan",
            "sabatora",
            "bouncehammer",
            "azumakuniyuki",
            "userx@",
            "usery@",
            "userz@",
            "lhost-",
            "rhost-",
            "rfc3464-",
            "rfc3834-",
            "arf-0",
            "is-not-bounce",
            "mailman-",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        for corpus in [
            "bounces",
            "bounces-mailman",
            "bounces-other",
            "bounces-heldout",
            "bounces-heldout-2",
            "bounces-heldout-3",
            "bounces-heldout-4",
            "bounces-heldout-5",
            "bounces-cws",
            "bounces-apps",
            "bounces-misc",
        ] {
            let labels = root.join("tests/fixtures").join(corpus).join("labels.tsv");
            let text = std::fs::read_to_string(&labels).unwrap();
            for line in text.lines().skip(1) {
                let cols: Vec<&str> = line.split('\t').collect();
                banned.push(cols[0].to_lowercase());
                if let Some(rcpt) = cols.get(6).filter(|r| r.contains('@')) {
                    banned.push(rcpt.trim().to_lowercase());
                }
            }
        }
        banned.sort();
        banned.dedup();
        assert!(banned.len() > 400, "{} banned strings", banned.len());
        let mut files = Vec::new();
        source_files(&root.join("src/domain/bounce"), &mut files);
        assert!(files.len() >= 15, "{files:?}");
        let mut found = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap().to_lowercase();
            for b in &banned {
                if text.contains(b.as_str()) {
                    found.push(format!("{}: {b}", f.display()));
                }
            }
        }
        assert!(
            found.is_empty(),
            "corpus names in the classifier:\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn an_mbox_file_is_read_message_by_message() {
        let one = b"From a@b Sat Oct  4 08:00:09 2025\nSubject: x\n\nbody\n";
        assert_eq!(mbox_messages(one).len(), 1);
        let two =
            b"From a@b Sat\nSubject: x\n\nbody\nFrom here on\n\nFrom c@d Sun\nSubject: y\n\nz\n";
        let m = mbox_messages(two);
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(m[1].starts_with(b"From c@d Sun"));
        assert!(m[0].ends_with(b"From here on\n\n"));
        let plain = b"Subject: x\n\nFrom c@d Sun\n";
        assert_eq!(mbox_messages(plain), vec![&plain[..]]);
    }

    #[test]
    fn other_label_covers_every_non_failure_category() {
        for c in [
            Category::Delivered,
            Category::Unsubscribe,
            Category::NotBounce,
            Category::Unclassified,
        ] {
            assert_eq!(corpus_category(c), "other");
        }
        assert_eq!(corpus_category(Category::HardBounce), "hard_bounce");
    }
}
