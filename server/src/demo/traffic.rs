//! The month's mail: customer conversations and what mailbox providers answer to the
//! replies, spam, the wholesale partner's offers, ISP blocks, and the complaints about the
//! first campaign and about a reply.

use super::customers::Customer;
use super::mail;
use super::run::{CAMPAIGN_COMPLAINER, ISP_BLOCK_DAY};
use super::sim::{Sent, Sim};
use super::DEMO_LIST;
use crate::domain::bounce::esp::Provider;
use crate::domain::suppression::provider_family::ProviderFamily;
use crate::domain::suppression::AccountId;
use chrono::{DateTime, Duration, Utc};

impl Sim<'_> {
    /// One customer conversation: the question, one to three rounds of answers.
    pub(super) async fn conversation(
        &mut self,
        day: i64,
        c: &Customer,
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let (subject, first, follow_up) = *self.rng.pick(mail::TOPICS);
        let n = 20_000 + self.next_id();
        let subject = subject.replace("{n}", &n.to_string());
        let first = first.replace("{n}", &n.to_string());
        let mid = format!("demo-in-{n}@{}", c.email.rsplit('@').next().unwrap_or("x"));
        let raw = mail::customer_mail(
            &c.email,
            &c.name,
            "support@acme.test",
            &subject,
            &first,
            &mid,
            None,
            at,
        );
        let r = self.receive(self.acme, &raw, at).await?;
        if r.spam || r.duplicate {
            return Ok(());
        }
        let mut t = at + Duration::minutes(10 + self.rng.below(110) as i64);
        let rounds = match self.rng.below(100) {
            0..=44 => 1,
            45..=84 => 2,
            _ => 3,
        };
        for round in 0..rounds {
            let text = *self.rng.pick(mail::REPLIES);
            let Some(sent) = self
                .reply(self.acme, r.conversation_id, text, &subject, t)
                .await?
            else {
                break;
            };
            self.aftermath(day, &sent, t).await?;
            if round + 1 == rounds {
                break;
            }
            t += Duration::minutes(30 + self.rng.below(240) as i64);
            let follow = mail::customer_mail(
                &c.email,
                &c.name,
                "support@acme.test",
                &format!("Re: {subject}"),
                follow_up,
                &format!("demo-in-{}-{round}@x.example", n),
                Some(&sent.message_id),
                t,
            );
            self.receive(self.acme, &follow, t).await?;
            t += Duration::minutes(15 + self.rng.below(90) as i64);
        }
        if self.rng.per_mille(960) {
            self.close(self.acme, r.conversation_id).await?;
        }
        Ok(())
    }

    /// What providers send back about a reply, now and then: a bounce notice or an ESP
    /// event, an out-of-office.
    async fn aftermath(&mut self, day: i64, sent: &Sent, at: DateTime<Utc>) -> anyhow::Result<()> {
        let later = at + Duration::minutes(3 + self.rng.below(40) as i64);
        let family = ProviderFamily::of_address(&sent.to);
        let roll = self.rng.below(1000);
        if day == ISP_BLOCK_DAY && sent.to.ends_with("@northwind.example") && self.blocked.len() < 5
        {
            self.blocked.push(Sent {
                to: sent.to.clone(),
                return_path: sent.return_path.clone(),
                message_id: sent.message_id.clone(),
                subject: sent.subject.clone(),
            });
            return Ok(());
        }
        if roll < 12 && family == ProviderFamily::Other {
            self.hard_bounced.push(sent.to.clone());
            let raw = mail::dsn(
                &sent.to,
                &sent.return_path,
                &sent.message_id,
                "5.1.1",
                &format!(
                    "550 5.1.1 <{}>: Recipient address rejected: User unknown",
                    sent.to
                ),
                "mx1.mailhost-demo.example",
                later,
            );
            self.raw_notice(&raw, later).await?;
        } else if roll < 22 && !(14..24).contains(&day) {
            // Mailbox full: a soft bounce for 14 days (the early ones released by the sweeper).
            let raw = mail::dsn(
                &sent.to,
                &sent.return_path,
                &sent.message_id,
                "4.2.2",
                &format!("452 4.2.2 <{}>: Mailbox full", sent.to),
                "mx2.mailhost-demo.example",
                later,
            );
            self.raw_notice(&raw, later).await?;
        } else if roll < 52 {
            let raw = mail::out_of_office(&sent.to, &sent.return_path, &sent.subject, later);
            self.raw_notice(&raw, later).await?;
        } else if roll < 60 {
            let id = self.next_id();
            let event = format!("demo-{id}");
            let (provider, body) = match id % 4 {
                0 => (
                    Provider::Mailgun,
                    mail::mailgun(&event, &sent.to, &sent.message_id, false, later),
                ),
                1 => (
                    Provider::Sendgrid,
                    mail::sendgrid(&event, &sent.to, &sent.message_id, false, later),
                ),
                2 => (
                    Provider::Ses,
                    mail::ses(&event, &sent.to, &sent.message_id, false, later),
                ),
                _ => (
                    Provider::Postmark,
                    mail::postmark(id as i64, &sent.to, later),
                ),
            };
            self.webhook(provider, &body, later).await?;
        } else if roll < 110 {
            let id = self.next_id();
            let body =
                mail::sendgrid_delivered(&format!("demo-{id}"), &sent.to, &sent.message_id, later);
            self.webhook(Provider::Sendgrid, &body, later).await?;
        }
        Ok(())
    }

    /// Northwind's mail server starts refusing Acme: five refusals within the hour raise a
    /// domain alert.
    pub(super) async fn isp_blocks(&mut self, at: DateTime<Utc>) -> anyhow::Result<()> {
        for (i, sent) in std::mem::take(&mut self.blocked).iter().enumerate() {
            let t = at + Duration::minutes(7 * i as i64);
            let raw = mail::dsn(
                &sent.to,
                &sent.return_path,
                &sent.message_id,
                "5.7.1",
                "554 5.7.1 Service unavailable; Client host [198.51.100.25] blocked using zen.spamhaus.org",
                "mx.northwind.example",
                t,
            );
            self.raw_notice(&raw, t).await?;
        }
        Ok(())
    }

    pub(super) async fn spam(&mut self, day: i64, at: DateTime<Utc>) -> anyhow::Result<()> {
        let (subject, from, body) = *self.rng.pick(mail::SPAM);
        let id = self.next_id();
        let raw = mail::customer_mail(
            from,
            "Offers",
            "support@acme.test",
            subject,
            body,
            &format!("spam-{id}@{}", from.rsplit('@').next().unwrap_or("x")),
            None,
            at,
        );
        let r = self.receive(self.acme, &raw, at).await?;
        // Agents mark spam now and then (the ones the filter caught, to block the sender; the
        // ones that slipped under the threshold, to train the classifier).
        if !r.duplicate && day % 4 == 1 {
            self.s
                .filters
                .mark_spam(
                    AccountId(self.acme),
                    "agent@acme.test",
                    r.conversation_id,
                    at + Duration::minutes(20),
                )
                .await
                .map_err(|e| anyhow::anyhow!("demo mark spam failed: {e}"))?;
            self.report.agent_spam_marks += 1;
        }
        Ok(())
    }

    /// A wholesale partner's shouty but wanted offer: the filter may take it for spam; an
    /// agent says "Not spam".
    pub(super) async fn partner_offer(&mut self, at: DateTime<Utc>) -> anyhow::Result<()> {
        let raw = mail::customer_mail(
            "sales@bean-importers.example",
            "Bean Importers",
            "support@acme.test",
            "FREE samples!!! New Ethiopian harvest - 20% OFF for Acme",
            "Hi Acme team,\n\nAs promised: FREE samples of the new Ethiopian harvest, and 20% OFF your next pallet if you order before Friday!!! Click http://bean-importers.example/acme to pick your samples. Limited stock.\n\nBest, Dawit (your account manager)",
            "partner-offer-1@bean-importers.example",
            None,
            at,
        );
        let r = self.receive(self.acme, &raw, at).await?;
        if !r.spam {
            self.s
                .filters
                .mark_spam(
                    AccountId(self.acme),
                    "agent@acme.test",
                    r.conversation_id,
                    at + Duration::minutes(5),
                )
                .await
                .map_err(|e| anyhow::anyhow!("demo mark spam failed: {e}"))?;
        }
        self.s
            .filters
            .not_spam(
                AccountId(self.acme),
                "admin@acme.test",
                r.conversation_id,
                true,
                at + Duration::hours(2),
            )
            .await
            .map_err(|e| anyhow::anyhow!("demo not spam failed: {e}"))?;
        self.report.agent_spam_marks += 1;
        Ok(())
    }

    /// The partner's next offer, after the admin allowed their domain: however it scores, it
    /// stays in the inbox (Org Logging says when the allowlist overrode the score).
    pub(super) async fn partner_offer_again(&mut self, at: DateTime<Utc>) -> anyhow::Result<()> {
        let raw = mail::customer_mail(
            "sales@bean-importers.example",
            "Bean Importers",
            "support@acme.test",
            "LAST CHANCE!!! 100% FREE samples + 20% OFF - ACT NOW",
            "Hi Acme team,\n\nLAST CHANCE!!! 100% FREE samples of the Ethiopian harvest and 20% OFF your next pallet, GUARANTEED lowest price, only until Friday!!! CLICK HERE NOW: http://bean-importers.example/acme?offer=FREE to claim your FREE samples. Act now, limited stock, order today, offer expires!!! Unsubscribe anytime.\n\nBest, Dawit",
            "partner-offer-2@bean-importers.example",
            None,
            at,
        );
        self.receive(self.acme, &raw, at).await?;
        Ok(())
    }
}

