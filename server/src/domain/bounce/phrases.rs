//! What receiving MTAs write when they refuse mail, phrase by phrase, and the reason each
//! phrase means. One Aho-Corasick automaton over every phrase, built once; the text is
//! lower-cased once by the caller. When several reasons match, `PRIORITY` decides: the more
//! specific reason first (a full mailbox is still a full mailbox when the MTA also says
//! "rejected").

use crate::domain::bounce::reason::Reason;
use aho_corasick::{AhoCorasick, MatchKind};
use std::sync::LazyLock;

/// Earlier wins. Mirrors the field's experience (Sisimai's class order): mailbox-specific
/// reasons, then addressing, then sender/policy, then transport.
const PRIORITY: &[Reason] = &[
    Reason::MailboxFull,
    Reason::ExceedLimit,
    Reason::MesgTooBig,
    Reason::Suspend,
    Reason::HasMoved,
    Reason::NoRelaying,
    Reason::AuthFailure,
    Reason::RequirePtr,
    Reason::NotCompliantRfc,
    Reason::UserUnknown,
    Reason::Filtered,
    Reason::NotAccept,
    Reason::Rejected,
    Reason::HostUnknown,
    Reason::BadReputation,
    Reason::SpamDetected,
    Reason::VirusDetected,
    Reason::PolicyViolation,
    Reason::TooManyConn,
    Reason::Speeding,
    Reason::Blocked,
    Reason::FailedStartTls,
    Reason::SecurityError,
    Reason::SystemFull,
    Reason::ContentError,
    Reason::SystemError,
    Reason::NetworkError,
    Reason::Expired,
    Reason::MailerError,
    Reason::SyntaxError,
];

