//! The storage story, run on SQLite and (with TEST_DATABASE_URL) on PostgreSQL.

use app::models::*;
use chrono::{Duration, TimeZone, Utc};
use server::domain::suppression::AccountId;
use server::services::search::SearchQuery;
use server::storage::{Db, NewMessage, SPAM_ATTRIBUTE};

fn message<'a>(
    account_id: i64,
    conversation_id: i64,
    text: &'a str,
    at: chrono::DateTime<Utc>,
) -> NewMessage<'a> {
    NewMessage {
        account_id: AccountId(account_id),
        conversation_id,
        direction: Direction::Inbound,
        from_addr: "customer@example.com",
        to_addr: "support@acme.test",
        subject: "Help",
        text_body: text,
        html_body: None,
        raw_source: Some(b"From: customer@example.com\r\n\r\nraw"),
        message_id_header: Some("<m1@example.com>"),
        created_at: at,
        inbound_key: None,
        spam_score: None,
        spam_rules: None,
    }
}

async fn accounts_users_and_sessions(db: Db) {
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
    let acme = db.create_account("Acme", now).await.unwrap();
    let user = db
        .create_user(
            AccountId(acme),
            "Agent@Acme.test",
            "Agent",
            Role::Agent,
            "$argon2id$hash",
            now,
        )
        .await
        .unwrap();
    let creds = db
        .user_credentials(" agent@ACME.test ")
        .await
        .unwrap()
        .expect("found by any case");
    assert_eq!(creds.user.id, user);
    assert_eq!(creds.user.account_name, "Acme");
    assert_eq!(creds.user.role, Role::Agent);
    assert_eq!(creds.password_hash, "$argon2id$hash");
    assert!(db
        .user_credentials("nobody@acme.test")
        .await
        .unwrap()
        .is_none());
    // The same email cannot be registered twice.
    assert!(db
        .create_user(
            AccountId(acme),
            "agent@acme.test",
            "Dup",
            Role::Admin,
            "h",
            now
        )
        .await
        .is_err());

    db.create_session("tokenhash", user, now, now + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(
        db.session_user("tokenhash", now, now - Duration::hours(1))
            .await
            .unwrap()
            .unwrap()
            .id,
        user
    );
    // Expired sessions are not sessions.
    assert!(db
        .session_user("tokenhash", now + Duration::days(2), now)
        .await
        .unwrap()
        .is_none());
    db.delete_session("tokenhash").await.unwrap();
    assert!(db
        .session_user("tokenhash", now, now - Duration::hours(1))
        .await
        .unwrap()
        .is_none());
}
on_both_backends!(accounts_users_and_sessions);

async fn conversations_are_scoped_to_their_account(db: Db) {
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
    let acme = db.create_account("Acme", now).await.unwrap();
    let globex = db.create_account("Globex", now).await.unwrap();
    let c1 = db
        .upsert_contact(AccountId(acme), "Customer@Example.com", Some("Cus"), now)
        .await
        .unwrap();
    assert_eq!(
        db.upsert_contact(AccountId(acme), "customer@example.com", None, now)
            .await
            .unwrap(),
        c1,
        "one contact per address"
    );
    let g1 = db
        .upsert_contact(AccountId(globex), "customer@example.com", None, now)
        .await
        .unwrap();
    assert_ne!(c1, g1, "accounts have their own contacts");

    let conv = db
        .create_conversation(
            AccountId(acme),
            c1,
            "Broken carafe",
            ConversationStatus::Open,
            now,
        )
        .await
        .unwrap();
    db.add_message(&message(
        acme,
        conv,
        "the glass is cracked",
        now + Duration::minutes(5),
    ))
    .await
    .unwrap();
    let other = db
        .create_conversation(
            AccountId(globex),
            g1,
            "Badge",
            ConversationStatus::Open,
            now,
        )
        .await
        .unwrap();

    let detail = db
        .get_conversation(AccountId(acme), conv)
        .await
        .unwrap()
        .expect("own conversation");
    assert_eq!(detail.summary.subject, "Broken carafe");
    assert_eq!(detail.summary.message_count, 1);
    assert_eq!(
        detail.summary.updated_at,
        now + Duration::minutes(5),
        "a message moves updated_at"
    );
    assert_eq!(detail.messages[0].text_body, "the glass is cracked");
    assert!(
        db.get_conversation(AccountId(acme), other)
            .await
            .unwrap()
            .is_none(),
        "another account's conversation is refused"
    );
    assert!(db
        .get_conversation(AccountId(globex), conv)
        .await
        .unwrap()
        .is_none());

    let acme_list = db
        .list_conversations(AccountId(acme), None, &SearchQuery::default())
        .await
        .unwrap();
    assert_eq!(
        acme_list.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![conv]
    );
    // Attributes of another account's conversation cannot be set.
    db.set_attribute(AccountId(globex), conv, SPAM_ATTRIBUTE, "true")
        .await
        .unwrap();
    assert!(db
        .get_conversation(AccountId(acme), conv)
        .await
        .unwrap()
        .unwrap()
        .attributes
        .is_empty());
}
on_both_backends!(conversations_are_scoped_to_their_account);

async fn search_status_and_spam_filters(db: Db) {
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
    let acme = db.create_account("Acme", now).await.unwrap();
    let maria = db
        .upsert_contact(AccountId(acme), "maria@example.com", None, now)
        .await
        .unwrap();
    let spammer = db
        .upsert_contact(AccountId(acme), "win@prize.example", None, now)
        .await
        .unwrap();
    let open = db
        .create_conversation(
            AccountId(acme),
            maria,
            "Refund please",
            ConversationStatus::Open,
            now,
        )
        .await
        .unwrap();
    db.add_message(&message(acme, open, "my parcel never arrived", now))
        .await
        .unwrap();
    let done = db
        .create_conversation(
            AccountId(acme),
            maria,
            "Thanks",
            ConversationStatus::Done,
            now + Duration::minutes(1),
        )
        .await
        .unwrap();
    let spam = db
        .create_conversation(
            AccountId(acme),
            spammer,
            "You WON",
            ConversationStatus::Done,
            now + Duration::minutes(2),
        )
        .await
        .unwrap();
    db.add_message(&message(acme, spam, "claim your prize", now))
        .await
        .unwrap();
    db.set_attribute(AccountId(acme), spam, SPAM_ATTRIBUTE, "true")
        .await
        .unwrap();

    let ids = |q: &str, status: Option<ConversationStatus>| {
        let db = db.clone();
        let q = SearchQuery::parse(q);
        async move {
            let mut v: Vec<i64> = db
                .list_conversations(AccountId(acme), status, &q)
                .await
                .unwrap()
                .iter()
                .map(|c| c.id)
                .collect();
            v.sort();
            v
        }
    };
    assert_eq!(ids("", Some(ConversationStatus::Open)).await, vec![open]);
    assert_eq!(
        ids("", Some(ConversationStatus::Done)).await,
        vec![done, spam]
    );
    assert_eq!(
        ids("spam:true", None).await,
        vec![spam],
        "spam stays findable"
    );
    assert_eq!(ids("spam:false", None).await, vec![open, done]);
    assert_eq!(
        ids("PARCEL", None).await,
        vec![open],
        "free text searches message bodies, any case"
    );
    assert_eq!(ids("from:prize.example", None).await, vec![spam]);
    assert_eq!(ids("status:done refund", None).await, Vec::<i64>::new());
    assert_eq!(
        ids("100%_", None).await,
        Vec::<i64>::new(),
        "wildcards typed by users match nothing extra"
    );

    let detail = db
        .get_conversation(AccountId(acme), spam)
        .await
        .unwrap()
        .unwrap();
    assert!(detail.summary.spam);
    assert_eq!(
        detail.attributes,
        vec![Attribute {
            name: "Spam".into(),
            value: "true".into()
        }]
    );

    let r = db.reporting_summary(AccountId(acme)).await.unwrap();
    assert_eq!(
        (r.open, r.done, r.excluded_spam),
        (1, 1, 1),
        "spam is kept out of reporting"
    );
    assert_eq!(r.inbound_messages, 1);
}
on_both_backends!(search_status_and_spam_filters);

/// Contacts search: part of the address or the name, any case, `%` and `_` taken literally,
/// the account's own contacts only.
async fn contacts_are_found_by_part_of_address_or_name(db: Db) {
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
    let acme = db.create_account("Acme", now).await.unwrap();
    let globex = db.create_account("Globex", now).await.unwrap();
    for (email, name) in [
        ("maria.lopez@example.com", Some("Maria Lopez")),
        ("mario_rossi@example.it", None),
        ("marioXrossi@example.it", None),
        ("olivia@example.org", Some("Olivia 100% Brown")),
        ("olivia.2@example.org", Some("Olivia 100 Brown")),
    ] {
        db.upsert_contact(AccountId(acme), email, name, now)
            .await
            .unwrap();
    }
    db.upsert_contact(
        AccountId(globex),
        "maria.other@example.com",
        Some("Maria"),
        now,
    )
    .await
    .unwrap();
    let found = |search: &'static str| {
        let db = db.clone();
        async move {
            db.search_contacts(AccountId(acme), search)
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.email)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        found("").await.len(),
        5,
        "empty: every contact of the account"
    );
    assert_eq!(
        found("MARIA").await,
        ["maria.lopez@example.com"],
        "any case, own account"
    );
    assert_eq!(
        found("lopez").await,
        ["maria.lopez@example.com"],
        "by name too"
    );
    assert_eq!(
        found("mario_").await,
        ["mario_rossi@example.it"],
        "_ is not a wildcard"
    );
    assert_eq!(
        found("100%").await,
        ["olivia@example.org"],
        "% is not a wildcard"
    );
    assert!(found("nobody").await.is_empty());
}
on_both_backends!(contacts_are_found_by_part_of_address_or_name);
