//! Inbound mail: the service stories on both backends (threading, the spam business rule,
//! block lists, threshold, Mark as spam / Not spam with training), then the HTTP endpoints and
//! a real SMTP session against the app.

use crate::common;

use app::models::ConversationStatus;
use chrono::{Duration, Utc};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use server::domain::inbound::InboundAction;
use server::domain::suppression::AccountId;
use server::services::inbound::{InboundError, InboundMail, InboundService};
use server::services::spam_filters::{FilterError, SpamFilters};
use server::storage::deliverability::LogFilter;
use server::storage::Db;

const SPAM: &str = "spam/spam-2-00089-1235261e1b2063edce03a18d06c11474.eml";
const HAM: &str = "ham/easy-ham-1-00024-59c2cb781c60594315241e2b50ea70e2.eml";

fn corpus(file: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/spam/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A plain customer message.
fn mail(from: &str, subject: &str, message_id: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Customer <{from}>\r\nTo: support@acme.test\r\nSubject: {subject}\r\n\
         Date: Mon, 23 Nov 2026 09:00:00 +0000\r\nMessage-ID: <{message_id}>\r\n{extra}\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn raw(bytes: &[u8]) -> InboundMail<'_> {
    InboundMail {
        raw: bytes,
        source: "raw",
        provider_id: None,
        client: None,
    }
}

async fn log_kinds(db: &Db, account: i64, kind: &str) -> Vec<Value> {
    db.org_log(
        AccountId(account),
        &LogFilter {
            kind: Some(kind.parse().unwrap()),
            per_page: 100,
            ..LogFilter::default()
        },
    )
    .await
    .unwrap()
    .entries
    .into_iter()
    .map(|e| e.details)
    .collect()
}

async fn status(db: &Db, account: i64, conversation: i64) -> (ConversationStatus, bool) {
    let d = db
        .get_conversation(AccountId(account), conversation)
        .await
        .unwrap()
        .unwrap();
    (d.summary.status, d.summary.spam)
}

async fn accounts(db: &Db) -> (i64, i64) {
    let now = Utc::now();
    let acme = db.create_account("Acme", now).await.unwrap();
    let globex = db.create_account("Globex", now).await.unwrap();
    db.add_inbound_address(AccountId(acme), "support@acme.test", now)
        .await
        .unwrap();
    (acme, globex)
}

async fn threading_and_idempotency(db: Db) {
    let (acme, globex) = accounts(&db).await;
    let svc = InboundService::new(db.clone());
    let now = Utc::now();
    let first = mail(
        "maria@example.com",
        "Order 10482 arrived damaged",
        "m1@example.com",
        "",
        "The carafe is cracked.",
    );
    let r1 = svc
        .receive(AccountId(acme), &raw(&first), now)
        .await
        .unwrap();
    assert!(r1.new_conversation && !r1.duplicate);
    assert_eq!(r1.action, Some(InboundAction::Open));
    assert!(!r1.rules.is_empty(), "the score is explained");

    // Redelivery: nothing new.
    let again = svc
        .receive(AccountId(acme), &raw(&first), now)
        .await
        .unwrap();
    assert!(again.duplicate);
    assert_eq!(
        (again.conversation_id, again.message_id),
        (r1.conversation_id, r1.message_id)
    );
    let d = db
        .get_conversation(AccountId(acme), r1.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.messages.len(), 1);
    assert!(d.messages[0].spam_score.is_some());
    assert!(!d.messages[0].spam_rules.is_empty());

    // The other account has its own copy: tenancy.
    let g = svc
        .receive(AccountId(globex), &raw(&first), now)
        .await
        .unwrap();
    assert!(!g.duplicate && g.new_conversation);
    assert_ne!(g.conversation_id, r1.conversation_id);

    // A reply by In-Reply-To joins the conversation, even from another address and subject.
    let reply = mail(
        "maria.lopez@work.example",
        "something else",
        "m2@example.com",
        "In-Reply-To: <m1@example.com>\r\n",
        "Any news?",
    );
    let r2 = svc
        .receive(AccountId(acme), &raw(&reply), now)
        .await
        .unwrap();
    assert_eq!(r2.conversation_id, r1.conversation_id);
    assert_eq!(r2.action, Some(InboundAction::Append));

    // Done conversations are reopened by the customer's reply, found by sender + subject.
    let mut tx = db.pool().begin().await.unwrap();
    server::storage::inbound::set_conversation_status(
        &mut tx,
        AccountId(acme),
        r1.conversation_id,
        false,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let by_subject = mail(
        "maria@example.com",
        "RE: Fwd: Order 10482  arrived damaged",
        "m3@example.com",
        "",
        "Still waiting.",
    );
    let r3 = svc
        .receive(AccountId(acme), &raw(&by_subject), now)
        .await
        .unwrap();
    assert_eq!(r3.conversation_id, r1.conversation_id);
    assert_eq!(r3.action, Some(InboundAction::Reopen));
    assert_eq!(
        status(&db, acme, r1.conversation_id).await,
        (ConversationStatus::Open, false)
    );

    // The same subject from someone else is a new conversation.
    let other = mail(
        "tom@example.org",
        "Re: Order 10482 arrived damaged",
        "m4@example.com",
        "",
        "Me too.",
    );
    assert!(
        svc.receive(AccountId(acme), &raw(&other), now)
            .await
            .unwrap()
            .new_conversation
    );

    // Unreadable and sender-less messages are refused with a reason, nothing stored.
    let before = db.list_contacts(AccountId(acme)).await.unwrap().len();
    assert!(matches!(
        svc.receive(
            AccountId(acme),
            &raw(b"Subject: no sender\r\n\r\nhi\r\n"),
            now
        )
        .await,
        Err(InboundError::NoSender(_))
    ));
    let huge = vec![b'a'; server::services::inbound::MAX_INBOUND_BYTES + 1];
    assert!(matches!(
        svc.receive(AccountId(acme), &raw(&huge), now).await,
        Err(InboundError::TooLarge { .. })
    ));
    assert_eq!(
        db.list_contacts(AccountId(acme)).await.unwrap().len(),
        before
    );
}
on_both_backends!(threading_and_idempotency);

async fn spam_rule_threshold_and_block_list(db: Db) {
    let (acme, _) = accounts(&db).await;
    let svc = InboundService::new(db.clone());
    let filters = SpamFilters::new(db.clone());
    let now = Utc::now();

    // Spam at the default threshold: Done + Spam: true, logged with its rules, out of
    // Reporting, findable by search.
    let spam = corpus(SPAM);
    let r = svc
        .receive(AccountId(acme), &raw(&spam), now)
        .await
        .unwrap();
    assert!(r.spam, "scored {}", r.score);
    assert!(matches!(r.action, Some(InboundAction::MarkSpam(_))));
    assert_eq!(
        status(&db, acme, r.conversation_id).await,
        (ConversationStatus::Done, true)
    );
    let logged = log_kinds(&db, acme, "spam_detected").await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["conversation_id"], json!(r.conversation_id));
    assert!(logged[0]["rules"].as_array().unwrap().len() >= 2);
    let report = db.reporting_summary(AccountId(acme)).await.unwrap();
    assert_eq!((report.open, report.done, report.excluded_spam), (0, 0, 1));
    let found = db
        .list_conversations(
            AccountId(acme),
            None,
            &server::services::search::SearchQuery::parse("spam:true"),
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 1);

    // Ham stays open.
    let ham = corpus(HAM);
    let h = svc.receive(AccountId(acme), &raw(&ham), now).await.unwrap();
    assert!(!h.spam, "scored {}", h.score);
    assert_eq!(h.action, Some(InboundAction::Open));

    // Threshold: bad input is refused with a reason; 0 lets spam through; changes are logged.
    for bad in ["", "abc", "-1", "1000"] {
        assert!(
            matches!(
                filters
                    .set_threshold(AccountId(acme), "admin@acme.test", bad, now)
                    .await,
                Err(FilterError::Invalid(_))
            ),
            "{bad:?}"
        );
    }
    filters
        .set_threshold(AccountId(acme), "admin@acme.test", "0", now)
        .await
        .unwrap();
    let spam2 = String::from_utf8_lossy(&spam)
        .replace("<29W4xlE00pvP>", "<second-copy@spam.example>")
        .replace("Subject: Hey look", "Subject: Another look")
        .into_bytes();
    let through = svc
        .receive(AccountId(acme), &raw(&spam2), now)
        .await
        .unwrap();
    assert!(!through.spam);
    assert_eq!(through.action, Some(InboundAction::Open));
    let changes = log_kinds(&db, acme, "spam_threshold_changed").await;
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (changes[0]["from"].as_f64(), changes[0]["to"].as_f64()),
        (Some(5.0), Some(0.0))
    );

    // A blocked domain (subdomains included) is held even with filtering off.
    assert!(matches!(
        filters
            .add_block(AccountId(acme), "admin@acme.test", "not a domain", "", now)
            .await,
        Err(FilterError::Invalid(_))
    ));
    let entry = filters
        .add_block(
            AccountId(acme),
            "admin@acme.test",
            "@Blocked.test",
            "pharma spam",
            now,
        )
        .await
        .unwrap();
    assert_eq!(entry.entry.value(), "blocked.test");
    assert!(matches!(
        filters.add_block(AccountId(acme), "admin@acme.test", "blocked.test", "", now).await,
        Err(FilterError::Invalid(m)) if m.contains("already")
    ));
    let from_blocked = mail(
        "sales@mx.blocked.test",
        "Hello",
        "b1@blocked.test",
        "",
        "Hi.",
    );
    let b = svc
        .receive(AccountId(acme), &raw(&from_blocked), now)
        .await
        .unwrap();
    assert!(b.spam);
    assert_eq!(
        status(&db, acme, b.conversation_id).await,
        (ConversationStatus::Done, true)
    );
    let held = log_kinds(&db, acme, "blocked_sender").await;
    assert_eq!(held[0]["why"]["entry"], json!("blocked.test"));

    // A reply from the blocked sender does not reopen the spam conversation.
    let follow_up = mail(
        "sales@mx.blocked.test",
        "Re: Hello",
        "b2@blocked.test",
        "In-Reply-To: <b1@blocked.test>\r\n",
        "Did you see my offer?",
    );
    let f = svc
        .receive(AccountId(acme), &raw(&follow_up), now)
        .await
        .unwrap();
    assert_eq!(f.conversation_id, b.conversation_id);
    assert_eq!(
        status(&db, acme, b.conversation_id).await,
        (ConversationStatus::Done, true)
    );

    // Unblocking lets the next one through; both changes are logged.
    filters
        .remove_block(AccountId(acme), "admin@acme.test", entry.id, now)
        .await
        .unwrap();
    let later = mail(
        "sales@mx.blocked.test",
        "New topic",
        "b3@blocked.test",
        "",
        "Hi again.",
    );
    assert!(
        !svc.receive(AccountId(acme), &raw(&later), now)
            .await
            .unwrap()
            .spam
    );
    assert_eq!(log_kinds(&db, acme, "block_added").await.len(), 1);
    assert_eq!(log_kinds(&db, acme, "block_removed").await.len(), 1);
    assert!(matches!(
        filters
            .remove_block(AccountId(acme), "admin@acme.test", entry.id, now)
            .await,
        Err(FilterError::NotFound)
    ));
}
on_both_backends!(spam_rule_threshold_and_block_list);

