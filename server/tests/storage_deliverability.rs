//! Deliverability storage stories, run on SQLite and (with TEST_DATABASE_URL) PostgreSQL.

use crate::common;

use chrono::{TimeDelta, TimeZone, Utc};
use serde_json::json;
use server::domain::address::EmailAddress;
use server::domain::suppression::scope_by_trust::{GlobalBasis, Provenance, TransportKind};
use server::domain::suppression::{
    AccountId, GateResult, LogKind, MailKind, Scope, Stream, Suppression, SuppressionKind,
};
use server::services::ingest::IngestService;
use server::storage::deliverability::{self as store, LogFilter, NewDeliveryEvent, NewLogEntry};
use server::storage::Db;

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn addr(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

fn event<'a>(account_id: i64, id: &'a str, category: &'a str) -> NewDeliveryEvent<'a> {
    NewDeliveryEvent {
        account_id: AccountId(account_id),
        provider: "postmark",
        provider_event_id: id,
        category,
        reason: "userunknown",
        status: Some("5.1.1"),
        reply_code: Some(550),
        recipient: Some("a@example.com"),
        recipient_domain: Some("example.com"),
        diagnostic: Some("550 5.1.1 no such user"),
        remote_mta: None,
        feedback_type: None,
        evidence_rule: "test",
        evidence_source: "test",
        provider_message_id: None,
        message_id_header: None,
        return_path: None,
        provenance: Provenance::AccountReported,
        occurred_at: t0(),
        received_at: t0(),
        raw: Some(b"{}"),
    }
}

async fn a_provider_event_is_stored_once(db: Db) {
    let acme = db.create_account("Acme", t0()).await.unwrap();
    let globex = db.create_account("Globex", t0()).await.unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    let first = store::insert_event(&mut conn, &event(acme, "e1", "hard_bounce"))
        .await
        .unwrap();
    assert!(first.is_some());
    let again = store::insert_event(&mut conn, &event(acme, "e1", "hard_bounce"))
        .await
        .unwrap();
    assert_eq!(again, None, "the same provider event is a no-op");
    let other_account = store::insert_event(&mut conn, &event(globex, "e1", "hard_bounce"))
        .await
        .unwrap();
    assert!(other_account.is_some(), "ids are unique per account");
    drop(conn);
    let stored = db.delivery_events(AccountId(acme)).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].reply_code, Some(550));
    assert_eq!(stored[0].raw.as_deref(), Some(&b"{}"[..]));
}
on_both_backends!(a_provider_event_is_stored_once);

fn entry(
    address: &str,
    scope: Scope,
    kind: SuppressionKind,
    until: Option<chrono::DateTime<Utc>>,
) -> Suppression {
    Suppression {
        address: addr(address),
        scope,
        kind,
        stream: kind.default_stream(),
        reason: format!("{} test", kind.as_str()),
        since: t0(),
        until,
        event_id: None,
        basis: None,
    }
}

async fn suppressions_round_trip_and_the_gate_reads_them(db: Db) {
    let acme = db.create_account("Acme", t0()).await.unwrap();
    let globex = db.create_account("Globex", t0()).await.unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    let soft = entry(
        "soft@example.com",
        Scope::Global,
        SuppressionKind::SoftBounce,
        Some(t0() + TimeDelta::days(14)),
    );
    let complaint = entry(
        "c@example.com",
        Scope::Account(AccountId(acme)),
        SuppressionKind::SpamComplaintManual,
        None,
    );
    store::insert_suppression(&mut conn, &soft).await.unwrap();
    store::insert_suppression(&mut conn, &complaint)
        .await
        .unwrap();
    drop(conn);
    let read = db
        .suppressions(AccountId(globex), &addr("soft@example.com"))
        .await
        .unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].entry, soft);
    assert!(db
        .suppressions(AccountId(globex), &addr("c@example.com"))
        .await
        .unwrap()
        .is_empty());

    let ingest = IngestService::new(db.clone());
    let at = |d: i64| t0() + TimeDelta::days(d);
    let gate = |account: i64, a: &'static str, when| {
        let ingest = ingest.clone();
        async move {
            ingest
                .gate(AccountId(account), &addr(a), MailKind::Transactional, when)
                .await
                .unwrap()
        }
    };
    assert!(!gate(globex, "soft@example.com", at(13)).await.is_allowed());
    assert!(
        gate(globex, "soft@example.com", at(14)).await.is_allowed(),
        "released at exactly 14 days"
    );
    assert!(!gate(acme, "c@example.com", at(400)).await.is_allowed());
    assert!(gate(globex, "c@example.com", at(1)).await.is_allowed());

    // The batch gate answers the same in one pass.
    let recipients: Vec<EmailAddress> = ["soft@example.com", "c@example.com", "ok@example.com"]
        .iter()
        .map(|a| addr(a))
        .collect();
    let batch = ingest
        .gate_batch(AccountId(acme), &recipients, MailKind::Bulk, at(1))
        .await
        .unwrap();
    let allowed: Vec<&str> = batch.allowed.iter().map(|a| a.as_str()).collect();
    assert_eq!(allowed, vec!["ok@example.com"]);
    assert_eq!(batch.suppressed.len(), 2);
    let again = ingest
        .gate_batch(AccountId(globex), &recipients, MailKind::Bulk, at(15))
        .await
        .unwrap();
    assert_eq!(
        again.allowed.len(),
        3,
        "the table is rebuilt for every pass"
    );
}
on_both_backends!(suppressions_round_trip_and_the_gate_reads_them);

