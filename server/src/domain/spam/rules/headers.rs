//! Forged, missing or malformed headers. RFC 5322 §3.6 requires Date and From; Message-ID
//! "SHOULD" be present and every real MUA and MTA adds one. Bulk tools skip or botch them.

use super::super::message::MailView;
use super::super::score::RuleHit;
use crate::domain::address::EmailAddress;

/// A Date more than this far after the first Received stamp is forged or a broken clock.
const FUTURE_SLACK_SECS: i64 = 12 * 3600;
/// …and this far before it, mail that sat in a spammer's queue.
const PAST_SLACK_SECS: i64 = 4 * 24 * 3600;

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    if v.unparseable {
        hits.push(RuleHit::new(
            "UNPARSEABLE",
            1.0,
            "Not recognisable as an email message",
        ));
        return;
    }
    match (v.has_header("date"), v.date) {
        (false, _) => hits.push(RuleHit::new(
            "MISSING_DATE",
            1.2,
            "Message has no Date header",
        )),
        (true, None) => hits.push(RuleHit::new(
            "INVALID_DATE",
            1.9,
            "Date header is not a valid RFC 5322 date",
        )),
        (true, Some(date)) => {
            if let Some(received) = v.received_date {
                if date - received > FUTURE_SLACK_SECS {
                    hits.push(RuleHit::new(
                        "DATE_IN_FUTURE",
                        1.6,
                        "Date header is more than 12 hours after the message was received",
                    ));
                } else if received - date > PAST_SLACK_SECS {
                    hits.push(RuleHit::new(
                        "DATE_IN_PAST",
                        1.6,
                        "Date header is more than 4 days before the message was received",
                    ));
                }
            }
        }
    }
    match v.header("message-id") {
        None => hits.push(RuleHit::new(
            "MISSING_MID",
            0.3,
            "Message has no Message-ID",
        )),
        Some(mid) => {
            let mid = mid.trim();
            let ok = mid.starts_with('<')
                && mid.ends_with('>')
                && mid.contains('@')
                && !mid.contains(' ')
                && mid.rsplit('@').next().is_some_and(|d| d.len() > 1);
            if !ok {
                hits.push(RuleHit::new(
                    "INVALID_MSGID",
                    1.4,
                    "Message-ID is not of the form <id@domain>",
                ));
            }
        }
    }
    match (&v.from_address, v.has_header("from")) {
        (_, false) => hits.push(RuleHit::new(
            "MISSING_FROM",
            0.5,
            "Message has no From header",
        )),
        (None, true) => hits.push(RuleHit::new(
            "FROM_MALFORMED",
            0.5,
            "From header has no parseable address",
        )),
        (Some(addr), true) => match EmailAddress::parse(addr) {
            Err(_) => hits.push(RuleHit::new(
                "FROM_MALFORMED",
                0.5,
                "From address is not a valid email address",
            )),
            Ok(addr) => {
                let local = addr.local_part();
                let digits = local
                    .chars()
                    .rev()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
                if digits >= 3 && digits < local.len() {
                    hits.push(RuleHit::new(
                        "FROM_ENDS_IN_NUMS",
                        2.5,
                        "From address ends in a run of digits (typical of throwaway accounts)",
                    ));
                }
                if let Some(name) = &v.from_name {
                    if name_claims_other_address(name, &addr) {
                        hits.push(RuleHit::new(
                            "FROM_NAME_SPOOF",
                            1.0,
                            "From display name shows a different email address",
                        ));
                    }
                }
            }
        },
    }
    let to = v.header("to");
    match to {
        Some(to) if to.to_ascii_lowercase().contains("undisclosed") => hits.push(RuleHit::new(
            "TO_UNDISCLOSED",
            1.1,
            "Recipients are hidden (undisclosed-recipients)",
        )),
        Some(to) if to.trim().is_empty() || to.trim() == ":;" => {
            hits.push(RuleHit::new("TO_EMPTY", 0.8, "To header is empty"))
        }
        _ => {}
    }
    let recipients: usize = ["to", "cc"]
        .iter()
        .filter_map(|h| v.header(h))
        .map(|value| value.matches('@').count())
        .sum();
    if recipients >= 10 {
        hits.push(RuleHit::new(
            "RCPT_MANY",
            1.5,
            format!("Sent openly to {recipients} addresses at once"),
        ));
    }
    if v.headers
        .iter()
        .any(|(n, value)| n == "received" && numeric_helo(value))
    {
        hits.push(RuleHit::new(
            "RCVD_NUMERIC_HELO",
            1.5,
            "A relay greeted with a bare IP address instead of a host name (typical of spam bots)",
        ));
    }
    if v.header("x-priority")
        .is_some_and(|p| p.trim_start().starts_with('1'))
        || v.header("x-msmail-priority")
            .is_some_and(|p| p.eq_ignore_ascii_case("high"))
    {
        hits.push(RuleHit::new(
            "PRIORITY_HIGH",
            2.0,
            "Message claims the highest priority",
        ));
    }
    let is_mime = v.header("content-type").is_some_and(|c| {
        let c = c.to_ascii_lowercase();
        c.starts_with("multipart/") || c.starts_with("text/html")
    });
    if is_mime && !v.has_header("mime-version") {
        hits.push(RuleHit::new(
            "MIME_NO_VERSION",
            1.3,
            "MIME content without a MIME-Version header",
        ));
    }
    if ["in-reply-to", "references"]
        .iter()
        .filter_map(|h| v.header(h))
        .any(has_msg_id)
    {
        // A reply in a thread: real conversations carry these, bulk mail rarely does. Only a
        // well-formed message id counts: bulk tools that paste "RE:" headers to look like a
        // conversation write `<@host>` or a bare token.
        hits.push(RuleHit::new(
            "REPLY_HEADERS",
            -3.0,
            "Message is a reply in a thread",
        ));
    }
}

