//! Non-standard bounces: the free text that Exim, Postfix, qmail, Sendmail, Exchange, Gmail,
//! Japanese carriers and many others write instead of (or beside) RFC 3464 fields.
//!
//! No MTA-specific parsers: the shapes they share are enough. The failed address stands at
//! the start of a line (`<a@b>:`, `  a@b`, `a@b on date`) or after `RCPT TO:`; the error
//! follows it, before the next failed address; the quoted original message comes last and is
//! cut off so its contents never decide anything.

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;
use std::sync::LazyLock;

static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")
        .expect("static regex")
});

/// Lines that begin the quoted original message (lower-case, matched anywhere in a line).
const ORIGINAL_MARKERS: &[&str] = &[
    "content-type: message/rfc822",
    "content-type: message/global",
    "content-type: text/rfc822-headers",
    "original message follows",
    "original message headers",
    "original message header",
    "header of the original message",
    "headers of the original message",
    "copy of the message",
    "copy of the original message",
    "copy of your message",
    "message header follows",
    "returned message follows",
    "undelivered message headers",
    "unsent message below",
    "unsent message follows",
    "this is the original message",
    "original message --",
    "original message ---",
    "--- original message",
    "----- message text follows",
    "--- below this line",
    "------ returned message",
    "-- included message",
    "included is a copy",
    "a copy of the original",
    "message follows:",
    "your message reads",
    "received: from",
    "return-path:",
    "bounced e-mail:",
];

static MARKERS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(ORIGINAL_MARKERS)
        .expect("static markers")
});

/// The bounce text without the quoted original message (the first marker line and what
/// follows). A marker on the first few lines is ignored: some MTAs open with it.
pub fn cut_original(body: &str) -> &str {
    &body[..cut_original_at(&body.to_ascii_lowercase())]
}

/// Where [`cut_original`] cuts, given the body already ASCII-lower-cased (same offsets).
pub fn cut_original_at(lower: &str) -> usize {
    let body = lower;
    let bytes = body.as_bytes();
    for m in MARKERS.find_iter(body) {
        let line_start = memchr::memrchr(b'\n', &bytes[..m.start()])
            .map(|i| i + 1)
            .unwrap_or(0);
        // A marker on the first two lines is the notice's own opening.
        if memchr::memchr_iter(b'\n', &bytes[..line_start])
            .take(2)
            .count()
            < 2
        {
            continue;
        }
        let pattern = ORIGINAL_MARKERS[m.pattern().as_usize()];
        if pattern == "received: from" || pattern == "return-path:" {
            // Header markers count only at the start of a line.
            if !body[line_start..m.start()].trim().is_empty() {
                continue;
            }
        }
        return line_start;
    }
    body.len()
}

/// `<A@B.example>`, `"rfc822;a@b"`, `mailto:a@b` → `a@b` lower-cased; `None` unless the
/// value holds an address.
pub fn normalise_address(value: &str) -> Option<String> {
    ADDRESS
        .find(value)
        .map(|m| m.as_str().trim_matches(['.', '\'', '`']).to_lowercase())
        .filter(|a| a.contains('@') && !a.starts_with('@'))
}

/// Every address in `text`, lower-cased, in order.
pub fn addresses(text: &str) -> Vec<String> {
    ADDRESS
        .find_iter(text)
        .map(|m| m.as_str().trim_matches(['.', '\'', '`']).to_lowercase())
        .collect()
}

/// Local parts that are never the failed recipient.
fn is_system_address(addr: &str) -> bool {
    let local = addr.split('@').next().unwrap_or("");
    matches!(
        local,
        "mailer-daemon" | "mailerdaemon" | "mail-daemon" | "postmaster" | "daemon" | "nobody"
    ) || local.starts_with("bounce")
}

/// Phrases before an address on its line that make it the failed recipient.
const RECIPIENT_CUES: &[&str] = &[
    "rcpt to:",
    "rcpt to :",
    "recipient:",
    "recipient address:",
    "recipients:",
    "recipient <",
    "recipient ",
    "delivery to ",
    "delivered to ",
    "deliver to ",
    "deliver mail to ",
    "delivery failed to ",
    "failed to deliver to ",
    "could not be delivered to",
    "couldn't be delivered to",
    "undeliverable to ",
    "addressed to ",
    "address:",
    "user ",
    "user: ",
    "mailbox ",
    "email address ",
    "to: <",
    "for <",
    "to <",
    "failed:",
    "destinataire",
    "final-recipient:",
    "original-recipient:",
    "x-failed-recipients:",
];

