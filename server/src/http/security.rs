//! The edges every request passes: the client's address, cross-site POSTs refused (login CSRF),
//! security headers with a per-response CSP nonce, brute-force limits on HTTP Basic, a deadline
//! per request and a cap on requests in flight.

use super::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The HTTP side's security settings; read once at start ([`HttpConfig::from_config`]).
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// `scheme://host[:port]` of `PUBLIC_URL`, when set: a POST from there is our own.
    pub public_origin: Option<String>,
    /// Served over https (`PUBLIC_URL` starts with `https://`): cookies get `Secure`, responses
    /// carry HSTS.
    pub https: bool,
    /// Take the client's address from the last `X-Forwarded-For` entry (behind a proxy that
    /// sets it) instead of the TCP peer.
    pub trust_forwarded_for: bool,
    /// How long a client may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// How long one request may take, body upload included (408 after).
    pub request_timeout: Duration,
    /// Requests handled at once; more get 503 with `Retry-After`.
    pub max_in_flight: usize,
    /// Connections open at once; more wait in the listen queue.
    pub max_connections: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            public_origin: None,
            https: false,
            trust_forwarded_for: false,
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_in_flight: 512,
            max_connections: 2048,
        }
    }
}

impl HttpConfig {
    /// From the operator's settings: the public URL (its origin, and whether it is https) and
    /// whether the proxy's `X-Forwarded-For` is trusted.
    pub fn from_config(config: &crate::config::Config, public_url: &str) -> Self {
        HttpConfig {
            trust_forwarded_for: config.trust_forwarded_for,
            ..HttpConfig::default().with_public_url(public_url)
        }
    }

    pub fn with_public_url(mut self, public_url: &str) -> Self {
        self.public_origin = origin_of(public_url);
        self.https = public_url
            .trim()
            .to_ascii_lowercase()
            .starts_with("https://");
        self
    }
}

/// `scheme://authority` of a URL, lower-cased; `None` if it has no scheme.
fn origin_of(url: &str) -> Option<String> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}").to_ascii_lowercase())
}

/// The client's address, put into the request's extensions by [`edge_layer`].
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

/// The nonce this response's inline scripts carry (and its CSP allows).
#[derive(Debug, Clone)]
pub struct CspNonce(pub Arc<str>);

