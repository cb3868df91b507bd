//! Typed models shared by the server and the browser.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "agent" => Some(Role::Agent),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The signed-in user, as every page and server function sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub email: String,
    pub name: String,
    pub role: Role,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    Open,
    Done,
}

impl ConversationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Open => "open",
            ConversationStatus::Done => "done",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(ConversationStatus::Open),
            "done" => Some(ConversationStatus::Done),
            _ => None,
        }
    }
}

/// What the conversations list asks for: a status (None = all) and free-text search.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationFilter {
    pub status: Option<ConversationStatus>,
    pub query: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: i64,
    pub subject: String,
    pub contact_email: String,
    pub contact_name: Option<String>,
    pub status: ConversationStatus,
    pub spam: bool,
    pub updated_at: DateTime<Utc>,
    pub message_count: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "inbound" => Some(Direction::Inbound),
            "outbound" => Some(Direction::Outbound),
            _ => None,
        }
    }
}

/// One spam rule that fired on a message, with its points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleHitView {
    pub name: String,
    pub points: f64,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: i64,
    pub direction: Direction,
    pub from_addr: String,
    pub to_addr: String,
    pub subject: String,
    pub text_body: String,
    /// Already sanitized on the server before it was stored; safe to render as HTML. Remote
    /// images are taken out when shown to an agent (see `remote_images_html`).
    pub html_body: Option<String>,
    /// The HTML with its remote images, when it has any: shown only when the agent asks
    /// (a tracking pixel would tell the sender who read it, when, and from where).
    #[serde(default)]
    pub remote_images_html: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Inbound messages: the spam score and why (rules highest first).
    pub spam_score: Option<f64>,
    pub spam_rules: Vec<RuleHitView>,
    /// Outbound messages: what happened to the sending.
    pub delivery: Option<DeliveryView>,
    /// The Message-ID header, without `<>`.
    pub message_id_header: Option<String>,
}

/// The sending state of an outbound message, for the line under it on the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryView {
    /// `pending`, `deferred` (a 4xx; retried), `accepted` or `failed`.
    pub state: String,
    /// When it was accepted.
    pub accepted_at: Option<DateTime<Utc>>,
    /// Who accepted it: the recipient's server, a relay or an API.
    pub accepted_by: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub attempts: i64,
    /// Why it failed or was deferred.
    pub error: Option<DeliveryErrorView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryErrorView {
    pub category: String,
    pub reason: String,
    pub status: Option<String>,
    pub code: Option<i64>,
    pub diagnostic: Option<String>,
    pub at: Option<DateTime<Utc>>,
}

impl DeliveryErrorView {
    /// What the agent can do about it.
    pub fn advice(&self) -> &'static str {
        match self.category.as_str() {
            "hard_bounce" => "The address does not exist: check the spelling. If it was temporary, an admin can reactivate it under Contacts.",
            "soft_bounce" => "A temporary problem at the recipient's side: try again later or use another channel.",
            "isp_block" => "The recipient's provider refused our server: reach the customer through another channel.",
            "spam_complaint_auto" => "The recipient's provider took the message for spam: rephrase it, or use another channel.",
            "spam_complaint_manual" => "The recipient reported our mail as spam: do not email them again.",
            "deferred" => "The recipient's server asked us to try later; we retry by ourselves.",
            _ => "The message was not delivered: use another channel.",
        }
    }

    pub fn label(&self) -> String {
        self.category.replace('_', " ")
    }
}

/// A sender address on Apps > Channels > Email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderView {
    pub id: i64,
    pub address: String,
    pub name: Option<String>,
    /// `transactional` or `bulk`.
    pub kind: String,
    /// e.g. "SMTP relay 127.0.0.1:2526 (starttls)" — never the secrets.
    pub transport: String,
}

/// One day of the complaint-rate chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatePoint {
    /// YYYY-MM-DD
    pub date: String,
    pub sent: i64,
    pub complaints: i64,
    /// The running 30-day rate at the end of that day, in complaints per 10,000 sent.
    pub running_per_10k: f64,
}

/// The running 30-day complaint rate and the counts behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateView {
    pub sent: i64,
    pub complaints: i64,
    pub per_10k: f64,
    /// `ok`, `warning` (≥ 10 per 10,000) or `paused` (≥ 30 per 10,000: bulk sending stops).
    pub status: String,
    pub days: Vec<RatePoint>,
    /// Delivery events of the last 30 days by category.
    pub by_category: Vec<(String, i64)>,
    /// … and by recipient domain: (domain, category, count).
    pub by_domain: Vec<(String, String, i64)>,
    /// The running 30-day complaint rate per recipient domain, worst first.
    pub domain_rates: Vec<DomainRateView>,
}

