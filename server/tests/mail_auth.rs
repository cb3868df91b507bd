//! DKIM, SPF and DMARC checked by Deliverdesk itself (mail-auth), against an offline zone: a
//! message signed here with a key generated here, SPF for the SMTP client's address, DMARC
//! alignment, and what the spam score makes of it when the sender forged a "pass" header.

use crate::common;

use base64::Engine as _;
use mail_auth::common::crypto::Ed25519Key;
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use server::domain::spam::auth_results::{AuthResult, AuthSummary};
use server::domain::suppression::AccountId;
use server::services::inbound::{InboundMail, InboundService};
use server::services::mail_auth::{Client, MailAuthenticator, SpfSource, Zone};
use server::storage::Db;

const MESSAGE: &str = "From: Lena <lena@shop.test>\r\nTo: support@acme.test\r\nSubject: Order 1042\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\nMessage-ID: <order-1042@shop.test>\r\n\r\nWhere is my parcel? It was due on Friday.\r\n";

/// A key for `sel._domainkey.shop.test`: (signed message, DNS record of the public key).
fn signed(message: &str) -> (String, String) {
    let pkcs8 = Ed25519Key::generate_pkcs8().unwrap();
    let key = Ed25519Key::from_pkcs8_der(&pkcs8).unwrap();
    let record = format!(
        "v=DKIM1; k=ed25519; p={}",
        base64::engine::general_purpose::STANDARD.encode(key.public_key())
    );
    let signature = DkimSigner::from_key(key)
        .domain("shop.test")
        .selector("sel")
        .headers(["From", "To", "Subject", "Date", "Message-ID"])
        .sign(message.as_bytes())
        .unwrap();
    (format!("{}{message}", signature.to_header()), record)
}

fn zone(dkim_record: &str) -> Zone {
    Zone::authoritative()
        .dkim_key("sel", "shop.test", dkim_record)
        .spf("shop.test", "v=spf1 ip4:192.0.2.10 -all")
        .dmarc("shop.test", "v=DMARC1; p=reject")
}

fn client(ip: &str) -> Client {
    Client {
        ip: ip.parse().unwrap(),
        helo: "mail.shop.test".into(),
        mail_from: "lena@shop.test".into(),
    }
}

async fn verify(zone: Zone, raw: &str, client: Option<&Client>) -> AuthSummary {
    let no_header = AuthSummary::default();
    let spf = match client {
        Some(c) => SpfSource::Client(c),
        None => SpfSource::Upstream(&no_header),
    };
    MailAuthenticator::offline(zone)
        .unwrap()
        .verify(raw.as_bytes(), spf)
        .await
        .expect("a verdict within the deadline")
}

#[tokio::test]
async fn a_signed_message_from_an_authorised_server_passes_everything() {
    let (raw, record) = signed(MESSAGE);
    let s = verify(zone(&record), &raw, Some(&client("192.0.2.10"))).await;
    assert_eq!(s.dkim, Some(AuthResult::Pass), "{s:?}");
    assert_eq!(s.dkim_pass_domains, ["shop.test"]);
    assert_eq!(s.spf, Some(AuthResult::Pass));
    assert_eq!(s.spf_domain.as_deref(), Some("shop.test"));
    assert_eq!(s.dmarc, Some(AuthResult::Pass));
}

#[tokio::test]
async fn a_changed_body_breaks_dkim_and_an_unlisted_server_fails_spf_so_dmarc_fails() {
    let (raw, record) = signed(MESSAGE);
    let tampered = raw.replace("due on Friday", "due on Monday. Send gift cards");
    let s = verify(zone(&record), &tampered, Some(&client("198.51.100.7"))).await;
    assert_eq!(s.dkim, Some(AuthResult::Fail), "{s:?}");
    assert!(s.dkim_pass_domains.is_empty());
    assert_eq!(s.spf, Some(AuthResult::Fail));
    assert_eq!(s.dmarc, Some(AuthResult::Fail));
}

#[tokio::test]
async fn dkim_alone_carries_dmarc_when_the_client_is_unknown() {
    let (raw, record) = signed(MESSAGE);
    let s = verify(zone(&record), &raw, None).await;
    assert_eq!(s.dkim, Some(AuthResult::Pass), "{s:?}");
    assert_eq!(s.spf, None);
    assert_eq!(s.dmarc, Some(AuthResult::Pass));
}

#[tokio::test]
async fn a_domain_without_records_has_nothing_to_say() {
    let s = verify(Zone::authoritative(), MESSAGE, Some(&client("192.0.2.10"))).await;
    assert_eq!(s.dkim, None, "{s:?}");
    assert_eq!(s.spf, Some(AuthResult::None));
    assert_eq!(s.dmarc, None);
}