/// Phrases before an address on its line that make it the sender (never the recipient).
const SENDER_CUES: &[&str] = &[
    "mail from",
    "from:",
    "from <",
    "sender",
    "return-path",
    "envelope-from",
    "reply-to",
    "message-id",
    "in-reply-to",
    "references:",
    "received:",
    "smtp.mailfrom",
    "header.from",
    "auth ",
    "contact",
    "please send mail to",
];

static RECIPIENT_AC: LazyLock<AhoCorasick> =
    LazyLock::new(|| AhoCorasick::new(RECIPIENT_CUES).expect("static cues"));
static SENDER_AC: LazyLock<AhoCorasick> =
    LazyLock::new(|| AhoCorasick::new(SENDER_CUES).expect("static cues"));

/// One candidate failed address and the line it was found on.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub address: String,
    pub line: usize,
    pub strong: bool,
}

/// The failed recipients of a bounce text, in order, with the line each was first seen on.
/// `exclude` holds the notice's own addresses (its From, To …).
pub fn recipients(lines: &[&str], exclude: &[String]) -> Vec<Candidate> {
    let mut strong: Vec<Candidate> = Vec::new();
    let mut weak: Vec<Candidate> = Vec::new();
    // The line of the last "… the following recipient(s):" heading: an address on the two
    // lines after it is one of the failed recipients, whatever precedes it on its line.
    let mut heading: Option<usize> = None;
    for (i, line) in lines.iter().enumerate() {
        if !line.contains('@') {
            // Lower-case only the few lines that can be the heading.
            if line.contains("ollowing") || line.contains("OLLOWING") {
                let lower = line.to_ascii_lowercase();
                if lower.contains("following recipient") || lower.contains("following address") {
                    heading = Some(i);
                }
            }
            continue;
        }
        let lower = line.to_ascii_lowercase();
        let under_heading = heading.is_some_and(|h| i <= h + 2);
        for m in ADDRESS.find_iter(line) {
            let addr = m.as_str().trim_matches(['.', '\'', '`']).to_lowercase();
            // X.400 addresses of Exchange carry the SMTP one as `…;dda:SMTP=a@b`.
            let addr = match addr.strip_prefix("smtp=") {
                Some(a) => a.to_string(),
                None => addr,
            };
            if !addr.contains('@') || exclude.contains(&addr) || is_system_address(&addr) {
                continue;
            }
            // Offsets of `lower` equal those of `line` for ASCII text; fall back to the
            // whole line otherwise.
            let before = lower.get(..m.start()).unwrap_or("");
            let before_trim = before.trim_end_matches(['<', '"', '\'', ' ', '\t', '(', '[']);
            if SENDER_AC.is_match(before) && !before.contains("rcpt to") {
                continue;
            }
            // Sendmail: `554 <a@b>... Host unknown` — a reply code, then the address.
            let after_code = before.trim_start();
            let after_code = match after_code.as_bytes() {
                [a, b, c, rest @ ..]
                    if a.is_ascii_digit()
                        && b.is_ascii_digit()
                        && c.is_ascii_digit()
                        && rest.iter().all(|&x| x == b' ' || x == b'<' || x == b'-') =>
                {
                    ""
                }
                _ => before,
            };
            let head = after_code
                .trim_matches(|c: char| {
                    c.is_whitespace()
                        || matches!(
                            c,
                            '<' | '"'
                                | '\''
                                | '-'
                                | '*'
                                | '>'
                                | '('
                                | '['
                                | ':'
                                | '#'
                                | '.'
                                | '\u{3000}'
                        )
                })
                .is_empty();
            let cue = RECIPIENT_AC.is_match(before) && !before_trim.ends_with("to:")
                || before_trim.ends_with("rcpt to:");
            let is_strong = head || cue || under_heading;
            let list = if is_strong { &mut strong } else { &mut weak };
            if !list.iter().any(|c| c.address == addr) {
                list.push(Candidate {
                    address: addr,
                    line: i,
                    strong: is_strong,
                });
            }
        }
    }
    if !strong.is_empty() {
        strong
    } else {
        weak.truncate(1);
        weak
    }
}

