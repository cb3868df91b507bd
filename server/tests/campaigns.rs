//! Campaigns end to end against the project's own SMTP relay on loopback: suppressed contacts
//! are skipped and counted, hard bounces leave the list, List-Unsubscribe (RFC 8058 one-click)
//! suppresses bulk mail only, and the complaint-rate guardrail refuses new campaigns.

use crate::common;

use common::relay;

use chrono::Utc;
use reqwest::StatusCode;
use server::domain::address::EmailAddress;
use server::domain::suppression::{AccountId, GateResult, MailKind};
use server::services::campaigns::CampaignError;
use server::services::ingest::IngestService;
use server::services::transport::{Security, TransportConfig};
use server::storage::outbound::NewSender;
use server::storage::Db;

async fn sender(db: &Db, account: i64, address: &str, kind: &str, port: u16) -> i64 {
    db.add_sender(
        &NewSender {
            account_id: AccountId(account),
            address,
            name: Some("Acme News"),
            kind,
            transport: &TransportConfig::Smtp {
                host: "127.0.0.1".into(),
                port,
                security: Security::None,
                login: None,
            },
        },
        Utc::now(),
    )
    .await
    .unwrap()
    .unwrap()
}

async fn hard_bounce(db: &Db, account: i64, address: &str) {
    let body = serde_json::json!({
        "RecordType": "Bounce", "ID": 7, "Type": "HardBounce", "TypeCode": 1,
        "MessageID": "x-1", "Email": address, "BouncedAt": "2026-11-20T09:00:00Z",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Description": "Unknown user", "Inactive": true, "CanActivate": true
    });
    common::ingest_postmark(db, account, body, Utc::now())
        .await
        .unwrap();
}

/// The token in a sent message's List-Unsubscribe link.
fn unsubscribe_token(message: &str) -> String {
    message
        .split("/unsubscribe/")
        .nth(1)
        .unwrap()
        .chars()
        .take(32)
        .collect()
}

async fn members(db: &Db, account: i64, list: i64) -> Vec<String> {
    db.list_members(AccountId(account), list)
        .await
        .unwrap()
        .unwrap()
        .into_iter()
        .map(|(_, a)| a)
        .collect()
}

async fn campaign_story(db: Db) {
    let (relay, port) = relay().await;
    let now = Utc::now();
    let account = db.create_account("Acme", now).await.unwrap();
    let bulk = sender(&db, account, "news@acme.test", "bulk", port).await;
    let transactional = sender(&db, account, "support@acme.test", "transactional", port).await;
    let svc = common::campaigns(IngestService::new(db.clone()), "http://desk.example");

    assert!(matches!(
        svc.create_list(AccountId(account), "Bad", "a@example.com, not-an-address", now).await,
        Err(CampaignError::Invalid(m)) if m.contains("not-an-address")
    ));
    let (list, n) = svc
        .create_list(
            AccountId(account),
            "Customers",
            "alice@example.com\nnobody@example.com, gone@example.com; bob@example.com alice@example.com",
            now,
        )
        .await
        .unwrap();
    assert_eq!(n, 4);
    hard_bounce(&db, account, "gone@example.com").await;
    // A hard bounce already takes the address off the account's lists.
    assert_eq!(members(&db, account, list).await.len(), 3);
    // An old export still has it: the campaign's gate removes it before sending.
    let (list, _) = svc
        .create_list(
            AccountId(account),
            "Old export",
            "alice@example.com nobody@example.com gone@example.com bob@example.com",
            now,
        )
        .await
        .unwrap();

    assert!(matches!(
        svc.prepare(AccountId(account), "admin@acme.test", list, transactional, "News", "Hello", now).await,
        Err(CampaignError::Invalid(m)) if m.contains("bulk sender")
    ));
    let p = svc
        .prepare(
            AccountId(account),
            "admin@acme.test",
            list,
            bulk,
            "November news",
            "Our winter blend is here.",
            now,
        )
        .await
        .unwrap();
    assert_eq!((p.total, p.skipped_suppressed, p.queued), (4, 1, 3));
    svc.run(p.campaign_id, now).await.unwrap();
    let c = db.campaign(p.campaign_id).await.unwrap().unwrap();
    assert_eq!(
        (c.status.as_str(), c.sent, c.failed, c.skipped_suppressed),
        ("sent", 2, 1, 1)
    );

    // What went out: two messages with List-Unsubscribe and one-click.
    let sent = relay.accepted();
    assert_eq!(sent.len(), 2);
    let text = String::from_utf8_lossy(&sent[0].1).to_string();
    assert!(
        text.contains("List-Unsubscribe: <http://desk.example/unsubscribe/"),
        "{text}"
    );
    assert!(
        text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{text}"
    );
    assert!(sent[0].0.mail_from.starts_with("bounces+"));

    // nobody@ got a 550 5.1.1: off the list, marked in Contacts, suppressed everywhere.
    let left = members(&db, account, list).await;
    assert!(
        !left.contains(&"nobody@example.com".to_string()),
        "{left:?}"
    );
    assert_eq!(
        db.contact_status(AccountId(account), "nobody@example.com")
            .await
            .unwrap()
            .unwrap()
            .status,
        "hard_bounce"
    );

    // One-click unsubscribe: bulk mail stops, replies do not; twice is once.
    let token = text
        .split("/unsubscribe/")
        .nth(1)
        .unwrap()
        .chars()
        .take(32)
        .collect::<String>();
    let owner = db.token_owner(&token).await.unwrap().unwrap();
    let ingest = IngestService::new(db.clone());
    let first = ingest
        .record_unsubscribe(owner.account_id, &owner.address, &token, now)
        .await
        .unwrap();
    assert_eq!(first.processed(), 1);
    let again = ingest
        .record_unsubscribe(owner.account_id, &owner.address, &token, now)
        .await
        .unwrap();
    assert_eq!(again.duplicates(), 1);
    let address = EmailAddress::parse(&owner.address).unwrap();
    assert!(matches!(
        ingest
            .gate(AccountId(account), &address, MailKind::Bulk, now)
            .await
            .unwrap(),
        GateResult::Suppressed { .. }
    ));
    assert!(ingest
        .gate(AccountId(account), &address, MailKind::Transactional, now)
        .await
        .unwrap()
        .is_allowed());
    let p2 = svc
        .prepare(
            AccountId(account),
            "admin@acme.test",
            list,
            bulk,
            "December news",
            "More.",
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        p2.skipped_suppressed, 2,
        "gone@ and the unsubscribed address"
    );
}
on_both_backends!(campaign_story);

