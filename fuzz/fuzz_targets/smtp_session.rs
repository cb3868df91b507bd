//! The SMTP listener's parsing must never panic, whatever a client sends: every line as a
//! command, and the bytes after DATA through the data receiver, which must only ever hand on a
//! message with CRLF line endings and within the size limit (no smuggled `LF . LF` end).
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::smtp::data::{has_bare_line_ending, receive, Data};
use std::sync::OnceLock;
use std::time::Duration;

const MAX: usize = 4096;

fuzz_target!(|data: &[u8]| {
    for line in data.split_inclusive(|&b| b == b'\n') {
        if let Err(reply) = server::smtp::parse_command(line) {
            assert!(reply.code >= 500, "{reply}");
            assert!(reply.to_wire().ends_with("\r\n"));
        }
    }
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime")
    });
    // Small reads, so the end of the data falls across buffer boundaries.
    let mut reader = tokio::io::BufReader::with_capacity(7, data);
    let got = runtime.block_on(async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        receive(&mut reader, MAX, Duration::from_secs(60), deadline).await
    });
    if let Ok(Ok(Data::Message(message))) = got {
        assert!(message.len() <= MAX);
        assert!(!has_bare_line_ending(&message));
    }
});
