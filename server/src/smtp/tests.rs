//! Tests of the SMTP server over real loopback connections: a `lettre` client and raw sockets.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::*;

/// Takes recipients at `@inbound.test`, answers 452 4.2.2 for `full@...` and 550 5.1.1 for the
/// rest, and records every message it is given.
#[derive(Default)]
struct TestSink {
    messages: Mutex<Vec<(Envelope, Vec<u8>)>>,
}

impl TestSink {
    fn messages(&self) -> Vec<(Envelope, Vec<u8>)> {
        self.messages.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl MailSink for TestSink {
    async fn recipient(&self, _peer: SocketAddr, _from: &str, rcpt: &str) -> Result<(), Reply> {
        if rcpt.starts_with("full@") {
            Err(Reply::new(452, Some("4.2.2"), "mailbox full"))
        } else if rcpt.ends_with("@inbound.test") {
            Ok(())
        } else {
            Err(Reply::new(550, Some("5.1.1"), "no such user here"))
        }
    }

    async fn deliver(&self, envelope: &Envelope, data: Vec<u8>) -> Result<Reply, Reply> {
        let mut messages = self.messages.lock().unwrap();
        messages.push((envelope.clone(), data));
        let id = format!("queued as Q{}", messages.len());
        Ok(Reply::new(250, Some("2.0.0"), id))
    }
}

/// A server on an ephemeral loopback port; dropping `stop` shuts it down.
struct TestServer {
    addr: SocketAddr,
    sink: Arc<TestSink>,
    stop: oneshot::Sender<()>,
    handle: JoinHandle<io::Result<()>>,
}

async fn start(config: SmtpConfig) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sink = Arc::new(TestSink::default());
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stopped.await;
    };
    let handle = tokio::spawn(serve(listener, config, sink.clone(), shutdown));
    TestServer {
        addr,
        sink,
        stop,
        handle,
    }
}

async fn connect_raw(addr: SocketAddr) -> Client {
    Client::raw(addr).await
}

/// A raw SMTP client that reads replies line by line.
struct Client {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Client {
    /// Connects without reading the greeting.
    async fn raw(addr: SocketAddr) -> Self {
        let (read, writer) = TcpStream::connect(addr).await.unwrap().into_split();
        Self {
            reader: BufReader::new(read),
            writer,
        }
    }

    /// Connects and checks the 220 greeting.
    async fn connect(addr: SocketAddr) -> Self {
        let (read, writer) = TcpStream::connect(addr).await.unwrap().into_split();
        let mut client = Self {
            reader: BufReader::new(read),
            writer,
        };
        let (code, text) = client.reply().await;
        assert_eq!(code, 220, "{text}");
        client
    }

    /// Connects and says EHLO.
    async fn ready(addr: SocketAddr) -> Self {
        let mut client = Self::connect(addr).await;
        assert_eq!(client.cmd("EHLO client.test").await.0, 250);
        client
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.unwrap();
    }

    /// Reads one reply: its code and its lines' texts (after "NNN " or "NNN-"), joined by '\n'.
    async fn reply(&mut self) -> (u16, String) {
        let mut texts = Vec::new();
        loop {
            let mut line = String::new();
            let read =
                tokio::time::timeout(Duration::from_secs(5), self.reader.read_line(&mut line))
                    .await
                    .expect("reply timed out")
                    .unwrap();
            assert!(read > 0, "connection closed while awaiting a reply");
            assert!(line.ends_with("\r\n"), "reply line without CRLF: {line:?}");
            let code: u16 = line[..3].parse().unwrap();
            texts.push(line[4..].trim_end().to_owned());
            match line.as_bytes()[3] {
                b' ' => return (code, texts.join("\n")),
                b'-' => continue,
                other => panic!("bad separator {other:?} in {line:?}"),
            }
        }
    }

    /// Sends one command line and reads its reply.
    async fn cmd(&mut self, line: &str) -> (u16, String) {
        self.send(format!("{line}\r\n").as_bytes()).await;
        self.reply().await
    }

    /// Expects the server to close the connection.
    async fn expect_closed(&mut self) {
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), self.reader.read_to_end(&mut rest))
            .await
            .expect("connection not closed");
        assert_eq!(read.unwrap(), 0, "unexpected bytes: {rest:?}");
    }
}

