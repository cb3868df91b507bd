//! How a sender address hands a message over: an SMTP relay (lettre) or a Postmark-compatible
//! HTTP API. Each attempt ends in one [`Attempt`]: the reply code and text the other side
//! gave, or a connection failure (treated like a 4xx: tried again later).

use super::egress::Egress;
use crate::domain::address::mailbox;
use crate::domain::bounce::EnhancedStatus;
pub use crate::domain::transport_config::{Security, TransportConfig};
use std::sync::Arc;
use std::time::Duration;

/// How long one attempt may take before it counts as a transient failure.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// How this process hands mail over: the operator's outbound policy ([`Egress`], from
/// `serve`'s flags), the extra CAs relays may chain to ([`TrustRoots`]) and the deployment's
/// shared transport. Each service that sends holds one, so two apps in one process may send
/// under different policies and trust different CAs.
#[derive(Clone, Default)]
pub struct Transports {
    egress: Arc<Egress>,
    roots: TrustRoots,
    shared: Option<Arc<TransportConfig>>,
}

impl Transports {
    /// Sends under `egress`, through no shared transport.
    pub fn new(egress: Egress) -> Self {
        Transports {
            egress: Arc::new(egress),
            roots: TrustRoots::default(),
            shared: None,
        }
    }

    /// The policy account transports are held to.
    pub fn egress(&self) -> &Egress {
        &self.egress
    }

    /// The same, under another policy.
    pub fn with_egress(mut self, egress: Egress) -> Self {
        self.egress = Arc::new(egress);
        self
    }

    /// The same, trusting `roots` for relays' TLS on top of the public roots.
    pub fn with_trust_roots(mut self, roots: TrustRoots) -> Self {
        self.roots = roots;
        self
    }

    /// The same, with the deployment's shared transport `shared` (or none).
    pub fn with_shared(mut self, shared: Option<Arc<TransportConfig>>) -> Self {
        self.shared = shared;
        self
    }

    /// Sends through `config`, or through the deployment's shared transport when `config` is
    /// [`TransportConfig::Shared`] (no shared transport configured: no answer, tried again
    /// later).
    pub async fn send(
        &self,
        config: &TransportConfig,
        mail_from: &str,
        to: &str,
        raw: &[u8],
    ) -> Attempt {
        match (config, self.shared.as_deref()) {
            // The operator set the shared transport (serve options), not an account: the
            // private address check guards against accounts, so it does not apply here.
            (TransportConfig::Shared, Some(s)) => {
                send_under(&Egress::allow_private(), &self.roots, s, mail_from, to, raw).await
            }
            (c, _) => send_under(&self.egress, &self.roots, c, mail_from, to, raw).await,
        }
    }
}

/// Certificates trusted for relays on top of the public roots (PEM): a relay whose certificate
/// comes from a private CA. `serve` loads `SMTP_CA_FILE` into the app's [`Transports`] at start
/// ([`crate::config::Config::trust_roots`]); none by default.
#[derive(Clone, Default)]
pub struct TrustRoots(Arc<Vec<Vec<u8>>>);

impl TrustRoots {
    /// Trusts the CA certificate(s) in `pem`.
    pub fn from_pem(pem: &[u8]) -> Result<Self, String> {
        lettre::transport::smtp::client::Certificate::from_pem(pem)
            .map_err(|e| format!("not a PEM certificate: {e}"))?;
        Ok(TrustRoots(Arc::new(vec![pem.to_vec()])))
    }

    /// No certificate beyond the public roots.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for TrustRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TrustRoots").field(&self.0.len()).finish()
    }
}

fn tls_parameters(
    host: &str,
    roots: &TrustRoots,
) -> Result<lettre::transport::smtp::client::TlsParameters, String> {
    use lettre::transport::smtp::client::{Certificate, TlsParameters};
    let mut builder = TlsParameters::builder(host.to_string());
    for pem in roots.0.iter() {
        let cert = Certificate::from_pem(pem).map_err(|e| e.to_string())?;
        builder = builder.add_root_certificate(cert);
    }
    builder.build_rustls().map_err(|e| e.to_string())
}

/// Replies to AUTH (RFC 4954 §6) and "authentication required": the relay refused *our* login,
/// which says nothing about the recipient. Like Postfix, the message is deferred (fix the
/// password and the retry goes through) instead of bouncing the recipient.
fn is_login_failure(code: u16) -> bool {
    matches!(code, 454 | 530 | 534 | 535 | 538)
}

/// The result of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The other side answered: 2xx accepted, 4xx try later, 5xx refused for good.
    Reply {
        code: u16,
        enhanced: Option<String>,
        text: String,
        /// The provider's id for the message (Postmark's `MessageID`).
        provider_message_id: Option<String>,
    },
    /// No answer at all (DNS, connection, TLS, timeout): tried again later.
    Unreachable(String),
}

