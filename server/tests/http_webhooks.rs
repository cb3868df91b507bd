//! Webhook and raw-notice ingest over HTTP: the real app on port 0 with a fresh database, each
//! story on SQLite and on PostgreSQL when `TEST_DATABASE_URL` is set; every test asserts on
//! what is stored.

use crate::common;

use app::models::{ConversationStatus, Direction};
use base64::Engine;
use chrono::{TimeDelta, Utc};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use server::domain::address::EmailAddress;
use server::domain::suppression::{
    AccountId, GateResult, LogKind, MailKind, Scope, SuppressionKind,
};
use server::http::webhooks::StaticSnsCerts;
use server::services::ingest::IngestService;
use server::storage::deliverability::LogFilter;
use server::storage::{Db, NewMessage};
use std::collections::HashMap;
use std::sync::Arc;

const USER: &str = "acme-hooks";
const PASSWORD: &str = "a-long-webhook-secret";
const MAILGUN_KEY: &str = "key-mailgun-test";
/// The SNS topic Acme's SES notifications come from (the fixtures' topic).
const SNS_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:ses-notifications";

struct TestApp {
    base: String,
    db: Db,
    acme: i64,
    globex: i64,
    client: Client,
}

/// Two accounts, Acme with a webhook credential; both know the contacts `addresses`.
async fn setup(
    db: Db,
    addresses: &[&str],
    sendgrid_key: Option<&str>,
    sns_pem: Option<Vec<u8>>,
) -> TestApp {
    let now = Utc::now();
    let acme = db.create_account("Acme", now).await.unwrap();
    let globex = db.create_account("Globex", now).await.unwrap();
    db.create_webhook_credential(
        AccountId(acme),
        USER,
        &server::services::auth::hash_password(PASSWORD).unwrap(),
        Some(MAILGUN_KEY),
        sendgrid_key,
        now,
    )
    .await
    .unwrap();
    assert!(db.set_sns_topic_arn(USER, Some(SNS_TOPIC)).await.unwrap());
    for a in addresses {
        db.upsert_contact(AccountId(acme), a, None, now)
            .await
            .unwrap();
        db.upsert_contact(AccountId(globex), a, None, now)
            .await
            .unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut state = server::http::AppState::new(db.clone(), server::http::leptos_options(addr));
    if let Some(pem) = sns_pem {
        state = state.with_sns_certs(Arc::new(StaticSnsCerts(HashMap::from([(
            "*".to_string(),
            pem,
        )]))));
    }
    tokio::spawn(server::http::serve(listener, state, std::future::pending()));
    TestApp {
        base: format!("http://{addr}"),
        db,
        acme,
        globex,
        client: Client::new(),
    }
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/esp/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn addr(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

impl TestApp {
    async fn post(&self, path: &str, body: Vec<u8>) -> reqwest::Response {
        self.post_as(path, body, Some((USER, PASSWORD)), &[]).await
    }

    async fn post_as(
        &self,
        path: &str,
        body: Vec<u8>,
        auth: Option<(&str, &str)>,
        headers: &[(&str, String)],
    ) -> reqwest::Response {
        let content_type = if path.starts_with("/bounces/") {
            "message/rfc822"
        } else {
            "application/json"
        };
        let mut r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body);
        if let Some((u, p)) = auth {
            r = r.basic_auth(u, Some(p));
        }
        for (k, v) in headers {
            r = r.header(*k, v);
        }
        r.send().await.unwrap()
    }

    async fn log_kinds(&self, account: i64) -> Vec<(String, String)> {
        let page = self
            .db
            .org_log(
                AccountId(account),
                &LogFilter {
                    per_page: 500,
                    ..LogFilter::default()
                },
            )
            .await
            .unwrap();
        let mut out: Vec<_> = page
            .entries
            .into_iter()
            .map(|e| (e.kind, e.subject))
            .collect();
        out.reverse();
        out
    }

    async fn gate(&self, account: i64, address: &str) -> GateResult {
        IngestService::new(self.db.clone())
            .gate(
                AccountId(account),
                &addr(address),
                MailKind::Transactional,
                Utc::now(),
            )
            .await
            .unwrap()
    }

    async fn counts(&self) -> (i64, i64, i64) {
        let n = |sql: &'static str| {
            let db = self.db.clone();
            async move {
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(db.pool())
                    .await
                    .unwrap()
            }
        };
        (
            n("SELECT COUNT(*) FROM delivery_events").await,
            n("SELECT COUNT(*) FROM suppressions").await,
            n("SELECT COUNT(*) FROM org_log").await,
        )
    }

    /// The delivery status of Acme's message `message`.
    async fn delivery(&self, message: i64) -> server::storage::deliverability::MessageDelivery {
        self.db
            .message_delivery(AccountId(self.acme), message)
            .await
            .unwrap()
            .unwrap()
    }

    async fn outbound_message(&self, to: &str, message_id: &str, provider_id: Option<&str>) -> i64 {
        let now = Utc::now();
        let contact = self
            .db
            .upsert_contact(AccountId(self.acme), to, None, now)
            .await
            .unwrap();
        let conv = self
            .db
            .create_conversation(
                AccountId(self.acme),
                contact,
                "Hello",
                ConversationStatus::Open,
                now,
            )
            .await
            .unwrap();
        let id = self
            .db
            .add_message(&NewMessage {
                account_id: AccountId(self.acme),
                conversation_id: conv,
                direction: Direction::Outbound,
                from_addr: "support@acme.test",
                to_addr: to,
                subject: "Hello",
                text_body: "Hi",
                html_body: None,
                raw_source: None,
                message_id_header: Some(message_id),
                created_at: now,
                inbound_key: None,
                spam_score: None,
                spam_rules: None,
            })
            .await
            .unwrap();
        self.db
            .set_message_sent(AccountId(self.acme), id, provider_id)
            .await
            .unwrap();
        id
    }
}

async fn a_postmark_hard_bounce_suppresses_the_address_in_the_reporting_account_and_is_logged(
    db: Db,
) {
    let app = setup(db, &["john@example.com"], None, None).await;
    let message = app
        .outbound_message(
            "john@example.com",
            "<m1@acme.test>",
            Some("883953f4-6105-42a2-a16a-77a8eac79483"),
        )
        .await;

    let r = app
        .post("/webhooks/postmark", fixture("postmark/001.json"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["events"][0]["status"], "processed");

    let events = app.db.delivery_events(AccountId(app.acme)).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].category, "hard_bounce");
    assert_eq!(events[0].message_id, Some(message));
    let entries = app
        .db
        .suppressions(AccountId(app.acme), &addr("john@example.com"))
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].entry.scope, Scope::Account(AccountId(app.acme)));
    assert_eq!(entries[0].entry.kind, SuppressionKind::HardBounce);
    assert_eq!(entries[0].entry.until, None);
    assert_eq!(entries[0].entry.event_id, Some(events[0].id));
    // Matched by the provider's id to a message sent through Acme's own transport: Acme's
    // word, so Globex may still write to John.
    assert!(app
        .db
        .suppressions(AccountId(app.globex), &addr("john@example.com"))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        app.gate(app.globex, "john@example.com").await,
        GateResult::Allowed
    );
    assert_eq!(
        app.log_kinds(app.acme).await,
        vec![
            ("bounce".to_string(), "john@example.com".to_string()),
            (
                "suppression_added".to_string(),
                "john@example.com".to_string()
            ),
        ]
    );
    for (account, status) in [(app.acme, "hard_bounce"), (app.globex, "active")] {
        let c = app
            .db
            .contact_status(AccountId(account), "john@example.com")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.status, status, "account {account}");
    }
    let delivery = app.delivery(message).await;
    assert_eq!(delivery.status.as_deref(), Some("failed"));
    let error = delivery.error.unwrap();
    assert_eq!(error["category"], "hard_bounce");
    assert_eq!(error["reason"], "userunknown");
    assert_eq!(error["diagnostic"], "Test bounce details");
}

