//! The integration tests, as one test binary: each file beside this one is a module here, so
//! the whole stack is linked once instead of once per file (each binary was about 400 MB in a
//! debug build). `security.rs` stays a binary of its own: its timing tests (a wrong password
//! and an unknown name must take as long) compare medians, and the ~220 tests here sign in
//! and verify passwords in parallel, on the same process-wide argon2 slots. (The outbound
//! policy, once a reason too, is per app since issue 14.) A new file in `tests/` must be
//! added below; `every_test_file_is_compiled` fails otherwise.

#[macro_use]
mod common;

mod campaigns;
mod cli_admin;
mod demo;
mod http_foundation;
mod http_product;
mod http_webhooks;
mod inbound;
mod mail_auth;
mod outbound;
mod outbound_tls;
mod product_controls;
mod replicas;
mod schema_parity;
mod spam_accuracy;
mod spam_cli;
mod spam_dnsbl;
mod spam_golden;
mod spam_phishing_golden;
mod spam_robustness;
mod storage;
mod storage_deliverability;
mod streams_providers;
mod tracing_spans;

/// `autotests = false` in Cargo.toml means a file in `tests/` that is not a module here (or the
/// separate `security` binary) would silently never run.
#[test]
fn every_test_file_is_compiled() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let this = include_str!("integration.rs");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        if name == "integration" || name == "security" {
            continue;
        }
        if !this.lines().any(|l| l.trim() == format!("mod {name};")) {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "test files not compiled: {missing:?}; add `mod NAME;` to tests/integration.rs"
    );
}
