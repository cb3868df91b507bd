//! What a group of stored events does: message delivery status, suppressions (scoped by
//! trust, issue 16), contact badges, Org Logging, list removals and domain alerts, each kind
//! written in one statement for the whole group.

use super::*;

impl IngestService {
    /// Stores a group of payloads' events and acts on them with a few statements for the
    /// whole group instead of a few per event (each statement is a round trip to the
    /// database, and on SQLite a wake-up of its worker thread): the events in one insert,
    /// then the message statuses, the suppressions, the contact badges (one statement per
    /// wave), the Org Logging entries and the list removals, each in one statement. The
    /// effects are those of storing the events one after the other.
    pub(super) async fn store_jobs(
        &self,
        conn: &mut sqlx::AnyConnection,
        jobs: &[Job],
    ) -> anyhow::Result<Vec<IngestReport>> {
        struct Item<'a> {
            job: usize,
            e: &'a Incoming,
            address: Option<EmailAddress>,
            domain: Option<Domain>,
            status: Option<String>,
        }
        let items: Vec<Item> = jobs
            .iter()
            .enumerate()
            .flat_map(|(job, j)| j.incoming.iter().map(move |e| (job, e)))
            .map(|(job, e)| {
                let address = e
                    .recipient
                    .as_deref()
                    .and_then(|r| EmailAddress::parse(r).ok());
                Item {
                    job,
                    e,
                    domain: address.as_ref().map(EmailAddress::domain),
                    address,
                    status: e.verdict.status.as_ref().map(|s| s.to_string()),
                }
            })
            .collect();
        let events: Vec<NewDeliveryEvent> = items
            .iter()
            .map(|it| {
                let (job, e, v) = (&jobs[it.job], it.e, &it.e.verdict);
                NewDeliveryEvent {
                    account_id: job.account_id,
                    provider: e.provider,
                    provider_event_id: &e.provider_event_id,
                    category: v.category.as_str(),
                    reason: v.reason.as_str(),
                    status: it.status.as_deref(),
                    reply_code: v.reply_code.map(i64::from),
                    recipient: it
                        .address
                        .as_ref()
                        .map(EmailAddress::as_str)
                        .or(e.recipient.as_deref()),
                    recipient_domain: it.domain.as_ref().map(Domain::as_str),
                    diagnostic: v.diagnostic.as_deref(),
                    remote_mta: v.remote_mta.as_deref(),
                    feedback_type: v.feedback_type.as_deref(),
                    evidence_rule: &v.evidence.rule,
                    evidence_source: &v.evidence.source,
                    provider_message_id: e.provider_message_id.as_deref(),
                    message_id_header: e.message_id_header.as_deref(),
                    return_path: e.return_path.as_deref(),
                    provenance: e.provenance,
                    occurred_at: e.occurred_at.unwrap_or(job.now),
                    received_at: job.now,
                    raw: Some(&job.raw),
                }
            })
            .collect();
        // Matched to the message we sent in the same statement.
        let stored = store::insert_events(conn, &events).await?;
        drop(events);

        // How each stored event is known (a match to a message we sent outranks an
        // account's word), and the transport of that message.
        let trust: Vec<Option<(Provenance, Option<TransportKind>)>> = items
            .iter()
            .zip(&stored)
            .map(|(it, stored)| {
                let stored = stored.as_ref()?;
                let e = it.e;
                let provenance = match (e.provenance, stored.matched) {
                    (Provenance::AccountReported, Some((by, _))) => by,
                    (claimed, _) => claimed,
                };
                Some((provenance, e.transport.or(stored.matched.map(|m| m.1))))
            })
            .collect();
        let stronger: Vec<(i64, Provenance)> = items
            .iter()
            .zip(&stored)
            .zip(&trust)
            .filter_map(|((it, stored), trust)| {
                let (stored, (provenance, _)) = (stored.as_ref()?, (*trust)?);
                (provenance != it.e.provenance).then_some((stored.id, provenance))
            })
            .collect();
        store::set_provenance(conn, &stronger).await?;
        // The accounts that reported a hard bounce for each address of the group's hard
        // bounces (theirs included): one read for the group, none without a hard bounce.
        let hard: Vec<&str> = items
            .iter()
            .zip(&stored)
            .filter(|(it, stored)| {
                stored.is_some() && it.e.verdict.category == Category::HardBounce
            })
            .filter_map(|(it, _)| it.address.as_ref().map(EmailAddress::as_str))
            .collect();
        let hard_reports = match jobs.iter().map(|j| j.now).min() {
            Some(earliest) if !hard.is_empty() => {
                let after = earliest
                    .checked_sub_signed(scope_by_trust::quorum_window())
                    .unwrap_or(DateTime::<Utc>::MIN_UTC);
                store::hard_bounce_reports(conn, &hard, after).await?
            }
            _ => HashMap::new(),
        };

