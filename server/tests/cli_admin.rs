//! The set-up commands for a deployment without demo data.

use crate::common;
use server::domain::suppression::AccountId;

use server::services::auth::verify_password;
use server::services::ingest::IngestService;

fn secret_after<'a>(out: &'a str, marker: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.split_once(marker).map(|(_, s)| s.trim()))
        .unwrap_or_else(|| panic!("{marker:?} not in {out}"))
}

#[tokio::test]
async fn an_account_its_users_and_a_webhook_credential_can_be_created() {
    let db = common::sqlite_db().await;
    let mut out = Vec::new();
    let account = server::cli::admin::create_account(
        &db,
        "Initech Support",
        "Boss@Initech.test",
        Some("help@initech.test"),
        &mut out,
    )
    .await
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    let password = secret_after(&text, "boss@initech.test / ");
    let creds = db
        .user_credentials("boss@initech.test")
        .await
        .unwrap()
        .unwrap();
    assert!(creds.user.is_admin());
    assert_eq!(creds.user.account_id, account);
    assert!(verify_password(password, &creds.password_hash));
    assert_eq!(
        db.inbound_address_account("help@initech.test")
            .await
            .unwrap(),
        Some(account)
    );

    let mut out = Vec::new();
    server::cli::admin::add_user(
        &db,
        AccountId(account),
        "peter@initech.test",
        app::models::Role::Agent,
        &mut out,
    )
    .await
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("agent login: peter@initech.test / "),
        "{text}"
    );
    // The same email twice is refused with a reason.
    let err = server::cli::admin::add_user(
        &db,
        AccountId(account),
        "peter@initech.test",
        app::models::Role::Agent,
        &mut Vec::new(),
    )
    .await
    .unwrap_err();
    assert!(format!("{err:#}").contains("in use"), "{err:#}");

    let mut out = Vec::new();
    server::cli::admin::webhook_credential(
        &db,
        AccountId(account),
        "initech-hooks",
        None,
        None,
        &mut out,
    )
    .await
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    let pair = secret_after(&text, "webhook credential for account ");
    let (_, secret) = pair.split_once(": ").unwrap().1.split_once(':').unwrap();
    let ingest = IngestService::new(db.clone());
    let cred = ingest
        .authenticate("initech-hooks", secret)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cred.account_id, AccountId(account));
    assert!(ingest
        .authenticate("initech-hooks", "wrong")
        .await
        .unwrap()
        .is_none());
    assert!(server::cli::admin::webhook_credential(
        &db,
        AccountId(account),
        "bad:name",
        None,
        None,
        &mut Vec::new()
    )
    .await
    .is_err());

    // The SNS topic SES notifications must come from.
    assert!(cred.sns_topic_arn.is_none());
    let arn = "arn:aws:sns:eu-west-1:123456789012:ses-events";
    server::cli::admin::sns_topic(&db, "initech-hooks", arn, &mut Vec::new())
        .await
        .unwrap();
    let stored = db
        .webhook_credential("initech-hooks")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.sns_topic_arn.as_deref(), Some(arn));
    for (user, bad) in [
        ("initech-hooks", "ses-events"),
        ("initech-hooks", "arn:aws:sns:eu-west-1:ses events"),
        ("nobody-hooks", arn),
    ] {
        assert!(
            server::cli::admin::sns_topic(&db, user, bad, &mut Vec::new())
                .await
                .is_err(),
            "{user} {bad}"
        );
    }
}
