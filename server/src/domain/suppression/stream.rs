//! Streams: which mail a suppression stops (issue 18).
//!
//! Mail goes out in two streams: **transactional** (an agent's reply in a conversation the
//! customer opened) and **campaign** (bulk mail to a list). Every suppression entry carries the
//! stream it applies to:
//!
//! | event | about a campaign | about a reply | not matched to our mail |
//! |---|---|---|---|
//! | hard or soft bounce | all | all | all |
//! | unsubscribe | campaign | campaign | campaign |
//! | spam complaint (manual or automatic) | campaign | all | all |
//! | blocked by an admin | all | all | all |
//!
//! Why: a bounce is about the mailbox, so nothing can reach it. An unsubscribe is an opt-out
//! from list mail (RFC 8058), never from the answer to a question the customer asked. A
//! complaint about a newsletter says "no more newsletters"; a complaint about a reply says
//! "stop writing to me", and stops everything from that account. A complaint we cannot tie
//! to a message we sent keeps the stricter reading (all mail), as before streams existed.

use serde::{Deserialize, Serialize};

use super::{MailKind, SuppressionKind};

/// The mail an entry stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    /// Every message from the account: replies and campaigns.
    All,
    /// Campaigns only: replies to conversations still go out.
    Campaign,
}

impl Stream {
    pub const ALL: [Stream; 2] = [Stream::All, Stream::Campaign];

    /// The name stored in `suppressions.stream`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::All => "all",
            Stream::Campaign => "campaign",
        }
    }

    pub fn parse(s: &str) -> Option<Stream> {
        Stream::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether an entry of this stream stops mail of `mail` kind.
    pub fn blocks(self, mail: MailKind) -> bool {
        match self {
            Stream::All => true,
            Stream::Campaign => mail == MailKind::Bulk,
        }
    }

    /// What the agent reads: "all mail" or "campaigns only".
    pub fn label(self) -> &'static str {
        match self {
            Stream::All => "all mail (replies and campaigns)",
            Stream::Campaign => "campaigns only (replies still go out)",
        }
    }
}

/// The mail an event is about, as matched to what we sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum About {
    /// A campaign message (matched by its Message-ID or VERP return path).
    Campaign,
    /// An agent's reply in a conversation.
    Reply,
    /// Not matched to any message we sent.
    Unknown,
}

/// The stream a new entry of `kind`, caused by an event about `about`, applies to.
pub fn applies_to(kind: SuppressionKind, about: About) -> Stream {
    use SuppressionKind::*;
    match (kind, about) {
        (HardBounce | SoftBounce | BlockedByAdmin, _) => Stream::All,
        (Unsubscribe, _) => Stream::Campaign,
        (SpamComplaintManual | SpamComplaintAuto, About::Campaign) => Stream::Campaign,
        (SpamComplaintManual | SpamComplaintAuto, About::Reply | About::Unknown) => Stream::All,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SuppressionKind::*;

    /// (kind, about, stream)
    const TABLE: &[(SuppressionKind, About, Stream)] = &[
        (HardBounce, About::Campaign, Stream::All),
        (HardBounce, About::Reply, Stream::All),
        (HardBounce, About::Unknown, Stream::All),
        (SoftBounce, About::Campaign, Stream::All),
        (SoftBounce, About::Reply, Stream::All),
        (Unsubscribe, About::Campaign, Stream::Campaign),
        (Unsubscribe, About::Reply, Stream::Campaign),
        (Unsubscribe, About::Unknown, Stream::Campaign),
        (SpamComplaintManual, About::Campaign, Stream::Campaign),
        (SpamComplaintManual, About::Reply, Stream::All),
        (SpamComplaintManual, About::Unknown, Stream::All),
        (SpamComplaintAuto, About::Campaign, Stream::Campaign),
        (SpamComplaintAuto, About::Reply, Stream::All),
        (SpamComplaintAuto, About::Unknown, Stream::All),
        (BlockedByAdmin, About::Campaign, Stream::All),
        (BlockedByAdmin, About::Unknown, Stream::All),
    ];

    #[test]
    fn each_event_applies_to_the_stream_the_table_says() {
        for &(kind, about, stream) in TABLE {
            assert_eq!(applies_to(kind, about), stream, "{kind:?} about {about:?}");
        }
    }

    #[test]
    fn a_campaign_complaint_leaves_replies_allowed_and_a_reply_complaint_stops_everything() {
        let campaign = applies_to(SpamComplaintManual, About::Campaign);
        assert!(campaign.blocks(MailKind::Bulk));
        assert!(!campaign.blocks(MailKind::Transactional));
        let reply = applies_to(SpamComplaintManual, About::Reply);
        assert!(reply.blocks(MailKind::Bulk));
        assert!(reply.blocks(MailKind::Transactional));
    }

    #[test]
    fn streams_round_trip_through_their_stored_names() {
        for s in Stream::ALL {
            assert_eq!(Stream::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert_eq!(Stream::parse("transactional"), None);
    }
}
