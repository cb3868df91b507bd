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

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

mod stream;
use stream::Stream;

pub mod rule_relay;

#[cfg(test)]
mod tests;

/// The longest command line accepted, CRLF included (RFC 5321 §4.5.3.1.4 asks for 512 at least).
pub const MAX_COMMAND_LINE: usize = 4096;

/// Protocol errors (5.5.x) tolerated on one connection before it is closed with 421.
const MAX_PROTOCOL_ERRORS: u32 = 20;

/// An SMTP reply: code, optional RFC 3463 enhanced status, text.
///
/// A `text` with several lines goes out as a multi-line reply (`250-...` lines, then `250 ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub enhanced: Option<String>,
    pub text: String,
}

impl Reply {
    /// A reply with the given code, enhanced status code (e.g. `"5.1.1"`) and text.
    pub fn new(code: u16, enhanced: Option<&str>, text: impl Into<String>) -> Self {
        Self {
            code,
            enhanced: enhanced.map(str::to_owned),
            text: text.into(),
        }
    }

    /// `250 2.0.0 OK`.
    pub fn ok() -> Self {
        Self::new(250, Some("2.0.0"), "OK")
    }

    /// Whether the reply is a positive one (2xx or 3xx).
    pub fn is_positive(&self) -> bool {
        self.code < 400
    }

    /// The reply as sent on the wire, every line ending in CRLF.
    pub fn to_wire(&self) -> String {
        let mut lines: Vec<&str> = self.text.lines().collect();
        if lines.is_empty() {
            lines.push("");
        }
        let last = lines.len() - 1;
        let mut out = String::new();
        for (i, line) in lines.into_iter().enumerate() {
            let separator = if i == last { ' ' } else { '-' };
            out.push_str(&format!("{:03}{separator}", self.code));
            if let Some(enhanced) = &self.enhanced {
                out.push_str(enhanced);
                out.push(' ');
            }
            // A stray CR inside a line would let the text forge a reply line of its own.
            out.extend(line.chars().map(|c| if c == '\r' { ' ' } else { c }));
            out.push_str("\r\n");
        }
        out
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.code)?;
        if let Some(enhanced) = &self.enhanced {
            write!(f, " {enhanced}")?;
        }
        write!(f, " {}", self.text)
    }
}

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
    tracing::debug!(addr = %listener.local_addr()?, "smtp server listening");
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => {
                tracing::debug!("smtp server shutting down");
                return Ok(());
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tokio::spawn(handle_connection(stream, peer, config.clone(), sink.clone()));
                }
                Err(error) => {
                    // Mostly transient (aborted handshakes, out of file descriptors): back off.
                    tracing::warn!(%error, "smtp accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
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
    let session = Session {
        io: BufReader::new(stream),
        peer,
        config,
        sink,
        helo: None,
        transaction: None,
        authenticated: false,
        protocol_errors: 0,
    };
    match session.run().await {
        Ok(()) => tracing::debug!(%peer, "smtp connection closed"),
        Err(error) => tracing::debug!(%peer, %error, "smtp connection ended"),
    }
}

/// One SMTP command, parsed.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Helo(String),
    Ehlo(String),
    Mail {
        from: String,
        size: Option<u64>,
    },
    Rcpt(String),
    Data,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Help,
    StartTls,
    /// AUTH mechanism [initial-response] (RFC 4954 §4).
    Auth {
        mechanism: String,
        initial: Option<String>,
    },
}