/// What the campaigns page polls while a campaign sends (the campaigns alone, no lists or
/// senders) is the account's own campaigns as the page lists them, and their progress line
/// changes when the campaign does.
async fn the_progress_poll_reads_the_accounts_own_campaigns(db: Db) {
    use app::backend::Backend;
    use app::models::CampaignView;
    let (_relay, port) = relay().await;
    let now = Utc::now();
    let acme = db.create_account("Acme", now).await.unwrap();
    let globex = db.create_account("Globex", now).await.unwrap();
    let svc = common::campaigns(IngestService::new(db.clone()), "http://desk.example");
    let mut ids = Vec::new();
    for (account, from) in [(acme, "news@acme.test"), (globex, "news@globex.test")] {
        let bulk = sender(&db, account, from, "bulk", port).await;
        let (list, _) = svc
            .create_list(
                AccountId(account),
                "Customers",
                "alice@example.com bob@example.com",
                now,
            )
            .await
            .unwrap();
        let p = svc
            .prepare(
                AccountId(account),
                "admin@example.test",
                list,
                bulk,
                "News",
                "Hello",
                now,
            )
            .await
            .unwrap();
        ids.push(p.campaign_id);
    }
    let desk = server::services::desk::DeskService::new(
        IngestService::new(db.clone()),
        "http://desk.example".into(),
    );
    let admin = app::backend::Admin::check(app::models::CurrentUser {
        id: 1,
        account_id: acme,
        account_name: "Acme".into(),
        email: "admin@acme.test".into(),
        name: "Admin".into(),
        role: app::models::Role::Admin,
    })
    .unwrap();
    let polled = desk.campaign_list(&admin).await.unwrap();
    assert_eq!(
        polled,
        Backend::campaigns(&desk, &admin).await.unwrap().campaigns
    );
    let polled_ids: Vec<i64> = polled.iter().map(|c| c.id).collect();
    assert_eq!(
        polled_ids,
        [ids[0]],
        "Globex's campaign is not Acme's to see"
    );
    let before = CampaignView::progress_signature(&polled);
    svc.run(ids[0], now).await.unwrap();
    let after = CampaignView::progress_signature(&desk.campaign_list(&admin).await.unwrap());
    assert_eq!(after, format!("{}:sent:2:0", ids[0]));
    assert_ne!(before, after);
}
on_both_backends!(the_progress_poll_reads_the_accounts_own_campaigns);