async fn reactivating_a_global_hard_bounce_overrides_it_for_one_account(db: Db) {
    let acme = db.create_account("Acme", t0()).await.unwrap();
    let globex = db.create_account("Globex", t0()).await.unwrap();
    for a in [acme, globex] {
        db.upsert_contact(AccountId(a), "h@example.com", None, t0())
            .await
            .unwrap();
    }
    let mut conn = db.pool().acquire().await.unwrap();
    let hard = entry(
        "h@example.com",
        Scope::Global,
        SuppressionKind::HardBounce,
        None,
    );
    store::insert_suppression(&mut conn, &hard).await.unwrap();
    store::apply_contact_effect(
        &mut conn,
        Scope::Global,
        &addr("h@example.com"),
        server::domain::suppression::ContactEffect::MarkHardBounce,
        Some("no such user"),
        None,
    )
    .await
    .unwrap();
    drop(conn);
    let ingest = IngestService::new(db.clone());
    let later = t0() + TimeDelta::hours(1);
    let empty = ingest
        .reactivate(
            AccountId(acme),
            "admin@acme.test",
            "h@example.com",
            "  ",
            later,
        )
        .await;
    assert!(empty.is_err(), "a reason is needed");
    let done = ingest
        .reactivate(
            AccountId(acme),
            "admin@acme.test",
            "h@example.com",
            "typo fixed by the customer",
            later,
        )
        .await
        .unwrap();
    assert!(done.override_created);
    let h = addr("h@example.com");
    let gate = |a| ingest.gate(AccountId(a), &h, MailKind::Transactional, later);
    assert_eq!(gate(acme).await.unwrap(), GateResult::Allowed);
    assert!(
        !gate(globex).await.unwrap().is_allowed(),
        "the global entry stays for others"
    );
    // The batch gate reads the override too (it only skips that probe for accounts that
    // have none), and Globex, which has none, stays blocked.
    let list = vec![h.clone(), addr("other@example.com")];
    let acme_batch = ingest
        .gate_batch(AccountId(acme), &list, MailKind::Bulk, later)
        .await
        .unwrap();
    assert_eq!(acme_batch.allowed.len(), 2, "{:?}", acme_batch.suppressed);
    let globex_batch = ingest
        .gate_batch(AccountId(globex), &list, MailKind::Bulk, later)
        .await
        .unwrap();
    assert_eq!(globex_batch.allowed, vec![&list[1]]);
    assert_eq!(
        db.contact_status(AccountId(acme), "h@example.com")
            .await
            .unwrap()
            .unwrap()
            .status,
        "active"
    );
    assert_eq!(
        db.contact_status(AccountId(globex), "h@example.com")
            .await
            .unwrap()
            .unwrap()
            .status,
        "hard_bounce"
    );
    let log = db
        .org_log(
            AccountId(acme),
            &LogFilter {
                per_page: 10,
                ..LogFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(log.entries[0].kind, "suppression_reactivated");
    assert_eq!(log.entries[0].actor, "admin@acme.test");
    assert_eq!(
        log.entries[0].details["reason"],
        "typo fixed by the customer"
    );
}
on_both_backends!(reactivating_a_global_hard_bounce_overrides_it_for_one_account);

async fn the_sweeper_logs_each_release_once_even_when_run_twice(db: Db) {
    let acme = db.create_account("Acme", t0()).await.unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    let ev = store::insert_event(&mut conn, &event(acme, "e-soft", "soft_bounce"))
        .await
        .unwrap();
    let mut soft = entry(
        "s@example.com",
        Scope::Global,
        SuppressionKind::SoftBounce,
        Some(t0() + TimeDelta::days(14)),
    );
    soft.event_id = ev.map(|e| e.id);
    let id = store::insert_suppression(&mut conn, &soft).await.unwrap();
    let later = entry(
        "l@example.com",
        Scope::Account(AccountId(acme)),
        SuppressionKind::SpamComplaintAuto,
        Some(t0() + TimeDelta::days(20)),
    );
    store::insert_suppression(&mut conn, &later).await.unwrap();
    drop(conn);
    let a = IngestService::new(db.clone());
    let b = IngestService::new(db.clone());
    assert_eq!(a.sweep(t0() + TimeDelta::days(13)).await.unwrap(), 0);
    let day14 = t0() + TimeDelta::days(14);
    let (x, y) = tokio::join!(a.sweep(day14), b.sweep(day14));
    assert_eq!(
        x.unwrap() + y.unwrap(),
        1,
        "two replicas, one release logged"
    );
    let mut conn = db.pool().acquire().await.unwrap();
    assert!(!store::claim_release(&mut conn, id, day14).await.unwrap());
    drop(conn);
    let log = db
        .org_log(
            AccountId(acme),
            &LogFilter {
                kind: Some(LogKind::SuppressionReleased),
                per_page: 10,
                ..LogFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        log.total, 1,
        "the global entry's release is filed under its event's account"
    );
    assert_eq!(log.entries[0].subject, "s@example.com");
    assert_eq!(log.entries[0].at, day14);
}
on_both_backends!(the_sweeper_logs_each_release_once_even_when_run_twice);

async fn org_logging_filters_by_kind_address_and_date_and_paginates(db: Db) {
    let acme = db.create_account("Acme", t0()).await.unwrap();
    let globex = db.create_account("Globex", t0()).await.unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    for i in 0..25i64 {
        let kind = if i % 5 == 0 {
            LogKind::Complaint
        } else {
            LogKind::Bounce
        };
        store::insert_log(
            &mut conn,
            &NewLogEntry {
                account_id: Some(AccountId(acme)),
                at: t0() + TimeDelta::hours(i),
                kind,
                actor: "webhook:postmark".into(),
                subject: format!("u{}@example.com", i % 3),
                details: json!({"i": i}),
                event_id: None,
            },
        )
        .await
        .unwrap();
    }
    store::insert_log(
        &mut conn,
        &NewLogEntry {
            account_id: Some(AccountId(globex)),
            at: t0(),
            kind: LogKind::Bounce,
            actor: "system".into(),
            subject: "u0@example.com".into(),
            details: json!({}),
            event_id: None,
        },
    )
    .await
    .unwrap();
    drop(conn);
    let page = |f: LogFilter| {
        let db = db.clone();
        async move { db.org_log(AccountId(acme), &f).await.unwrap() }
    };
    let first = page(LogFilter {
        per_page: 10,
        ..LogFilter::default()
    })
    .await;
    assert_eq!(first.total, 25, "only the account's own entries");
    assert_eq!(first.entries.len(), 10);
    assert_eq!(first.entries[0].details["i"], 24, "newest first");
    let third = page(LogFilter {
        per_page: 10,
        page: 2,
        ..LogFilter::default()
    })
    .await;
    assert_eq!(third.entries.len(), 5);
    assert_eq!(third.entries[4].details["i"], 0);
    let complaints = page(LogFilter {
        kind: Some(LogKind::Complaint),
        per_page: 50,
        ..LogFilter::default()
    })
    .await;
    assert_eq!(complaints.total, 5);
    let u1 = page(LogFilter {
        subject: Some("U1@Example.com".into()),
        per_page: 50,
        ..LogFilter::default()
    })
    .await;
    assert_eq!(u1.total, 8);
    let window = page(LogFilter {
        from: Some(t0() + TimeDelta::hours(5)),
        to: Some(t0() + TimeDelta::hours(10)),
        per_page: 50,
        ..LogFilter::default()
    })
    .await;
    let hours: Vec<i64> = window
        .entries
        .iter()
        .map(|e| e.details["i"].as_i64().unwrap())
        .collect();
    assert_eq!(hours, vec![9, 8, 7, 6, 5], "[from, to)");
}
on_both_backends!(org_logging_filters_by_kind_address_and_date_and_paginates);

/// A Postmark hard bounce for `email`, as the classifier hands it to ingest.
fn postmark_bounce(id: u32, email: &str) -> Vec<server::domain::bounce::EspEvent> {
    let body = json!({
        "RecordType": "Bounce", "ID": id, "Type": "HardBounce", "TypeCode": 1,
        "Name": "Hard bounce", "MessageID": format!("pm-{id}"), "Email": email,
        "BouncedAt": "2026-11-23T09:00:00Z",
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist."
    });
    server::domain::bounce::classify_esp(
        server::domain::bounce::Provider::Postmark,
        body.to_string().as_bytes(),
    )
    .unwrap()
}

async fn one_failing_payload_in_a_concurrent_group_fails_alone(db: Db) {
    let now = Utc::now();
    let account = db.create_account("Acme", now).await.unwrap();
    let ingest = IngestService::new(db.clone());
    // Sent at once so the group committer takes them together; one names an account that
    // does not exist (a foreign-key violation at insert time).
    let mut tasks = Vec::new();
    for i in 0..24u32 {
        let ingest = ingest.clone();
        let target = if i == 7 { account + 1000 } else { account };
        tasks.push(tokio::spawn(async move {
            let events = postmark_bounce(6000 + i, &format!("user{i}@example.com"));
            ingest
                .ingest_esp(
                    AccountId(target),
                    server::domain::bounce::Provider::Postmark,
                    &events,
                    b"{}",
                    now,
                )
                .await
        }));
    }
    let mut failed = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        if t.await.unwrap().is_err() {
            failed.push(i);
        }
    }
    assert_eq!(failed, [7]);
    assert_eq!(
        db.delivery_events(AccountId(account)).await.unwrap().len(),
        23
    );
}
on_both_backends!(one_failing_payload_in_a_concurrent_group_fails_alone);

async fn a_batch_of_events_stores_each_key_once(db: Db) {
    let acme = db.create_account("Acme", t0()).await.unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    store::insert_event(&mut conn, &event(acme, "old", "hard_bounce"))
        .await
        .unwrap()
        .unwrap();
    let batch = [
        event(acme, "a", "hard_bounce"),
        event(acme, "old", "hard_bounce"),
        event(acme, "b", "soft_bounce"),
        event(acme, "a", "hard_bounce"),
    ];
    let stored = store::insert_events(&mut conn, &batch).await.unwrap();
    let kept: Vec<bool> = stored.iter().map(Option::is_some).collect();
    assert_eq!(
        kept,
        [true, false, true, false],
        "stored before, or an earlier input with the same key: a duplicate"
    );
    assert_ne!(stored[0].unwrap().id, stored[2].unwrap().id);
    drop(conn);
    let categories: Vec<String> = db
        .delivery_events(AccountId(acme))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.category)
        .collect();
    assert_eq!(categories.len(), 3);
    assert_eq!(
        categories.iter().filter(|c| *c == "soft_bounce").count(),
        1,
        "each row keeps its own values"
    );
}
on_both_backends!(a_batch_of_events_stores_each_key_once);

async fn batched_contact_updates_apply_in_order_per_address(db: Db) {
    use server::domain::suppression::ContactEffect;
    let acme = db.create_account("Acme", t0()).await.unwrap();
    let globex = db.create_account("Globex", t0()).await.unwrap();
    for account in [acme, globex] {
        for email in ["hard@example.com", "soft@example.com", "mine@example.com"] {
            db.upsert_contact(AccountId(account), email, None, t0())
                .await
                .unwrap();
        }
    }
    let until = t0() + TimeDelta::days(14);
    let update = |a: &str, scope, effect, event_id| store::ContactUpdate {
        scope,
        address: addr(a),
        effect,
        reason: Some("test".into()),
        event_id: Some(event_id),
    };
    let mut conn = db.pool().acquire().await.unwrap();
    store::apply_contact_effects(
        &mut conn,
        &[
            // In one batch: a hard bounce, then a soft bounce of the same address (which must
            // not replace the permanent badge) ...
            update(
                "hard@example.com",
                Scope::Global,
                ContactEffect::MarkHardBounce,
                1,
            ),
            update(
                "hard@example.com",
                Scope::Global,
                ContactEffect::MarkSoftBounceUntil(until),
                2,
            ),
            // ... a soft bounce then nothing for another; an account-scoped removal.
            update(
                "soft@example.com",
                Scope::Global,
                ContactEffect::MarkSoftBounceUntil(until),
                3,
            ),
            update(
                "soft@example.com",
                Scope::Global,
                ContactEffect::Unchanged,
                4,
            ),
            update(
                "mine@example.com",
                Scope::Account(AccountId(acme)),
                ContactEffect::RemoveFromActive,
                5,
            ),
        ],
    )
    .await
    .unwrap();
    drop(conn);
    let status = |account, email: &'static str| {
        let db = db.clone();
        async move {
            db.contact_status(AccountId(account), email)
                .await
                .unwrap()
                .unwrap()
        }
    };
    for account in [acme, globex] {
        let hard = status(account, "hard@example.com").await;
        assert_eq!(
            (hard.status.as_str(), hard.event_id),
            ("hard_bounce", Some(1))
        );
        let soft = status(account, "soft@example.com").await;
        assert_eq!(soft.status, "soft_bounce");
        assert_eq!((soft.until, soft.event_id), (Some(until), Some(3)));
    }
    assert_eq!(status(acme, "mine@example.com").await.status, "inactive");
    assert_eq!(
        status(globex, "mine@example.com").await.status,
        "active",
        "an account's update leaves other accounts' contacts alone"
    );
}
on_both_backends!(batched_contact_updates_apply_in_order_per_address);

