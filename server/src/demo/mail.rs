//! The demo's mail and notices, written for it: customers' questions, spam, one phishing
//! attempt, RFC 3464 bounce notices, RFC 5965 (ARF) complaints, RFC 3834 out-of-office
//! replies, and each ESP's webhook payload. Nothing here is copied from a corpus.

use chrono::{DateTime, Utc};
use serde_json::json;

/// RFC 5322 date.
fn date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

/// A customer's plain-text message to Acme; `in_reply_to` threads a follow-up.
#[allow(clippy::too_many_arguments)]
pub fn customer_mail(
    from: &str,
    name: &str,
    to: &str,
    subject: &str,
    body: &str,
    message_id: &str,
    in_reply_to: Option<&str>,
    at: DateTime<Utc>,
) -> Vec<u8> {
    let mut m = format!(
        "From: {name} <{from}>\r\nTo: Acme Support <{to}>\r\nSubject: {subject}\r\nDate: {}\r\n\
         Message-ID: <{message_id}>\r\n",
        date(at)
    );
    if let Some(parent) = in_reply_to {
        let parent = parent.trim_matches(|c| c == '<' || c == '>');
        m.push_str(&format!(
            "In-Reply-To: <{parent}>\r\nReferences: <{parent}>\r\n"
        ));
    }
    m.push_str(
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n",
    );
    m.push_str(&body.replace('\n', "\r\n"));
    m.push_str("\r\n");
    m.into_bytes()
}

/// A message with a text and an HTML part (the HTML is kept raw: the inbound service
/// sanitises it).
#[allow(clippy::too_many_arguments)]
pub fn html_mail(
    from: &str,
    name: &str,
    to: &str,
    subject: &str,
    text: &str,
    html: &str,
    message_id: &str,
    at: DateTime<Utc>,
) -> Vec<u8> {
    format!(
        "From: {name} <{from}>\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {}\r\n\
         Message-ID: <{message_id}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n\
         --alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n\
         --alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--alt--\r\n",
        date(at)
    )
    .into_bytes()
}

/// Customers' topics: (subject with `{n}` for a number, first message, follow-up).
pub const TOPICS: &[(&str, &str, &str)] = &[
    ("Order {n} has not arrived yet", "Hello, I ordered a bag of house blend ten days ago (order {n}) and it still says 'processing'. Could you check what happened?", "Thanks for checking. Any news on the parcel?"),
    ("Wrong grind size in order {n}", "Hi, I asked for whole beans but received espresso grind in order {n}. Can I exchange it?", "Great, I will wait for the replacement."),
    ("Invoice {n} needs our VAT number", "Good morning, could you reissue invoice {n} with our VAT number DE{n}17 on it? Our accountant needs it.", "Received, thank you very much."),
    ("Descaling the Vela machine", "My Vela espresso machine shows the descaling light again after two weeks. Is that normal? Serial V-{n}.", "I followed the steps and the light is off now."),
    ("Subscription {n}: change delivery day", "Could you move my subscription {n} from Monday to Thursday deliveries? I'm away at the start of the week.", "Perfect, Thursday works."),
    ("Grinder burr replacement for serial G-{n}", "The burrs of my grinder (serial G-{n}) seem worn out. Do you sell replacement burrs?", "Ordered them, thanks for the link."),
    ("Discount code {n} not accepted", "The code WELCOME{n} from your newsletter says 'invalid' at checkout. Could you help?", "It worked this time, thank you."),
    ("Question about decaf beans", "Are your decaf beans processed with the Swiss Water method? Ticket ref {n}.", "Thanks, good to know."),
    ("Return label for order {n}", "I'd like to return the milk frother from order {n}; it is too loud for our office. How do I get a label?", "Label printed, the parcel goes out tomorrow."),
    ("Parcel {n} delivered to the wrong address", "The courier says parcel {n} was delivered, but it went to number 14 instead of 41. What can we do?", "My neighbour had it after all, sorry for the trouble!"),
    ("Change of billing address (account {n})", "Please update the billing address on account {n} to 7 Mill Lane, Bristol BS1 4AA.", "Looks right now, thanks."),
    ("Cafe wholesale price list {n}", "We run a small cafe and would like your wholesale price list. Reference {n}.", "Thanks, we'll place a first order next week."),
    ("Leaking water tank, machine {n}", "The water tank of my machine (order {n}) is leaking from the bottom seam. Is this covered by the warranty?", "The new tank fits perfectly, thank you."),
    ("Gift card {n} balance", "How much is left on gift card {n}? The website doesn't show the balance.", "Thank you, I'll use it this weekend."),
    ("Double charge on order {n}", "My card was charged twice for order {n}. Could you refund one of the payments?", "I can see the refund now, thanks."),
];

