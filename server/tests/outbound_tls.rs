//! Sending through a relay that wants encryption and a login: STARTTLS and TLS-from-the-first-
//! byte against the project's own listener with a certificate from a CA generated here, SMTP
//! AUTH, and what a refused login, an untrusted certificate or a relay without STARTTLS do to
//! the message (deferred; never sent in the clear, never a bounce of the recipient).

use crate::common;

use chrono::Utc;
use server::domain::address::EmailAddress;
use server::domain::suppression::{AccountId, GateResult, MailKind};
use server::services::ingest::IngestService;
use server::services::transport::{self, Attempt, Security, TransportConfig, TrustRoots};
use server::smtp::rule_relay::RuleRelay;
use server::smtp::SmtpConfig;
use server::storage::Db;
use std::sync::Arc;

const USER: &str = "relay-user";
const PASSWORD: &str = "correct horse battery staple";

/// A CA and a certificate for `localhost` signed by it: (CA PEM, leaf PEM, leaf key PEM).
fn certificates() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Deliverdesk test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();
    (ca.pem(), leaf.pem(), leaf_key.serialize_pem())
}

/// A relay on loopback with a certificate from a fresh CA, and the roots to send with.
/// `trusted`: the CA is in those roots (else they are empty: the public roots only).
async fn tls_relay(implicit_tls: bool, trusted: bool) -> (Arc<RuleRelay>, u16, TrustRoots) {
    let (ca, leaf, key) = certificates();
    let roots = if trusted {
        TrustRoots::from_pem(ca.as_bytes()).unwrap()
    } else {
        TrustRoots::default()
    };
    let config = SmtpConfig {
        tls: Some(server::smtp::tls_config(leaf.as_bytes(), key.as_bytes()).unwrap()),
        implicit_tls,
        login: Some((USER.into(), PASSWORD.into())),
        ..SmtpConfig::default()
    };
    let (relay, port) = common::relay_with(config).await;
    (relay, port, roots)
}

fn relay_config(port: u16, security: Security, password: &str) -> TransportConfig {
    TransportConfig::Smtp {
        host: "localhost".into(),
        port,
        security,
        login: Some((USER.into(), password.into())),
    }
}

const MESSAGE: &[u8] =
    b"From: support@acme.test\r\nTo: maria@example.com\r\nSubject: Hello\r\n\r\nYour order ships.\r\n";

async fn send(roots: &TrustRoots, config: &TransportConfig) -> Attempt {
    transport::send_under(
        &common::local_egress(),
        roots,
        config,
        "bounces+t1@acme.test",
        "maria@example.com",
        MESSAGE,
    )
    .await
}

fn assert_accepted(attempt: &Attempt) {
    assert!(
        matches!(attempt, Attempt::Reply { code: 250, .. }),
        "{attempt:?}"
    );
}

fn assert_unreachable_with(attempt: &Attempt, words: &str) {
    match attempt {
        Attempt::Unreachable(why) => assert!(why.contains(words), "{why}"),
        other => panic!("expected no usable answer ({words}), got {other:?}"),
    }
}

#[tokio::test]
async fn starttls_with_login_delivers_through_the_relay() {
    let (relay, port, roots) = tls_relay(false, true).await;
    assert_accepted(&send(&roots, &relay_config(port, Security::StartTls, PASSWORD)).await);
    let accepted = relay.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].0.mail_from, "bounces+t1@acme.test");
    let data = String::from_utf8_lossy(&accepted[0].1);
    assert!(data.contains("\r\n\r\nYour order ships.\r\n"), "{data:?}");
}

#[tokio::test]
async fn implicit_tls_with_login_delivers_through_the_relay() {
    let (relay, port, roots) = tls_relay(true, true).await;
    assert_accepted(&send(&roots, &relay_config(port, Security::Tls, PASSWORD)).await);
    assert_eq!(relay.accepted().len(), 1);
}

#[tokio::test]
async fn a_refused_login_is_the_senders_problem_not_a_bounce() {
    let (relay, port, roots) = tls_relay(false, true).await;
    let attempt = send(
        &roots,
        &relay_config(port, Security::StartTls, "wrong password"),
    )
    .await;
    assert_unreachable_with(&attempt, "refused the login (535)");
    assert!(relay.accepted().is_empty());
}

#[tokio::test]
async fn an_untrusted_certificate_stops_the_send() {
    let (relay, port, roots) = tls_relay(false, false).await;
    let attempt = send(&roots, &relay_config(port, Security::StartTls, PASSWORD)).await;
    assert!(matches!(attempt, Attempt::Unreachable(_)), "{attempt:?}");
    assert!(relay.accepted().is_empty());
}

#[tokio::test]
async fn starttls_required_never_falls_back_to_plain_text() {
    // A relay that offers no STARTTLS at all.
    let (relay, port) = common::relay().await;
    let attempt = send(
        &TrustRoots::default(),
        &TransportConfig::Smtp {
            host: "localhost".into(),
            port,
            security: Security::StartTls,
            login: None,
        },
    )
    .await;
    assert!(matches!(attempt, Attempt::Unreachable(_)), "{attempt:?}");
    assert!(relay.accepted().is_empty());
}

