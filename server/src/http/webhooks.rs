//! Deliverability ingest over HTTP: `POST /webhooks/{postmark,ses,sendgrid,mailgun}` and
//! `POST /bounces/raw` (a raw notice as `message/rfc822`).
//!
//! Every request carries the account's webhook credential (HTTP Basic); without it the answer
//! is 401 and nothing is stored. The provider's own signature is checked on top where the
//! provider signs (SNS: RSA over an X.509 certificate; SendGrid: ECDSA P-256 when a key is
//! configured; Mailgun: HMAC-SHA256), and so is its timestamp (a replay of an old signed
//! request is refused; a Mailgun token is taken once), and for SNS the topic the account set.
//! The answer is 2xx only after the events are committed.

use super::AppState;
use crate::domain::bounce::esp::freshness::{self, Freshness};
use crate::domain::bounce::{self, Provider};
use crate::domain::suppression::{AccountId, LogKind};
use crate::services::ingest::{IngestReport, IngestService, RawError};
use crate::storage::deliverability::{self as store, WebhookCredential};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use chrono::Utc;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Provider JSON bodies: SendGrid batches are the largest, far below this.
pub const JSON_BODY_LIMIT: usize = 5 * 1024 * 1024;
/// A raw notice may quote the whole message; the classifier reads at most 10 MiB.
pub const RAW_BODY_LIMIT: usize = bounce::MAX_MESSAGE_BYTES;

/// Where SNS signing certificates come from. The server has no way out to the network, so the
/// certificate for a `SigningCertURL` is looked up locally (a configured PEM file) or injected
/// (tests).
pub trait SnsCertSource: Send + Sync {
    /// The PEM certificate for `url`, or `None` when it is unknown.
    fn certificate(&self, url: &str) -> Option<Vec<u8>>;
}

/// No certificates: SNS messages cannot be verified and are refused.
pub struct NoSnsCerts;

impl SnsCertSource for NoSnsCerts {
    fn certificate(&self, _url: &str) -> Option<Vec<u8>> {
        None
    }
}

/// Certificates by `SigningCertURL`; a `*` key answers for every (already validated) URL.
#[derive(Default, Clone)]
pub struct StaticSnsCerts(pub HashMap<String, Vec<u8>>);

impl SnsCertSource for StaticSnsCerts {
    fn certificate(&self, url: &str) -> Option<Vec<u8>> {
        self.0.get(url).or_else(|| self.0.get("*")).cloned()
    }
}

impl StaticSnsCerts {
    /// One PEM file used for every SNS URL (`SNS_SIGNING_CERT_FILE`).
    pub fn from_file(path: &std::path::Path) -> anyhow::Result<Self> {
        use anyhow::Context;
        let pem = std::fs::read(path)
            .with_context(|| format!("Failed to read the SNS certificate {}", path.display()))?;
        Ok(StaticSnsCerts(HashMap::from([("*".to_string(), pem)])))
    }
}

/// What the webhook routes need beside the database.
#[derive(Clone)]
pub struct WebhookState {
    pub ingest: IngestService,
    pub sns_certs: Arc<dyn SnsCertSource>,
}

impl WebhookState {
    /// SNS certificates from `sns_signing_cert_file` (the operator's `SNS_SIGNING_CERT_FILE`)
    /// when given; otherwise SNS is refused.
    pub fn new(ingest: IngestService, sns_signing_cert_file: Option<&std::path::Path>) -> Self {
        let sns_certs: Arc<dyn SnsCertSource> = match sns_signing_cert_file {
            Some(path) => match StaticSnsCerts::from_file(path) {
                Ok(c) => Arc::new(c),
                Err(e) => {
                    tracing::error!(error = ?e, "SNS certificate not loaded; SES webhooks will be refused");
                    Arc::new(NoSnsCerts)
                }
            },
            None => Arc::new(NoSnsCerts),
        };
        WebhookState { ingest, sns_certs }
    }
}