async fn suppressions_stored_before_address_keys_are_keyed_on_start(db: Db) {
    let acme = db.create_account("Acme", t0()).await.unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    let hard = entry(
        "Old.Entry@Example.com",
        Scope::Global,
        SuppressionKind::HardBounce,
        None,
    );
    store::insert_suppression(&mut conn, &hard).await.unwrap();
    // As a row from before migration 0007 looks.
    sqlx::query("UPDATE suppressions SET address_hash = NULL")
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let ingest = IngestService::new(db.clone());
    let list = [addr("old.entry@example.com"), addr("new@example.com")];
    let allowed = |db: &IngestService| {
        let db = db.clone();
        let list = list.clone();
        async move {
            db.gate_batch(AccountId(acme), &list, MailKind::Bulk, t0())
                .await
                .unwrap()
                .allowed
                .len()
        }
    };
    assert_eq!(allowed(&ingest).await, 2, "an unkeyed entry is invisible");
    assert_eq!(db.backfill_address_keys().await.unwrap(), 1);
    assert_eq!(db.backfill_address_keys().await.unwrap(), 0, "once");
    assert_eq!(allowed(&ingest).await, 1);
    assert!(!ingest
        .gate(AccountId(acme), &list[0], MailKind::Transactional, t0())
        .await
        .unwrap()
        .is_allowed());
}
on_both_backends!(suppressions_stored_before_address_keys_are_keyed_on_start);

async fn a_burst_of_requests_with_one_credential_verifies_its_password_once(db: Db) {
    let acme = db.create_account("Acme", t0()).await.unwrap();
    let hash = server::services::auth::hash_password("hook-secret").unwrap();
    db.create_webhook_credential(AccountId(acme), "acme-hooks", &hash, None, None, t0())
        .await
        .unwrap();
    let ingest = IngestService::new(db.clone());
    let burst = |password: &'static str, n: usize| {
        (0..n)
            .map(|_| {
                let ingest = ingest.clone();
                tokio::spawn(async move {
                    ingest
                        .authenticate("acme-hooks", password)
                        .await
                        .unwrap()
                        .map(|c| c.account_id)
                })
            })
            .collect::<Vec<_>>()
    };
    for t in burst("hook-secret", 16) {
        assert_eq!(t.await.unwrap(), Some(AccountId(acme)));
    }
    assert_eq!(
        ingest.password_verifications(),
        1,
        "the other 15 waited for the first"
    );
    // A wrong password is never remembered: each attempt is checked (one after the other).
    for t in burst("wrong", 3) {
        assert_eq!(t.await.unwrap(), None);
    }
    assert_eq!(ingest.password_verifications(), 4);
    assert_eq!(
        ingest
            .authenticate("acme-hooks", "hook-secret")
            .await
            .unwrap()
            .map(|c| c.account_id),
        Some(AccountId(acme))
    );
    assert_eq!(ingest.password_verifications(), 4, "remembered");
}
on_both_backends!(a_burst_of_requests_with_one_credential_verifies_its_password_once);

async fn a_new_webhook_secret_needs_a_new_verification(db: Db) {
    let acme = db.create_account("Acme", t0()).await.unwrap();
    let hash = server::services::auth::hash_password("old-secret").unwrap();
    db.create_webhook_credential(AccountId(acme), "acme-hooks", &hash, None, None, t0())
        .await
        .unwrap();
    // Read on every request, as after the TTL.
    let ingest = IngestService::new(db.clone()).with_credential_ttl(std::time::Duration::ZERO);
    let account = |password: &'static str| {
        let ingest = ingest.clone();
        async move {
            ingest
                .authenticate("acme-hooks", password)
                .await
                .unwrap()
                .map(|c| c.account_id)
        }
    };
    assert_eq!(account("old-secret").await, Some(AccountId(acme)));
    assert_eq!(account("old-secret").await, Some(AccountId(acme)));
    assert_eq!(ingest.password_verifications(), 1);
    let new = server::services::auth::hash_password("new-secret").unwrap();
    sqlx::query("UPDATE webhook_credentials SET secret_hash = $1 WHERE username = 'acme-hooks'")
        .bind(new)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(
        account("old-secret").await,
        None,
        "the remembered password was for the old secret"
    );
    assert_eq!(account("new-secret").await, Some(AccountId(acme)));
}
on_both_backends!(a_new_webhook_secret_needs_a_new_verification);

/// An outbound message of `account`, with the given Message-ID, return path and provider id.
async fn outbound_message(
    db: &Db,
    account: i64,
    message_id_header: &str,
    return_path: Option<&str>,
    provider_id: Option<&str>,
) -> i64 {
    use app::models::{ConversationStatus, Direction};
    let contact = db
        .upsert_contact(AccountId(account), "rcpt@example.com", None, t0())
        .await
        .unwrap();
    let conversation = db
        .create_conversation(
            AccountId(account),
            contact,
            "Hello",
            ConversationStatus::Open,
            t0(),
        )
        .await
        .unwrap();
    let id = db
        .add_message(&server::storage::NewMessage {
            account_id: AccountId(account),
            conversation_id: conversation,
            direction: Direction::Outbound,
            from_addr: "support@acme.test",
            to_addr: "rcpt@example.com",
            subject: "Hello",
            text_body: "Hi",
            html_body: None,
            raw_source: None,
            message_id_header: Some(message_id_header),
            created_at: t0(),
            inbound_key: None,
            spam_score: None,
            spam_rules: None,
        })
        .await
        .unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    if let Some(rp) = return_path {
        // As sending records it (without a sender row, which the match does not read).
        sqlx::query("UPDATE messages SET return_path = $1 WHERE id = $2")
            .bind(rp)
            .bind(id)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    if provider_id.is_some() {
        server::storage::outbound::record_attempt(&mut conn, id, provider_id, None)
            .await
            .unwrap();
    }
    id
}

async fn events_find_the_message_they_are_about(db: Db) {
    let acme = db.create_account("Acme", t0()).await.unwrap();
    let globex = db.create_account("Globex", t0()).await.unwrap();
    let by_path = outbound_message(&db, acme, "<a@acme.test>", Some("b+1@acme.test"), None).await;
    let by_provider = outbound_message(&db, acme, "<b@acme.test>", None, Some("pm-1")).await;
    let by_mid = outbound_message(&db, acme, "<c@acme.test>", None, None).await;
    let by_mid_later = outbound_message(&db, acme, "<c@acme.test>", None, None).await;
    assert!(by_mid < by_mid_later);
    let other_account = outbound_message(&db, globex, "<d@acme.test>", None, Some("pm-2")).await;
    let with = |id: &'static str,
                return_path: Option<&'static str>,
                provider: Option<&'static str>,
                mid: Option<&'static str>| NewDeliveryEvent {
        return_path,
        provider_message_id: provider,
        message_id_header: mid,
        ..event(acme, id, "hard_bounce")
    };
    let batch = [
        // Every alternative matches a different message: the return path wins, then the
        // provider's id, then the Message-ID.
        with(
            "all",
            Some("b+1@acme.test"),
            Some("pm-1"),
            Some("<c@acme.test>"),
        ),
        with(
            "provider",
            Some("b+9@acme.test"),
            Some("pm-1"),
            Some("<c@acme.test>"),
        ),
        // Two messages with one Message-ID: the older one; brackets or not.
        with("mid", None, None, Some("<c@acme.test>")),
        with("bare mid", None, None, Some(" c@acme.test ")),
        with(
            "none",
            Some("b+9@acme.test"),
            Some("pm-9"),
            Some("<z@acme.test>"),
        ),
        with("empty", Some(""), Some(""), Some("<>")),
        // Another account's message is never this account's.
        with("other account", None, Some("pm-2"), Some("<d@acme.test>")),
    ];
    let mut conn = db.pool().acquire().await.unwrap();
    let matched: Vec<Option<i64>> = store::insert_events(&mut conn, &batch)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.unwrap().message_id)
        .collect();
    assert_eq!(
        matched,
        [
            Some(by_path),
            Some(by_provider),
            Some(by_mid),
            Some(by_mid),
            None,
            None,
            None
        ]
    );
    assert_ne!(other_account, by_path);
}
on_both_backends!(events_find_the_message_they_are_about);

