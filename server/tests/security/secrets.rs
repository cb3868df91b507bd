//! Secrets at rest: relay passwords, API tokens and Mailgun signing keys are sealed with the
//! server's key when stored, old clear ones at start, and are unreadable without the key.

use crate::on_both_backends;
use server::domain::suppression::AccountId;
use server::services::transport::{Security, TransportConfig};

async fn secrets_are_sealed_at_rest(db: server::storage::Db) {
    use server::secrets::SecretBox;
    let key_a = [11u8; 32];
    let key_b = [22u8; 32];
    let now = chrono::Utc::now();
    let account = db.create_account("Acme", now).await.unwrap();
    // A row stored before encryption (no key), then one with the key.
    let smtp = TransportConfig::Smtp {
        host: "smtp.example.com".into(),
        port: 587,
        security: Security::StartTls,
        login: Some(("relay-user".into(), "relay-hunter2".into())),
    };
    let api = TransportConfig::Postmark {
        base_url: "https://api.example.com".into(),
        server_token: "token-hunter2".into(),
    };
    let add = |db: &server::storage::Db, address: &'static str, t: &TransportConfig| {
        let db = db.clone();
        let t = t.clone();
        async move {
            db.add_sender(
                &server::storage::outbound::NewSender {
                    account_id: AccountId(account),
                    address,
                    name: None,
                    kind: "transactional",
                    transport: &t,
                },
                now,
            )
            .await
            .unwrap()
            .unwrap()
        }
    };
    add(&db, "old@acme.test", &smtp).await;
    let sealed = db.clone().with_secrets(SecretBox::new(&key_a));
    add(&sealed, "new@acme.test", &api).await;

    let raw = |db: server::storage::Db| async move {
        let rows: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT address, smtp_password, api_token FROM sender_addresses ORDER BY address",
        )
        .fetch_all(db.pool())
        .await
        .unwrap();
        rows
    };
    let before = raw(db.clone()).await;
    assert_eq!(
        before[1].1.as_deref(),
        Some("relay-hunter2"),
        "old row: plaintext"
    );
    let token = before[0].2.clone().unwrap();
    assert!(
        token.starts_with("enc:v1:") && !token.contains("hunter2"),
        "{token}"
    );

    // The old row is readable, then sealed at start.
    let senders = sealed.senders(AccountId(account)).await.unwrap();
    assert!(senders.iter().any(|s| s.transport == smtp));
    assert_eq!(sealed.seal_secrets().await.unwrap(), 1);
    assert_eq!(sealed.seal_secrets().await.unwrap(), 0, "idempotent");
    let after = raw(db.clone()).await;
    for (address, password, token) in &after {
        for v in [password, token].into_iter().flatten() {
            assert!(
                v.starts_with("enc:v1:") && !v.contains("hunter2"),
                "{address}: {v}"
            );
        }
    }
    let mut read: Vec<TransportConfig> = sealed
        .senders(AccountId(account))
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.transport)
        .collect();
    read.sort_by_key(|t| t.provider());
    assert_eq!(read, vec![api.clone(), smtp.clone()]);
    // Without the key, a sealed secret is an error, not garbage sent to a relay.
    assert!(db.senders(AccountId(account)).await.is_err());

    // Rotation: the new key with the old one beside it seals everything again.
    let rotated = db
        .clone()
        .with_secrets(SecretBox::new(&key_b).with_old_key(&key_a));
    assert_eq!(rotated.seal_secrets().await.unwrap(), 2);
    let only_b = db.clone().with_secrets(SecretBox::new(&key_b));
    let mut read: Vec<TransportConfig> = only_b
        .senders(AccountId(account))
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.transport)
        .collect();
    read.sort_by_key(|t| t.provider());
    assert_eq!(read, vec![api, smtp]);
}
on_both_backends!(secrets_are_sealed_at_rest);

/// The Mailgun signing key of a webhook credential is sealed like relay passwords: new ones
/// when stored, old clear ones at start; read back as given; unreadable without the key.
async fn mailgun_signing_keys_are_sealed_at_rest(db: server::storage::Db) {
    use server::secrets::SecretBox;
    let key = [7u8; 32];
    let now = chrono::Utc::now();
    let account = db.create_account("Acme", now).await.unwrap();
    // Stored before sealing existed (or by a CLI without the key).
    db.create_webhook_credential(
        AccountId(account),
        "old-hooks",
        "x",
        Some("key-old-mailgun"),
        None,
        now,
    )
    .await
    .unwrap();
    let sealed = db.clone().with_secrets(SecretBox::new(&key));
    sealed
        .create_webhook_credential(
            AccountId(account),
            "new-hooks",
            "x",
            Some("key-new-mailgun"),
            None,
            now,
        )
        .await
        .unwrap();
    sealed
        .create_webhook_credential(AccountId(account), "no-key-hooks", "x", None, None, now)
        .await
        .unwrap();
    let raw = || async {
        let rows: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT username, mailgun_signing_key FROM webhook_credentials ORDER BY username",
        )
        .fetch_all(db.pool())
        .await
        .unwrap();
        rows
    };
    let before = raw().await;
    assert_eq!(before[2].1.as_deref(), Some("key-old-mailgun"));
    let new = before[0].1.clone().unwrap();
    assert!(
        new.starts_with("enc:v1:") && !new.contains("mailgun"),
        "{new}"
    );
    // The clear row reads as it is, then is sealed at start (once).
    let read = |db: server::storage::Db, user: &'static str| async move {
        db.webhook_credential(user)
            .await
            .map(|c| c.and_then(|c| c.mailgun_signing_key))
    };
    assert_eq!(
        read(sealed.clone(), "old-hooks").await.unwrap().as_deref(),
        Some("key-old-mailgun")
    );
    assert_eq!(sealed.seal_secrets().await.unwrap(), 1);
    assert_eq!(sealed.seal_secrets().await.unwrap(), 0, "idempotent");
    for (user, stored) in raw().await {
        match user.as_str() {
            "no-key-hooks" => assert_eq!(stored, None),
            _ => {
                let v = stored.unwrap();
                assert!(
                    v.starts_with("enc:v1:") && !v.contains("mailgun"),
                    "{user}: {v}"
                );
            }
        }
    }
    assert_eq!(
        read(sealed.clone(), "old-hooks").await.unwrap().as_deref(),
        Some("key-old-mailgun")
    );
    assert_eq!(
        read(sealed.clone(), "new-hooks").await.unwrap().as_deref(),
        Some("key-new-mailgun")
    );
    assert_eq!(read(sealed.clone(), "no-key-hooks").await.unwrap(), None);
    // Without the key, a sealed key is an error, not a wrong HMAC key.
    assert!(read(db.clone(), "new-hooks").await.is_err());
    // A sealed relay password cannot be passed off as a signing key (bound to its column).
    let password = SecretBox::new(&key).seal("smtp_password", "key-evil");
    sqlx::query(
        "UPDATE webhook_credentials SET mailgun_signing_key = $1 WHERE username = 'old-hooks'",
    )
    .bind(password)
    .execute(db.pool())
    .await
    .unwrap();
    assert!(read(sealed.clone(), "old-hooks").await.is_err());
}
on_both_backends!(mailgun_signing_keys_are_sealed_at_rest);