/// Everything a webhook request can fail with, mapped to a status once.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("signature check failed: {0}")]
    BadSignature(String),
    /// Signed, but stale or seen before: a replay.
    #[error("refused as a replay: {0}")]
    Replayed(String),
    /// Signed, but for a topic the account did not name.
    #[error("{0}")]
    WrongTopic(String),
    #[error("{0}")]
    Malformed(String),
    #[error("body larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    NotConfigured(String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl WebhookError {
    fn status(&self) -> StatusCode {
        match self {
            WebhookError::Unauthorized(_)
            | WebhookError::BadSignature(_)
            | WebhookError::Replayed(_) => StatusCode::UNAUTHORIZED,
            WebhookError::WrongTopic(_) => StatusCode::FORBIDDEN,
            WebhookError::Malformed(_) => StatusCode::BAD_REQUEST,
            WebhookError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            WebhookError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            WebhookError::NotConfigured(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebhookError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            WebhookError::Unauthorized(_) => "unauthorized",
            WebhookError::BadSignature(_) => "bad_signature",
            WebhookError::Replayed(_) => "replayed",
            WebhookError::WrongTopic(_) => "wrong_topic",
            WebhookError::Malformed(_) => "malformed",
            WebhookError::TooLarge { .. } => "too_large",
            WebhookError::UnsupportedMediaType(_) => "unsupported_media_type",
            WebhookError::NotConfigured(_) => "not_configured",
            WebhookError::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for WebhookError {
    fn into_response(self) -> Response {
        if let WebhookError::Internal(e) = &self {
            tracing::error!(error = ?e, "webhook ingest failed");
        }
        let status = self.status();
        let body = Json(json!({"error": self.code(), "reason": self.to_string()}));
        if status == StatusCode::UNAUTHORIZED {
            (
                status,
                [(
                    header::WWW_AUTHENTICATE,
                    "Basic realm=\"deliverdesk-webhooks\"",
                )],
                body,
            )
                .into_response()
        } else {
            (status, body).into_response()
        }
    }
}

impl From<RawError> for WebhookError {
    fn from(e: RawError) -> Self {
        match e {
            RawError::TooLarge(_) => WebhookError::TooLarge {
                limit: RAW_BODY_LIMIT,
            },
            RawError::Io(e) => WebhookError::Internal(e),
        }
    }
}

/// The webhook routes, each with its own body limit.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/webhooks/postmark", post(postmark))
        .route("/webhooks/ses", post(ses))
        .route("/webhooks/sendgrid", post(sendgrid))
        .route("/webhooks/mailgun", post(mailgun))
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .merge(
            Router::new()
                .route("/bounces/raw", post(raw))
                .layer(DefaultBodyLimit::max(RAW_BODY_LIMIT)),
        )
}

type Answer = Result<Json<IngestReport>, WebhookError>;

pub(super) fn body(
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<Bytes, WebhookError> {
    body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            WebhookError::TooLarge { limit }
        } else {
            WebhookError::Malformed(r.body_text())
        }
    })
}

/// A raw message must come as `message/rfc822` (plain text and octets are tolerated).
pub(super) fn check_rfc822(headers: &HeaderMap) -> Result<(), WebhookError> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
        let essence = ct.split(';').next().unwrap_or("").trim();
        if !matches!(
            essence,
            "message/rfc822" | "text/plain" | "application/octet-stream" | ""
        ) {
            return Err(WebhookError::UnsupportedMediaType(format!(
                "expected message/rfc822, got {essence}"
            )));
        }
    }
    Ok(())
}