#[tokio::test]
async fn lettre_client_delivers_a_message() {
    let server = start(SmtpConfig::default()).await;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(server.addr.port())
        .build();
    let message = Message::builder()
        .from("Alice <alice@example.org>".parse::<Mailbox>().unwrap())
        .to("Bob <Bob@Inbound.Test>".parse::<Mailbox>().unwrap())
        .subject("Hello")
        .body(String::from(
            // lettre ends DATA with "\r\n.\r\n": a body without a final CRLF arrives with one.
            "Hi Bob,\r\n.a line that starts with a dot\r\n.\r\nBye",
        ))
        .unwrap();

    let response = transport.send(message).await.unwrap();
    assert_eq!(u16::from(response.code()), 250);
    assert_eq!(
        response.message().collect::<Vec<_>>(),
        ["2.0.0 queued as Q1"]
    );

    let messages = server.sink.messages();
    assert_eq!(messages.len(), 1);
    let (envelope, data) = &messages[0];
    assert_eq!(envelope.mail_from, "alice@example.org");
    assert_eq!(envelope.rcpt_to, ["bob@inbound.test"]);
    assert!(!envelope.helo.is_empty());
    assert!(envelope.peer.ip().is_loopback());
    let data = String::from_utf8(data.clone()).unwrap();
    assert!(data.contains("Subject: Hello\r\n"), "{data}");
    assert!(
        data.ends_with("\r\n\r\nHi Bob,\r\n.a line that starts with a dot\r\n.\r\nBye\r\n"),
        "{data:?}"
    );

    // A refused recipient makes lettre fail permanently, and nothing is delivered.
    let message = Message::builder()
        .from("alice@example.org".parse::<Mailbox>().unwrap())
        .to("carol@elsewhere.test".parse::<Mailbox>().unwrap())
        .body(String::from("Hi"))
        .unwrap();
    let error = transport.send(message).await.unwrap_err();
    assert!(error.is_permanent(), "{error}");
    assert_eq!(server.sink.messages().len(), 1);
}

#[tokio::test]
async fn unknown_recipient_gets_550() {
    let server = start(SmtpConfig::default()).await;
    let mut client = Client::connect(server.addr).await;
    let (code, text) = client.cmd("EHLO client.test").await;
    assert_eq!(code, 250);
    let keywords: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(
        keywords,
        [
            "PIPELINING",
            "SIZE 10485760",
            "8BITMIME",
            "ENHANCEDSTATUSCODES",
            "SMTPUTF8"
        ]
    );
    assert_eq!(client.cmd("MAIL FROM:<a@example.org>").await.0, 250);
    let (code, text) = client.cmd("RCPT TO:<nobody@elsewhere.test>").await;
    assert_eq!((code, text.as_str()), (550, "5.1.1 no such user here"));
    assert_eq!(
        client.cmd("RCPT TO:<ok@inbound.test>").await,
        (250, "2.1.5 recipient OK".into())
    );
    assert_eq!(client.cmd("QUIT").await.0, 221);
    client.expect_closed().await;
}

#[tokio::test]
async fn sink_can_refuse_a_recipient_temporarily() {
    let server = start(SmtpConfig::default()).await;
    let mut client = Client::ready(server.addr).await;
    assert_eq!(client.cmd("MAIL FROM:<>").await.0, 250);
    let (code, text) = client.cmd("RCPT TO:<full@inbound.test>").await;
    assert_eq!((code, text.as_str()), (452, "4.2.2 mailbox full"));
    // With no accepted recipient there is nothing to send.
    let (code, text) = client.cmd("DATA").await;
    assert_eq!((code, text.as_str()), (554, "5.5.1 no valid recipients"));
}

