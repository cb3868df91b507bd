//! The SMTP listener's decisions (`deliverdesk serve --smtp ADDR`): accept mail only for the
//! accounts' inbound addresses (others are refused at RCPT TO), then hand each message to the
//! same inbound service as the HTTP endpoints.

use super::inbound::{InboundError, InboundMail, InboundService};
use super::mail_auth::Client;
use crate::smtp::{Envelope, MailSink, Reply};
use chrono::Utc;
use std::net::SocketAddr;

pub struct InboundSink {
    inbound: InboundService,
    hostname: String,
}

impl InboundSink {
    pub fn new(inbound: InboundService, hostname: impl Into<String>) -> Self {
        InboundSink {
            inbound,
            hostname: hostname.into(),
        }
    }
}

fn try_later() -> Reply {
    Reply::new(
        451,
        Some("4.3.0"),
        "temporary failure, please try again later",
    )
}

#[async_trait::async_trait]
impl MailSink for InboundSink {
    async fn recipient(
        &self,
        _peer: SocketAddr,
        _mail_from: &str,
        rcpt: &str,
    ) -> Result<(), Reply> {
        match self.inbound.account_for_address(rcpt).await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(Reply::new(
                550,
                Some("5.1.1"),
                format!("<{rcpt}>: no such mailbox here"),
            )),
            Err(e) => {
                tracing::error!(error = ?e, "inbound address lookup failed");
                Err(try_later())
            }
        }
    }

    async fn deliver(&self, envelope: &Envelope, data: Vec<u8>) -> Result<Reply, Reply> {
        let now = Utc::now();
        // Trace fields as an MX adds them (RFC 5321 §4.4).
        let mut raw = format!(
            "Return-Path: <{}>\r\nReceived: from {} ({}) by {} with ESMTP; {}\r\n",
            envelope.mail_from,
            envelope.helo.replace(['\r', '\n'], ""),
            envelope.peer.ip(),
            self.hostname,
            now.to_rfc2822()
        )
        .into_bytes();
        raw.extend_from_slice(&data);
        let mut accounts = Vec::new();
        for rcpt in &envelope.rcpt_to {
            match self.inbound.account_for_address(rcpt).await {
                Ok(Some(a)) if !accounts.contains(&a) => accounts.push(a),
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = ?e, "inbound address lookup failed");
                    return Err(try_later());
                }
            }
        }
        let mut stored = Vec::new();
        for account_id in accounts {
            let mail = InboundMail {
                raw: &raw,
                source: "smtp",
                provider_id: None,
                client: Some(Client {
                    ip: envelope.peer.ip(),
                    helo: envelope.helo.clone(),
                    mail_from: envelope.mail_from.clone(),
                }),
            };
            match self
                .inbound
                .receive(
                    crate::domain::suppression::AccountId(account_id),
                    &mail,
                    now,
                )
                .await
            {
                Ok(r) => stored.push(r.message_id.to_string()),
                Err(InboundError::TooLarge { limit }) => {
                    return Err(Reply::new(
                        552,
                        Some("5.3.4"),
                        format!("message exceeds fixed maximum message size of {limit} bytes"),
                    ))
                }
                Err(InboundError::Unreadable(m)) => {
                    return Err(Reply::new(
                        554,
                        Some("5.6.0"),
                        format!("unreadable message: {m}"),
                    ))
                }
                Err(InboundError::NoSender(m)) => {
                    return Err(Reply::new(
                        550,
                        Some("5.1.7"),
                        format!("the message has no usable From address: {m}"),
                    ))
                }
                // Whatever was stored before is idempotent: the client's retry is safe.
                Err(InboundError::Io(e)) => {
                    tracing::error!(error = ?e, "storing an SMTP message failed");
                    return Err(try_later());
                }
            }
        }
        Ok(Reply::new(
            250,
            Some("2.0.0"),
            format!("OK, stored as message {}", stored.join(", ")),
        ))
    }
}
