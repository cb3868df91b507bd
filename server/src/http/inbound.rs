//! Receiving mail over HTTP: `POST /inbound/postmark` (Postmark's inbound webhook JSON) and
//! `POST /inbound/raw` (`message/rfc822`). Same per-account credentials (HTTP Basic) and
//! idempotency as the delivery webhooks: a 2xx means the message is stored, and posting the
//! same message again changes nothing.

use super::webhooks::{authenticate, body, check_rfc822, WebhookError};
use super::AppState;
use crate::services::inbound::{InboundError, InboundMail, Received, MAX_INBOUND_BYTES};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use serde_json::json;

/// Postmark's JSON carries attachments in base64: a third larger than the message.
pub const POSTMARK_BODY_LIMIT: usize = MAX_INBOUND_BYTES / 3 * 4 + 256 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/inbound/postmark", post(postmark))
        .layer(DefaultBodyLimit::max(POSTMARK_BODY_LIMIT))
        .merge(
            Router::new()
                .route("/inbound/raw", post(raw))
                .layer(DefaultBodyLimit::max(MAX_INBOUND_BYTES)),
        )
}

/// Errors of this route: the webhook ones plus what the message itself can be wrong with.
enum InboundHttpError {
    Webhook(WebhookError),
    Unprocessable(String),
}

impl From<WebhookError> for InboundHttpError {
    fn from(e: WebhookError) -> Self {
        InboundHttpError::Webhook(e)
    }
}

impl From<InboundError> for InboundHttpError {
    fn from(e: InboundError) -> Self {
        match e {
            InboundError::TooLarge { limit } => {
                InboundHttpError::Webhook(WebhookError::TooLarge { limit })
            }
            InboundError::Unreadable(m) => InboundHttpError::Webhook(WebhookError::Malformed(
                format!("not a readable email message: {m}"),
            )),
            InboundError::NoSender(m) => InboundHttpError::Unprocessable(format!(
                "the message has no usable From address: {m}"
            )),
            InboundError::Io(e) => InboundHttpError::Webhook(WebhookError::Internal(e)),
        }
    }
}

impl IntoResponse for InboundHttpError {
    fn into_response(self) -> Response {
        match self {
            InboundHttpError::Webhook(e) => e.into_response(),
            InboundHttpError::Unprocessable(reason) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({"error": "unprocessable", "reason": reason})),
            )
                .into_response(),
        }
    }
}

type Answer = Result<(StatusCode, Json<Received>), InboundHttpError>;

fn answer(r: Received) -> (StatusCode, Json<Received>) {
    let status = if r.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    (status, Json(r))
}

#[tracing::instrument(skip_all)]
async fn postmark(
    State(state): State<AppState>,
    headers: HeaderMap,
    payload: Result<Bytes, BytesRejection>,
) -> Answer {
    let cred = authenticate(&state.webhooks.ingest, &headers).await?;
    let payload = body(payload, POSTMARK_BODY_LIMIT)?;
    let converted = postmark_json::to_mime(&payload).map_err(WebhookError::Malformed)?;
    let received = state
        .inbound
        .receive(
            cred.account_id,
            &InboundMail {
                raw: &converted.raw,
                source: "postmark",
                provider_id: converted.provider_id,
                client: None,
            },
            Utc::now(),
        )
        .await?;
    Ok(answer(received))
}

#[tracing::instrument(skip_all)]
async fn raw(
    State(state): State<AppState>,
    headers: HeaderMap,
    payload: Result<Bytes, BytesRejection>,
) -> Answer {
    let cred = authenticate(&state.webhooks.ingest, &headers).await?;
    check_rfc822(&headers)?;
    let payload = body(payload, MAX_INBOUND_BYTES)?;
    if payload.iter().all(u8::is_ascii_whitespace) {
        return Err(WebhookError::Malformed("empty message".into()).into());
    }
    let received = state
        .inbound
        .receive(
            cred.account_id,
            &InboundMail {
                raw: &payload,
                source: "raw",
                provider_id: None,
                client: None,
            },
            Utc::now(),
        )
        .await?;
    Ok(answer(received))
}

