//! The real app on port 0 with a fresh database: sessions, tenancy and roles over HTTP.

use crate::common;

use reqwest::{redirect::Policy, Client, StatusCode};

async fn demo_app() -> String {
    let db = common::sqlite_db().await;
    assert!(common::seed_demo_accounts(&db).await);
    common::spawn_app(db).await
}

fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

async fn signed_in(base: &str, email: &str) -> Client {
    let c = client();
    let r = c
        .post(format!("{base}/api/login"))
        .header("accept", "application/json")
        .form(&[("email", email), ("password", server::demo::DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "login: {}",
        r.status()
    );
    let cookie = r
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    c
}

async fn conversation_ids(c: &Client, base: &str) -> Vec<i64> {
    let r = c
        .post(format!("{base}/api/conversations"))
        .form(&[("status", "all")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let list: Vec<app::models::ConversationSummary> = r.json().await.unwrap();
    list.iter().map(|c| c.id).collect()
}

#[tokio::test]
async fn healthz_answers_after_a_database_round_trip() {
    let base = demo_app().await;
    let r = client()
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "sqlite");
}

#[tokio::test]
async fn a_conversation_of_another_account_is_refused_by_id() {
    let base = demo_app().await;
    let acme = signed_in(&base, "agent@acme.test").await;
    let globex = signed_in(&base, "agent@globex.test").await;
    let acme_ids = conversation_ids(&acme, &base).await;
    let globex_ids = conversation_ids(&globex, &base).await;
    assert!(!acme_ids.is_empty() && !globex_ids.is_empty());
    assert!(
        acme_ids.iter().all(|id| !globex_ids.contains(id)),
        "lists are disjoint"
    );

    let own = acme
        .post(format!("{base}/api/conversation"))
        .form(&[("id", acme_ids[0].to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    for id in &globex_ids {
        let r = acme
            .post(format!("{base}/api/conversation"))
            .form(&[("id", id.to_string())])
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::NOT_FOUND,
            "conversation {id} of another account"
        );
    }
}

#[tokio::test]
async fn signed_out_requests_are_refused_and_pages_redirect_to_login() {
    let base = demo_app().await;
    let c = client();
    let r = c
        .post(format!("{base}/api/conversations"))
        .form(&[("status", "all")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c.get(format!("{base}/conversations")).send().await.unwrap();
    assert!(r.status().is_redirection());
    assert_eq!(r.headers()["location"], "/login");
}

#[tokio::test]
async fn agents_get_403_on_admin_pages_and_admin_functions_admins_do_not() {
    let base = demo_app().await;
    let agent = signed_in(&base, "agent@acme.test").await;
    let admin = signed_in(&base, "admin@acme.test").await;
    for page in [
        "/apps/channels/email",
        "/settings/administration/spam-filters",
        "/org-logging",
    ] {
        assert_eq!(
            agent
                .get(format!("{base}{page}"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN,
            "{page}"
        );
        assert_eq!(
            admin
                .get(format!("{base}{page}"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK,
            "{page}"
        );
    }
    let r = agent
        .post(format!("{base}/api/admin/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = admin
        .post(format!("{base}/api/admin/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_password_is_refused_without_a_session() {
    let base = demo_app().await;
    let c = client();
    let r = c
        .post(format!("{base}/api/login"))
        .header("accept", "application/json")
        .form(&[("email", "agent@acme.test"), ("password", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.headers().get("set-cookie").is_none());
    assert!(r.text().await.unwrap().contains("Wrong email or password."));
}

#[tokio::test]
async fn logging_out_ends_the_session_on_the_server() {
    let base = demo_app().await;
    let c = client();
    let r = c
        .post(format!("{base}/api/login"))
        .header("accept", "application/json")
        .form(&[
            ("email", "agent@acme.test"),
            ("password", server::demo::DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let set_cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    let old_cookie = set_cookie.split(';').next().unwrap().to_string();
    assert_eq!(conversation_ids(&c, &base).await.len(), 10);
    let r = c
        .post(format!("{base}/api/logout"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection());
    // Replaying the old cookie must not work: the session is deleted, not just forgotten.
    let r = client()
        .post(format!("{base}/api/conversations"))
        .header("cookie", old_cookie)
        .form(&[("status", "all")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
