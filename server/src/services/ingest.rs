//! Deliverability ingest: provider events and raw notices in, suppressions, contact badges,
//! Org Logging entries and message delivery status out — each payload in ONE transaction,
//! so a 2xx means everything it implies is committed, and a provider's retry of the same
//! event changes nothing (the event's unique key).
//!
//! Also the admin's reactivation, the gate (`may_send`, one address or a batch) and the
//! sweeper that logs expired entries as released.

use crate::domain::address::{Domain, EmailAddress};
use crate::domain::bounce::{self, EspEvent, Provider, Verdict};
use crate::domain::category::Category;
use crate::domain::suppression::domain_alert::{self, Alert, AlertRule, IspBlockEvent};
use crate::domain::suppression::reactivation::{self, ReactivationError};
use crate::domain::suppression::scope_by_trust::{
    self, Evidence, Provenance, Reach, TransportKind,
};
use crate::domain::suppression::{
    complaint_rate, gate, policy, sweep, AccountId, GateResult, LogKind, MailKind, Scope,
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

/// An error from reactivation: the admin's mistake (shown) or an IO failure.
#[derive(Debug, thiserror::Error)]
pub enum ReactivateError {
    #[error(transparent)]
    Refused(#[from] ReactivationError),
    #[error("the address is not valid: {0}")]
    BadAddress(String),
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

/// What a reactivation did, for the UI's confirmation.
#[derive(Debug, Clone, Serialize)]
pub struct Reactivated {
    pub ended: u64,
    pub override_created: bool,
    pub log_id: i64,
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

/// Payloads committed together at most (one transaction, one fsync).
pub const MAX_GROUP: usize = 256;

/// How long the ingest writer keeps its connection with nothing to write.
const WRITER_IDLE: std::time::Duration = std::time::Duration::from_secs(1);

/// One payload waiting for the group commit.
struct Job {
    account_id: i64,
    incoming: Vec<Incoming>,
    raw: Vec<u8>,
    now: DateTime<Utc>,
    reply: tokio::sync::oneshot::Sender<anyhow::Result<IngestReport>>,
}

/// username → the credential that verified, and with which password.
type VerifiedCredentials = HashMap<String, Verified>;

/// A credential whose password verified, as read from the database at `read_at`.
struct Verified {
    credential: store::WebhookCredential,
    /// SHA-256 of the password that verified.
    digest: [u8; 32],
    read_at: std::time::Instant,
}

/// How long a verified credential is used without reading it again: a credential removed
/// or given a new secret stops working within this time.
pub const CREDENTIAL_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// (username, SHA-256 of the password) → the turn to verify it.
type InFlight = HashMap<(String, [u8; 32]), Arc<tokio::sync::Mutex<()>>>;

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

    /// Reads a verified credential again after `ttl` instead of [`CREDENTIAL_TTL`].
    pub fn with_credential_ttl(mut self, ttl: std::time::Duration) -> Self {
        self.credential_ttl = ttl;
        self
    }

    /// How many argon2 verifications of webhook passwords this service has run.
    pub fn password_verifications(&self) -> u64 {
        self.verifications
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The account whose webhook credential this is, or `None`.
    #[tracing::instrument(skip(self, password))]
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> anyhow::Result<Option<store::WebhookCredential>> {
        let digest: [u8; 32] = Sha256::digest(password.as_bytes()).into();
        // Verified moments ago: no database read either (one per request was a round trip
        // to a database thread for every event).
        let recent = self.verified.lock().ok().and_then(|m| {
            m.get(username)
                .filter(|v| v.digest == digest && v.read_at.elapsed() < self.credential_ttl)
                .map(|v| v.credential.clone())
        });
        if let Some(cred) = recent {
            return Ok(Some(cred));
        }
        let Some(cred) = self.db.webhook_credential(username).await? else {
            if let Ok(mut m) = self.verified.lock() {
                m.remove(username);
            }
            // As long as a wrong password: the time does not tell which usernames exist.
            crate::services::auth::check_password(password, None).await?;
            return Ok(None);
        };
        // This password verified against this very secret before (a new secret needs a new
        // verification, whatever the digest).
        let remember = || {
            self.verified
                .lock()
                .is_ok_and(|mut m| match m.get_mut(username) {
                    Some(v)
                        if v.digest == digest
                            && v.credential.account_id == cred.account_id
                            && v.credential.secret_hash == cred.secret_hash =>
                    {
                        v.credential = cred.clone();
                        v.read_at = std::time::Instant::now();
                        true
                    }
                    _ => false,
                })
        };
        if remember() {
            return Ok(Some(cred));
        }
        let key = (username.to_string(), digest);
        let turn = match self.verifying.lock() {
            Ok(mut m) => m.entry(key.clone()).or_default().clone(),
            Err(_) => Arc::default(),
        };
        let _turn = turn.lock().await;
        // The request before us may have verified this very password.
        if remember() {
            return Ok(Some(cred));
        }
        self.verifications
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let ok = crate::services::auth::check_password(password, Some(&cred.secret_hash))
            .await
            .context("Failed to verify a webhook password");
        if let Ok(mut m) = self.verifying.lock() {
            m.remove(&key);
        }
        if !ok? {
            return Ok(None);
        }
        if let Ok(mut m) = self.verified.lock() {
            m.insert(
                username.to_string(),
                Verified {
                    credential: cred.clone(),
                    digest,
                    read_at: std::time::Instant::now(),
                },
            );
        }
        Ok(Some(cred))
    }

    /// Stores and acts on one webhook payload's events. `payload` is kept with each event.
    #[tracing::instrument(skip(self, events, payload), fields(events = events.len()))]
    pub async fn ingest_esp(
        &self,
        account_id: i64,
        provider: Provider,
        events: &[EspEvent],
        payload: &[u8],
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
                provenance: Provenance::AccountReported,
                transport: None,
            })
            .collect();
        self.store(account_id, incoming, payload, now).await
    }

    /// Classifies and stores one raw notice (`message/rfc822`). A notice nobody can read is
    /// stored as `unclassified` with its source.
    #[tracing::instrument(skip(self, raw), fields(bytes = raw.len()))]
    pub async fn ingest_raw(
        &self,
        account_id: i64,
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
    pub async fn record_send_failure(
        &self,
        account_id: i64,
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
    pub async fn record_unsubscribe(
        &self,
        account_id: i64,
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

    /// Stores one payload's events through the group committer: concurrent payloads share
    /// one transaction (one fsync), each inside its own savepoint so that one bad payload
    /// fails alone. Returns once the group is committed.
    async fn store(
        &self,
        account_id: i64,
        incoming: Vec<Incoming>,
        raw: &[u8],
        now: DateTime<Utc>,
    ) -> anyhow::Result<IngestReport> {
        let writer = self
            .writer
            .get_or_init(|| async {
                let (tx, rx) = tokio::sync::mpsc::channel(4 * MAX_GROUP);
                // The writer task gets its own empty cell: no reference cycle keeps it alive
                // once every handle to the service is gone.
                let mut me = self.clone();
                me.writer = Arc::default();
                tokio::spawn(me.write_loop(rx));
                tx
            })
            .await;
        let (reply, answer) = tokio::sync::oneshot::channel();
        writer
            .send(Job {
                account_id,
                incoming,
                raw: raw.to_vec(),
                now,
                reply,
            })
            .await
            .map_err(|_| anyhow::anyhow!("the ingest writer stopped"))?;
        let report = answer
            .await
            .map_err(|_| anyhow::anyhow!("the ingest writer dropped a payload"))??;
        let complaint = report.events.iter().any(|e| {
            e.status == EventStatus::Processed
                && matches!(
                    e.category,
                    Category::SpamComplaintAuto | Category::SpamComplaintManual
                )
        });
        if complaint {
            self.check_complaint_rate(account_id, now).await?;
        }
        Ok(report)
    }

    /// Takes whatever payloads are waiting (up to [`MAX_GROUP`]) and commits them together,
    /// always on the same connection while it works: SQLite keeps a connection's page cache
    /// from one of its transactions to the next only if no other connection wrote in between,
    /// so a writer that took any connection of the pool read the indexes' pages afresh for
    /// every group.
    async fn write_loop(self, mut rx: tokio::sync::mpsc::Receiver<Job>) {
        let mut conn: Option<PoolConnection<sqlx::Any>> = None;
        loop {
            // Idle for a second: the connection goes back to the pool (closing the pool waits
            // for every connection to come back).
            let first = match conn {
                Some(_) => match tokio::time::timeout(WRITER_IDLE, rx.recv()).await {
                    Ok(Some(job)) => job,
                    Ok(None) => break,
                    Err(_) => {
                        conn = None;
                        continue;
                    }
                },
                None => match rx.recv().await {
                    Some(job) => job,
                    None => break,
                },
            };
            let mut jobs = vec![first];
            while jobs.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
            let results = match &mut conn {
                Some(c) => self.commit_group(c, &jobs).await,
                None => match self.db.pool().acquire().await {
                    Ok(c) => self.commit_group(conn.insert(c), &jobs).await,
                    Err(e) => jobs
                        .iter()
                        .map(|_| Err(anyhow::anyhow!("Failed to reach the database: {e}")))
                        .collect(),
                },
            };
            // A group that failed as a whole may have lost its connection: the next one
            // starts on a new one.
            if results.iter().all(Result::is_err) {
                conn = None;
            }
            for (job, result) in jobs.into_iter().zip(results) {
                let _ = job.reply.send(result);
            }
        }
    }

    /// One transaction for the whole group. Payloads almost never fail, so the group is first
    /// written without savepoints (two statements fewer per payload); if one does fail, the
    /// group is rolled back and written again with a savepoint around each payload, so that
    /// only the bad one fails.
    async fn commit_group(
        &self,
        conn: &mut sqlx::AnyConnection,
        jobs: &[Job],
    ) -> Vec<anyhow::Result<IngestReport>> {
        match self.commit_group_optimistic(conn, jobs).await {
            Ok(reports) => reports.into_iter().map(Ok).collect(),
            Err(e) => {
                tracing::debug!(error = %e, jobs = jobs.len(), "group failed; retrying with savepoints");
                self.commit_group_isolated(conn, jobs).await
            }
        }
    }

    async fn commit_group_optimistic(
        &self,
        conn: &mut sqlx::AnyConnection,
        jobs: &[Job],
    ) -> anyhow::Result<Vec<IngestReport>> {
        let started = std::time::Instant::now();
        let mut tx = conn.begin().await.context("Failed to begin")?;
        let out = self.store_jobs(&mut tx, jobs).await?;
        let written = started.elapsed();
        tx.commit()
            .await
            .context("Failed to commit delivery events")?;
        tracing::debug!(
            payloads = jobs.len(),
            write_us = written.as_micros() as u64,
            commit_us = (started.elapsed() - written).as_micros() as u64,
            "ingest group committed"
        );
        Ok(out)
    }

    async fn commit_group_isolated(
        &self,
        conn: &mut sqlx::AnyConnection,
        jobs: &[Job],
    ) -> Vec<anyhow::Result<IngestReport>> {
        let all_fail = |why: String| {
            jobs.iter()
                .map(|_| Err(anyhow::anyhow!("{why}")))
                .collect::<Vec<_>>()
        };
        let mut tx = match conn.begin().await {
            Ok(tx) => tx,
            Err(e) => return all_fail(format!("Failed to begin: {e}")),
        };
        let mut out = Vec::with_capacity(jobs.len());
        for job in jobs {
            if let Err(e) = sqlx::query("SAVEPOINT ingest_job").execute(&mut *tx).await {
                return all_fail(format!("Failed to open a savepoint: {e}"));
            }
            match self.store_jobs(&mut tx, std::slice::from_ref(job)).await {
                Ok(mut reports) => {
                    let report = reports.pop().unwrap_or_default();
                    if let Err(e) = sqlx::query("RELEASE SAVEPOINT ingest_job")
                        .execute(&mut *tx)
                        .await
                    {
                        return all_fail(format!("Failed to release a savepoint: {e}"));
                    }
                    out.push(Ok(report));
                }
                Err(e) => {
                    let undone = sqlx::query("ROLLBACK TO SAVEPOINT ingest_job")
                        .execute(&mut *tx)
                        .await
                        .and(
                            sqlx::query("RELEASE SAVEPOINT ingest_job")
                                .execute(&mut *tx)
                                .await,
                        );
                    if let Err(r) = undone {
                        return all_fail(format!("{e:#}; and undoing it failed: {r}"));
                    }
                    out.push(Err(e));
                }
            }
        }
        match tx.commit().await {
            Ok(()) => out,
            Err(e) => all_fail(format!("Failed to commit delivery events: {e}")),
        }
    }

    /// Stores a group of payloads' events and acts on them with a few statements for the
    /// whole group instead of a few per event (each statement is a round trip to the
    /// database, and on SQLite a wake-up of its worker thread): the events in one insert,
    /// then the message statuses, the suppressions, the contact badges (one statement per
    /// wave), the Org Logging entries and the list removals, each in one statement. The
    /// effects are those of storing the events one after the other.
    async fn store_jobs(
        &self,
        conn: &mut sqlx::AnyConnection,
        jobs: &[Job],
    ) -> anyhow::Result<Vec<IngestReport>> {
        struct Item<'a> {
            job: usize,
            e: &'a Incoming,
            address: Option<EmailAddress>,
            domain: Option<Domain>,
            status: Option<String>,
        }
        let items: Vec<Item> = jobs
            .iter()
            .enumerate()
            .flat_map(|(job, j)| j.incoming.iter().map(move |e| (job, e)))
            .map(|(job, e)| {
                let address = e
                    .recipient
                    .as_deref()
                    .and_then(|r| EmailAddress::parse(r).ok());
                Item {
                    job,
                    e,
                    domain: address.as_ref().map(EmailAddress::domain),
                    address,
                    status: e.verdict.status.as_ref().map(|s| s.to_string()),
                }
            })
            .collect();
        let events: Vec<NewDeliveryEvent> = items
            .iter()
            .map(|it| {
                let (job, e, v) = (&jobs[it.job], it.e, &it.e.verdict);
                NewDeliveryEvent {
                    account_id: job.account_id,
                    provider: e.provider,
                    provider_event_id: &e.provider_event_id,
                    category: v.category.as_str(),
                    reason: v.reason.as_str(),
                    status: it.status.as_deref(),
                    reply_code: v.reply_code.map(i64::from),
                    recipient: it
                        .address
                        .as_ref()
                        .map(EmailAddress::as_str)
                        .or(e.recipient.as_deref()),
                    recipient_domain: it.domain.as_ref().map(Domain::as_str),
                    diagnostic: v.diagnostic.as_deref(),
                    remote_mta: v.remote_mta.as_deref(),
                    feedback_type: v.feedback_type.as_deref(),
                    evidence_rule: &v.evidence.rule,
                    evidence_source: &v.evidence.source,
                    provider_message_id: e.provider_message_id.as_deref(),
                    message_id_header: e.message_id_header.as_deref(),
                    return_path: e.return_path.as_deref(),
                    provenance: e.provenance,
                    occurred_at: e.occurred_at.unwrap_or(job.now),
                    received_at: job.now,
                    raw: Some(&job.raw),
                }
            })
            .collect();
        // Matched to the message we sent in the same statement.
        let stored = store::insert_events(conn, &events).await?;
        drop(events);

        // How each stored event is known (a match to a message we sent outranks an
        // account's word), and the transport of that message.
        let trust: Vec<Option<(Provenance, Option<TransportKind>)>> = items
            .iter()
            .zip(&stored)
            .map(|(it, stored)| {
                let stored = stored.as_ref()?;
                let e = it.e;
                let provenance = match (e.provenance, stored.matched) {
                    (Provenance::AccountReported, Some((by, _))) => by,
                    (claimed, _) => claimed,
                };
                Some((provenance, e.transport.or(stored.matched.map(|m| m.1))))
            })
            .collect();
        let stronger: Vec<(i64, Provenance)> = items
            .iter()
            .zip(&stored)
            .zip(&trust)
            .filter_map(|((it, stored), trust)| {
                let (stored, (provenance, _)) = (stored.as_ref()?, (*trust)?);
                (provenance != it.e.provenance).then_some((stored.id, provenance))
            })
            .collect();
        store::set_provenance(conn, &stronger).await?;
        // The accounts that reported a hard bounce for each address of the group's hard
        // bounces (theirs included): one read for the group, none without a hard bounce.
        let hard: Vec<&str> = items
            .iter()
            .zip(&stored)
            .filter(|(it, stored)| {
                stored.is_some() && it.e.verdict.category == Category::HardBounce
            })
            .filter_map(|(it, _)| it.address.as_ref().map(EmailAddress::as_str))
            .collect();
        let hard_reports = match jobs.iter().map(|j| j.now).min() {
            Some(earliest) if !hard.is_empty() => {
                let after = earliest
                    .checked_sub_signed(scope_by_trust::quorum_window())
                    .unwrap_or(DateTime::<Utc>::MIN_UTC);
                store::hard_bounce_reports(conn, &hard, after).await?
            }
            _ => HashMap::new(),
        };

        let mut reports = vec![IngestReport::default(); jobs.len()];
        // Per message, the outcome of its events in order: accepted at, failed with.
        let mut outcome: HashMap<i64, (Option<DateTime<Utc>>, Option<String>)> = HashMap::new();
        let mut suppressions: Vec<store::NewEntry> = Vec::new();
        let mut contacts: Vec<store::ContactUpdate> = Vec::new();
        let mut unlisted: Vec<(i64, String)> = Vec::new();
        let mut blocked_domains: Vec<(i64, Domain, DateTime<Utc>)> = Vec::new();
        // Per stored event: its own log entry, and its suppressions' (with each one's index
        // in `suppressions`: the id is known once they are stored).
        type EventLogs = (Option<NewLogEntry>, Vec<(usize, NewLogEntry)>);
        let mut logs: Vec<EventLogs> = Vec::new();
        for ((it, stored), trust) in items.iter().zip(&stored).zip(&trust) {
            let (job, e, v) = (&jobs[it.job], it.e, &it.e.verdict);
            let (account_id, now) = (job.account_id, job.now);
            let Some(stored) = stored else {
                reports[it.job].events.push(EventOutcome {
                    provider_event_id: e.provider_event_id.clone(),
                    category: v.category,
                    recipient: e.recipient.clone(),
                    status: EventStatus::Duplicate,
                    event_id: None,
                });
                continue;
            };
            let (event_id, message_id) = (stored.id, stored.message_id);
            let actor = match e.provider {
                "smtp" | "api" => format!("send:{}", e.provider),
                "list-unsubscribe" => "recipient (List-Unsubscribe)".to_string(),
                p => format!("webhook:{p}"),
            };
            let subject = it
                .address
                .as_ref()
                .map(|a| a.as_str().to_string())
                .or_else(|| e.recipient.clone())
                .unwrap_or_else(|| "(unknown recipient)".to_string());
            let event_details = json!({
                "category": v.category,
                "reason": v.reason.as_str(),
                "status": it.status,
                "code": v.reply_code,
                "diagnostic": v.diagnostic,
                "remote_mta": v.remote_mta,
                "provider": e.provider,
                "provider_event_id": e.provider_event_id,
                "message_id": message_id,
                "rule": v.evidence.rule,
                "provenance": trust.map(|t| t.0),
            });

            // Delivery status of the message we sent: a failure is the news that matters,
            // so an acceptance after it changes nothing.
            if let Some(mid) = message_id {
                let at = e.occurred_at.unwrap_or(now);
                if v.category == Category::Delivered || v.category.is_failure() {
                    let state = outcome.entry(mid).or_default();
                    if v.category == Category::Delivered {
                        if state.1.is_none() {
                            state.0 = Some(at);
                        }
                    } else {
                        let error = json!({
                            "category": v.category,
                            "reason": v.reason.as_str(),
                            "status": it.status,
                            "code": v.reply_code,
                            "diagnostic": v.diagnostic,
                            "at": at,
                        });
                        state.1 = Some(error.to_string());
                    }
                }
            }
            reports[it.job].events.push(EventOutcome {
                provider_event_id: e.provider_event_id.clone(),
                category: v.category,
                recipient: it
                    .address
                    .as_ref()
                    .map(|a| a.as_str().to_string())
                    .or_else(|| e.recipient.clone()),
                status: EventStatus::Processed,
                event_id: Some(event_id),
            });
            // Nothing to suppress without an address; the event is still recorded and logged.
            let placeholder;
            let address = match &it.address {
                Some(a) => a,
                None => {
                    placeholder = placeholder_address();
                    &placeholder
                }
            };
            let decision = policy::decide(v.category, AccountId(account_id), address, now);
            let log_entry = |kind: LogKind, details| NewLogEntry {
                account_id: Some(account_id),
                at: now,
                kind: kind.as_str(),
                actor: actor.clone(),
                subject: subject.clone(),
                details,
                event_id: Some(event_id),
            };
            let event_log = (decision.log != LogKind::NotLogged)
                .then(|| log_entry(decision.log, event_details));
            let Some(address) = &it.address else {
                logs.push((event_log, Vec::new()));
                continue;
            };
            let entry = decision
                .suppression
                .clone()
                .map(|new| new.with_event(Some(event_id)));
            // The event acts in its own account: the contact, the lists and the log entries
            // are the reporting account's, whatever the entry's reach.
            contacts.push(store::ContactUpdate {
                scope: Scope::Account(AccountId(account_id)),
                address: address.clone(),
                effect: decision.contact,
                reason: entry.as_ref().map(|s| s.reason.clone()),
                event_id: Some(event_id),
            });
            let (provenance, transport) = trust.unwrap_or((e.provenance, e.transport));
            let reach = scope_by_trust::decide(
                Evidence {
                    category: v.category,
                    provenance,
                    transport,
                },
                hard_reports
                    .get(address.as_str())
                    .map_or(&[][..], Vec::as_slice),
                now,
            );
            let mut suppression_logs = Vec::new();
            if let Some(entry) = entry {
                let global = match reach {
                    Reach::Global(basis) => Some((
                        basis,
                        crate::domain::suppression::Suppression {
                            scope: Scope::Global,
                            reason: format!("{} — {}", basis.label(), entry.reason),
                            ..entry.clone()
                        },
                    )),
                    Reach::Account => None,
                };
                let added = |entry: &crate::domain::suppression::Suppression,
                             extra: Option<serde_json::Map<String, serde_json::Value>>| {
                    let mut details = json!({
                        "kind": entry.kind,
                        "scope": entry.scope,
                        "reason": entry.reason,
                        "since": entry.since,
                        "until": entry.until,
                    });
                    if let (Some(d), Some(extra)) = (details.as_object_mut(), extra) {
                        d.extend(extra);
                    }
                    log_entry(LogKind::SuppressionAdded, details)
                };
                suppression_logs.push((suppressions.len(), added(&entry, None)));
                suppressions.push(store::NewEntry { entry, basis: None });
                if let Some((basis, global)) = global {
                    // Why it holds for every account, with the evidence.
                    let evidence = json!({
                        "basis": basis,
                        "label": basis.label(),
                        "provenance": provenance,
                        "transport": transport,
                        "message_id": message_id,
                        "status": it.status,
                        "code": v.reply_code,
                        "diagnostic": v.diagnostic,
                    });
                    let extra = serde_json::Map::from_iter([("evidence".to_string(), evidence)]);
                    suppression_logs.push((suppressions.len(), added(&global, Some(extra))));
                    suppressions.push(store::NewEntry {
                        entry: global,
                        basis: Some(basis),
                    });
                }
            }
            logs.push((event_log, suppression_logs));
            if v.category == Category::HardBounce {
                unlisted.push((account_id, address.as_str().to_string()));
            }
            if v.category == Category::IspBlock {
                if let Some(domain) = &it.domain {
                    match blocked_domains
                        .iter_mut()
                        .find(|(a, d, _)| *a == account_id && d == domain)
                    {
                        Some(seen) => seen.2 = seen.2.max(now),
                        None => blocked_domains.push((account_id, domain.clone(), now)),
                    }
                }
            }
        }

        let accepted: Vec<(i64, DateTime<Utc>)> = outcome
            .iter()
            .filter_map(|(m, (at, _))| Some((*m, (*at)?)))
            .collect();
        let failed: Vec<(i64, String)> = outcome
            .into_iter()
            .filter_map(|(m, (_, error))| Some((m, error?)))
            .collect();
        store::mark_messages(conn, &accepted, &failed).await?;
        let suppression_ids = store::insert_suppressions(conn, &suppressions).await?;
        store::apply_contact_effects(conn, &contacts).await?;
        let mut entries = Vec::with_capacity(logs.len() * 2);
        for (event_log, suppression_logs) in logs {
            entries.extend(event_log);
            for (i, mut entry) in suppression_logs {
                entry.details["suppression_id"] = json!(suppression_ids[i]);
                entries.push(entry);
            }
        }
        store::insert_logs(conn, &entries).await?;
        unlisted.sort_unstable();
        unlisted.dedup();
        crate::storage::campaigns::remove_addresses_from_lists(conn, &unlisted).await?;
        // Repeated ISP blocks: checked once per domain, with every block of the group stored.
        for (account_id, domain, now) in &blocked_domains {
            self.domain_alert(conn, *account_id, domain, *now).await?;
        }
        Ok(reports)
    }
    /// The account's running 30-day complaint rate; a rise to warning (≥ 0.1 %) or paused
    /// (≥ 0.3 %: bulk sending stops) is logged once.
    pub async fn check_complaint_rate(
        &self,
        account_id: i64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<complaint_rate::Rates> {
        let today = now.timestamp().div_euclid(86_400);
        let days: Vec<complaint_rate::DailyCounts> = self
            .db
            .daily_counts(account_id, today - 29, today)
            .await?
            .into_iter()
            .filter_map(|c| {
                Some(complaint_rate::DailyCounts {
                    date: DateTime::from_timestamp(c.day * 86_400, 0)?.date_naive(),
                    sent: c.sent.max(0) as u64,
                    complaints_auto: c.complaints.max(0) as u64,
                    ..Default::default()
                })
            })
            .collect();
        let rates = complaint_rate::rates(&days, now);
        let previous = self.db.rate_status(account_id).await?;
        if previous != rates.status {
            self.db.set_rate_status(account_id, rates.status).await?;
            if let Some(kind) = rates.status.transition_log(previous) {
                let mut conn = self
                    .db
                    .pool()
                    .acquire()
                    .await
                    .context("Failed to connect")?;
                store::insert_log(
                    &mut conn,
                    &NewLogEntry {
                        account_id: Some(account_id),
                        at: now,
                        kind: kind.as_str(),
                        actor: "system".into(),
                        subject: "complaint rate".into(),
                        details: json!({
                            "complaints": rates.complaints_auto + rates.complaints_manual,
                            "sent": rates.sent,
                            "rate_percent": rates.complaint_rate * 100.0,
                            "window_days": complaint_rate::WINDOW_DAYS,
                            "status": rates.status,
                        }),
                        event_id: None,
                    },
                )
                .await?;
            }
        }
        Ok(rates)
    }

    /// Repeated ISP blocks from one recipient domain raise one Org Logging alert per burst.
    async fn domain_alert(
        &self,
        conn: &mut sqlx::AnyConnection,
        account_id: i64,
        domain: &Domain,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let from = now - self.alert_rule.window();
        let blocks: Vec<IspBlockEvent> =
            store::isp_blocks_since(conn, account_id, domain.as_str(), from)
                .await?
                .into_iter()
                .map(|at| IspBlockEvent {
                    domain: domain.clone(),
                    at,
                })
                .collect();
        let previous: Vec<Alert> =
            store::domain_alerts_since(conn, account_id, domain.as_str(), from)
                .await?
                .into_iter()
                .map(|at| Alert {
                    domain: domain.clone(),
                    count: 0,
                    window_minutes: self.alert_rule.window_minutes,
                    raised_at: at,
                    log: LogKind::DomainAlert,
                })
                .collect();
        for alert in domain_alert::evaluate(&blocks, &previous, self.alert_rule, now) {
            store::insert_log(
                conn,
                &NewLogEntry {
                    account_id: Some(account_id),
                    at: now,
                    kind: alert.log.as_str(),
                    actor: "system".into(),
                    subject: alert.domain.as_str().to_string(),
                    details: json!({
                        "domain": alert.domain,
                        "count": alert.count,
                        "window_minutes": alert.window_minutes,
                    }),
                    event_id: None,
                },
            )
            .await?;
        }
        Ok(())
    }

    /// An account admin lets `address` be mailed again by `account_id`, with a reason.
    #[tracing::instrument(skip(self, reason))]
    pub async fn reactivate(
        &self,
        account_id: i64,
        actor: &str,
        address: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Reactivated, ReactivateError> {
        let address =
            EmailAddress::parse(address).map_err(|e| ReactivateError::BadAddress(e.to_string()))?;
        let mut tx = self.db.pool().begin().await.context("Failed to begin")?;
        let entries: Vec<_> = store::suppressions_for(&mut tx, account_id, &address)
            .await?
            .into_iter()
            .filter(|s| s.released_at.is_none() || s.entry.until.is_none_or(|u| u > now))
            .map(|s| s.entry)
            .collect();
        let overrides = store::overrides_for(&mut tx, account_id, &address).await?;
        let r = reactivation::reactivate(
            AccountId(account_id),
            &address,
            reason,
            &entries,
            &overrides,
            now,
        )?;
        let ended = if r.end.is_empty() {
            0
        } else {
            store::end_account_suppressions(&mut tx, account_id, &address, now).await?
        };
        if let Some(o) = &r.create_override {
            store::insert_override(&mut tx, o, actor).await?;
        }
        store::apply_contact_effect(
            &mut tx,
            Scope::Account(AccountId(account_id)),
            &address,
            r.contact,
            None,
            None,
        )
        .await?;
        let log_id = store::insert_log(
            &mut tx,
            &NewLogEntry {
                account_id: Some(account_id),
                at: now,
                kind: r.log.as_str(),
                actor: actor.to_string(),
                subject: address.as_str().to_string(),
                details: json!({
                    "reason": r.reason,
                    "lifted": r.lifted,
                    "override": r.create_override.is_some(),
                }),
                event_id: None,
            },
        )
        .await?;
        tx.commit()
            .await
            .context("Failed to commit a reactivation")?;
        Ok(Reactivated {
            ended,
            override_created: r.create_override.is_some(),
            log_id,
        })
    }

    /// May `account_id` send `kind` mail to `address` now?
    pub async fn gate(
        &self,
        account_id: i64,
        address: &EmailAddress,
        kind: MailKind,
        now: DateTime<Utc>,
    ) -> anyhow::Result<GateResult> {
        let entries: Vec<_> = self
            .db
            .suppressions(account_id, address)
            .await?
            .into_iter()
            .map(|s| s.entry)
            .collect();
        let overrides = self.db.overrides(account_id, address).await?;
        Ok(gate::may_send(
            AccountId(account_id),
            address,
            kind,
            &entries,
            &overrides,
            now,
        ))
    }

    /// The gate for a whole recipient list in one database pass.
    pub async fn gate_batch<'a>(
        &self,
        account_id: i64,
        recipients: &'a [EmailAddress],
        kind: MailKind,
        now: DateTime<Utc>,
    ) -> anyhow::Result<gate::BatchResult<'a>> {
        let (entries, overrides) = self
            .db
            .suppressions_matching(account_id, recipients, now)
            .await?;
        let index = SuppressionIndex::build(&entries, &overrides);
        Ok(index.filter(AccountId(account_id), kind, recipients, now))
    }

    /// Logs every entry released up to `now` once, even with several replicas sweeping one
    /// database: each release is claimed by a conditional update before it is logged.
    /// Returns how many releases this call logged.
    #[tracing::instrument(skip(self))]
    pub async fn sweep(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let mut logged = 0;
        loop {
            let batch = self.db.expired_unreleased(now, 500).await?;
            if batch.is_empty() {
                return Ok(logged);
            }
            let entries: Vec<_> = batch.iter().map(|s| s.entry.clone()).collect();
            let released = sweep::released_since(&entries, None, now);
            let mut claimed_any = false;
            for s in &batch {
                let Some(r) = released.iter().find(|r| r.entry == s.entry) else {
                    continue;
                };
                let account = match s.entry.scope {
                    Scope::Account(a) => Some(a.0),
                    Scope::Global => match s.entry.event_id {
                        Some(ev) => self.db.event_account(ev).await?,
                        None => None,
                    },
                };
                let mut tx = self.db.pool().begin().await.context("Failed to begin")?;
                if !store::claim_release(&mut tx, s.id, now).await? {
                    continue; // another replica got it
                }
                store::insert_log(
                    &mut tx,
                    &NewLogEntry {
                        account_id: account,
                        at: r.released_at,
                        kind: r.log.as_str(),
                        actor: "system".into(),
                        subject: s.entry.address.as_str().to_string(),
                        details: json!({
                            "suppression_id": s.id,
                            "kind": s.entry.kind,
                            "scope": s.entry.scope,
                            "reason": s.entry.reason,
                            "since": s.entry.since,
                            "until": s.entry.until,
                        }),
                        event_id: s.entry.event_id,
                    },
                )
                .await?;
                tx.commit().await.context("Failed to commit a release")?;
                logged += 1;
                claimed_any = true;
            }
            if !claimed_any && batch.len() < 500 {
                return Ok(logged);
            }
        }
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
