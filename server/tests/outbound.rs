//! Outbound end to end: replies sent through a real SMTP relay on loopback (the project's own
//! listener answering 250 / 550 5.1.1 / 452 4.2.2 by recipient) and through a
//! Postmark-compatible HTTP stub; the gate, retries and the bounce bookkeeping that follow.

use crate::common;

use common::{conversation, relay};

use app::models::Direction;
use chrono::{Duration, Utc};
use server::domain::address::EmailAddress;
use server::domain::suppression::{AccountId, GateResult, MailKind};
use server::services::ingest::IngestService;
use server::services::outbound::ReplyError;
use server::services::transport::{Security, TransportConfig};
use server::storage::deliverability::LogFilter;
use server::storage::{Db, NewMessage};
use std::sync::Arc;

/// An account with a transactional sender through `transport`, and a conversation with
/// `contact` that started with an inbound message `<first@customer.test>`.
async fn setup(db: &Db, transport: TransportConfig, contact: &str) -> (i64, i64) {
    let account = common::account_with_sender(db, transport).await;
    let conversation = conversation(db, account, contact).await;
    (account, conversation)
}

fn smtp(port: u16) -> TransportConfig {
    TransportConfig::Smtp {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        login: None,
    }
}

async fn last_delivery(db: &Db, account: i64, conversation: i64) -> app::models::DeliveryView {
    let d = db
        .get_conversation(AccountId(account), conversation)
        .await
        .unwrap()
        .unwrap();
    d.messages
        .last()
        .unwrap()
        .delivery
        .clone()
        .expect("an outbound message")
}

async fn log_count(db: &Db, account: i64, kind: &str) -> i64 {
    db.org_log(
        AccountId(account),
        &LogFilter {
            kind: Some(kind.parse().unwrap()),
            ..LogFilter::default()
        },
    )
    .await
    .unwrap()
    .total
}

async fn smtp_250_is_accepted_with_threading_headers_and_verp(db: Db) {
    let (relay, port) = relay().await;
    let (account, c) = setup(&db, smtp(port), "maria@example.com").await;
    let out = common::outbound(IngestService::new(db.clone()));
    let now = Utc::now();
    out.reply(AccountId(account), c, "A replacement ships tomorrow.", now)
        .await
        .unwrap();
    let d = last_delivery(&db, account, c).await;
    assert_eq!(d.state, "accepted");
    assert_eq!(
        d.accepted_by.as_deref(),
        Some(format!("relay 127.0.0.1:{port}").as_str())
    );
    assert!(d.accepted_at.is_some() && d.error.is_none());
    assert_eq!(d.attempts, 1);

    let sent = relay.accepted();
    assert_eq!(sent.len(), 1);
    let (envelope, data) = &sent[0];
    assert_eq!(envelope.rcpt_to, vec!["maria@example.com"]);
    assert!(
        envelope.mail_from.starts_with("bounces+") && envelope.mail_from.ends_with("@acme.test")
    );
    let text = String::from_utf8_lossy(data);
    assert!(
        text.contains(&format!("In-Reply-To: <first-{c}@customer.test>")),
        "{text}"
    );
    assert!(text.contains("Subject: Re: Order late"), "{text}");
    let detail = db
        .get_conversation(AccountId(account), c)
        .await
        .unwrap()
        .unwrap();
    let mid = detail
        .messages
        .last()
        .unwrap()
        .message_id_header
        .clone()
        .unwrap();
    assert!(text.contains(&format!("Message-ID: <{mid}>")), "{text}");
    assert!(mid.ends_with("@acme.test"));

    // A hard bounce NDN arriving later turns the accepted message into a failure. It quotes
    // nothing of the message: the VERP address it was sent to finds it.
    let ndn = format!(
        "From: MAILER-DAEMON@mx.example.com\r\nTo: {}\r\nSubject: Undelivered Mail Returned to Sender\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n\
         --b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n\
         Final-Recipient: rfc822; maria@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 <maria@example.com>: Recipient address rejected: User unknown\r\n\r\n\
         --b--\r\n",
        envelope.mail_from
    );
    IngestService::new(db.clone())
        .ingest_raw(AccountId(account), ndn.as_bytes(), now)
        .await
        .unwrap();
    let d = last_delivery(&db, account, c).await;
    assert_eq!(d.state, "failed");
    let e = d.error.unwrap();
    assert_eq!(e.category, "hard_bounce");
    assert_eq!(e.code, Some(550));
    assert!(e.diagnostic.unwrap().contains("User unknown"));
}
on_both_backends!(smtp_250_is_accepted_with_threading_headers_and_verp);