        let mut reports = vec![IngestReport::default(); jobs.len()];
        // Per message, the outcome of its events in order: accepted at, failed with.
        let mut outcome: HashMap<i64, (Option<DateTime<Utc>>, Option<String>)> = HashMap::new();
        let mut suppressions: Vec<store::NewEntry> = Vec::new();
        let mut contacts: Vec<store::ContactUpdate> = Vec::new();
        let mut unlisted: Vec<(i64, String)> = Vec::new();
        let mut blocked_domains: Vec<(AccountId, Domain, DateTime<Utc>)> = Vec::new();
        // Per stored event: its own log entry, and its suppressions' (with each one's index
        // in `suppressions`: the id is known once they are stored).
        type EventLogs = (Option<NewLogEntry>, Vec<(usize, NewLogEntry)>);
        let mut logs: Vec<EventLogs> = Vec::new();
        for ((it, stored), trust) in items.iter().zip(&stored).zip(&trust) {
            let (job, e, v) = (&jobs[it.job], it.e, &it.e.verdict);
            let (account_id, now) = (job.account_id, job.now);
            let Some(stored) = stored else {
                reports[it.job].events.push(EventOutcome {
                    provider_event_id: e.provider_event_id.clone(),
                    category: v.category,
                    recipient: e.recipient.clone(),
                    status: EventStatus::Duplicate,
                    event_id: None,
                });
                continue;
            };
            let (event_id, message_id) = (stored.id, stored.message_id);
            let actor = match e.provider {
                "smtp" | "api" => format!("send:{}", e.provider),
                "list-unsubscribe" => "recipient (List-Unsubscribe)".to_string(),
                p => format!("webhook:{p}"),
            };
            let subject = it
                .address
                .as_ref()
                .map(|a| a.as_str().to_string())
                .or_else(|| e.recipient.clone())
                .unwrap_or_else(|| "(unknown recipient)".to_string());
            let event_details = json!({
                "category": v.category,
                "reason": v.reason.as_str(),
                "status": it.status,
                "code": v.reply_code,
                "diagnostic": v.diagnostic,
                "remote_mta": v.remote_mta,
                "provider": e.provider,
                "provider_event_id": e.provider_event_id,
                "message_id": message_id,
                "campaign_recipient_id": stored.campaign_recipient,
                "rule": v.evidence.rule,
                "provenance": trust.map(|t| t.0),
                "provenance_label": trust.map(|t| t.0.label()),
                "matched_by": stored.matched.map(|m| m.0),
            });

            // Delivery status of the message we sent: a failure is the news that matters,
            // so an acceptance after it changes nothing.
            if let Some(mid) = message_id {
                let at = e.occurred_at.unwrap_or(now);
                if v.category == Category::Delivered || v.category.is_failure() {
                    let state = outcome.entry(mid).or_default();
                    if v.category == Category::Delivered {
                        if state.1.is_none() {
                            state.0 = Some(at);
                        }
                    } else {
                        let error = json!({
                            "category": v.category,
                            "reason": v.reason.as_str(),
                            "status": it.status,
                            "code": v.reply_code,
                            "diagnostic": v.diagnostic,
                            "at": at,
                        });
                        state.1 = Some(error.to_string());
                    }
                }
            }
            reports[it.job].events.push(EventOutcome {
                provider_event_id: e.provider_event_id.clone(),
                category: v.category,
                recipient: it
                    .address
                    .as_ref()
                    .map(|a| a.as_str().to_string())
                    .or_else(|| e.recipient.clone()),
                status: EventStatus::Processed,
                event_id: Some(event_id),
            });
            // Nothing to suppress without an address; the event is still recorded and logged.
            let placeholder;
            let address = match &it.address {
                Some(a) => a,
                None => {
                    placeholder = placeholder_address();
                    &placeholder
                }
            };
            // A complaint about a campaign stops campaigns; about a reply, everything.
            let about = match (stored.campaign_recipient, message_id) {
                (Some(_), _) => stream::About::Campaign,
                (None, Some(_)) => stream::About::Reply,
                (None, None) => stream::About::Unknown,
            };
            let decision = policy::decide(v.category, account_id, address, now).about(about);
            let log_entry = |kind: LogKind, details| NewLogEntry {
                account_id: Some(account_id),
                at: now,
                kind,
                actor: actor.clone(),
                subject: subject.clone(),
                details,
                event_id: Some(event_id),
            };
            let event_log = decision.log.map(|kind| log_entry(kind, event_details));
            let Some(address) = &it.address else {
                logs.push((event_log, Vec::new()));
                continue;
            };
            let entry = decision
                .suppression
                .clone()
                .map(|new| new.with_event(Some(event_id)));
            // The event acts in its own account: the contact, the lists and the log entries
            // are the reporting account's, whatever the entry's reach.
            contacts.push(store::ContactUpdate {
                scope: Scope::Account(account_id),
                address: address.clone(),
                effect: decision.contact,
                reason: entry.as_ref().map(|s| s.reason.clone()),
                event_id: Some(event_id),
            });
            let (provenance, transport) = trust.unwrap_or((e.provenance, e.transport));
            let reach = scope_by_trust::decide(
                Evidence {
                    category: v.category,
                    provenance,
                    transport,
                },
                hard_reports
                    .get(address.as_str())
                    .map_or(&[][..], Vec::as_slice),
                now,
            );
            let mut suppression_logs = Vec::new();
            if let Some(entry) = entry {
                let global = match reach {
                    Reach::Global(basis) => Some((
                        basis,
                        crate::domain::suppression::Suppression {
                            scope: Scope::Global,
                            reason: format!("{} — {}", basis.label(), entry.reason),
                            basis: Some(basis),
                            ..entry.clone()
                        },
                    )),
                    Reach::Account => None,
                };
                let added = |entry: &crate::domain::suppression::Suppression,
                             extra: Option<serde_json::Map<String, serde_json::Value>>| {
                    let mut details = json!({
                        "kind": entry.kind,
                        "stream": entry.stream,
                        "scope": entry.scope,
                        "reason": entry.reason,
                        "since": entry.since,
                        "until": entry.until,
                    });
                    if let (Some(d), Some(extra)) = (details.as_object_mut(), extra) {
                        d.extend(extra);
                    }
                    log_entry(LogKind::SuppressionAdded, details)
                };
                suppression_logs.push((suppressions.len(), added(&entry, None)));
                suppressions.push(store::NewEntry { entry, basis: None });
                if let Some((basis, global)) = global {
                    // Why it holds for every account, with the evidence.
                    let evidence = json!({
                        "basis": basis,
                        "label": basis.label(),
                        "provenance": provenance,
                        "transport": transport,
                        "message_id": message_id,
                        "status": it.status,
                        "code": v.reply_code,
                        "diagnostic": v.diagnostic,
                    });
                    let extra = serde_json::Map::from_iter([("evidence".to_string(), evidence)]);
                    suppression_logs.push((suppressions.len(), added(&global, Some(extra))));
                    suppressions.push(store::NewEntry {
                        entry: global,
                        basis: Some(basis),
                    });
                }
            }
            logs.push((event_log, suppression_logs));
            if v.category == Category::HardBounce {
                unlisted.push((account_id.0, address.as_str().to_string()));
            }
            if v.category == Category::IspBlock {
                if let Some(domain) = &it.domain {
                    match blocked_domains
                        .iter_mut()
                        .find(|(a, d, _)| *a == account_id && d == domain)
                    {
                        Some(seen) => seen.2 = seen.2.max(now),
                        None => blocked_domains.push((account_id, domain.clone(), now)),
                    }
                }
            }
        }