impl Attempt {
    /// (code, enhanced status, text, provider's message id). No answer at all counts as
    /// `421 4.4.1`: transient, tried again later.
    pub fn into_parts(self) -> (u16, Option<String>, String, Option<String>) {
        match self {
            Attempt::Reply {
                code,
                enhanced,
                text,
                provider_message_id,
            } => (code, enhanced, text, provider_message_id),
            Attempt::Unreachable(why) => (
                421,
                Some("4.4.1".to_string()),
                format!("no answer: {why}"),
                None,
            ),
        }
    }

    fn reply(code: u16, text: impl Into<String>) -> Attempt {
        let text = text.into();
        Attempt::Reply {
            code,
            enhanced: EnhancedStatus::find(&text).map(|s| s.to_string()),
            text,
            provider_message_id: None,
        }
    }
}

/// Sends `raw` (a complete RFC 5322 message) from `mail_from` (the envelope sender) to `to`,
/// connecting only where `policy` allows; a relay's TLS may chain to `roots` as well as to the
/// public roots.
pub async fn send_under(
    policy: &Egress,
    roots: &TrustRoots,
    config: &TransportConfig,
    mail_from: &str,
    to: &str,
    raw: &[u8],
) -> Attempt {
    match config {
        TransportConfig::Smtp {
            host,
            port,
            security,
            login,
        } => {
            // Connect to an address that was checked, not to the name (which could resolve
            // elsewhere a moment later); TLS still verifies the name.
            let addr = match policy.resolve(host, *port).await {
                Ok(addrs) => addrs[0],
                Err(why) => return Attempt::Unreachable(why),
            };
            let relay = Relay {
                host,
                addr,
                security: *security,
                login: login.as_ref(),
                roots,
            };
            smtp(relay, mail_from, to, raw).await
        }
        TransportConfig::Postmark {
            base_url,
            server_token,
        } => postmark(policy, base_url, server_token, raw).await,
        TransportConfig::Shared => Attempt::Unreachable(
            "this deployment has no shared transport configured (serve --shared-relay)".into(),
        ),
    }
}

/// Where an SMTP attempt goes: the relay's name (for TLS and messages) and the checked address.
struct Relay<'a> {
    host: &'a str,
    addr: std::net::SocketAddr,
    security: Security,
    login: Option<&'a (String, String)>,
    roots: &'a TrustRoots,
}

async fn smtp(relay: Relay<'_>, mail_from: &str, to: &str, raw: &[u8]) -> Attempt {
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::transport::smtp::client::Tls;
    use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

    let (Ok(from), Ok(rcpt)) = (mail_from.parse::<Address>(), to.parse::<Address>()) else {
        return Attempt::reply(
            553,
            format!("5.1.3 invalid address {to:?} or {mail_from:?}"),
        );
    };
    let Relay {
        host,
        addr,
        security,
        login,
        roots,
    } = relay;
    let port = addr.port();
    let envelope = match lettre::address::Envelope::new(Some(from), vec![rcpt]) {
        Ok(e) => e,
        Err(e) => return Attempt::reply(553, format!("5.1.3 {e}")),
    };
    let tls = match security {
        Security::None => Tls::None,
        Security::StartTls | Security::Tls => match tls_parameters(host, roots) {
            Ok(p) if security == Security::Tls => Tls::Wrapper(p),
            Ok(p) => Tls::Required(p),
            Err(e) => return Attempt::Unreachable(format!("TLS setup for {host}: {e}")),
        },
    };
    let result = match tls {
        // Implicit TLS: lettre's own connection (the TLS handshake comes before EHLO).
        Tls::Wrapper(_) => {
            let mut builder =
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
                    .port(port)
                    .tls(tls)
                    .timeout(Some(SEND_TIMEOUT));
            if let Some((user, password)) = login {
                builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
            }
            builder.build().send_raw(&envelope, raw).await
        }
        tls => match connect_nodelay(addr, SEND_TIMEOUT).await {
            Ok(stream) => send_on(stream, tls, login, &envelope, raw).await,
            Err(e) => return Attempt::Unreachable(format!("{host}:{port}: {e}")),
        },
    };
    match result {
        Ok(response) => {
            let text = response.message().collect::<Vec<_>>().join(" ");
            let code = response.code().to_string().parse().unwrap_or(250);
            Attempt::reply(code, text)
        }
        Err(e) => match e.status() {
            Some(code) => {
                let code: u16 = code.to_string().parse().unwrap_or(451);
                // lettre's text is "permanent error (550): 5.1.1 …"; keep the server's words.
                let full = e.to_string();
                let text = full
                    .split_once("): ")
                    .map(|(_, t)| t.to_string())
                    .unwrap_or(full);
                if is_login_failure(code) {
                    return Attempt::Unreachable(format!(
                        "relay {host}:{port} refused the login ({code}): {text}"
                    ));
                }
                Attempt::reply(code, text)
            }
            None => Attempt::Unreachable(format!("{host}:{port}: {e}")),
        },
    }
}

