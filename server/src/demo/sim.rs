//! The simulation's hands: each step one call to a real service at the simulated time,
//! counted in the report.

use super::customers::Rng;
use super::run::{DemoServices, SeedReport};
use crate::domain::bounce::esp::{classify_esp, Provider};
use crate::domain::suppression::AccountId;
use crate::services::inbound::InboundMail;
use crate::services::outbound::ReplyError;
use anyhow::Context;
use chrono::{DateTime, Utc};

/// A reply we sent: enough to answer it as a mailbox provider would.
pub(super) struct Sent {
    pub(super) to: String,
    pub(super) return_path: String,
    pub(super) message_id: String,
    pub(super) subject: String,
}

pub(super) struct Sim<'a> {
    pub(super) s: &'a DemoServices,
    pub(super) acme: i64,
    pub(super) rng: Rng,
    pub(super) report: SeedReport,
    /// Counter for message ids and ESP event ids.
    pub(super) n: u64,
    /// Replies a receiving domain will refuse in a burst (ISP block notices).
    pub(super) blocked: Vec<Sent>,
    /// Customers whose address hard-bounced, oldest first (the admin reactivates one).
    pub(super) hard_bounced: Vec<String>,
}

impl Sim<'_> {
    pub(super) fn next_id(&mut self) -> u64 {
        self.n += 1;
        self.n
    }

    pub(super) async fn receive(
        &mut self,
        account: i64,
        raw: &[u8],
        at: DateTime<Utc>,
    ) -> anyhow::Result<crate::services::inbound::Received> {
        let r = self
            .s
            .inbound
            .receive(
                AccountId(account),
                &InboundMail {
                    raw,
                    source: "raw",
                    provider_id: None,
                    client: None,
                },
                at,
            )
            .await
            .map_err(|e| anyhow::anyhow!("demo inbound refused: {e}"))?;
        self.report.inbound += 1;
        if r.spam {
            self.report.spam_received += 1;
        }
        Ok(r)
    }

    /// An agent's reply; `None` when the gate refused it (the agent sees why).
    pub(super) async fn reply(
        &mut self,
        account: i64,
        conversation: i64,
        text: &str,
        subject: &str,
        at: DateTime<Utc>,
    ) -> anyhow::Result<Option<Sent>> {
        match self
            .s
            .outbound
            .reply(AccountId(account), conversation, text, at)
            .await
        {
            Ok(id) => {
                self.report.replies_sent += 1;
                let p = self
                    .s
                    .db()
                    .pending_send(id)
                    .await?
                    .context("a sent reply is missing")?;
                Ok(Some(Sent {
                    to: p.to_addr,
                    return_path: p.return_path,
                    message_id: p.message_id_header.unwrap_or_default(),
                    subject: format!("Re: {subject}"),
                }))
            }
            Err(ReplyError::Suppressed { .. }) => {
                self.report.replies_refused += 1;
                Ok(None)
            }
            Err(e) => Err(anyhow::anyhow!("demo reply failed: {e}")),
        }
    }

    pub(super) async fn raw_notice(&mut self, raw: &[u8], at: DateTime<Utc>) -> anyhow::Result<()> {
        self.s
            .ingest
            .ingest_raw(AccountId(self.acme), raw, at)
            .await
            .map_err(|e| anyhow::anyhow!("demo notice refused: {e}"))?;
        self.report.raw_notices += 1;
        Ok(())
    }

    pub(super) async fn webhook(
        &mut self,
        provider: Provider,
        body: &[u8],
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let events = classify_esp(provider, body)
            .map_err(|e| anyhow::anyhow!("demo {} payload unreadable: {e}", provider.as_str()))?;
        self.report.webhook_events += events.len();
        self.s
            .ingest
            .ingest_esp(AccountId(self.acme), provider, &events, body, at)
            .await?;
        Ok(())
    }

    pub(super) async fn close(&self, account: i64, conversation: i64) -> anyhow::Result<()> {
        let mut tx = self.s.db().begin().await?;
        crate::storage::inbound::set_conversation_status(
            &mut tx,
            AccountId(account),
            conversation,
            false,
        )
        .await?;
        tx.commit()
            .await
            .context("Failed to close a conversation")?;
        Ok(())
    }

    /// A campaign to the Customers list, sent now, and what comes back.
    pub(super) async fn campaign(
        &mut self,
        list: i64,
        sender: i64,
        subject: &str,
        body: &str,
        at: DateTime<Utc>,
    ) -> anyhow::Result<i64> {
        let p = self
            .s
            .campaigns
            .prepare(
                AccountId(self.acme),
                "admin@acme.test",
                list,
                sender,
                subject,
                body,
                at,
            )
            .await
            .map_err(|e| anyhow::anyhow!("demo campaign refused: {e}"))?;
        self.s.campaigns.run(p.campaign_id, at).await?;
        self.report.campaign_recipients += p.queued;
        Ok(p.campaign_id)
    }
}