impl Command {
    /// Parses one command line (its line ending included); Err is the reply to send instead.
    fn parse(line: &[u8]) -> Result<Self, Reply> {
        let line = std::str::from_utf8(line).map_err(|_| unrecognized())?;
        let line = line.trim_end_matches(['\r', '\n']);
        let (verb, args) = match line.split_once(' ') {
            Some((verb, args)) => (verb, args.trim()),
            None => (line, ""),
        };
        let verb = verb.to_ascii_uppercase();
        let no_args = |command| {
            if args.is_empty() {
                Ok(command)
            } else {
                Err(syntax(format!("{verb} takes no arguments")))
            }
        };
        match verb.as_str() {
            "HELO" | "EHLO" => {
                let name = args.split_whitespace().next().ok_or_else(|| {
                    syntax(format!("{verb} requires a domain or address literal"))
                })?;
                Ok(if verb == "EHLO" {
                    Self::Ehlo(name.to_owned())
                } else {
                    Self::Helo(name.to_owned())
                })
            }
            "MAIL" => {
                let rest = strip_prefix_ignore_case(args, "FROM:")
                    .ok_or_else(|| syntax("syntax: MAIL FROM:<address> [parameters]"))?;
                let (from, params) = parse_path(rest)?;
                Ok(Self::Mail {
                    from: from.to_owned(),
                    size: parse_mail_params(params)?,
                })
            }
            "RCPT" => {
                let rest = strip_prefix_ignore_case(args, "TO:")
                    .ok_or_else(|| syntax("syntax: RCPT TO:<address>"))?;
                let (to, params) = parse_path(rest)?;
                if to.is_empty() {
                    return Err(syntax("recipient address required"));
                }
                if !params.is_empty() {
                    return Err(unsupported_param(params));
                }
                Ok(Self::Rcpt(to.to_lowercase()))
            }
            "DATA" => no_args(Self::Data),
            "RSET" => no_args(Self::Rset),
            "QUIT" => no_args(Self::Quit),
            "NOOP" => Ok(Self::Noop),
            "VRFY" => Ok(Self::Vrfy),
            "HELP" => Ok(Self::Help),
            "STARTTLS" => no_args(Self::StartTls),
            "AUTH" => {
                let mut words = args.split_whitespace();
                let mechanism = words
                    .next()
                    .ok_or_else(|| syntax("syntax: AUTH mechanism [initial-response]"))?
                    .to_ascii_uppercase();
                Ok(Self::Auth {
                    mechanism,
                    initial: words.next().map(str::to_owned),
                })
            }
            "EXPN" | "BDAT" | "ETRN" | "TURN" => Err(Reply::new(
                502,
                Some("5.5.1"),
                format!("{verb} not implemented"),
            )),
            _ => Err(unrecognized()),
        }
    }
}

/// `text` without a case-insensitive ASCII `prefix`, if it starts with one.
fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Splits `<address> parameters` into the address (source route dropped) and the parameters.
/// A missing pair of angle brackets is tolerated, as many clients omit them.
fn parse_path(rest: &str) -> Result<(&str, &str), Reply> {
    let rest = rest.trim_start();
    let (address, params) = match rest.strip_prefix('<') {
        Some(inner) => inner
            .split_once('>')
            .ok_or_else(|| syntax("unterminated <address>"))?,
        None if rest.is_empty() => return Err(syntax("address required")),
        None => rest.split_once(' ').unwrap_or((rest, "")),
    };
    // An obsolete source route, "@relay1,@relay2:user@domain", names the mailbox last.
    let address = match address.strip_prefix('@') {
        Some(route) => route
            .split_once(':')
            .map_or(address, |(_, mailbox)| mailbox),
        None => address,
    };
    if address.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(syntax("bad address syntax"));
    }
    Ok((address, params.trim()))
}

/// Checks the parameters of MAIL FROM and returns the declared SIZE, if any.
fn parse_mail_params(params: &str) -> Result<Option<u64>, Reply> {
    let mut size = None;
    for param in params.split_whitespace() {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        match key.to_ascii_uppercase().as_str() {
            "SIZE" => {
                size = Some(value.parse().map_err(|_| syntax("bad SIZE value"))?);
            }
            "BODY" => {
                if !(value.eq_ignore_ascii_case("7BIT") || value.eq_ignore_ascii_case("8BITMIME")) {
                    return Err(syntax("BODY must be 7BIT or 8BITMIME"));
                }
            }
            "SMTPUTF8" if value.is_empty() => {}
            _ => return Err(unsupported_param(param)),
        }
    }
    Ok(size)
}

fn syntax(text: impl Into<String>) -> Reply {
    Reply::new(501, Some("5.5.4"), text)
}

fn unrecognized() -> Reply {
    Reply::new(500, Some("5.5.2"), "command not recognized")
}

