//! What agents send: a reply goes through the suppression gate, gets its own Message-ID and a
//! VERP return path, is stored, then handed to the sender address's transport. The SMTP (or
//! API) answer decides what happens next:
//! - 2xx: "accepted by … at T" on the timeline;
//! - 5xx: a bounce of the same classification (suppression, badge, Org Logging), never retried;
//! - 4xx or no answer: retried on the backoff schedule, then a soft bounce.

use super::ingest::IngestService;
use super::transport::{self, TransportConfig};
use crate::domain::address::EmailAddress;
use crate::domain::bounce::classify_smtp_reply;
use crate::domain::suppression::send_time_5xx::{next_retry_delay, ReplyClass};
use crate::domain::suppression::{
    AccountId, GateResult, LogKind, MailKind, Scope, SuppressionKind,
};
use crate::storage::deliverability::{insert_log, NewLogEntry};
use crate::storage::outbound::{self as store, PendingSend, SenderAddress};
use crate::storage::{insert_message, Db, NewMessage};
use anyhow::Context;
use app::models::Direction;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde_json::json;

/// The longest reply accepted from an agent.
pub const MAX_REPLY_CHARS: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error(
        "This account has no transactional sender address yet: an admin adds one under Apps > \
         Channels > Email."
    )]
    NoSender,
    /// The gate refused: nothing was sent.
    #[error("Not sent: {address} is suppressed ({kind}) {scope}{until} — {reason}.{advice}")]
    Suppressed {
        address: String,
        kind: String,
        reason: String,
        scope: String,
        until: String,
        advice: &'static str,
    },
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

#[derive(Clone)]
pub struct OutboundService {
    db: Db,
    ingest: IngestService,
    /// Where mail goes: the operator's outbound policy and shared transport.
    transports: transport::Transports,
}

