//! A small receiving SMTP server: the subset of RFC 5321 that an inbound MX needs.
//!
//! It speaks EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, VRFY, HELP and QUIT, advertises
//! PIPELINING, SIZE, 8BITMIME, ENHANCEDSTATUSCODES and SMTPUTF8, optionally STARTTLS (RFC 3207)
//! or TLS from the first byte (RFC 8314), and AUTH PLAIN / LOGIN (RFC 4954, over TLS only) when
//! a login is configured, and leaves every decision to a
//! [`MailSink`]: which recipients to take and what to do with a message. That makes it both
//! Deliverdesk's inbound MX (`deliverdesk serve --smtp ...`) and a loopback server for tests of
//! outbound delivery, answering 250, 550 or 452 as the test wants.
//!
//! Memory per connection stays bounded whatever a client sends: command lines are capped at
//! [`MAX_COMMAND_LINE`] bytes and a message at [`SmtpConfig::max_message_bytes`] (plus a few
//! bytes); anything past those is read and dropped.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::BufReader;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

mod auth;
mod command;
pub mod data;
mod limits;
mod line;
mod reply;
mod session;
mod stream;
use limits::Limits;
use session::Session;
use stream::Stream;

pub use reply::Reply;

pub mod rule_relay;

#[cfg(test)]
mod tests;

/// The longest command line accepted, CRLF included (RFC 5321 §4.5.3.1.4 asks for 512 at least).
pub const MAX_COMMAND_LINE: usize = 4096;

/// Protocol errors (5.5.x) tolerated on one connection before it is closed with 421.
pub(crate) const MAX_PROTOCOL_ERRORS: u32 = 20;

/// The envelope of one transaction.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub peer: SocketAddr,
    pub helo: String,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
}

/// Decides on recipients and takes delivered messages.
#[async_trait::async_trait]
pub trait MailSink: Send + Sync + 'static {
    /// Decide on one RCPT TO address (already stripped of <> and lower-cased): Ok(()) accepts
    /// (250 2.1.5), Err(reply) refuses with that reply.
    async fn recipient(&self, peer: SocketAddr, mail_from: &str, rcpt: &str) -> Result<(), Reply>;

    /// The message after DATA (dot-unstuffed, CRLF line endings kept, final ".\r\n" removed).
    /// Ok(reply) is sent as the answer to DATA (normally 250 with a queue id); Err(reply) too
    /// (4xx/5xx).
    async fn deliver(&self, envelope: &Envelope, data: Vec<u8>) -> Result<Reply, Reply>;
}

/// Settings of an SMTP server.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// Used in the 220 greeting and the EHLO reply.
    pub hostname: String,
    /// Advertised as SIZE; a larger MAIL FROM SIZE= or message gets 552 5.3.4.
    pub max_message_bytes: usize,
    /// Recipients per transaction; more get 452 4.5.3.
    pub max_recipients: usize,
    /// How long to wait for each command (or line of a message); then 421 4.4.2 and close.
    pub idle_timeout: Duration,
    /// How long the data of one DATA command may take in all; then 421 4.4.2 and close.
    pub data_timeout: Duration,
    /// How long one connection may last in all; then 421 4.4.2 and close.
    pub session_timeout: Duration,
    /// Sessions open at once; a connection past that is answered 421 4.7.0 and closed.
    pub max_sessions: usize,
    /// Sessions open at once from one client IP address; past that, 421 4.7.0.
    pub max_sessions_per_ip: usize,
    /// The certificate to offer: STARTTLS is advertised when set (or, with `implicit_tls`, every
    /// connection starts with the TLS handshake).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// TLS from the first byte (RFC 8314 §3.3, port 465) instead of STARTTLS.
    pub implicit_tls: bool,
    /// (username, password): AUTH PLAIN and LOGIN are offered once the connection is encrypted
    /// and MAIL is refused until the client has logged in (530 5.7.0).
    pub login: Option<(String, String)>,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            hostname: "deliverdesk.local".to_owned(),
            max_message_bytes: 10 * 1024 * 1024,
            max_recipients: 100,
            idle_timeout: Duration::from_secs(5 * 60),
            // RFC 5321 §4.5.3.2.6 waits 10 minutes for the end of data; a whole session of
            // several messages gets three times that.
            data_timeout: Duration::from_secs(10 * 60),
            session_timeout: Duration::from_secs(30 * 60),
            max_sessions: 200,
            max_sessions_per_ip: 10,
            tls: None,
            implicit_tls: false,
            login: None,
        }
    }
}

