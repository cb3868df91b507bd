//! Issue 18's controls on both backends: the allowlist (storage, the spam rule through the
//! inbound service, Org Logging), the threshold what-if from stored scores, and the address
//! history behind a red delivery badge (an account never sees another account's notice).

use crate::common;

use chrono::{Duration, Utc};
use serde_json::json;
use server::domain::inbound::{BlockEntry, InboundAction};
use server::domain::suppression::AccountId;
use server::services::inbound::{InboundMail, InboundService};
use server::services::spam_filters::{FilterError, SpamFilters};
use server::storage::deliverability::LogFilter;
use server::storage::Db;

const SPAM: &str = "spam/spam-2-00089-1235261e1b2063edce03a18d06c11474.eml";

fn corpus(file: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/spam/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn raw(bytes: &[u8]) -> InboundMail<'_> {
    InboundMail {
        raw: bytes,
        source: "raw",
        provider_id: None,
        client: None,
    }
}

async fn log_of(db: &Db, account: i64, kind: &str) -> Vec<serde_json::Value> {
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

async fn the_allowlist_overrides_a_score_but_not_a_block(db: Db) {
    let now = Utc::now();
    let acme = db.create_account("Acme", now).await.unwrap();
    let globex = db.create_account("Globex", now).await.unwrap();
    let filters = SpamFilters::new(db.clone());
    let svc = InboundService::new(db.clone());
    let spam = corpus(SPAM);

    // Without the allowlist the message is spam.
    let before = svc
        .receive(AccountId(globex), &raw(&spam), now)
        .await
        .unwrap();
    assert!(before.spam, "scored {}", before.score);

    // Acme allows the sender's domain: bad input and duplicates are refused with a reason.
    for bad in ["", "not an address", "@"] {
        assert!(matches!(
            filters
                .add_allow(AccountId(acme), "admin@acme.test", bad, "", now)
                .await,
            Err(FilterError::Invalid(_))
        ));
    }
    let row = filters
        .add_allow(
            AccountId(acme),
            "admin@acme.test",
            "Adelphia.net",
            "partner",
            now,
        )
        .await
        .unwrap();
    assert_eq!(row.entry.value(), "adelphia.net");
    assert!(matches!(
        filters
            .add_allow(AccountId(acme), "admin@acme.test", "adelphia.net", "", now)
            .await,
        Err(FilterError::Invalid(m)) if m.contains("already on the allowlist")
    ));
    // Per account: Globex sees nothing of it.
    assert_eq!(db.allow_list(AccountId(acme)).await.unwrap().len(), 1);
    assert!(db.allow_list(AccountId(globex)).await.unwrap().is_empty());
    let candidates = BlockEntry::candidates(
        &server::domain::address::EmailAddress::parse("x@mx.adelphia.net").unwrap(),
    );
    assert!(db
        .allow_match(AccountId(acme), &candidates)
        .await
        .unwrap()
        .is_some());
    assert!(db
        .allow_match(AccountId(globex), &candidates)
        .await
        .unwrap()
        .is_none());
    assert!(db
        .allow_entry(AccountId(globex), row.id)
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        filters
            .remove_allow(AccountId(globex), "admin@globex.test", row.id, now)
            .await,
        Err(FilterError::NotFound)
    ));
    assert_eq!(log_of(&db, acme, "allow_added").await.len(), 1);

    // The same message for Acme: the score still says spam, the allowlist keeps it open,
    // and Org Logging says so.
    let r = svc
        .receive(AccountId(acme), &raw(&spam), now)
        .await
        .unwrap();
    assert!(r.score >= 5.0, "scored {}", r.score);
    assert!(!r.spam);
    assert_eq!(r.action, Some(InboundAction::Open));
    let overrides = log_of(&db, acme, "allowlist_override").await;
    assert_eq!(overrides.len(), 1);
    assert_eq!(overrides[0]["allowed_by"], json!("adelphia.net"));
    assert_eq!(overrides[0]["conversation_id"], json!(r.conversation_id));
    assert!(log_of(&db, acme, "spam_detected").await.is_empty());
    assert!(log_of(&db, globex, "allowlist_override").await.is_empty());
    // The score badge's data: the score and the rules that fired, as stored at scoring time,
    // for this account only.
    let detail = db
        .get_conversation(AccountId(acme), r.conversation_id)
        .await
        .unwrap()
        .unwrap();
    let m = &detail.messages[0];
    assert_eq!(m.spam_score, Some((r.score * 100.0).round() / 100.0));
    let stored: Vec<&str> = m.spam_rules.iter().map(|h| h.name.as_str()).collect();
    let fired: Vec<&str> = r.rules.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(stored, fired);
    assert!(m
        .spam_rules
        .iter()
        .all(|h| h.points != 0.0 && !h.description.is_empty()));
    assert!(db
        .get_conversation(AccountId(globex), r.conversation_id)
        .await
        .unwrap()
        .is_none());

    // The block list wins over the allowlist.
    filters
        .add_block(
            AccountId(acme),
            "admin@acme.test",
            "pFn0HWRlO@adelphia.net",
            "",
            now,
        )
        .await
        .unwrap();
    let other = b"From: <pFn0HWRlO@adelphia.net>\r\nTo: support@acme.test\r\nSubject: hi\r\n\
Message-ID: <another@adelphia.net>\r\n\r\nhello\r\n"
        .to_vec();
    let blocked = svc
        .receive(AccountId(acme), &raw(&other), now)
        .await
        .unwrap();
    assert!(blocked.spam);
    assert_eq!(log_of(&db, acme, "allowlist_override").await.len(), 1);

    // Removing the entry is logged; the domain is no longer allowed.
    filters
        .remove_allow(AccountId(acme), "admin@acme.test", row.id, now)
        .await
        .unwrap();
    assert!(db.allow_list(AccountId(acme)).await.unwrap().is_empty());
    assert_eq!(log_of(&db, acme, "allow_removed").await.len(), 1);
}
on_both_backends!(the_allowlist_overrides_a_score_but_not_a_block);