fn random_token() -> String {
    let mut bytes = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn suppressed(address: &EmailAddress, g: GateResult) -> ReplyError {
    match g {
        GateResult::Allowed => ReplyError::Invalid("allowed".into()),
        GateResult::Suppressed {
            reason,
            scope,
            until,
            kind,
            ..
        } => {
            let kind = serde_json::to_value(kind)
                .ok()
                .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
                .unwrap_or_else(|| "suppressed".into());
            ReplyError::Suppressed {
                address: address.as_str().to_string(),
                advice: if kind == "hard bounce" {
                    " Check the spelling; if it was temporary, an admin can reactivate the \
                     address under Contacts."
                } else if kind.contains("complaint") {
                    " The recipient complained; use another channel."
                } else {
                    " Try again later or use another channel."
                },
                kind,
                reason,
                scope: match scope {
                    Scope::Global => "for every account".into(),
                    Scope::Account(_) => "for this account".into(),
                },
                until: until
                    .map(|u| format!(" until {}", u.format("%Y-%m-%d %H:%M UTC")))
                    .unwrap_or_default(),
            }
        }
    }
}

impl OutboundService {
    /// The ingest service this one records through.
    pub fn ingest(&self) -> &IngestService {
        &self.ingest
    }

    /// Records send-time failures through `ingest` (the process's one ingest service: its
    /// database is this service's).
    pub fn new(ingest: IngestService) -> Self {
        OutboundService {
            db: ingest.db().clone(),
            ingest,
            transports: transport::Transports::default(),
        }
    }

    /// Sends the mail of senders that use the deployment's shared transport through `shared`.
    pub fn with_shared_transport(
        mut self,
        shared: Option<std::sync::Arc<TransportConfig>>,
    ) -> Self {
        self.transports = self.transports.with_shared(shared);
        self
    }

    /// Account transports connect only where `egress` allows (public addresses only until
    /// then).
    pub fn with_egress(mut self, egress: crate::services::egress::Egress) -> Self {
        self.transports = self.transports.with_egress(egress);
        self
    }

    /// Relays' TLS may chain to `roots` as well as to the public roots (none until then).
    pub fn with_trust_roots(mut self, roots: transport::TrustRoots) -> Self {
        self.transports = self.transports.with_trust_roots(roots);
        self
    }

    /// How this service sends (policy, trusted CAs and shared transport).
    pub fn transports(&self) -> &transport::Transports {
        &self.transports
    }

    /// What the reply form says about the contact's streams: a reply is transactional mail;
    /// an entry stops all mail (bounces, a complaint about a reply) or campaigns only (an
    /// unsubscribe, a complaint about a campaign).
    pub async fn reply_stream(
        &self,
        account: AccountId,
        to: &EmailAddress,
        now: DateTime<Utc>,
    ) -> anyhow::Result<app::models::ReplyStreamView> {
        let reply = self
            .ingest
            .gate(account, to, MailKind::Transactional, now)
            .await?;
        let campaign = self.ingest.gate(account, to, MailKind::Bulk, now).await?;
        Ok(reply_stream_view(&reply, &campaign))
    }

    /// Sends an agent's reply in a conversation. Returns the stored message's id; its delivery
    /// state (accepted / deferred / failed) is on the message.
    #[tracing::instrument(skip_all, fields(account_id = account.0, conversation_id = conversation_id))]
    pub async fn reply(
        &self,
        account: AccountId,
        conversation_id: i64,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, ReplyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ReplyError::Invalid("Write a reply first.".into()));
        }
        if text.chars().count() > MAX_REPLY_CHARS {
            return Err(ReplyError::Invalid(format!(
                "The reply is too long (at most {MAX_REPLY_CHARS} characters)."
            )));
        }
        let detail = self
            .db
            .get_conversation(account, conversation_id)
            .await?
            .ok_or(ReplyError::NotFound)?;
        let to = EmailAddress::parse(&detail.summary.contact_email).map_err(|e| {
            ReplyError::Invalid(format!("The contact's address cannot be mailed: {e}"))
        })?;
        let sender = self
            .db
            .senders(account)
            .await?
            .into_iter()
            .find(|s| s.kind == "transactional")
            .ok_or(ReplyError::NoSender)?;
        let gate = self
            .ingest
            .gate(account, &to, MailKind::Transactional, now)
            .await?;
        if !gate.is_allowed() {
            return Err(suppressed(&to, gate));
        }

        let sender_domain = sender
            .address
            .rsplit_once('@')
            .map(|(_, d)| d.to_string())
            .unwrap_or_else(|| "localhost".into());
        let token = random_token();
        let message_id = format!("{token}@{sender_domain}");
        // VERP: the bounce address names the message, so even an NDN that quotes nothing
        // still finds it. Its token is not the Message-ID's: on the shared transport only
        // the envelope carries it, so a notice that names it came back through that envelope.
        let return_path = format!("bounces+{}@{sender_domain}", random_token());
        let subject = if detail.summary.subject.to_lowercase().starts_with("re:") {
            detail.summary.subject.clone()
        } else {
            format!("Re: {}", detail.summary.subject)
        };
        let references = self.db.last_inbound_ids(account, conversation_id).await?;
        let raw = build_message(
            &sender,
            &to,
            detail.summary.contact_name.as_deref(),
            &subject,
            &message_id,
            &references,
            text,
        )?;

        let mut tx = self.db.begin().await?;
        let id = insert_message(
            &mut tx,
            &NewMessage {
                account_id: account,
                conversation_id,
                direction: Direction::Outbound,
                from_addr: &sender.address,
                to_addr: to.as_str(),
                subject: &subject,
                text_body: text,
                html_body: None,
                raw_source: Some(&raw),
                message_id_header: Some(&format!("<{message_id}>")),
                created_at: now,
                inbound_key: None,
                spam_score: None,
                spam_rules: None,
            },
        )
        .await?
        .context("an outbound message has no inbound key")?;
        let shared = sender.transport == TransportConfig::Shared;
        store::set_outbound(&mut tx, id, sender.id, &return_path, shared).await?;
        tx.commit().await.context("Failed to commit a reply")?;

        let pending = self
            .db
            .pending_send(id)
            .await?
            .context("the reply just stored is missing")?;
        self.attempt(&pending, &sender, now).await?;
        Ok(id)
    }

    /// Sends every retry that is due (each claimed once, so several replicas may run this).
    #[tracing::instrument(skip_all)]
    pub async fn retry_due(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let mut done = 0;
        for id in self.db.due_retries(now, 100).await? {
            let Some(p) = self.db.claim_retry(id, now).await? else {
                continue;
            };
            let Some(sender) = self.db.sender(p.account_id, p.sender_id).await? else {
                tracing::warn!(message_id = id, "sender address gone; retry dropped");
                continue;
            };
            self.attempt(&p, &sender, now).await?;
            done += 1;
        }
        Ok(done)
    }

    /// One attempt and what follows from its answer.
    #[tracing::instrument(skip_all, fields(account_id = p.account_id.0, message_id = p.message_id))]
    async fn attempt(
        &self,
        p: &PendingSend,
        sender: &SenderAddress,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let result = self
            .transports
            .send(&sender.transport, &p.return_path, &p.to_addr, &p.raw)
            .await;
        let provider = sender.transport.provider();
        let (code, enhanced, text, provider_id) = result.into_parts();
        tracing::info!(message_id = p.message_id, code, %text, "send attempt");
        let class = ReplyClass::of(code);
        let mut tx = self.db.begin().await?;
        let accepted =
            (class == ReplyClass::Accepted).then(|| (sender.transport.accepted_by(), now));
        store::record_attempt(
            &mut tx,
            p.message_id,
            provider_id.as_deref(),
            accepted.as_ref().map(|(by, at)| (by.as_str(), *at)),
        )
        .await?;
        let verdict = classify_smtp_reply(code, enhanced.as_deref(), &text, &p.to_addr);
        let retry = match class {
            ReplyClass::Transient => next_retry_delay(p.attempts.max(0) as u32),
            _ => None,
        };
        if let Some(delay) = retry {
            let at = now + delay;
            let error = json!({
                "category": "deferred",
                "reason": verdict.reason.as_str(),
                "status": verdict.status.map(|s| s.to_string()),
                "code": code,
                "diagnostic": verdict.diagnostic,
                "at": now,
                "next_attempt_at": at,
            });
            store::defer(&mut tx, p.message_id, at, &error).await?;
            insert_log(
                &mut tx,
                &NewLogEntry {
                    account_id: Some(p.account_id),
                    at: now,
                    kind: LogKind::Deferred,
                    actor: format!("send:{provider}"),
                    subject: p.to_addr.clone(),
                    details: json!({
                        "message_id": p.message_id,
                        "code": code,
                        "diagnostic": verdict.diagnostic,
                        "attempt": p.attempts + 1,
                        "next_attempt_at": at,
                    }),
                    event_id: None,
                },
            )
            .await?;
        }
        tx.commit().await.context("Failed to commit an attempt")?;
        if class != ReplyClass::Accepted && retry.is_none() {
            // 5xx, or a 4xx after the last retry (a soft bounce): recorded like a bounce.
            self.ingest
                .record_send_failure(
                    p.account_id,
                    provider,
                    sender.transport.kind(),
                    format!("send:{}:{}", p.message_id, p.attempts + 1),
                    p.message_id_header.as_deref(),
                    &verdict,
                    now,
                )
                .await?;
        }
        Ok(())
    }
}

