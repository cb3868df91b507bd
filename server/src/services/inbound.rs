//! Receiving mail: one message in (Postmark inbound JSON, raw MIME, or SMTP), threaded into a
//! conversation, scored, and put where the spam business rule says — in ONE transaction, so a
//! 2xx (or SMTP 250) means it is stored, and a redelivery of the same message changes nothing.

use crate::domain::address::EmailAddress;
use crate::domain::inbound::{self, BlockEntry, InboundAction, SpamReason};
use crate::domain::spam::message::MailView;
use crate::domain::spam::{AccountModel, AuthSummary, BayesModel, RuleHit, ScoreContext, Scorer};
use crate::domain::suppression::{AccountId, LogKind};
use crate::services::dnsbl::DnsblChecker;
use crate::services::mail_auth::{Client, MailAuthenticator, SpfSource};
use crate::services::sanitize::sanitize_html;
use crate::storage::deliverability::{insert_log, NewLogEntry};
use crate::storage::inbound as store;
use crate::storage::{insert_message, Db, NewMessage};
use anyhow::Context;
use app::models::Direction;
use chrono::{DateTime, Duration, Utc};
use mail_parser::{HeaderValue, MessageParser, PartType};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::{Arc, OnceLock};

/// The largest message accepted (also advertised by the SMTP listener as SIZE).
pub const MAX_INBOUND_BYTES: usize = 10 * 1024 * 1024;

/// How far back a reply without usable Message-IDs is matched by sender and subject.
pub const SUBJECT_THREAD_DAYS: i64 = 30;

/// One message as it arrived.
#[derive(Debug, Clone)]
pub struct InboundMail<'a> {
    pub raw: &'a [u8],
    /// `postmark`, `raw` or `smtp`: where it came from (logged).
    pub source: &'static str,
    /// The provider's own id for the message (Postmark's `MessageID`), used for idempotency
    /// when the message has no Message-ID.
    pub provider_id: Option<String>,
    /// The SMTP client that handed it to us (SPF needs it); unknown for HTTP.
    pub client: Option<Client>,
}

#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    #[error("message larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("not a readable email message: {0}")]
    Unreadable(String),
    #[error("the message has no usable From address: {0}")]
    NoSender(String),
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

/// What happened to one message; the HTTP answer.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    pub conversation_id: i64,
    pub message_id: i64,
    /// Already stored: a redelivery. Nothing changed.
    pub duplicate: bool,
    pub new_conversation: bool,
    /// `None` for a duplicate.
    pub action: Option<InboundAction>,
    pub score: f64,
    pub spam: bool,
    pub rules: Vec<RuleHit>,
}

/// The shipped model, parsed once per process.
pub fn shared_scorer() -> Arc<Scorer> {
    static SCORER: OnceLock<Arc<Scorer>> = OnceLock::new();
    SCORER
        .get_or_init(|| {
            let model = BayesModel::shipped().unwrap_or_else(|e| {
                tracing::error!(error = %e, "shipped spam model unreadable; scoring without it");
                BayesModel::empty()
            });
            Arc::new(Scorer::new(model))
        })
        .clone()
}

/// What is read from the message before anything is stored.
struct Parsed {
    from: EmailAddress,
    from_name: Option<String>,
    to: String,
    subject: String,
    text: String,
    html: Option<String>,
    message_id: Option<String>,
    keys: inbound::ThreadKeys,
}