async fn mark_as_spam_and_not_spam_train_the_account(db: Db) {
    let (acme, globex) = accounts(&db).await;
    let svc = InboundService::new(db.clone());
    let filters = SpamFilters::new(db.clone());
    let now = Utc::now();
    let pitch = mail(
        "deals@promo.example",
        "Your exclusive membership upgrade",
        "p1@promo.example",
        "",
        "Upgrade your membership today for exclusive member pricing on premium widgets.",
    );
    let r = svc
        .receive(AccountId(acme), &raw(&pitch), now)
        .await
        .unwrap();
    assert!(
        !r.spam,
        "the fixture must start as ham (scored {})",
        r.score
    );
    assert_eq!(db.account_model(AccountId(acme)).await.unwrap(), None);

    // Another account cannot touch it.
    assert!(matches!(
        filters
            .mark_spam(
                AccountId(globex),
                "agent@globex.test",
                r.conversation_id,
                now
            )
            .await,
        Err(FilterError::NotFound)
    ));

    let marked = filters
        .mark_spam(AccountId(acme), "agent@acme.test", r.conversation_id, now)
        .await
        .unwrap();
    assert!(marked.blocked_now);
    assert_eq!(marked.trained_messages, 1);
    assert_eq!(
        status(&db, acme, r.conversation_id).await,
        (ConversationStatus::Done, true)
    );
    let list = db.block_list(AccountId(acme)).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].entry.value(), "deals@promo.example");
    assert_eq!(list[0].added_by, "agent@acme.test");
    let model = server::domain::spam::AccountModel::from_bytes(
        &db.account_model(AccountId(acme)).await.unwrap().unwrap(),
    )
    .unwrap();
    assert_eq!((model.spam_messages(), model.ham_messages()), (1, 0));
    assert_eq!(
        db.domain_history(AccountId(acme), "promo.example")
            .await
            .unwrap()
            .spam_flags,
        1
    );
    assert_eq!(log_kinds(&db, acme, "marked_spam").await.len(), 1);
    // Marking twice trains once.
    let again = filters
        .mark_spam(AccountId(acme), "agent@acme.test", r.conversation_id, now)
        .await
        .unwrap();
    assert_eq!((again.blocked_now, again.trained_messages), (false, 0));

    // The account's classifier now leans spam on similar mail from a new sender.
    let similar = mail(
        "offers@promo2.example",
        "Exclusive membership upgrade pricing",
        "p2@promo2.example",
        "",
        "Upgrade your membership today for exclusive member pricing on premium widgets.",
    );
    let before = SpamFilters::new(db.clone());
    let _ = before;
    let scored = svc
        .receive(AccountId(acme), &raw(&similar), now)
        .await
        .unwrap();
    let plain = svc
        .receive(AccountId(globex), &raw(&similar), now)
        .await
        .unwrap();
    assert!(
        scored.score > plain.score,
        "trained account {} vs untrained {}",
        scored.score,
        plain.score
    );

    // Not spam: reopened, attribute gone, sender unblocked on request, trained the other way.
    let unblocked = filters
        .not_spam(
            AccountId(acme),
            "agent@acme.test",
            r.conversation_id,
            true,
            now + Duration::minutes(1),
        )
        .await
        .unwrap();
    assert!(unblocked);
    assert_eq!(
        status(&db, acme, r.conversation_id).await,
        (ConversationStatus::Open, false)
    );
    assert!(db.block_list(AccountId(acme)).await.unwrap().is_empty());
    let model = server::domain::spam::AccountModel::from_bytes(
        &db.account_model(AccountId(acme)).await.unwrap().unwrap(),
    )
    .unwrap();
    assert_eq!((model.spam_messages(), model.ham_messages()), (0, 1));
    assert_eq!(log_kinds(&db, acme, "marked_not_spam").await.len(), 1);
    assert_eq!(log_kinds(&db, acme, "block_removed").await.len(), 1);
}
on_both_backends!(mark_as_spam_and_not_spam_train_the_account);

