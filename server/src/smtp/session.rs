//! One SMTP session: the state between the greeting and QUIT, and the commands that change it.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::time::{timeout, timeout_at, Instant};

use super::command::Command;
use super::data::{self, Cut, Data};
use super::line::{read_line, Line};
use super::reply::{bad_sequence, too_large};
use super::stream::Stream;
use super::{Envelope, MailSink, Reply, SmtpConfig, MAX_COMMAND_LINE, MAX_PROTOCOL_ERRORS};

const IDLE: &str = "idle timeout, closing connection";
const TOO_SLOW: &str = "time limit reached, closing connection";

/// The transaction between MAIL and the end of DATA (or RSET).
pub(super) struct Transaction {
    mail_from: String,
    rcpt_to: Vec<String>,
}

/// The state of one connection.
pub(super) struct Session {
    pub(super) io: BufReader<Stream>,
    pub(super) peer: SocketAddr,
    pub(super) config: Arc<SmtpConfig>,
    sink: Arc<dyn MailSink>,
    pub(super) helo: Option<String>,
    pub(super) transaction: Option<Transaction>,
    /// AUTH succeeded on this connection (only meaningful when a login is configured).
    pub(super) authenticated: bool,
    protocol_errors: u32,
    /// The session ends (421) at this point, whatever it is doing.
    deadline: Instant,
}

impl Session {
    pub(super) fn new(
        io: BufReader<Stream>,
        peer: SocketAddr,
        config: Arc<SmtpConfig>,
        sink: Arc<dyn MailSink>,
    ) -> Self {
        let config_session_timeout = config.session_timeout;
        Session {
            io,
            peer,
            config,
            sink,
            helo: None,
            transaction: None,
            authenticated: false,
            protocol_errors: 0,
            deadline: Instant::now() + config_session_timeout,
        }
    }

    /// Greets the client and answers its commands until QUIT, end of stream or a timeout.
    pub(super) async fn run(mut self) -> io::Result<()> {
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
        let deadline = (Instant::now() + self.config.data_timeout).min(self.deadline);
        let received = data::receive(
            &mut self.io,
            self.config.max_message_bytes,
            self.config.idle_timeout,
            deadline,
        )
        .await?;
        let data = match received {
            Ok(Data::Message(data)) => data,
            Ok(Data::TooLarge) => return Ok(too_large(self.config.max_message_bytes)),
            Ok(Data::BareLineEnding) => {
                tracing::info!(peer = %self.peer, "smtp message refused: bare CR or LF in DATA");
                return Ok(Reply::new(
                    554,
                    Some("5.6.0"),
                    "bare CR or LF in message data: lines must end in CRLF (RFC 5321 2.3.8)",
                ));
            }
            Err(Cut::Eof) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Err(Cut::Idle) => return Err(self.time_out(IDLE).await),
            Err(Cut::Deadline) => return Err(self.time_out(TOO_SLOW).await),
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

    /// [`read_line`] within the idle timeout and the session's deadline; past either, sends
    /// 421 and fails with `TimedOut`.
    pub(super) async fn read_line_timed(
        &mut self,
        buf: &mut Vec<u8>,
        limit: usize,
    ) -> io::Result<Line> {
        let idle = Instant::now() + self.config.idle_timeout;
        match timeout_at(idle.min(self.deadline), read_line(&mut self.io, buf, limit)).await {
            Ok(result) => result,
            Err(_) if idle < self.deadline => Err(self.time_out(IDLE).await),
            Err(_) => Err(self.time_out(TOO_SLOW).await),
        }
    }

    /// Sends 421 with `why` and returns the error that ends the session.
    async fn time_out(&mut self, why: &str) -> io::Error {
        let reply = Reply::new(421, Some("4.4.2"), why);
        match self.send(&reply).await {
            Ok(()) => io::ErrorKind::TimedOut.into(),
            Err(e) => e,
        }
    }

    /// Sends one reply, giving up after the idle timeout if the client does not read.
    pub(super) async fn send(&mut self, reply: &Reply) -> io::Result<()> {
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