fn unsupported_param(param: &str) -> Reply {
    Reply::new(555, Some("5.5.4"), format!("unsupported parameter {param}"))
}

fn bad_sequence(text: &str) -> Reply {
    Reply::new(503, Some("5.5.1"), text)
}

/// How [`read_line`] ended.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// End of stream before any byte.
    Eof,
    /// A whole line (or the unterminated rest of the stream) was appended.
    Complete,
    /// The line was longer than the limit: its head was appended, the rest dropped.
    Truncated,
}

/// Appends the next line, through its LF, to `buf`, keeping at most `limit` bytes of it; the
/// rest of a longer line is read and dropped, so a client cannot make `buf` grow past that.
async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    limit: usize,
) -> io::Result<Line> {
    let ceiling = buf.len() + limit;
    let (mut seen_any, mut truncated) = (false, false);
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            break;
        }
        seen_any = true;
        let (chunk, found_end) = match available.iter().position(|&b| b == b'\n') {
            Some(end) => (&available[..=end], true),
            None => (available, false),
        };
        let take = chunk.len().min(ceiling - buf.len());
        if buf.capacity() < buf.len() + take {
            // Grow by doubling, but never past the ceiling (plain `reserve` could double past it).
            let wanted = (buf.capacity() * 2).clamp(buf.len() + take, ceiling);
            buf.reserve_exact(wanted - buf.len());
        }
        buf.extend_from_slice(&chunk[..take]);
        truncated |= take < chunk.len();
        let consumed = chunk.len();
        reader.consume(consumed);
        if found_end {
            break;
        }
    }
    Ok(match (seen_any, truncated) {
        (false, _) => Line::Eof,
        (true, false) => Line::Complete,
        (true, true) => Line::Truncated,
    })
}

/// The transaction between MAIL and the end of DATA (or RSET).
struct Transaction {
    mail_from: String,
    rcpt_to: Vec<String>,
}

/// The state of one connection.
struct Session {
    io: BufReader<Stream>,
    peer: SocketAddr,
    config: Arc<SmtpConfig>,
    sink: Arc<dyn MailSink>,
    helo: Option<String>,
    transaction: Option<Transaction>,
    /// AUTH succeeded on this connection (only meaningful when a login is configured).
    authenticated: bool,
    protocol_errors: u32,
}

impl Session {
    /// Greets the client and answers its commands until QUIT, end of stream or a timeout.
    async fn run(mut self) -> io::Result<()> {
        let greeting = format!("{} ESMTP Deliverdesk ready", self.config.hostname);
        self.send(&Reply::new(220, None, greeting)).await?;
        let mut line = Vec::with_capacity(512);
        loop {
            line.clear();
            let reply = match self.read_line_timed(&mut line, MAX_COMMAND_LINE).await? {
                Line::Eof => return Ok(()),
                Line::Truncated => Reply::new(500, Some("5.5.6"), "line too long"),
                Line::Complete => match Command::parse(&line) {
                    Ok(Command::StartTls) => match self.start_tls().await? {
                        Some(reply) => reply,
                        None => continue,
                    },
                    Ok(command) => {
                        let quit = command == Command::Quit;
                        let reply = self.execute(command).await?;
                        if quit {
                            return self.send(&reply).await;
                        }
                        reply
                    }
                    Err(reply) => reply,
                },
            };
            if (500..=504).contains(&reply.code) || reply.code == 555 {
                self.protocol_errors += 1;
            }
            self.send(&reply).await?;
            if self.protocol_errors >= MAX_PROTOCOL_ERRORS {
                let reply = Reply::new(421, Some("4.7.0"), "too many errors, closing connection");
                return self.send(&reply).await;
            }
        }
    }

