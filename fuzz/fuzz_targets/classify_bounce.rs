//! The bounce classifier and the ESP readers must never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::domain::bounce::{classify_esp, classify_message, Provider};

fuzz_target!(|data: &[u8]| {
    server_fuzz::let_caught_mail_parser_panics_unwind();
    if let Ok(c) = classify_message(data) {
        assert!(!c.verdicts.is_empty());
    }
    if let Some((&selector, rest)) = data.split_first() {
        let provider = match selector % 4 {
            0 => Provider::Postmark,
            1 => Provider::Ses,
            2 => Provider::Sendgrid,
            _ => Provider::Mailgun,
        };
        let _ = classify_esp(provider, rest);
    }
});