async fn a_large_batch_is_stored_whole_with_its_raw_bytes(db: Db) {
    let acme = db.create_account("Acme", t0()).await.unwrap();
    // Far more rows than any one statement held before, and three kinds of payload, all
    // carried in the batch's side bytes and sliced out again: not UTF-8, with quotes and a
    // backslash; UTF-8 text with quotes, a backslash, line ends and multi-byte characters;
    // UTF-8 with a NUL (which PostgreSQL's text could not hold).
    let raws: [Vec<u8>; 3] = [
        vec![0xff, 0x00, b'"', b'\\', b'\n', 0xc3, 0x28],
        "{\"Details\":\"smtp;550 \\\"no\\\" \\\\ ünïcode ✉\",\r\n\"x\":1}"
            .as_bytes()
            .to_vec(),
        b"text with a \0 NUL".to_vec(),
    ];
    let raw_of = |i: usize| &raws[i % 3][..];
    let ids: Vec<String> = (0..700).map(|i| format!("e{i}")).collect();
    let recipients: Vec<String> = (0..700).map(|i| format!("r{i}@example.com")).collect();
    let batch: Vec<NewDeliveryEvent> = ids
        .iter()
        .zip(&recipients)
        .enumerate()
        .map(|(i, (id, r))| NewDeliveryEvent {
            recipient: Some(r),
            diagnostic: Some("550 \"quoted\" \\ ünïcode ✉"),
            raw: Some(raw_of(i)),
            ..event(acme, id, "hard_bounce")
        })
        .collect();
    let mut conn = db.pool().acquire().await.unwrap();
    let stored = store::insert_events(&mut conn, &batch).await.unwrap();
    assert_eq!(stored.iter().filter(|s| s.is_some()).count(), 700);
    let suppressions: Vec<Suppression> = stored
        .iter()
        .zip(&recipients)
        .map(|(s, r)| Suppression {
            event_id: Some(s.unwrap().id),
            basis: Some(GlobalBasis::Quorum { accounts: 2 }),
            ..entry(r, Scope::Global, SuppressionKind::HardBounce, None)
        })
        .collect();
    let new: Vec<store::NewEntry> = suppressions
        .iter()
        .map(|s| store::NewEntry {
            entry: s.clone(),
            basis: Some(GlobalBasis::Quorum { accounts: 2 }),
        })
        .collect();
    let suppression_ids = store::insert_suppressions(&mut conn, &new).await.unwrap();
    assert_eq!(suppression_ids.len(), 700);
    let entries: Vec<NewLogEntry> = recipients
        .iter()
        .enumerate()
        .map(|(i, r)| NewLogEntry {
            account_id: Some(AccountId(acme)),
            at: t0(),
            kind: LogKind::Bounce,
            actor: "webhook:postmark".into(),
            subject: r.clone(),
            details: json!({"n": i, "note": "\"quoted\" \\ ✉"}),
            event_id: stored[i].map(|s| s.id),
        })
        .collect();
    store::insert_logs(&mut conn, &entries).await.unwrap();
    drop(conn);

    let events = db.delivery_events(AccountId(acme)).await.unwrap();
    assert_eq!(events.len(), 700);
    for e in &events {
        let i: usize = e.provider_event_id.trim_start_matches('e').parse().unwrap();
        assert_eq!(e.raw.as_deref(), Some(raw_of(i)), "{}", e.provider_event_id);
    }
    assert_eq!(
        events[0].diagnostic.as_deref(),
        Some("550 \"quoted\" \\ ünïcode ✉")
    );
    for (s, id) in suppressions.iter().zip(&suppression_ids) {
        let found = store::suppressions_for(
            &mut db.pool().acquire().await.unwrap(),
            AccountId(acme),
            &s.address,
        )
        .await
        .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, *id, "ids come back in input order");
        assert_eq!(found[0].entry.event_id, s.event_id);
    }
    // The log lists them in the order they were written.
    let page = db
        .org_log(
            AccountId(acme),
            &LogFilter {
                per_page: 500,
                ..LogFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.total, 700);
    let first = &page.entries[page.entries.len() - 1];
    assert_eq!(first.details["note"], "\"quoted\" \\ ✉");
    let order: Vec<i64> = page
        .entries
        .iter()
        .map(|e| e.details["n"].as_i64().unwrap())
        .collect();
    let mut newest_first = order.clone();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(order, newest_first);
}
on_both_backends!(a_large_batch_is_stored_whole_with_its_raw_bytes);

async fn missing_and_empty_raw_bytes_stay_apart(db: Db) {
    // The payloads travel in one blob beside the batch, each row holding where its own
    // starts and its length: no payload, an empty one (alone, then with others around it)
    // and bytes that are not UTF-8 must each come back as they went in.
    let acme = db.create_account("Acme", t0()).await.unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    let alone = NewDeliveryEvent {
        raw: Some(b""),
        ..event(acme, "alone", "hard_bounce")
    };
    store::insert_events(&mut conn, &[alone]).await.unwrap();
    let batch = [
        NewDeliveryEvent {
            raw: None,
            ..event(acme, "none", "hard_bounce")
        },
        NewDeliveryEvent {
            raw: Some(b"\xff\x00ab"),
            ..event(acme, "bytes", "hard_bounce")
        },
        NewDeliveryEvent {
            raw: Some(b""),
            ..event(acme, "empty", "hard_bounce")
        },
        NewDeliveryEvent {
            raw: Some(b"{\"x\":1}"),
            ..event(acme, "json", "hard_bounce")
        },
    ];
    store::insert_events(&mut conn, &batch).await.unwrap();
    drop(conn);
    let raw: std::collections::HashMap<String, Option<Vec<u8>>> = db
        .delivery_events(AccountId(acme))
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.provider_event_id, e.raw))
        .collect();
    assert_eq!(raw["alone"].as_deref(), Some(&b""[..]));
    assert_eq!(raw["none"], None);
    assert_eq!(raw["bytes"].as_deref(), Some(&b"\xff\x00ab"[..]));
    assert_eq!(raw["empty"].as_deref(), Some(&b""[..]));
    assert_eq!(raw["json"].as_deref(), Some(&b"{\"x\":1}"[..]));
}
on_both_backends!(missing_and_empty_raw_bytes_stay_apart);