/// `(phrase, reason)`; phrases are lower-case.
const PHRASES: &[(&str, Reason)] = &[
    // --- mailbox full (X.2.2)
    ("mailbox full", Reason::MailboxFull),
    ("mailbox is full", Reason::MailboxFull),
    ("mailbox is over quota", Reason::MailboxFull),
    ("mailbox over quota", Reason::MailboxFull),
    ("mailbox quota", Reason::MailboxFull),
    ("mailbox size limit exceeded", Reason::MailboxFull),
    ("mailbox has exceeded", Reason::MailboxFull),
    ("mailbox exceeded", Reason::MailboxFull),
    ("mailfolder is full", Reason::MailboxFull),
    ("full mailbox", Reason::MailboxFull),
    ("over quota", Reason::MailboxFull),
    ("quota exceeded", Reason::MailboxFull),
    ("exceeded storage allocation", Reason::MailboxFull),
    (
        "exceeds the maximum size allowed for mail delivery",
        Reason::MailboxFull,
    ),
    ("disk quota", Reason::MailboxFull),
    ("quota violation", Reason::MailboxFull),
    ("not enough storage space", Reason::MailboxFull),
    ("does not have enough space", Reason::MailboxFull),
    ("exceeding its mailbox quota", Reason::MailboxFull),
    ("over the allowed quota", Reason::MailboxFull),
    ("user has too many messages", Reason::MailboxFull),
    ("space has been used up", Reason::MailboxFull),
    ("too much mail data", Reason::MailboxFull),
    ("boite du destinataire pleine", Reason::MailboxFull),
    ("account is full", Reason::MailboxFull),
    ("inbox is full", Reason::MailboxFull),
    ("out of storage", Reason::MailboxFull),
    (
        "mailbox would exceed maximum allowed storage",
        Reason::MailboxFull,
    ),
    ("exceeded the storage", Reason::MailboxFull),
    // --- message too big (X.3.4)
    ("message too big", Reason::MesgTooBig),
    ("message too large", Reason::MesgTooBig),
    ("message is too big", Reason::MesgTooBig),
    ("message is too large", Reason::MesgTooBig),
    ("message size exceeds", Reason::MesgTooBig),
    ("message exceeds maximum size", Reason::MesgTooBig),
    ("message file too big", Reason::MesgTooBig),
    ("exceeds size limit", Reason::MesgTooBig),
    ("size limit exceeded", Reason::MesgTooBig),
    ("exceeded maximum message size", Reason::MesgTooBig),
    ("exceeds the maximum message size", Reason::MesgTooBig),
    ("message length exceeds", Reason::MesgTooBig),
    ("mail size limit", Reason::MesgTooBig),
    ("message size limit", Reason::MesgTooBig),
    ("size of the message exceeds", Reason::MesgTooBig),
    ("taille limite du message atteinte", Reason::MesgTooBig),
    ("line limit exceeded", Reason::MesgTooBig),
    // --- exceed limit
    (
        "message length exceeds administrative limit",
        Reason::ExceedLimit,
    ),
    ("exceeds per-mailbox", Reason::ExceedLimit),
    // --- suspended / disabled mailbox
    ("is currently suspended", Reason::Suspend),
    ("mailbox currently suspended", Reason::Suspend),
    ("mailbox is frozen", Reason::Suspend),
    ("mailbox is disabled", Reason::Suspend),
    ("account is disabled", Reason::Suspend),
    ("account has been disabled", Reason::Suspend),
    ("account disabled", Reason::Suspend),
    ("account is locked", Reason::Suspend),
    ("account is inactive", Reason::Suspend),
    ("account inactive", Reason::Suspend),
    ("account has been suspended", Reason::Suspend),
    ("account suspended", Reason::Suspend),
    ("user suspended", Reason::Suspend),
    ("invalid/inactive user", Reason::Suspend),
    ("is a deactivated mailbox", Reason::Suspend),
    ("mailbox unavailable or access denied", Reason::Suspend),
    ("temporarily inactive", Reason::Suspend),
    ("temporary locked", Reason::Suspend),
    ("recipient suspend the service", Reason::Suspend),
    ("disabled or discontinued", Reason::Suspend),
    ("that you tried to reach is disabled", Reason::Suspend),
    ("boite du destinataire archivee", Reason::Suspend),
    ("mailbox is inactive", Reason::Suspend),
    ("tried to reach is inactive", Reason::Suspend),
    ("account is inactive", Reason::Suspend),
    ("is no longer in use", Reason::Suspend),
    // --- moved
    ("address has moved", Reason::HasMoved),
    ("mailbox has moved", Reason::HasMoved),
    ("no forwarding address", Reason::HasMoved),
    ("user has moved", Reason::HasMoved),
    ("is no longer valid.  the new address is", Reason::HasMoved),
    ("has been replaced by", Reason::HasMoved),
    // --- relaying
    ("relaying denied", Reason::NoRelaying),
    ("relay denied", Reason::NoRelaying),
    ("relay access denied", Reason::NoRelaying),
    ("relay not permitted", Reason::NoRelaying),
    ("not configured to relay", Reason::NoRelaying),
    ("no relaying", Reason::NoRelaying),
    ("relaying not allowed", Reason::NoRelaying),
    ("unable to relay", Reason::NoRelaying),
    ("not allowed to relay", Reason::NoRelaying),
    ("we do not relay", Reason::NoRelaying),
    ("insecure mail relay", Reason::NoRelaying),
    ("isn't in my list of allowed rcpthosts", Reason::NoRelaying),
    ("not in my list of allowed rcpthosts", Reason::NoRelaying),
    (
        "requires authentication when attempting to send to a non-local",
        Reason::NoRelaying,
    ),
    // --- SPF / DKIM / DMARC
    ("dmarc policy", Reason::AuthFailure),
    ("dmarc validation", Reason::AuthFailure),
    ("failed dmarc", Reason::AuthFailure),
    ("dmarc check", Reason::AuthFailure),
    ("due to dmarc", Reason::AuthFailure),
    ("spf check: fail", Reason::AuthFailure),
    ("spf fail", Reason::AuthFailure),
    ("spf validation", Reason::AuthFailure),
    ("sender policy framework", Reason::AuthFailure),
    ("not designated as permitted sender", Reason::AuthFailure),
    ("dkim signature", Reason::AuthFailure),
    ("dkim check", Reason::AuthFailure),
    ("dkim validation", Reason::AuthFailure),
    ("not pass authentication checks", Reason::AuthFailure),
    ("does not pass authentication", Reason::AuthFailure),
    ("unauthenticated email", Reason::AuthFailure),
    ("fails to pass authentication", Reason::AuthFailure),
    ("authentication checks failed", Reason::AuthFailure),
    ("is not allowed to send from", Reason::AuthFailure),
    ("//spf.pobox.com", Reason::AuthFailure),
    ("required authentication level", Reason::AuthFailure),
    (
        "does not have authentication information",
        Reason::AuthFailure,
    ),
    // --- reverse DNS
    ("ptr record", Reason::RequirePtr),
    ("reverse dns", Reason::RequirePtr),
    ("reverse lookup", Reason::RequirePtr),
    ("rdns", Reason::RequirePtr),
    ("cannot find your hostname", Reason::RequirePtr),
    ("cannot resolve your address", Reason::RequirePtr),
    ("ip name lookup failed", Reason::RequirePtr),
    (
        "forward dns entry does not point to the sending ip",
        Reason::RequirePtr,
    ),
    ("unresolvable relay host name", Reason::RequirePtr),
    ("mismatches client ip", Reason::RequirePtr),
    ("generic dns ptr", Reason::RequirePtr),
    ("client host name", Reason::RequirePtr),
    ("hostname does not resolve", Reason::RequirePtr),
    ("does not resolve to your ip", Reason::RequirePtr),
    // --- not RFC 5322
    ("not rfc 5322 compliant", Reason::NotCompliantRfc),
    ("not rfc5322 compliant", Reason::NotCompliantRfc),
    ("rfcmessagenoncompliant", Reason::NotCompliantRfc),
    ("duplicate header", Reason::NotCompliantRfc),
    ("multiple from", Reason::NotCompliantRfc),
    ("multiple subject", Reason::NotCompliantRfc),
    ("multiple date", Reason::NotCompliantRfc),
    ("multiple message-id", Reason::NotCompliantRfc),
    ("multiple to ", Reason::NotCompliantRfc),
    ("multiple sender", Reason::NotCompliantRfc),
    ("multiple addresses in from", Reason::NotCompliantRfc),
    ("messages with multiple addresses", Reason::NotCompliantRfc),
    // --- user unknown (X.1.1)
    ("user unknown", Reason::UserUnknown),
    ("unknown user", Reason::UserUnknown),
    ("user not found", Reason::UserUnknown),
    ("user not known", Reason::UserUnknown),
    ("user does not exist", Reason::UserUnknown),
    ("user doesn't exist", Reason::UserUnknown),
    ("user not exist", Reason::UserUnknown),
    ("user not active", Reason::UserUnknown),
    ("user missing home directory", Reason::UserUnknown),
    ("no such user", Reason::UserUnknown),
    ("no such recipient", Reason::UserUnknown),
    ("no such mailbox", Reason::UserUnknown),
    ("no such address", Reason::UserUnknown),
    ("no such person", Reason::UserUnknown),
    ("no such account", Reason::UserUnknown),
    ("unknown recipient", Reason::UserUnknown),
    ("unknown mailbox", Reason::UserUnknown),
    ("unknown address", Reason::UserUnknown),
    ("unknown local part", Reason::UserUnknown),
    ("unknown local-part", Reason::UserUnknown),
    ("unknown or illegal alias", Reason::UserUnknown),
    ("recipient unknown", Reason::UserUnknown),
    ("recipient not found", Reason::UserUnknown),
    ("recipient does not exist", Reason::UserUnknown),
    ("recipient not exist", Reason::UserUnknown),
    ("recipient is not local", Reason::UserUnknown),
    ("recipient is not accepted", Reason::UserUnknown),
    ("recipient not ok", Reason::UserUnknown),
    ("recipient refuses to accept your mail", Reason::UserUnknown),
    (
        "recipient address rejected: invalid user",
        Reason::UserUnknown,
    ),
    (
        "recipient address rejected: unknown user",
        Reason::UserUnknown,
    ),
    (
        "recipient address rejected: user unknown",
        Reason::UserUnknown,
    ),
    (
        "recipient address rejected: userunknown",
        Reason::UserUnknown,
    ),
    (
        "recipient address rejected: invalid-recipient",
        Reason::UserUnknown,
    ),
    (
        "recipient address rejected: access denied",
        Reason::UserUnknown,
    ),
    ("invalid recipient", Reason::UserUnknown),
    ("invalid mailbox", Reason::UserUnknown),
    ("invalid address", Reason::UserUnknown),
    ("mailbox not found", Reason::UserUnknown),
    ("mailbox does not exist", Reason::UserUnknown),
    ("mailbox doesn't exist", Reason::UserUnknown),
    ("mailbox not present", Reason::UserUnknown),
    ("mailbox invalid", Reason::UserUnknown),
    ("mailbox unavailable", Reason::UserUnknown),
    ("mailbox is unavailable", Reason::UserUnknown),
    ("mailbox not available", Reason::UserUnknown),
    ("no mailbox", Reason::UserUnknown),
    ("address does not exist", Reason::UserUnknown),
    ("address doesn't exist", Reason::UserUnknown),
    ("address unknown", Reason::UserUnknown),
    ("address not present in directory", Reason::UserUnknown),
    ("address invalid", Reason::UserUnknown),
    ("address not found", Reason::UserUnknown),
    ("account does not exist", Reason::UserUnknown),
    ("account doesn't exist", Reason::UserUnknown),
    ("no account by that name", Reason::UserUnknown),
    ("is not a known user", Reason::UserUnknown),
    ("is not a valid mailbox", Reason::UserUnknown),
    ("not a valid recipient", Reason::UserUnknown),
    ("not a valid user", Reason::UserUnknown),
    ("is not an active address", Reason::UserUnknown),
    ("not a local address", Reason::UserUnknown),
    ("not our customer", Reason::UserUnknown),
    ("there is no one at this address", Reason::UserUnknown),
    ("this address no longer accepts mail", Reason::UserUnknown),
    ("no longer valid", Reason::UserUnknown),
    ("does not exist here", Reason::UserUnknown),
    (
        "account that you tried to reach does not exist",
        Reason::UserUnknown,
    ),
    ("destination addresses were unknown", Reason::UserUnknown),
    ("resolver.adr.recipnotfound", Reason::UserUnknown),
    ("resolver.adr.recipientnotfound", Reason::UserUnknown),
    ("recipnotfound", Reason::UserUnknown),
    ("badrcptto", Reason::UserUnknown),
    ("validrcptto", Reason::UserUnknown),
    ("sorry, no mailbox here by that name", Reason::UserUnknown),
    (
        "your envelope recipient has been denied",
        Reason::UserUnknown,
    ),
    (
        "vdeliver: invalid or unknown virtual user",
        Reason::UserUnknown,
    ),
    ("utilisateur inconnu", Reason::UserUnknown),
    ("destinataire inconnu", Reason::UserUnknown),
    ("destinataire invalide", Reason::UserUnknown),
    (
        "adresse d au moins un destinataire invalide",
        Reason::UserUnknown,
    ),
    ("nessun utente simile", Reason::UserUnknown),
    ("no existe dicha persona", Reason::UserUnknown),
    ("no existe ese usuario", Reason::UserUnknown),
    ("unbekannter empf", Reason::UserUnknown),
    ("existiert nicht", Reason::UserUnknown),
    ("unknown e-mail address", Reason::UserUnknown),
    ("unknown email address", Reason::UserUnknown),
    ("email address does not exist", Reason::UserUnknown),
    ("not listed in domino directory", Reason::UserUnknown),
    (
        "not listed in public name & address book",
        Reason::UserUnknown,
    ),
    ("in name directory", Reason::UserUnknown),
    ("recipient name is not recognized", Reason::UserUnknown),
    ("invalid final delivery userid", Reason::UserUnknown),
    (
        "email account that you tried to reach does not exist",
        Reason::UserUnknown,
    ),
    ("no valid recipients", Reason::UserUnknown),
    // --- the recipient's own filter
    ("user reject", Reason::Filtered),
    ("refuse to receive mail", Reason::Filtered),
    (
        "only accepting mail from specific email addresses",
        Reason::Filtered,
    ),
    ("refused due to recipient preferences", Reason::Filtered),
    ("has restricted sms e-mail", Reason::Filtered),
    ("is not accepting any mail", Reason::Filtered),
    ("resolver.rst.notauthorized", Reason::Filtered),
    ("this account is protected by", Reason::Filtered),
    ("you have been blocked by the recipient", Reason::Filtered),
    (
        "due to extended inactivity new mail is not currently being accepted",
        Reason::Filtered,
    ),
    ("bounced address", Reason::Filtered),
    // --- refused envelope sender
    ("sender rejected", Reason::Rejected),
    ("sender address rejected", Reason::Rejected),
    ("sender email address rejected", Reason::Rejected),
    ("sender verify failed", Reason::Rejected),
    ("sender is spammer", Reason::Rejected),
    ("sender not pre-approved", Reason::Rejected),
    ("sender domain is empty", Reason::Rejected),
    ("domain of sender address", Reason::Rejected),
    ("invalid sender", Reason::Rejected),
    ("bogus mail from", Reason::Rejected),
    ("null sender is not allowed", Reason::Rejected),
    ("empty envelope senders not allowed", Reason::Rejected),
    ("unroutable sender address", Reason::Rejected),
    ("administrative prohibition", Reason::Rejected),
    (
        "access denied (in reply to mail from command)",
        Reason::Rejected,
    ),
    ("mail from not owned by user", Reason::Rejected),
    ("returned mail not accepted here", Reason::Rejected),
    ("batv", Reason::Rejected),
    ("no third-party dsns", Reason::Rejected),
    ("fully qualified email address required", Reason::Rejected),
    ("email address is not verified", Reason::Rejected),
    ("emetteur invalide", Reason::Rejected),
    ("denied [bouncedeny]", Reason::Rejected),
    ("rule imposed mailbox access for", Reason::Rejected),
    ("address that has been blacklisted", Reason::Rejected),
    ("delivery not authorized, message refused", Reason::Rejected),
    ("permission to post", Reason::Rejected),
    ("group you tried to contact", Reason::Rejected),
    ("投稿する権限", Reason::Rejected),
    ("groups.google.com/support", Reason::Rejected),
    ("sender was rejected", Reason::Rejected),
    ("mailfrom domain", Reason::Rejected),
    ("mail from domain", Reason::Rejected),
    ("is not a registered gateway user", Reason::Rejected),
    ("please provide a valid from", Reason::Rejected),
    ("sender domain must exist", Reason::Rejected),
    ("sender address does not exist", Reason::Rejected),
    ("invalid domain, see <url:", Reason::Rejected),
    // --- unknown host (X.1.2)
    ("host unknown", Reason::HostUnknown),
    ("unknown host", Reason::HostUnknown),
    ("host or domain name not found", Reason::HostUnknown),
    ("domain does not exist", Reason::HostUnknown),
    ("domain not found", Reason::HostUnknown),
    ("no such domain", Reason::HostUnknown),
    ("domain must exist", Reason::HostUnknown),
    ("domain is not reachable", Reason::HostUnknown),
    ("unknown domain", Reason::HostUnknown),
    ("name or service not known", Reason::HostUnknown),
    ("unrouteable address", Reason::HostUnknown),
    ("the account or domain may not exist", Reason::HostUnknown),
    (
        "mail domain mentioned in email address is unknown",
        Reason::HostUnknown,
    ),
    (
        "dns records for the destination computer could not be found",
        Reason::HostUnknown,
    ),
    ("invalid domain", Reason::HostUnknown),
    // --- spam
    ("spam", Reason::SpamDetected),
    ("unsolicited", Reason::SpamDetected),
    ("bulk mail", Reason::SpamDetected),
    ("bulk email", Reason::SpamDetected),
    ("bulk e-mail", Reason::SpamDetected),
    ("message content rejected", Reason::SpamDetected),
    ("content filter rejection", Reason::SpamDetected),
    ("mail content denied", Reason::SpamDetected),
    // A bare "Message Filtered" (with X.2.0) is the recipient's filter; with the word spam
    // (below, a pair) it is a spam verdict.
    ("message filtered", Reason::Filtered),
    ("rejecting banned content", Reason::SpamDetected),
    ("rejecting mail content", Reason::SpamDetected),
    (
        "message rejected because of unacceptable content",
        Reason::SpamDetected,
    ),
    ("message rejected for policy reasons", Reason::SpamDetected),
    ("recurrent pattern detection", Reason::SpamDetected),
    ("uribl", Reason::SpamDetected),
    ("surbl", Reason::SpamDetected),
    ("blacklisted url", Reason::SpamDetected),
    ("ube, id=", Reason::SpamDetected),
    ("554 5.7.0 reject, id=", Reason::SpamDetected),
    ("high probability of", Reason::SpamDetected),
    ("due to spam classification", Reason::SpamDetected),
    ("message looks like", Reason::SpamDetected),
    // --- virus
    ("virus", Reason::VirusDetected),
    ("malware", Reason::VirusDetected),
    ("infected", Reason::VirusDetected),
    // --- policy
    ("policy violation", Reason::PolicyViolation),
    ("denied by policy", Reason::PolicyViolation),
    ("for policy reasons", Reason::PolicyViolation),
    ("due to local policy", Reason::PolicyViolation),
    ("rejected due to security policies", Reason::PolicyViolation),
    ("organization policy", Reason::PolicyViolation),
    ("organizational settings", Reason::PolicyViolation),
    ("an illegal attachment", Reason::PolicyViolation),
    ("members-only list", Reason::PolicyViolation),
    ("closed mailing list", Reason::PolicyViolation),
    ("not subscribed to this group", Reason::PolicyViolation),
    ("header error", Reason::PolicyViolation),
    ("header are not accepted", Reason::PolicyViolation),
    ("protocol violation", Reason::PolicyViolation),
    ("message given low priority", Reason::PolicyViolation),
    ("mass mailer", Reason::PolicyViolation),
    ("not accepting mail with ", Reason::PolicyViolation),
    ("content presents a potential", Reason::PolicyViolation),
    ("images or other attachments", Reason::PolicyViolation),
    ("without solving a captcha", Reason::PolicyViolation),
    ("executable", Reason::PolicyViolation),
    // --- reputation
    ("poor reputation", Reason::BadReputation),
    ("bad reputation", Reason::BadReputation),
    ("low reputation", Reason::BadReputation),
    ("sender reputation", Reason::BadReputation),
    ("ip reputation", Reason::BadReputation),
    ("domain reputation", Reason::BadReputation),
    ("reputation of the sending", Reason::BadReputation),
    // --- rate
    ("rate limit", Reason::Speeding),
    ("rate-limit", Reason::Speeding),
    ("ratelimit", Reason::Speeding),
    ("sending rate", Reason::Speeding),
    ("too fast", Reason::Speeding),
    ("temporarily rate limited", Reason::Speeding),
    ("unusual rate of", Reason::Speeding),
    ("too many recipients this hour", Reason::Speeding),
    ("sent to too many recipients", Reason::Speeding),
    ("connection rate limit exceeded", Reason::TooManyConn),
    ("too many connections", Reason::TooManyConn),
    ("too many concurrent", Reason::TooManyConn),
    ("too many smtp sessions", Reason::TooManyConn),
    ("too many recipients", Reason::TooManyConn),
    ("too many errors from your ip", Reason::TooManyConn),
    ("connection limit", Reason::TooManyConn),
    ("maximum connection limit", Reason::TooManyConn),
    ("max emails per hour", Reason::TooManyConn),
    ("throttling failure", Reason::TooManyConn),
    ("trop de connexions", Reason::TooManyConn),
    ("frequency limited", Reason::TooManyConn),
    ("numerous attempts to deliver", Reason::TooManyConn),
    // --- refused sending host
    ("blocked", Reason::Blocked),
    ("blacklisted", Reason::Blocked),
    ("blocklisted", Reason::Blocked),
    ("block list", Reason::Blocked),
    ("blocklist", Reason::Blocked),
    ("blacklist", Reason::Blocked),
    ("dnsbl", Reason::Blocked),
    ("rbl", Reason::Blocked),
    ("spamhaus", Reason::Blocked),
    ("spamcop", Reason::Blocked),
    ("listed at", Reason::Blocked),
    ("listed in", Reason::Blocked),
    ("client host rejected", Reason::Blocked),
    ("connection refused", Reason::Blocked),
    ("connection dropped", Reason::Blocked),
    ("connection reset by peer", Reason::Blocked),
    ("access denied", Reason::Blocked),
    ("not currently accepting mail from your ip", Reason::Blocked),
    ("dynamic ip", Reason::Blocked),
    ("hosts with dynamic", Reason::Blocked),
    ("rejecting open proxy", Reason::Blocked),
    ("go away", Reason::Blocked),
    ("ip/domain reputation problems", Reason::Blocked),
    ("no access from mail server", Reason::Blocked),
    ("use the smtp server of your isp", Reason::Blocked),
    (
        "your remotehost looks suspiciously like spammer",
        Reason::Blocked,
    ),
    ("is not allowed to send mail from", Reason::Blocked),
    ("your server requires confirmation", Reason::Blocked),
    ("confirm this mail server", Reason::Blocked),
    (
        "temporarily deferred due to user complaints",
        Reason::Blocked,
    ),
    ("is blocked by", Reason::Blocked),
    ("your ip", Reason::Blocked),
    ("your network", Reason::Blocked),
    ("not accepting connections", Reason::Blocked),
    ("service refused", Reason::Blocked),
    ("refused to talk to me", Reason::Blocked),
    ("service refuse", Reason::Blocked),
    ("client host blocked", Reason::Blocked),
    ("banned sending ip", Reason::Blocked),
    // --- TLS
    ("starttls", Reason::FailedStartTls),
    ("tls required", Reason::FailedStartTls),
    ("tls handshake", Reason::FailedStartTls),
    ("must issue a starttls", Reason::FailedStartTls),
    ("encryption required", Reason::FailedStartTls),
    // --- security
    ("authentication required", Reason::SecurityError),
    ("authentication failure", Reason::SecurityError),
    ("authentication credentials invalid", Reason::SecurityError),
    (
        "authentication turned on in your email client",
        Reason::SecurityError,
    ),
    ("unauthenticated senders not allowed", Reason::SecurityError),
    ("verification failure", Reason::SecurityError),
    ("not authorized to send mail", Reason::SecurityError),
    ("not authorized to perform ses:", Reason::SecurityError),
    ("account not subscribed to ses", Reason::SecurityError),
    ("is a dead domain", Reason::SecurityError),
    ("authentification requise", Reason::SecurityError),
    ("smtp authentication", Reason::SecurityError),
    // --- system / host state
    ("mail system full", Reason::SystemFull),
    ("system full", Reason::SystemFull),
    ("insufficient system storage", Reason::SystemFull),
    ("not enough disk space", Reason::SystemFull),
    ("insufficient disk space", Reason::SystemFull),
    ("does not accept mail", Reason::NotAccept),
    ("doesn't accept mail", Reason::NotAccept),
    ("not accepting mail", Reason::NotAccept),
    ("null mx", Reason::NotAccept),
    ("couldn't find a mail exchanger", Reason::NotAccept),
    ("indicated no smtp service", Reason::NotAccept),
    ("could not find a mail exchanger", Reason::NotAccept),
    ("no mx record", Reason::NotAccept),
    ("does not accept e-mail", Reason::NotAccept),
    ("system not accepting network messages", Reason::NotAccept),
    ("conversion required", Reason::ContentError),
    ("media not supported", Reason::ContentError),
    ("conversion failed", Reason::ContentError),
    ("improper use of 8-bit data", Reason::ContentError),
    ("message header size", Reason::ContentError),
    ("line too long", Reason::ContentError),
    ("local configuration error", Reason::SystemError),
    ("local error in processing", Reason::SystemError),
    ("mail system configuration error", Reason::SystemError),
    ("server configuration error", Reason::SystemError),
    ("system config error", Reason::SystemError),
    ("temporary local problem", Reason::SystemError),
    ("internal error", Reason::SystemError),
    ("internal server error", Reason::SystemError),
    ("queue file write error", Reason::SystemError),
    ("service currently unavailable", Reason::SystemError),
    ("service unavailable", Reason::SystemError),
    ("remote server is misconfigured", Reason::SystemError),
    ("interrupted system call", Reason::SystemError),
    ("timeout waiting for input", Reason::SystemError),
    ("aliasing/forwarding loop broken", Reason::SystemError),
    ("loops back to myself", Reason::SystemError),
    ("it would create a mail loop", Reason::SystemError),
    ("loop was found in the mail exchanger", Reason::SystemError),
    ("can't create user output file", Reason::SystemError),
    (
        "encountered an error while being processed",
        Reason::SystemError,
    ),
    (
        "recipient deferred because there is no mdb",
        Reason::SystemError,
    ),
    ("could not load drd", Reason::SystemError),
    ("system error", Reason::SystemError),
    ("transaction failed", Reason::SystemError),
    ("upstream error", Reason::SystemError),
    // --- network
    ("no route to host", Reason::NetworkError),
    ("host is unreachable", Reason::NetworkError),
    ("host unreachable", Reason::NetworkError),
    ("network is unreachable", Reason::NetworkError),
    ("host not found, try again", Reason::NetworkError),
    ("unrouteable mail domain", Reason::NetworkError),
    ("unable to resolve route", Reason::NetworkError),
    ("malformed name server reply", Reason::NetworkError),
    (
        "malformed or unexpected name server reply",
        Reason::NetworkError,
    ),
    ("mail forwarding loop", Reason::NetworkError),
    ("message looping", Reason::NetworkError),
    ("routing loop", Reason::NetworkError),
    ("too many hops", Reason::NetworkError),
    ("hop count exceeded", Reason::NetworkError),
    ("forwarding loop count exceeded", Reason::NetworkError),
    ("could not connect and send the mail", Reason::NetworkError),
    ("lost connection", Reason::NetworkError),
    ("temporary failure in name resolution", Reason::NetworkError),
    ("dns lookup", Reason::NetworkError),
    ("dns error", Reason::NetworkError),
    ("network error", Reason::NetworkError),
    ("name service error", Reason::NetworkError),
    ("nxdomain", Reason::NetworkError),
    ("domain name not found", Reason::NetworkError),
    // --- expired
    ("delivery time expired", Reason::Expired),
    ("message expired", Reason::Expired),
    ("message timed out", Reason::Expired),
    ("connection timed out", Reason::Expired),
    ("giving up on", Reason::Expired),
    (
        "retry time not reached for any host after a long failure period",
        Reason::Expired,
    ),
    ("retry timeout exceeded", Reason::Expired),
    ("in the queue too long", Reason::Expired),
    ("been in the queue", Reason::Expired),
    (
        "not reachable within the allowed queue period",
        Reason::Expired,
    ),
    ("it has not been collected after", Reason::Expired),
    ("could not find a gateway for", Reason::Expired),
    ("server did not respond", Reason::Expired),
    ("was not delivered within", Reason::Expired),
    ("could not be delivered within", Reason::Expired),
    ("delivery has been delayed", Reason::Expired),
    ("delivery attempts will continue", Reason::Expired),
    ("couldn't be delivered for", Reason::Expired),
    ("has not yet been delivered", Reason::Expired),
    ("deferred for too long", Reason::Expired),
    ("expired after", Reason::Expired),
    ("timed out while", Reason::Expired),
    ("did not accept our requests to connect", Reason::Expired),
    ("host not reachable", Reason::Expired),
    ("could not deliver for the last", Reason::Expired),
    ("has been delayed", Reason::Expired),
    ("have been failing for a long time", Reason::Expired),
    ("will be retried", Reason::Expired),
    ("will retry", Reason::Expired),
    ("delivery delayed", Reason::Expired),
    ("still trying", Reason::Expired),
    // --- local delivery agent
    ("mailer error", Reason::MailerError),
    ("x-unix;", Reason::MailerError),
    ("procmail", Reason::MailerError),
    ("command died with status", Reason::MailerError),
    ("command output:", Reason::MailerError),
    ("exit code", Reason::MailerError),
    ("pipe to |", Reason::MailerError),
    ("permission denied", Reason::MailerError),
    // --- protocol syntax
    ("syntax error", Reason::SyntaxError),
    ("command unrecognized", Reason::SyntaxError),
    ("command not recognized", Reason::SyntaxError),
    ("unrecognized command", Reason::SyntaxError),
    ("bad command", Reason::SyntaxError),
    ("bad sequence of commands", Reason::SyntaxError),
    ("improper sequence of commands", Reason::SyntaxError),
    ("command parameter not implemented", Reason::SyntaxError),
    ("command not implemented", Reason::SyntaxError),
    ("malformed address", Reason::SyntaxError),
];