/// The account's credential from `Authorization: Basic …`.
pub(super) async fn authenticate(
    ingest: &IngestService,
    headers: &HeaderMap,
) -> Result<WebhookCredential, WebhookError> {
    const MISSING: &str = "webhook credential missing or wrong (HTTP Basic)";
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(WebhookError::Unauthorized(MISSING))?;
    let (scheme, encoded) = value
        .trim()
        .split_once(' ')
        .ok_or(WebhookError::Unauthorized(MISSING))?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(WebhookError::Unauthorized(MISSING));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|d| String::from_utf8(d).ok())
        .ok_or(WebhookError::Unauthorized(MISSING))?;
    let (user, password) = decoded
        .split_once(':')
        .ok_or(WebhookError::Unauthorized(MISSING))?;
    ingest
        .authenticate(user, password)
        .await?
        .ok_or(WebhookError::Unauthorized(MISSING))
}

async fn ingest_json(
    state: &AppState,
    account_id: AccountId,
    provider: Provider,
    body: &[u8],
) -> Answer {
    let events =
        bounce::classify_esp(provider, body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let report = state
        .webhooks
        .ingest
        .ingest_esp(account_id, provider, &events, body, Utc::now())
        .await?;
    Ok(Json(report))
}

/// An SES notification whose SNS signature verified under the operator's certificate.
async fn ingest_operator_signed(state: &AppState, account_id: AccountId, body: &[u8]) -> Answer {
    let events = bounce::classify_esp(Provider::Ses, body)
        .map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let report = state
        .webhooks
        .ingest
        .ingest_esp_operator_signed(account_id, Provider::Ses, &events, body, Utc::now())
        .await?;
    Ok(Json(report))
}

#[tracing::instrument(skip_all)]
async fn postmark(
    State(state): State<AppState>,
    headers: HeaderMap,
    payload: Result<Bytes, BytesRejection>,
) -> Answer {
    let cred = authenticate(&state.webhooks.ingest, &headers).await?;
    let payload = body(payload, JSON_BODY_LIMIT)?;
    ingest_json(&state, cred.account_id, Provider::Postmark, &payload).await
}

#[tracing::instrument(skip_all)]
async fn sendgrid(
    State(state): State<AppState>,
    headers: HeaderMap,
    payload: Result<Bytes, BytesRejection>,
) -> Answer {
    let cred = authenticate(&state.webhooks.ingest, &headers).await?;
    let payload = body(payload, JSON_BODY_LIMIT)?;
    if let Some(key) = cred.sendgrid_public_key.as_deref() {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let signature = header("x-twilio-email-event-webhook-signature")
            .ok_or_else(|| WebhookError::BadSignature("signature header missing".into()))?;
        let timestamp = header("x-twilio-email-event-webhook-timestamp")
            .ok_or_else(|| WebhookError::BadSignature("timestamp header missing".into()))?;
        signatures::verify_sendgrid(key, signature, timestamp, &payload)
            .map_err(WebhookError::BadSignature)?;
        Freshness::of_unix(timestamp, Utc::now(), freshness::SIGNED_POST_MAX_AGE)
            .check()
            .map_err(|e| WebhookError::Replayed(e.into()))?;
    }
    ingest_json(&state, cred.account_id, Provider::Sendgrid, &payload).await
}

#[tracing::instrument(skip_all)]
async fn mailgun(
    State(state): State<AppState>,
    headers: HeaderMap,
    payload: Result<Bytes, BytesRejection>,
) -> Answer {
    let cred = authenticate(&state.webhooks.ingest, &headers).await?;
    let payload = body(payload, JSON_BODY_LIMIT)?;
    let value: Value = serde_json::from_slice(&payload).map_err(|e| {
        WebhookError::Malformed(format!("malformed mailgun payload: not JSON: {e}"))
    })?;
    let key = cred.mailgun_signing_key.as_deref().ok_or_else(|| {
        WebhookError::NotConfigured(
            "no Mailgun signing key is configured for this account's webhook credential".into(),
        )
    })?;
    let sig = value.get("signature").ok_or_else(|| {
        WebhookError::Malformed("malformed mailgun payload: no signature object".into())
    })?;
    let field = |k: &str| match sig.get(k) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let (Some(timestamp), Some(token), Some(signature)) =
        (field("timestamp"), field("token"), field("signature"))
    else {
        return Err(WebhookError::Malformed(
            "malformed mailgun payload: signature needs timestamp, token and signature".into(),
        ));
    };
    signatures::verify_mailgun(key, &timestamp, &token, &signature)
        .map_err(WebhookError::BadSignature)?;
    let now = Utc::now();
    Freshness::of_unix(&timestamp, now, freshness::SIGNED_POST_MAX_AGE)
        .check()
        .map_err(|e| WebhookError::Replayed(e.into()))?;
    // Within the window the same signed request could be sent again: each token is taken once.
    let forget_before = now - freshness::SIGNED_POST_MAX_AGE - freshness::MAX_CLOCK_SKEW;
    let provider = Provider::Mailgun.as_str();
    if !state
        .db
        .claim_webhook_token(cred.account_id, provider, &token, now, forget_before)
        .await?
    {
        return Err(WebhookError::Replayed("token already used".into()));
    }
    let answer = ingest_json(&state, cred.account_id, Provider::Mailgun, &payload).await;
    if answer.is_err() {
        state.db.release_webhook_token(provider, &token).await?;
    }
    answer
}

#[tracing::instrument(skip_all)]
async fn ses(
    State(state): State<AppState>,
    headers: HeaderMap,
    payload: Result<Bytes, BytesRejection>,
) -> Result<Response, WebhookError> {
    let cred = authenticate(&state.webhooks.ingest, &headers).await?;
    let payload = body(payload, JSON_BODY_LIMIT)?;
    let value: Value = serde_json::from_slice(&payload)
        .map_err(|e| WebhookError::Malformed(format!("malformed ses payload: not JSON: {e}")))?;
    let message = signatures::SnsMessage::from_json(&value).map_err(WebhookError::Malformed)?;
    let pem = state
        .webhooks
        .sns_certs
        .certificate(&message.signing_cert_url)
        .ok_or_else(|| {
            WebhookError::NotConfigured(format!(
                "no SNS signing certificate is configured for {}",
                message.signing_cert_url
            ))
        })?;
    message.verify(&pem).map_err(WebhookError::BadSignature)?;
    // Anyone can publish a signed notification to a topic of their own: only the account's.
    match cred.sns_topic_arn.as_deref() {
        None => {
            return Err(WebhookError::NotConfigured(
                "no SNS topic is configured for this account's webhook credential \
                 (webhook-credential --sns-topic-arn)"
                    .into(),
            ))
        }
        Some(topic) if topic != message.topic_arn => {
            return Err(WebhookError::WrongTopic(format!(
                "SNS topic {} is not this account's",
                message.topic_arn
            )))
        }
        Some(_) => {}
    }
    Freshness::of_rfc3339(&message.timestamp, Utc::now(), freshness::SNS_MAX_AGE)
        .check()
        .map_err(|e| WebhookError::Replayed(e.into()))?;
    match message.kind.as_str() {
        "SubscriptionConfirmation" | "UnsubscribeConfirmation" => {
            let mut tx = state.db.begin().await?;
            store::insert_log(
                &mut tx,
                &store::NewLogEntry {
                    account_id: Some(cred.account_id),
                    at: Utc::now(),
                    kind: LogKind::SnsSubscription,
                    actor: "webhook:ses".into(),
                    subject: message.topic_arn.clone(),
                    details: json!({
                        "type": message.kind,
                        "topic_arn": message.topic_arn,
                        "subscribe_url": message.subscribe_url,
                        "message_id": message.message_id,
                        "note": "open the SubscribeURL to confirm; the server does not fetch it",
                    }),
                    event_id: None,
                },
            )
            .await?;
            tx.commit().await.map_err(anyhow::Error::from)?;
            Ok((
                StatusCode::OK,
                Json(json!({"subscription": message.kind, "recorded": true})),
            )
                .into_response())
        }
        // Signed by SNS, checked against the certificate the operator configured: the
        // account's credential alone could not have produced it.
        _ => Ok(ingest_operator_signed(&state, cred.account_id, &payload)
            .await?
            .into_response()),
    }
}

#[tracing::instrument(skip_all)]
async fn raw(
    State(state): State<AppState>,
    headers: HeaderMap,
    payload: Result<Bytes, BytesRejection>,
) -> Answer {
    let cred = authenticate(&state.webhooks.ingest, &headers).await?;
    check_rfc822(&headers)?;
    let payload = body(payload, RAW_BODY_LIMIT)?;
    if payload.iter().all(u8::is_ascii_whitespace) {
        return Err(WebhookError::Malformed("empty message".into()));
    }
    let report = state
        .webhooks
        .ingest
        .ingest_raw(cred.account_id, &payload, Utc::now())
        .await?;
    Ok(Json(report))
}

/// The providers' signature schemes, as pure functions over bytes.
pub mod signatures {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    use serde_json::Value;

    const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

    /// Mailgun: hex HMAC-SHA256 of `timestamp + token` under the account's signing key.
    pub fn verify_mailgun(
        key: &str,
        timestamp: &str,
        token: &str,
        signature: &str,
    ) -> Result<(), String> {
        let expected = hex::decode(signature.trim()).map_err(|_| "signature is not hex")?;
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes())
            .map_err(|_| "unusable signing key")?;
        mac.update(timestamp.as_bytes());
        mac.update(token.as_bytes());
        mac.verify_slice(&expected)
            .map_err(|_| "HMAC does not match".to_string())
    }

    /// SendGrid signed event webhook: base64 DER ECDSA P-256/SHA-256 signature over
    /// `timestamp + body`; the key is the base64 DER public key SendGrid shows (PEM accepted).
    pub fn verify_sendgrid(
        public_key: &str,
        signature: &str,
        timestamp: &str,
        body: &[u8],
    ) -> Result<(), String> {
        use p256::ecdsa::signature::Verifier;
        use p256::ecdsa::{Signature, VerifyingKey};
        use p256::pkcs8::DecodePublicKey;
        let key = if public_key.contains("-----BEGIN") {
            VerifyingKey::from_public_key_pem(public_key)
        } else {
            let der = B64
                .decode(public_key.trim())
                .map_err(|_| "configured key is not base64")?;
            VerifyingKey::from_public_key_der(&der)
        }
        .map_err(|e| format!("configured key is not a P-256 public key: {e}"))?;
        let der = B64
            .decode(signature.trim())
            .map_err(|_| "signature is not base64")?;
        let sig = Signature::from_der(&der).map_err(|_| "signature is not DER ECDSA")?;
        // ECDSA accepts (r, s) and (r, n − s) alike; normalise in case a signer used high S.
        let sig = sig.normalize_s().unwrap_or(sig);
        let mut message = Vec::with_capacity(timestamp.len() + body.len());
        message.extend_from_slice(timestamp.as_bytes());
        message.extend_from_slice(body);
        key.verify(&message, &sig)
            .map_err(|_| "ECDSA signature does not match".to_string())
    }

    /// The fields of an SNS message that are signed.
    #[derive(Debug, Clone)]
    pub struct SnsMessage {
        pub kind: String,
        pub message_id: String,
        pub topic_arn: String,
        pub timestamp: String,
        pub message: String,
        pub subject: Option<String>,
        pub token: Option<String>,
        pub subscribe_url: Option<String>,
        pub signature_version: String,
        pub signature: String,
        pub signing_cert_url: String,
    }

    impl SnsMessage {
        pub fn from_json(v: &Value) -> Result<SnsMessage, String> {
            let get = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
            let need = |k: &str| {
                get(k).ok_or_else(|| format!("malformed ses payload: SNS field {k} missing"))
            };
            let kind = need("Type")?;
            let confirmation = matches!(
                kind.as_str(),
                "SubscriptionConfirmation" | "UnsubscribeConfirmation"
            );
            if !confirmation && kind != "Notification" {
                return Err(format!("malformed ses payload: unknown SNS Type {kind:?}"));
            }
            Ok(SnsMessage {
                message_id: need("MessageId")?,
                topic_arn: need("TopicArn")?,
                timestamp: need("Timestamp")?,
                message: need("Message")?,
                subject: get("Subject"),
                token: if confirmation {
                    Some(need("Token")?)
                } else {
                    None
                },
                subscribe_url: if confirmation {
                    Some(need("SubscribeURL")?)
                } else {
                    None
                },
                signature_version: need("SignatureVersion")?,
                signature: need("Signature")?,
                signing_cert_url: need("SigningCertURL")?,
                kind,
            })
        }

        /// The string SNS signs: `Key\nValue\n` for each signed field, in this order.
        pub fn canonical(&self) -> String {
            let mut fields: Vec<(&str, &str)> = vec![("Message", &self.message)];
            fields.push(("MessageId", &self.message_id));
            if self.kind == "Notification" {
                if let Some(s) = &self.subject {
                    fields.push(("Subject", s));
                }
            } else if let Some(u) = &self.subscribe_url {
                fields.push(("SubscribeURL", u));
            }
            fields.push(("Timestamp", &self.timestamp));
            if self.kind != "Notification" {
                if let Some(t) = &self.token {
                    fields.push(("Token", t));
                }
            }
            fields.push(("TopicArn", &self.topic_arn));
            fields.push(("Type", &self.kind));
            fields
                .into_iter()
                .map(|(k, v)| format!("{k}\n{v}\n"))
                .collect()
        }

        /// Checks the certificate URL is an SNS one and the signature verifies under the
        /// certificate's RSA key (version 1: SHA1withRSA; version 2: SHA256withRSA).
        pub fn verify(&self, certificate_pem: &[u8]) -> Result<(), String> {
            check_cert_url(&self.signing_cert_url)?;
            let key = rsa_key_from_certificate(certificate_pem)?;
            let sig = B64
                .decode(self.signature.trim())
                .map_err(|_| "Signature is not base64")?;
            let sig = rsa::pkcs1v15::Signature::try_from(sig.as_slice())
                .map_err(|_| "Signature is not an RSA signature")?;
            let canonical = self.canonical();
            use rsa::signature::Verifier;
            let ok = match self.signature_version.as_str() {
                "1" => rsa::pkcs1v15::VerifyingKey::<sha1::Sha1>::new(key)
                    .verify(canonical.as_bytes(), &sig)
                    .is_ok(),
                "2" => rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key)
                    .verify(canonical.as_bytes(), &sig)
                    .is_ok(),
                other => return Err(format!("unknown SignatureVersion {other:?}")),
            };
            if ok {
                Ok(())
            } else {
                Err("SNS signature does not match".into())
            }
        }
    }

    /// `https://sns.<region>.amazonaws.com/…pem` only: a message must not name its own key.
    fn check_cert_url(url: &str) -> Result<(), String> {
        let rest = url
            .strip_prefix("https://")
            .ok_or("SigningCertURL is not https")?;
        let host = rest.split('/').next().unwrap_or("");
        let ok = host.starts_with("sns.")
            && (host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn"))
            && !host.contains('@')
            && !host.contains(':')
            && rest.ends_with(".pem");
        if ok {
            Ok(())
        } else {
            Err(format!(
                "SigningCertURL {url:?} is not an SNS certificate URL"
            ))
        }
    }

    fn rsa_key_from_certificate(pem: &[u8]) -> Result<rsa::RsaPublicKey, String> {
        use rsa::pkcs8::DecodePublicKey;
        use x509_cert::der::{DecodePem, Encode};
        let cert = x509_cert::Certificate::from_pem(pem)
            .map_err(|e| format!("signing certificate is not a PEM X.509 certificate: {e}"))?;
        let spki = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| format!("certificate key unreadable: {e}"))?;
        rsa::RsaPublicKey::from_public_key_der(&spki)
            .map_err(|e| format!("certificate key is not RSA: {e}"))
    }
}