async fn smtp_550_is_a_hard_bounce_never_retried_and_the_gate_then_refuses(db: Db) {
    let (relay, port) = relay().await;
    let (account, c) = setup(&db, smtp(port), "nobody@example.com").await;
    let out = common::outbound(IngestService::new(db.clone()));
    let now = Utc::now();
    out.reply(AccountId(account), c, "Hello?", now)
        .await
        .unwrap();
    let d = last_delivery(&db, account, c).await;
    assert_eq!(d.state, "failed");
    assert_eq!(d.next_attempt_at, None, "a 5xx is never retried");
    let e = d.error.unwrap();
    assert_eq!((e.category.as_str(), e.code), ("hard_bounce", Some(550)));
    assert_eq!(e.status.as_deref(), Some("5.1.1"));
    assert!(relay.accepted().is_empty());
    // Recorded like any bounce: global suppression, contact marked, logged.
    let address = EmailAddress::parse("nobody@example.com").unwrap();
    let gate = IngestService::new(db.clone())
        .gate(AccountId(account), &address, MailKind::Transactional, now)
        .await
        .unwrap();
    assert!(matches!(gate, GateResult::Suppressed { .. }));
    assert_eq!(
        db.contact_status(AccountId(account), "nobody@example.com")
            .await
            .unwrap()
            .unwrap()
            .status,
        "hard_bounce"
    );
    assert_eq!(log_count(&db, account, "bounce").await, 1);
    assert_eq!(log_count(&db, account, "suppression_added").await, 1);
    // Nothing is retried.
    assert_eq!(out.retry_due(now + Duration::days(1)).await.unwrap(), 0);

    // The next reply is refused before sending, with the reason.
    let err = out
        .reply(
            AccountId(account),
            c,
            "Hello again?",
            now + Duration::minutes(1),
        )
        .await
        .unwrap_err();
    match err {
        ReplyError::Suppressed { kind, scope, .. } => {
            assert_eq!(kind, "hard bounce");
            // Our own relay's word: it holds in this account (issue 16).
            assert_eq!(scope, "for this account");
        }
        other => panic!("{other:?}"),
    }
    let msg = out
        .reply(AccountId(account), c, "x", now)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("nobody@example.com") && msg.contains("reactivate"),
        "{msg}"
    );
    let outbound = db
        .get_conversation(AccountId(account), c)
        .await
        .unwrap()
        .unwrap()
        .messages
        .iter()
        .filter(|m| m.direction == Direction::Outbound)
        .count();
    assert_eq!(outbound, 1, "refused replies are not stored as sent");
}
on_both_backends!(smtp_550_is_a_hard_bounce_never_retried_and_the_gate_then_refuses);