/// One recipient domain's running 30-day complaint rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainRateView {
    pub domain: String,
    pub sent: i64,
    pub complaints: i64,
    pub per_10k: f64,
    /// `ok`, `warning` or `paused`, by the same limits as the account's.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationDetail {
    pub summary: ConversationSummary,
    pub attributes: Vec<Attribute>,
    pub messages: Vec<MessageView>,
    /// The block-list entry (address or domain) that blocks the contact, if any.
    pub sender_blocked_by: Option<String>,
    /// Which stream a reply to the contact is in, and whether a suppression stops it.
    pub reply_stream: Option<ReplyStreamView>,
}

/// The line on the reply form: replies are the transactional stream; a suppression stops
/// either all mail or campaigns only (issue 18).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyStreamView {
    /// A reply would go out now.
    pub reply_allowed: bool,
    /// Campaigns to the contact would go out now.
    pub campaigns_allowed: bool,
    /// The stream of the entry that applies (`all` or `campaign`), if any.
    pub stream: Option<String>,
    /// What the agent reads.
    pub text: String,
}

/// A block-list entry on Settings > Administration > Spam Filters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockEntryView {
    pub id: i64,
    /// `address` or `domain` (a domain covers its subdomains).
    pub kind: String,
    pub value: String,
    pub added_by: String,
    pub reason: String,
    pub added_at: DateTime<Utc>,
}

/// Apps > Channels > Email: the inbound side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailChannelView {
    /// The spam threshold; 0 = filtering off.
    pub spam_threshold: f64,
    pub inbound_addresses: Vec<String>,
    /// Authserv-ids whose `Authentication-Results` are read on mail posted over HTTP.
    pub trusted_authserv_ids: Vec<String>,
    pub senders: Vec<SenderView>,
    pub rate: RateView,
    /// The account's webhook credentials (HTTP Basic for provider webhooks), without secrets.
    #[serde(default)]
    pub webhook_credentials: Vec<WebhookCredentialView>,
    /// The guardrail per mailbox provider (issue 18), one row per family.
    pub providers: Vec<ProviderRateView>,
}

/// A webhook credential as its account's admin sees it: which checks are set, no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookCredentialView {
    pub username: String,
    pub has_mailgun_key: bool,
    pub has_sendgrid_key: bool,
    /// The SNS topic SES notifications must come from; none: SES notifications are refused.
    pub sns_topic_arn: Option<String>,
}

/// One mailbox provider family's running 30-day rates and whether bulk mail to it is paused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderRateView {
    /// `gmail`, `microsoft`, `yahoo`, `apple`, `gmx_webde`, `other`.
    pub provider: String,
    pub label: String,
    pub sent: i64,
    pub complaints: i64,
    pub bounces: i64,
    pub complaint_per_10k: f64,
    pub bounce_percent: f64,
    /// `ok`, `warning` or `paused` by the complaint rate.
    pub status: String,
    /// Bulk mail to this provider waits for an admin's resume.
    pub paused: bool,
    pub paused_at: Option<DateTime<Utc>>,
    /// The last resume: when, by whom, why.
    pub resumed_at: Option<DateTime<Utc>>,
    pub resumed_by: Option<String>,
    pub resume_reason: Option<String>,
}

/// A user of the account, as the admin's Users page shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
}

/// An admin's new sender address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSenderForm {
    pub address: String,
    pub name: Option<String>,
    /// `transactional` or `bulk`.
    pub kind: String,
    /// `smtp` or `postmark`.
    pub transport: String,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<String>,
    /// `none`, `starttls` or `tls`.
    pub smtp_security: Option<String>,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
    pub api_url: Option<String>,
    pub api_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactView {
    pub id: i64,
    pub email: String,
    pub name: Option<String>,
    /// `active`, `hard_bounce`, `soft_bounce`, `complaint` or `inactive`.
    pub status: String,
    /// When a temporary status ends by itself.
    pub status_until: Option<DateTime<Utc>>,
    /// Why: the suppression's reason and its source event.
    pub status_reason: Option<String>,
    pub status_event_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// An entry for every account that this account has not reactivated:
    /// "global: confirmed by 2 accounts" or "global: bounced on our shared transport".
    #[serde(default)]
    pub global: Option<String>,
    /// The global entry's evidence, in a sentence.
    #[serde(default)]
    pub global_evidence: Option<String>,
}

/// Reporting counts: spam conversations are kept out of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportingSummary {
    pub open: i64,
    pub done: i64,
    pub inbound_messages: i64,
    pub outbound_messages: i64,
    pub excluded_spam: i64,
}

/// What the admin pages show of the account itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountOverview {
    pub account_id: i64,
    pub account_name: String,
    pub users: i64,
}

/// One Org Logging entry as the admin page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntryView {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub actor: String,
    pub subject: String,
    /// The entry's details, as compact JSON.
    pub details: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPageView {
    pub entries: Vec<LogEntryView>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

/// The Org Logging filters: type, address (or domain), a date range (YYYY-MM-DD, inclusive)
/// and the page (0-based).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogQuery {
    /// A [`LogKind`](crate::kinds::LogKind) as stored (`bounce` …); one that is no kind
    /// filters nothing.
    pub kind: Option<String>,
    pub subject: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: u32,
}

