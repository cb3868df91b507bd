//! Issue 18 over HTTP, on the demo data: the Org Logging CSV export (admins only, their own
//! account's entries, escaped) and the address history (an account's own notices only).

use crate::common;

use reqwest::{redirect::Policy, Client, StatusCode};
use server::domain::suppression::AccountId;

async fn demo_app() -> (server::storage::Db, String) {
    let db = common::sqlite_db().await;
    assert!(common::seed_demo_accounts(&db).await);
    let base = common::spawn_app(db.clone()).await;
    (db, base)
}

async fn signed_in(base: &str, email: &str) -> Client {
    let c = Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap();
    let r = c
        .post(format!("{base}/api/login"))
        .header("accept", "application/json")
        .form(&[("email", email), ("password", server::demo::DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection());
    c
}

async fn account_of(db: &server::storage::Db, email: &str) -> i64 {
    db.user_credentials(email)
        .await
        .unwrap()
        .unwrap()
        .user
        .account_id
}

#[tokio::test]
async fn org_logging_exports_csv_for_admins_of_their_own_account_only() {
    let (db, base) = demo_app().await;
    let now = chrono::Utc::now();
    let acme = account_of(&db, "admin@acme.test").await;
    let globex = account_of(&db, "admin@globex.test").await;
    let filters = server::services::spam_filters::SpamFilters::new(db.clone());
    // An entry whose reason a spreadsheet would run as a formula, and one of Globex's.
    filters
        .add_block(
            AccountId(acme),
            "admin@acme.test",
            "evil.test",
            "=HYPERLINK(\"x\",\"y\")",
            now,
        )
        .await
        .unwrap();
    filters
        .add_block(
            AccountId(globex),
            "admin@globex.test",
            "globex-only.test",
            "",
            now,
        )
        .await
        .unwrap();

    let signed_out = Client::new()
        .get(format!("{base}/org-logging/export.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), StatusCode::UNAUTHORIZED);
    let agent = signed_in(&base, "agent@acme.test").await;
    let r = agent
        .get(format!("{base}/org-logging/export.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let admin = signed_in(&base, "admin@acme.test").await;
    let r = admin
        .get(format!("{base}/org-logging/export.csv?kind=block_added"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "id,time_utc,type,actor,subject,details");
    assert!(csv.contains("evil.test"), "{csv}");
    assert!(!csv.contains("globex-only.test"), "{csv}");
    // Every data row is a block_added entry (the filter holds), and the formula is defused.
    assert!(
        lines[1..].iter().all(|l| l.contains(",block_added,")),
        "{csv}"
    );
    assert!(
        !csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"),
        "{csv}"
    );

    // A bad date is the admin's mistake, said plainly.
    let r = admin
        .get(format!("{base}/org-logging/export.csv?from=yesterday"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("yesterday"));
}

#[tokio::test]
async fn the_address_history_shows_an_accounts_own_notice_and_nobody_elses() {
    let (db, base) = demo_app().await;
    let now = chrono::Utc::now();
    let acme = account_of(&db, "admin@acme.test").await;
    let body = common::postmark_complaint(99, "angry@example.com");
    let bytes = body.to_string().into_bytes();
    let events =
        server::domain::bounce::classify_esp(server::domain::bounce::Provider::Postmark, &bytes)
            .unwrap();
    server::services::ingest::IngestService::new(db.clone())
        .ingest_esp(
            AccountId(acme),
            server::domain::bounce::Provider::Postmark,
            &events,
            &bytes,
            now,
        )
        .await
        .unwrap();

    let ask = |c: Client| {
        let base = base.clone();
        async move {
            let r = c
                .post(format!("{base}/api/address-history"))
                .form(&[("email", "angry@example.com")])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<app::models::AddressHistoryView>().await.unwrap()
        }
    };
    let mine = ask(signed_in(&base, "agent@acme.test").await).await;
    assert_eq!(mine.entries.len(), 1);
    let notice = mine.entries[0].notice.as_ref().unwrap();
    assert!(notice.raw.as_deref().unwrap().contains("SpamComplaint"));
    let theirs = ask(signed_in(&base, "agent@globex.test").await).await;
    assert!(theirs.entries.is_empty(), "{theirs:?}");
    assert!(!theirs.suppressed_now);
}