/// The SMTP command the failure answered, when the text says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Connect,
    Helo,
    MailFrom,
    RcptTo,
    Data,
}

/// Finds "in reply to RCPT TO command", "after RCPT TO:", `>>> RCPT TO` and the like.
pub fn smtp_command(lower: &str) -> Option<Command> {
    // The earliest "in reply to X" / "after X" names the command that failed.
    if let Some(m) = COMMANDS.find(lower) {
        return Some(COMMAND_PHRASES[m.pattern().as_usize()].1);
    }
    // Sendmail transcripts: the last command sent before the error reply.
    let mut last = None;
    for i in memchr::memmem::find_iter(lower.as_bytes(), b">>>") {
        // The verb is a whole word: `>>> mail@example.org` (Sendmail's list of failed
        // addresses) names a recipient, not the MAIL command.
        let cmd = lower[i + 3..].trim_start();
        let verb = cmd
            .split(|c: char| c.is_ascii_whitespace() || c == ':')
            .next()
            .unwrap_or("");
        last = match verb {
            "rcpt" => Some(Command::RcptTo),
            "mail" => Some(Command::MailFrom),
            "data" | "." => Some(Command::Data),
            "helo" | "ehlo" => Some(Command::Helo),
            _ => last,
        };
    }
    last
}

const COMMAND_PHRASES: &[(&str, Command)] = &[
    ("in reply to rcpt to", Command::RcptTo),
    ("after rcpt to", Command::RcptTo),
    ("in reply to rcpt", Command::RcptTo),
    ("rcpt to command", Command::RcptTo),
    ("rcpt to response", Command::RcptTo),
    ("smtp:rcpt", Command::RcptTo),
    // Exim's older wording, and qmail's ("<host> does not like recipient.").
    ("after rcpt command", Command::RcptTo),
    ("does not like recipient", Command::RcptTo),
    // DragonFly's dma: "<host> [<ip>] did not like our RCPT TO:" (and the other commands).
    ("did not like our rcpt to", Command::RcptTo),
    ("did not like our mail from", Command::MailFrom),
    ("did not like our final data", Command::Data),
    ("did not like our data", Command::Data),
    ("did not like our ehlo", Command::Helo),
    ("did not like our helo", Command::Helo),
    // Yahoo's own notices put the command after the reply: "… User Unknown [RCPT_TO]".
    ("[rcpt_to]", Command::RcptTo),
    ("[mail_from]", Command::MailFrom),
    ("in reply to end of data", Command::Data),
    ("after end of data", Command::Data),
    ("in reply to data", Command::Data),
    ("after data", Command::Data),
    ("end of data command", Command::Data),
    ("in reply to mail from", Command::MailFrom),
    ("after mail from", Command::MailFrom),
    ("mail from command", Command::MailFrom),
    ("after mail command", Command::MailFrom),
    ("does not like sender", Command::MailFrom),
    ("in reply to helo", Command::Helo),
    ("in reply to ehlo", Command::Helo),
    ("after helo", Command::Helo),
    ("after ehlo", Command::Helo),
    // Gmail's own notices end the remote reply with the session state it failed in:
    // 13 after EHLO, 14 after RCPT TO, 15, 17 and 18 after DATA.
    ("(state 13).", Command::Helo),
    ("(state 14).", Command::RcptTo),
    ("(state 15).", Command::Data),
    ("(state 17).", Command::Data),
    ("(state 18).", Command::Data),
    ("after initial connection", Command::Connect),
    ("smtp greeting", Command::Connect),
    ("after connect", Command::Connect),
];

static COMMANDS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        // Its rare-byte prefilter fires on every other word of English text: a plain DFA
        // pass over a long notice is cheaper.
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .prefilter(false)
        .build(COMMAND_PHRASES.iter().map(|(p, _)| p))
        .expect("static command phrases")
});