async fn the_same_provider_event_delivered_twice_is_processed_once(db: Db) {
    let app = setup(db, &["john@example.com"], None, None).await;
    let first = app
        .post("/webhooks/postmark", fixture("postmark/001.json"))
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    let after_first = app.counts().await;
    assert_eq!(after_first, (1, 1, 2));

    let second = app
        .post("/webhooks/postmark", fixture("postmark/001.json"))
        .await;
    assert_eq!(second.status(), StatusCode::OK);
    let report: Value = second.json().await.unwrap();
    assert_eq!(report["events"][0]["status"], "duplicate");
    assert_eq!(app.counts().await, after_first);
}

async fn requests_without_the_right_credential_get_401_and_store_nothing(db: Db) {
    let app = setup(db, &["john@example.com"], None, None).await;
    let cases: [Option<(&str, &str)>; 3] = [
        None,
        Some((USER, "wrong-password")),
        Some(("nobody", PASSWORD)),
    ];
    for auth in cases {
        for path in [
            "/webhooks/postmark",
            "/webhooks/sendgrid",
            "/webhooks/ses",
            "/webhooks/mailgun",
        ] {
            let r = app
                .post_as(path, fixture("postmark/001.json"), auth, &[])
                .await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path} {auth:?}");
            assert!(r.headers().contains_key("www-authenticate"));
        }
        let r = app
            .post_as(
                "/bounces/raw",
                hard_bounce_ndn("john@example.com"),
                auth,
                &[],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.counts().await, (0, 0, 0));
}

async fn malformed_json_is_a_400_with_a_reason(db: Db) {
    let app = setup(db, &[], None, None).await;
    for path in [
        "/webhooks/postmark",
        "/webhooks/sendgrid",
        "/webhooks/mailgun",
        "/webhooks/ses",
    ] {
        let r = app.post(path, b"{\"RecordType\": ".to_vec()).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "malformed", "{path}");
        assert!(
            body["reason"].as_str().unwrap().contains("JSON"),
            "{path}: {body}"
        );
    }
    let r = app
        .post(
            "/webhooks/postmark",
            br#"{"RecordType": "Bounce"}"#.to_vec(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.counts().await, (0, 0, 0));
}

