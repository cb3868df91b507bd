//! A relay for tests and the demo (`serve --demo` starts one on loopback): it answers by the
//! recipient's local part, so each SMTP outcome can be tried from the UI.
//!
//! | local part starts with | answer |
//! |---|---|
//! | `nobody` | `550 5.1.1` user unknown (hard bounce) |
//! | `full` | `452 4.2.2` mailbox full (deferred, retried) |
//! | `spamtrap` | `550 5.7.1` rejected as spam |
//! | anything else | `250 2.0.0` accepted and kept in memory |

use super::{Envelope, MailSink, Reply};
use std::net::SocketAddr;
use std::sync::Mutex;

/// How many accepted messages are kept (oldest dropped first).
const KEEP: usize = 1000;

#[derive(Default)]
pub struct RuleRelay {
    accepted: Mutex<Vec<(Envelope, Vec<u8>)>>,
}

impl RuleRelay {
    pub fn new() -> Self {
        Self::default()
    }

    /// The answer for one recipient.
    pub fn answer(rcpt: &str) -> Result<(), Reply> {
        let local = rcpt.split('@').next().unwrap_or("").to_ascii_lowercase();
        if local.starts_with("nobody") {
            Err(Reply::new(
                550,
                Some("5.1.1"),
                format!(
                    "<{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table"
                ),
            ))
        } else if local.starts_with("full") {
            Err(Reply::new(
                452,
                Some("4.2.2"),
                format!("<{rcpt}>: Mailbox full, try again later"),
            ))
        } else if local.starts_with("spamtrap") {
            Err(Reply::new(
                550,
                Some("5.7.1"),
                "Message rejected as spam by content filter",
            ))
        } else {
            Ok(())
        }
    }

    /// The messages accepted so far: (envelope, data).
    pub fn accepted(&self) -> Vec<(Envelope, Vec<u8>)> {
        self.accepted.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl MailSink for RuleRelay {
    async fn recipient(&self, _peer: SocketAddr, _from: &str, rcpt: &str) -> Result<(), Reply> {
        Self::answer(rcpt)
    }

    async fn deliver(&self, envelope: &Envelope, data: Vec<u8>) -> Result<Reply, Reply> {
        if let Ok(mut m) = self.accepted.lock() {
            if m.len() >= KEEP {
                m.remove(0);
            }
            m.push((envelope.clone(), data));
        }
        Ok(Reply::new(
            250,
            Some("2.0.0"),
            "OK: queued by the test relay",
        ))
    }
}