/// Agents' replies (one is picked per answer).
pub const REPLIES: &[&str] = &[
    "Thanks for getting in touch! I've looked into it and sorted it out; you'll get a confirmation by email shortly.",
    "Sorry about that. I've arranged a replacement, which ships tomorrow with tracking.",
    "Good question! Yes, that's possible; I've made the change on your account.",
    "Thanks for your patience. The issue is fixed on our side; let us know if anything still looks wrong.",
    "I've passed this on to our warehouse team and they've confirmed it is on its way today.",
    "Here is what we can do: I've added a credit to your account and updated the order.",
    "Thank you for the details. I've issued the corrected document; it is attached to your account page.",
    "You're welcome! I'm closing this ticket, but just reply if you need anything else.",
];

pub const FIRST_NAMES: &[&str] = &[
    "olivia", "liam", "emma", "noah", "ava", "elijah", "sophia", "lucas", "mia", "mateo", "amelia",
    "leo", "harper", "ethan", "ella", "jonas", "lea", "finn", "hanna", "paul", "chloe", "hugo",
    "ines", "luca", "giulia", "marco", "sara", "yuki", "kenji", "aisha", "omar", "zoe", "max",
    "nina", "ravi", "anika", "tomas", "eva", "felix", "clara",
];

pub const LAST_NAMES: &[&str] = &[
    "brown",
    "smith",
    "garcia",
    "muller",
    "rossi",
    "dubois",
    "jensen",
    "novak",
    "kowalski",
    "silva",
    "tanaka",
    "khan",
    "patel",
    "oconnor",
    "schneider",
    "fischer",
    "weber",
    "moreau",
    "martin",
    "lopez",
    "nguyen",
    "kim",
    "hughes",
    "berg",
];

/// Recipient domains by weight: the big mailbox providers and company domains.
pub const DOMAINS: &[(&str, u32)] = &[
    ("gmail.com", 19),
    ("outlook.com", 9),
    ("hotmail.co.uk", 5),
    ("yahoo.com", 7),
    ("icloud.com", 7),
    ("gmx.de", 5),
    ("web.de", 4),
    ("example.com", 10),
    ("fastmail.example", 6),
    ("cafe-lumen.example", 5),
    ("northwind.example", 9),
    ("brightmail.example", 14),
];

/// Spam the demo receives (subject, body): unsolicited offers, written for the demo.
pub const SPAM: &[(&str, &str, &str)] = &[
    ("Guaranteed 1st page Google ranking for acme.test!!!", "seo-growth@rank-booster.example", "Dear Website Owner,\n\nWe GUARANTEE first page ranking on Google within 7 days or your money back!!! Limited time offer: 90% OFF our SEO package. Click here now http://rank-booster.example/offer to claim your discount. Act now, only 3 spots left!!!\n\nTo be removed reply REMOVE."),
    ("Double your Bitcoin in 24 hours - risk free", "profits@crypto-yield.example", "Hello friend,\n\nOur AI trading bot made 3,400% return last month. Send as little as 0.05 BTC and receive DOUBLE back within 24 hours, 100% guaranteed, no risk! Thousands of happy investors. Visit http://crypto-yield.example/join NOW before the offer ends.\n\nBest regards, Investment Team"),
    ("Cheap meds without prescription - 80% off", "pharmacy@discount-rx.example", "Best prices on all medications, no prescription needed! Viagra, Cialis and more with 80% discount. Free shipping worldwide, discreet package. Order now: http://discount-rx.example/shop\n\nUnsubscribe: reply STOP"),
    ("You have (1) unclaimed cash prize waiting", "claims@winner-desk.example", "CONGRATULATIONS! Your email was selected in our monthly draw and you have WON $5,000,000.00 USD. To claim your prize send your full name, address, bank account and a processing fee of $99 to our claims agent today. This offer EXPIRES in 48 hours!!!"),
    ("Business proposal: 35% commission, strictly confidential", "barrister.james@private-legal.example", "Dear Friend,\n\nI am a barrister and I have a proposal regarding the estate of a late client with your surname, worth $18.5 million USD. I need a foreign partner to receive the funds; you will receive 35% commission. Kindly reply with your full name, phone number and bank details to proceed. Strictly confidential."),
    ("Lose 10kg in 10 days - doctors hate this", "slim@fast-diet.example", "This one weird trick melts belly fat overnight! Order our miracle pills today with 70% OFF and FREE shipping. Click here: http://fast-diet.example/order. 100% natural, 100% guaranteed, limited stock!!!"),
];

