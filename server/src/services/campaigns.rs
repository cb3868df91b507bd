//! Campaigns: one message to a contact list through a bulk sender address.
//!
//! Preparing removes suppressed addresses first (counted and shown) and queues the rest, each
//! with a random message key (its Message-ID and VERP address); sending issues each recipient
//! an unsubscribe token (stored hashed) and runs in the background, one recipient at a time,
//! with `List-Unsubscribe` + one-click `List-Unsubscribe-Post` (RFC 8058). A hard bounce takes
//! the address off the list (the contact stays, marked). The complaint-rate guardrail pauses
//! the campaign when the account's running 30-day rate reaches 0.3 %; the guardrail per mailbox
//! provider holds the recipients of one provider whose own rate reached it, and the rest go on.

use super::ingest::IngestService;
use super::transport::{self, TransportConfig};
use crate::domain::address::EmailAddress;
use crate::domain::bounce::classify_smtp_reply;
use crate::domain::category::Category;
use crate::domain::suppression::complaint_rate::RateStatus;
use crate::domain::suppression::provider_family::ProviderFamily;
use crate::domain::suppression::send_time_5xx::{next_retry_delay, ReplyClass};
use crate::domain::suppression::{AccountId, MailKind};
use crate::storage::campaigns::{self as store, NewRecipient};
use crate::storage::inbound::upsert_contact;
use crate::storage::Db;
use anyhow::Context;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error(
        "Bulk sending is paused: the account's complaint rate over 30 days is {0:.2} % (the \
         limit is 0.3 %). Replies to conversations still go out."
    )]
    Paused(f64),
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

/// What preparing a campaign did, for the admin's confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prepared {
    pub campaign_id: i64,
    pub total: usize,
    pub skipped_suppressed: usize,
    pub queued: usize,
}

#[derive(Clone)]
pub struct CampaignService {
    db: Db,
    ingest: IngestService,
    /// Where the unsubscribe links point (`PUBLIC_URL`).
    public_url: String,
    /// Where mail goes: the operator's outbound policy and shared transport.
    transports: transport::Transports,
}