/// Postmark's inbound JSON as a MIME message, so every inbound path scores and stores the same
/// bytes. `RawEmail` (sent when "include raw email content" is on) is used as is; otherwise the
/// message is rebuilt from the parsed fields with mail-builder.
pub mod postmark_json {
    use base64::Engine;
    use mail_builder::headers::address::Address;
    use mail_builder::headers::raw::Raw;
    use mail_builder::MessageBuilder;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Payload {
        #[serde(default)]
        from: Option<String>,
        #[serde(default)]
        from_name: Option<String>,
        #[serde(default)]
        from_full: Option<Full>,
        #[serde(default)]
        to: Option<String>,
        #[serde(default)]
        to_full: Vec<Full>,
        #[serde(default)]
        cc_full: Vec<Full>,
        #[serde(default)]
        subject: Option<String>,
        #[serde(default, rename = "MessageID")]
        message_id: Option<String>,
        #[serde(default)]
        date: Option<String>,
        #[serde(default)]
        text_body: Option<String>,
        #[serde(default)]
        html_body: Option<String>,
        #[serde(default)]
        headers: Vec<Header>,
        #[serde(default)]
        attachments: Vec<Attachment>,
        #[serde(default)]
        raw_email: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Full {
        email: String,
        #[serde(default)]
        name: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Header {
        name: String,
        value: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Attachment {
        name: String,
        content: String,
        content_type: String,
    }

    pub struct Converted {
        pub raw: Vec<u8>,
        /// Postmark's MessageID.
        pub provider_id: Option<String>,
    }

    /// Headers the builder writes itself from the parsed fields.
    const OWN: &[&str] = &[
        "from",
        "to",
        "cc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    ];

    fn one_line(s: &str) -> String {
        s.replace(['\r', '\n'], " ")
    }

    fn address(f: &Full) -> Address<'static> {
        let email = one_line(f.email.trim());
        match f.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => Address::new_address(Some(one_line(name)), email),
            None => Address::new_address(None::<String>, email),
        }
    }

    pub fn to_mime(body: &[u8]) -> Result<Converted, String> {
        let p: Payload = serde_json::from_slice(body)
            .map_err(|e| format!("malformed postmark inbound payload: {e}"))?;
        let provider_id = p.message_id.clone().filter(|m| !m.trim().is_empty());
        if let Some(raw) = p.raw_email.as_deref().filter(|r| !r.trim().is_empty()) {
            return Ok(Converted {
                raw: raw.as_bytes().to_vec(),
                provider_id,
            });
        }
        let from = match (&p.from_full, &p.from) {
            (Some(f), _) if !f.email.trim().is_empty() => address(f),
            (_, Some(f)) if !f.trim().is_empty() => address(&Full {
                email: f.clone(),
                name: p.from_name.clone(),
            }),
            _ => {
                return Err(
                    "malformed postmark inbound payload: FromFull.Email or From is required".into(),
                )
            }
        };
        let header = |name: &str| {
            p.headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| one_line(h.value.trim()))
        };
        let mut b = MessageBuilder::new().from(from);
        let to: Vec<Address> = p.to_full.iter().map(address).collect();
        if !to.is_empty() {
            b = b.to(Address::new_list(to));
        } else if let Some(to) = p.to.as_deref().filter(|t| !t.trim().is_empty()) {
            b = b.header("To", Raw::new(one_line(to)));
        }
        let cc: Vec<Address> = p.cc_full.iter().map(address).collect();
        if !cc.is_empty() {
            b = b.cc(Address::new_list(cc));
        }
        b = b.subject(one_line(p.subject.as_deref().unwrap_or("")));
        // A stable Message-ID keeps a redelivered payload idempotent.
        let message_id = header("Message-ID").or_else(|| {
            provider_id
                .as_deref()
                .map(|id| format!("<{}@inbound.postmark>", one_line(id.trim())))
        });
        if let Some(mid) = message_id {
            b = b.header("Message-ID", Raw::new(mid));
        }
        if let Some(date) = header("Date").or_else(|| p.date.as_deref().map(one_line)) {
            b = b.header("Date", Raw::new(date));
        }
        for h in &p.headers {
            let name = h.name.trim();
            let valid_name =
                !name.is_empty() && name.bytes().all(|c| c.is_ascii_graphic() && c != b':');
            if valid_name && !OWN.contains(&name.to_ascii_lowercase().as_str()) {
                b = b.header(name.to_string(), Raw::new(one_line(&h.value)));
            }
        }
        if let Some(text) = p.text_body.as_deref().filter(|t| !t.is_empty()) {
            b = b.text_body(text.to_string());
        }
        if let Some(html) = p.html_body.as_deref().filter(|t| !t.is_empty()) {
            b = b.html_body(html.to_string());
        }
        for a in &p.attachments {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(a.content.trim())
                .map_err(|e| {
                    format!(
                        "malformed postmark inbound payload: attachment {:?} is not base64: {e}",
                        a.name
                    )
                })?;
            b = b.attachment(one_line(&a.content_type), one_line(&a.name), bytes);
        }
        let raw = b
            .write_to_vec()
            .map_err(|e| format!("could not rebuild the message: {e}"))?;
        Ok(Converted { raw, provider_id })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn parse(raw: &[u8]) -> mail_parser::Message<'_> {
            mail_parser::MessageParser::default().parse(raw).unwrap()
        }

        const SAMPLE: &str = r#"{
          "FromName": "Postmarkapp Support",
          "MessageStream": "inbound",
          "From": "support@postmarkapp.com",
          "FromFull": {"Email": "support@postmarkapp.com", "Name": "Postmarkapp Support", "MailboxHash": ""},
          "To": "\"Firstname Lastname\" <yourhash+SampleHash@inbound.postmarkapp.com>",
          "ToFull": [{"Email": "yourhash+SampleHash@inbound.postmarkapp.com", "Name": "Firstname Lastname", "MailboxHash": "SampleHash"}],
          "Cc": "", "CcFull": [], "Bcc": "", "BccFull": [],
          "OriginalRecipient": "yourhash+SampleHash@inbound.postmarkapp.com",
          "Subject": "Test subject",
          "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
          "ReplyTo": "replyto@postmarkapp.com",
          "MailboxHash": "SampleHash",
          "Date": "Fri, 1 Aug 2014 16:45:32 -04:00",
          "TextBody": "This is a test text body.",
          "HtmlBody": "<html><body><p>This is a test html body.</p></body></html>",
          "StrippedTextReply": "This is the reply text",
          "Tag": "TestTag",
          "Headers": [
            {"Name": "X-Header-Test", "Value": ""},
            {"Name": "X-Spam-Status", "Value": "No"},
            {"Name": "Message-ID", "Value": "<CAGXpo2WKfxHWZ5UFYCR3H_J9SNMG+5AXUovfEFL6DjWBJSyZaA@mail.gmail.com>"},
            {"Name": "In-Reply-To", "Value": "<earlier@acme.test>"}
          ],
          "Attachments": [
            {"Name": "test.txt", "Content": "VGhpcyBpcyBhdHRhY2htZW50IGNvbnRlbnRzLCBiYXNlLTY0IGVuY29kZWQu", "ContentType": "text/plain", "ContentLength": 45}
          ]
        }"#;