// ---- HTTP and SMTP end to end (SQLite) ----

const USER: &str = "acme-hooks";
const PASSWORD: &str = "a-long-webhook-secret";

struct App {
    base: String,
    db: Db,
    acme: i64,
    client: Client,
}

async fn app() -> App {
    let db = common::sqlite_db().await;
    let (acme, _) = accounts(&db).await;
    db.create_webhook_credential(
        AccountId(acme),
        USER,
        &server::services::auth::hash_password(PASSWORD).unwrap(),
        None,
        None,
        Utc::now(),
    )
    .await
    .unwrap();
    let base = common::spawn_app(db.clone()).await;
    App {
        base,
        db,
        acme,
        client: Client::new(),
    }
}

impl App {
    async fn post(&self, path: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .basic_auth(USER, Some(PASSWORD))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

fn postmark_payload(from: &str, subject: &str, text: &str, id: &str) -> Vec<u8> {
    json!({
        "From": from,
        "FromName": "Web Customer",
        "FromFull": {"Email": from, "Name": "Web Customer", "MailboxHash": ""},
        "To": "support@acme.test",
        "ToFull": [{"Email": "support@acme.test", "Name": "", "MailboxHash": ""}],
        "Subject": subject,
        "MessageID": id,
        "Date": "Mon, 23 Nov 2026 09:00:00 +0000",
        "TextBody": text,
        "HtmlBody": format!("<p>{text}</p><script>alert(1)</script>"),
        "Headers": [{"Name": "X-Spam-Status", "Value": "Yes, score=30"}],
        "Attachments": []
    })
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn postmark_inbound_json_creates_a_conversation_once() {
    let app = app().await;
    let body = postmark_payload(
        "web.customer@example.com",
        "Where is my parcel?",
        "Tracking says delivered but nothing arrived.",
        "pm-0001",
    );
    let (status, v) = app
        .post("/inbound/postmark", "application/json", body.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["duplicate"], json!(false));
    assert_eq!(v["action"]["action"], json!("open"));
    assert!(v["score"].is_number() && v["rules"].is_array());
    let conversation = v["conversation_id"].as_i64().unwrap();
    let d = app
        .db
        .get_conversation(AccountId(app.acme), conversation)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.summary.subject, "Where is my parcel?");
    assert_eq!(d.summary.contact_email, "web.customer@example.com");
    let html = d.messages[0].html_body.clone().unwrap();
    assert!(!html.contains("script"), "sanitized: {html}");

    let (status, v) = app
        .post("/inbound/postmark", "application/json", body)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["duplicate"], json!(true));
    let d = app
        .db
        .get_conversation(AccountId(app.acme), conversation)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.messages.len(), 1);
}