fn token() -> String {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

impl CampaignService {
    /// The ingest service this one records through.
    pub fn ingest(&self) -> &IngestService {
        &self.ingest
    }

    /// Records send-time failures and checks the complaint rate through `ingest` (the
    /// process's one ingest service: its database is this service's).
    pub fn new(ingest: IngestService, public_url: impl Into<String>) -> Self {
        CampaignService {
            db: ingest.db().clone(),
            ingest,
            public_url: public_url.into().trim_end_matches('/').to_string(),
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

    /// Creates a list from addresses separated by lines, commas or spaces; every address
    /// becomes (or links) a contact. Refuses the whole list when one address is invalid.
    #[tracing::instrument(skip_all, fields(account_id = account.0))]
    pub async fn create_list(
        &self,
        account: AccountId,
        name: &str,
        addresses: &str,
        now: DateTime<Utc>,
    ) -> Result<(i64, usize), CampaignError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(CampaignError::Invalid("Give the list a name.".into()));
        }
        let mut parsed = Vec::new();
        // Each address once, in the order given (a hash set: a list of 100,000 compared
        // every address with every earlier one).
        let mut seen = std::collections::HashSet::new();
        let mut bad = Vec::new();
        for a in addresses
            .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .filter(|a| !a.trim().is_empty())
        {
            match EmailAddress::parse(a) {
                Ok(e) if seen.insert(e.clone()) => parsed.push(e),
                Ok(_) => {}
                Err(_) => bad.push(a.to_string()),
            }
        }
        if !bad.is_empty() {
            return Err(CampaignError::Invalid(format!(
                "Not email addresses: {}",
                bad.join(", ")
            )));
        }
        if parsed.is_empty() {
            return Err(CampaignError::Invalid("Add at least one address.".into()));
        }
        let list_id = self
            .db
            .create_list(account, name, now)
            .await?
            .ok_or_else(|| {
                CampaignError::Invalid(format!("A list named {name:?} exists already."))
            })?;
        let mut tx = self.db.begin().await?;
        let mut ids = Vec::with_capacity(parsed.len());
        for a in &parsed {
            ids.push(upsert_contact(&mut tx, account, a.as_str(), None, now).await?);
        }
        store::add_members(&mut tx, list_id, &ids, now).await?;
        tx.commit().await.context("Failed to commit a list")?;
        Ok((list_id, ids.len()))
    }

    /// Checks the guardrail and the sender, removes suppressed addresses and queues the rest.
    #[allow(clippy::too_many_arguments)]
    #[tracing::instrument(skip_all, fields(account_id = account.0, list_id = list_id, sender_id = sender_id))]
    pub async fn prepare(
        &self,
        account: AccountId,
        actor: &str,
        list_id: i64,
        sender_id: i64,
        subject: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<Prepared, CampaignError> {
        let (subject, body) = (subject.trim(), body.trim());
        if subject.is_empty() || body.is_empty() {
            return Err(CampaignError::Invalid(
                "A campaign needs a subject and a text.".into(),
            ));
        }
        let sender = self
            .db
            .sender(account, sender_id)
            .await?
            .ok_or(CampaignError::NotFound)?;
        if sender.kind != "bulk" {
            return Err(CampaignError::Invalid(format!(
                "{} is a transactional address: campaigns go out through a bulk sender address.",
                sender.address
            )));
        }
        let rates = self.ingest.check_complaint_rate(account, now).await?;
        if !rates.status.allows(MailKind::Bulk) {
            return Err(CampaignError::Paused(rates.complaint_rate * 100.0));
        }
        let members = self
            .db
            .list_members(account, list_id)
            .await?
            .ok_or(CampaignError::NotFound)?;
        let addresses: Vec<EmailAddress> = members
            .iter()
            .filter_map(|(_, a)| EmailAddress::parse(a).ok())
            .collect();
        let gate = self
            .ingest
            .gate_batch(account, &addresses, MailKind::Bulk, now)
            .await?;
        let contact_of: std::collections::HashMap<&str, i64> =
            members.iter().map(|(id, a)| (a.as_str(), *id)).collect();
        let mut rows = Vec::with_capacity(members.len());
        for a in &gate.allowed {
            rows.push(NewRecipient {
                contact_id: contact_of.get(a.as_str()).copied().unwrap_or_default(),
                address: a.as_str().to_string(),
                status: "queued",
                detail: None,
                message_key: token(),
            });
        }
        let queued = rows.len();
        for (a, why) in &gate.suppressed {
            let detail = match why {
                crate::domain::suppression::GateResult::Suppressed { reason, .. } => reason.clone(),
                crate::domain::suppression::GateResult::Allowed => String::new(),
            };
            rows.push(NewRecipient {
                contact_id: contact_of.get(a.as_str()).copied().unwrap_or_default(),
                address: a.as_str().to_string(),
                status: "skipped",
                detail: Some(detail),
                message_key: token(),
            });
        }
        let skipped = gate.suppressed.len();
        let mut tx = self.db.begin().await?;
        let campaign_id = store::insert_campaign(
            &mut tx,
            account,
            list_id,
            sender_id,
            subject,
            body,
            members.len() as i64,
            skipped as i64,
            actor,
            now,
        )
        .await?;
        store::insert_recipients(&mut tx, campaign_id, &rows).await?;
        tx.commit().await.context("Failed to commit a campaign")?;
        Ok(Prepared {
            campaign_id,
            total: members.len(),
            skipped_suppressed: skipped,
            queued,
        })
    }

    /// Sends the queued recipients until none is left or the guardrail pauses the campaign.
    /// `now` is the time the run happens at (tests move it forward to reach retries).
    #[tracing::instrument(skip_all, fields(campaign_id = campaign_id, account_id = tracing::field::Empty))]
    pub async fn run(&self, campaign_id: i64, now: DateTime<Utc>) -> anyhow::Result<()> {
        let campaign = self
            .db
            .campaign(campaign_id)
            .await?
            .context("campaign missing")?;
        let account = campaign.account_id;
        tracing::Span::current().record("account_id", account.0);
        let sender = self
            .db
            .sender(account, campaign.sender_id)
            .await?
            .context("sender address missing")?;
        // Recipients at a mailbox provider the guardrail paused stay queued (passed over by
        // the cursor) until an admin resumes that provider; the others go out.
        let mut after = 0;
        loop {
            let batch = self.db.next_queued(campaign_id, after, 50, now).await?;
            if batch.is_empty() {
                // Recipients deferred by a 4xx wait for their retry (`resume_due`), and those
                // held for a paused provider for its resume.
                if self.db.queued_count(campaign_id).await? == 0 {
                    self.db
                        .set_campaign_status(campaign_id, "sent", Some(now))
                        .await?;
                }
                return Ok(());
            }
            after = batch.last().map_or(after, |r| r.id);
            let rates = self.ingest.check_complaint_rate(account, now).await?;
            if rates.status == RateStatus::Paused {
                tracing::warn!(
                    campaign_id,
                    "campaign paused by the complaint-rate guardrail"
                );
                self.db
                    .set_campaign_status(campaign_id, "paused", None)
                    .await?;
                return Ok(());
            }
            let held: Vec<ProviderFamily> = self
                .ingest
                .provider_guardrail(account, now)
                .await?
                .into_iter()
                .filter(|p| !p.verdict.allows(MailKind::Bulk))
                .map(|p| p.rates.family)
                .collect();
            for r in batch {
                if held.contains(&ProviderFamily::of_address(&r.address)) {
                    continue;
                }
                if !self.db.claim_recipient(r.id).await? {
                    continue;
                }
                self.send_one(
                    account,
                    &campaign,
                    &sender.transport,
                    &sender.address,
                    sender.name.as_deref(),
                    &r,
                    now,
                )
                .await?;
            }
        }
    }

    /// Sends again the account's campaigns still sending (after an admin resumed a provider).
    #[tracing::instrument(skip_all, fields(account_id = account.0))]
    pub async fn resume_account(
        &self,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        for id in self.db.sending_campaigns(account).await? {
            self.run(id, now).await?;
        }
        Ok(())
    }

    /// Sends the campaign recipients whose retry is due (run by the retry worker).
    #[tracing::instrument(skip_all)]
    pub async fn resume_due(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let due = self.db.campaigns_due(now).await?;
        for id in &due {
            self.run(*id, now).await?;
        }
        Ok(due.len())
    }

    #[allow(clippy::too_many_arguments)]
    async fn send_one(
        &self,
        account: AccountId,
        campaign: &store::CampaignRow,
        transport_config: &TransportConfig,
        from: &str,
        from_name: Option<&str>,
        r: &store::QueuedRecipient,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let domain = from.rsplit_once('@').map(|(_, d)| d).unwrap_or("localhost");
        // The message is named by its own key; the unsubscribe token appears only in the
        // link (headers travel further: forwarded mail, bounces, logs).
        let message_id = format!("{}@{domain}", r.message_key);
        let return_path = format!("bounces+{}@{domain}", r.message_key);
        let unsubscribe_token = token();
        self.db
            .issue_unsubscribe_token(r.id, &unsubscribe_token)
            .await?;
        let unsubscribe = format!("{}/unsubscribe/{unsubscribe_token}", self.public_url);
        let raw = build(
            from,
            from_name,
            &r.address,
            campaign,
            &message_id,
            &unsubscribe,
        )?;
        let attempt = self
            .transports
            .send(transport_config, &return_path, &r.address, &raw)
            .await;
        let (code, enhanced, text, _) = attempt.into_parts();
        let class = ReplyClass::of(code);
        let verdict = classify_smtp_reply(code, enhanced.as_deref(), &text, &r.address);
        let retry = match class {
            ReplyClass::Transient => next_retry_delay(r.attempts.max(0) as u32),
            _ => None,
        };
        let mut tx = self.db.begin().await?;
        if let Some(delay) = retry {
            let diagnostic = verdict.diagnostic.clone().unwrap_or_default();
            store::defer_recipient(&mut tx, r.id, now + delay, &diagnostic).await?;
            tx.commit().await.context("Failed to commit a deferral")?;
            return Ok(());
        }
        let detail =
            (class != ReplyClass::Accepted).then(|| verdict.diagnostic.clone().unwrap_or_default());
        store::finish_recipient(
            &mut tx,
            campaign.id,
            r.id,
            class == ReplyClass::Accepted,
            detail.as_deref(),
            &format!("<{message_id}>"),
            now,
        )
        .await?;
        if verdict.category == Category::HardBounce {
            store::remove_from_list(&mut tx, campaign.list_id, r.contact_id).await?;
        }
        tx.commit()
            .await
            .context("Failed to commit a campaign send")?;
        if class != ReplyClass::Accepted {
            // A 5xx, or a 4xx after the last retry (a soft bounce): recorded like any bounce.
            self.ingest
                .record_send_failure(
                    account,
                    transport_config.provider(),
                    transport_config.kind(),
                    format!("campaign:{}:{}", campaign.id, r.id),
                    None,
                    &verdict,
                    now,
                )
                .await?;
        }
        Ok(())
    }
}

fn build(
    from: &str,
    from_name: Option<&str>,
    to: &str,
    c: &store::CampaignRow,
    message_id: &str,
    unsubscribe_url: &str,
) -> anyhow::Result<Vec<u8>> {
    use lettre::message::header::{ContentType, HeaderName, HeaderValue};
    use lettre::message::Mailbox;
    let from = Mailbox::new(
        from_name.map(str::to_string),
        from.parse()
            .with_context(|| format!("bad sender {from:?}"))?,
    );
    let to = Mailbox::new(
        None,
        to.parse()
            .with_context(|| format!("bad recipient {to:?}"))?,
    );
    let mut m = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(c.subject.clone())
        .message_id(Some(format!("<{message_id}>")))
        .header(ContentType::TEXT_PLAIN)
        .body(format!(
            "{}\n\n--\nTo stop receiving these emails, unsubscribe: {unsubscribe_url}\n",
            c.body
        ))
        .context("Failed to build a campaign message")?;
    let headers = m.headers_mut();
    headers.insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("List-Unsubscribe"),
        format!("<{unsubscribe_url}>"),
    ));
    headers.insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click".to_string(),
    ));
    Ok(m.formatted())
}
