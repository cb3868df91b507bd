//! The inbound spam scorer (its own header/MIME reading, tokenizer and rules) must never panic,
//! whatever bytes arrive.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::domain::spam::{BayesModel, ScoreContext, Scorer};
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    server_fuzz::let_caught_mail_parser_panics_unwind();
    static SCORER: OnceLock<Scorer> = OnceLock::new();
    let scorer = SCORER.get_or_init(|| Scorer::new(BayesModel::shipped().expect("shipped model")));
    let report = scorer.score(data, &ScoreContext::default());
    assert!(report.score.points().is_finite());
});