fn parse(raw: &[u8]) -> Result<Parsed, InboundError> {
    // mail-parser 0.11 can panic on malformed nested multiparts (found by cargo-fuzz).
    let message = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        MessageParser::default().parse(raw)
    }))
    .map_err(|_| InboundError::Unreadable("malformed MIME structure".into()))?
    .ok_or_else(|| InboundError::Unreadable("no header block".into()))?;
    // mail-parser's typed parsers can swallow the field after a malformed one (a Date ending
    // in "AM" hides the From below it); the spam scorer's own reading of the header block
    // fills what is missing.
    let mut fallback: Option<MailView> = None;
    let mut view = || fallback.get_or_insert_with(|| MailView::parse(raw)).clone();
    let from_addr = message.from().and_then(|a| a.first());
    let mut from_text = from_addr
        .and_then(|a| a.address())
        .unwrap_or_default()
        .to_string();
    let mut from_name = from_addr
        .and_then(|a| a.name())
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    if from_text.is_empty() {
        let v = view();
        from_text = v.from_address.unwrap_or_default();
        from_name = v.from_name.filter(|n| !n.trim().is_empty());
    }
    let from =
        EmailAddress::parse(&from_text).map_err(|e| InboundError::NoSender(e.to_string()))?;
    let to = message
        .to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or_default()
        .to_lowercase();
    let subject = match message.subject() {
        Some(s) => s.trim().to_string(),
        None => view().subject.unwrap_or_default().trim().to_string(),
    };
    let message_id = match message.message_id() {
        Some(m) => Some(m.trim().to_string()),
        None => view()
            .header("message-id")
            .map(|m| {
                m.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
            .filter(|m| !m.is_empty()),
    };
    let list = |v: &HeaderValue| -> Vec<String> {
        match v {
            HeaderValue::Text(t) => vec![t.to_string()],
            HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
            _ => Vec::new(),
        }
    };
    let keys = inbound::thread_keys(
        &list(message.in_reply_to()),
        &list(message.references()),
        &subject,
    );
    let has_html = message
        .html_part(0)
        .is_some_and(|p| matches!(p.body, PartType::Html(_)));
    let html = has_html
        .then(|| message.body_html(0).map(|h| sanitize_html(&h)))
        .flatten();
    let text = message
        .body_text(0)
        .map(|t| t.trim_end().to_string())
        .unwrap_or_default();
    Ok(Parsed {
        from,
        from_name,
        to,
        subject,
        text,
        html,
        message_id,
        keys,
    })
}

#[derive(Clone)]
pub struct InboundService {
    db: Db,
    scorer: Arc<Scorer>,
    /// Checks DKIM / SPF / DMARC itself; without one, the trusted `Authentication-Results`
    /// header is taken as it is.
    authenticator: Option<MailAuthenticator>,
    /// Looks the client, sender, Reply-To and link domains up on DNS block lists; none
    /// unless the operator configured lists.
    dnsbl: Option<DnsblChecker>,
}

impl InboundService {
    pub fn new(db: Db) -> Self {
        InboundService {
            db,
            scorer: shared_scorer(),
            authenticator: None,
            dnsbl: None,
        }
    }

    pub fn with_dnsbl(mut self, dnsbl: DnsblChecker) -> Self {
        self.dnsbl = Some(dnsbl);
        self
    }

    pub fn with_authenticator(mut self, authenticator: MailAuthenticator) -> Self {
        self.authenticator = Some(authenticator);
        self
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The account that receives mail at `address` (the SMTP listener's RCPT check).
    pub async fn account_for_address(&self, address: &str) -> anyhow::Result<Option<i64>> {
        self.db.inbound_address_account(address).await
    }

    /// The account's classifier overlay, if agents trained one.
    async fn account_model(&self, account: AccountId) -> anyhow::Result<Option<AccountModel>> {
        Ok(match self.db.account_model(account).await? {
            Some(bytes) => match AccountModel::from_bytes(&bytes) {
                Ok(m) => Some(m),
                Err(e) => {
                    tracing::warn!(account_id = account.0, error = %e, "account spam model unreadable; ignored");
                    None
                }
            },
            None => None,
        })
    }

    #[tracing::instrument(skip_all, fields(account_id = account.0, source = mail.source, bytes = mail.raw.len()))]
    pub async fn receive(
        &self,
        account: AccountId,
        mail: &InboundMail<'_>,
        now: DateTime<Utc>,
    ) -> Result<Received, InboundError> {
        if mail.raw.len() > MAX_INBOUND_BYTES {
            return Err(InboundError::TooLarge {
                limit: MAX_INBOUND_BYTES,
            });
        }
        let p = parse(mail.raw)?;
        let key = match (&p.message_id, &mail.provider_id) {
            (Some(mid), _) if !mid.is_empty() => format!("mid:{mid}"),
            (_, Some(pid)) => format!("{}:{pid}", mail.source),
            _ => format!("sha256:{}", hex::encode(Sha256::digest(mail.raw))),
        };

        // Everything the score depends on is read before the transaction.
        let blocked = self
            .db
            .block_match(account, &BlockEntry::candidates(&p.from))
            .await?;
        let allowed = self
            .db
            .allow_match(account, &BlockEntry::candidates(&p.from))
            .await?;
        let threshold = self.db.spam_threshold(account).await?;
        let reputation = self
            .db
            .domain_history(account, p.from.domain().as_str())
            .await?;
        let account_model = self.account_model(account).await?;
        let auth = match &mail.client {
            // Received over SMTP: every header is the sender's own words, Authentication-Results
            // included. Only our own check counts; without one (or past its deadline) there
            // is no result.
            Some(client) => match &self.authenticator {
                Some(authenticator) => authenticator
                    .verify(mail.raw, SpfSource::Client(client))
                    .await
                    .unwrap_or_default(),
                None => AuthSummary::default(),
            },
            // Over HTTP from a forwarder: its topmost header, if the account listed its
            // authserv-id; our own DKIM and DMARC on top when we can check.
            None => {
                let trusted = self.db.trusted_authserv_ids(account).await?;
                let upstream = AuthSummary::from_trusted(&MailView::parse(mail.raw), &trusted);
                match &self.authenticator {
                    Some(authenticator) => authenticator
                        .verify(mail.raw, SpfSource::Upstream(&upstream))
                        .await
                        .unwrap_or(upstream),
                    None => upstream,
                }
            }
        };
        let dns_hits = match &self.dnsbl {
            Some(dnsbl) => {
                let view = MailView::parse(mail.raw);
                dnsbl.check(&view, mail.client.as_ref().map(|c| c.ip)).await
            }
            None => Vec::new(),
        };
        let report = {
            let ctx = ScoreContext {
                threshold,
                reputation,
                account_model: account_model.as_ref(),
                dns_hits: &dns_hits,
            };
            self.scorer.score_with_auth(mail.raw, &ctx, Some(&auth))
        };
        let score = report.score.points();

        let mut tx = self.db.begin().await?;
        // A write first, so SQLite takes its write lock now rather than upgrading later.
        let contact_id = store::upsert_contact(
            &mut tx,
            account,
            p.from.as_str(),
            p.from_name.as_deref(),
            now,
        )
        .await?;
        if let Some((message_id, conversation_id)) =
            store::message_by_inbound_key(&mut tx, account, &key).await?
        {
            tx.rollback().await.ok();
            return Ok(Received {
                conversation_id,
                message_id,
                duplicate: true,
                new_conversation: false,
                action: None,
                score,
                spam: report.spam,
                rules: report.hits,
            });
        }
        let mut conversation =
            store::conversation_by_message_ids(&mut tx, account, &p.keys.message_ids).await?;
        if conversation.is_none() && !p.keys.subject.is_empty() {
            let recent = store::recent_conversations_of(
                &mut tx,
                account,
                contact_id,
                now - Duration::days(SUBJECT_THREAD_DAYS),
            )
            .await?;
            conversation = recent
                .into_iter()
                .find(|(_, s)| inbound::normalize_subject(s) == p.keys.subject)
                .map(|(id, _)| id);
        }
        let existing = match conversation {
            Some(id) => store::conversation_state(&mut tx, account, id).await?,
            None => None,
        };
        let listed = inbound::Listed {
            blocked_by: blocked.as_ref().map(|b| b.entry.value()),
            allowed_by: allowed.as_ref().map(|a| a.entry.value()),
        };
        let action = inbound::decide(report.score, threshold, listed, existing);
        let allowed_over_score = inbound::allowlist_override(report.score, threshold, listed);
        let new_conversation = conversation.is_none();
        let conversation_id = match conversation {
            Some(id) => {
                match &action {
                    InboundAction::MarkSpam(_) => {
                        store::set_conversation_status(&mut tx, account, id, false).await?;
                        store::set_spam_attribute(&mut tx, id, true).await?;
                    }
                    InboundAction::Reopen => {
                        store::set_conversation_status(&mut tx, account, id, true).await?
                    }
                    InboundAction::Open | InboundAction::Append => {}
                }
                id
            }
            None => {
                let subject = if p.subject.is_empty() {
                    "(no subject)"
                } else {
                    &p.subject
                };
                let id = store::create_conversation(
                    &mut tx,
                    account,
                    contact_id,
                    subject,
                    !action.is_spam(),
                    now,
                )
                .await?;
                if action.is_spam() {
                    store::set_spam_attribute(&mut tx, id, true).await?;
                }
                id
            }
        };
        let rules_json = serde_json::to_string(&report.hits).context("rules as JSON")?;
        let message_id = insert_message(
            &mut tx,
            &NewMessage {
                account_id: account,
                conversation_id,
                direction: Direction::Inbound,
                from_addr: p.from.as_str(),
                to_addr: &p.to,
                subject: &p.subject,
                text_body: &p.text,
                html_body: p.html.as_deref(),
                raw_source: Some(mail.raw),
                message_id_header: p.message_id.as_deref(),
                created_at: now,
                inbound_key: Some(&key),
                spam_score: Some(score),
                spam_rules: Some(&rules_json),
            },
        )
        .await?
        .context("the inbound key was taken inside the transaction")?;
        if let InboundAction::MarkSpam(reason) = &action {
            let rules: Vec<_> = report
                .hits
                .iter()
                .map(|h| json!({"name": h.name, "points": h.points}))
                .collect();
            let kind = match reason {
                SpamReason::Score { .. } => LogKind::SpamDetected,
                SpamReason::BlockedSender { .. } => LogKind::BlockedSender,
            };
            insert_log(
                &mut tx,
                &NewLogEntry {
                    account_id: Some(account),
                    at: now,
                    kind,
                    actor: "system: spam rule".into(),
                    subject: p.from.as_str().to_string(),
                    details: json!({
                        "conversation_id": conversation_id,
                        "message_id": message_id,
                        "source": mail.source,
                        "subject": p.subject,
                        "score": score,
                        "threshold": threshold.value(),
                        "why": reason,
                        "action": "marked done, Spam: true",
                        "rules": rules,
                    }),
                    event_id: None,
                },
            )
            .await?;
        }
        if let Some(entry) = allowed_over_score {
            insert_log(
                &mut tx,
                &NewLogEntry {
                    account_id: Some(account),
                    at: now,
                    kind: LogKind::AllowlistOverride,
                    actor: "system: allowlist".into(),
                    subject: p.from.as_str().to_string(),
                    details: json!({
                        "conversation_id": conversation_id,
                        "message_id": message_id,
                        "source": mail.source,
                        "subject": p.subject,
                        "score": score,
                        "threshold": threshold.value(),
                        "allowed_by": entry,
                        "action": "not marked spam: the sender is on the allowlist",
                    }),
                    event_id: None,
                },
            )
            .await?;
        }
        tx.commit().await.context("Failed to commit a message")?;
        tracing::info!(
            account_id = account.0,
            conversation_id,
            message_id,
            score,
            action = ?action,
            "message received"
        );
        Ok(Received {
            conversation_id,
            message_id,
            duplicate: false,
            new_conversation,
            spam: action.is_spam(),
            action: Some(action),
            score,
            rules: report.hits,
        })
    }
}