/// A TCP connection to the relay with Nagle's algorithm off. lettre writes a message's body and
/// its final `CRLF . CRLF` as two writes; with Nagle on, the second waits for the relay's ACK of
/// the first, which Linux delays by about 40 ms: 40 ms added to every message sent.
async fn connect_nodelay(
    addr: std::net::SocketAddr,
    timeout: std::time::Duration,
) -> std::io::Result<tokio::net::TcpStream> {
    let stream = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connection timed out"))??;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// EHLO, STARTTLS when asked for, AUTH, then the message, on a stream we connected: what
/// lettre's `AsyncSmtpTransport::send_raw` does, minus its own connect.
async fn send_on(
    stream: tokio::net::TcpStream,
    tls: lettre::transport::smtp::client::Tls,
    login: Option<&(String, String)>,
    envelope: &lettre::address::Envelope,
    raw: &[u8],
) -> Result<lettre::transport::smtp::response::Response, lettre::transport::smtp::Error> {
    use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
    use lettre::transport::smtp::client::{AsyncSmtpConnection, Tls};
    use lettre::transport::smtp::extension::ClientId;

    let hello = ClientId::default();
    let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &hello).await?;
    match tls {
        Tls::Required(params) => conn.starttls(params, &hello).await?,
        Tls::Opportunistic(params) if conn.can_starttls() => conn.starttls(params, &hello).await?,
        _ => {}
    }
    if let Some((user, password)) = login {
        conn.auth(
            DEFAULT_MECHANISMS,
            &Credentials::new(user.clone(), password.clone()),
        )
        .await?;
    }
    let response = conn.send(envelope, raw).await;
    conn.abort().await;
    response
}

/// Postmark's `POST /email`: the message's own fields as JSON, answered with an `ErrorCode`
/// (0 = accepted) and the provider's `MessageID`.
async fn postmark(policy: &Egress, base_url: &str, server_token: &str, raw: &[u8]) -> Attempt {
    if let Err(why) = super::egress::check_api_url(policy, base_url) {
        return Attempt::Unreachable(why);
    }
    let Some(message) = mail_parser::MessageParser::default().parse(raw) else {
        return Attempt::reply(554, "5.6.0 the message could not be read back for the API");
    };
    // One mailbox each, its display name quoted: the name is the contact's own (from their
    // From), and unquoted a comma in it would add a recipient the gate never saw.
    let addr = |a: Option<&mail_parser::Address>| {
        a.and_then(|a| a.first())
            .and_then(|a| a.address().map(|e| mailbox(a.name(), e)))
            .unwrap_or_default()
    };
    let mut headers = Vec::new();
    for name in ["Message-ID", "In-Reply-To", "References"] {
        if let Some(v) = message.header_raw(name) {
            headers.push(serde_json::json!({"Name": name, "Value": v.trim()}));
        }
    }
    let body = serde_json::json!({
        "From": addr(message.from()),
        "To": addr(message.to()),
        "Subject": message.subject().unwrap_or(""),
        "TextBody": message.body_text(0).unwrap_or_default(),
        "Headers": headers,
        "MessageStream": "outbound",
    });
    let client = match reqwest::Client::builder()
        .timeout(SEND_TIMEOUT)
        // A redirect could lead anywhere, a private address included.
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(std::sync::Arc::new(super::egress::EgressResolver(
            policy.clone(),
        )))
        .build()
    {
        Ok(c) => c,
        Err(e) => return Attempt::Unreachable(format!("HTTP client: {e}")),
    };
    let url = format!("{}/email", base_url.trim_end_matches('/'));
    let response = match client
        .post(&url)
        .header("X-Postmark-Server-Token", server_token)
        .header("Accept", "application/json")
        .json(&body)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => return Attempt::Unreachable(format!("{url}: {e}")),
    };
    let status = response.status();
    let v: serde_json::Value = response.json().await.unwrap_or_default();
    let error_code = v.get("ErrorCode").and_then(|c| c.as_i64()).unwrap_or(-1);
    let text = v
        .get("Message")
        .and_then(|m| m.as_str())
        .unwrap_or("")
        .to_string();
    if status.is_success() && error_code == 0 {
        return Attempt::Reply {
            code: 250,
            enhanced: Some("2.0.0".into()),
            text: format!("accepted by the API: {text}"),
            provider_message_id: v
                .get("MessageID")
                .and_then(|m| m.as_str())
                .map(str::to_string),
        };
    }
    match (status.as_u16(), error_code) {
        // 406: the recipient is inactive at the provider (it bounced or complained before).
        (_, 406) => Attempt::reply(550, format!("5.1.1 inactive recipient: {text}")),
        // 300: invalid email request (bad address and the like): permanent.
        (_, 300) => Attempt::reply(553, format!("5.1.3 {text}")),
        (401, _) | (_, 10) => Attempt::reply(454, format!("4.7.0 API token refused: {text}")),
        (429, _) => Attempt::reply(451, format!("4.7.1 rate limited: {text}")),
        (s, _) if s >= 500 => Attempt::reply(451, format!("4.3.0 API error {s}: {text}")),
        (s, c) => Attempt::reply(
            554,
            format!("5.0.0 API refused (HTTP {s}, ErrorCode {c}): {text}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[tokio::test]
    async fn relay_connections_have_nagle_off() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stream = super::connect_nodelay(listener.local_addr().unwrap(), Duration::from_secs(5))
            .await
            .unwrap();
        assert!(stream.nodelay().unwrap());
    }
}