        #[test]
        fn documented_sample_becomes_an_equivalent_message() {
            let c = to_mime(SAMPLE.as_bytes()).unwrap();
            assert_eq!(
                c.provider_id.as_deref(),
                Some("73e6d360-66eb-11e1-8e72-a8904824019b")
            );
            let m = parse(&c.raw);
            let from = m.from().unwrap().first().unwrap();
            assert_eq!(from.address(), Some("support@postmarkapp.com"));
            assert_eq!(from.name(), Some("Postmarkapp Support"));
            assert_eq!(m.subject(), Some("Test subject"));
            assert_eq!(
                m.message_id(),
                Some("CAGXpo2WKfxHWZ5UFYCR3H_J9SNMG+5AXUovfEFL6DjWBJSyZaA@mail.gmail.com")
            );
            assert!(m
                .body_text(0)
                .unwrap()
                .contains("This is a test text body."));
            assert!(m.body_html(0).unwrap().contains("test html body"));
            assert_eq!(m.attachment_count(), 1);
            let raw = String::from_utf8_lossy(&c.raw);
            assert!(raw.contains("In-Reply-To: <earlier@acme.test>"), "{raw}");
            assert!(
                raw.contains("Date: Fri, 1 Aug 2014 16:45:32 -04:00"),
                "{raw}"
            );
        }

        #[test]
        fn the_same_payload_gives_the_same_bytes() {
            let a = to_mime(SAMPLE.as_bytes()).unwrap().raw;
            let b = to_mime(SAMPLE.as_bytes()).unwrap().raw;
            // Only the MIME boundaries may differ; the Message-ID must not.
            let mid = |r: &[u8]| parse(r).message_id().map(str::to_string);
            assert_eq!(mid(&a), mid(&b));
        }

        #[test]
        fn without_a_message_id_header_postmarks_id_is_used() {
            let body =
                r#"{"From": "a@b.test", "Subject": "x", "TextBody": "hi", "MessageID": "abc-123"}"#;
            let c = to_mime(body.as_bytes()).unwrap();
            assert_eq!(parse(&c.raw).message_id(), Some("abc-123@inbound.postmark"));
        }

        #[test]
        fn raw_email_is_used_as_is() {
            let body = r#"{"From": "a@b.test", "RawEmail": "From: x@y.test\r\nSubject: raw\r\n\r\nbody\r\n", "MessageID": "m1"}"#;
            let c = to_mime(body.as_bytes()).unwrap();
            assert_eq!(c.raw, b"From: x@y.test\r\nSubject: raw\r\n\r\nbody\r\n");
        }

        #[test]
        fn malformed_payloads_are_refused_with_a_reason() {
            for (body, want) in [
                ("not json", "malformed postmark inbound payload"),
                (
                    r#"{"Subject": "no sender"}"#,
                    "FromFull.Email or From is required",
                ),
                (
                    r#"{"From": "a@b.test", "Attachments": [{"Name": "x", "Content": "***", "ContentType": "text/plain"}]}"#,
                    "is not base64",
                ),
                (r#"{"From": 5}"#, "malformed postmark inbound payload"),
            ] {
                let err = to_mime(body.as_bytes())
                    .err()
                    .unwrap_or_else(|| panic!("{body} accepted"));
                assert!(err.contains(want), "{body}: {err}");
            }
        }

        #[test]
        fn header_injection_is_flattened() {
            let body =
                r#"{"From": "a@b.test", "Subject": "hi\r\nBcc: victim@x.test", "TextBody": "x"}"#;
            let c = to_mime(body.as_bytes()).unwrap();
            let m = parse(&c.raw);
            assert!(m.bcc().is_none());
            assert_eq!(m.subject(), Some("hi  Bcc: victim@x.test"));
        }
    }
}
