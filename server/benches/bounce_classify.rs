//! Bounce classification throughput over the labelled corpus, against mail-parser's bare
//! parse of the same messages (the floor any MIME-based classifier pays).
//!
//! `cargo bench -p deliverdesk --bench bounce_classify` — criterion's figures per pass over the corpus,
//! then a summary line: messages/s on one core for both, and the ratio (goal: ≥ 20,000
//! messages/s and classification ≤ 2× the bare parse).
//!
//! Always with `-p deliverdesk`: at the workspace root without it, cargo builds the server
//! with the browser crate's features (`app/hydrate`) unified in, and the server binary that
//! build leaves in `target/release` panics when it serves a page.

use criterion::{black_box, criterion_group, Criterion, Throughput};

/// The allocator the server runs with (`main.rs`): the classifier allocates a string per
/// finding, so the system allocator would measure a cost the server does not pay.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use mail_parser::MessageParser;
use std::path::Path;
use std::time::{Duration, Instant};

fn corpus() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bounces/eml");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus folder")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| std::fs::read(p).expect("corpus file"))
        .collect()
}

fn classify_all(msgs: &[Vec<u8>]) -> usize {
    msgs.iter()
        .map(|m| {
            server::domain::bounce::classify_message(black_box(m))
                .map(|c| c.verdicts.len())
                .unwrap_or(0)
        })
        .sum()
}

fn parse_all(msgs: &[Vec<u8>]) -> usize {
    let parser = MessageParser::default();
    msgs.iter()
        .map(|m| {
            parser
                .parse(black_box(m))
                .map(|p| p.parts.len())
                .unwrap_or(0)
        })
        .sum()
}

fn bench(c: &mut Criterion) {
    let msgs = corpus();
    let mut g = c.benchmark_group("bounce_corpus");
    g.throughput(Throughput::Elements(msgs.len() as u64));
    g.bench_function("classify_message", |b| b.iter(|| classify_all(&msgs)));
    g.bench_function("mail_parser_parse", |b| b.iter(|| parse_all(&msgs)));
    g.finish();
}

/// Messages per second of classification and of the bare parse, measured in alternating
/// whole passes over the corpus (so a busy machine slows both alike), for at least `min`.
fn rates(msgs: &[Vec<u8>], min: Duration) -> (f64, f64) {
    classify_all(msgs); // warm the lazily built tables and caches
    parse_all(msgs);
    let (mut tc, mut tp) = (Duration::ZERO, Duration::ZERO);
    let mut passes = 0u64;
    // `BENCH_PASSES=N`: exactly N passes of each after the warm-up, for instruction counts
    // under `valgrind --tool=callgrind` (which a busy machine does not change).
    let fixed: Option<u64> = std::env::var("BENCH_PASSES")
        .ok()
        .and_then(|v| v.parse().ok());
    while fixed.map_or(tc + tp < min, |n| passes < n) {
        let t = Instant::now();
        black_box(classify_all(msgs));
        tc += t.elapsed();
        let t = Instant::now();
        black_box(parse_all(msgs));
        tp += t.elapsed();
        passes += 1;
    }
    let n = passes as f64 * msgs.len() as f64;
    (n / tc.as_secs_f64(), n / tp.as_secs_f64())
}

fn summary() {
    let msgs = corpus();
    let (classify, parse) = rates(&msgs, Duration::from_secs(6));
    println!(
        "bounce_classify summary: {} messages; classify {:.0} msg/s; bare mail-parser parse {:.0} msg/s; classify takes {:.2}x the bare parse",
        msgs.len(),
        classify,
        parse,
        parse / classify
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(1));
    targets = bench
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