/// `Received: from 192.0.2.7 (…)` or `(helo=192.0.2.7)`: an unbracketed IPv4 literal where
/// RFC 5321 §4.1.1.1 wants a domain name (an address literal must be in brackets).
fn numeric_helo(received: &str) -> bool {
    let lower = received.to_ascii_lowercase();
    let is_ip = |s: &str| {
        s.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .next()
            .is_some_and(|ip| ip.parse::<std::net::Ipv4Addr>().is_ok())
    };
    if let Some(rest) = lower.strip_prefix("from ") {
        if is_ip(rest) {
            return true;
        }
    }
    lower
        .match_indices("helo")
        .any(|(i, _)| is_ip(lower[i + 4..].trim_start_matches(['=', ' '])))
}

/// True when `value` holds at least one `<id-left@id-right>` (RFC 5322 §3.6.4) with both
/// sides non-empty and no spaces.
fn has_msg_id(value: &str) -> bool {
    value.split('<').skip(1).any(|rest| {
        rest.split_once('>').is_some_and(|(id, _)| {
            id.split_once('@').is_some_and(|(l, r)| {
                !l.is_empty()
                    && !r.is_empty()
                    && !id.contains(char::is_whitespace)
                    && !r.contains('@')
            })
        })
    })
}

/// `"support@bank.example" <x@elsewhere.example>`: the name shows an address in another
/// domain than the real one.
fn name_claims_other_address(name: &str, real: &EmailAddress) -> bool {
    name.split_whitespace()
        .filter(|w| w.contains('@'))
        .filter_map(|w| EmailAddress::parse(w.trim_matches(|c: char| "\"'()<>,".contains(c))).ok())
        .any(|shown| shown.domain() != real.domain())
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    const GOOD: &str = "From: Ann <ann@example.org>\r\nTo: bob@example.com\r\nDate: Mon, 2 Sep 2002 10:00:00 +0000\r\nMessage-ID: <1@example.org>\r\nSubject: hi\r\n\r\nhello";

    #[test]
    fn well_formed_message_hits_nothing() {
        assert!(hit_names(GOOD, check).is_empty());
    }

    #[test]
    fn missing_date_and_message_id_are_hits() {
        let names = hit_names("From: a@example.org\r\nTo: b@example.com\r\n\r\nx", check);
        assert_eq!(names, ["MISSING_DATE", "MISSING_MID"]);
    }

    #[test]
    fn malformed_from_and_message_id_are_hits() {
        let raw = "From: nobody\r\nTo: b@example.com\r\nDate: Mon, 2 Sep 2002 10:00:00 +0000\r\nMessage-ID: 12345\r\n\r\nx";
        assert_eq!(hit_names(raw, check), ["INVALID_MSGID", "FROM_MALFORMED"]);
    }

    #[test]
    fn date_far_after_received_is_in_future() {
        let raw = "Received: from a by b; Mon, 2 Sep 2002 10:00:00 +0000\r\nFrom: a@example.org\r\nTo: b@example.com\r\nDate: Mon, 9 Sep 2002 10:00:00 +0000\r\nMessage-ID: <1@x.org>\r\n\r\nx";
        assert_eq!(hit_names(raw, check), ["DATE_IN_FUTURE"]);
    }

    #[test]
    fn throwaway_sender_hidden_recipients_and_spoofed_name() {
        let raw = "From: \"service@bank.example\" <joe12345@mail.example>\r\nTo: undisclosed-recipients:;\r\nDate: Mon, 2 Sep 2002 10:00:00 +0000\r\nMessage-ID: <1@x.org>\r\nX-Priority: 1 (Highest)\r\n\r\nx";
        assert_eq!(
            hit_names(raw, check),
            [
                "FROM_ENDS_IN_NUMS",
                "FROM_NAME_SPOOF",
                "TO_UNDISCLOSED",
                "PRIORITY_HIGH"
            ]
        );
    }

    #[test]
    fn numeric_helo_is_a_hit_but_bracketed_literals_are_not() {
        assert!(numeric_helo(
            "from 192.0.2.7 ([192.0.2.7]) by mx.example.org"
        ));
        assert!(numeric_helo(
            "from [211.251.139.129] (helo=64.3.45.122) by mx.example"
        ));
        assert!(!numeric_helo(
            "from [10.0.0.5] by mx.example.org; Mon, 2 Sep 2002"
        ));
        assert!(!numeric_helo(
            "from mail.example.com (mail.example.com [192.0.2.1])"
        ));
    }

    #[test]
    fn replies_get_a_small_credit() {
        let raw = format!("In-Reply-To: <0@example.com>\r\n{GOOD}");
        assert_eq!(hit_names(&raw, check), ["REPLY_HEADERS"]);
        let raw = format!("References: <a@x.example>\r\n\t<1@example.com>\r\n{GOOD}");
        assert_eq!(hit_names(&raw, check), ["REPLY_HEADERS"]);
    }

    #[test]
    fn pasted_reply_headers_without_a_message_id_get_no_credit() {
        for header in [
            "References: <@mail-fs7.example.io>",
            "In-Reply-To: Q7URneZr2QFSPenRE4lfmDONelpy",
            "In-Reply-To: <no-at-sign>",
        ] {
            let raw = format!("{header}\r\n{GOOD}");
            assert!(hit_names(&raw, check).is_empty(), "{header}");
        }
    }
}