        let accepted: Vec<(i64, DateTime<Utc>)> = outcome
            .iter()
            .filter_map(|(m, (at, _))| Some((*m, (*at)?)))
            .collect();
        let failed: Vec<(i64, String)> = outcome
            .into_iter()
            .filter_map(|(m, (_, error))| Some((m, error?)))
            .collect();
        store::mark_messages(conn, &accepted, &failed).await?;
        let suppression_ids = store::insert_suppressions(conn, &suppressions).await?;
        store::apply_contact_effects(conn, &contacts).await?;
        let mut entries = Vec::with_capacity(logs.len() * 2);
        for (event_log, suppression_logs) in logs {
            entries.extend(event_log);
            for (i, mut entry) in suppression_logs {
                entry.details["suppression_id"] = json!(suppression_ids[i]);
                entries.push(entry);
            }
        }
        store::insert_logs(conn, &entries).await?;
        unlisted.sort_unstable();
        unlisted.dedup();
        crate::storage::campaigns::remove_addresses_from_lists(conn, &unlisted).await?;
        // Repeated ISP blocks: checked once per domain, with every block of the group stored.
        for (account_id, domain, now) in &blocked_domains {
            self.domain_alert(conn, *account_id, domain, *now).await?;
        }
        Ok(reports)
    }

    /// Repeated ISP blocks from one recipient domain raise one Org Logging alert per burst.
    async fn domain_alert(
        &self,
        conn: &mut sqlx::AnyConnection,
        account_id: AccountId,
        domain: &Domain,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let from = now - self.alert_rule.window();
        let blocks: Vec<IspBlockEvent> =
            store::isp_blocks_since(conn, account_id, domain.as_str(), from)
                .await?
                .into_iter()
                .map(|at| IspBlockEvent {
                    domain: domain.clone(),
                    at,
                })
                .collect();
        let previous: Vec<Alert> =
            store::domain_alerts_since(conn, account_id, domain.as_str(), from)
                .await?
                .into_iter()
                .map(|at| Alert {
                    domain: domain.clone(),
                    count: 0,
                    window_minutes: self.alert_rule.window_minutes,
                    raised_at: at,
                    log: LogKind::DomainAlert,
                })
                .collect();
        for alert in domain_alert::evaluate(&blocks, &previous, self.alert_rule, now) {
            store::insert_log(
                conn,
                &NewLogEntry {
                    account_id: Some(account_id),
                    at: now,
                    kind: alert.log,
                    actor: "system".into(),
                    subject: alert.domain.as_str().to_string(),
                    details: json!({
                        "domain": alert.domain,
                        "count": alert.count,
                        "window_minutes": alert.window_minutes,
                    }),
                    event_id: None,
                },
            )
            .await?;
        }
        Ok(())
    }
}