/// Stores an inbound message of `conversation` scored `centi` at `at`, flagged `trained`.
async fn scored(
    db: &Db,
    account: i64,
    conversation: i64,
    centi: i64,
    at: chrono::DateTime<Utc>,
    trained: Option<&str>,
) {
    let rules = "[]";
    let id = db
        .add_message(&server::storage::NewMessage {
            account_id: AccountId(account),
            conversation_id: conversation,
            direction: app::models::Direction::Inbound,
            from_addr: "someone@example.com",
            to_addr: "support@acme.test",
            subject: "s",
            text_body: "t",
            html_body: None,
            raw_source: None,
            message_id_header: None,
            created_at: at,
            inbound_key: None,
            spam_score: Some(centi as f64 / 100.0),
            spam_rules: Some(rules),
        })
        .await
        .unwrap();
    if let Some(label) = trained {
        let mut conn = db.pool().acquire().await.unwrap();
        server::storage::inbound::set_trained_as(&mut conn, id, label)
            .await
            .unwrap();
    }
}

async fn the_what_if_reads_the_last_30_days_of_one_account(db: Db) {
    let now = Utc::now();
    let acme = db.create_account("Acme", now).await.unwrap();
    let globex = db.create_account("Globex", now).await.unwrap();
    let filters = SpamFilters::new(db.clone());
    let c_acme = common::conversation(&db, acme, "a@example.com").await;
    let c_spam = common::conversation(&db, acme, "s@example.com").await;
    let c_ham = common::conversation(&db, acme, "h@example.com").await;
    let c_globex = common::conversation(&db, globex, "g@example.com").await;
    // Acme: scores 1.0, 3.0, 4.5, 6.0, 9.0 in the window, one at 20.0 too old to count.
    for centi in [100, 300, 450, 600, 900] {
        scored(&db, acme, c_acme, centi, now - Duration::days(2), None).await;
    }
    scored(&db, acme, c_acme, 2000, now - Duration::days(31), None).await;
    // A conversation agents called spam (best score 4.5) and one they called not spam (6.5).
    scored(
        &db,
        acme,
        c_spam,
        200,
        now - Duration::days(1),
        Some("spam"),
    )
    .await;
    scored(
        &db,
        acme,
        c_spam,
        450,
        now - Duration::days(1),
        Some("spam"),
    )
    .await;
    scored(&db, acme, c_ham, 650, now - Duration::days(1), Some("ham")).await;
    // Globex's mail never counts for Acme.
    for _ in 0..10 {
        scored(
            &db,
            globex,
            c_globex,
            5000,
            now - Duration::days(1),
            Some("spam"),
        )
        .await;
    }

    let (current, candidate, w) = filters
        .threshold_what_if(AccountId(acme), "5", now)
        .await
        .unwrap();
    assert_eq!((current.value(), candidate.value()), (5.0, 5.0));
    // 5 + 3 flagged messages in the window; the seeded conversations' first messages carry
    // no score and do not count.
    assert_eq!(w.messages, 8);
    assert_eq!((w.spam_now, w.spam_then), (3, 3)); // 6.0, 9.0, 6.5
    assert_eq!((w.flagged_spam.right, w.flagged_spam.wrong), (0, 1));
    assert_eq!((w.flagged_not_spam.right, w.flagged_not_spam.wrong), (0, 1));

    let (_, _, w) = filters
        .threshold_what_if(AccountId(acme), "4,5", now)
        .await
        .unwrap();
    assert_eq!((w.spam_now, w.spam_then, w.change()), (3, 5, 2));
    assert_eq!((w.flagged_spam.right, w.flagged_spam.wrong), (1, 0));

    let (_, _, w) = filters
        .threshold_what_if(AccountId(acme), "7", now)
        .await
        .unwrap();
    assert_eq!((w.spam_then, w.change()), (1, -2));
    assert_eq!((w.flagged_not_spam.right, w.flagged_not_spam.wrong), (1, 0));

    let (_, _, w) = filters
        .threshold_what_if(AccountId(acme), "0", now)
        .await
        .unwrap();
    assert_eq!(w.spam_then, 0);

    assert!(matches!(
        filters
            .threshold_what_if(AccountId(acme), "lots", now)
            .await,
        Err(FilterError::Invalid(_))
    ));
    let (_, _, g) = filters
        .threshold_what_if(AccountId(globex), "5", now)
        .await
        .unwrap();
    assert_eq!((g.messages, g.spam_then), (10, 10));
    assert_eq!(g.flagged_spam.right, 1);
}
on_both_backends!(the_what_if_reads_the_last_30_days_of_one_account);

