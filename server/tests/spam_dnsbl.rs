//! DNS block lists through the same resolver as DKIM / SPF: an offline zone (listed, not
//! listed), a local name server that never answers (the deadline passes: no hit, no wait),
//! one that answers with a TTL (answers are cached for it), and the hit reaching the stored
//! message's rules. Nothing here leaves 127.0.0.1.

use server::domain::spam::dnsbl::DnsblConfig;
use server::domain::spam::message::MailView;
use server::domain::suppression::AccountId;
use server::services::dnsbl::DnsblChecker;
use server::services::inbound::{InboundMail, InboundService};
use server::services::mail_auth::{Client, MailAuthenticator, Zone};
use server::storage::Db;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const LISTED: &[Ipv4Addr] = &[Ipv4Addr::new(127, 0, 0, 2)];

/// From a sender at shop.test, Reply-To at reply.test, one link to links.test.
const MESSAGE: &str = "From: Shop <news@mail.shop.test>\r\nReply-To: desk@reply.test\r\nTo: support@acme.test\r\nSubject: Your order\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\nMessage-ID: <n1@shop.test>\r\nContent-Type: text/html\r\n\r\n<p>Track it <a href=\"https://www.links.test/t/1\">here</a>.</p>\r\n";

fn config() -> DnsblConfig {
    DnsblConfig::parse("ip:zen.lists.test, domain:dbl.lists.test=3").unwrap()
}

fn view() -> MailView {
    MailView::parse(MESSAGE.as_bytes())
}

fn names(hits: &[server::domain::spam::RuleHit]) -> Vec<String> {
    hits.iter().map(|h| h.name.clone()).collect()
}

fn client_ip() -> std::net::IpAddr {
    "1.2.3.4".parse().unwrap()
}

#[tokio::test]
async fn listed_client_and_domains_are_named_hits_with_their_points() {
    let zone = Zone::authoritative()
        .a("4.3.2.1.zen.lists.test", LISTED)
        .a("reply.test.dbl.lists.test", &[Ipv4Addr::new(127, 0, 1, 2)])
        .a("links.test.dbl.lists.test", LISTED);
    let checker = DnsblChecker::new(MailAuthenticator::offline(zone).unwrap(), config());
    let hits = checker.check(&view(), Some(client_ip())).await;
    assert_eq!(
        names(&hits),
        [
            "RCVD_IN_ZEN_LISTS_TEST",
            "REPLYTO_IN_DBL_LISTS_TEST",
            "URI_IN_DBL_LISTS_TEST"
        ]
    );
    assert_eq!(hits[1].points, 3.0);
    assert!(
        hits[1].description.contains("reply.test"),
        "{}",
        hits[1].description
    );
}

#[tokio::test]
async fn nothing_listed_is_no_hit_and_refusal_codes_are_no_verdict() {
    let zone = Zone::authoritative()
        // Spamhaus's "query via a public resolver" and URIBL's "refused" answers.
        .a(
            "4.3.2.1.zen.lists.test",
            &[Ipv4Addr::new(127, 255, 255, 254)],
        )
        .a("shop.test.dbl.lists.test", &[Ipv4Addr::new(127, 0, 0, 1)]);
    let checker = DnsblChecker::new(MailAuthenticator::offline(zone).unwrap(), config());
    assert!(checker.check(&view(), Some(client_ip())).await.is_empty());
}

/// A UDP "name server" on 127.0.0.1 that reads queries and never answers.
async fn silent_server() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut buf = [0u8; 512];
        while socket.recv_from(&mut buf).await.is_ok() {}
    });
    (addr, task)
}

#[tokio::test]
async fn a_list_that_does_not_answer_in_time_is_no_hit_and_the_rest_still_count() {
    let (server, task) = silent_server().await;
    // The zone answers the link's domain at once; everything else goes to the silent server.
    let zone = Zone::default().a("links.test.dbl.lists.test", LISTED);
    let resolver =
        MailAuthenticator::with_nameserver(zone, server, Duration::from_secs(10)).unwrap();
    let checker = DnsblChecker::new(resolver, config()).with_deadline(Duration::from_millis(300));
    let started = Instant::now();
    let hits = checker.check(&view(), Some(client_ip())).await;
    let took = started.elapsed();
    assert_eq!(names(&hits), ["URI_IN_DBL_LISTS_TEST"]);
    // One deadline for all lookups together, not one per lookup.
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(took >= Duration::from_millis(250), "{took:?}");
    task.abort();
}

