//! Whole-classifier tests: hand-written notices, the ESP golden files, and robustness.

use super::*;
use crate::domain::category::Category;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn one(raw: &str) -> Verdict {
    let c = classify_message(raw.as_bytes()).unwrap();
    assert_eq!(c.verdicts.len(), 1, "{:#?}", c.verdicts);
    c.verdicts.into_iter().next().unwrap()
}

#[test]
fn an_rfc3464_dsn_yields_one_verdict_per_failed_recipient() {
    let raw = "From: MAILER-DAEMON@mx.example.net\r\nTo: sender@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; Alice@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx.example.com\r\nDiagnostic-Code: smtp; 550 5.1.1 <alice@example.com>: Recipient address rejected: User unknown in local recipient table\r\n\r\nFinal-Recipient: rfc822; bob@example.net\r\nAction: failed\r\nStatus: 4.2.2\r\nDiagnostic-Code: smtp; 452 4.2.2 Mailbox full\r\n\r\n--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <abc123@example.org>\r\nTo: alice@example.com, bob@example.net\r\n\r\n--b--\r\n";
    let c = classify_message(raw.as_bytes()).unwrap();
    assert_eq!(c.original_message_id.as_deref(), Some("abc123@example.org"));
    assert_eq!(c.verdicts.len(), 2);
    let a = &c.verdicts[0];
    assert_eq!(a.recipient.as_deref(), Some("alice@example.com"));
    assert_eq!(
        (a.category, a.reason),
        (Category::HardBounce, Reason::UserUnknown)
    );
    assert_eq!(a.status.unwrap().to_string(), "5.1.1");
    assert_eq!(a.reply_code, Some(550));
    assert_eq!(a.remote_mta.as_deref(), Some("mx.example.com"));
    let b = &c.verdicts[1];
    assert_eq!(
        (b.category, b.reason),
        (Category::SoftBounce, Reason::MailboxFull)
    );
}

#[test]
fn an_arf_abuse_report_is_a_manual_complaint_about_the_original_recipient() {
    let raw = "From: fbl@isp.example\r\nTo: abuse@example.org\r\nSubject: FW: hello\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"x\"\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nThis is an abuse report.\r\n--x\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nUser-Agent: Example-FBL/1.0\r\nVersion: 1\r\nOriginal-Rcpt-To: <Reader@isp.example>\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n\r\nFrom: news@example.org\r\nTo: reader@isp.example\r\nMessage-ID: <m1@example.org>\r\nSubject: hello\r\n\r\nhi\r\n--x--\r\n";
    let v = one(raw);
    assert_eq!(v.category, Category::SpamComplaintManual);
    assert_eq!(v.reason, Reason::Feedback);
    assert_eq!(v.feedback_type.as_deref(), Some("abuse"));
    assert_eq!(v.recipient.as_deref(), Some("reader@isp.example"));
    assert_eq!(v.original_message_id.as_deref(), Some("m1@example.org"));
}

#[test]
fn an_rfc3834_vacation_reply_is_an_auto_reply_from_its_author() {
    let raw = "From: Jane <jane@example.com>\r\nTo: news@example.org\r\nSubject: Out of office: hello\r\nAuto-Submitted: auto-replied\r\n\r\nI am away until Monday.\r\n";
    let v = one(raw);
    assert_eq!(
        (v.category, v.reason),
        (Category::AutoReply, Reason::Vacation)
    );
    assert_eq!(v.recipient.as_deref(), Some("jane@example.com"));
    assert_eq!(v.evidence.rule, "rfc3834.auto-submitted");
}

#[test]
fn an_ordinary_message_is_not_a_bounce() {
    let v = one("From: friend@example.com\r\nTo: b@example.org\r\nSubject: Lunch?\r\n\r\nAre you free on Friday?\r\n");
    assert_eq!((v.category, v.reason), (Category::NotBounce, Reason::None));
}