/// `(first, then)` pairs: both must appear, `then` after `first`.
const PAIRS: &[(&str, &str, Reason)] = &[
    ("user ", " does not exist", Reason::UserUnknown),
    ("user ", " was not found", Reason::UserUnknown),
    ("user (", ") unknown", Reason::UserUnknown),
    ("mailbox ", " does not exist", Reason::UserUnknown),
    ("recipient ", " was not found in", Reason::UserUnknown),
    ("rcpt <", " does not exist", Reason::UserUnknown),
    ("account ", " does not exist", Reason::UserUnknown),
    ("said: 550 5.1.1 ", " user unknown", Reason::UserUnknown),
    ("this user doesn't have a ", " account", Reason::UserUnknown),
    ("spam ", " exceeded", Reason::SpamDetected),
    ("message filtered", " spam", Reason::SpamDetected),
    ("this message scored ", " spam points", Reason::SpamDetected),
    ("domain ", " mismatches client ip", Reason::RequirePtr),
    (
        "reverse dns lookup for host ",
        " failed",
        Reason::RequirePtr,
    ),
    (
        "is not allowed to send from <",
        "spf record",
        Reason::AuthFailure,
    ),
    (
        "authentication failed; server ",
        " said: ",
        Reason::SecurityError,
    ),
    ("mx records for ", " not found", Reason::Rejected),
    ("lookup failure: host ", " not found", Reason::HostUnknown),
    ("delivery failed ", " attempts", Reason::Expired),
    (
        "service permits ",
        " unverifyable sending ips",
        Reason::RequirePtr,
    ),
];