/// Batched or one at a time, an entry's details are stored as the same JSON text: an object
/// or array travels nested in the batch and is read back as its text, anything else as a
/// string holding its text.
async fn org_log_details_are_stored_as_their_json_text(db: Db) {
    let acme = db.create_account("Acme", t0()).await.unwrap();
    let details = [
        json!({"note": "\"quoted\" \\ ünïcode ✉\n", "n": 12, "x": 0.5, "list": [1, "a", null]}),
        json!([{"a": 1}, "b"]),
        json!({}),
        json!("just a string, \"quoted\""),
        json!(null),
        json!(42),
    ];
    let entry = |d: &serde_json::Value| NewLogEntry {
        account_id: Some(AccountId(acme)),
        at: t0(),
        kind: LogKind::Bounce,
        actor: "test".into(),
        subject: "a@example.com".into(),
        details: d.clone(),
        event_id: None,
    };
    let mut conn = db.pool().acquire().await.unwrap();
    let batch: Vec<NewLogEntry> = details.iter().map(entry).collect();
    store::insert_logs(&mut conn, &batch).await.unwrap();
    for d in &details {
        store::insert_log(&mut conn, &entry(d)).await.unwrap();
    }
    drop(conn);
    let stored: Vec<String> = sqlx::query_scalar("SELECT details FROM org_log ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap();
    let expected: Vec<String> = details.iter().map(|d| d.to_string()).collect();
    assert_eq!(stored[..details.len()], expected[..], "batched");
    assert_eq!(stored[details.len()..], expected[..], "one at a time");
}
on_both_backends!(org_log_details_are_stored_as_their_json_text);

// --- Tenant trust (issue 16): one account's word stays in that account. ---

/// A Postmark bounce webhook payload (`HardBounce` TypeCode 1, `SoftBounce` TypeCode 4096).
fn postmark_bounce_json(id: u32, email: &str, hard: bool) -> serde_json::Value {
    let (ty, code, details) = if hard {
        (
            "HardBounce",
            1,
            "smtp;550 5.1.1 The email account does not exist.",
        )
    } else {
        ("SoftBounce", 4096, "smtp;452 4.2.2 Mailbox full")
    };
    json!({
        "RecordType": "Bounce", "ID": id, "Type": ty, "TypeCode": code,
        "Name": ty, "MessageID": format!("made-up-{id}"), "Email": email,
        "Description": "bounce", "Details": details,
        "BouncedAt": "2026-03-01T11:59:00Z", "Inactive": hard, "CanActivate": true,
    })
}

/// Posts `body` as `account`'s Postmark webhook, through `ingest`.
async fn post_postmark(
    ingest: &IngestService,
    account: i64,
    body: serde_json::Value,
    now: chrono::DateTime<Utc>,
) {
    let events = server::domain::bounce::classify_esp(
        server::domain::bounce::Provider::Postmark,
        body.to_string().as_bytes(),
    )
    .unwrap();
    let report = ingest
        .ingest_esp(
            AccountId(account),
            server::domain::bounce::Provider::Postmark,
            &events,
            body.to_string().as_bytes(),
            now,
        )
        .await
        .unwrap();
    assert_eq!(report.processed(), 1, "{report:?}");
}

/// An RFC 3464 hard bounce for `rcpt`, addressed to `to` (a VERP return path, or not).
fn hard_bounce_ndn(rcpt: &str, to: &str) -> Vec<u8> {
    format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n\
         To: {to}\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         Message-ID: <ndn-{rcpt}-{to}@mx.example.net>\r\n\
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
         Status: 5.1.1\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown\r\n\
         \r\n\
         --b1--\r\n"
    )
    .into_bytes()
}

/// An account with a contact for `email` on a list; returns (account, list).
async fn account_with_listed_contact(db: &Db, name: &str, email: &str) -> (i64, i64) {
    let account = db.create_account(name, t0()).await.unwrap();
    let contact = db
        .upsert_contact(AccountId(account), email, Some("Ana Silva"), t0())
        .await
        .unwrap();
    let list = db
        .create_list(AccountId(account), "Customers", t0())
        .await
        .unwrap()
        .unwrap();
    let mut tx = db.pool().begin().await.unwrap();
    server::storage::campaigns::add_members(&mut tx, list, &[contact], t0())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (account, list)
}

async fn gate(ingest: &IngestService, account: i64, email: &str) -> GateResult {
    ingest
        .gate(
            AccountId(account),
            &addr(email),
            MailKind::Transactional,
            t0(),
        )
        .await
        .unwrap()
}

fn scope_of(g: &GateResult) -> Option<Scope> {
    match g {
        GateResult::Allowed => None,
        GateResult::Suppressed { scope, .. } => Some(*scope),
    }
}

async fn log_total(db: &Db, account: i64) -> i64 {
    db.org_log(AccountId(account), &LogFilter::default())
        .await
        .unwrap()
        .total
}