#[test]
fn a_postfix_text_bounce_without_mime_is_read_from_its_words() {
    let raw = "From: MAILER-DAEMON@mail.example.net (Mail Delivery System)\r\nTo: sender@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n\r\nThis is the mail system at host mail.example.net.\r\n\r\n<carol@example.com>: host mx.example.com[192.0.2.1] said: 550 5.7.1\r\n    Service unavailable; client [192.0.2.9] blocked using zen.spamhaus.org\r\n    (in reply to RCPT TO command)\r\n";
    let v = one(raw);
    assert_eq!(v.recipient.as_deref(), Some("carol@example.com"));
    assert_eq!(
        (v.category, v.reason),
        (Category::IspBlock, Reason::Blocked)
    );
}

#[test]
fn non_utf8_and_japanese_bodies_do_not_break_the_reader() {
    let mut raw = b"From: MAILER-DAEMON@example.net\r\nTo: s@example.org\r\nSubject: =?ISO-2022-JP?B?GyRCJTklNyVGJWAbKEI=?=\r\n\r\n<dan@example.net>: 550 5.1.1 user unknown\r\n".to_vec();
    raw.extend_from_slice(&[0x1b, 0x24, 0x42, 0xff, 0xfe, 0x80, b'\r', b'\n']);
    let c = classify_message(&raw).unwrap();
    assert_eq!(c.verdicts[0].reason, Reason::UserUnknown);
}

fn dsn(diag_and_status: &str, text: &str) -> String {
    format!("From: MAILER-DAEMON@mx.example.net\r\nTo: sender@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n{text}\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n{diag_and_status}\r\n\r\n--b--\r\n")
}

#[test]
fn a_provider_table_decides_before_the_generic_words() {
    // au (KDDI): its filter answers without the address, a missing mailbox with it.
    let unknown = dsn("Final-Recipient: rfc822; a@ezweb.ne.jp\r\nAction: failed\r\nStatus: 5.0.0\r\nRemote-MTA: dns; lsean.ezweb.ne.jp (TCP|192.0.2.1|25)\r\nDiagnostic-Code: smtp; 550 <a@ezweb.ne.jp>: User unknown", "Delivery failed.");
    let v = one(&unknown);
    assert_eq!(
        (v.category, v.reason),
        (Category::HardBounce, Reason::UserUnknown)
    );
    assert_eq!(v.evidence.rule, "dsn.rhost.kddi");
    let filtered = unknown.replace("550 <a@ezweb.ne.jp>: User unknown", "550 : User unknown");
    assert_eq!(one(&filtered).reason, Reason::Filtered);
    // Orange: the numbered code, not the transient status, names the reason.
    let orange = dsn("Final-Recipient: rfc822; b@wanadoo.fr\r\nAction: failed\r\nStatus: 4.2.0\r\nRemote-MTA: dns; smtp-in.orange.fr\r\nDiagnostic-Code: smtp; 421 4.2.0 Service refuse. Veuillez essayer plus tard. OFR005_505 [505]", "Delivery failed.");
    assert_eq!(one(&orange).reason, Reason::SystemError);
}

#[test]
fn a_dsn_without_diagnostic_reads_the_recipients_line_in_the_text() {
    let raw = dsn(
        "Final-Recipient: rfc822; c@example.net\r\nAction: failed\r\nStatus: 5.0.0",
        "An error has occurred while attempting to deliver a message:\r\n\r\nc@example.net: 550 5.1.1 <c@example.net>: Recipient address rejected: User unknown\r\n",
    );
    let v = one(&raw);
    assert_eq!(
        (v.category, v.reason),
        (Category::HardBounce, Reason::UserUnknown)
    );
    assert_eq!(v.status.unwrap().to_string(), "5.1.1");
}