/// A UDP name server on 127.0.0.1 answering every A question with 127.0.0.2 and `ttl`,
/// counting the questions.
async fn listing_server(ttl: u32) -> (SocketAddr, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let asked = Arc::new(AtomicUsize::new(0));
    let count = asked.clone();
    let task = tokio::spawn(async move {
        let mut buf = [0u8; 512];
        while let Ok((n, peer)) = socket.recv_from(&mut buf).await {
            if let Some(reply) = answer(&buf[..n], ttl) {
                count.fetch_add(1, Ordering::SeqCst);
                let _ = socket.send_to(&reply, peer).await;
            }
        }
    });
    (addr, asked, task)
}

/// RFC 1035 §4.1: the query's header and question echoed, one A record pointing back at the
/// question's name (compression pointer 0xC00C).
fn answer(query: &[u8], ttl: u32) -> Option<Vec<u8>> {
    if query.len() < 12 {
        return None;
    }
    let mut end = 12;
    while *query.get(end)? != 0 {
        end += 1 + *query.get(end)? as usize;
    }
    let question_end = end + 5; // the root label, QTYPE, QCLASS
    let question = query.get(12..question_end)?;
    let mut out = Vec::with_capacity(question_end + 16);
    out.extend_from_slice(&query[..2]); // ID
    out.extend_from_slice(&[0x81, 0x80]); // response, recursion desired + available, NOERROR
    out.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 0]); // 1 question, 1 answer
    out.extend_from_slice(question);
    out.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]); // name, A, IN
    out.extend_from_slice(&ttl.to_be_bytes());
    out.extend_from_slice(&[0, 4, 127, 0, 0, 2]);
    Some(out)
}

#[tokio::test]
async fn answers_are_cached_for_their_ttl() {
    let (server, asked, task) = listing_server(300).await;
    let resolver =
        MailAuthenticator::with_nameserver(Zone::default(), server, Duration::from_secs(2))
            .unwrap();
    let checker = DnsblChecker::new(resolver, config());
    let first = checker.check(&view(), Some(client_ip())).await;
    assert_eq!(
        names(&first),
        [
            "RCVD_IN_ZEN_LISTS_TEST",
            "FROM_IN_DBL_LISTS_TEST",
            "REPLYTO_IN_DBL_LISTS_TEST",
            "URI_IN_DBL_LISTS_TEST"
        ]
    );
    let questions = asked.load(Ordering::SeqCst);
    assert_eq!(questions, 4);
    let second = checker.check(&view(), Some(client_ip())).await;
    assert_eq!(names(&second), names(&first));
    assert_eq!(
        asked.load(Ordering::SeqCst),
        questions,
        "asked again within the TTL"
    );
    assert_eq!(checker.cached_answers(), 4);
    task.abort();

    // With a TTL of 0 nothing may be reused.
    let (server, asked, task) = listing_server(0).await;
    let resolver =
        MailAuthenticator::with_nameserver(Zone::default(), server, Duration::from_secs(2))
            .unwrap();
    let checker = DnsblChecker::new(resolver, config());
    checker.check(&view(), Some(client_ip())).await;
    checker.check(&view(), Some(client_ip())).await;
    assert_eq!(asked.load(Ordering::SeqCst), 8);
    task.abort();
}

fn client() -> Client {
    Client {
        ip: client_ip(),
        helo: "mail.shop.test".into(),
        mail_from: "news@mail.shop.test".into(),
    }
}

async fn a_listed_sender_is_scored_and_stored_with_the_named_rule(db: Db) {
    let now = chrono::Utc::now();
    let account = db.create_account("Acme", now).await.unwrap();
    let mail = InboundMail {
        raw: MESSAGE.as_bytes(),
        source: "smtp",
        provider_id: None,
        client: Some(client()),
    };
    let plain = InboundService::new(db.clone())
        .receive(AccountId(account), &mail, now)
        .await
        .unwrap();
    assert!(!names(&plain.rules).iter().any(|n| n.contains("_IN_")));

    let other = db.create_account("Globex", now).await.unwrap();
    let zone = Zone::authoritative().a("4.3.2.1.zen.lists.test", LISTED);
    let checking = InboundService::new(db.clone()).with_dnsbl(DnsblChecker::new(
        MailAuthenticator::offline(zone).unwrap(),
        config(),
    ));
    let listed = checking
        .receive(AccountId(other), &mail, now)
        .await
        .unwrap();
    assert!(
        names(&listed.rules).contains(&"RCVD_IN_ZEN_LISTS_TEST".to_string()),
        "{:?}",
        listed.rules
    );
    assert!(
        (listed.score - plain.score - 2.5).abs() < 1e-6,
        "{} vs {}",
        listed.score,
        plain.score
    );
}
on_both_backends!(a_listed_sender_is_scored_and_stored_with_the_named_rule);