/// After the first campaign: complaints from Gmail users (through an ARF report, a Mailgun
/// and an SES webhook), one-click unsubscribes, an out-of-office.
pub(super) async fn campaign_aftermath(
    sim: &mut Sim<'_>,
    campaign: i64,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let sent = sim.s.db().sent_recipients(campaign).await?;
    let verp = |key: &str| format!("bounces+{key}@acme.test");
    let mut gmail = sent
        .iter()
        .filter(|(a, _, _)| ProviderFamily::of_address(a) == ProviderFamily::Gmail);
    let mut t = at + Duration::minutes(30);
    let subject = "The winter blend is back";
    // The complainer the tests know, by an ARF report from Gmail's feedback loop.
    if let Some((a, key, mid)) = sent.iter().find(|(a, _, _)| a == CAMPAIGN_COMPLAINER) {
        let raw = mail::arf(a, &verp(key), mid, subject, "gmail.com", t);
        sim.raw_notice(&raw, t).await?;
    }
    let others: Vec<_> = gmail
        .by_ref()
        .filter(|(a, _, _)| a != CAMPAIGN_COMPLAINER)
        .take(2)
        .cloned()
        .collect();
    for (i, (a, _, mid)) in others.iter().enumerate() {
        t += Duration::minutes(47);
        let id = sim.next_id();
        let event = format!("demo-complaint-{id}");
        if i == 0 {
            let body = mail::mailgun(&event, a, mid, true, t);
            sim.webhook(Provider::Mailgun, &body, t).await?;
        } else {
            let body = mail::ses(&event, a, mid, true, t);
            sim.webhook(Provider::Ses, &body, t).await?;
        }
    }
    // Unsubscribes through the List-Unsubscribe link, spread over the evening.
    for (a, key, _) in sent
        .iter()
        .filter(|(a, _, _)| {
            ProviderFamily::of_address(a) != ProviderFamily::Gmail
                && !DEMO_LIST.contains(&a.as_str())
        })
        .step_by(61)
        .take(7)
    {
        t += Duration::minutes(9);
        sim.s
            .ingest
            .record_unsubscribe(AccountId(sim.acme), a, &format!("demo-{key}"), t)
            .await?;
        sim.report.unsubscribes += 1;
    }
    // An out-of-office to the campaign's VERP address.
    if let Some((a, key, _)) = sent.iter().find(|(a, _, _)| a.ends_with("@icloud.com")) {
        let raw = mail::out_of_office(a, &verp(key), subject, t + Duration::minutes(2));
        sim.raw_notice(&raw, t + Duration::minutes(2)).await?;
    }
    Ok(())
}