    /// Carries out one command and returns its reply.
    async fn execute(&mut self, command: Command) -> io::Result<Reply> {
        match &command {
            // An AUTH response is the credential itself (base64 is no disguise): never logged.
            Command::Auth { mechanism, .. } => {
                tracing::debug!(peer = %self.peer, %mechanism, "smtp command AUTH (response not logged)")
            }
            _ => tracing::debug!(peer = %self.peer, ?command, "smtp command"),
        }
        let host = &self.config.hostname;
        Ok(match command {
            Command::Helo(name) => {
                let reply = Reply::new(250, None, format!("{host} greets {name}"));
                self.helo = Some(name);
                self.transaction = None;
                reply
            }
            Command::Ehlo(name) => {
                let size = self.config.max_message_bytes;
                let mut text = format!(
                    "{host} greets {name}\nPIPELINING\nSIZE {size}\n8BITMIME\n\
                     ENHANCEDSTATUSCODES\nSMTPUTF8"
                );
                if self.config.tls.is_some() && !self.io.get_ref().is_tls() {
                    text.push_str("\nSTARTTLS");
                }
                // RFC 4954 §4: no plain-text passwords over an unencrypted connection.
                if self.config.login.is_some() && self.io.get_ref().is_tls() {
                    text.push_str("\nAUTH PLAIN LOGIN");
                }
                self.helo = Some(name);
                self.transaction = None;
                Reply::new(250, None, text)
            }
            Command::Auth { mechanism, initial } => self.auth(&mechanism, initial).await?,
            // Handled in `run`: it replaces the connection.
            Command::StartTls => bad_sequence("STARTTLS out of sequence"),
            Command::Mail { from, size } => self.mail(from, size),
            Command::Rcpt(to) => self.rcpt(to).await,
            Command::Data => self.data().await?,
            Command::Rset => {
                self.transaction = None;
                Reply::ok()
            }
            Command::Noop => Reply::ok(),
            Command::Vrfy => Reply::new(
                252,
                Some("2.0.0"),
                "cannot VRFY user, but will accept message and attempt delivery",
            ),
            Command::Help => Reply::new(
                214,
                Some("2.0.0"),
                "commands: HELO EHLO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT",
            ),
            Command::Quit => Reply::new(221, Some("2.0.0"), format!("{host} closing connection")),
        })
    }

    /// STARTTLS (RFC 3207): `None` once the connection is encrypted (the client speaks first
    /// again), or the reply refusing it.
    async fn start_tls(&mut self) -> io::Result<Option<Reply>> {
        let Some(tls) = self.config.tls.clone() else {
            return Ok(Some(Reply::new(502, Some("5.5.1"), "STARTTLS not offered")));
        };
        if self.io.get_ref().is_tls() {
            return Ok(Some(bad_sequence("TLS already active")));
        }
        self.send(&Reply::new(220, Some("2.0.0"), "ready to start TLS"))
            .await?;
        // §5: commands pipelined after STARTTLS were sent in the clear and could have been
        // injected by anyone on the path; they are dropped with the buffer.
        let io = std::mem::replace(&mut self.io, BufReader::new(Stream::Closed));
        let Stream::Plain(tcp) = io.into_inner() else {
            return Err(io::ErrorKind::InvalidInput.into());
        };
        let handshake = tokio_rustls::TlsAcceptor::from(tls).accept(tcp);
        let tls = timeout(self.config.idle_timeout, handshake)
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
        self.io = BufReader::new(Stream::Tls(Box::new(tls)));
        // §4.2: everything learnt before the handshake is forgotten; the client sends EHLO again.
        self.helo = None;
        self.transaction = None;
        self.authenticated = false;
        Ok(None)
    }