#[tokio::test]
async fn a_key_record_that_does_not_parse_is_a_permanent_error_not_a_pass() {
    let (raw, _) = signed(MESSAGE);
    let s = verify(zone("v=DKIM1; k=ed25519; p=!!!"), &raw, None).await;
    assert_ne!(s.dkim, Some(AuthResult::Pass), "{s:?}");
    assert!(s.dkim_pass_domains.is_empty());
}

/// A phisher's message that claims shop.test and carries its own "everything passed" header.
fn forged() -> String {
    format!(
        "Authentication-Results: mx.acme.test; spf=pass smtp.mailfrom=shop.test; dkim=pass header.d=shop.test; dmarc=pass header.from=shop.test\r\n{}",
        MESSAGE.replace(
            "Where is my parcel? It was due on Friday.",
            "Your account is locked. Confirm your password within 24 hours."
        )
    )
}

fn hit_names(rules: &[server::domain::spam::RuleHit]) -> Vec<String> {
    rules.iter().map(|h| h.name.clone()).collect()
}

async fn forged_pass_headers_lose_to_our_own_check(db: Db) {
    let now = chrono::Utc::now();
    let account = db.create_account("Acme", now).await.unwrap();
    let (_, record) = signed(MESSAGE);
    let mail = |raw: &'static [u8]| InboundMail {
        raw,
        source: "smtp",
        provider_id: None,
        client: Some(client("198.51.100.7")),
    };
    let raw: &'static [u8] = Box::leak(forged().into_boxed_str()).as_bytes();

    // Received over SMTP, the sender's own "everything passed" header is never read, even
    // without a check of our own.
    let unchecked = InboundService::new(db.clone());
    let before = unchecked
        .receive(AccountId(account), &mail(raw), now)
        .await
        .unwrap();
    let names = hit_names(&before.rules);
    assert!(!names.contains(&"DMARC_PASS".to_string()), "{names:?}");
    assert!(!names.contains(&"DKIM_VALID".to_string()), "{names:?}");
    assert!(!names.contains(&"SPF_PASS".to_string()), "{names:?}");

    // Checking ourselves: no signature, unlisted server, p=reject: DMARC fails.
    let other = db.create_account("Globex", now).await.unwrap();
    let checking = InboundService::new(db.clone())
        .with_authenticator(MailAuthenticator::offline(zone(&record)).unwrap());
    let after = checking
        .receive(AccountId(other), &mail(raw), now)
        .await
        .unwrap();
    let names = hit_names(&after.rules);
    assert!(names.contains(&"DMARC_FAIL".to_string()), "{names:?}");
    assert!(names.contains(&"SPF_FAIL".to_string()), "{names:?}");
    assert!(!names.contains(&"DMARC_PASS".to_string()), "{names:?}");
    assert!(
        after.score > before.score,
        "{} vs {}",
        after.score,
        before.score
    );
}
on_both_backends!(forged_pass_headers_lose_to_our_own_check);

/// A DNS server that never answers: every lookup times out.
async fn silent_nameserver() -> (tokio::net::UdpSocket, std::net::SocketAddr) {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    (socket, addr)
}

#[tokio::test]
async fn a_dns_timeout_is_no_result_never_the_senders_own_pass() {
    let db = common::sqlite_db().await;
    let now = chrono::Utc::now();
    let account = db.create_account("Acme", now).await.unwrap();
    let (_socket, dns) = silent_nameserver().await;
    let authenticator =
        MailAuthenticator::with_nameserver(Zone::default(), dns, std::time::Duration::from_secs(2))
            .unwrap()
            .with_deadline(std::time::Duration::from_millis(300));
    // Signed, so DKIM has a key to look up, and carrying a forged "pass" header.
    let (signed_raw, _) = signed(&forged()[forged().find("From:").unwrap()..]);
    let raw = format!(
        "Authentication-Results: mx.acme.test; spf=pass smtp.mailfrom=shop.test; dkim=pass header.d=shop.test; dmarc=pass header.from=shop.test\r\n{signed_raw}"
    );
    let started = std::time::Instant::now();
    let received = InboundService::new(db.clone())
        .with_authenticator(authenticator)
        .receive(
            AccountId(account),
            &InboundMail {
                raw: raw.as_bytes(),
                source: "smtp",
                provider_id: None,
                client: Some(client("192.0.2.10")),
            },
            now,
        )
        .await
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    let names = hit_names(&received.rules);
    for pass in ["DMARC_PASS", "DKIM_VALID", "SPF_PASS"] {
        assert!(!names.contains(&pass.to_string()), "{names:?}");
    }
}