/// A contact list, for campaigns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListView {
    pub id: i64,
    pub name: String,
    pub members: i64,
}

/// A campaign and how far it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignView {
    pub id: i64,
    pub list_name: String,
    pub subject: String,
    /// `sending`, `sent` or `paused` (by the complaint-rate guardrail).
    pub status: String,
    pub total: i64,
    /// Suppressed addresses removed before sending.
    pub skipped_suppressed: i64,
    pub sent: i64,
    pub failed: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl CampaignView {
    /// The campaigns' status and counts in one line (see
    /// [`CampaignsView::progress_signature`]).
    pub fn progress_signature(campaigns: &[CampaignView]) -> String {
        campaigns
            .iter()
            .map(|c| format!("{}:{}:{}:{}", c.id, c.status, c.sent, c.failed))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Recipients still waiting to be sent.
    pub fn queued(&self) -> i64 {
        (self.total - self.skipped_suppressed - self.sent - self.failed).max(0)
    }
}

/// Apps > Campaigns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignsView {
    pub lists: Vec<ListView>,
    pub campaigns: Vec<CampaignView>,
    /// The bulk sender addresses campaigns may go out through.
    pub senders: Vec<SenderView>,
}

impl CampaignsView {
    /// Every campaign's status and counts in one line: what the campaigns page shows changing
    /// while campaigns send (the page loads again when it differs).
    pub fn progress_signature(&self) -> String {
        CampaignView::progress_signature(&self.campaigns)
    }

    /// Whether a campaign is sending now.
    pub fn sending(&self) -> bool {
        self.campaigns.iter().any(|c| c.status == "sending")
    }
}

/// What starting a campaign did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreparedView {
    pub campaign_id: i64,
    pub total: i64,
    pub skipped_suppressed: i64,
    pub queued: i64,
}

/// One address's suppression history (the red delivery badge and Contacts lead here).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddressHistoryView {
    pub address: String,
    /// Some entry holds now: mail to the address is refused.
    pub suppressed_now: bool,
    /// Newest first.
    pub entries: Vec<SuppressionView>,
    /// This account's reactivations of the address, newest first.
    pub reactivations: Vec<ReactivationView>,
}

/// A suppression entry and the notice behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuppressionView {
    pub id: i64,
    /// `hard_bounce`, `soft_bounce`, `complaint`, `unsubscribe` …
    pub category: String,
    pub reason: String,
    /// `account` or `global`.
    pub scope: String,
    /// Why it has that reach: "this account's own event", "confirmed by 2 accounts",
    /// "bounced on our shared transport".
    pub scope_why: String,
    pub since: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
    /// Ended early (released by the sweeper or a reactivation).
    pub ended_at: Option<DateTime<Utc>>,
    /// Holds now.
    pub active: bool,
    pub notice: Option<NoticeView>,
}

/// The delivery event behind an entry. The provider's words and the raw notice are there only
/// for the account's own events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeView {
    pub event_id: i64,
    pub own: bool,
    pub category: String,
    pub received_at: DateTime<Utc>,
    /// e.g. "550 5.1.1".
    pub code: Option<String>,
    pub provider: Option<String>,
    /// The classifier's reason, and the provider's own words (diagnostic).
    pub reason: Option<String>,
    pub diagnostic: Option<String>,
    pub remote_mta: Option<String>,
    pub feedback_type: Option<String>,
    /// The notice as received, as plain text (control characters removed, cut at 64 KiB);
    /// shown escaped, never as HTML.
    pub raw: Option<String>,
    pub raw_truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactivationView {
    pub reason: String,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// The threshold what-if: how the last `days` days' inbound mail would have gone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhatIfView {
    pub current: f64,
    pub candidate: f64,
    pub days: i64,
    /// Scored inbound messages in the window.
    pub messages: u64,
    pub spam_now: u64,
    pub spam_then: u64,
    /// Conversations agents flagged spam: the candidate catches (right) or misses (wrong).
    pub flagged_spam_right: u64,
    pub flagged_spam_wrong: u64,
    /// Conversations agents flagged not spam: the candidate lets through (right) or catches.
    pub flagged_not_spam_right: u64,
    pub flagged_not_spam_wrong: u64,
}

/// "1 conversation", "2 conversations": `plural` is used for every count but one.
pub fn count_of(n: i64, singular: &str, plural: &str) -> String {
    if n == 1 {
        format!("1 {singular}")
    } else {
        format!("{n} {plural}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_right() {
        assert_eq!(
            count_of(0, "spam conversation", "spam conversations"),
            "0 spam conversations"
        );
        assert_eq!(
            count_of(1, "spam conversation", "spam conversations"),
            "1 spam conversation"
        );
        assert_eq!(count_of(2, "entry", "entries"), "2 entries");
    }
}