fn postmark(id: u32, email: &str, hard: bool, words: &str) -> serde_json::Value {
    if hard {
        json!({
            "RecordType": "Bounce", "ID": id, "Type": "HardBounce", "TypeCode": 1,
            "Name": "Hard bounce", "MessageID": format!("made-up-{id}"), "Email": email,
            "Description": "bounce", "Details": format!("smtp;550 5.1.1 {words}"),
            "BouncedAt": "2026-11-23T09:00:00Z", "Inactive": true, "CanActivate": true,
        })
    } else {
        common::postmark_complaint(id, email)
    }
}

/// Ingests `body` as `account`'s Postmark webhook, keeping the payload as the raw notice.
async fn ingest(db: &Db, account: i64, body: serde_json::Value, now: chrono::DateTime<Utc>) {
    let bytes = body.to_string().into_bytes();
    let events =
        server::domain::bounce::classify_esp(server::domain::bounce::Provider::Postmark, &bytes)
            .unwrap();
    let report = server::services::ingest::IngestService::new(db.clone())
        .ingest_esp(
            AccountId(account),
            server::domain::bounce::Provider::Postmark,
            &events,
            &bytes,
            now,
        )
        .await
        .unwrap();
    assert_eq!(report.processed(), 1, "{report:?}");
}