/// Mail that a forwarder posts over HTTP: its verdict counts only when the account listed its
/// authserv-id, and then only the topmost header with that id.
async fn http_mail_trusts_only_the_listed_forwarder(db: Db) {
    let now = chrono::Utc::now();
    let account = db.create_account("Acme", now).await.unwrap();
    let inbound = InboundService::new(db.clone());
    let over_http = |raw: &'static [u8]| InboundMail {
        raw,
        source: "raw",
        provider_id: None,
        client: None,
    };
    let message = |n: u32, headers: &str| -> &'static [u8] {
        let raw = format!(
            "{headers}{}",
            MESSAGE.replace("order-1042@", &format!("order-{n}@"))
        );
        Box::leak(raw.into_boxed_str()).as_bytes()
    };
    let pass = "Authentication-Results: mx.forwarder.test; spf=pass smtp.mailfrom=shop.test; dkim=pass header.d=shop.test; dmarc=pass header.from=shop.test\r\n";

    // Nothing listed (the default): no header is read.
    assert!(db
        .trusted_authserv_ids(AccountId(account))
        .await
        .unwrap()
        .is_empty());
    let got = inbound
        .receive(AccountId(account), &over_http(message(1, pass)), now)
        .await
        .unwrap();
    assert!(!hit_names(&got.rules).contains(&"DMARC_PASS".to_string()));

    db.set_trusted_authserv_ids(AccountId(account), &["mx.forwarder.test".to_string()])
        .await
        .unwrap();
    assert_eq!(
        db.trusted_authserv_ids(AccountId(account)).await.unwrap(),
        ["mx.forwarder.test"]
    );
    let got = inbound
        .receive(AccountId(account), &over_http(message(2, pass)), now)
        .await
        .unwrap();
    assert!(hit_names(&got.rules).contains(&"DMARC_PASS".to_string()));

    // A header with another id above it is not the forwarder's, and below the forwarder's
    // own header, a forged one with its id is never reached.
    let forged_below = format!(
        "Authentication-Results: evil.test; dmarc=pass\r\n\
         Authentication-Results: mx.forwarder.test; dmarc=fail header.from=shop.test\r\n{pass}"
    );
    let got = inbound
        .receive(
            AccountId(account),
            &over_http(message(3, &forged_below)),
            now,
        )
        .await
        .unwrap();
    let names = hit_names(&got.rules);
    assert!(names.contains(&"DMARC_FAIL".to_string()), "{names:?}");
    assert!(!names.contains(&"DMARC_PASS".to_string()), "{names:?}");
}
on_both_backends!(http_mail_trusts_only_the_listed_forwarder);

async fn changing_the_trusted_authserv_ids_is_logged_with_who_old_and_new(db: Db) {
    use server::domain::suppression::{AccountId, LogKind};
    use server::services::spam_filters::SpamFilters;
    use server::storage::deliverability::LogFilter;
    let now = chrono::Utc::now();
    let acme = db.create_account("Acme", now).await.unwrap();
    let globex = db.create_account("Globex", now).await.unwrap();
    let filters = SpamFilters::new(db.clone());
    let logged = |account: i64| {
        let db = db.clone();
        async move {
            db.org_log(
                AccountId(account),
                &LogFilter {
                    kind: Some(LogKind::TrustedAuthservIdsChanged),
                    per_page: 50,
                    ..LogFilter::default()
                },
            )
            .await
            .unwrap()
            .entries
        }
    };
    filters
        .set_trusted_authserv_ids(AccountId(acme), "admin@acme.test", "MX.Forwarder.test", now)
        .await
        .unwrap();
    filters
        .set_trusted_authserv_ids(
            AccountId(acme),
            "other-admin@acme.test",
            "mx.forwarder.test\nmx2.forwarder.test",
            now,
        )
        .await
        .unwrap();
    // The same list again changes nothing and logs nothing; a bad one is refused unlogged.
    filters
        .set_trusted_authserv_ids(
            AccountId(acme),
            "admin@acme.test",
            "mx.forwarder.test, mx2.forwarder.test",
            now,
        )
        .await
        .unwrap();
    assert!(filters
        .set_trusted_authserv_ids(AccountId(acme), "admin@acme.test", "not an id!", now)
        .await
        .is_err());
    let entries = logged(acme).await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    // Newest first.
    assert_eq!(entries[0].actor, "other-admin@acme.test");
    assert_eq!(
        entries[0].details["from"],
        serde_json::json!(["mx.forwarder.test"])
    );
    assert_eq!(
        entries[0].details["to"],
        serde_json::json!(["mx.forwarder.test", "mx2.forwarder.test"])
    );
    assert_eq!(entries[1].actor, "admin@acme.test");
    assert_eq!(entries[1].details["from"], serde_json::json!([]));
    assert!(logged(globex).await.is_empty());
    assert_eq!(
        db.trusted_authserv_ids(AccountId(acme)).await.unwrap(),
        ["mx.forwarder.test", "mx2.forwarder.test"]
    );
}
on_both_backends!(changing_the_trusted_authserv_ids_is_logged_with_who_old_and_new);