/// A customer at a company domain complains (SendGrid's spam report) about an agent's reply:
/// that stops all mail from Acme to them.
pub(super) async fn reply_complaint(
    sim: &mut Sim<'_>,
    people: &[Customer],
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Some(c) = people
        .iter()
        .find(|c| c.email.ends_with("@fastmail.example"))
        .cloned()
    else {
        return Ok(());
    };
    let raw = mail::customer_mail(
        &c.email,
        &c.name,
        "support@acme.test",
        "Stop emailing me",
        "Please stop sending me messages.",
        "demo-stop-1@fastmail.example",
        None,
        at,
    );
    let r = sim.receive(sim.acme, &raw, at).await?;
    let t = at + Duration::minutes(30);
    if let Some(sent) = sim
        .reply(
            sim.acme,
            r.conversation_id,
            "Sorry for the trouble: we have noted it.",
            "Stop emailing me",
            t,
        )
        .await?
    {
        let id = sim.next_id();
        let body = mail::sendgrid(
            &format!("demo-spamreport-{id}"),
            &sent.to,
            &sent.message_id,
            true,
            t + Duration::hours(1),
        );
        sim.webhook(Provider::Sendgrid, &body, t + Duration::hours(1))
            .await?;
    }
    sim.close(sim.acme, r.conversation_id).await?;
    Ok(())
}