/// Shapes no fixed phrase captures: `mx.example.net does not exist` names a host, not a user.
const REGEXES: &[(&str, Reason)] = &[(
    r"(?:^|[^@a-z0-9.-])[a-z0-9-]+(?:\.[a-z0-9-]+)+\.? does not exist",
    Reason::HostUnknown,
)];

/// `userunknown` phrases that only ever mean a missing mailbox (directory look-ups): never
/// read as a content filter's refusal.
pub const DEFINITE_USERUNKNOWN: &[&str] = &[
    "recipient name is not recognized",
    "invalid final delivery userid",
    "not listed in domino directory",
    "not listed in public name & address book",
    "resolver.adr.recipnotfound",
    "resolver.adr.recipientnotfound",
    "recipnotfound",
    "no such mailbox",
    "mailbox does not exist",
    "account that you tried to reach does not exist",
    "this user doesn't have a",
    "invalid recipient",
    "destinataire invalide",
    "pair",
];

struct Table {
    ac: AhoCorasick,
    /// The first halves of `PAIRS`, so one pass finds every pair that may match.
    pair_heads: AhoCorasick,
    regexes: Vec<(regex::Regex, Reason)>,
    /// The tails of `PAIRS`, by the same index.
    pair_tails: Vec<(memchr::memmem::Finder<'static>, Reason)>,
}

static TABLE: LazyLock<Table> = LazyLock::new(|| Table {
    ac: AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .build(PHRASES.iter().map(|(p, _)| p))
        .expect("static phrase table builds"),
    pair_heads: AhoCorasick::new(PAIRS.iter().map(|(a, _, _)| a)).expect("static pairs"),
    regexes: REGEXES
        .iter()
        .map(|(r, reason)| (regex::Regex::new(r).expect("static regex"), *reason))
        .collect(),
    pair_tails: PAIRS
        .iter()
        .map(|(_, b, r)| (memchr::memmem::Finder::new(b.as_bytes()), *r))
        .collect(),
});

fn rank(r: Reason) -> usize {
    PRIORITY
        .iter()
        .position(|&p| p == r)
        .unwrap_or(PRIORITY.len())
}

/// The set of reasons whose phrases occur in `lower` (already lower-cased), as a bit set
/// indexed like `PRIORITY`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Matches(u64);

impl Matches {
    pub fn contains(self, r: Reason) -> bool {
        let i = rank(r);
        i < 64 && self.0 & (1 << i) != 0
    }
    pub fn insert_reason(&mut self, r: Reason) {
        let i = rank(r);
        if i < 64 {
            self.0 |= 1 << i;
        }
    }
    pub fn remove(&mut self, r: Reason) {
        let i = rank(r);
        if i < 64 {
            self.0 &= !(1 << i);
        }
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The highest-priority reason present.
    pub fn best(self) -> Option<Reason> {
        (self.0 != 0).then(|| PRIORITY[self.0.trailing_zeros() as usize])
    }
    pub fn iter(self) -> impl Iterator<Item = Reason> {
        PRIORITY
            .iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, r)| *r)
    }
}

