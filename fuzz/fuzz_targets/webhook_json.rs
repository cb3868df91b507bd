//! What the webhook endpoints read from a request body before and besides the ESP classifier
//! (covered by `classify_bounce`): the SNS envelope and its canonical string, the signature
//! checks on garbage keys, signatures and timestamps, and the freshness of a timestamp. None
//! may panic, and nothing made up may verify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::domain::bounce::esp::freshness::{self, Freshness};
use server::domain::bounce::{classify_esp, Provider};
use server::http::webhooks::signatures::{verify_mailgun, verify_sendgrid, SnsMessage};

fuzz_target!(|data: &[u8]| {
    server_fuzz::let_caught_mail_parser_panics_unwind();
    let text = String::from_utf8_lossy(data);
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(message) = SnsMessage::from_json(&value) {
            let _ = message.canonical();
            let _ = Freshness::of_rfc3339(&message.timestamp, chrono::Utc::now(), freshness::SNS_MAX_AGE);
            assert!(message.verify(b"not a certificate").is_err());
        }
        let field = |k: &str| {
            value
                .pointer(&format!("/signature/{k}"))
                .map(|v| v.to_string())
                .unwrap_or_default()
        };
        let _ = verify_mailgun("key", &field("timestamp"), &field("token"), &field("signature"));
    }
    let mut parts = text.splitn(3, '\n');
    let (a, b, c) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    assert!(verify_sendgrid(a, b, c, data).is_err());
    let _ = Freshness::of_unix(a, chrono::Utc::now(), freshness::SIGNED_POST_MAX_AGE);
    for provider in [Provider::Postmark, Provider::Ses, Provider::Sendgrid, Provider::Mailgun] {
        let _ = classify_esp(provider, data);
    }
});