#[tokio::test]
async fn oversize_message_is_refused_and_the_connection_stays_usable() {
    let config = SmtpConfig {
        max_message_bytes: 1024,
        ..SmtpConfig::default()
    };
    let server = start(config).await;
    let mut client = Client::ready(server.addr).await;

    let (code, text) = client.cmd("MAIL FROM:<a@example.org> SIZE=2048").await;
    assert_eq!(code, 552);
    assert!(text.starts_with("5.3.4 "), "{text}");

    assert_eq!(
        client.cmd("MAIL FROM:<a@example.org> SIZE=100").await.0,
        250
    );
    assert_eq!(client.cmd("RCPT TO:<bob@inbound.test>").await.0, 250);
    assert_eq!(client.cmd("DATA").await.0, 354);
    for _ in 0..50 {
        client.send(&[b'x'; 78]).await;
        client.send(b"\r\n").await;
    }
    // One long line without any line ending, then the end of the message.
    client.send(&vec![b'y'; 100_000]).await;
    client.send(b"\r\n.\r\n").await;
    let (code, text) = client.reply().await;
    assert_eq!(code, 552);
    assert_eq!(
        text,
        "5.3.4 message exceeds fixed maximum message size of 1024 bytes"
    );

    // The transaction is over, the connection is not.
    assert_eq!(client.cmd("RCPT TO:<bob@inbound.test>").await.0, 503);
    assert_eq!(client.cmd("NOOP").await.0, 250);
    assert_eq!(client.cmd("MAIL FROM:<a@example.org>").await.0, 250);
    assert_eq!(client.cmd("RCPT TO:<bob@inbound.test>").await.0, 250);
    assert_eq!(client.cmd("DATA").await.0, 354);
    let (code, text) = client.cmd("Subject: small\r\n\r\nfits\r\n.").await;
    assert_eq!((code, text.as_str()), (250, "2.0.0 queued as Q1"));
    let messages = server.sink.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].1, b"Subject: small\r\n\r\nfits\r\n");
}

#[tokio::test]
async fn message_at_the_size_limit_is_accepted() {
    let body = "a\r\n".repeat(10);
    let config = SmtpConfig {
        max_message_bytes: body.len(),
        ..SmtpConfig::default()
    };
    let server = start(config).await;
    let mut client = Client::ready(server.addr).await;
    assert_eq!(client.cmd("MAIL FROM:<a@example.org>").await.0, 250);
    assert_eq!(client.cmd("RCPT TO:<bob@inbound.test>").await.0, 250);
    assert_eq!(client.cmd("DATA").await.0, 354);
    assert_eq!(client.cmd(&format!("{body}.")).await.0, 250);
    assert_eq!(server.sink.messages()[0].1, body.as_bytes());
}

#[tokio::test]
async fn pipelined_transaction_with_dot_stuffing() {
    let server = start(SmtpConfig::default()).await;
    let mut client = Client::ready(server.addr).await;
    client
        .send(
            b"MAIL FROM:<a@example.org> BODY=8BITMIME\r\n\
              RCPT TO:<one@inbound.test>\r\n\
              RCPT TO:<stranger@elsewhere.test>\r\n\
              RCPT TO:<TWO@inbound.test>\r\n\
              DATA\r\n",
        )
        .await;
    assert_eq!(client.reply().await.0, 250);
    assert_eq!(client.reply().await.0, 250);
    assert_eq!(client.reply().await.0, 550);
    assert_eq!(client.reply().await.0, 250);
    assert_eq!(client.reply().await.0, 354);
    client
        .send(b"Subject: dots\r\n\r\n..one dot\r\n...two dots\r\n..\r\nlast\r\n.\r\n")
        .await;
    assert_eq!(client.reply().await.0, 250);
    assert_eq!(client.cmd("QUIT").await.0, 221);

    let messages = server.sink.messages();
    let (envelope, data) = &messages[0];
    assert_eq!(envelope.helo, "client.test");
    assert_eq!(envelope.rcpt_to, ["one@inbound.test", "two@inbound.test"]);
    assert_eq!(
        data,
        b"Subject: dots\r\n\r\n.one dot\r\n..two dots\r\n.\r\nlast\r\n"
    );
}