fn client_ip(req: &Request, config: &HttpConfig) -> Option<IpAddr> {
    if config.trust_forwarded_for {
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .next_back();
        if forwarded.is_some() {
            return forwarded;
        }
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// A state-changing request a browser sent from another site: its `Origin` is not ours, or its
/// `Sec-Fetch-Site` says cross-site / same-site. Requests without either (curl, providers'
/// webhooks) are not from a browser page and pass.
pub fn is_cross_site(headers: &HeaderMap, config: &HttpConfig) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site.trim(), "same-origin" | "none") {
            return true;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Ok(origin) = origin.to_str() else {
        return true;
    };
    let origin = origin.trim().to_ascii_lowercase();
    if config.public_origin.as_deref() == Some(origin.as_str()) {
        return false;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.trim().to_ascii_lowercase());
    match (origin.split_once("://"), host) {
        (Some((_, authority)), Some(host)) => authority != host,
        _ => true, // "null" (a sandboxed page, a redirect chain) or no Host
    }
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Paths that answer with HTTP Basic and are throttled per IP and per username.
fn is_basic_auth_path(path: &str) -> bool {
    ["/webhooks/", "/bounces/", "/inbound/"]
        .iter()
        .any(|p| path.starts_with(p))
}

fn new_nonce() -> Arc<str> {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(bytes)
        .into()
}

/// The Content-Security-Policy for a response whose inline scripts carry `nonce`. Scripts only
/// from us (and the hydration script by nonce); the WebAssembly module needs `wasm-unsafe-eval`.
/// Images may come from https (mail HTML shows them); nothing may frame us.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data: https:; font-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

fn json_error(status: StatusCode, code: &str, reason: &str) -> Response {
    (
        status,
        Json(serde_json::json!({"error": code, "reason": reason})),
    )
        .into_response()
}

fn too_many(retry_after_secs: u64, reason: &str) -> Response {
    let mut r = json_error(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", reason);
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    r
}

/// The username of an `Authorization: Basic` header, if it reads.
fn basic_username(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    decoded.split_once(':').map(|(u, _)| u.to_string())
}

/// The outermost layer: finds the client's address, refuses cross-site state changes on
/// `/api/`, throttles HTTP Basic failures, bounds requests in flight and their time, and puts
/// the security headers on every response.
pub async fn edge_layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let config = &state.http;
    let ip = client_ip(&req, config);
    req.extensions_mut().insert(ClientIp(ip));
    let nonce = new_nonce();
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let path = req.uri().path().to_string();

    let mut response = 'answer: {
        let Ok(_slot) = state.in_flight.clone().try_acquire_owned() else {
            tracing::warn!("request refused: too many in flight");
            let mut r = json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "too many requests at once; try again shortly",
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            break 'answer r;
        };
        if path.starts_with("/api/")
            && is_state_changing(req.method())
            && is_cross_site(req.headers(), config)
        {
            tracing::warn!(%path, origin = ?req.headers().get(header::ORIGIN), "cross-site request refused");
            break 'answer json_error(
                StatusCode::FORBIDDEN,
                "cross_site",
                "requests from other sites are refused",
            );
        }
        let basic_user = is_basic_auth_path(&path)
            .then(|| basic_username(req.headers()))
            .flatten();
        let mut admitted = None;
        if let Some(user) = &basic_user {
            match state
                .basic_throttle
                .check(ip, user, chrono::Utc::now())
                .await
            {
                Ok(a) => admitted = Some(a),
                Err(blocked) => {
                    tracing::warn!(?ip, "HTTP Basic refused: too many failures");
                    break 'answer too_many(
                        blocked.retry_after_secs(),
                        "too many failed attempts with this credential or from this address",
                    );
                }
            }
        }
        let response = match tokio::time::timeout(config.request_timeout, next.run(req)).await {
            Ok(r) => r,
            Err(_) => json_error(
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                "the request took too long",
            ),
        };
        if is_basic_auth_path(&path) && response.status() == StatusCode::UNAUTHORIZED {
            state
                .basic_throttle
                .failed(ip, basic_user.as_deref().unwrap_or(""), chrono::Utc::now())
                .await;
        } else if let (Some(user), Some(admitted), true) =
            (&basic_user, admitted, response.status().is_success())
        {
            state.basic_throttle.succeeded(admitted, user).await;
        }
        response
    };

    let h = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(&nonce)) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if config.https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// Inside a page render: the inline scripts get this request's nonce (the one in its CSP).
pub fn provide_csp_nonce() {
    use leptos::prelude::*;
    if let Some(nonce) =
        use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<CspNonce>().cloned())
    {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn only_other_sites_are_cross_site() {
        let config = HttpConfig::default().with_public_url("https://desk.example.com/");
        let c = |pairs: &[(&'static str, &str)]| is_cross_site(&headers(pairs), &config);
        assert!(!c(&[]));
        assert!(!c(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000")
        ]));
        assert!(!c(&[
            ("host", "internal:80"),
            ("origin", "https://desk.example.com")
        ]));
        assert!(c(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "https://evil.test")
        ]));
        assert!(c(&[("host", "127.0.0.1:3000"), ("origin", "null")]));
        assert!(c(&[("sec-fetch-site", "cross-site")]));
        assert!(c(&[("sec-fetch-site", "same-site")]));
        assert!(!c(&[("sec-fetch-site", "same-origin")]));
    }

    #[test]
    fn the_public_url_gives_origin_and_https() {
        let c = HttpConfig::default().with_public_url("https://Desk.example.com:8443/x?y");
        assert_eq!(
            c.public_origin.as_deref(),
            Some("https://desk.example.com:8443")
        );
        assert!(c.https);
        assert!(!HttpConfig::default().with_public_url("http://a").https);
    }

    #[test]
    fn the_basic_username_is_read() {
        let h = headers(&[("authorization", "Basic dXNlcjpwYXNz")]);
        assert_eq!(basic_username(&h).as_deref(), Some("user"));
        assert_eq!(
            basic_username(&headers(&[("authorization", "Bearer x")])),
            None
        );
    }
}
