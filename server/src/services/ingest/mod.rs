//! Deliverability ingest: provider events and raw notices in, suppressions, contact badges,
//! Org Logging entries and message delivery status out — each payload in ONE transaction,
//! so a 2xx means everything it implies is committed, and a provider's retry of the same
//! event changes nothing (the event's unique key).
//!
//! Also the admin's reactivation, the gate (`may_send`, one address or a batch) and the
//! sweeper that logs expired entries as released.
//!
//! One file per purpose: [`webhook_auth`] (credentials), [`group_commit`] (the writer),
//! [`suppression_effects`] (what stored events do), [`rate_status`] (the complaint rate), [`provider_guardrail`] (per mailbox provider),
//! [`admin_reactivation`], [`send_gate`] and [`release_sweep`]. A process builds one
//! service and passes clones (one writer).

mod admin_reactivation;
mod group_commit;
mod provider_guardrail;
mod rate_status;
mod release_sweep;
mod send_gate;
mod suppression_effects;
mod webhook_auth;

pub use admin_reactivation::{ReactivateError, Reactivated};
use group_commit::Job;
pub use group_commit::MAX_GROUP;
pub use provider_guardrail::{PauseInfo, ProviderStatus, ResumeError};
use webhook_auth::{InFlight, VerifiedCredentials};
pub use webhook_auth::{WebhookSettingError, CREDENTIAL_TTL};

use crate::domain::address::{Domain, EmailAddress};
use crate::domain::bounce::{self, EspEvent, Provider, Verdict};
use crate::domain::category::Category;
use crate::domain::suppression::domain_alert::{self, Alert, AlertRule, IspBlockEvent};
use crate::domain::suppression::reactivation::{self, ReactivationError};
use crate::domain::suppression::scope_by_trust::{
    self, Evidence, Provenance, Reach, TransportKind,
};
use crate::domain::suppression::{
    complaint_rate, gate, policy, stream, sweep, AccountId, GateResult, LogKind, MailKind, Scope,
    SuppressionIndex,
};
use crate::storage::deliverability::{self as store, NewDeliveryEvent, NewLogEntry};
use crate::storage::Db;
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::pool::PoolConnection;
use sqlx::Connection;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What happened to one event of a payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// Stored and acted on.
    Processed,
    /// Already stored: a provider retry. Nothing changed.
    Duplicate,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventOutcome {
    pub provider_event_id: String,
    pub category: Category,
    pub recipient: Option<String>,
    pub status: EventStatus,
    /// The stored event's id (`None` for a duplicate).
    pub event_id: Option<i64>,
}

/// The outcome of one webhook request or raw notice; the handler answers with it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestReport {
    pub events: Vec<EventOutcome>,
}

impl IngestReport {
    pub fn processed(&self) -> usize {
        self.events
            .iter()
            .filter(|e| e.status == EventStatus::Processed)
            .count()
    }
    pub fn duplicates(&self) -> usize {
        self.events.len() - self.processed()
    }
}

/// One event normalised from either source, ready to store.
struct Incoming {
    provider: &'static str,
    provider_event_id: String,
    verdict: Verdict,
    recipient: Option<String>,
    provider_message_id: Option<String>,
    message_id_header: Option<String>,
    /// The address the notice was sent to: our VERP return path names the message.
    return_path: Option<String>,
    occurred_at: Option<DateTime<Utc>>,
    /// How we know it, before any match to a message we sent.
    provenance: Provenance,
    /// The transport that answered, for a send-time reply (a notice's is found by its match).
    transport: Option<TransportKind>,
}

#[derive(Clone)]
pub struct IngestService {
    db: Db,
    alert_rule: AlertRule,
    /// Verified credentials. argon2 costs tens of milliseconds; webhooks arrive by the
    /// thousand, so a password that verified once against a secret is recognised by its
    /// digest while the stored secret stays the same (read again after `credential_ttl`).
    verified: Arc<Mutex<VerifiedCredentials>>,
    /// Verifications under way, one per (username, password digest): a burst of requests
    /// with one credential (a provider reconnecting all its connections after a restart)
    /// waits for one argon2 run instead of starting one each. Sixty-four at once kept a
    /// two-core server busy for over a second.
    verifying: Arc<Mutex<InFlight>>,
    credential_ttl: std::time::Duration,
    /// argon2 verifications run, for the tests and the curious.
    verifications: Arc<std::sync::atomic::AtomicU64>,
    /// The group committer's queue, started on first use.
    writer: Arc<tokio::sync::OnceCell<tokio::sync::mpsc::Sender<Job>>>,
}