async fn guardrail_refuses_bulk_at_the_pause_rate(db: Db) {
    let (_relay, port) = relay().await;
    let now = Utc::now();
    let account = db.create_account("Acme", now).await.unwrap();
    let bulk = sender(&db, account, "news@acme.test", "bulk", port).await;
    let svc = common::campaigns(IngestService::new(db.clone()), "http://desk.example");
    let (list, _) = svc
        .create_list(AccountId(account), "L", "a@example.com", now)
        .await
        .unwrap();
    let p = svc
        .prepare(
            AccountId(account),
            "admin@acme.test",
            list,
            bulk,
            "S",
            "B",
            now,
        )
        .await
        .unwrap();
    svc.run(p.campaign_id, now).await.unwrap();
    // One complaint on one sent message: far over 0.3 %.
    common::ingest_postmark(
        &db,
        account,
        common::postmark_complaint(9, "a@example.com"),
        now,
    )
    .await
    .unwrap();
    let err = svc
        .prepare(
            AccountId(account),
            "admin@acme.test",
            list,
            bulk,
            "S2",
            "B2",
            now,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CampaignError::Paused(_)), "{err}");
    assert!(err
        .to_string()
        .contains("Replies to conversations still go out"));
}
on_both_backends!(guardrail_refuses_bulk_at_the_pause_rate);