/// The reply form's line from the gate's two answers.
fn reply_stream_view(reply: &GateResult, campaign: &GateResult) -> app::models::ReplyStreamView {
    let name = |kind: SuppressionKind| kind.as_str().replace('_', " ");
    let (stream, text) = match (reply, campaign) {
        (GateResult::Suppressed { kind, stream, .. }, _) => (
            Some(*stream),
            format!(
                "Replies are stopped: {} applies to {}.",
                name(*kind),
                stream.label()
            ),
        ),
        (GateResult::Allowed, GateResult::Suppressed { kind, stream, .. }) => (
            Some(*stream),
            format!(
                "This reply goes out (transactional stream). Campaigns to this address are \
                 stopped: {} applies to {}.",
                name(*kind),
                stream.label()
            ),
        ),
        (GateResult::Allowed, GateResult::Allowed) => (
            None,
            "This reply goes out (transactional stream); no suppression applies.".to_string(),
        ),
    };
    app::models::ReplyStreamView {
        reply_allowed: reply.is_allowed(),
        campaigns_allowed: campaign.is_allowed(),
        stream: stream.map(|s| s.as_str().to_string()),
        text,
    }
}

fn build_message(
    sender: &SenderAddress,
    to: &EmailAddress,
    to_name: Option<&str>,
    subject: &str,
    message_id: &str,
    references: &[String],
    text: &str,
) -> anyhow::Result<Vec<u8>> {
    use lettre::message::{header::ContentType, Mailbox};
    let from = Mailbox::new(
        sender.name.clone(),
        sender
            .address
            .parse()
            .with_context(|| format!("sender address {:?} is not valid", sender.address))?,
    );
    let to = Mailbox::new(
        to_name.map(str::to_string),
        to.as_str()
            .parse()
            .with_context(|| format!("{to} cannot be mailed"))?,
    );
    let mut b = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .message_id(Some(format!("<{message_id}>")));
    let refs: Vec<&String> = references.iter().rev().take(20).collect::<Vec<_>>();
    if let Some(last) = refs.first() {
        b = b.in_reply_to((*last).clone());
        let chain: Vec<&str> = refs.iter().rev().map(|s| s.as_str()).collect();
        b = b.references(chain.join(" "));
    }
    let message = b
        .header(ContentType::TEXT_PLAIN)
        .body(text.to_string())
        .context("Failed to build the reply")?;
    Ok(message.formatted())
}