#[test]
fn a_sendmail_transcript_reply_above_the_recipient_is_its_cause() {
    let raw = "From: MAILER-DAEMON@mx.example.net\r\nTo: s@example.net\r\nSubject: Returned mail: Remote protocol error\r\n\r\n   ----- Transcript of session follows -----\r\nWhile talking to mx.example.edu:\r\n>>> MAIL From:<s@example.net>\r\n<<< 550 Insecure Mail Relay\r\n554 <d@example.edu>... Remote protocol error\r\n421 example.org (smtp)... Deferred: Connection timed out during user open with example.org\r\n   ----- Unsent message follows -----\r\nSubject: hi\r\n\r\nhi\r\n";
    let v = one(raw);
    assert_eq!(v.recipient.as_deref(), Some("d@example.edu"));
    assert_eq!(v.category, Category::IspBlock, "{v:#?}");
}

#[test]
fn an_fml_loop_alert_is_a_system_error_about_the_list() {
    let raw = "From: list-admin@example.co.jp\r\nTo: list-admin@example.co.jp\r\nSubject: Loop Alert: Duplicated Message-ID (list ML)\r\nX-MLServer: fml [fml 4.0.3 release]\r\nMessage-Id: <200101010000.FML00002.list@example.co.jp>\r\n\r\nDuplicated Message-ID in <list@example.co.jp>.\r\nOriginal mail as follows:\r\n\r\nSubject: x\r\n\r\nx\r\n";
    let v = one(raw);
    assert_eq!(v.recipient.as_deref(), Some("list@example.co.jp"));
    assert_eq!(
        (v.category, v.reason),
        (Category::SoftBounce, Reason::SystemError)
    );
    assert_eq!(v.evidence.rule, "text.fml.words");
}

#[test]
fn oversized_input_is_refused_with_a_clear_error() {
    let raw = vec![b'a'; MAX_MESSAGE_BYTES + 1];
    let e = classify_message(&raw).unwrap_err();
    assert!(matches!(e, ClassifyError::TooLarge { .. }));
    assert!(e.to_string().contains("10 MiB"), "{e}");
}

// ---- ESP golden files ------------------------------------------------------------------

fn provider_for(dir: &str) -> Provider {
    match dir {
        "postmark" => Provider::Postmark,
        "ses" => Provider::Ses,
        "sendgrid" => Provider::Sendgrid,
        "mailgun" => Provider::Mailgun,
        other => panic!("unknown provider folder {other}"),
    }
}

/// mail-auth's golden style: each `NNN.json` has `NNN.expected.json` beside it; a mismatch
/// writes `NNN.failed` with what we produced, so a change in behaviour is a diff to read.
#[test]
fn esp_payloads_match_their_golden_files() {
    let root = Path::new(FIXTURES).join("esp");
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let provider = provider_for(dir.file_name().unwrap().to_str().unwrap());
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let n = p.file_name().unwrap().to_str().unwrap();
                n.ends_with(".json") && !n.ends_with(".expected.json")
            })
            .collect();
        files.sort();
        for input in files {
            let body = std::fs::read(&input).unwrap();
            let actual = match classify_esp(provider, &body) {
                Ok(events) => serde_json::to_value(&events).unwrap(),
                Err(e) => serde_json::json!({ "error": e.to_string() }),
            };
            let expected_path = input.with_extension("expected.json");
            let failed_path = input.with_extension("failed");
            let expected: Option<serde_json::Value> = std::fs::read(&expected_path)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok());
            if expected.as_ref() == Some(&actual) {
                let _ = std::fs::remove_file(&failed_path);
            } else {
                std::fs::write(
                    &failed_path,
                    serde_json::to_string_pretty(&actual).unwrap() + "\n",
                )
                .unwrap();
                failures.push(input.display().to_string());
            }
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} golden payloads found");
    assert!(
        failures.is_empty(),
        "golden mismatches (see .failed beside): {failures:#?}"
    );
}