async fn a_body_over_the_limit_is_a_clear_413(db: Db) {
    let app = setup(db, &[], None, None).await;
    let big = vec![b' '; server::http::webhooks::JSON_BODY_LIMIT + 1];
    let r = app.post("/webhooks/postmark", big).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "too_large");
}

/// An RFC 3464 delivery status notification for `rcpt` with `status`.
fn ndn(rcpt: &str, status: &str, diagnostic: &str) -> Vec<u8> {
    format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n\
         To: bounces@acme.test\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         Date: Mon, 23 Nov 2026 06:00:00 +0000\r\n\
         Message-ID: <ndn-{status}-{rcpt}@mx.example.net>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\
         \r\n\
         --b1\r\n\
         Content-Type: text/plain\r\n\
         \r\n\
         The message could not be delivered.\r\n\
         --b1\r\n\
         Content-Type: message/delivery-status\r\n\
         \r\n\
         Reporting-MTA: dns; mx.example.net\r\n\
         \r\n\
         Final-Recipient: rfc822; {rcpt}\r\n\
         Action: failed\r\n\
         Status: {status}\r\n\
         Diagnostic-Code: smtp; {diagnostic}\r\n\
         \r\n\
         --b1\r\n\
         Content-Type: text/rfc822-headers\r\n\
         \r\n\
         From: support@acme.test\r\n\
         To: {rcpt}\r\n\
         Subject: Your order\r\n\
         Message-ID: <order-1@acme.test>\r\n\
         \r\n\
         --b1--\r\n"
    )
    .into_bytes()
}

fn hard_bounce_ndn(rcpt: &str) -> Vec<u8> {
    ndn(
        rcpt,
        "5.1.1",
        "550 5.1.1 <user>: Recipient address rejected: User unknown",
    )
}

async fn a_raw_hard_bounce_blocks_the_address_in_the_account_and_keeps_the_contact(db: Db) {
    let app = setup(db, &["gone@example.org"], None, None).await;
    let message = app
        .outbound_message("gone@example.org", "<order-1@acme.test>", None)
        .await;
    let r = app
        .post("/bounces/raw", hard_bounce_ndn("gone@example.org"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    let events = app.db.delivery_events(AccountId(app.acme)).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].provider, "raw");
    assert_eq!(events[0].category, "hard_bounce");
    assert_eq!(events[0].status.as_deref(), Some("5.1.1"));
    assert_eq!(events[0].message_id, Some(message));
    assert!(events[0]
        .raw
        .as_deref()
        .is_some_and(|r| r.starts_with(b"From: Mail Delivery")));
    assert!(matches!(
        app.gate(app.acme, "gone@example.org").await,
        GateResult::Suppressed {
            scope: Scope::Account(_),
            kind: SuppressionKind::HardBounce,
            until: None,
            ..
        }
    ));
    assert_eq!(
        app.gate(app.globex, "gone@example.org").await,
        GateResult::Allowed,
        "an account's notice stays in the account"
    );
    let c = app
        .db
        .contact_status(AccountId(app.acme), "gone@example.org")
        .await
        .unwrap();
    assert_eq!(
        c.unwrap().status,
        "hard_bounce",
        "the contact stays, marked"
    );
    let delivery = app.delivery(message).await;
    assert_eq!(delivery.status.as_deref(), Some("failed"));
    assert_eq!(delivery.error.unwrap()["status"], "5.1.1");
}