/// SMTP smuggling: a second message hidden behind `LF . LF` (or `LF . CRLF`, `CR . CR`) inside
/// the first one's data must neither end the data nor be stored; the message carrying it is
/// refused with 5xx, and the session goes on in step with the client.
#[tokio::test]
async fn smuggled_message_behind_a_bare_newline_dot_is_refused_not_stored() {
    for end in ["\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r\n"] {
        let server = start(SmtpConfig::default()).await;
        let mut client = Client::ready(server.addr).await;
        assert_eq!(client.cmd("MAIL FROM:<a@example.org>").await.0, 250);
        assert_eq!(client.cmd("RCPT TO:<one@inbound.test>").await.0, 250);
        assert_eq!(client.cmd("DATA").await.0, 354);
        let smuggled = format!(
            "Subject: hello\r\n\r\nhi{end}MAIL FROM:<ceo@acme.test>\r\n\
             RCPT TO:<two@inbound.test>\r\nDATA\r\nFrom: ceo@acme.test\r\n\r\n\
             wire the money\r\n.\r\n"
        );
        client.send(smuggled.as_bytes()).await;
        let (code, text) = client.reply().await;
        assert_eq!(code, 554, "{end:?}: {text}");
        assert!(text.starts_with("5.6.0 bare CR or LF"), "{text}");
        // Nothing further was read as commands: the next reply is to NOOP.
        assert_eq!(client.cmd("NOOP").await.0, 250, "{end:?}");
        assert!(
            server.sink.messages().is_empty(),
            "{end:?}: something was stored"
        );
    }
}

#[tokio::test]
async fn a_bare_lf_anywhere_in_the_data_refuses_the_message() {
    let server = start(SmtpConfig::default()).await;
    let mut client = Client::ready(server.addr).await;
    assert_eq!(client.cmd("MAIL FROM:<a@example.org>").await.0, 250);
    assert_eq!(client.cmd("RCPT TO:<one@inbound.test>").await.0, 250);
    assert_eq!(client.cmd("DATA").await.0, 354);
    client
        .send(b"Subject: x\r\n\r\nbare lf\nhere\r\n.\r\n")
        .await;
    assert_eq!(client.reply().await.0, 554);
    // The transaction is over; a clean one goes through.
    assert_eq!(client.cmd("MAIL FROM:<a@example.org>").await.0, 250);
    assert_eq!(client.cmd("RCPT TO:<one@inbound.test>").await.0, 250);
    assert_eq!(client.cmd("DATA").await.0, 354);
    client.send(b"Subject: x\r\n\r\nfine\r\n.\r\n").await;
    assert_eq!(client.reply().await.0, 250);
    let messages = server.sink.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].1, b"Subject: x\r\n\r\nfine\r\n");
}

#[tokio::test]
async fn sessions_are_capped_in_all_and_per_client_address() {
    let server = start(SmtpConfig {
        max_sessions_per_ip: 2,
        ..SmtpConfig::default()
    })
    .await;
    let first = Client::ready(server.addr).await;
    let _second = Client::ready(server.addr).await;
    let mut third = connect_raw(server.addr).await;
    let (code, text) = third.reply().await;
    assert_eq!(
        (code, text.as_str()),
        (421, "4.7.0 too many connections, try again later")
    );
    third.expect_closed().await;
    // A place is given back when a session ends.
    drop(first);
    tokio::time::sleep(Duration::from_millis(100)).await;
    Client::ready(server.addr).await;

    let server = start(SmtpConfig {
        max_sessions: 1,
        ..SmtpConfig::default()
    })
    .await;
    let _only = Client::ready(server.addr).await;
    let mut next = connect_raw(server.addr).await;
    assert_eq!(next.reply().await.0, 421);
}

#[tokio::test]
async fn data_and_the_whole_session_have_deadlines() {
    // A client that trickles its data, a line well within the idle timeout each time.
    let server = start(SmtpConfig {
        data_timeout: Duration::from_millis(300),
        ..SmtpConfig::default()
    })
    .await;
    let mut client = Client::ready(server.addr).await;
    assert_eq!(client.cmd("MAIL FROM:<a@example.org>").await.0, 250);
    assert_eq!(client.cmd("RCPT TO:<one@inbound.test>").await.0, 250);
    assert_eq!(client.cmd("DATA").await.0, 354);
    for _ in 0..5 {
        // The server may have hung up already: what it said is read below.
        let _ = client.writer.write_all(b"x\r\n").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (code, text) = client.reply().await;
    assert_eq!(
        (code, text.as_str()),
        (421, "4.4.2 time limit reached, closing connection")
    );
    client.expect_closed().await;
    assert!(server.sink.messages().is_empty());

    // A client that keeps the session alive with NOOPs.
    let server = start(SmtpConfig {
        session_timeout: Duration::from_millis(300),
        ..SmtpConfig::default()
    })
    .await;
    let mut client = Client::ready(server.addr).await;
    let code = loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = client.writer.write_all(b"NOOP\r\n").await;
        let (code, _) = client.reply().await;
        if code != 250 {
            break code;
        }
    };
    assert_eq!(code, 421);
    client.expect_closed().await;
}