#[test]
fn malformed_esp_payloads_are_errors_with_a_reason() {
    for p in [
        Provider::Postmark,
        Provider::Ses,
        Provider::Sendgrid,
        Provider::Mailgun,
    ] {
        let e = classify_esp(p, b"not json").unwrap_err();
        assert!(e.to_string().contains("not JSON"), "{e}");
    }
    assert!(classify_esp(Provider::Postmark, b"{}")
        .unwrap_err()
        .reason
        .contains("RecordType"));
    assert!(classify_esp(Provider::Mailgun, br#"{"event-data":{}}"#)
        .unwrap_err()
        .reason
        .contains("signature"));
    assert!(classify_esp(Provider::Sendgrid, br#"[{"event":"bounce"}]"#)
        .unwrap_err()
        .reason
        .contains("email"));
    assert!(
        classify_esp(Provider::Ses, br#"{"Type":"Notification","Message":"{"}"#)
            .unwrap_err()
            .reason
            .contains("not JSON")
    );
}

// ---- robustness --------------------------------------------------------------------------

fn corpus() -> Vec<Vec<u8>> {
    let dir = Path::new(FIXTURES).join("bounces/eml");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

static CORPUS: std::sync::LazyLock<Vec<Vec<u8>>> = std::sync::LazyLock::new(corpus);

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let c = classify_message(&raw).unwrap();
        prop_assert!(!c.verdicts.is_empty());
    }

    #[test]
    fn truncated_corpus_messages_never_panic(i in 0usize..10_000, cut in 0.0f64..1.0) {
        let msg = &CORPUS[i % CORPUS.len()];
        let end = (msg.len() as f64 * cut) as usize;
        let c = classify_message(&msg[..end]).unwrap();
        prop_assert!(!c.verdicts.is_empty());
    }

    #[test]
    fn random_json_never_panics_the_esp_readers(raw in proptest::collection::vec(any::<u8>(), 0..512), p in 0usize..4) {
        let provider = [Provider::Postmark, Provider::Ses, Provider::Sendgrid, Provider::Mailgun][p];
        let _ = classify_esp(provider, &raw);
    }
}

/// Found by cargo-fuzz: mail-parser panicked on this malformed multipart; it must classify.
#[test]
fn fuzz_crash_malformed_nested_multipart_does_not_panic() {
    let raw = b"Recom\nContent-Type: multipart/reobacrt;\n    boundary=\"TestBound/222nnn300===_22/00-22002-00000225\"\n\n--_----TestBound/222nnn300===_22/00-22002-00000225etCIa0225\nContent-Type: message/rfc822\ntio e\n\nmpl\nContent-Type: message/rfc822\n\n\n--_----TestBound/222nnn300===_22/00-22002-00000225--\n\n";
    let c = super::classify_message(raw).unwrap();
    assert!(!c.verdicts.is_empty());
}

#[test]
fn a_status_comment_names_the_reason_when_there_is_no_diagnostic_code() {
    let raw = "From: MAILER-DAEMON@mx.example.net\r\nTo: sender@example.org\r\nSubject: Warning: could not send message\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThe message is still queued.\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; carol@example.com\r\nAction: delayed\r\nStatus: 4.0.0 (example.com: host name lookup failure)\r\n\r\n--b--\r\n";
    let v = one(raw);
    assert_eq!(
        (v.category, v.reason),
        (Category::SoftBounce, Reason::NetworkError)
    );
    assert_eq!(
        v.diagnostic.as_deref(),
        Some("example.com: host name lookup failure")
    );
}

#[test]
fn whitespace_lines_before_the_header_do_not_hide_a_notice() {
    let notice = "From: Mail Delivery Subsystem <mailer-daemon@mx.example.net>\r\nTo: sender@example.org\r\nX-Failed-Recipients: carol@example.com\r\nSubject: Delivery Status Notification (Failure)\r\n\r\nDelivery to the following recipient failed permanently:\r\n\r\n     carol@example.com\r\n\r\nThe error that the other server returned was:\r\n550 5.1.1 The email account that you tried to reach does not exist.\r\n";
    let padded = format!("      \r\n\t\r\n{notice}");
    let plain = one(notice);
    let v = one(&padded);
    assert_eq!(
        (v.category, v.reason),
        (Category::HardBounce, Reason::UserUnknown)
    );
    assert_eq!(v, plain);
}

/// A Postfix DSN for one recipient: `status`, the diagnostic, and the Postfix text part's
/// "(in reply to … command)" as `command`.
fn postfix_dsn(status: &str, diag_type: &str, diagnostic: &str, command: &str) -> String {
    format!("From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\nTo: sender@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n<carol@example.com>: host mx.example.com[192.0.2.1] said: {diagnostic} (in reply to {command} command)\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; carol@example.com\r\nAction: failed\r\nStatus: {status}\r\nRemote-MTA: dns; mx.example.com\r\nDiagnostic-Code: {diag_type}; {diagnostic}\r\n\r\n--b--\r\n")
}

#[test]
fn user_unknown_words_answering_the_message_body_are_a_filter_even_in_a_directory_phrase() {
    // The address was accepted at RCPT TO; refused after DATA it is the content's refusal.
    let v = one(&postfix_dsn(
        "5.0.0",
        "smtp",
        "554 Rcpt <carol@example.com> does not exist",
        "end of DATA",
    ));
    assert_eq!(
        (v.category, v.reason),
        (Category::IspBlock, Reason::Filtered)
    );
    // The same words at RCPT TO are a missing mailbox.
    let v = one(&postfix_dsn(
        "5.0.0",
        "smtp",
        "554 Rcpt <carol@example.com> does not exist",
        "RCPT TO",
    ));
    assert_eq!(
        (v.category, v.reason),
        (Category::HardBounce, Reason::UserUnknown)
    );
}

#[test]
fn a_transient_dns_failure_naming_a_missing_domain_is_a_network_error_not_a_hard_bounce() {
    let v = one(&postfix_dsn(
        "4.0.0",
        "smtp",
        "DNS Error: DNS type 'mx' lookup of example.com responded with code NXDOMAIN Domain name not found: example.com",
        "RCPT TO",
    ));
    assert_eq!(
        (v.category, v.reason),
        (Category::SoftBounce, Reason::NetworkError)
    );
    // Permanent, the same words are an unknown host.
    let v = one(&postfix_dsn(
        "5.0.0",
        "smtp",
        "DNS Error: Domain name not found",
        "RCPT TO",
    ));
    assert_eq!(
        (v.category, v.reason),
        (Category::HardBounce, Reason::HostUnknown)
    );
}

#[test]
fn postfix_own_diagnostic_type_is_not_a_local_program() {
    let v = one(&postfix_dsn(
        "4.0.0",
        "X-Postfix",
        "temporary failure",
        "RCPT TO",
    ));
    assert_ne!(v.reason, Reason::MailerError, "{v:?}");
    let v = one(&postfix_dsn("5.0.0", "X-Unix", "71", "RCPT TO"));
    assert_eq!(v.reason, Reason::MailerError);
}

#[test]
fn gmail_state_codes_name_the_smtp_command() {
    let gmail = |reply: &str| {
        format!("From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\nTo: sender@example.org\r\nSubject: Delivery Status Notification (Failure)\r\n\r\nDelivery to the following recipient failed permanently:\r\n\r\n     carol@example.com\r\n\r\nTechnical details of permanent failure:\r\nGoogle tried to deliver your message, but it was rejected by the recipient domain. The error that the other server returned was: {reply}\r\n\r\n   ----- Original message -----\r\n\r\nSubject: hi\r\n\r\nhello\r\n")
    };
    // State 14 is RCPT TO: "address unknown" there is a missing mailbox.
    let v = one(&gmail("550 550 Address unknown (state 14)."));
    assert_eq!(
        (v.category, v.reason),
        (Category::HardBounce, Reason::UserUnknown)
    );
    // State 18 is after DATA: the same words are the recipient's filter.
    let v = one(&gmail("550 550 Address unknown (state 18)."));
    assert_eq!(
        (v.category, v.reason),
        (Category::IspBlock, Reason::Filtered)
    );
}

#[test]
fn an_auto_reply_saying_the_user_is_unknown_is_not_a_hard_bounce() {
    let v = one("From: <>\r\nTo: sender@example.org\r\nSubject: Re: hello\r\nAuto-Submitted: auto-replied\r\n\r\nYou sent mail to carol@example.com. That's not a valid user here.\r\n");
    assert_ne!(v.category, Category::HardBounce, "{v:?}");
    assert_eq!(v.reason, Reason::Filtered);
}

/// Found by the `webhook_json` fuzz target: a failed event whose message starts with a 2.x.x
/// status panicked in the reason decision. It is read, not a panic.
#[test]
fn a_failed_event_whose_message_starts_with_a_success_status_is_read() {
    let payload = br#"{"signature":{"timestamp":"1529006855","token":"t","signature":"s"},
      "event-data":{"id":"ev1","event":"failed","severity":"temporary","reason":"generic",
      "recipient":"alice@example.com","timestamp":1521472262.9,
      "message":{"headers":{"message-id":"m@example.com"}},
      "delivery-status":{"code":452,"description":"",
        "message":"2.2.2 Try again in 10 minutes"}}}"#;
    let events = classify_esp(Provider::Mailgun, payload).expect("a readable event");
    assert_eq!(events.len(), 1);
}

#[test]
fn a_delivery_programs_transient_failure_is_a_soft_bounce_and_an_smtp_one_is_not_hard() {
    // Postfix's local delivery agent, unknown user with a 4.x.x code: its own failure.
    let v = one(&postfix_dsn(
        "4.1.1",
        "X-Postfix",
        "unknown user: \"carol\"",
        "RCPT TO",
    ));
    assert_eq!(
        (v.category, v.reason),
        (Category::SoftBounce, Reason::MailerError)
    );
    assert!(
        v.evidence.rule.contains("transient-code.program"),
        "{}",
        v.evidence.rule
    );
    // The same words in a remote SMTP reply stay on hold, never hard.
    let v = one(&postfix_dsn(
        "4.1.1",
        "smtp",
        "450 4.1.1 <carol@example.com>: Recipient address rejected: unknown user",
        "RCPT TO",
    ));
    assert_eq!(v.reason, Reason::OnHold);
    // A delay notice is no failure of the program yet.
    let delayed = postfix_dsn("4.1.1", "X-Postfix", "unknown user: \"carol\"", "RCPT TO")
        .replace("Action: failed", "Action: delayed");
    assert_ne!(one(&delayed).reason, Reason::MailerError);
}

#[test]
fn a_delivery_status_part_holding_only_prose_is_read_as_the_notices_text() {
    let raw = "From: postmaster@mx.example.net\r\nTo: sender@example.org\r\nSubject: Delivery failure\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nThis Message was undeliverable due to the following reason:\r\n\r\n<dave@example.com> has restricted SMS e-mail\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; dave@example.com\r\nAction: failed\r\nStatus: 5.3.0\r\n\r\n--b--\r\n";
    let v = one(raw);
    assert_eq!(
        (v.category, v.reason),
        (Category::IspBlock, Reason::Filtered)
    );
}

#[test]
fn an_auto_generated_answer_to_our_message_is_an_auto_reply_but_a_mail_systems_is_not() {
    let raw = "From: Erin <erin@example.com>\r\nTo: reply+1@example.org\r\nSubject: re: Your ticket\r\nAuto-Submitted: auto-generated\r\n\r\nThanks, I'm away.\r\n";
    let v = one(raw);
    assert_eq!(
        (v.category, v.reason),
        (Category::AutoReply, Reason::Vacation)
    );
    // From a mail system the same header marks its notice, not an answer.
    let system = raw.replace("Erin <erin@example.com>", "MAILER-DAEMON@mx.example.net");
    assert_ne!(one(&system).category, Category::AutoReply);
}

#[test]
fn a_tcp_connection_refused_by_a_down_host_is_no_block() {
    // Postfix's own words when the next hop's port is closed: the host is down, so the
    // queue gave up (4.4.1, "no answer from host"), nobody refused us.
    let raw = "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\nTo: sender@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n<carol@example.com>: delivery temporarily suspended: connect to\r\n    mx.example.com[192.0.2.1]: Connection refused\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; carol@example.com\r\nAction: failed\r\nStatus: 4.4.1\r\nDiagnostic-Code: X-Postfix; delivery temporarily suspended: connect to\r\n    mx.example.com[192.0.2.1]: Connection refused\r\n\r\n--b--\r\n";
    let v = one(raw);
    assert_eq!(
        (v.category, v.reason),
        (Category::SoftBounce, Reason::Expired)
    );
    // A receiver that says it refused us is a block.
    let v = one(&postfix_dsn(
        "5.0.0",
        "smtp",
        "554 Connection refused by mx.example.com",
        "CONNECT",
    ));
    assert_eq!(
        (v.category, v.reason),
        (Category::IspBlock, Reason::Blocked)
    );
}

#[test]
fn the_remote_code_in_the_diagnostic_refines_a_status_that_names_only_the_class() {
    // Status 5.0.0; the remote's 5.1.2 (bad destination system) says the domain is gone.
    let v = one(&postfix_dsn(
        "5.0.0",
        "smtp",
        "5.1.2 - Bad destination host 'DNS Hard Error looking up example.com (MX): NXDomain'",
        "RCPT TO",
    ));
    assert_eq!(
        (v.category, v.reason),
        (Category::HardBounce, Reason::HostUnknown)
    );
    assert_eq!(v.status.map(|s| s.to_string()).as_deref(), Some("5.1.2"));
    // A later, two-digit registry code reused loosely (qmail-ldap's `#5.7.17`, "mailbox owner
    // has changed", beside "no mailbox here"): the words decide.
    let v = one(&postfix_dsn(
        "5.0.0",
        "smtp",
        "550 sorry, no mailbox here by that name. (#5.7.17)",
        "RCPT TO",
    ));
    assert_eq!(
        (v.category, v.reason),
        (Category::HardBounce, Reason::UserUnknown)
    );
}

#[test]
fn another_recipients_reply_is_not_this_ones_reason() {
    // One notice for three recipients: delivered, delayed (no words of its own), refused.
    let raw = dsn(
        "Final-Recipient: rfc822; ann@example.org\r\nAction: failed\r\nStatus: 5.1.2\r\nDiagnostic-Code: smtp; 550 User does not exist\r\n\r\nFinal-Recipient: rfc822; bea@example.org\r\nAction: delivered\r\nStatus: 2.1.5\r\n\r\nFinal-Recipient: rfc822; cid@example.org\r\nAction: delayed\r\nStatus: 4.0.0",
        "Your message has been partially delivered:\r\n\r\n<bea@example.org> (delivered with code 250)\r\n\r\n<cid@example.org> (connection to 'mx.example.org' failed: Connection timeout)\r\n\r\n<ann@example.org> (host 'mx.example.org' rejected command 'RCPT TO:<ann@example.org>' with code 550 (5.1.2) 'User does not exist')",
    );
    let c = classify_message(raw.as_bytes()).unwrap();
    let got: Vec<_> = c
        .verdicts
        .iter()
        .map(|v| {
            (
                v.recipient.clone().unwrap_or_default(),
                v.category,
                v.reason,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "ann@example.org".to_string(),
                Category::HardBounce,
                Reason::UserUnknown
            ),
            (
                "bea@example.org".to_string(),
                Category::Delivered,
                Reason::Delivered
            ),
            (
                "cid@example.org".to_string(),
                Category::SoftBounce,
                Reason::Expired
            ),
        ]
    );
    // Alone in its notice, a recipient with no words of its own takes the notice's.
    let alone = dsn(
        "Final-Recipient: rfc822; cid@example.org\r\nAction: failed\r\nStatus: 5.0.0",
        "The recipient's mailbox is full.",
    );
    assert_eq!(one(&alone).reason, Reason::MailboxFull);
}

#[test]
fn a_permanent_unable_to_route_is_a_host_unknown_unless_the_words_say_more() {
    // Status 5.4.4 with only "Host not found": the domain has no route for good.
    let raw = dsn(
        "Final-Recipient: rfc822; d@nowhere.example\r\nAction: failed\r\nStatus: 5.4.4\r\nDiagnostic-Code: DNS; Host not found",
        "Delivery to the following recipients failed.",
    );
    let v = one(&raw);
    assert_eq!(
        (v.category, v.reason),
        (Category::HardBounce, Reason::HostUnknown)
    );
    // The same code with a name server's failure in the words: a network error.
    let v = one(&raw.replace(
        "DNS; Host not found",
        "X-Postfix; Name service error for name=nowhere.example type=MX: Malformed or unexpected name server reply",
    ));
    assert_eq!(
        (v.category, v.reason),
        (Category::SoftBounce, Reason::NetworkError)
    );
    // For now (4.4.4): a network error, never hard.
    let v = one(&raw.replace("Status: 5.4.4", "Status: 4.4.4"));
    assert_eq!(
        (v.category, v.reason),
        (Category::SoftBounce, Reason::NetworkError)
    );
}

#[test]
fn a_programs_daemon_or_a_bounce_domain_is_no_mail_system_but_a_mail_servers_daemon_is() {
    // A bug tracker's mail about a spam filter, and a newsletter sent from its bounce
    // domain: no notice, whatever their words.
    for from in [
        "bugzilla-daemon@bugs.example.org",
        "\"News\" <do_not_reply@bounce.news.example.org>",
    ] {
        let raw = format!("From: {from}\r\nTo: dev@example.org\r\nSubject: [Bug 840] score option change\r\n\r\nThe message was rejected as spam by the content filter; see comment 3.\r\n");
        let c = classify_message(raw.as_bytes()).unwrap();
        assert!(
            c.verdicts.iter().all(|v| v.category == Category::NotBounce),
            "{from}: {:?}",
            c.verdicts
        );
    }
    // MDaemon's own mailbox sends notices: read as one.
    let v = one("From: MDaemon@mx.example.com\r\nTo: sender@example.org\r\nSubject: Re: hello\r\n\r\nThe message to carol@example.com was refused: 550 5.1.1 User unknown\r\n");
    assert_eq!(
        (v.category, v.reason),
        (Category::HardBounce, Reason::UserUnknown)
    );
}

/// A notice whose own words are HTML (no plain twin) beside an original attached as plain
/// text (or, as CommuniGate writes it, a message/rfc822 part with no blank line after its
/// header, which parses as the original's own text/plain): the words are the HTML's, not
/// lost because the original's text is plain (found by `bounce-variants`' `html-text`).
#[test]
fn a_notices_own_html_words_are_read_beside_a_plain_original() {
    let raw = "From: MAILER-DAEMON@mx.example.org\r\nTo: sender@example.com\r\nSubject: Undeliverable mail\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>Failed to deliver to &#39;ann@example.net&#39;<br>\r\n host mx.example.net says:<br>\r\n 550 ann@example.net unknown user account<br>\r\n</body></html>\r\n\r\n--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822;<ann@example.net>\r\nAction: failed\r\nStatus: 5.0.0\r\n\r\n--b1\r\nContent-Type: text/plain; name=\"original.txt\"\r\nContent-Disposition: attachment\r\n\r\nFrom: sender@example.com\r\nTo: ann@example.net\r\nSubject: hello\r\n\r\nJust saying hello.\r\n\r\n--b1--\r\n";
    let c = classify_message(raw.as_bytes()).unwrap();
    assert_eq!(c.verdicts.len(), 1, "{:?}", c.verdicts);
    let v = &c.verdicts[0];
    assert_eq!(v.recipient.as_deref(), Some("ann@example.net"));
    assert_ne!(v.reason, Reason::OnHold, "{v:?}");
    assert_eq!(v.reply_code, Some(550), "{v:?}");
}
