//! A sender address's transport settings (an SMTP relay, a Postmark-compatible API, or the
//! deployment's shared transport): plain data that storage keeps and the transport service
//! sends through.

use crate::domain::suppression::scope_by_trust::TransportKind;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// Plain text: only for a relay on the same host or network.
    None,
    /// Upgrade with STARTTLS (usually port 587); refuses to send if the relay cannot.
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

impl Security {
    pub fn parse(s: &str) -> Option<Security> {
        match s {
            "none" => Some(Security::None),
            "starttls" => Some(Security::StartTls),
            "tls" => Some(Security::Tls),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Security::None => "none",
            Security::StartTls => "starttls",
            Security::Tls => "tls",
        }
    }
}

/// A sender address's transport settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportConfig {
    Smtp {
        host: String,
        port: u16,
        security: Security,
        /// (username, password)
        login: Option<(String, String)>,
    },
    Postmark {
        /// e.g. `https://api.postmarkapp.com`; `/email` is appended.
        base_url: String,
        server_token: String,
    },
    /// The deployment's shared transport: a relay or API its operator configured for every
    /// account (`serve --shared-relay` / `--shared-api-url`). An account may send through it
    /// but never sees its settings or the envelope; its answers and the notices to its VERP
    /// return paths are evidence for every account (issue 16).
    Shared,
}

impl TransportConfig {
    /// The event source name for send-time results (`smtp` or `api`).
    pub fn provider(&self) -> &'static str {
        match self {
            TransportConfig::Smtp { .. } => "smtp",
            TransportConfig::Postmark { .. } => "api",
            TransportConfig::Shared => "shared",
        }
    }

    /// Who accepts the message when this transport says 2xx, for the timeline (the shared
    /// transport's host is the operator's business).
    pub fn accepted_by(&self) -> String {
        match self {
            TransportConfig::Smtp { host, port, .. } => format!("relay {host}:{port}"),
            TransportConfig::Postmark { base_url, .. } => format!("API {base_url}"),
            TransportConfig::Shared => "our shared transport".to_string(),
        }
    }

    /// Whose transport this is, for [`scope_by_trust`](crate::domain::suppression::scope_by_trust).
    pub fn kind(&self) -> TransportKind {
        match self {
            TransportConfig::Shared => TransportKind::Shared,
            _ => TransportKind::Account,
        }
    }
}