    /// AUTH PLAIN (RFC 4616) or LOGIN, with the initial response on the command line or after
    /// a 334 challenge.
    async fn auth(&mut self, mechanism: &str, initial: Option<String>) -> io::Result<Reply> {
        let Some((user, password)) = self.config.login.clone() else {
            return Ok(Reply::new(502, Some("5.5.1"), "AUTH not offered"));
        };
        if !self.io.get_ref().is_tls() {
            return Ok(Reply::new(
                538,
                Some("5.7.11"),
                "encryption required for requested authentication mechanism",
            ));
        }
        if self.helo.is_none() {
            return Ok(bad_sequence("send EHLO first"));
        }
        if self.authenticated {
            return Ok(bad_sequence("already authenticated"));
        }
        if self.transaction.is_some() {
            return Ok(bad_sequence("AUTH not permitted during a mail transaction"));
        }
        let given = match mechanism {
            "PLAIN" => {
                let response = match initial {
                    Some(r) => r,
                    None => match self.challenge("").await? {
                        Some(r) => r,
                        None => return Ok(auth_cancelled()),
                    },
                };
                // authzid NUL authcid NUL passwd
                decode_b64(&response).and_then(|plain| {
                    let mut parts = plain.splitn(3, |&b| b == 0);
                    let (_authz, authc, pass) = (parts.next()?, parts.next()?, parts.next()?);
                    Some((authc.to_vec(), pass.to_vec()))
                })
            }
            "LOGIN" => {
                let name = match initial {
                    Some(r) => Some(r),
                    None => self.challenge("VXNlcm5hbWU6").await?,
                };
                let Some(name) = name else {
                    return Ok(auth_cancelled());
                };
                let Some(pass) = self.challenge("UGFzc3dvcmQ6").await? else {
                    return Ok(auth_cancelled());
                };
                decode_b64(&name).zip(decode_b64(&pass))
            }
            _ => {
                return Ok(Reply::new(
                    504,
                    Some("5.5.4"),
                    "unrecognized authentication mechanism",
                ))
            }
        };
        let Some((given_user, given_password)) = given else {
            return Ok(Reply::new(501, Some("5.5.2"), "cannot decode response"));
        };
        // Compared as digests, so the time taken says nothing about how much of it matched.
        let same = |a: &[u8], b: &[u8]| Sha256::digest(a) == Sha256::digest(b);
        if same(&given_user, user.as_bytes()) & same(&given_password, password.as_bytes()) {
            self.authenticated = true;
            Ok(Reply::new(235, Some("2.7.0"), "authentication successful"))
        } else {
            tracing::info!(peer = %self.peer, "smtp authentication failed");
            Ok(Reply::new(
                535,
                Some("5.7.8"),
                "authentication credentials invalid",
            ))
        }
    }

    /// Sends `334 challenge` and reads the client's line: `None` when it cancels with `*`.
    async fn challenge(&mut self, challenge: &str) -> io::Result<Option<String>> {
        self.send(&Reply::new(334, None, challenge)).await?;
        let mut line = Vec::new();
        match self.read_line_timed(&mut line, MAX_COMMAND_LINE).await? {
            Line::Eof => Err(io::ErrorKind::UnexpectedEof.into()),
            Line::Truncated => Ok(None),
            Line::Complete => {
                let text = String::from_utf8_lossy(&line).trim().to_owned();
                Ok((text != "*").then_some(text))
            }
        }
    }

    fn mail(&mut self, from: String, size: Option<u64>) -> Reply {
        if self.helo.is_none() {
            return bad_sequence("send HELO or EHLO first");
        }
        if self.transaction.is_some() {
            return bad_sequence("nested MAIL command");
        }
        if self.config.login.is_some() && !self.authenticated {
            return Reply::new(530, Some("5.7.0"), "authentication required");
        }
        let max = self.config.max_message_bytes;
        if size.is_some_and(|size| size > max as u64) {
            return too_large(max);
        }
        self.transaction = Some(Transaction {
            mail_from: from,
            rcpt_to: Vec::new(),
        });
        Reply::new(250, Some("2.1.0"), "sender OK")
    }

    async fn rcpt(&mut self, to: String) -> Reply {
        let Some(transaction) = self.transaction.as_mut() else {
            return bad_sequence("send MAIL first");
        };
        if transaction.rcpt_to.len() >= self.config.max_recipients {
            return Reply::new(452, Some("4.5.3"), "too many recipients");
        }
        let decision = self
            .sink
            .recipient(self.peer, &transaction.mail_from, &to)
            .await;
        match decision {
            Ok(()) => {
                if !transaction.rcpt_to.contains(&to) {
                    transaction.rcpt_to.push(to);
                }
                Reply::new(250, Some("2.1.5"), "recipient OK")
            }
            Err(reply) => reply,
        }
    }

