//! Outbound connections (SSRF): where an admin's relay host or API URL may make the server
//! connect. The policy is the app's own (`Config::egress`, from `serve`'s flags), not the
//! process's: the default refuses private targets, and a second app in the same process
//! with `--allow-private-relays` does not change that.

use crate::common;
use server::config::Config;
use server::domain::suppression::AccountId;
use server::services::egress::Egress;
use server::services::transport::{
    self, Attempt, Security, TransportConfig, Transports, TrustRoots,
};

fn options() -> leptos::config::LeptosOptions {
    server::http::leptos_options("127.0.0.1:0".parse().unwrap())
}

/// One attempt through the transports of an app built with the default settings.
async fn default_policy(config: &TransportConfig) -> Attempt {
    Transports::new(Config::default().egress())
        .send(config, "b@acme.test", "maria@example.com", MESSAGE)
        .await
}

/// A TCP listener that counts the connections it accepts.
async fn counting_listener() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(s);
        }
    });
    (port, count)
}

const MESSAGE: &[u8] = b"From: support@acme.test\r\nTo: maria@example.com\r\nSubject: Hi\r\nMessage-ID: <x@acme.test>\r\n\r\nHello\r\n";

#[tokio::test]
async fn relays_and_apis_on_private_addresses_are_refused_at_connect_time() {
    let (port, connections) = counting_listener().await;
    for host in ["127.0.0.1", "localhost", "[::1]"] {
        let config = TransportConfig::Smtp {
            host: host.into(),
            port,
            security: Security::None,
            login: None,
        };
        match default_policy(&config).await {
            Attempt::Unreachable(why) => {
                assert!(why.contains("not a public address"), "{host}: {why}")
            }
            other => panic!("{host}: {other:?}"),
        }
    }
    for url in [
        format!("http://127.0.0.1:{port}"),
        format!("https://127.0.0.1:{port}"),
        format!("https://localhost:{port}"),
        "https://169.254.169.254".to_string(),
    ] {
        let config = TransportConfig::Postmark {
            base_url: url.clone(),
            server_token: "t".into(),
        };
        match default_policy(&config).await {
            Attempt::Unreachable(why) => assert!(
                why.contains("not a public address") || why.contains("https"),
                "{url}: {why}"
            ),
            other => panic!("{url}: {other:?}"),
        }
    }
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the server connected into its own network"
    );
    // Allowed by the operator: the connection is made.
    let config = TransportConfig::Smtp {
        host: "localhost".into(),
        port,
        security: Security::None,
        login: None,
    };
    let _ = transport::send_under(
        &Egress::allow_private(),
        &TrustRoots::default(),
        &config,
        "b@acme.test",
        "maria@example.com",
        MESSAGE,
    )
    .await;
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
    let demo = Egress::public_only().allowing(format!("127.0.0.1:{port}").parse().unwrap());
    let config = TransportConfig::Smtp {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        login: None,
    };
    let _ = transport::send_under(
        &demo,
        &TrustRoots::default(),
        &config,
        "b@acme.test",
        "maria@example.com",
        MESSAGE,
    )
    .await;
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_api_redirect_is_not_followed() {
    use axum::routing::post;
    let (target_port, hits) = counting_listener().await;
    let app = axum::Router::new().route(
        "/email",
        post(move || async move {
            (
                axum::http::StatusCode::TEMPORARY_REDIRECT,
                [("location", format!("http://127.0.0.1:{target_port}/email"))],
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let config = TransportConfig::Postmark {
        base_url: format!("http://{addr}"),
        server_token: "t".into(),
    };
    let attempt = transport::send_under(
        &Egress::allow_private(),
        &TrustRoots::default(),
        &config,
        "b@acme.test",
        "maria@example.com",
        MESSAGE,
    )
    .await;
    assert!(
        !matches!(attempt, Attempt::Reply { code: 250, .. }),
        "{attempt:?}"
    );
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_admin_cannot_add_a_sender_pointing_inside_the_network() {
    use app::backend::Backend;
    let db = common::sqlite_db().await;
    // The app as `serve` builds it with the default settings.
    let desk = server::http::AppState::new(db.clone(), options())
        .desk
        .clone();
    let admin = app::backend::Admin::check(app::models::CurrentUser {
        id: 1,
        account_id: db.create_account("Acme", chrono::Utc::now()).await.unwrap(),
        account_name: "Acme".into(),
        email: "admin@acme.test".into(),
        name: "Admin".into(),
        role: app::models::Role::Admin,
    })
    .unwrap();
    let smtp = |host: &str| app::models::NewSenderForm {
        address: "support@acme.test".into(),
        kind: "transactional".into(),
        transport: "smtp".into(),
        smtp_host: Some(host.into()),
        smtp_port: Some("25".into()),
        smtp_security: Some("none".into()),
        ..Default::default()
    };
    for host in ["10.0.0.5", "169.254.169.254", "127.0.0.1", "[::1]"] {
        let e = desk.add_sender(&admin, smtp(host)).await.unwrap_err();
        assert!(
            e.to_string().contains("not a public address"),
            "{host}: {e}"
        );
    }
    let api = |url: &str| app::models::NewSenderForm {
        address: "api@acme.test".into(),
        kind: "transactional".into(),
        transport: "postmark".into(),
        api_url: Some(url.into()),
        api_token: Some("t".into()),
        ..Default::default()
    };
    let e = desk
        .add_sender(&admin, api("http://api.example.com"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("https"), "{e}");
    assert!(desk
        .add_sender(&admin, api("https://api.example.com"))
        .await
        .is_ok());
    assert!(db.senders(AccountId(admin.account_id)).await.unwrap().len() == 1);
}

/// The delivery state and error diagnostic of the last message of a conversation.
async fn last_delivery(db: &server::storage::Db, account: i64, c: i64) -> (String, String) {
    let d = db
        .get_conversation(AccountId(account), c)
        .await
        .unwrap()
        .unwrap();
    let d = d.messages.last().unwrap().delivery.clone().unwrap();
    let why = d.error.and_then(|e| e.diagnostic).unwrap_or_default();
    (d.state, why)
}

/// Two apps in one process, one with the default settings and one with
/// `--allow-private-relays`: each sends, and checks sender forms, under its own policy.
#[tokio::test]
async fn two_apps_in_one_process_keep_their_own_outbound_policy() {
    use app::backend::Backend;
    let db = common::sqlite_db().await;
    let (relay, port) = common::relay().await;
    let smtp = TransportConfig::Smtp {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        login: None,
    };
    let account = common::account_with_sender(&db, smtp).await;
    let local = common::local_state(db.clone());
    let strict = server::http::AppState::new(db.clone(), options());
    // The permissive app first: were its policy the process's, the strict one would follow it.
    let c = common::conversation(&db, account, "maria@example.com").await;
    local
        .desk
        .outbound()
        .reply(AccountId(account), c, "Hello", chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(last_delivery(&db, account, c).await.0, "accepted");
    assert_eq!(relay.accepted().len(), 1);
    let c = common::conversation(&db, account, "joe@example.com").await;
    strict
        .desk
        .outbound()
        .reply(AccountId(account), c, "Hello", chrono::Utc::now())
        .await
        .unwrap();
    let (state, why) = last_delivery(&db, account, c).await;
    assert_eq!(state, "deferred");
    assert!(why.contains("not a public address"), "{why}");
    assert_eq!(
        relay.accepted().len(),
        1,
        "the strict app reached the relay"
    );
    // The sender form: the same private relay, accepted by one app and refused by the other.
    let admin = app::backend::Admin::check(app::models::CurrentUser {
        id: 1,
        account_id: account,
        account_name: "Acme".into(),
        email: "admin@acme.test".into(),
        name: "Admin".into(),
        role: app::models::Role::Admin,
    })
    .unwrap();
    let form = |address: &str| app::models::NewSenderForm {
        address: address.into(),
        kind: "transactional".into(),
        transport: "smtp".into(),
        smtp_host: Some("10.0.0.5".into()),
        smtp_port: Some("25".into()),
        smtp_security: Some("none".into()),
        ..Default::default()
    };
    let e = strict
        .desk
        .add_sender(&admin, form("strict@acme.test"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not a public address"), "{e}");
    local
        .desk
        .add_sender(&admin, form("local@acme.test"))
        .await
        .unwrap();
}