impl IngestService {
    pub fn new(db: Db) -> Self {
        IngestService {
            db,
            alert_rule: domain_alert::DEFAULT_RULE,
            verified: Arc::default(),
            verifying: Arc::default(),
            credential_ttl: CREDENTIAL_TTL,
            verifications: Arc::default(),
            writer: Arc::default(),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// True when both handles are the same service (one writer, one credential cache): a
    /// process builds one and passes clones.
    pub fn is_same(&self, other: &IngestService) -> bool {
        Arc::ptr_eq(&self.writer, &other.writer) && Arc::ptr_eq(&self.verified, &other.verified)
    }

    /// Stores and acts on one webhook payload's events. `payload` is kept with each event.
    /// Known only by the account's credential (`account_reported`), unless matched to a
    /// message we sent.
    #[tracing::instrument(skip_all, fields(account_id = account_id.0, ?provider, events = events.len()))]
    pub async fn ingest_esp(
        &self,
        account_id: AccountId,
        provider: Provider,
        events: &[EspEvent],
        payload: &[u8],
        now: DateTime<Utc>,
    ) -> anyhow::Result<IngestReport> {
        self.ingest_esp_as(
            account_id,
            provider,
            events,
            payload,
            Provenance::AccountReported,
            now,
        )
        .await
    }

    /// Like [`IngestService::ingest_esp`], for a payload whose signature verified under a key
    /// the deployment's operator configured (SNS's signing certificate,
    /// `SNS_SIGNING_CERT_FILE`), not one an account gave: recorded as `operator_signed`.
    /// The signature proves the provider delivered it, not that the provider's transport
    /// said it (an account may publish to its own topic), so it reaches no further than the
    /// account's word ([`scope_by_trust`]).
    #[tracing::instrument(skip_all, fields(account_id = account_id.0, ?provider, events = events.len()))]
    pub async fn ingest_esp_operator_signed(
        &self,
        account_id: AccountId,
        provider: Provider,
        events: &[EspEvent],
        payload: &[u8],
        now: DateTime<Utc>,
    ) -> anyhow::Result<IngestReport> {
        self.ingest_esp_as(
            account_id,
            provider,
            events,
            payload,
            Provenance::OperatorSigned,
            now,
        )
        .await
    }

    async fn ingest_esp_as(
        &self,
        account_id: AccountId,
        provider: Provider,
        events: &[EspEvent],
        payload: &[u8],
        provenance: Provenance,
        now: DateTime<Utc>,
    ) -> anyhow::Result<IngestReport> {
        let incoming: Vec<Incoming> = events
            .iter()
            .map(|e| Incoming {
                provider: provider.as_str(),
                provider_event_id: e.provider_event_id.clone(),
                verdict: e.verdict.clone(),
                recipient: Some(e.recipient.clone()),
                provider_message_id: e.provider_message_id.clone(),
                message_id_header: e.message_id_header.clone(),
                return_path: None,
                occurred_at: e.occurred_at,
                provenance,
                transport: None,
            })
            .collect();
        self.store(account_id, incoming, payload, now).await
    }

    /// Classifies and stores one raw notice (`message/rfc822`). A notice nobody can read is
    /// stored as `unclassified` with its source.
    #[tracing::instrument(skip_all, fields(account_id = account_id.0, bytes = raw.len()))]
    pub async fn ingest_raw(
        &self,
        account_id: AccountId,
        raw: &[u8],
        now: DateTime<Utc>,
    ) -> Result<IngestReport, RawError> {
        let classification = bounce::classify_message(raw).map_err(RawError::TooLarge)?;
        // The same notice posted twice has the same digest, so its events are the same ones.
        let digest = hex::encode(Sha256::digest(raw));
        let return_path = verp_address(raw);
        let incoming: Vec<Incoming> = classification
            .verdicts
            .iter()
            .enumerate()
            .map(|(i, v)| Incoming {
                provider: "raw",
                provider_event_id: format!(
                    "{digest}:{i}:{}",
                    v.recipient.as_deref().unwrap_or("-")
                ),
                verdict: v.clone(),
                recipient: v.recipient.clone(),
                provider_message_id: None,
                message_id_header: v
                    .original_message_id
                    .clone()
                    .or_else(|| classification.original_message_id.clone()),
                return_path: return_path.clone(),
                occurred_at: None,
                provenance: Provenance::AccountReported,
                transport: None,
            })
            .collect();
        Ok(self.store(account_id, incoming, raw, now).await?)
    }

    /// Records a refusal at send time (a 5xx, or a 4xx after the last retry) like a bounce of
    /// the same classification: event, suppression, contact badge, Org Logging, and the
    /// message marked failed. `event_key` makes it idempotent (message id + attempt).
    /// `transport` is the kind of transport that answered: the shared one's answer is
    /// evidence for every account ([`scope_by_trust`]).
    #[allow(clippy::too_many_arguments)]
    #[tracing::instrument(skip_all, fields(account_id = account_id.0, provider = provider))]
    pub async fn record_send_failure(
        &self,
        account_id: AccountId,
        provider: &'static str,
        transport: TransportKind,
        event_key: String,
        message_id_header: Option<&str>,
        verdict: &Verdict,
        now: DateTime<Utc>,
    ) -> anyhow::Result<IngestReport> {
        let raw = verdict.diagnostic.clone().unwrap_or_default();
        let incoming = vec![Incoming {
            provider,
            provider_event_id: event_key,
            verdict: verdict.clone(),
            recipient: verdict.recipient.clone(),
            provider_message_id: None,
            message_id_header: message_id_header.map(str::to_string),
            return_path: None,
            occurred_at: Some(now),
            provenance: Provenance::TransportReply,
            transport: Some(transport),
        }];
        self.store(account_id, incoming, raw.as_bytes(), now).await
    }

    /// A recipient opted out through a campaign's List-Unsubscribe link (RFC 8058 one-click or
    /// the confirmation page): the account stops sending them bulk mail. Idempotent per token.
    #[tracing::instrument(skip_all, fields(account_id = account_id.0))]
    pub async fn record_unsubscribe(
        &self,
        account_id: AccountId,
        address: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<IngestReport> {
        let mut verdict = Verdict::new(
            crate::domain::bounce::Reason::Feedback,
            "list-unsubscribe.one-click",
            "List-Unsubscribe URL",
        );
        verdict.category = Category::Unsubscribe;
        verdict.recipient = Some(address.to_string());
        verdict.feedback_type = Some("opt-out".into());
        let incoming = vec![Incoming {
            provider: "list-unsubscribe",
            provider_event_id: format!("unsubscribe:{token}"),
            verdict,
            recipient: Some(address.to_string()),
            provider_message_id: None,
            message_id_header: None,
            return_path: None,
            occurred_at: Some(now),
            provenance: Provenance::UnsubscribeLink,
            transport: None,
        }];
        self.store(account_id, incoming, b"List-Unsubscribe=One-Click", now)
            .await
    }
}

/// A raw notice that could not be processed at all.
#[derive(Debug, thiserror::Error)]
pub enum RawError {
    #[error(transparent)]
    TooLarge(bounce::ClassifyError),
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

/// The rules need an address; for an event without one only the log kind is read.
/// The notice's `To` (or `Delivered-To`) when it is one of our VERP return paths
/// (`bounces+TOKEN@domain`), lower-cased.
fn verp_address(raw: &[u8]) -> Option<String> {
    let head_end = memchr::memmem::find(raw, b"\r\n\r\n")
        .or_else(|| memchr::memmem::find(raw, b"\n\n"))
        .unwrap_or(raw.len().min(64 * 1024));
    let head = String::from_utf8_lossy(&raw[..head_end]);
    head.lines()
        .filter_map(|l| {
            let (name, value) = l.split_once(':')?;
            matches!(
                name.trim().to_ascii_lowercase().as_str(),
                "to" | "delivered-to" | "x-original-to"
            )
            .then_some(value)
        })
        .flat_map(|v| v.split([',', '<', '>', ' ']))
        .map(|a| a.trim().to_ascii_lowercase())
        .find(|a| a.starts_with("bounces+") && a.contains('@'))
}

fn placeholder_address() -> EmailAddress {
    EmailAddress::parse("unknown@invalid.invalid").expect("a valid constant address")
}