    /// Answers DATA: 354, the message, then the sink's verdict (or 552 if it was too large).
    async fn data(&mut self) -> io::Result<Reply> {
        let transaction = match self.transaction.take() {
            None => return Ok(bad_sequence("send MAIL first")),
            Some(transaction) if transaction.rcpt_to.is_empty() => {
                self.transaction = Some(transaction);
                return Ok(Reply::new(554, Some("5.5.1"), "no valid recipients"));
            }
            Some(transaction) => transaction,
        };
        let go_ahead = Reply::new(354, None, "end data with <CR><LF>.<CR><LF>");
        self.send(&go_ahead).await?;
        let Some(data) = self.read_message().await? else {
            return Ok(too_large(self.config.max_message_bytes));
        };
        let envelope = Envelope {
            peer: self.peer,
            helo: self.helo.clone().unwrap_or_default(),
            mail_from: transaction.mail_from,
            rcpt_to: transaction.rcpt_to,
        };
        tracing::debug!(peer = %self.peer, ?envelope, bytes = data.len(), "smtp message received");
        let (Ok(reply) | Err(reply)) = self.sink.deliver(&envelope, data).await;
        Ok(reply)
    }

    /// Reads the message up to its lone "." line, undoing dot-stuffing and turning bare LF line
    /// endings into CRLF. Returns `None` when it is larger than `max_message_bytes`: past that
    /// point only the first bytes of each line are kept, to spot the end.
    async fn read_message(&mut self) -> io::Result<Option<Vec<u8>>> {
        let max = self.config.max_message_bytes;
        let mut data = Vec::new();
        let mut too_large = false;
        loop {
            let start = data.len();
            // Room for what is left of the budget, plus ".\r\n" to tell the end from an overflow.
            let limit = if too_large {
                3
            } else {
                max.saturating_sub(start) + 3
            };
            match self.read_line_timed(&mut data, limit).await? {
                Line::Eof => return Err(io::ErrorKind::UnexpectedEof.into()),
                Line::Truncated => {
                    too_large = true;
                    data.clear();
                    continue;
                }
                Line::Complete => {}
            }
            let line = &data[start..];
            if line == b".\r\n" || line == b".\n" {
                data.truncate(start);
                break;
            }
            if too_large {
                data.clear();
                continue;
            }
            if line.starts_with(b".") {
                data.remove(start);
            }
            let line = &data[start..];
            if line.ends_with(b"\n") && !line.ends_with(b"\r\n") {
                data.reserve_exact(1);
                data.insert(data.len() - 1, b'\r');
            }
            if data.len() > max {
                too_large = true;
                data.clear();
            }
        }
        Ok((!too_large).then_some(data))
    }

    /// [`read_line`] within the idle timeout; on timeout, sends 421 and fails with `TimedOut`.
    async fn read_line_timed(&mut self, buf: &mut Vec<u8>, limit: usize) -> io::Result<Line> {
        match timeout(
            self.config.idle_timeout,
            read_line(&mut self.io, buf, limit),
        )
        .await
        {
            Ok(result) => result,
            Err(_) => {
                let reply = Reply::new(421, Some("4.4.2"), "idle timeout, closing connection");
                self.send(&reply).await?;
                Err(io::ErrorKind::TimedOut.into())
            }
        }
    }

    /// Sends one reply, giving up after the idle timeout if the client does not read.
    async fn send(&mut self, reply: &Reply) -> io::Result<()> {
        tracing::debug!(peer = %self.peer, %reply, "smtp reply");
        let wire = reply.to_wire();
        let io = &mut self.io;
        // TLS buffers what it encrypts: flush, or the reply never leaves.
        let write = async move {
            io.write_all(wire.as_bytes()).await?;
            io.flush().await
        };
        timeout(self.config.idle_timeout, write)
            .await
            .unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into()))
    }
}

fn auth_cancelled() -> Reply {
    Reply::new(501, Some("5.0.0"), "authentication cancelled")
}

fn decode_b64(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
}

fn too_large(max: usize) -> Reply {
    Reply::new(
        552,
        Some("5.3.4"),
        format!("message exceeds fixed maximum message size of {max} bytes"),
    )
}
