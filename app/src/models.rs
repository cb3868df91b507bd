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
    /// Already sanitized on the server before it was stored; safe to render as HTML.
    pub html_body: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Inbound messages: the spam score and why (rules highest first).
    pub spam_score: Option<f64>,
    pub spam_rules: Vec<RuleHitView>,
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
    pub kind: Option<String>,
    pub subject: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: u32,
}

/// The types of Org Logging entries, for the filter.
pub const LOG_KINDS: &[&str] = &[
    "bounce",
    "complaint",
    "isp_block",
    "unsubscribe",
    "auto_reply",
    "unclassified",
    "deferred",
    "delivered",
    "suppression_added",
    "suppression_released",
    "suppression_reactivated",
    "rate_warning",
    "bulk_paused",
    "domain_alert",
    "spam_detected",
    "blocked_sender",
    "marked_spam",
    "marked_not_spam",
    "block_added",
    "block_removed",
    "spam_threshold_changed",
];