#[tokio::test]
async fn commands_out_of_order_get_503() {
    let server = start(SmtpConfig::default()).await;
    let mut client = Client::connect(server.addr).await;
    let bad_sequence = |(code, text): (u16, String)| {
        assert_eq!(code, 503, "{text}");
        assert!(text.starts_with("5.5.1 "), "{text}");
    };
    bad_sequence(client.cmd("MAIL FROM:<a@example.org>").await);
    assert_eq!(client.cmd("HELO client.test").await.0, 250);
    bad_sequence(client.cmd("RCPT TO:<bob@inbound.test>").await);
    bad_sequence(client.cmd("DATA").await);
    assert_eq!(client.cmd("MAIL FROM:<a@example.org>").await.0, 250);
    bad_sequence(client.cmd("MAIL FROM:<a@example.org>").await);
    assert_eq!(client.cmd("RSET").await, (250, "2.0.0 OK".into()));
    bad_sequence(client.cmd("RCPT TO:<bob@inbound.test>").await);
}

#[tokio::test]
async fn too_many_recipients_get_452() {
    let config = SmtpConfig {
        max_recipients: 2,
        ..SmtpConfig::default()
    };
    let server = start(config).await;
    let mut client = Client::ready(server.addr).await;
    assert_eq!(client.cmd("MAIL FROM:<a@example.org>").await.0, 250);
    assert_eq!(client.cmd("RCPT TO:<one@inbound.test>").await.0, 250);
    assert_eq!(client.cmd("RCPT TO:<two@inbound.test>").await.0, 250);
    let (code, text) = client.cmd("RCPT TO:<three@inbound.test>").await;
    assert_eq!((code, text.as_str()), (452, "4.5.3 too many recipients"));
}

#[tokio::test]
async fn garbage_and_odd_commands_get_sensible_replies() {
    let server = start(SmtpConfig::default()).await;
    let mut client = Client::connect(server.addr).await;
    client.send(b"\x00\xff\xfe\x80 garbage\r\n").await;
    assert_eq!(
        client.reply().await,
        (500, "5.5.2 command not recognized".into())
    );
    client.send(&[0xAB; 10_000]).await;
    client.send(b"\r\n").await;
    assert_eq!(client.reply().await, (500, "5.5.6 line too long".into()));
    assert_eq!(client.cmd("").await.0, 500);
    assert_eq!(client.cmd("FOO bar").await.0, 500);
    assert_eq!(client.cmd("ehlo").await.0, 501);
    assert_eq!(client.cmd("ehlo client.test").await.0, 250);
    assert_eq!(client.cmd("STARTTLS").await.0, 502);
    assert_eq!(client.cmd("VRFY bob").await.0, 252);
    assert_eq!(client.cmd("HELP").await.0, 214);
    assert_eq!(client.cmd("noop").await.0, 250);
    assert_eq!(client.cmd("mail from:<a@b> SIZE=abc").await.0, 501);
    assert_eq!(client.cmd("MAIL FROM:<a@b> FOO=1").await.0, 555);
    assert_eq!(client.cmd("MAIL FROM:<a@b").await.0, 501);
    assert_eq!(client.cmd("MAIL TO:<a@b>").await.0, 501);
    assert_eq!(client.cmd("MAIL FROM:").await.0, 501);
    assert_eq!(client.cmd("mail from:<a@b>").await.0, 250);
    assert_eq!(client.cmd("RCPT TO:<>").await.0, 501);
    assert_eq!(client.cmd("DATA now").await.0, 501);
    assert_eq!(client.cmd("quit").await.0, 221);
    client.expect_closed().await;
}

#[tokio::test]
async fn too_many_protocol_errors_close_the_connection() {
    let server = start(SmtpConfig::default()).await;
    let mut client = Client::connect(server.addr).await;
    for _ in 0..MAX_PROTOCOL_ERRORS {
        assert_eq!(client.cmd("XYZZY").await.0, 500);
    }
    assert_eq!(client.reply().await.0, 421);
    client.expect_closed().await;
}