#[tokio::test]
async fn a_relay_that_wants_a_login_refuses_mail_without_one() {
    let (relay, port, roots) = tls_relay(false, true).await;
    let attempt = send(
        &roots,
        &TransportConfig::Smtp {
            host: "localhost".into(),
            port,
            security: Security::StartTls,
            login: None,
        },
    )
    .await;
    assert_unreachable_with(&attempt, "refused the login (530)");
    assert!(relay.accepted().is_empty());
}

#[tokio::test]
async fn passwords_are_not_offered_over_a_plain_connection() {
    // The relay only offers AUTH after STARTTLS; a client configured for no encryption finds
    // no mechanism and sends nothing (no password crosses the wire in the clear).
    let (relay, port, roots) = tls_relay(false, true).await;
    let attempt = send(&roots, &relay_config(port, Security::None, PASSWORD)).await;
    assert!(matches!(attempt, Attempt::Unreachable(_)), "{attempt:?}");
    assert!(relay.accepted().is_empty());
}

/// `SMTP_CA_FILE` is the app's, not the process's: an app built with it delivers through a
/// relay whose certificate that CA signed, and an app built after it in the same process,
/// without it, still refuses that certificate, on its reply and its campaign transports alike.
#[tokio::test]
async fn two_apps_in_one_process_trust_only_their_own_cas() {
    let (ca, leaf, key) = certificates();
    let (relay, port) = common::relay_with(SmtpConfig {
        tls: Some(server::smtp::tls_config(leaf.as_bytes(), key.as_bytes()).unwrap()),
        login: Some((USER.into(), PASSWORD.into())),
        ..SmtpConfig::default()
    })
    .await;
    let dir = std::env::temp_dir().join(format!("deliverdesk-ca-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, &ca).unwrap();
    let db = common::sqlite_db().await;
    let trusting = server::http::AppState::with_config(
        db.clone(),
        server::http::leptos_options("127.0.0.1:0".parse().unwrap()),
        &server::config::Config {
            smtp_ca_file: Some(ca_file),
            ..common::local_config()
        },
    )
    .unwrap();
    let plain = common::local_state(db);
    let config = relay_config(port, Security::StartTls, PASSWORD);
    for (state, trusts_the_ca) in [(&trusting, true), (&plain, false)] {
        for transports in [
            state.desk.outbound().transports(),
            state.desk.campaigns().transports(),
        ] {
            let attempt = transports
                .send(
                    &config,
                    "bounces+t1@acme.test",
                    "maria@example.com",
                    MESSAGE,
                )
                .await;
            if trusts_the_ca {
                assert_accepted(&attempt);
            } else {
                assert!(matches!(attempt, Attempt::Unreachable(_)), "{attempt:?}");
            }
        }
    }
    assert_eq!(relay.accepted().len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

/// An account whose sender relays through `transport`, and a conversation with `contact`.
async fn setup(db: &Db, transport: TransportConfig, contact: &str) -> (i64, i64) {
    let account = common::account_with_sender(db, transport).await;
    (account, common::conversation(db, account, contact).await)
}

async fn delivery_of_last_message(db: &Db, account: i64, c: i64) -> app::models::DeliveryView {
    let d = db
        .get_conversation(AccountId(account), c)
        .await
        .unwrap()
        .unwrap();
    d.messages.last().unwrap().delivery.clone().unwrap()
}

async fn a_reply_through_a_starttls_relay_is_accepted(db: Db) {
    let (relay, port, roots) = tls_relay(false, true).await;
    let (account, c) = setup(
        &db,
        relay_config(port, Security::StartTls, PASSWORD),
        "maria@example.com",
    )
    .await;
    common::outbound(IngestService::new(db.clone()))
        .with_trust_roots(roots)
        .reply(AccountId(account), c, "It ships tomorrow.", Utc::now())
        .await
        .unwrap();
    let d = delivery_of_last_message(&db, account, c).await;
    assert_eq!(d.state, "accepted", "{d:?}");
    assert_eq!(relay.accepted().len(), 1);
}
on_both_backends!(a_reply_through_a_starttls_relay_is_accepted);

async fn a_wrong_relay_password_defers_the_reply_and_suppresses_nobody(db: Db) {
    let (relay, port, roots) = tls_relay(false, true).await;
    let (account, c) = setup(
        &db,
        relay_config(port, Security::StartTls, "stale password"),
        "maria@example.com",
    )
    .await;
    let now = Utc::now();
    common::outbound(IngestService::new(db.clone()))
        .with_trust_roots(roots)
        .reply(AccountId(account), c, "It ships tomorrow.", now)
        .await
        .unwrap();
    let d = delivery_of_last_message(&db, account, c).await;
    assert_eq!(d.state, "deferred", "{d:?}");
    assert!(d.next_attempt_at.is_some());
    assert!(relay.accepted().is_empty());
    let address = EmailAddress::parse("maria@example.com").unwrap();
    let gate = IngestService::new(db.clone())
        .gate(AccountId(account), &address, MailKind::Transactional, now)
        .await
        .unwrap();
    assert!(matches!(gate, GateResult::Allowed), "{gate:?}");
}
on_both_backends!(a_wrong_relay_password_defers_the_reply_and_suppresses_nobody);