/// One phishing attempt (written for the demo): a look-alike domain, urgency, a password
/// form behind a link whose text names another site.
pub fn phishing(message_id: &str, at: DateTime<Utc>) -> Vec<u8> {
    let html = "<html><body><p>Dear support@acme.test,</p>\
        <p>Your mailbox password <b>expires today</b>. Unless you confirm your account within 24 hours, \
        incoming mail will be suspended and your account permanently locked.</p>\
        <p><a href=\"http://acme-test.account-verify.example/login?user=support@acme.test\">\
        https://mail.acme.test/verify</a></p>\
        <form action=\"http://acme-test.account-verify.example/collect\" method=\"post\">\
        <input type=\"password\" name=\"password\"></form>\
        <p>IT Helpdesk<br>Acme Mail Administrator</p></body></html>";
    html_mail(
        "it-helpdesk@acme-test.account-verify.example",
        "Acme IT Helpdesk",
        "support@acme.test",
        "Action required: support@acme.test password expires today",
        "Dear support@acme.test,\n\nYour mailbox password expires today. Confirm your account within 24 hours or it will be suspended: http://acme-test.account-verify.example/login\n\nIT Helpdesk",
        html,
        message_id,
        at,
    )
}

/// An RFC 3464 delivery status notification for a message we sent, to its VERP address.
pub fn dsn(
    recipient: &str,
    return_path: &str,
    message_id: &str,
    status: &str,
    diagnostic: &str,
    mta: &str,
    at: DateTime<Utc>,
) -> Vec<u8> {
    let permanent = status.starts_with('5');
    format!(
        "From: Mail Delivery System <MAILER-DAEMON@{mta}>\r\nTo: {return_path}\r\n\
         Subject: {}\r\nDate: {}\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"dsn\"\r\n\r\n\
         --dsn\r\nContent-Type: text/plain\r\n\r\n{}\r\n\
         --dsn\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; {mta}\r\n\r\n\
         Final-Recipient: rfc822; {recipient}\r\nAction: {}\r\nStatus: {status}\r\n\
         Diagnostic-Code: smtp; {diagnostic}\r\n\r\n\
         --dsn\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {message_id}\r\n\
         From: Acme Support <support@acme.test>\r\nTo: {recipient}\r\n\r\n--dsn--\r\n",
        if permanent {
            "Undelivered Mail Returned to Sender"
        } else {
            "Delivery Status Notification (Delay)"
        },
        date(at),
        if permanent {
            "Your message could not be delivered to one or more recipients."
        } else {
            "Your message could not be delivered yet; the recipient's mailbox is full."
        },
        if permanent { "failed" } else { "delayed" },
    )
    .into_bytes()
}

/// An RFC 5965 abuse report (a recipient pressed "this is spam") from a feedback loop.
pub fn arf(
    recipient: &str,
    return_path: &str,
    message_id: &str,
    subject: &str,
    reporter: &str,
    at: DateTime<Utc>,
) -> Vec<u8> {
    format!(
        "From: Feedback Loop <fbl@{reporter}>\r\nTo: {return_path}\r\n\
         Subject: Abuse report for a message from acme.test\r\nDate: {}\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=feedback-report; boundary=\"arf\"\r\n\r\n\
         --arf\r\nContent-Type: text/plain\r\n\r\nA recipient reported this message as spam.\r\n\
         --arf\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n\
         User-Agent: {reporter} FBL/1.0\r\nVersion: 1\r\nOriginal-Mail-From: <{return_path}>\r\n\
         Original-Rcpt-To: <{recipient}>\r\nReported-Domain: acme.test\r\n\r\n\
         --arf\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {message_id}\r\n\
         From: Acme <news@acme.test>\r\nTo: {recipient}\r\nSubject: {subject}\r\n\r\n--arf--\r\n",
        date(at)
    )
    .into_bytes()
}

/// A notice from a mail system that says nothing a classifier can read (no status, no reply
/// code, no known wording): stored as `unclassified` with its source, for a person to read.
pub fn unreadable_notice(return_path: &str, at: DateTime<Utc>) -> Vec<u8> {
    format!(
        "From: Mail System <postmaster@mx.example-isp.example>\r\nTo: {return_path}\r\n\
         Subject: Notification about your message\r\nDate: {}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n\
         This message was generated by the mail system at example-isp.example.\r\n\
         Reference 7F3A-22B1: your message was processed. Keep this number for your records.\r\n",
        date(at)
    )
    .into_bytes()
}

/// An RFC 3834 out-of-office answer to one of our replies, to its VERP address.
pub fn out_of_office(from: &str, return_path: &str, subject: &str, at: DateTime<Utc>) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {return_path}\r\nSubject: Out of office: {subject}\r\nDate: {}\r\n\
         Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n\
         I am out of the office until next Monday with limited access to email.\r\n",
        date(at)
    )
    .into_bytes()
}