async fn an_account_sees_its_own_notices_and_only_the_basis_of_others(db: Db) {
    use server::services::address_history::address_history;
    let now = Utc::now();
    let acme = db.create_account("Acme", now).await.unwrap();
    let hooli = db.create_account("Hooli", now).await.unwrap();
    let initech = db.create_account("Initech", now).await.unwrap();

    // Acme's own complaint about bob: the whole notice is Acme's to read.
    ingest(&db, acme, postmark(1, "bob@example.com", false, ""), now).await;
    let h = address_history(&db, AccountId(acme), "Bob@Example.com", now)
        .await
        .unwrap();
    assert!(h.suppressed_now);
    assert_eq!(h.entries.len(), 1);
    let e = &h.entries[0];
    assert_eq!(e.scope, "account");
    assert!(e.active);
    let n = e.notice.as_ref().unwrap();
    assert!(n.own);
    assert_eq!(n.provider.as_deref(), Some("postmark"));
    assert!(n.raw.as_deref().unwrap().contains("SpamComplaint"), "{n:?}");
    // Nobody else sees Acme's entry at all.
    let other = address_history(&db, AccountId(hooli), "bob@example.com", now)
        .await
        .unwrap();
    assert!(other.entries.is_empty());
    assert!(!other.suppressed_now);

    // Hooli and Initech report hard bounces for ana: global, confirmed by 2 accounts. Acme
    // sees the entry and its basis, never their words or raw notices.
    ingest(
        &db,
        hooli,
        postmark(2, "ana@example.com", true, "hooli-secret"),
        now,
    )
    .await;
    ingest(
        &db,
        initech,
        postmark(3, "ana@example.com", true, "initech-secret"),
        now,
    )
    .await;
    let seen = address_history(&db, AccountId(acme), "ana@example.com", now)
        .await
        .unwrap();
    assert!(seen.suppressed_now);
    assert_eq!(seen.entries.len(), 1, "{seen:?}");
    let g = &seen.entries[0];
    assert_eq!(g.scope, "global");
    assert!(
        g.scope_why.contains("confirmed by 2 accounts"),
        "{}",
        g.scope_why
    );
    let n = g.notice.as_ref().expect("the event is named");
    assert!(!n.own);
    assert_eq!(
        (n.raw.as_ref(), n.diagnostic.as_ref(), n.provider.as_ref()),
        (None, None, None)
    );
    let shown = format!("{seen:?}");
    assert!(!shown.contains("secret"), "{shown}");

    // Hooli sees its own entry with its own words, and the global one without Initech's.
    let hooli_view = address_history(&db, AccountId(hooli), "ana@example.com", now)
        .await
        .unwrap();
    let shown = format!("{hooli_view:?}");
    assert!(shown.contains("hooli-secret"), "{shown}");
    assert!(!shown.contains("initech-secret"), "{shown}");

    // Acme reactivates: the global entry no longer holds for Acme, and the history says why.
    server::services::ingest::IngestService::new(db.clone())
        .reactivate(
            AccountId(acme),
            "admin@acme.test",
            "ana@example.com",
            "confirmed by phone",
            now,
        )
        .await
        .unwrap();
    let after = address_history(
        &db,
        AccountId(acme),
        "ana@example.com",
        now + Duration::seconds(1),
    )
    .await
    .unwrap();
    assert!(!after.suppressed_now, "{after:?}");
    assert_eq!(after.reactivations.len(), 1);
    assert_eq!(after.reactivations[0].reason, "confirmed by phone");

    // Bad input is a clear error.
    assert!(address_history(&db, AccountId(acme), "not an address", now)
        .await
        .is_err());
}
on_both_backends!(an_account_sees_its_own_notices_and_only_the_basis_of_others);