/// Every reason whose phrases occur in `lower`, plus the first phrase found for the best one
/// (for the evidence).
pub fn scan(lower: &str) -> (Matches, Option<&'static str>) {
    let t = &*TABLE;
    let mut m = Matches::default();
    let mut best: Option<(usize, &'static str)> = None;
    let hits: Vec<(usize, usize, usize)> =
        t.ac.find_overlapping_iter(lower)
            .map(|h| (h.start(), h.end(), h.pattern().as_usize()))
            .collect();
    for &(start, end, pattern) in &hits {
        let (phrase, reason) = PHRASES[pattern];
        if !phrase_boundary_ok(lower, start, end, phrase) {
            continue;
        }
        // Maximal munch: a phrase inside a longer one of another reason is that reason's
        // ("too many recipients this hour" is rate-limiting, not a recipient count).
        if hits.iter().any(|&(s, e, p)| {
            s <= start && end <= e && (e - s) > (end - start) && PHRASES[p].1 != reason
        }) {
            continue;
        }
        m.insert_reason(reason);
        let r = rank(reason);
        if best.map(|(b, _)| r < b).unwrap_or(true) {
            best = Some((r, phrase));
        }
    }
    for hit in t.pair_heads.find_overlapping_iter(lower) {
        let (tail, reason) = &t.pair_tails[hit.pattern().as_usize()];
        if !m.contains(*reason) && tail.find(&lower.as_bytes()[hit.start() + 1..]).is_some() {
            m.insert_reason(*reason);
            let r = rank(*reason);
            if best.map(|(bb, _)| r < bb).unwrap_or(true) {
                best = Some((r, "pair"));
            }
        }
    }
    for (re, reason) in &t.regexes {
        if !m.contains(*reason) && lower.contains(" does not exist") && re.is_match(lower) {
            m.insert_reason(*reason);
            let r = rank(*reason);
            if best.map(|(bb, _)| r < bb).unwrap_or(true) {
                best = Some((r, "regex"));
            }
        }
    }
    (m, best.map(|(_, p)| p))
}

/// Byte offset of the first phrase (or pair start) found in `lower`, if any.
pub fn first_hit(lower: &str) -> Option<usize> {
    let t = &*TABLE;
    let ac = t
        .ac
        .find_overlapping_iter(lower)
        .find(|h| phrase_boundary_ok(lower, h.start(), h.end(), PHRASES[h.pattern().as_usize()].0))
        .map(|h| h.start());
    let pair = t.pair_heads.find_overlapping_iter(lower).find_map(|hit| {
        let (tail, _) = &t.pair_tails[hit.pattern().as_usize()];
        tail.find(&lower.as_bytes()[hit.start() + 1..])
            .map(|_| hit.start())
    });
    match (ac, pair) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Short phrases that are words must stand as words (`rbl` inside `verbless` is nothing).
fn phrase_boundary_ok(text: &str, start: usize, end: usize, phrase: &str) -> bool {
    if phrase.len() > 5 {
        return true;
    }
    let b = text.as_bytes();
    let before = start == 0 || !b[start - 1].is_ascii_alphanumeric();
    let after = end >= b.len() || !b[end].is_ascii_alphanumeric();
    before && after
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phrase_reason_has_a_priority_and_phrases_are_lower_case() {
        for (p, r) in PHRASES {
            assert!(PRIORITY.contains(r), "{r:?} missing from PRIORITY");
            assert_eq!(*p, p.to_lowercase(), "{p:?}");
        }
        assert!(PRIORITY.len() <= 64);
    }

    #[test]
    fn the_more_specific_reason_wins() {
        let (m, _) = scan("550 5.2.2 mailbox full, message rejected");
        assert_eq!(m.best(), Some(Reason::MailboxFull));
        let (m, _) = scan("550 5.1.1 <a@b.example>: recipient address rejected: user unknown in local recipient table");
        assert_eq!(m.best(), Some(Reason::UserUnknown));
        let (m, _) = scan("verbless text");
        assert!(m.is_empty());
    }
}