async fn a_forged_hard_bounce_reaches_no_other_account(db: Db) {
    let ana = "ana.silva@example.com";
    let (acme, acme_list) = account_with_listed_contact(&db, "Acme", ana).await;
    let (globex, globex_list) = account_with_listed_contact(&db, "Globex", ana).await;
    let ingest = IngestService::new(db.clone());
    // Globex's word three ways: its webhook with a made-up MessageID, a raw notice it posts,
    // and its own relay answering 550 at send time.
    post_postmark(&ingest, globex, postmark_bounce_json(1, ana, true), t0()).await;
    ingest
        .ingest_raw(
            AccountId(globex),
            &hard_bounce_ndn(ana, "bounces@globex.test"),
            t0(),
        )
        .await
        .unwrap();
    let mut verdict =
        server::domain::bounce::classify_smtp_reply(550, Some("5.1.1"), "5.1.1 no such user", ana);
    verdict.recipient = Some(ana.to_string());
    ingest
        .record_send_failure(
            AccountId(globex),
            "smtp",
            TransportKind::Account,
            "send:1:1".into(),
            None,
            &verdict,
            t0(),
        )
        .await
        .unwrap();

    // Acme: its gate, its contact, its list and its log are untouched.
    assert_eq!(gate(&ingest, acme, ana).await, GateResult::Allowed);
    assert_eq!(
        db.contact_status(AccountId(acme), ana)
            .await
            .unwrap()
            .unwrap()
            .status,
        "active"
    );
    assert_eq!(
        db.list_members(AccountId(acme), acme_list)
            .await
            .unwrap()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(log_total(&db, acme).await, 0);
    assert!(db
        .global_entries(AccountId(acme), &[addr(ana)], t0())
        .await
        .unwrap()
        .is_empty());
    // Globex: all of it, in Globex.
    let g = gate(&ingest, globex, ana).await;
    assert_eq!(scope_of(&g), Some(Scope::Account(AccountId(globex))));
    assert_eq!(
        db.contact_status(AccountId(globex), ana)
            .await
            .unwrap()
            .unwrap()
            .status,
        "hard_bounce"
    );
    assert!(db
        .list_members(AccountId(globex), globex_list)
        .await
        .unwrap()
        .unwrap()
        .is_empty());
    assert!(log_total(&db, globex).await > 0);
    // One account, three reports: still one account.
    let third = db.create_account("Initech", t0()).await.unwrap();
    assert_eq!(gate(&ingest, third, ana).await, GateResult::Allowed);
    // Each event says how we know it: only Globex's word.
    let provenance: Vec<Option<String>> =
        sqlx::query_scalar("SELECT provenance FROM delivery_events ORDER BY id")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert_eq!(
        provenance,
        [
            Some("account_reported".to_string()),
            Some("account_reported".to_string()),
            Some("transport_reply".to_string())
        ]
    );
}
on_both_backends!(a_forged_hard_bounce_reaches_no_other_account);

async fn hard_bounces_from_two_accounts_make_an_address_global(db: Db) {
    let ana = "ana.silva@example.com";
    let (acme, acme_list) = account_with_listed_contact(&db, "Acme", ana).await;
    let globex = db.create_account("Globex", t0()).await.unwrap();
    let initech = db.create_account("Initech", t0()).await.unwrap();
    let hooli = db.create_account("Hooli", t0()).await.unwrap();
    let ingest = IngestService::new(db.clone());
    post_postmark(&ingest, globex, postmark_bounce_json(1, ana, true), t0()).await;
    assert_eq!(gate(&ingest, acme, ana).await, GateResult::Allowed);
    post_postmark(
        &ingest,
        initech,
        postmark_bounce_json(2, ana, true),
        t0() + TimeDelta::days(3),
    )
    .await;

    // Enforced for every account, by the gate, with the reason the reply form shows.
    for account in [acme, hooli] {
        match gate(&ingest, account, ana).await {
            GateResult::Suppressed {
                scope,
                reason,
                kind,
                ..
            } => {
                assert_eq!(scope, Scope::Global);
                assert_eq!(kind, SuppressionKind::HardBounce);
                assert!(
                    reason.starts_with("global: confirmed by 2 accounts"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    // Acme's own rows change only through Acme's events.
    assert_eq!(
        db.contact_status(AccountId(acme), ana)
            .await
            .unwrap()
            .unwrap()
            .status,
        "active"
    );
    assert_eq!(
        db.list_members(AccountId(acme), acme_list)
            .await
            .unwrap()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(log_total(&db, acme).await, 0);
    // Acme's admin sees it with its basis and evidence.
    let seen = db
        .global_entries(AccountId(acme), &[addr(ana)], t0())
        .await
        .unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].basis, Some(GlobalBasis::Quorum { accounts: 2 }));
    assert_eq!(seen[0].status.as_deref(), Some("5.1.1"));
    // Logged, with the evidence, in the log of the account whose event completed it.
    let added = db
        .org_log(
            AccountId(initech),
            &LogFilter {
                kind: Some(LogKind::SuppressionAdded),
                ..LogFilter::default()
            },
        )
        .await
        .unwrap();
    let global: Vec<_> = added
        .entries
        .iter()
        .filter(|e| e.details["scope"] == "global")
        .collect();
    assert_eq!(global.len(), 1);
    assert_eq!(global[0].details["evidence"]["basis"]["basis"], "quorum");
    assert_eq!(global[0].details["evidence"]["basis"]["accounts"], 2);

    // Acme reactivates it for Acme only.
    ingest
        .reactivate(
            AccountId(acme),
            "admin@acme.test",
            ana,
            "She wrote to us yesterday",
            t0() + TimeDelta::days(3),
        )
        .await
        .unwrap();
    assert_eq!(gate(&ingest, acme, ana).await, GateResult::Allowed);
    assert!(db
        .global_entries(AccountId(acme), &[addr(ana)], t0())
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        scope_of(&gate(&ingest, hooli, ana).await),
        Some(Scope::Global)
    );
    assert!(gate(&ingest, globex, ana).await != GateResult::Allowed);

    // Reports older than 90 days do not count.
    let old = "old@example.com";
    post_postmark(&ingest, globex, postmark_bounce_json(3, old, true), t0()).await;
    post_postmark(
        &ingest,
        initech,
        postmark_bounce_json(4, old, true),
        t0() + TimeDelta::days(90),
    )
    .await;
    let later = t0() + TimeDelta::days(90);
    assert_eq!(
        hooli_gate_at(&ingest, hooli, old, later).await,
        GateResult::Allowed
    );
}
on_both_backends!(hard_bounces_from_two_accounts_make_an_address_global);

async fn a_reactivation_stands_when_a_later_quorum_makes_the_address_global(db: Db) {
    let ana = "ana.silva@example.com";
    let (acme, _) = account_with_listed_contact(&db, "Acme", ana).await;
    let globex = db.create_account("Globex", t0()).await.unwrap();
    let initech = db.create_account("Initech", t0()).await.unwrap();
    let hooli = db.create_account("Hooli", t0()).await.unwrap();
    let ingest = IngestService::new(db.clone());
    let day = |d: i64| t0() + TimeDelta::days(d);
    // Acme's own hard bounce, then Acme's admin reactivates her (she wrote to us).
    post_postmark(&ingest, acme, postmark_bounce_json(1, ana, true), t0()).await;
    assert_eq!(
        scope_of(&hooli_gate_at(&ingest, acme, ana, t0()).await),
        Some(Scope::Account(AccountId(acme)))
    );
    let done = ingest
        .reactivate(
            AccountId(acme),
            "admin@acme.test",
            ana,
            "She wrote to us",
            day(1),
        )
        .await
        .unwrap();
    assert!(done.override_created, "a bounce may become global later");
    // Globex's report completes a quorum (Acme's and Globex's within 90 days), Initech's
    // makes it three: global for everyone else, not for Acme.
    post_postmark(&ingest, globex, postmark_bounce_json(2, ana, true), day(2)).await;
    post_postmark(&ingest, initech, postmark_bounce_json(3, ana, true), day(3)).await;
    match hooli_gate_at(&ingest, hooli, ana, day(4)).await {
        GateResult::Suppressed { scope, reason, .. } => {
            assert_eq!(scope, Scope::Global);
            assert!(reason.starts_with("global: confirmed by"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        hooli_gate_at(&ingest, acme, ana, day(4)).await,
        GateResult::Allowed
    );
    let recipients = [addr(ana)];
    let batch = ingest
        .gate_batch(AccountId(acme), &recipients, MailKind::Bulk, day(4))
        .await
        .unwrap();
    assert_eq!(batch.allowed.len(), 1, "{:?}", batch.suppressed);
    assert!(db
        .global_entries(AccountId(acme), &[addr(ana)], day(4))
        .await
        .unwrap()
        .is_empty());
    assert!(!db
        .global_entries(AccountId(hooli), &[addr(ana)], day(4))
        .await
        .unwrap()
        .is_empty());
    // The shared transport's own refusal after the reactivation is news: Acme stops too.
    let mut verdict =
        server::domain::bounce::classify_smtp_reply(550, Some("5.1.1"), "5.1.1 no such user", ana);
    verdict.recipient = Some(ana.to_string());
    ingest
        .record_send_failure(
            AccountId(hooli),
            "smtp",
            TransportKind::Shared,
            "send:9:1".into(),
            None,
            &verdict,
            day(5),
        )
        .await
        .unwrap();
    assert_eq!(
        scope_of(&hooli_gate_at(&ingest, acme, ana, day(5)).await),
        Some(Scope::Global)
    );
}
on_both_backends!(a_reactivation_stands_when_a_later_quorum_makes_the_address_global);

async fn hooli_gate_at(
    ingest: &IngestService,
    account: i64,
    email: &str,
    now: chrono::DateTime<Utc>,
) -> GateResult {
    ingest
        .gate(
            AccountId(account),
            &addr(email),
            MailKind::Transactional,
            now,
        )
        .await
        .unwrap()
}

async fn a_bounce_on_the_shared_transport_is_global_at_once(db: Db) {
    let acme = db.create_account("Acme", t0()).await.unwrap();
    let globex = db.create_account("Globex", t0()).await.unwrap();
    let ingest = IngestService::new(db.clone());
    // Two messages of Acme's: one sent through the shared transport, one through Acme's own
    // relay (as sending records them, without a sender row, which the match does not read).
    let shared = outbound_message(&db, acme, "<s@acme.test>", None, None).await;
    let own = outbound_message(&db, acme, "<o@acme.test>", None, None).await;
    let mut conn = db.pool().acquire().await.unwrap();
    for (id, rp, via_shared) in [
        (shared, "bounces+s1@acme.test", 1_i64),
        (own, "bounces+o1@acme.test", 0),
    ] {
        sqlx::query("UPDATE messages SET return_path = $1, shared_transport = $2 WHERE id = $3")
            .bind(rp)
            .bind(via_shared)
            .bind(id)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    drop(conn);

    // An NDN to the VERP return path of the shared-transport message: global at once.
    ingest
        .ingest_raw(
            AccountId(acme),
            &hard_bounce_ndn("gone@example.com", "bounces+s1@acme.test"),
            t0(),
        )
        .await
        .unwrap();
    match gate(&ingest, globex, "gone@example.com").await {
        GateResult::Suppressed { scope, reason, .. } => {
            assert_eq!(scope, Scope::Global);
            assert!(
                reason.starts_with("global: bounced on our shared transport"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    let seen = db
        .global_entries(AccountId(globex), &[addr("gone@example.com")], t0())
        .await
        .unwrap();
    assert_eq!(seen[0].basis, Some(GlobalBasis::SharedTransport));
    assert_eq!(seen[0].provenance, Some(Provenance::VerpReturnPath));
    // The same notice for the message sent through Acme's own relay stays in Acme.
    ingest
        .ingest_raw(
            AccountId(acme),
            &hard_bounce_ndn("gone2@example.com", "bounces+o1@acme.test"),
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(
        gate(&ingest, globex, "gone2@example.com").await,
        GateResult::Allowed
    );
    assert_eq!(
        scope_of(&gate(&ingest, acme, "gone2@example.com").await),
        Some(Scope::Account(AccountId(acme)))
    );
    // The shared transport's own 550 at send time: global too; the account's relay's: not.
    for (email, transport, expected) in [
        (
            "refused@example.com",
            TransportKind::Shared,
            Some(Scope::Global),
        ),
        ("refused2@example.com", TransportKind::Account, None),
    ] {
        let mut verdict = server::domain::bounce::classify_smtp_reply(
            550,
            Some("5.1.1"),
            "5.1.1 no such user",
            email,
        );
        verdict.recipient = Some(email.to_string());
        ingest
            .record_send_failure(
                AccountId(acme),
                "smtp",
                transport,
                format!("send:{email}"),
                None,
                &verdict,
                t0(),
            )
            .await
            .unwrap();
        assert_eq!(
            scope_of(&gate(&ingest, globex, email).await),
            expected,
            "{email}"
        );
    }
    let provenance: Vec<Option<String>> =
        sqlx::query_scalar("SELECT provenance FROM delivery_events ORDER BY id")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert_eq!(provenance[0].as_deref(), Some("verp_return_path"));
    assert_eq!(provenance[1].as_deref(), Some("verp_return_path"));
}
on_both_backends!(a_bounce_on_the_shared_transport_is_global_at_once);

async fn a_soft_bounce_stays_in_its_account(db: Db) {
    let full = "full@example.com";
    let (acme, _) = account_with_listed_contact(&db, "Acme", full).await;
    let (globex, _) = account_with_listed_contact(&db, "Globex", full).await;
    let ingest = IngestService::new(db.clone());
    post_postmark(&ingest, globex, postmark_bounce_json(1, full, false), t0()).await;
    match gate(&ingest, globex, full).await {
        GateResult::Suppressed {
            scope, until, kind, ..
        } => {
            assert_eq!(scope, Scope::Account(AccountId(globex)));
            assert_eq!(kind, SuppressionKind::SoftBounce);
            assert_eq!(until, Some(t0() + TimeDelta::days(14)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(gate(&ingest, acme, full).await, GateResult::Allowed);
    assert_eq!(
        db.contact_status(AccountId(acme), full)
            .await
            .unwrap()
            .unwrap()
            .status,
        "active"
    );
    // Even reported by a second account, a soft bounce is no quorum.
    post_postmark(&ingest, acme, postmark_bounce_json(2, full, false), t0()).await;
    let third = db.create_account("Initech", t0()).await.unwrap();
    assert_eq!(gate(&ingest, third, full).await, GateResult::Allowed);
}
on_both_backends!(a_soft_bounce_stays_in_its_account);

async fn a_hundred_spam_clicks_by_one_account_are_one_vote(db: Db) {
    use server::services::spam_filters::SpamFilters;
    let acme = db.create_account("Acme", t0()).await.unwrap();
    let globex = db.create_account("Globex", t0()).await.unwrap();
    let conversation = common::conversation(&db, acme, "deals@promo.example").await;
    let filters = SpamFilters::new(db.clone());
    for _ in 0..100 {
        filters
            .mark_spam(AccountId(acme), "agent@acme.test", conversation, t0())
            .await
            .unwrap();
    }
    // For everyone else: Acme counts once.
    let shared = db
        .domain_history(AccountId(globex), "promo.example")
        .await
        .unwrap();
    assert_eq!(shared.spam_flags + shared.blocks + shared.complaints, 1);
    // For Acme itself: its one conversation and its one block.
    let own = db
        .domain_history(AccountId(acme), "promo.example")
        .await
        .unwrap();
    assert_eq!((own.spam_flags, own.blocks), (1, 1));
    // "Not spam" on the same conversation replaces Acme's vote: no bad vote left.
    filters
        .not_spam(AccountId(acme), "agent@acme.test", conversation, true, t0())
        .await
        .unwrap();
    // It also took the sender off the block list, and the block vote with it.
    let own = db
        .domain_history(AccountId(acme), "promo.example")
        .await
        .unwrap();
    assert_eq!(
        (own.spam_flags, own.clean_conversations, own.blocks),
        (0, 1, 0)
    );
    let shared = db
        .domain_history(AccountId(globex), "promo.example")
        .await
        .unwrap();
    assert_eq!(shared.spam_flags + shared.blocks, 0);
}
on_both_backends!(a_hundred_spam_clicks_by_one_account_are_one_vote);

fn vote(ballot: &str, vote: &str) -> (String, String) {
    (ballot.to_string(), vote.to_string())
}

/// Acme's votes about promo.example, as stored: (ballot, vote).
async fn votes_of(db: &Db, account: i64) -> Vec<(String, String)> {
    let rows = sqlx::query(
        "SELECT ballot, vote FROM domain_votes WHERE account_id = $1 AND domain = 'promo.example' \
         ORDER BY ballot",
    )
    .bind(account)
    .fetch_all(db.pool())
    .await
    .unwrap();
    use sqlx::Row;
    rows.iter()
        .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
        .collect()
}

async fn removing_blocks_and_not_spam_withdraw_the_accounts_votes(db: Db) {
    use server::services::spam_filters::SpamFilters;
    let acme = db.create_account("Acme", t0()).await.unwrap();
    let globex = db.create_account("Globex", t0()).await.unwrap();
    let conversation = common::conversation(&db, acme, "deals@promo.example").await;
    let filters = SpamFilters::new(db.clone());
    let (admin, agent) = ("admin@acme.test", "agent@acme.test");
    // Two entries about one domain: one block vote.
    let address = filters
        .add_block(AccountId(acme), admin, "offers@promo.example", "", t0())
        .await
        .unwrap();
    let domain = filters
        .add_block(AccountId(acme), admin, "promo.example", "", t0())
        .await
        .unwrap();
    assert_eq!(votes_of(&db, acme).await, [vote("block", "block")]);
    assert_eq!(
        db.domain_history(AccountId(globex), "promo.example")
            .await
            .unwrap()
            .blocks,
        1
    );
    // Removing one entry keeps the vote (the other still stands), the last one withdraws it.
    filters
        .remove_block(AccountId(acme), admin, address.id, t0())
        .await
        .unwrap();
    assert_eq!(votes_of(&db, acme).await.len(), 1);
    filters
        .remove_block(AccountId(acme), admin, domain.id, t0())
        .await
        .unwrap();
    assert!(votes_of(&db, acme).await.is_empty());
    assert_eq!(
        db.domain_history(AccountId(globex), "promo.example")
            .await
            .unwrap()
            .blocks,
        0
    );

    // Mark as spam, then Not spam keeping the block: the conversation's vote is replaced, the
    // block vote stays with the block; removing that block withdraws it.
    filters
        .mark_spam(AccountId(acme), agent, conversation, t0())
        .await
        .unwrap();
    let ballot = format!("conversation:{conversation}");
    assert_eq!(
        votes_of(&db, acme).await,
        [vote("block", "block"), vote(&ballot, "spam")]
    );
    filters
        .not_spam(AccountId(acme), agent, conversation, false, t0())
        .await
        .unwrap();
    assert_eq!(
        votes_of(&db, acme).await,
        [vote("block", "block"), vote(&ballot, "clean")]
    );
    let block = db.block_list(AccountId(acme)).await.unwrap();
    assert_eq!(block.len(), 1);
    filters
        .remove_block(AccountId(acme), admin, block[0].id, t0())
        .await
        .unwrap();
    assert_eq!(votes_of(&db, acme).await, [vote(&ballot, "clean")]);
    let shared = db
        .domain_history(AccountId(globex), "promo.example")
        .await
        .unwrap();
    assert_eq!((shared.spam_flags, shared.blocks), (0, 0));
}
on_both_backends!(removing_blocks_and_not_spam_withdraw_the_accounts_votes);

/// A database migrated up to 0007 (before tenant trust), for the migration story.
async fn database_at_0007(backend: &str) -> Option<(String, sqlx::AnyPool)> {
    database_before(backend, "0008").await
}

/// A database migrated with the migrations named before `first_missing`.
async fn database_before(backend: &str, first_missing: &str) -> Option<(String, sqlx::AnyPool)> {
    sqlx::any::install_default_drivers();
    let stamp = format!(
        "{}_{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    );
    let url = if backend == "sqlite" {
        let dir = std::env::temp_dir().join("deliverdesk-tests");
        std::fs::create_dir_all(&dir).unwrap();
        format!(
            "sqlite://{}?mode=rwc",
            dir.join(format!("m{stamp}.db")).display()
        )
    } else {
        let base = std::env::var("TEST_DATABASE_URL").ok()?;
        let admin = sqlx::AnyPool::connect(&base).await.unwrap();
        // Named like common's test databases, so a later run drops it as stale.
        let base_name = base
            .rsplit('/')
            .next()
            .unwrap_or("test")
            .to_ascii_lowercase();
        let name = format!("dd_{base_name}_{stamp}");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        format!("{}/{name}", base.rsplit_once('/').unwrap().0)
    };
    let dir = std::env::temp_dir().join(format!("deliverdesk-migrations-{backend}-{stamp}"));
    std::fs::create_dir_all(&dir).unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(backend);
    for f in std::fs::read_dir(&source).unwrap() {
        let f = f.unwrap();
        let name = f.file_name().to_string_lossy().to_string();
        if name.as_str() < first_missing {
            std::fs::copy(f.path(), dir.join(&name)).unwrap();
        }
    }
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::migrate::Migrator::new(dir.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    Some((url, pool))
}

async fn migration_0008_rescopes_todays_global_entries(backend: &str) {
    let Some((url, pool)) = database_at_0007(backend).await else {
        return;
    };
    let now = Utc::now().timestamp_millis();
    let old = now - 100 * 86_400_000;
    let seed = [
        "INSERT INTO accounts (id, name, created_at) VALUES (1, 'Acme', 0), (2, 'Globex', 0)",
        // Globex alone reported ana; Acme and Globex both reported two; Acme soft-bounced
        // soft; three's second report is too old for a quorum.
        "INSERT INTO contacts (account_id, email, created_at, status, status_event_id) VALUES \
         (1, 'ana@example.com', 0, 'hard_bounce', 1), (2, 'ana@example.com', 0, 'hard_bounce', 1), \
         (1, 'two@example.com', 0, 'hard_bounce', 2), (2, 'two@example.com', 0, 'hard_bounce', 3)",
    ];
    for sql in seed {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    for (id, account, category, recipient, at) in [
        (1_i64, 2_i64, "hard_bounce", "ana@example.com", now),
        (2, 1, "hard_bounce", "two@example.com", now),
        (3, 2, "hard_bounce", "two@example.com", now),
        (4, 1, "soft_bounce", "soft@example.com", now),
        (5, 1, "hard_bounce", "three@example.com", now),
        (6, 2, "hard_bounce", "three@example.com", old),
    ] {
        sqlx::query(
            "INSERT INTO delivery_events (id, account_id, provider, provider_event_id, category, \
             reason, recipient, evidence_rule, evidence_source, occurred_at, received_at) \
             VALUES ($1, $2, 'postmark', $3, $4, 'r', $5, 'r', 's', $6, $6)",
        )
        .bind(id)
        .bind(account)
        .bind(format!("x{id}"))
        .bind(category)
        .bind(recipient)
        .bind(at)
        .execute(&pool)
        .await
        .unwrap();
    }
    for (address, kind, until, event) in [
        ("ana@example.com", "hard_bounce", None, 1_i64),
        ("two@example.com", "hard_bounce", None, 3),
        ("soft@example.com", "soft_bounce", Some(now + 86_400_000), 4),
        ("three@example.com", "hard_bounce", None, 5),
    ] {
        sqlx::query(
            "INSERT INTO suppressions (address, account_id, kind, reason, since, until, event_id) \
             VALUES ($1, NULL, $2, 'old global', $3, $4, $5)",
        )
        .bind(address)
        .bind(kind)
        .bind(now - 1000)
        .bind(until)
        .bind(event)
        .execute(&pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO org_log (account_id, logged_at, kind, actor, subject, details) VALUES \
         (1, 10, 'marked_spam', 'a', 'bad@Spam.example', '{\"conversation_id\": 7}'), \
         (1, 11, 'marked_spam', 'a', 'bad@spam.example', '{\"conversation_id\": 7}'), \
         (1, 12, 'marked_not_spam', 'a', 'bad@spam.example', '{\"conversation_id\": 7}'), \
         (1, 13, 'marked_spam', 'a', 'bad@spam.example', '{\"conversation_id\": 8}')",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    // The server migrates on start.
    let db = Db::connect(&url).await.unwrap();
    let (acme, globex) = (1, 2);
    let ingest = IngestService::new(db.clone());
    let at = Utc::now();
    let gate_now = |account: i64, email: &'static str| {
        let ingest = ingest.clone();
        async move {
            ingest
                .gate(
                    AccountId(account),
                    &addr(email),
                    MailKind::Transactional,
                    at,
                )
                .await
                .unwrap()
        }
    };
    // Globex's word alone: Globex's entry now, and Acme's contact is active again.
    assert_eq!(gate_now(acme, "ana@example.com").await, GateResult::Allowed);
    assert_eq!(
        scope_of(&gate_now(globex, "ana@example.com").await),
        Some(Scope::Account(AccountId(globex)))
    );
    assert_eq!(
        db.contact_status(AccountId(acme), "ana@example.com")
            .await
            .unwrap()
            .unwrap()
            .status,
        "active"
    );
    // Two accounts within 90 days: still global, with its basis.
    let two = db
        .global_entries(AccountId(acme), &[addr("two@example.com")], at)
        .await
        .unwrap();
    assert_eq!(two.len(), 1);
    assert_eq!(two[0].basis, Some(GlobalBasis::Quorum { accounts: 2 }));
    // A soft bounce and a quorum that is too old: the reporting account's.
    assert_eq!(
        gate_now(globex, "soft@example.com").await,
        GateResult::Allowed
    );
    assert_eq!(
        gate_now(globex, "three@example.com").await,
        GateResult::Allowed
    );
    assert!(gate_now(acme, "three@example.com").await != GateResult::Allowed);
    // Logged in the reporting account's Org Logging.
    let rescoped = |account: i64| {
        let db = db.clone();
        async move {
            db.org_log(
                AccountId(account),
                &LogFilter {
                    kind: Some(LogKind::SuppressionRescoped),
                    ..LogFilter::default()
                },
            )
            .await
            .unwrap()
            .total
        }
    };
    assert_eq!((rescoped(acme).await, rescoped(globex).await), (2, 2));
    // Votes rebuilt from Org Logging: conversation 7's latest flag was "not spam".
    let own = db
        .domain_history(AccountId(acme), "spam.example")
        .await
        .unwrap();
    assert_eq!((own.spam_flags, own.clean_conversations), (1, 1));
}

#[tokio::test]
async fn migration_0008_rescopes_todays_global_entries_on_sqlite() {
    migration_0008_rescopes_todays_global_entries("sqlite").await;
}

#[tokio::test]
async fn migration_0008_rescopes_todays_global_entries_on_postgres() {
    migration_0008_rescopes_todays_global_entries("postgres").await;
}

/// Migration 0013 gives every existing suppression the stream that keeps today's behaviour:
/// unsubscribes stop campaigns only, everything else stops all mail.
async fn migration_0013_keeps_todays_streams(backend: &str) {
    let Some((url, pool)) = database_before(backend, "0013").await else {
        return;
    };
    let now = Utc::now().timestamp_millis();
    sqlx::query("INSERT INTO accounts (id, name, created_at) VALUES (1, 'Acme', 0)")
        .execute(&pool)
        .await
        .unwrap();
    for (address, kind) in [
        ("unsub@example.com", "unsubscribe"),
        ("angry@example.com", "spam_complaint_manual"),
        ("gone@example.com", "hard_bounce"),
    ] {
        sqlx::query(
            "INSERT INTO suppressions (address, account_id, kind, reason, since, until, event_id, \
             address_hash) VALUES ($1, 1, $2, 'before streams', $3, NULL, NULL, $4)",
        )
        .bind(address)
        .bind(kind)
        .bind(now - 1000)
        .bind(addr(address).key_hash())
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;
    let db = Db::connect(&url).await.unwrap();
    let ingest = IngestService::new(db.clone());
    let at = Utc::now();
    // (address, stream, reply allowed, campaign allowed)
    for (address, stream, reply, campaign) in [
        ("unsub@example.com", Stream::Campaign, true, false),
        ("angry@example.com", Stream::All, false, false),
        ("gone@example.com", Stream::All, false, false),
    ] {
        let rows = db.suppressions(AccountId(1), &addr(address)).await.unwrap();
        assert_eq!(rows.len(), 1, "{address}");
        assert_eq!(rows[0].entry.stream, stream, "{address}");
        for (mail, allowed) in [(MailKind::Transactional, reply), (MailKind::Bulk, campaign)] {
            assert_eq!(
                ingest
                    .gate(AccountId(1), &addr(address), mail, at)
                    .await
                    .unwrap()
                    .is_allowed(),
                allowed,
                "{address} {mail:?}"
            );
        }
    }
}

#[tokio::test]
async fn migration_0013_keeps_todays_streams_on_sqlite() {
    migration_0013_keeps_todays_streams("sqlite").await;
}

#[tokio::test]
async fn migration_0013_keeps_todays_streams_on_postgres() {
    migration_0013_keeps_todays_streams("postgres").await;
}
