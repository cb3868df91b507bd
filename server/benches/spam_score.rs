//! Messages per second scoring real corpus messages on one core (goal ≥ 5,000; SpamAssassin
//! manages about 19). Uses the eval-split fixtures, so it runs without `shared/`:
//! `cargo bench -p deliverdesk --bench spam_score` (criterion prints "thrpt: … elem/s" = messages/s).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use server::domain::spam::{BayesModel, ScoreContext, Scorer};
use std::hint::black_box;
use std::path::PathBuf;

fn corpus() -> Vec<Vec<u8>> {
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
    messages
}

fn bench(c: &mut Criterion) {
    let messages = corpus();
    let scorer = Scorer::new(BayesModel::shipped().expect("shipped model loads"));
    let ctx = ScoreContext::default();
    let mut group = c.benchmark_group("spam_score");
    group.throughput(Throughput::Elements(messages.len() as u64));
    group.sample_size(20);
    group.bench_function("score_corpus_messages", |b| {
        b.iter(|| {
            for m in &messages {
                black_box(scorer.score(black_box(m), &ctx));
            }
        })
    });
    group.finish();
    c.bench_function("load_shipped_model", |b| {
        b.iter(|| BayesModel::from_bytes(black_box(server::domain::spam::SHIPPED_MODEL)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