/// A Mailgun webhook (`failed` permanent, or `complained`) about the message `message_id`.
pub fn mailgun(
    event_id: &str,
    recipient: &str,
    message_id: &str,
    complaint: bool,
    at: DateTime<Utc>,
) -> Vec<u8> {
    let mid = message_id.trim_matches(|c| c == '<' || c == '>');
    let mut data = json!({
        "id": event_id,
        "timestamp": at.timestamp() as f64,
        "recipient": recipient,
        "message": {"headers": {"message-id": mid, "from": "Acme Support <support@acme.test>", "to": recipient}},
    });
    if complaint {
        data["event"] = json!("complained");
    } else {
        data["event"] = json!("failed");
        data["severity"] = json!("permanent");
        data["reason"] = json!("bounce");
        data["delivery-status"] = json!({
            "code": 550,
            "message": format!("5.1.1 The email account that you tried to reach does not exist: {recipient}"),
            "description": "",
            "mx-host": "mx.mailgun-demo.example",
        });
    }
    serde_json::to_vec(&json!({
        "signature": {"timestamp": at.timestamp().to_string(), "token": event_id, "signature": "demo"},
        "event-data": data,
    }))
    .unwrap_or_default()
}

/// A SendGrid event batch (`bounce` or `spamreport`).
pub fn sendgrid(
    event_id: &str,
    recipient: &str,
    message_id: &str,
    complaint: bool,
    at: DateTime<Utc>,
) -> Vec<u8> {
    let mut e = json!({
        "email": recipient,
        "timestamp": at.timestamp(),
        "smtp-id": message_id,
        "sg_event_id": event_id,
        "sg_message_id": format!("{event_id}.filter"),
    });
    if complaint {
        e["event"] = json!("spamreport");
    } else {
        e["event"] = json!("bounce");
        e["status"] = json!("5.1.1");
        e["reason"] = json!(format!(
            "550 5.1.1 <{recipient}>: Recipient address rejected: User unknown"
        ));
    }
    serde_json::to_vec(&json!([e])).unwrap_or_default()
}

/// A SendGrid `delivered` event: the receiving server took the message.
pub fn sendgrid_delivered(
    event_id: &str,
    recipient: &str,
    message_id: &str,
    at: DateTime<Utc>,
) -> Vec<u8> {
    serde_json::to_vec(&json!([{
        "email": recipient,
        "timestamp": at.timestamp(),
        "smtp-id": message_id,
        "event": "delivered",
        "response": "250 2.0.0 OK",
        "sg_event_id": event_id,
        "sg_message_id": format!("{event_id}.filter"),
    }]))
    .unwrap_or_default()
}

/// An SES notification (bounce or complaint) as SNS delivers it.
pub fn ses(
    event_id: &str,
    recipient: &str,
    message_id: &str,
    complaint: bool,
    at: DateTime<Utc>,
) -> Vec<u8> {
    let ts = at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let mid = message_id.trim_matches(|c| c == '<' || c == '>');
    let mail = json!({
        "timestamp": ts, "source": "support@acme.test", "messageId": event_id,
        "destination": [recipient],
        "headers": [{"name": "Message-ID", "value": format!("<{mid}>")}],
        "commonHeaders": {"messageId": format!("<{mid}>"), "from": ["Acme Support <support@acme.test>"], "to": [recipient]},
    });
    let message = if complaint {
        json!({"notificationType": "Complaint", "complaint": {
            "complainedRecipients": [{"emailAddress": recipient}], "complaintFeedbackType": "abuse",
            "timestamp": ts, "feedbackId": format!("{event_id}-complaint")}, "mail": mail})
    } else {
        json!({"notificationType": "Bounce", "bounce": {
            "bounceType": "Permanent", "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": recipient, "status": "5.1.1", "action": "failed",
                "diagnosticCode": format!("smtp; 550 5.1.1 <{recipient}>: user unknown")}],
            "timestamp": ts, "feedbackId": format!("{event_id}-bounce"), "reportingMTA": "dns; ses-demo.example"}, "mail": mail})
    };
    serde_json::to_vec(&json!({
        "Type": "Notification",
        "MessageId": event_id,
        "TopicArn": "arn:aws:sns:eu-west-1:123456789012:acme-ses",
        "Message": message.to_string(),
        "Timestamp": ts,
    }))
    .unwrap_or_default()
}

/// A Postmark bounce webhook (hard bounce) for a recipient.
pub fn postmark(id: i64, recipient: &str, at: DateTime<Utc>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "RecordType": "Bounce", "MessageStream": "outbound", "ID": id, "Type": "HardBounce",
        "TypeCode": 1, "Name": "Hard bounce", "MessageID": format!("00000000-0000-4000-8000-{id:012}"),
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": format!("smtp;550 5.1.1 The email account that you tried to reach does not exist: {recipient}"),
        "Email": recipient, "From": "support@acme.test",
        "BouncedAt": at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "Inactive": true, "CanActivate": true, "Subject": "Re: your question",
    }))
    .unwrap_or_default()
}