async fn a_soft_bounce_suppresses_for_exactly_14_days(db: Db) {
    let app = setup(db, &["full@example.org"], None, None).await;
    let r = app
        .post(
            "/bounces/raw",
            ndn("full@example.org", "4.2.2", "452 4.2.2 Mailbox full"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let entries = app
        .db
        .suppressions(AccountId(app.acme), &addr("full@example.org"))
        .await
        .unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let e = &entries[0].entry;
    assert_eq!(e.kind, SuppressionKind::SoftBounce);
    assert_eq!(e.until, Some(e.since + TimeDelta::days(14)));
    let c = app
        .db
        .contact_status(AccountId(app.acme), "full@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.status, "soft_bounce");
    assert_eq!(c.until, e.until);
}

async fn a_manual_complaint_blocks_only_the_account_it_was_about_and_removes_the_contact(db: Db) {
    let app = setup(db, &["john@example.com"], None, None).await;
    let r = app
        .post("/webhooks/postmark", fixture("postmark/003.json"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(matches!(
        app.gate(app.acme, "john@example.com").await,
        GateResult::Suppressed {
            kind: SuppressionKind::SpamComplaintManual,
            until: None,
            ..
        }
    ));
    assert_eq!(
        app.gate(app.globex, "john@example.com").await,
        GateResult::Allowed
    );
    let acme = app
        .db
        .contact_status(AccountId(app.acme), "john@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(acme.status, "inactive");
    let globex = app
        .db
        .contact_status(AccountId(app.globex), "john@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(globex.status, "active");
    assert_eq!(
        app.log_kinds(app.acme)
            .await
            .first()
            .map(|(k, _)| k.as_str()),
        Some("complaint")
    );
}

async fn an_unreadable_notice_is_stored_as_unclassified_with_its_source(db: Db) {
    let app = setup(db, &[], None, None).await;
    let raw = b"From: MAILER-DAEMON@mx.example.net\r\nTo: bounces@acme.test\r\n\
        Subject: Delivery Status Notification (Failure)\r\n\r\n\
        \xff\xfe zq#kx !! 0x1f\r\n"
        .to_vec();
    let r = app.post("/bounces/raw", raw.clone()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let events = app.db.delivery_events(AccountId(app.acme)).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].category, "unclassified");
    assert_eq!(events[0].raw.as_deref(), Some(raw.as_slice()));
    assert_eq!(app.log_kinds(app.acme).await[0].0, "unclassified");
    assert_eq!(app.counts().await.1, 0, "no suppression without an address");
}

async fn a_delivery_event_marks_the_matched_message_accepted(db: Db) {
    let app = setup(db, &["alice@example.com"], None, None).await;
    let message = app
        .outbound_message(
            "alice@example.com",
            "<20130503182626.18666.16540@sandbox52e1ee4b0b7741e7a5f3f3e3c4ea2e52.mailgun.org>",
            None,
        )
        .await;
    let r = app
        .post(
            "/webhooks/mailgun",
            mailgun_signed("mailgun/004.json", MAILGUN_KEY),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let d = app.delivery(message).await;
    assert_eq!(d.status.as_deref(), Some("accepted"));
    assert!(d.delivered_at.is_some());
    assert_eq!(app.counts().await.1, 0);
}

/// The fixture signed now under `key`.
fn mailgun_signed(path: &str, key: &str) -> Vec<u8> {
    mailgun_signed_at(path, key, Utc::now())
}

/// The fixture with its timestamp set to `at` and its signature recomputed under `key`.
fn mailgun_signed_at(path: &str, key: &str, at: chrono::DateTime<Utc>) -> Vec<u8> {
    use hmac::{Hmac, Mac};
    let mut v: Value = serde_json::from_slice(&fixture(path)).unwrap();
    v["signature"]["timestamp"] = json!(at.timestamp().to_string());
    let ts = at.timestamp().to_string();
    let token = v["signature"]["token"].as_str().unwrap().to_string();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(ts.as_bytes());
    mac.update(token.as_bytes());
    v["signature"]["signature"] = json!(hex::encode(mac.finalize().into_bytes()));
    serde_json::to_vec(&v).unwrap()
}

async fn a_mailgun_event_needs_a_valid_hmac(db: Db) {
    let app = setup(db, &["alice@example.com"], None, None).await;
    let forged = mailgun_signed("mailgun/001.json", "not-the-key");
    let r = app.post("/webhooks/mailgun", forged).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.counts().await, (0, 0, 0));

    let r = app
        .post(
            "/webhooks/mailgun",
            mailgun_signed("mailgun/001.json", MAILGUN_KEY),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(matches!(
        app.gate(app.acme, "alice@example.com").await,
        GateResult::Suppressed {
            kind: SuppressionKind::HardBounce,
            ..
        }
    ));
    assert!(app
        .log_kinds(app.acme)
        .await
        .contains(&("suppression_added".into(), "alice@example.com".into())));
}

fn sendgrid_key() -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::from_bytes(&[7u8; 32].into()).unwrap()
}

fn sendgrid_public_key_b64() -> String {
    use p256::pkcs8::EncodePublicKey;
    let der = sendgrid_key().verifying_key().to_public_key_der().unwrap();
    base64::engine::general_purpose::STANDARD.encode(der.as_bytes())
}

fn sendgrid_headers(body: &[u8], key: &p256::ecdsa::SigningKey) -> Vec<(&'static str, String)> {
    sendgrid_headers_at(body, key, Utc::now())
}

fn sendgrid_headers_at(
    body: &[u8],
    key: &p256::ecdsa::SigningKey,
    at: chrono::DateTime<Utc>,
) -> Vec<(&'static str, String)> {
    use p256::ecdsa::signature::Signer;
    let ts = at.timestamp().to_string();
    let mut msg = ts.as_bytes().to_vec();
    msg.extend_from_slice(body);
    let sig: p256::ecdsa::Signature = key.sign(&msg);
    vec![
        (
            "x-twilio-email-event-webhook-signature",
            base64::engine::general_purpose::STANDARD.encode(sig.to_der().as_bytes()),
        ),
        ("x-twilio-email-event-webhook-timestamp", ts),
    ]
}

async fn a_signed_sendgrid_batch_is_verified_and_every_event_stored(db: Db) {
    let app = setup(
        db,
        &["example@test.com"],
        Some(&sendgrid_public_key_b64()),
        None,
    )
    .await;
    let body = fixture("sendgrid/001.json");
    let auth = Some((USER, PASSWORD));

    let wrong = p256::ecdsa::SigningKey::from_bytes(&[9u8; 32].into()).unwrap();
    let r = app
        .post_as(
            "/webhooks/sendgrid",
            body.clone(),
            auth,
            &sendgrid_headers(&body, &wrong),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app
        .post_as("/webhooks/sendgrid", body.clone(), auth, &[])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "a configured key makes the signature required"
    );
    assert_eq!(app.counts().await, (0, 0, 0));

    let r = app
        .post_as(
            "/webhooks/sendgrid",
            body.clone(),
            auth,
            &sendgrid_headers(&body, &sendgrid_key()),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let events = app.db.delivery_events(AccountId(app.acme)).await.unwrap();
    assert_eq!(events.len(), 7, "every deliverability event of the batch");
    let kinds: Vec<_> = app
        .db
        .suppressions(AccountId(app.acme), &addr("example@test.com"))
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.entry.kind)
        .collect();
    assert!(kinds.contains(&SuppressionKind::HardBounce), "{kinds:?}");
    assert!(kinds.contains(&SuppressionKind::Unsubscribe), "{kinds:?}");
}

async fn sendgrid_without_a_configured_key_relies_on_the_basic_credential(db: Db) {
    let app = setup(db, &["example@test.com"], None, None).await;
    let r = app
        .post("/webhooks/sendgrid", fixture("sendgrid/002.json"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let kinds: Vec<_> = app
        .log_kinds(app.acme)
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert!(kinds.contains(&"isp_block".to_string()), "{kinds:?}");
}

mod sns {
    use super::*;
    use rsa::pkcs1v15::SigningKey;
    use rsa::signature::{SignatureEncoding, Signer};
    use std::str::FromStr;
    use x509_cert::builder::{Builder, CertificateBuilder, Profile};
    use x509_cert::der::EncodePem;
    use x509_cert::name::Name;
    use x509_cert::serial_number::SerialNumber;
    use x509_cert::spki::SubjectPublicKeyInfoOwned;
    use x509_cert::time::Validity;

    pub struct Signer2 {
        pub key: rsa::RsaPrivateKey,
        pub pem: Vec<u8>,
    }

    /// A self-signed certificate made here, standing in for SNS's.
    pub fn certificate() -> Signer2 {
        let mut rng = rand::thread_rng();
        let key = rsa::RsaPrivateKey::new(&mut rng, 1024).unwrap();
        let spki = SubjectPublicKeyInfoOwned::from_key(key.to_public_key()).unwrap();
        let signer = SigningKey::<sha2::Sha256>::new(key.clone());
        let builder = CertificateBuilder::new(
            Profile::Root,
            SerialNumber::from(1u32),
            Validity::from_now(std::time::Duration::from_secs(3600)).unwrap(),
            Name::from_str("CN=sns.us-east-1.amazonaws.com").unwrap(),
            spki,
            &signer,
        )
        .unwrap();
        let cert = builder.build::<rsa::pkcs1v15::Signature>().unwrap();
        let pem = cert.to_pem(x509_cert::der::pem::LineEnding::LF).unwrap();
        Signer2 {
            key,
            pem: pem.into_bytes(),
        }
    }

    /// Signs an SNS envelope the way SNS does (canonical string, SHA1 or SHA256 with RSA).
    pub fn sign(envelope: &mut Value, key: &rsa::RsaPrivateKey, version: &str) {
        let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        sign_at(envelope, key, version, &now)
    }

    /// Signs with `Timestamp` set to `timestamp`.
    pub fn sign_at(envelope: &mut Value, key: &rsa::RsaPrivateKey, version: &str, timestamp: &str) {
        envelope["Timestamp"] = json!(timestamp);
        envelope["SignatureVersion"] = json!(version);
        envelope["Signature"] = json!("unsigned");
        envelope["SigningCertURL"] =
            json!("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem");
        let msg = server::http::webhooks::signatures::SnsMessage::from_json(envelope).unwrap();
        let canonical = msg.canonical();
        let sig = match version {
            "1" => SigningKey::<sha1::Sha1>::new(key.clone())
                .sign(canonical.as_bytes())
                .to_vec(),
            _ => SigningKey::<sha2::Sha256>::new(key.clone())
                .sign(canonical.as_bytes())
                .to_vec(),
        };
        envelope["Signature"] = json!(base64::engine::general_purpose::STANDARD.encode(sig));
    }
}

async fn an_sns_notification_is_verified_with_the_signing_certificate(db: Db) {
    let cert = sns::certificate();
    let app = setup(db, &["jane@example.com"], None, Some(cert.pem.clone())).await;

    let mut forged: Value = serde_json::from_slice(&fixture("ses/001.json")).unwrap();
    sns::sign(&mut forged, &cert.key, "1");
    forged["Message"] = json!(forged["Message"]
        .as_str()
        .unwrap()
        .replace("jane@", "joan@"));
    let r = app
        .post("/webhooks/ses", serde_json::to_vec(&forged).unwrap())
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "a changed message fails the signature"
    );
    assert_eq!(app.counts().await, (0, 0, 0));

    for (version, fixture_name) in [("1", "ses/001.json"), ("2", "ses/004.json")] {
        let mut envelope: Value = serde_json::from_slice(&fixture(fixture_name)).unwrap();
        sns::sign(&mut envelope, &cert.key, version);
        let r = app
            .post("/webhooks/ses", serde_json::to_vec(&envelope).unwrap())
            .await;
        assert_eq!(r.status(), StatusCode::OK, "SignatureVersion {version}");
    }
    let entries = app
        .db
        .suppressions(AccountId(app.acme), &addr("jane@example.com"))
        .await
        .unwrap();
    assert_eq!(entries[0].entry.kind, SuppressionKind::HardBounce);
    let mary = app
        .db
        .suppressions(AccountId(app.acme), &addr("mary@example.com"))
        .await
        .unwrap();
    assert_eq!(mary[0].entry.kind, SuppressionKind::SoftBounce);
}

async fn an_sns_subscription_confirmation_is_recorded_not_fetched(db: Db) {
    let cert = sns::certificate();
    let app = setup(db, &[], None, Some(cert.pem.clone())).await;
    let subscribe_url = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:123456789012:ses&Token=2336412f37";
    let mut envelope = json!({
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37",
        "TopicArn": SNS_TOPIC,
        "Message": "You have chosen to subscribe to the topic arn:aws:sns:us-east-1:123456789012:ses.",
        "SubscribeURL": subscribe_url,
        "Timestamp": "2026-11-23T06:00:00.000Z",
    });
    sns::sign(&mut envelope, &cert.key, "1");
    let r = app
        .post("/webhooks/ses", serde_json::to_vec(&envelope).unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let log = app
        .db
        .org_log(
            AccountId(app.acme),
            &LogFilter {
                per_page: 10,
                ..LogFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(log.entries.len(), 1);
    assert_eq!(log.entries[0].kind, LogKind::SnsSubscription.as_str());
    assert_eq!(log.entries[0].details["subscribe_url"], subscribe_url);
}

async fn a_replayed_or_stale_mailgun_request_is_refused(db: Db) {
    let app = setup(db, &["alice@example.com"], None, None).await;
    let now = Utc::now();
    let stale = mailgun_signed_at("mailgun/001.json", MAILGUN_KEY, now - TimeDelta::minutes(6));
    let r = app.post("/webhooks/mailgun", stale).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "replayed");
    let future = mailgun_signed_at("mailgun/001.json", MAILGUN_KEY, now + TimeDelta::hours(1));
    let r = app.post("/webhooks/mailgun", future).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.counts().await, (0, 0, 0));

    let fresh = mailgun_signed_at("mailgun/001.json", MAILGUN_KEY, now);
    let r = app.post("/webhooks/mailgun", fresh.clone()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let stored = app.counts().await;
    // The very same signed request, again, within the window.
    let r = app.post("/webhooks/mailgun", fresh).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "replayed");
    assert_eq!(app.counts().await, stored);
    // Another delivery (its own token) goes through.
    let r = app
        .post(
            "/webhooks/mailgun",
            mailgun_signed("mailgun/002.json", MAILGUN_KEY),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}
on_both_backends!(a_replayed_or_stale_mailgun_request_is_refused);

async fn a_stale_sendgrid_signature_is_refused(db: Db) {
    let app = setup(
        db,
        &["example@test.com"],
        Some(&sendgrid_public_key_b64()),
        None,
    )
    .await;
    let body = fixture("sendgrid/001.json");
    let old = sendgrid_headers_at(&body, &sendgrid_key(), Utc::now() - TimeDelta::minutes(10));
    let r = app
        .post_as("/webhooks/sendgrid", body, Some((USER, PASSWORD)), &old)
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "replayed");
    assert_eq!(app.counts().await, (0, 0, 0));
}
on_both_backends!(a_stale_sendgrid_signature_is_refused);

async fn sns_takes_only_the_accounts_topic_and_fresh_messages(db: Db) {
    let cert = sns::certificate();
    let app = setup(db, &["jane@example.com"], None, Some(cert.pem.clone())).await;
    let mut fresh: Value = serde_json::from_slice(&fixture("ses/001.json")).unwrap();
    sns::sign(&mut fresh, &cert.key, "1");

    // No topic set: SES notifications are refused until an operator sets one.
    app.db.set_sns_topic_arn(USER, None).await.unwrap();
    let r = app
        .post("/webhooks/ses", serde_json::to_vec(&fresh).unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    app.db
        .set_sns_topic_arn(USER, Some(SNS_TOPIC))
        .await
        .unwrap();
    // The verified credential is reused for a moment before it is read again.
    tokio::time::sleep(
        server::services::ingest::CREDENTIAL_TTL + std::time::Duration::from_millis(200),
    )
    .await;

    // Validly signed by SNS, but published to someone else's topic.
    let mut other: Value = serde_json::from_slice(&fixture("ses/001.json")).unwrap();
    other["TopicArn"] = json!("arn:aws:sns:us-east-1:999999999999:attacker");
    sns::sign(&mut other, &cert.key, "1");
    let r = app
        .post("/webhooks/ses", serde_json::to_vec(&other).unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The account's topic, but published two hours ago.
    let mut old: Value = serde_json::from_slice(&fixture("ses/001.json")).unwrap();
    let two_hours_ago =
        (Utc::now() - TimeDelta::hours(2)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    sns::sign_at(&mut old, &cert.key, "1", &two_hours_ago);
    let r = app
        .post("/webhooks/ses", serde_json::to_vec(&old).unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.counts().await, (0, 0, 0));

    let r = app
        .post("/webhooks/ses", serde_json::to_vec(&fresh).unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}
on_both_backends!(sns_takes_only_the_accounts_topic_and_fresh_messages);

async fn sns_is_refused_when_no_signing_certificate_is_configured(db: Db) {
    let app = setup(db, &[], None, None).await;
    let r = app.post("/webhooks/ses", fixture("ses/001.json")).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(app.counts().await, (0, 0, 0));
}

async fn the_demo_data_gives_acme_a_working_webhook_credential(db: Db) {
    assert!(common::seed_demo_accounts(&db).await);
    let base = common::spawn_app(db.clone()).await;
    let r = Client::new()
        .post(format!("{base}/webhooks/postmark"))
        .basic_auth(
            server::demo::DEMO_WEBHOOK_USERNAME,
            Some(server::demo::DEMO_WEBHOOK_PASSWORD),
        )
        .header("content-type", "application/json")
        .body(fixture("postmark/001.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cred = db
        .webhook_credential(server::demo::DEMO_WEBHOOK_USERNAME)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(db.delivery_events(cred.account_id).await.unwrap().len(), 1);
}

/// A SendGrid "blocked" event for `email` with its own event id.
fn sendgrid_block(email: &str, id: &str) -> Value {
    let mut v: Value = serde_json::from_slice(&fixture("sendgrid/002.json")).unwrap();
    let mut e = v[0].take();
    e["email"] = json!(email);
    e["sg_event_id"] = json!(id);
    e
}

async fn repeated_isp_blocks_from_one_domain_raise_one_alert_and_suppress_nobody(db: Db) {
    let app = setup(db, &[], None, None).await;
    let batch: Vec<Value> = (0..6)
        .map(|i| sendgrid_block(&format!("u{i}@blocky.example"), &format!("blk-{i}")))
        .collect();
    let r = app
        .post("/webhooks/sendgrid", serde_json::to_vec(&batch).unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let log = app.log_kinds(app.acme).await;
    let blocks = log.iter().filter(|(k, _)| k == "isp_block").count();
    let alerts: Vec<_> = log.iter().filter(|(k, _)| k == "domain_alert").collect();
    assert_eq!(blocks, 6);
    assert_eq!(
        alerts,
        vec![&("domain_alert".to_string(), "blocky.example".to_string())],
        "one alert per burst, at the 5th block"
    );
    assert_eq!(
        app.counts().await.1,
        0,
        "an ISP block suppresses no address"
    );
}

async fn events_of_one_message_in_one_batch_end_as_they_would_one_by_one(db: Db) {
    let app = setup(db, &["ann@example.com"], None, None).await;
    let message = app
        .outbound_message("ann@example.com", "<batch-1@acme.test>", None)
        .await;
    let event = |kind: &str, id: &str, ts: i64| {
        let mut e = json!({
            "email": "ann@example.com", "timestamp": ts, "smtp-id": "<batch-1@acme.test>",
            "event": kind, "sg_event_id": id,
        });
        if kind == "bounce" {
            e["type"] = json!("bounce");
            e["status"] = json!("5.1.1");
            e["reason"] =
                json!("550 5.1.1 The email account that you tried to reach does not exist");
        }
        e
    };
    // Accepted, then bounced, then a late "delivered": a failure is the news that matters.
    let batch = json!([
        event("delivered", "d-1", 1_700_000_000),
        event("bounce", "b-1", 1_700_000_060),
        event("delivered", "d-2", 1_700_000_120),
        event("bounce", "b-1", 1_700_000_060),
    ]);
    let r = app
        .post("/webhooks/sendgrid", serde_json::to_vec(&batch).unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let report: Value = r.json().await.unwrap();
    let statuses: Vec<&str> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["processed", "processed", "processed", "duplicate"]
    );
    let d = app.delivery(message).await;
    assert_eq!(d.status.as_deref(), Some("failed"));
    assert_eq!(d.error.unwrap()["category"], "hard_bounce");
    assert_eq!(
        d.delivered_at.map(|t| t.timestamp()),
        Some(1_700_000_000),
        "the acceptance before the bounce is kept, the one after it is not"
    );
    let c = app
        .db
        .contact_status(AccountId(app.acme), "ann@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.status, "hard_bounce");
    let events = app.db.delivery_events(AccountId(app.acme)).await.unwrap();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e.message_id == Some(message)));
}

/// Bounded loopback load test of webhook ingest (at most ~20 s). Run with
/// `cargo test -p deliverdesk --release --test integration load -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn load_webhook_ingest_on_sqlite() {
    let app = Arc::new(setup(common::sqlite_db().await, &[], None, None).await);
    let workers = 32;
    let per_worker = 250;
    let start = std::time::Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_worker);
            for i in 0..per_worker {
                let mut v: Value = serde_json::from_slice(&fixture("postmark/001.json")).unwrap();
                v["ID"] = json!(format!("{w}-{i}"));
                v["Email"] = json!(format!("u{w}-{i}@example.com"));
                let t = std::time::Instant::now();
                let r = app
                    .post("/webhooks/postmark", serde_json::to_vec(&v).unwrap())
                    .await;
                assert_eq!(r.status(), StatusCode::OK);
                latencies.push(t.elapsed());
                if start.elapsed() > std::time::Duration::from_secs(20) {
                    break;
                }
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = start.elapsed();
    all.sort();
    let p99 = all[(all.len() * 99 / 100).min(all.len() - 1)];
    let stored = app.counts().await.0;
    assert_eq!(
        stored as usize,
        all.len(),
        "every acknowledged event is stored"
    );
    println!(
        "webhook ingest on SQLite: {} events in {:.2?} = {:.0} events/s, p99 {:.2?}",
        all.len(),
        elapsed,
        all.len() as f64 / elapsed.as_secs_f64(),
        p99
    );
}

on_both_backends!(
    a_postmark_hard_bounce_suppresses_the_address_in_the_reporting_account_and_is_logged
);
on_both_backends!(the_same_provider_event_delivered_twice_is_processed_once);
on_both_backends!(requests_without_the_right_credential_get_401_and_store_nothing);
on_both_backends!(malformed_json_is_a_400_with_a_reason);
on_both_backends!(a_body_over_the_limit_is_a_clear_413);
on_both_backends!(a_raw_hard_bounce_blocks_the_address_in_the_account_and_keeps_the_contact);
on_both_backends!(a_soft_bounce_suppresses_for_exactly_14_days);
on_both_backends!(a_manual_complaint_blocks_only_the_account_it_was_about_and_removes_the_contact);
on_both_backends!(an_unreadable_notice_is_stored_as_unclassified_with_its_source);
on_both_backends!(a_delivery_event_marks_the_matched_message_accepted);
on_both_backends!(a_mailgun_event_needs_a_valid_hmac);
on_both_backends!(a_signed_sendgrid_batch_is_verified_and_every_event_stored);
on_both_backends!(sendgrid_without_a_configured_key_relies_on_the_basic_credential);
on_both_backends!(an_sns_notification_is_verified_with_the_signing_certificate);

/// An SES bounce whose SNS signature verified under the operator's certificate is recorded as
/// operator-signed, shown so in Org Logging, and still acts in Acme only (the topic is
/// Acme's: what it carries is Acme's word). A Mailgun event, signed with the key Acme gave,
/// stays account-reported.
async fn an_sns_verified_event_is_operator_signed_and_stays_in_its_account(db: Db) {
    let cert = sns::certificate();
    let app = setup(
        db,
        &["jane@example.com", "alice@example.com"],
        None,
        Some(cert.pem.clone()),
    )
    .await;
    let mut envelope: Value = serde_json::from_slice(&fixture("ses/001.json")).unwrap();
    sns::sign(&mut envelope, &cert.key, "1");
    let r = app
        .post("/webhooks/ses", serde_json::to_vec(&envelope).unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .post(
            "/webhooks/mailgun",
            mailgun_signed("mailgun/001.json", MAILGUN_KEY),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    let provenance: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT provider, provenance FROM delivery_events ORDER BY provider")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(
        provenance,
        [
            ("mailgun".to_string(), Some("account_reported".to_string())),
            ("ses".to_string(), Some("operator_signed".to_string())),
        ]
    );
    // Org Logging shows how we know it.
    let bounces = app
        .db
        .org_log(
            AccountId(app.acme),
            &LogFilter {
                kind: Some(LogKind::Bounce),
                subject: Some("jane@example.com".into()),
                per_page: 50,
                ..LogFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(bounces.entries.len(), 1);
    let details = &bounces.entries[0].details;
    assert_eq!(details["provenance"], "operator_signed");
    assert!(
        details["provenance_label"]
            .as_str()
            .unwrap()
            .contains("operator"),
        "{details}"
    );
    // Acme's own entry; nothing for Globex.
    let acme = app
        .db
        .suppressions(AccountId(app.acme), &addr("jane@example.com"))
        .await
        .unwrap();
    assert_eq!(acme.len(), 1);
    assert_eq!(acme[0].entry.scope, Scope::Account(AccountId(app.acme)));
    assert!(app
        .db
        .suppressions(AccountId(app.globex), &addr("jane@example.com"))
        .await
        .unwrap()
        .is_empty());
}
on_both_backends!(an_sns_verified_event_is_operator_signed_and_stays_in_its_account);
on_both_backends!(an_sns_subscription_confirmation_is_recorded_not_fetched);
on_both_backends!(sns_is_refused_when_no_signing_certificate_is_configured);
on_both_backends!(the_demo_data_gives_acme_a_working_webhook_credential);
on_both_backends!(repeated_isp_blocks_from_one_domain_raise_one_alert_and_suppress_nobody);
on_both_backends!(events_of_one_message_in_one_batch_end_as_they_would_one_by_one);

#[tokio::test]
async fn the_app_builds_one_ingest_service_and_every_service_shares_it() {
    // One group-commit writer and one credential cache per process: the writer's design
    // assumes it is alone.
    let db = common::sqlite_db().await;
    let state = server::http::AppState::new(
        db,
        server::http::leptos_options("127.0.0.1:0".parse().unwrap()),
    );
    let one = &state.webhooks.ingest;
    assert!(one.is_same(state.desk.ingest()));
    assert!(one.is_same(state.desk.outbound().ingest()));
    assert!(one.is_same(state.desk.campaigns().ingest()));
    assert!(!one.is_same(&IngestService::new(state.db.clone())));
}
