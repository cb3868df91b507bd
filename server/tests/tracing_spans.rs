//! Service entry points run in a span that names the account (issue 14), and so do the storage
//! writes below them: a log line written anywhere inside says which account it is about.
//! Nothing else of the call is recorded (no body, no reason, no address).

use crate::common;

use chrono::Utc;
use server::domain::suppression::AccountId;
use server::services::ingest::IngestService;
use server::services::spam_filters::SpamFilters;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// One span: its name, its fields as recorded, and whether it was entered.
#[derive(Debug, Clone, Default)]
struct SpanSeen {
    name: &'static str,
    fields: Vec<(String, String)>,
    entered: bool,
}

/// Every span seen, and where each live span id's is in that list.
type Seen = (Vec<SpanSeen>, HashMap<u64, usize>);

/// A layer that keeps every span it sees.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Seen>>);

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .push((field.name().to_string(), format!("{value:?}")));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut span = SpanSeen {
            name: attrs.metadata().name(),
            ..SpanSeen::default()
        };
        attrs.record(&mut Fields(&mut span.fields));
        let mut seen = self.0.lock().unwrap();
        seen.0.push(span);
        let index = seen.0.len() - 1;
        // Ids are reused once a span closes: the id names the newest span.
        seen.1.insert(id.into_u64(), index);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut seen = self.0.lock().unwrap();
        if let Some(&i) = seen.1.get(&id.into_u64()) {
            values.record(&mut Fields(&mut seen.0[i].fields));
        }
    }

    fn on_enter(&self, id: &Id, _: Context<'_, S>) {
        let mut seen = self.0.lock().unwrap();
        if let Some(&i) = seen.1.get(&id.into_u64()) {
            seen.0[i].entered = true;
        }
    }
}

impl Spans {
    fn all(&self) -> Vec<SpanSeen> {
        self.0.lock().unwrap().0.clone()
    }

    /// The account ids of the entered spans called `name`.
    fn accounts_of(&self, name: &str) -> Vec<String> {
        self.all()
            .into_iter()
            .filter(|s| s.entered && s.name == name)
            .flat_map(|s| s.fields.into_iter().filter(|(f, _)| f == "account_id"))
            .map(|(_, v)| v)
            .collect()
    }
}

const NDN: &str = "From: MAILER-DAEMON@mx.example.com\r\nTo: bounces@acme.test\r\n\
    Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n\
    Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
    --b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\
    --b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n\
    Final-Recipient: rfc822; maria@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\
    Diagnostic-Code: smtp; 550 5.1.1 <maria@example.com>: Recipient address rejected: User unknown\r\n\r\n\
    --b--\r\n";

// current_thread: the services' tasks run on this thread, under this thread's subscriber.
#[tokio::test(flavor = "current_thread")]
async fn entry_points_and_their_writes_are_spans_with_the_account_id() {
    let spans = Spans::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(spans.clone()));
    // Other tests run spans on other threads with no subscriber: a callsite they register at
    // the very moment this one is set can keep "never" as its cached interest. Asked again
    // here, every callsite sees this subscriber.
    tracing::callsite::rebuild_interest_cache();
    let db = common::sqlite_db().await;
    let now = Utc::now();
    let acme = db.create_account("Acme", now).await.unwrap();
    let globex = db.create_account("Globex", now).await.unwrap();
    assert_ne!(acme, globex);

    tracing::callsite::rebuild_interest_cache();
    IngestService::new(db.clone())
        .ingest_raw(AccountId(acme), NDN.as_bytes(), now)
        .await
        .unwrap();
    assert_eq!(spans.accounts_of("ingest_raw"), [acme.to_string()]);

    tracing::callsite::rebuild_interest_cache();
    SpamFilters::new(db.clone())
        .add_block(
            AccountId(globex),
            "admin@globex.test",
            "spammer@bad.test",
            "a secret reason",
            now,
        )
        .await
        .unwrap();
    assert_eq!(spans.accounts_of("add_block"), [globex.to_string()]);
    assert_eq!(spans.accounts_of("insert_block"), [globex.to_string()]);
    assert!(
        spans
            .accounts_of("insert_log")
            .contains(&globex.to_string()),
        "{:?}",
        spans.all()
    );

    // Only ids and counts: no address, body, actor or reason.
    for s in spans.all() {
        for (field, value) in &s.fields {
            for private in ["maria@", "User unknown", "spammer@", "secret", "admin@"] {
                assert!(!value.contains(private), "{}: {field} = {value}", s.name);
            }
        }
    }
}