#[tokio::test]
async fn unsubscribe_links_work_over_http() {
    let db = common::sqlite_db().await;
    let (relay, port) = relay().await;
    let now = Utc::now();
    let account = db.create_account("Acme Support", now).await.unwrap();
    let bulk = sender(&db, account, "news@acme.test", "bulk", port).await;
    let svc = common::campaigns(IngestService::new(db.clone()), "http://desk.example");
    let (list, _) = svc
        .create_list(AccountId(account), "L", "reader@example.com", now)
        .await
        .unwrap();
    let p = svc
        .prepare(
            AccountId(account),
            "admin@acme.test",
            list,
            bulk,
            "S",
            "B",
            now,
        )
        .await
        .unwrap();
    svc.run(p.campaign_id, now).await.unwrap();
    let sent = relay.accepted();
    let token = unsubscribe_token(&String::from_utf8_lossy(&sent[0].1));
    let base = common::spawn_app(db.clone()).await;
    let client = reqwest::Client::new();
    let page = client
        .get(format!("{base}/unsubscribe/{token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("reader@example.com") && html.contains("Acme Support"),
        "{html}"
    );
    // RFC 8058: a POST with this body, no cookies, no login.
    let done = client
        .post(format!("{base}/unsubscribe/{token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let address = EmailAddress::parse("reader@example.com").unwrap();
    assert!(!IngestService::new(db.clone())
        .gate(AccountId(account), &address, MailKind::Bulk, now)
        .await
        .unwrap()
        .is_allowed());
    for bad in [
        "0123",
        "zz".repeat(16).as_str(),
        "00000000000000000000000000000000",
    ] {
        let r = client
            .post(format!("{base}/unsubscribe/{bad}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
    }
}

async fn a_4xx_defers_the_recipient_then_becomes_a_soft_bounce(db: Db) {
    let (relay, port) = relay().await;
    let t0 = Utc::now();
    let account = db.create_account("Acme", t0).await.unwrap();
    let bulk = sender(&db, account, "news@acme.test", "bulk", port).await;
    let svc = common::campaigns(IngestService::new(db.clone()), "http://desk.example");
    let (list, _) = svc
        .create_list(
            AccountId(account),
            "L",
            "ok@example.com full@example.com",
            t0,
        )
        .await
        .unwrap();
    let p = svc
        .prepare(
            AccountId(account),
            "admin@acme.test",
            list,
            bulk,
            "S",
            "B",
            t0,
        )
        .await
        .unwrap();
    svc.run(p.campaign_id, t0).await.unwrap();
    let c = db.campaign(p.campaign_id).await.unwrap().unwrap();
    // full@ answered 452 4.2.2: still queued, the campaign still sending.
    assert_eq!((c.status.as_str(), c.sent, c.failed), ("sending", 1, 0));
    assert_eq!(
        svc.resume_due(t0 + chrono::Duration::minutes(4))
            .await
            .unwrap(),
        0
    );
    let mut at = t0;
    for minutes in [5, 30, 120, 360] {
        at += chrono::Duration::minutes(minutes) + chrono::Duration::seconds(1);
        assert_eq!(
            svc.resume_due(at).await.unwrap(),
            1,
            "retry after {minutes} min"
        );
    }
    let c = db.campaign(p.campaign_id).await.unwrap().unwrap();
    assert_eq!((c.status.as_str(), c.sent, c.failed), ("sent", 1, 1));
    let status = db
        .contact_status(AccountId(account), "full@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.status, "soft_bounce");
    assert_eq!(relay.accepted().len(), 1);
    assert_eq!(
        svc.resume_due(at + chrono::Duration::days(1))
            .await
            .unwrap(),
        0
    );
}
on_both_backends!(a_4xx_defers_the_recipient_then_becomes_a_soft_bounce);

/// The unsubscribe token is in the link only: neither the Message-ID nor the VERP return path
/// (which travel in forwarded mail, bounces and logs) gives it away, and the database holds
/// only its hash.
async fn unsubscribe_tokens_are_kept_out_of_headers_and_stored_hashed(db: Db) {
    let (relay, port) = relay().await;
    let now = Utc::now();
    let account = db.create_account("Acme Support", now).await.unwrap();
    let bulk = sender(&db, account, "news@acme.test", "bulk", port).await;
    let svc = common::campaigns(IngestService::new(db.clone()), "http://desk.example");
    let (list, _) = svc
        .create_list(AccountId(account), "L", "reader@example.com", now)
        .await
        .unwrap();
    let p = svc
        .prepare(
            AccountId(account),
            "admin@acme.test",
            list,
            bulk,
            "S",
            "B",
            now,
        )
        .await
        .unwrap();
    svc.run(p.campaign_id, now).await.unwrap();
    let sent = relay.accepted();
    let (envelope, data) = &sent[0];
    let text = String::from_utf8_lossy(data).to_string();
    let token = unsubscribe_token(&text);
    assert_eq!(token.len(), 32);
    let message = mail_parser::MessageParser::default().parse(data).unwrap();
    let message_id = message.message_id().unwrap();
    assert!(!message_id.contains(&token), "{message_id} names {token}");
    assert!(
        !envelope.mail_from.contains(&token),
        "{}",
        envelope.mail_from
    );
    let stored: String = sqlx::query_scalar(
        "SELECT unsubscribe_token FROM campaign_recipients WHERE campaign_id = $1",
    )
    .bind(p.campaign_id)
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_ne!(stored, token);
    assert_eq!(stored, server::storage::campaigns::hash_token(&token));
    // What is in the headers unsubscribes nobody; the token does.
    let key = message_id.split('@').next().unwrap();
    assert!(db.token_owner(key).await.unwrap().is_none());
    let owner = db.token_owner(&token).await.unwrap().unwrap();
    assert_eq!(owner.address, "reader@example.com");
}
on_both_backends!(unsubscribe_tokens_are_kept_out_of_headers_and_stored_hashed);

/// Tokens stored in the clear before migration 0010 are hashed when the server starts, and
/// the links already sent keep working.
async fn tokens_from_before_the_migration_are_hashed_and_still_work(db: Db) {
    let (_relay, port) = relay().await;
    let now = Utc::now();
    let account = db.create_account("Acme Support", now).await.unwrap();
    let bulk = sender(&db, account, "news@acme.test", "bulk", port).await;
    let svc = common::campaigns(IngestService::new(db.clone()), "http://desk.example");
    let (list, _) = svc
        .create_list(AccountId(account), "L", "reader@example.com", now)
        .await
        .unwrap();
    let p = svc
        .prepare(
            AccountId(account),
            "admin@acme.test",
            list,
            bulk,
            "S",
            "B",
            now,
        )
        .await
        .unwrap();
    // As an old release left it: the token in the clear.
    let legacy = "0123456789abcdef0123456789abcdef";
    sqlx::query("UPDATE campaign_recipients SET unsubscribe_token = $1 WHERE campaign_id = $2")
        .bind(legacy)
        .bind(p.campaign_id)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(db.hash_legacy_unsubscribe_tokens().await.unwrap(), 1);
    assert_eq!(db.hash_legacy_unsubscribe_tokens().await.unwrap(), 0);
    let stored: String = sqlx::query_scalar(
        "SELECT unsubscribe_token FROM campaign_recipients WHERE campaign_id = $1",
    )
    .bind(p.campaign_id)
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(stored.len(), 64);
    assert_eq!(
        db.token_owner(legacy).await.unwrap().unwrap().address,
        "reader@example.com"
    );
}
on_both_backends!(tokens_from_before_the_migration_are_hashed_and_still_work);