/// Words in a notice's subject that mean "your mail was not delivered" (lower-case;
/// several languages).
const BOUNCE_SUBJECTS: &[&str] = &[
    "undeliver",
    "undelivered",
    "delivery status notification",
    "delivery failure",
    "delivery failed",
    "delivery has failed",
    "delivery problem",
    "delivery notification",
    "delivery report",
    "failure notice",
    "failed delivery",
    "mail delivery",
    "returned mail",
    "return mail",
    "returned to sender",
    "non-delivery",
    "nondeliverable",
    "non delivery",
    "not delivered",
    "could not be delivered",
    "couldn't be delivered",
    "mail system error",
    "message not delivered",
    "delivery error",
    "error sending message",
    "warning: could not send",
    "delayed mail",
    "delivery delayed",
    "message delayed",
    "bounce",
    "rejected",
    "failed mail",
    "mail failure",
    "unzustellbar",
    "non remis",
    "non recapitabile",
    "no se puede entregar",
    "niet bezorgd",
    "nicht zugestellt",
    "returned message",
    "permanent error",
    "message status",
    "undelivered mail returned",
    "could not send message",
    "mail could not be delivered",
    "delivery notice",
    "配信",
    "エラー",
    "不達",
    "送信できません",
];

static SUBJECTS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(BOUNCE_SUBJECTS)
        .expect("static subjects")
});

/// Sentences that say a message was not delivered (lower-case, several languages): with a
/// bounce-like subject and an address, a notice even when it names no reason.
const FAILURE_STATEMENTS: &[&str] = &[
    "could not be delivered to",
    "couldn't be delivered to",
    "was not delivered to",
    "were not delivered to",
    "could not deliver your message to",
    "unable to deliver your message to",
    "undeliverable to",
    "delivery to the following recipient",
    "did not reach the following recipient",
    "n'a pas pu etre delivre",
    "n'a pas pu être délivré",
    "konnte nicht zugestellt werden",
];

/// True when `lower` (lower-cased) says a message was not delivered.
pub fn states_a_failure(lower: &str) -> bool {
    FAILURE_STATEMENTS.iter().any(|s| lower.contains(s))
}

/// True when a subject reads like a non-delivery notice.
pub fn bounce_subject(subject: &str) -> bool {
    SUBJECTS.find(subject).is_some()
}

/// `text` without a leading `prefix` (ASCII, any case), if it starts with one.
pub fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// True when the sender is a mail system rather than a person.
pub fn system_sender(from: &str) -> bool {
    let l = from.to_ascii_lowercase();
    l.contains("mailer-daemon")
        || l.contains("mailerdaemon")
        || l.contains("postmaster")
        || l.contains("mail delivery")
        || l.contains("mail-daemon")
        || l.contains("mail administrator")
        || l.contains("mail system")
        || l.contains("mailer")
        || l.contains("post_master")
        || l.contains("ndr ")
        || addresses(&l).iter().any(|a| system_local_part(a))
}

/// A mail system's own mailbox, told by the address's local part alone: `bounce@` and
/// `bounces@` answer for a return path (a newsletter's `bounce.example.com` is only a
/// sending domain), and a daemon is a mail system's (`MDaemon@`, `smtp-daemon@`), not any
/// program's (`bugzilla-daemon@` sends bug reports).
fn system_local_part(addr: &str) -> bool {
    let local = addr.split('@').next().unwrap_or("");
    if local.starts_with("bounce") {
        return true;
    }
    let squashed: String = local.chars().filter(char::is_ascii_alphanumeric).collect();
    matches!(
        squashed.as_str(),
        "daemon" | "mdaemon" | "maildaemon" | "smtpdaemon"
    )
}

/// The most telling line of a recipient's context: one naming an error (a reply code, a
/// status, a known phrase); `fallback` otherwise.
pub fn diagnostic_line(context: &str) -> Option<String> {
    let lines: Vec<&str> = context.lines().collect();
    let lower = context.to_ascii_lowercase();
    if let Some(pos) = crate::domain::bounce::phrases::first_hit(&lower) {
        let i = memchr::memchr_iter(b'\n', &lower.as_bytes()[..pos]).count();
        if i < lines.len() {
            return Some(join_continuation(&lines, i));
        }
    }
    let i = lines.iter().position(|line| {
        let t = line.trim();
        !t.is_empty()
            && (crate::domain::bounce::status::EnhancedStatus::find(t).is_some()
                || crate::domain::bounce::status::find_reply_code(t).is_some())
    })?;
    Some(join_continuation(&lines, i))
}