#[tokio::test]
async fn idle_client_gets_421() {
    let config = SmtpConfig {
        idle_timeout: Duration::from_millis(200),
        ..SmtpConfig::default()
    };
    let server = start(config).await;
    let mut client = Client::connect(server.addr).await;
    let (code, text) = client.reply().await;
    assert_eq!(code, 421);
    assert!(text.starts_with("4.4.2 "), "{text}");
    client.expect_closed().await;
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let server = start(SmtpConfig::default()).await;
    server.stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server.handle)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[test]
fn multi_line_replies_are_formatted() {
    let reply = Reply::new(250, None, "host\nSIZE 1");
    assert_eq!(reply.to_wire(), "250-host\r\n250 SIZE 1\r\n");
    assert_eq!(Reply::ok().to_wire(), "250 2.0.0 OK\r\n");
    assert_eq!(Reply::new(354, None, "").to_wire(), "354 \r\n");
    assert_eq!(Reply::ok().to_string(), "250 2.0.0 OK");
}

/// A CA and a `localhost` certificate from it: (CA PEM, server TLS configuration).
fn tls_for_localhost() -> (String, Arc<rustls::ServerConfig>) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let config = tls_config(leaf.pem().as_bytes(), key.serialize_pem().as_bytes()).unwrap();
    (ca.pem(), config)
}

fn with_tls_and_login(tls: Arc<rustls::ServerConfig>) -> SmtpConfig {
    SmtpConfig {
        tls: Some(tls),
        login: Some(("relay".into(), "secret".into())),
        ..SmtpConfig::default()
    }
}

#[tokio::test]
async fn in_the_clear_starttls_is_offered_but_auth_is_not_and_mail_needs_a_login() {
    let (_, tls) = tls_for_localhost();
    let server = start(with_tls_and_login(tls)).await;
    let mut client = Client::connect(server.addr).await;
    let (code, ehlo) = client.cmd("EHLO client.test").await;
    assert_eq!(code, 250);
    assert!(ehlo.lines().any(|l| l == "STARTTLS"), "{ehlo}");
    assert!(!ehlo.contains("AUTH"), "{ehlo}");
    // AHJlbGF5AHNlY3JldA== is "\0relay\0secret": right, but never over plain text.
    assert_eq!(client.cmd("AUTH PLAIN AHJlbGF5AHNlY3JldA==").await.0, 538);
    assert_eq!(client.cmd("MAIL FROM:<a@example.org>").await.0, 530);
    assert!(server.sink.messages().is_empty());
}

#[tokio::test]
async fn commands_pipelined_after_starttls_are_dropped_not_run_inside_tls() {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    let (ca, tls) = tls_for_localhost();
    let server = start(SmtpConfig {
        tls: Some(tls),
        ..SmtpConfig::default()
    })
    .await;
    let mut client = Client::ready(server.addr).await;
    // A man in the middle appends a command to the client's STARTTLS (CVE-2011-0411).
    client
        .send(b"STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n")
        .await;
    assert_eq!(client.reply().await.0, 220);
    let tcp = client.reader.into_inner().reunite(client.writer).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.as_bytes()).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let (read, mut write) = tokio::io::split(tls);
    let mut read = BufReader::new(read);
    let mut cmd = async |line: &str| {
        write
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .unwrap();
        write.flush().await.unwrap();
        let mut text = String::new();
        loop {
            let mut l = String::new();
            read.read_line(&mut l).await.unwrap();
            text.push_str(&l);
            if l.as_bytes().get(3) == Some(&b' ') {
                return (l[..3].parse::<u16>().unwrap(), text);
            }
        }
    };
    let (code, ehlo) = cmd("EHLO client.test").await;
    assert_eq!(code, 250);
    assert!(!ehlo.contains("STARTTLS"), "{ehlo}");
    // Had the injected MAIL run, this RCPT would be accepted.
    assert_eq!(cmd("RCPT TO:<a@inbound.test>").await.0, 503);
    assert_eq!(cmd("MAIL FROM:<a@example.org>").await.0, 250);
    assert_eq!(cmd("RCPT TO:<a@inbound.test>").await.0, 250);
}
