//! Security hardening (issue 17), against the real app: sign-in timing and limits, cross-site
//! POSTs, response headers, HTTP limits, outbound connections (SSRF), secrets at rest, logs.
//!
//! The outbound policy (SSRF) tests are in `security/egress.rs`, secrets at rest in
//! `security/secrets.rs`.

mod common;
#[path = "security/egress.rs"]
mod egress;
#[path = "security/secrets.rs"]
mod secrets;

use reqwest::{redirect::Policy, Client, StatusCode};
use server::domain::suppression::AccountId;
use server::http::security::HttpConfig;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn demo_db() -> server::storage::Db {
    let db = common::sqlite_db().await;
    common::seed_demo_accounts(&db).await;
    db
}

/// The app with `config` (timeouts, limits, public URL) on a loopback port.
async fn app_with(db: server::storage::Db, config: HttpConfig) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = server::http::AppState::new(db, server::http::leptos_options(addr))
        .with_http_config(config);
    tokio::spawn(server::http::serve(listener, state, std::future::pending()));
    format!("http://{addr}")
}

fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

async fn login(c: &Client, base: &str, email: &str, password: &str) -> reqwest::Response {
    c.post(format!("{base}/api/login"))
        .header("accept", "application/json")
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_email_takes_as_long_as_a_wrong_password() {
    let base = common::spawn_app(demo_db().await).await;
    let c = client();
    // Warm up (the dummy hash is computed once per process).
    assert_eq!(
        login(&c, &base, "warm@nowhere.test", "x").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..5 {
        let t = Instant::now();
        let r = login(&c, &base, "admin@acme.test", "wrong password").await;
        known.push(t.elapsed());
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let t = Instant::now();
        let r = login(&c, &base, &format!("nobody{i}@acme.test"), "wrong password").await;
        unknown.push(t.elapsed());
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("Wrong email or password"));
    }
    let (known, unknown) = (median(known), median(unknown));
    eprintln!("median sign-in: wrong password {known:?}, unknown email {unknown:?}");
    assert!(
        unknown * 2 > known,
        "unknown email {unknown:?} vs wrong password {known:?}: the time tells them apart"
    );
}

#[tokio::test]
async fn wrong_passwords_for_an_account_get_429_with_retry_after() {
    let base = common::spawn_app(demo_db().await).await;
    let c = client();
    for _ in 0..10 {
        let r = login(&c, &base, "admin@acme.test", "guess").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = login(&c, &base, "admin@acme.test", "guess").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // Locked: even the right password waits (that is what stops the guessing).
    let r = login(&c, &base, "Admin@Acme.test", server::demo::DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("set-cookie").is_none());
    // Another account from the same address is not locked.
    let r = login(&c, &base, "agent@acme.test", server::demo::DEMO_PASSWORD).await;
    assert!(r.status().is_success() || r.status().is_redirection());
}

#[tokio::test]
async fn failures_from_one_address_across_accounts_get_429() {
    let base = common::spawn_app(demo_db().await).await;
    let c = client();
    for i in 0..30 {
        let r = login(&c, &base, &format!("user{i}@spray.test"), "guess").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "attempt {i}");
    }
    let r = login(&c, &base, "agent@acme.test", server::demo::DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
}

async fn postmark_webhook(base: &str, user: &str, password: &str) -> reqwest::Response {
    client()
        .post(format!("{base}/webhooks/postmark"))
        .basic_auth(user, Some(password))
        .json(&serde_json::json!({"RecordType": "Delivery"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_basic_auth_is_limited_and_unknown_usernames_take_as_long() {
    let base = common::spawn_app(demo_db().await).await;
    let user = server::demo::DEMO_WEBHOOK_USERNAME;
    let _ = postmark_webhook(&base, "warm-up", "x").await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..5 {
        let t = Instant::now();
        let r = postmark_webhook(&base, user, &format!("wrong{i}")).await;
        known.push(t.elapsed());
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let t = Instant::now();
        let r = postmark_webhook(&base, &format!("nobody{i}"), "wrong").await;
        unknown.push(t.elapsed());
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let (known, unknown) = (median(known), median(unknown));
    eprintln!("median webhook auth: wrong password {known:?}, unknown username {unknown:?}");
    assert!(unknown * 2 > known, "{unknown:?} vs {known:?}");
    for i in 5..10 {
        let r = postmark_webhook(&base, user, &format!("wrong{i}")).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = postmark_webhook(&base, user, "wrong again").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    let r = postmark_webhook(&base, user, server::demo::DEMO_WEBHOOK_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

/// Two replicas of the deployment (two app states, each with its own services) on one
/// database: failures counted by one are refused by the other, for sign-in and HTTP Basic.
async fn two_replicas_on_one_database_share_the_failure_limits(db: server::storage::Db) {
    common::seed_demo_accounts(&db).await;
    let replicas = [
        common::spawn_app(db.clone()).await,
        common::spawn_app(db.clone()).await,
    ];
    let c = client();
    // Ten wrong passwords for one account, five on each replica.
    for i in 0..10 {
        let r = login(&c, &replicas[i % 2], "admin@acme.test", "guess").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "attempt {i}");
    }
    for base in &replicas {
        let r = login(&c, base, "admin@acme.test", server::demo::DEMO_PASSWORD).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{base}");
        assert!(r.headers().contains_key("retry-after"));
    }
    // The same for a webhook credential.
    let user = server::demo::DEMO_WEBHOOK_USERNAME;
    for i in 0..10 {
        let r = postmark_webhook(&replicas[i % 2], user, &format!("wrong{i}")).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    for base in &replicas {
        let r = postmark_webhook(base, user, server::demo::DEMO_WEBHOOK_PASSWORD).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{base}");
    }
    // What is stored: one row per bucket, no password, nothing else.
    let rows: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT scope, bucket, failures FROM auth_failures ORDER BY scope, bucket")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert!(
        rows.contains(&("login".into(), "name:admin@acme.test".into(), 10)),
        "{rows:?}"
    );
    assert!(
        rows.contains(&("basic".into(), format!("name:{user}"), 10)),
        "{rows:?}"
    );
    assert!(rows
        .iter()
        .all(|(_, b, _)| !b.contains("guess") && !b.contains("wrong")));
}
on_both_backends!(two_replicas_on_one_database_share_the_failure_limits);

/// The throttle's rules, on the stored counts: a name is refused after its failures from any
/// address, an address after failures on many names (IPv6 by /64), until the window ends; a
/// correct password forgets the name's failures (not the address's); two throttles on one
/// database (two replicas) count together; windows that ended are deleted.
async fn failure_limits_are_counted_in_the_database(db: server::storage::Db) {
    use chrono::TimeDelta;
    use server::services::throttle::{Limits, Throttle};
    let limits = Limits {
        per_ip: 5,
        per_name: 3,
        window: Duration::from_secs(60),
    };
    let t0 = chrono::Utc::now();
    let a = Throttle::new(db.clone(), "login", limits);
    let b = Throttle::new(db.clone(), "login", limits);
    let basic = Throttle::new(db.clone(), "basic", limits);
    let ip = |s: &str| Some(s.parse::<std::net::IpAddr>().unwrap());
    for (i, t) in [&a, &b, &a].into_iter().enumerate() {
        assert!(
            t.check(ip("192.0.2.1"), "a@x.test", t0).await.is_ok(),
            "{i}"
        );
        t.failed(ip("192.0.2.1"), "A@x.test ", t0).await;
    }
    let blocked = b
        .check(ip("198.51.100.7"), "a@x.test", t0)
        .await
        .unwrap_err();
    assert_eq!(blocked.retry_after_secs(), 60);
    assert_eq!(
        a.check(ip("198.51.100.7"), "a@x.test", t0 + TimeDelta::seconds(45))
            .await
            .unwrap_err()
            .retry_after_secs(),
        15
    );
    assert!(a.check(ip("192.0.2.1"), "b@x.test", t0).await.is_ok());
    // Another purpose counts apart.
    assert!(basic.check(ip("192.0.2.1"), "a@x.test", t0).await.is_ok());
    let later = t0 + TimeDelta::seconds(61);
    assert!(a.check(ip("192.0.2.1"), "a@x.test", later).await.is_ok());

    // An IPv6 /64 spraying names.
    for i in 0..5 {
        b.failed(ip("2001:db8::1"), &format!("u{i}@x.test"), t0)
            .await;
    }
    assert!(a.check(ip("2001:db8::2"), "new@x.test", t0).await.is_err());
    assert!(a.check(ip("2001:db9::1"), "new@x.test", t0).await.is_ok());

    // Success forgets the name's failures (counted on the other replica).
    a.failed(None, "c@x.test", t0).await;
    b.failed(None, "c@x.test", t0).await;
    let admitted = b.check(None, "c@x.test", t0).await.unwrap();
    b.succeeded(admitted, "c@x.test").await;
    a.failed(None, "c@x.test", t0).await;
    a.failed(None, "c@x.test", t0).await;
    assert!(a.check(None, "c@x.test", t0).await.is_ok());

    // A failure after the window starts a new one, and ended windows are deleted.
    let rows = || async {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM auth_failures")
            .fetch_one(db.pool())
            .await
            .unwrap();
        n
    };
    assert!(rows().await >= 4);
    a.failed(ip("192.0.2.9"), "d@x.test", later + TimeDelta::seconds(1))
        .await;
    assert_eq!(
        rows().await,
        2,
        "only the new window's two buckets are left"
    );
    assert!(a
        .check(ip("192.0.2.1"), "a@x.test", later + TimeDelta::seconds(1))
        .await
        .is_ok());
}
on_both_backends!(failure_limits_are_counted_in_the_database);

/// A check that found no failure is remembered for a moment (webhook feeds post thousands of
/// requests a second): within one process a failure is seen at once, because counting it
/// forgets what was remembered; another replica's failures are seen once the memory ends.
async fn a_clean_check_is_remembered_for_a_moment_and_a_failure_forgets_it(
    db: server::storage::Db,
) {
    use server::services::throttle::{Limits, Throttle};
    let limits = Limits {
        per_ip: 50,
        per_name: 3,
        window: Duration::from_secs(60),
    };
    let now = chrono::Utc::now();
    let ip = Some("192.0.2.44".parse::<std::net::IpAddr>().unwrap());
    let a = Throttle::new(db.clone(), "basic", limits).with_clean_memory(Duration::from_secs(60));
    let b = Throttle::new(db.clone(), "basic", limits);
    assert!(a.check(ip, "feed", now).await.is_ok());
    for _ in 0..3 {
        b.failed(ip, "feed", now).await;
    }
    // The other replica's failures: `a` still remembers the clean read...
    assert!(a.check(ip, "feed", now).await.is_ok());
    assert!(b.check(ip, "feed", now).await.is_err());
    // ...until it counts a failure itself, which makes it read the counts again.
    a.failed(ip, "feed", now).await;
    assert!(a.check(ip, "feed", now).await.is_err());

    // The memory ends: the other replica's failures are then seen.
    let c =
        Throttle::new(db.clone(), "basic", limits).with_clean_memory(Duration::from_millis(100));
    assert!(c.check(ip, "other-feed", now).await.is_ok());
    for _ in 0..3 {
        b.failed(ip, "other-feed", now).await;
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(c.check(ip, "other-feed", now).await.is_err());

    // Without memory, every check reads the counts.
    let d = Throttle::new(db.clone(), "basic", limits).with_clean_memory(Duration::ZERO);
    assert!(d.check(ip, "third-feed", now).await.is_ok());
    for _ in 0..3 {
        b.failed(ip, "third-feed", now).await;
    }
    assert!(d.check(ip, "third-feed", now).await.is_err());
}
on_both_backends!(a_clean_check_is_remembered_for_a_moment_and_a_failure_forgets_it);

#[tokio::test]
async fn a_sign_in_posted_from_another_site_is_refused() {
    let base = common::spawn_app(demo_db().await).await;
    let c = client();
    let post = |origin: Option<&str>, site: Option<&str>| {
        let mut r = c.post(format!("{base}/api/login")).form(&[
            ("email", "admin@acme.test"),
            ("password", server::demo::DEMO_PASSWORD),
        ]);
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        if let Some(s) = site {
            r = r.header("sec-fetch-site", s);
        }
        r.send()
    };
    for (origin, site) in [
        (Some("https://evil.test"), None),
        (Some("null"), None),
        (None, Some("cross-site")),
        (Some(base.as_str()), Some("cross-site")),
    ] {
        let r = post(origin, site).await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{origin:?} {site:?}");
        assert!(r.headers().get("set-cookie").is_none());
    }
    // Other state-changing server functions too.
    let r = c
        .post(format!("{base}/api/logout"))
        .header("origin", "https://evil.test")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Our own page's form.
    let r = post(Some(base.as_str()), Some("same-origin"))
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection());
    assert!(r.headers().get("set-cookie").is_some());
}

#[tokio::test]
async fn pages_carry_security_headers_and_their_scripts_the_csp_nonce() {
    let base = common::spawn_app(demo_db().await).await;
    let r = client().get(format!("{base}/login")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert!(
        h.get("strict-transport-security").is_none(),
        "not over http"
    );
    let csp = h["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(!csp.contains("'unsafe-inline'"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .expect("a nonce in the CSP")
        .to_string();
    let body = r.text().await.unwrap();
    let scripts: Vec<&str> = body.split("<script").skip(1).collect();
    assert!(!scripts.is_empty(), "the hydration script");
    for s in &scripts {
        let tag = s.split('>').next().unwrap();
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")),
            "a script without this response's nonce: <script{tag}>"
        );
    }
    // A fresh nonce per response.
    let again = client().get(format!("{base}/login")).send().await.unwrap();
    assert_ne!(
        again.headers()["content-security-policy"].to_str().unwrap(),
        csp
    );
    // Not-found pages and JSON answers too.
    let r = client()
        .get(format!("{base}/no/such/page.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let r = client()
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn over_https_cookies_are_secure_and_hsts_is_sent() {
    let config = HttpConfig::default().with_public_url("https://desk.example.com");
    let base = app_with(demo_db().await, config).await;
    let c = client();
    let r = c
        .post(format!("{base}/api/login"))
        .header("origin", "https://desk.example.com")
        .form(&[
            ("email", "admin@acme.test"),
            ("password", server::demo::DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection());
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(r.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age="));
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let config = HttpConfig {
        header_read_timeout: Duration::from_millis(500),
        ..HttpConfig::default()
    };
    let base = app_with(common::sqlite_db().await, config).await;
    let addr = base.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let t = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the connection was still open after 10 s");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

#[tokio::test]
async fn requests_beyond_the_limit_get_503_and_a_stalled_upload_gets_408() {
    let config = HttpConfig {
        max_in_flight: 1,
        request_timeout: Duration::from_secs(2),
        ..HttpConfig::default()
    };
    let base = app_with(common::sqlite_db().await, config).await;
    let addr = base.trim_start_matches("http://").to_string();
    // A login whose body never fully arrives holds the one slot.
    let mut stalled = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stalled
        .write_all(
            b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=a",
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = client()
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
    let mut answer = vec![0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(10), stalled.read(&mut answer))
        .await
        .expect("an answer to the stalled upload")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]).to_string();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let r = client()
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// Apps > Channels > Email: an admin sets the SNS topic of their account's webhook
/// credential; a malformed ARN is refused with the reason and changes nothing; an agent may
/// not; another account's credential is not found; each change is logged (who, old, new).
async fn an_admin_sets_the_sns_topic_of_their_webhook_credential(db: server::storage::Db) {
    use app::backend::Backend;
    use app::error::ApiError;
    use server::domain::suppression::LogKind;
    let now = chrono::Utc::now();
    let desk = server::services::desk::DeskService::new(
        server::services::ingest::IngestService::new(db.clone()),
        "http://desk.test".into(),
    );
    let acme = db.create_account("Acme", now).await.unwrap();
    let globex = db.create_account("Globex", now).await.unwrap();
    db.create_webhook_credential(AccountId(acme), "acme-hooks", "x", Some("k"), None, now)
        .await
        .unwrap();
    db.create_webhook_credential(AccountId(globex), "globex-hooks", "x", None, None, now)
        .await
        .unwrap();
    let user = |account_id: i64, email: &str, role: app::models::Role| app::models::CurrentUser {
        id: 1,
        account_id,
        account_name: "A".into(),
        email: email.into(),
        name: "U".into(),
        role,
    };
    let admin = app::backend::Admin::check(user(acme, "admin@acme.test", app::models::Role::Admin))
        .unwrap();
    let agent = user(acme, "agent@acme.test", app::models::Role::Agent);
    let topic = "arn:aws:sns:eu-west-1:123456789012:acme-ses";
    let topic_of = |name: &'static str| {
        let db = db.clone();
        async move {
            db.webhook_credential(name)
                .await
                .unwrap()
                .unwrap()
                .sns_topic_arn
        }
    };

    // The page lists the account's credentials only, without secrets.
    let channel = desk.email_channel(&admin).await.unwrap();
    assert_eq!(channel.webhook_credentials.len(), 1);
    assert_eq!(channel.webhook_credentials[0].username, "acme-hooks");
    assert!(channel.webhook_credentials[0].has_mailgun_key);
    assert_eq!(channel.webhook_credentials[0].sns_topic_arn, None);

    let saved = desk
        .set_sns_topic_arn(&admin, "acme-hooks", &format!("  {topic} "))
        .await
        .unwrap();
    assert_eq!(saved.as_deref(), Some(topic));
    assert_eq!(topic_of("acme-hooks").await.as_deref(), Some(topic));
    for bad in [
        "arn:aws:sns:eu-west-1:1234:acme",
        "arn:aws:sqs:eu-west-1:123456789012:acme",
        "acme-ses",
        "arn:aws:sns:eu-west-1:123456789012:a b",
    ] {
        match desk.set_sns_topic_arn(&admin, "acme-hooks", bad).await {
            Err(ApiError::Invalid(m)) => assert!(m.contains("SNS topic ARN"), "{bad}: {m}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    assert_eq!(topic_of("acme-hooks").await.as_deref(), Some(topic));
    // An agent cannot even make the proof the method takes.
    assert!(matches!(
        app::backend::Admin::check(agent),
        Err(ApiError::Forbidden)
    ));
    assert!(matches!(
        desk.set_sns_topic_arn(&admin, "globex-hooks", topic).await,
        Err(ApiError::NotFound)
    ));
    assert_eq!(topic_of("globex-hooks").await, None);
    // Saving it again logs nothing; clearing it is a change.
    desk.set_sns_topic_arn(&admin, "acme-hooks", topic)
        .await
        .unwrap();
    assert_eq!(
        desk.set_sns_topic_arn(&admin, "acme-hooks", " ")
            .await
            .unwrap(),
        None
    );
    assert_eq!(topic_of("acme-hooks").await, None);
    let log = db
        .org_log(
            AccountId(acme),
            &server::storage::deliverability::LogFilter {
                kind: Some(LogKind::WebhookCredentialChanged),
                per_page: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let changes: Vec<(String, String, serde_json::Value, serde_json::Value)> = log
        .entries
        .iter()
        .map(|e| {
            (
                e.actor.clone(),
                e.subject.clone(),
                e.details["from"].clone(),
                e.details["to"].clone(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            (
                "admin@acme.test".to_string(),
                "acme-hooks".to_string(),
                serde_json::json!(topic),
                serde_json::Value::Null
            ),
            (
                "admin@acme.test".to_string(),
                "acme-hooks".to_string(),
                serde_json::Value::Null,
                serde_json::json!(topic)
            ),
        ]
    );
    assert_eq!(
        db.org_log(AccountId(globex), &Default::default())
            .await
            .unwrap()
            .total,
        0
    );
}
on_both_backends!(an_admin_sets_the_sns_topic_of_their_webhook_credential);

/// A `MakeWriter` into a shared buffer.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

// current_thread: the listener's tasks run on this thread, under this thread's subscriber.
#[tokio::test(flavor = "current_thread")]
async fn the_debug_log_never_shows_an_smtp_login() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let relay = std::sync::Arc::new(server::smtp::rule_relay::RuleRelay::new());
    tokio::spawn(server::smtp::serve(
        listener,
        server::smtp::SmtpConfig::default(),
        relay,
        std::future::pending(),
    ));
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut buf = vec![0u8; 1024];
    let _ = tcp.read(&mut buf).await.unwrap();
    for line in [
        "EHLO client.test\r\n",
        "AUTH PLAIN AHJlbGF5AHNlY3JldA==\r\n",
        "QUIT\r\n",
    ] {
        tcp.write_all(line.as_bytes()).await.unwrap();
        let _ = tcp.read(&mut buf).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let log = String::from_utf8_lossy(&captured.0.lock().unwrap()).to_string();
    assert!(log.contains("smtp command"), "debug logging was on: {log}");
    assert!(!log.contains("AHJlbGF5AHNlY3JldA"), "{log}");
}

async fn sessions_end_when_idle_and_dead_ones_are_deleted(db: server::storage::Db) {
    use chrono::{Duration as D, Utc};
    let now = Utc::now();
    let acme = db.create_account("Acme", now).await.unwrap();
    let globex = db.create_account("Globex", now).await.unwrap();
    let user = db
        .create_user(
            AccountId(acme),
            "a@acme.test",
            "A",
            app::models::Role::Agent,
            "h",
            now,
        )
        .await
        .unwrap();
    let idle = D::hours(12);
    db.create_session("live", user, now, now + D::days(14))
        .await
        .unwrap();
    db.create_session("idle", user, now - D::hours(13), now + D::days(13))
        .await
        .unwrap();
    db.create_session("expired", user, now - D::days(15), now - D::days(1))
        .await
        .unwrap();
    assert!(db
        .session_user("live", now, now - idle)
        .await
        .unwrap()
        .is_some());
    assert!(db
        .session_user("idle", now, now - idle)
        .await
        .unwrap()
        .is_none());
    // Use keeps a session alive: 11 h later it is still live, and 11 h after that too.
    let later = now + D::hours(11);
    assert!(db
        .session_user("live", later, later - idle)
        .await
        .unwrap()
        .is_some());
    let later = later + D::hours(11);
    assert!(db
        .session_user("live", later, later - idle)
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        db.delete_dead_sessions(later, later - idle).await.unwrap(),
        2
    );
    assert!(db
        .session_user("live", later, later - idle)
        .await
        .unwrap()
        .is_some());

    // Disabled: no session; the account scope holds.
    assert!(!db
        .set_user_disabled(AccountId(globex), user, true, now)
        .await
        .unwrap());
    assert!(!db
        .set_password_hash(AccountId(globex), user, "x")
        .await
        .unwrap());
    assert!(db
        .set_user_disabled(AccountId(acme), user, true, now)
        .await
        .unwrap());
    assert!(db
        .session_user("live", later, later - idle)
        .await
        .unwrap()
        .is_none());
    assert!(
        db.user_credentials("a@acme.test")
            .await
            .unwrap()
            .unwrap()
            .disabled
    );
    assert!(db
        .set_user_disabled(AccountId(acme), user, false, now)
        .await
        .unwrap());
    assert!(db
        .session_user("live", later, later - idle)
        .await
        .unwrap()
        .is_some());

    db.create_session("other", user, later, later + D::days(1))
        .await
        .unwrap();
    assert_eq!(
        db.delete_user_sessions(user, Some("live")).await.unwrap(),
        1
    );
    assert!(db
        .session_user("live", later, later - idle)
        .await
        .unwrap()
        .is_some());
    assert_eq!(db.delete_user_sessions(user, None).await.unwrap(), 1);
    assert!(db
        .session_user("live", later, later - idle)
        .await
        .unwrap()
        .is_none());
    let users = db.list_users(AccountId(acme)).await.unwrap();
    assert_eq!(users.len(), 1);
    assert!(db.list_users(AccountId(globex)).await.unwrap().is_empty());
}
on_both_backends!(sessions_end_when_idle_and_dead_ones_are_deleted);

async fn signed_in(base: &str, email: &str, password: &str) -> Client {
    let c = client();
    let r = login(&c, base, email, password).await;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{email}: {}",
        r.status()
    );
    c
}

async fn can_list(c: &Client, base: &str) -> StatusCode {
    c.post(format!("{base}/api/conversations"))
        .form(&[("status", "all")])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_user_changes_their_password_and_other_sessions_end() {
    let base = common::spawn_app(demo_db().await).await;
    let pw = server::demo::DEMO_PASSWORD;
    let here = signed_in(&base, "agent@acme.test", pw).await;
    let there = signed_in(&base, "agent@acme.test", pw).await;
    let change = |current: &'static str, new: &'static str| {
        here.post(format!("{base}/api/change-password"))
            .form(&[("current", current), ("new", new)])
            .send()
    };
    assert_eq!(
        change("wrong-password", "a-new-password")
            .await
            .unwrap()
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        change(pw, "short").await.unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        can_list(&there, &base).await,
        StatusCode::OK,
        "nothing changed yet"
    );
    assert_eq!(
        change(pw, "a-new-password").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(can_list(&here, &base).await, StatusCode::OK);
    assert_eq!(can_list(&there, &base).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        login(&client(), &base, "agent@acme.test", pw)
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let again = signed_in(&base, "agent@acme.test", "a-new-password").await;

    // Sign out everywhere.
    let r = again
        .post(format!("{base}/api/logout-everywhere"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection());
    assert_eq!(can_list(&again, &base).await, StatusCode::UNAUTHORIZED);
    assert_eq!(can_list(&here, &base).await, StatusCode::UNAUTHORIZED);
}

async fn users_of(c: &Client, base: &str) -> Vec<app::models::UserView> {
    let r = c
        .post(format!("{base}/api/admin/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

#[tokio::test]
async fn an_admin_resets_and_disables_users_of_their_own_account_only() {
    let base = common::spawn_app(demo_db().await).await;
    let pw = server::demo::DEMO_PASSWORD;
    let admin = signed_in(&base, "admin@acme.test", pw).await;
    let agent = signed_in(&base, "agent@acme.test", pw).await;
    let globex_admin = signed_in(&base, "admin@globex.test", pw).await;
    let acme_users = users_of(&admin, &base).await;
    let globex_users = users_of(&globex_admin, &base).await;
    assert!(acme_users.iter().all(|u| u.email.ends_with("@acme.test")));
    let agent_id = acme_users
        .iter()
        .find(|u| u.email == "agent@acme.test")
        .unwrap()
        .id;
    let globex_agent = globex_users
        .iter()
        .find(|u| u.email == "agent@globex.test")
        .unwrap()
        .id;
    let post = |c: &Client, path: &str, form: Vec<(&'static str, String)>| {
        c.post(format!("{base}/api/{path}")).form(&form).send()
    };

    // Another account's user: not found, and untouched.
    for (path, form) in [
        (
            "admin/reset-password",
            vec![("user_id", globex_agent.to_string())],
        ),
        (
            "admin/user-disabled",
            vec![
                ("user_id", globex_agent.to_string()),
                ("disabled", "true".into()),
            ],
        ),
    ] {
        let r = post(&admin, path, form).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    signed_in(&base, "agent@globex.test", pw).await;
    // Agents may not.
    let r = post(
        &agent,
        "admin/reset-password",
        vec![("user_id", agent_id.to_string())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Reset: a new password, the old one and the agent's sessions end.
    let r = post(
        &admin,
        "admin/reset-password",
        vec![("user_id", agent_id.to_string())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let new_password: String = r.json().await.unwrap();
    assert!(new_password.len() >= 10);
    assert_eq!(can_list(&agent, &base).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        login(&client(), &base, "agent@acme.test", pw)
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let agent = signed_in(&base, "agent@acme.test", &new_password).await;

    // Disable: the session ends and signing in is refused, even with the right password.
    let r = post(
        &admin,
        "admin/user-disabled",
        vec![
            ("user_id", agent_id.to_string()),
            ("disabled", "true".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(can_list(&agent, &base).await, StatusCode::UNAUTHORIZED);
    let r = login(&client(), &base, "agent@acme.test", &new_password).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("disabled"));
    assert!(users_of(&admin, &base)
        .await
        .iter()
        .any(|u| u.id == agent_id && u.disabled));
    let r = post(
        &admin,
        "admin/user-disabled",
        vec![
            ("user_id", agent_id.to_string()),
            ("disabled", "false".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    signed_in(&base, "agent@acme.test", &new_password).await;
}