#[tokio::test]
async fn raw_mime_spam_lands_in_done_with_the_spam_attribute() {
    let app = app().await;
    let (status, v) = app
        .post("/inbound/raw", "message/rfc822", corpus(SPAM))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["spam"], json!(true));
    assert_eq!(v["action"]["action"], json!("mark_spam"));
    assert_eq!(v["action"]["reason"], json!("score"));
    let conversation = v["conversation_id"].as_i64().unwrap();
    assert_eq!(
        status_of(&app, conversation).await,
        (ConversationStatus::Done, true)
    );
}

async fn status_of(app: &App, conversation: i64) -> (ConversationStatus, bool) {
    status(&app.db, app.acme, conversation).await
}

#[tokio::test]
async fn bad_requests_get_a_reason_and_store_nothing() {
    let app = app().await;
    let url = format!("{}/inbound/postmark", app.base);
    let anonymous = app
        .client
        .post(&url)
        .body(postmark_payload("a@b.test", "x", "y", "1"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let wrong = app
        .client
        .post(&url)
        .basic_auth(USER, Some("wrong"))
        .body(postmark_payload("a@b.test", "x", "y", "1"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let cases: Vec<(&str, &str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "/inbound/postmark",
            "application/json",
            b"{not json".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed postmark inbound payload",
        ),
        (
            "/inbound/postmark",
            "application/json",
            br#"{"Subject": "x"}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "From is required",
        ),
        (
            "/inbound/postmark",
            "application/json",
            br#"{"From": "not-an-address", "TextBody": "x"}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no usable From address",
        ),
        (
            "/inbound/raw",
            "application/json",
            b"From: a@b.test\r\n\r\nx".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected message/rfc822",
        ),
        (
            "/inbound/raw",
            "message/rfc822",
            b"  \r\n".to_vec(),
            StatusCode::BAD_REQUEST,
            "empty message",
        ),
        (
            "/inbound/raw",
            "message/rfc822",
            b"Subject: hi\r\n\r\nno sender\r\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no usable From address",
        ),
        (
            "/inbound/raw",
            "message/rfc822",
            vec![b'a'; server::services::inbound::MAX_INBOUND_BYTES + 10],
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than",
        ),
    ];
    for (path, ct, body, want, reason) in cases {
        let (status, v) = app.post(path, ct, body).await;
        assert_eq!(status, want, "{path} {v}");
        assert!(
            v["reason"].as_str().unwrap_or("").contains(reason),
            "{path}: {v}"
        );
    }
    assert!(app
        .db
        .list_contacts(AccountId(app.acme))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn smtp_session_delivers_and_unknown_recipients_are_refused() {
    use lettre::message::Mailbox;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let app = app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sink = std::sync::Arc::new(server::services::inbound_smtp::InboundSink::new(
        InboundService::new(app.db.clone()),
        "mx.deliverdesk.test",
    ));
    tokio::spawn(server::smtp::serve(
        listener,
        server::smtp::SmtpConfig::default(),
        sink,
        std::future::pending(),
    ));
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .build();
    let message = Message::builder()
        .from("Lena Schmidt <lena@example.de>".parse::<Mailbox>().unwrap())
        .to("support@acme.test".parse::<Mailbox>().unwrap())
        .subject("Lieferung nach Österreich?")
        .message_id(Some("<smtp-1@example.de>".into()))
        .body("Liefern Sie auch nach Österreich?".to_string())
        .unwrap();
    let response = transport.send(message).await.unwrap();
    assert!(response.is_positive());
    let list = app
        .db
        .list_conversations(
            AccountId(app.acme),
            None,
            &server::services::search::SearchQuery::parse("from:lena@example.de"),
        )
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].subject, "Lieferung nach Österreich?");
    let d = app
        .db
        .get_conversation(AccountId(app.acme), list[0].id)
        .await
        .unwrap()
        .unwrap();
    assert!(d.messages[0].text_body.contains("Österreich"));

    let stranger = Message::builder()
        .from("lena@example.de".parse::<Mailbox>().unwrap())
        .to("nobody@acme.test".parse::<Mailbox>().unwrap())
        .subject("x")
        .body("x".to_string())
        .unwrap();
    let err = transport.send(stranger).await.unwrap_err();
    assert!(err.is_permanent(), "{err}");
    assert!(
        err.to_string().contains("5.1.1") || err.to_string().contains("550"),
        "{err}"
    );
}

/// A tracking pixel in mail HTML is not loaded when an agent opens the conversation: the HTML
/// shown has no remote image source; the version with images comes only on request.
async fn remote_images_are_held_back_until_the_agent_asks(db: Db) {
    use app::backend::Backend;
    let (acme, _) = accounts(&db).await;
    let html = "From: Shop <news@shop.test>\r\nTo: support@acme.test\r\nSubject: Your order\r\n\
        Message-ID: <pixel-1@shop.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
        <p>Thanks!</p><img src=\"https://track.shop.test/open.gif?r=42\" width=\"1\" height=\"1\">\
        <img src=\"https://cdn.shop.test/logo.png\" alt=\"Shop logo\">\r\n";
    let got = InboundService::new(db.clone())
        .receive(AccountId(acme), &raw(html.as_bytes()), Utc::now())
        .await
        .unwrap();
    let agent = app::models::CurrentUser {
        id: 1,
        account_id: acme,
        account_name: "Acme".into(),
        email: "agent@acme.test".into(),
        name: "Agent".into(),
        role: app::models::Role::Agent,
    };
    let desk = server::services::desk::DeskService::new(
        server::services::ingest::IngestService::new(db.clone()),
        "http://desk.test".into(),
    );
    let detail = desk
        .get_conversation(&agent, got.conversation_id)
        .await
        .unwrap();
    let m = &detail.messages[0];
    let shown = m.html_body.clone().unwrap();
    assert!(shown.contains("<p>Thanks!</p>"), "{shown}");
    assert!(shown.contains("Shop logo"), "{shown}");
    assert!(!shown.contains("track.shop.test"), "{shown}");
    assert!(!shown.contains("cdn.shop.test"), "{shown}");
    let on_request = m.remote_images_html.clone().expect("images on request");
    assert!(on_request.contains("https://track.shop.test/open.gif"));
}
on_both_backends!(remote_images_are_held_back_until_the_agent_asks);