fn join_continuation(lines: &[&str], i: usize) -> String {
    let mut s = lines[i].trim().to_string();
    // Join indented continuation lines (Postfix and Exim wrap their quotes).
    for l in lines.iter().skip(i + 1).take(3) {
        if l.starts_with([' ', '\t']) && !l.trim().is_empty() && !l.contains('@') {
            s.push(' ');
            s.push_str(l.trim());
        } else {
            break;
        }
    }
    truncate_chars(&s, 400)
}

/// Cuts `s` to at most `max` characters.
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quoted_original_is_cut_off() {
        let body = "This is the mail system.\n\n<a@x.example>: host said 550 no\n\n------ This is a copy of the message, including all the headers. ------\nReturn-Path: <me@y.example>\nuser unknown\n";
        let cut = cut_original(body);
        assert!(cut.contains("550 no"));
        assert!(!cut.contains("user unknown"));
    }

    #[test]
    fn failed_addresses_at_line_start_are_recipients_but_senders_are_not() {
        let text = "Hello\nMail from: <me@sender.example>\n<alice@x.example>: host mx said: 550 5.1.1 unknown\n  bob@y.example\n    SMTP error from remote mail server after RCPT TO:<bob@y.example>:\n";
        let lines: Vec<&str> = text.lines().collect();
        let r = recipients(&lines, &["me@sender.example".to_string()]);
        let got: Vec<&str> = r.iter().map(|c| c.address.as_str()).collect();
        assert_eq!(got, vec!["alice@x.example", "bob@y.example"]);
    }

    #[test]
    fn smtp_commands_are_read_from_postfix_and_sendmail_wording() {
        assert_eq!(
            smtp_command("550 no (in reply to rcpt to command)"),
            Some(Command::RcptTo)
        );
        assert_eq!(
            smtp_command(">>> mail from:<a@b>\n<<< 250 ok\n>>> data\n<<< 554 no"),
            Some(Command::Data)
        );
        assert_eq!(
            smtp_command("mx.example.net [192.0.2.1] did not like our rcpt to:\n550 no"),
            Some(Command::RcptTo)
        );
        assert_eq!(
            smtp_command("550 5.2.2 <a@b>... mailbox full\n[rcpt_to]"),
            Some(Command::RcptTo)
        );
        assert_eq!(
            smtp_command("501 5.1.8 sender address rejected [mail_from]"),
            Some(Command::MailFrom)
        );
        assert_eq!(smtp_command("nothing"), None);
    }

    /// Sendmail lists the addresses that failed after `>>>` too: a mailbox named like a
    /// command is a recipient, not the command (found by `bounce-variants`' renamed
    /// recipients: `>>> rcpt0-…@…` read as RCPT TO).
    #[test]
    fn a_mailbox_named_like_a_command_is_not_the_command() {
        for line in [
            ">>> mail@example.org <mail@example.org>\n550 user unknown",
            ">>> rcpt7@example.org\n550 user unknown",
            ">>> database@example.org\n550 user unknown",
            ">>> mailroom@example.org\n550 user unknown",
        ] {
            assert_eq!(smtp_command(line), None, "{line}");
        }
        assert_eq!(
            smtp_command(
                ">>> RCPT To:<a@b>\n<<< 550 no"
                    .to_ascii_lowercase()
                    .as_str()
            ),
            Some(Command::RcptTo)
        );
        assert_eq!(smtp_command(">>> .\n<<< 554 no"), Some(Command::Data));
    }

    #[test]
    fn bounce_subjects_are_recognised_in_several_languages() {
        assert!(bounce_subject("Undelivered Mail Returned to Sender"));
        assert!(bounce_subject("Unzustellbar: Hallo"));
        assert!(!bounce_subject("Lunch on Friday?"));
    }
}