async fn smtp_452_is_retried_with_backoff_then_a_soft_bounce(db: Db) {
    let (_relay, port) = relay().await;
    let (account, c) = setup(&db, smtp(port), "full@example.com").await;
    let out = common::outbound(IngestService::new(db.clone()));
    let t0 = Utc::now();
    out.reply(AccountId(account), c, "Hello", t0).await.unwrap();
    let d = last_delivery(&db, account, c).await;
    assert_eq!(d.state, "deferred");
    assert_eq!(d.error.as_ref().unwrap().code, Some(452));
    let mut at = d.next_attempt_at.unwrap();
    assert_eq!((at - t0 + Duration::milliseconds(1)).num_minutes(), 5);
    // Not due yet: nothing happens.
    assert_eq!(out.retry_due(at - Duration::seconds(1)).await.unwrap(), 0);
    for (i, gap) in [30, 120, 360].into_iter().enumerate() {
        assert_eq!(out.retry_due(at).await.unwrap(), 1, "retry {}", i + 1);
        let d = last_delivery(&db, account, c).await;
        assert_eq!(d.state, "deferred");
        assert_eq!(d.attempts, i as i64 + 2);
        let next = d.next_attempt_at.unwrap();
        assert_eq!((next - at).num_minutes(), gap);
        at = next;
    }
    assert_eq!(log_count(&db, account, "deferred").await, 4);
    // The 4th retry fails too: a soft bounce, 14 days, and no more attempts.
    assert_eq!(out.retry_due(at).await.unwrap(), 1);
    let d = last_delivery(&db, account, c).await;
    assert_eq!(d.state, "failed");
    assert_eq!(d.attempts, 5);
    assert_eq!(d.error.unwrap().category, "soft_bounce");
    let status = db
        .contact_status(AccountId(account), "full@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.status, "soft_bounce");
    assert_eq!(
        (status.until.unwrap() - at + Duration::milliseconds(1)).num_days(),
        14
    );
    assert_eq!(out.retry_due(at + Duration::days(1)).await.unwrap(), 0);
}
on_both_backends!(smtp_452_is_retried_with_backoff_then_a_soft_bounce);

#[tokio::test]
async fn a_reply_needs_a_sender_address_and_the_accounts_own_conversation() {
    let db = common::sqlite_db().await;
    let (_relay, port) = relay().await;
    let (account, c) = setup(&db, smtp(port), "maria@example.com").await;
    let other = db.create_account("Globex", Utc::now()).await.unwrap();
    let out = common::outbound(IngestService::new(db.clone()));
    assert!(matches!(
        out.reply(AccountId(other), c, "hi", Utc::now()).await,
        Err(ReplyError::NotFound)
    ));
    let theirs = conversation(&db, other, "hank@example.com").await;
    assert!(matches!(
        out.reply(AccountId(other), theirs, "hi", Utc::now()).await,
        Err(ReplyError::NoSender)
    ));
    assert!(matches!(
        out.reply(AccountId(account), c, "   ", Utc::now()).await,
        Err(ReplyError::Invalid(_))
    ));
}

/// A Postmark-compatible `POST /email` stub: refuses a wrong token, answers 406 for
/// `inactive@…`, accepts the rest with a MessageID.
async fn postmark_stub() -> (String, Arc<std::sync::Mutex<Vec<serde_json::Value>>>) {
    use axum::{http::HeaderMap, routing::post, Json, Router};
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = Router::new().route(
        "/email",
        post(move |headers: HeaderMap, Json(body): Json<serde_json::Value>| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(body.clone());
                let token = headers.get("x-postmark-server-token").and_then(|v| v.to_str().ok());
                if token != Some("server-token") {
                    return (axum::http::StatusCode::UNAUTHORIZED, Json(serde_json::json!({"ErrorCode": 10, "Message": "Bad or missing Server API token."})));
                }
                if body["To"].as_str().unwrap_or("").contains("inactive@") {
                    return (axum::http::StatusCode::UNPROCESSABLE_ENTITY, Json(serde_json::json!({"ErrorCode": 406, "Message": "You tried to send to recipient(s) that have been marked as inactive."})));
                }
                (axum::http::StatusCode::OK, Json(serde_json::json!({"To": body["To"], "SubmittedAt": "2026-11-23T09:00:00Z", "MessageID": "0a129aee-e1cd-480d-b08d-4f48548ff48d", "ErrorCode": 0, "Message": "OK"})))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn postmark_api_transport_accepts_refuses_and_keeps_the_provider_id() {
    let db = common::sqlite_db().await;
    let (url, seen) = postmark_stub().await;
    let transport = TransportConfig::Postmark {
        base_url: url.clone(),
        server_token: "server-token".into(),
    };
    let (account, c) = setup(&db, transport, "maria@example.com").await;
    let out = common::outbound(IngestService::new(db.clone()));
    out.reply(AccountId(account), c, "Your parcel left today.", Utc::now())
        .await
        .unwrap();
    let d = last_delivery(&db, account, c).await;
    assert_eq!(d.state, "accepted");
    assert_eq!(d.accepted_by, Some(format!("API {url}")));
    let body = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(body["To"], "maria@example.com");
    assert_eq!(body["Subject"], "Re: Order late");
    assert_eq!(
        body["TextBody"].as_str().unwrap().trim(),
        "Your parcel left today."
    );
    // The provider's id finds the message when Postmark's webhook reports on it.
    let bounce = serde_json::json!({
        "RecordType": "Bounce", "ID": 99, "Type": "HardBounce", "TypeCode": 1,
        "MessageID": "0a129aee-e1cd-480d-b08d-4f48548ff48d", "Email": "maria@example.com",
        "Description": "The server was unable to deliver your message.",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "BouncedAt": "2026-11-23T09:05:00Z", "Inactive": true, "CanActivate": true
    });
    let events = server::domain::bounce::classify_esp(
        server::domain::bounce::Provider::Postmark,
        bounce.to_string().as_bytes(),
    )
    .unwrap();
    IngestService::new(db.clone())
        .ingest_esp(
            AccountId(account),
            server::domain::bounce::Provider::Postmark,
            &events,
            b"{}",
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(last_delivery(&db, account, c).await.state, "failed");

    // 406 (inactive recipient) is a permanent refusal.
    let c2 = conversation(&db, account, "inactive@example.com").await;
    out.reply(AccountId(account), c2, "Hello", Utc::now())
        .await
        .unwrap();
    let d = last_delivery(&db, account, c2).await;
    assert_eq!(d.state, "failed");
    assert_eq!(d.error.unwrap().code, Some(550));

    // A wrong token is the account's problem, not the recipient's: deferred, not bounced.
    let db2 = common::sqlite_db().await;
    let (account2, c3) = setup(
        &db2,
        TransportConfig::Postmark {
            base_url: url,
            server_token: "wrong".into(),
        },
        "maria@example.com",
    )
    .await;
    common::outbound(IngestService::new(db2.clone()))
        .reply(AccountId(account2), c3, "Hello", Utc::now())
        .await
        .unwrap();
    assert_eq!(last_delivery(&db2, account2, c3).await.state, "deferred");
}

async fn complaint_rate_rises_are_logged_once(db: Db) {
    let now = Utc::now();
    let account = db.create_account("Acme", now).await.unwrap();
    let c = conversation(&db, account, "someone@example.com").await;
    // 500 messages sent today.
    let mut tx = db.pool().begin().await.unwrap();
    for i in 0..500 {
        server::storage::insert_message(
            &mut tx,
            &NewMessage {
                account_id: AccountId(account),
                conversation_id: c,
                direction: Direction::Outbound,
                from_addr: "support@acme.test",
                to_addr: "someone@example.com",
                subject: "Re: Order late",
                text_body: "x",
                html_body: None,
                raw_source: None,
                message_id_header: Some(&format!("<bulk-{i}@acme.test>")),
                created_at: now,
                inbound_key: None,
                spam_score: None,
                spam_rules: None,
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let ingest = IngestService::new(db.clone());
    let complain = |n: u32| {
        let db = db.clone();
        async move {
            let body = common::postmark_complaint(4000 + n, &format!("reader{n}@example.com"));
            common::ingest_postmark(&db, account, body, now)
                .await
                .unwrap();
        }
    };
    complain(1).await; // 1 / 500 = 20 per 10,000: warning
    assert_eq!(log_count(&db, account, "rate_warning").await, 1);
    assert_eq!(log_count(&db, account, "bulk_paused").await, 0);
    complain(2).await; // 40 per 10,000: paused
    assert_eq!(log_count(&db, account, "bulk_paused").await, 1);
    complain(3).await; // still paused: nothing new
    assert_eq!(log_count(&db, account, "rate_warning").await, 1);
    assert_eq!(log_count(&db, account, "bulk_paused").await, 1);
    let rates = ingest
        .check_complaint_rate(AccountId(account), now)
        .await
        .unwrap();
    assert_eq!((rates.sent, rates.complaints_auto), (500, 3));
}
on_both_backends!(complaint_rate_rises_are_logged_once);

async fn complaint_rates_are_counted_per_recipient_domain(db: Db) {
    let (_relay, port) = relay().await;
    let (account, first) = setup(&db, smtp(port), "ann@gmail.test").await;
    let out = common::outbound(IngestService::new(db.clone()));
    let now = Utc::now();
    out.reply(AccountId(account), first, "Hello Ann", now)
        .await
        .unwrap();
    for contact in ["bob@gmail.test", "Cleo@GMAIL.test", "dan@yahoo.test"] {
        let c = conversation(&db, account, contact).await;
        out.reply(AccountId(account), c, "Hello", now)
            .await
            .unwrap();
    }
    common::ingest_postmark(
        &db,
        account,
        common::postmark_complaint(5001, "bob@gmail.test"),
        now,
    )
    .await
    .unwrap();
    let today = now.timestamp().div_euclid(86_400);
    let counts = db
        .daily_domain_counts(AccountId(account), today - 29, today)
        .await
        .unwrap();
    let got: Vec<(&str, i64, i64)> = counts
        .iter()
        .map(|c| (c.domain.as_str(), c.sent, c.complaints))
        .collect();
    assert_eq!(got, [("gmail.test", 3, 1), ("yahoo.test", 1, 0)]);
    assert!(counts.iter().all(|c| c.day == today));
}
on_both_backends!(complaint_rates_are_counted_per_recipient_domain);

async fn a_550_from_the_shared_transport_suppresses_the_address_for_every_account(db: Db) {
    // The operator's relay, shared by every account; Acme's sender uses it without its
    // settings (issue 16).
    let (relay, port) = relay().await;
    let (account, c) = setup(&db, TransportConfig::Shared, "nobody@example.com").await;
    let out = common::outbound(IngestService::new(db.clone()))
        .with_shared_transport(Some(Arc::new(smtp(port))));
    let now = Utc::now();
    out.reply(AccountId(account), c, "Hello?", now)
        .await
        .unwrap();
    assert!(relay.accepted().is_empty());
    let d = last_delivery(&db, account, c).await;
    assert_eq!(d.state, "failed");
    // The shared transport's own answer: every account's gate refuses, with its basis.
    let other = db.create_account("Globex", now).await.unwrap();
    let address = EmailAddress::parse("nobody@example.com").unwrap();
    match IngestService::new(db.clone())
        .gate(AccountId(other), &address, MailKind::Transactional, now)
        .await
        .unwrap()
    {
        GateResult::Suppressed { reason, .. } => assert!(
            reason.starts_with("global: bounced on our shared transport"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    // Globex's contacts and log are untouched.
    assert_eq!(log_count(&db, other, "bounce").await, 0);
    // A reply from Acme is refused with the basis in the message the agent reads.
    let msg = out
        .reply(
            AccountId(account),
            c,
            "Hello again?",
            now + Duration::minutes(1),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("for every account")
            && msg.contains("global: bounced on our shared transport"),
        "{msg}"
    );
}
on_both_backends!(a_550_from_the_shared_transport_suppresses_the_address_for_every_account);

async fn the_shared_transport_hides_its_relay_from_the_account(db: Db) {
    let (relay, port) = relay().await;
    let (account, c) = setup(&db, TransportConfig::Shared, "maria@example.com").await;
    let out = common::outbound(IngestService::new(db.clone()))
        .with_shared_transport(Some(Arc::new(smtp(port))));
    out.reply(AccountId(account), c, "Hello!", Utc::now())
        .await
        .unwrap();
    let d = last_delivery(&db, account, c).await;
    assert_eq!(d.state, "accepted");
    assert_eq!(d.accepted_by.as_deref(), Some("our shared transport"));
    let sent = relay.accepted();
    assert_eq!(sent.len(), 1);
    // The envelope's VERP token is not the Message-ID's: only the envelope carries it.
    let envelope = &sent[0].0;
    let token = envelope
        .mail_from
        .strip_prefix("bounces+")
        .and_then(|s| s.split('@').next())
        .unwrap()
        .to_string();
    let raw = String::from_utf8_lossy(&sent[0].1).to_string();
    assert!(
        !raw.contains(&token),
        "the VERP token is not in the message"
    );
    // Without a configured shared transport, nothing goes out (tried again later).
    let (account2, c2) = setup(&db, TransportConfig::Shared, "maria@example.com").await;
    let none = common::outbound(IngestService::new(db.clone()));
    none.reply(AccountId(account2), c2, "Hello?", Utc::now())
        .await
        .unwrap();
    assert_eq!(last_delivery(&db, account2, c2).await.state, "deferred");
}
on_both_backends!(the_shared_transport_hides_its_relay_from_the_account);
/// A contact whose display name (taken from their own From) is `spy@evil.test, Jane`.
async fn contact_with_a_hostile_name(db: &Db, transport: TransportConfig) -> (i64, i64) {
    let account = common::account_with_sender(db, transport).await;
    db.upsert_contact(
        AccountId(account),
        "jane@example.com",
        Some("spy@evil.test, Jane"),
        Utc::now(),
    )
    .await
    .unwrap();
    (account, conversation(db, account, "jane@example.com").await)
}

/// Every address a `To:` value names, as a mail reader parses it.
fn to_addresses(to: &str) -> Vec<String> {
    let raw = format!("To: {to}\r\n\r\n");
    let parsed = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap();
    parsed
        .to()
        .map(|a| {
            a.iter()
                .filter_map(|a| a.address().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_display_name_with_a_comma_adds_no_recipient_through_the_api() {
    let db = common::sqlite_db().await;
    let (url, seen) = postmark_stub().await;
    let transport = TransportConfig::Postmark {
        base_url: url,
        server_token: "server-token".into(),
    };
    let (account, c) = contact_with_a_hostile_name(&db, transport).await;
    common::outbound(IngestService::new(db.clone()))
        .reply(AccountId(account), c, "Hello", Utc::now())
        .await
        .unwrap();
    let body = seen.lock().unwrap().last().cloned().unwrap();
    let to = body["To"].as_str().unwrap();
    assert_eq!(to_addresses(to), ["jane@example.com"], "To: {to}");
}

#[tokio::test]
async fn a_display_name_with_a_comma_adds_no_recipient_over_smtp() {
    let db = common::sqlite_db().await;
    let (relay, port) = relay().await;
    let (account, c) = contact_with_a_hostile_name(&db, smtp(port)).await;
    common::outbound(IngestService::new(db.clone()))
        .reply(AccountId(account), c, "Hello", Utc::now())
        .await
        .unwrap();
    let sent = relay.accepted();
    let (envelope, data) = &sent[0];
    assert_eq!(envelope.rcpt_to, ["jane@example.com"]);
    let message = mail_parser::MessageParser::default().parse(data).unwrap();
    let to: Vec<_> = message
        .to()
        .unwrap()
        .iter()
        .filter_map(|a| a.address())
        .collect();
    assert_eq!(to, ["jane@example.com"]);
}