/// A TLS server configuration from a PEM certificate chain (leaf first) and its PEM private key.
pub fn tls_config(
    cert_chain_pem: &[u8],
    key_pem: &[u8],
) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_slice_iter(cert_chain_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("certificate PEM: {e}"))?;
    if chain.is_empty() {
        return Err("no certificate in the certificate PEM".into());
    }
    let key =
        PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| format!("private key PEM: {e}"))?;
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("certificate and key: {e}"))?;
    Ok(Arc::new(config))
}

/// Parses one command line (its line ending included) as a session does: `Ok` with the
/// command's debug form, or the reply a client would get. For the fuzz target.
#[doc(hidden)]
pub fn parse_command(line: &[u8]) -> Result<String, Reply> {
    command::Command::parse(line).map(|command| format!("{command:?}"))
}

/// Accept connections until `shutdown` resolves; each connection in its own task.
///
/// Connections already open when `shutdown` resolves are left to finish on their own.
pub async fn serve(
    listener: TcpListener,
    config: SmtpConfig,
    sink: Arc<dyn MailSink>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let config = Arc::new(config);
    let limits = Limits::new(config.max_sessions, config.max_sessions_per_ip);
    tracing::debug!(addr = %listener.local_addr()?, "smtp server listening");
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => {
                tracing::debug!("smtp server shutting down");
                return Ok(());
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => match limits.open(peer.ip()) {
                    Ok(slot) => {
                        let (config, sink) = (config.clone(), sink.clone());
                        tokio::spawn(async move {
                            handle_connection(stream, peer, config, sink).await;
                            drop(slot);
                        });
                    }
                    Err(full) => {
                        tracing::info!(%peer, ?full, "smtp connection refused: too many sessions");
                        tokio::spawn(turn_away(stream, config.implicit_tls));
                    }
                },
                Err(error) => {
                    // Mostly transient (aborted handshakes, out of file descriptors): back off.
                    tracing::warn!(%error, "smtp accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
}

/// Answers 421 (RFC 5321 §3.8) to a connection over the session caps, and closes it. Under
/// implicit TLS no reply can be read before the handshake, so it is only closed.
async fn turn_away(mut stream: TcpStream, implicit_tls: bool) {
    use tokio::io::AsyncWriteExt;
    if !implicit_tls {
        let reply = Reply::new(421, Some("4.7.0"), "too many connections, try again later");
        let _ = timeout(
            Duration::from_secs(5),
            stream.write_all(reply.to_wire().as_bytes()),
        )
        .await;
    }
    let _ = stream.shutdown().await;
}

/// Runs one session to its end and logs how it ended.
async fn handle_connection(
    stream: TcpStream,
    peer: SocketAddr,
    config: Arc<SmtpConfig>,
    sink: Arc<dyn MailSink>,
) {
    tracing::debug!(%peer, "smtp connection opened");
    let _ = stream.set_nodelay(true);
    let stream = match (&config.tls, config.implicit_tls) {
        (Some(tls), true) => {
            let handshake = tokio_rustls::TlsAcceptor::from(tls.clone()).accept(stream);
            match timeout(config.idle_timeout, handshake).await {
                Ok(Ok(tls)) => Stream::Tls(Box::new(tls)),
                Ok(Err(error)) => {
                    tracing::debug!(%peer, %error, "tls handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "tls handshake timed out");
                    return;
                }
            }
        }
        _ => Stream::Plain(stream),
    };
    let session = Session::new(BufReader::new(stream), peer, config, sink);
    match session.run().await {
        Ok(()) => tracing::debug!(%peer, "smtp connection closed"),
        Err(error) => tracing::debug!(%peer, %error, "smtp connection ended"),
    }
}
