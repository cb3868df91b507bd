//! Admin pages. The server refuses agents before these render (403); the server functions
//! they call refuse agents too.

use super::{urlencode, ErrorNote};
use crate::api::{
    get_account_overview, get_allow_list, get_block_list, get_email_channel, get_org_log,
    threshold_what_if, AddAllow, AddBlock, AddSender, RemoveAllow, RemoveBlock, ResumeProvider,
    SetSnsTopicArn, SetSpamThreshold, SetTrustedAuthservIds,
};
use crate::models::{
    count_of, BlockEntryView, LogQuery, ProviderRateView, RateView, SenderView,
    WebhookCredentialView, LOG_KINDS,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
fn AccountBox() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_account_overview());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match overview.await {
                    Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                    Ok(o) => {
                        view! {
                            <p class="muted" data-testid="account-overview">
                                {o.account_name} " · " {o.users} " users"
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
pub fn EmailChannelPage() -> impl IntoView {
    let save = ServerAction::<SetSpamThreshold>::new();
    let add_sender = ServerAction::<AddSender>::new();
    let save_trusted = ServerAction::<SetTrustedAuthservIds>::new();
    let save_topic = ServerAction::<SetSnsTopicArn>::new();
    let resume = ServerAction::<ResumeProvider>::new();
    let channel = Resource::new(
        move || {
            (
                save.version().get(),
                add_sender.version().get(),
                save_trusted.version().get(),
                save_topic.version().get(),
                resume.version().get(),
            )
        },
        |_| get_email_channel(),
    );
    view! {
        <leptos_meta::Title text="Email channel · Deliverdesk" />
        <h1>"Apps › Channels › Email"</h1>
        <AccountBox />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match channel.await {
                    Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                    Ok(c) => {
                        view! {
                            <RatePanel rate=c.rate />
                            <WhatIfPanel current=c.spam_threshold />
                            <ProvidersPanel providers=c.providers resume />
                            <SendersPanel senders=c.senders add=add_sender />
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
        <section class="panel" data-testid="spam-threshold">
            <h2>"Inbound spam filtering"</h2>
            <p class="muted small">
                "Incoming mail scoring at or above the threshold is marked Done with Spam: true                  and left out of Reporting; it stays findable by search. Default 5; 0 turns                  filtering off (blocked senders stay blocked)."
            </p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match channel.await {
                        Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                        Ok(c) => {
                            let current = format_threshold(c.spam_threshold);
                            let addresses = c.inbound_addresses;
                            view! {
                                <ActionForm action=save attr:class="settings-form">
                                    <label>
                                        "Spam threshold"
                                        <input
                                            type="text"
                                            inputmode="decimal"
                                            name="value"
                                            value=current.clone()
                                            data-testid="threshold-input"
                                        />
                                    </label>
                                    <button type="submit">"Save"</button>
                                    <span class="muted small" data-testid="threshold-current">
                                        {if c.spam_threshold == 0.0 {
                                            "Filtering is off".to_string()
                                        } else {
                                            format!("Current threshold: {current}")
                                        }}
                                    </span>
                                </ActionForm>
                                <h2>"Inbound addresses"</h2>
                                <ul data-testid="inbound-addresses">
                                    {addresses
                                        .into_iter()
                                        .map(|a| view! { <li><code>{a}</code></li> })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
            {move || match save.value().get() {
                Some(Err(e)) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                Some(Ok(v)) => {
                    view! { <p class="saved" role="status">"Saved: threshold " {format_threshold(v)}</p> }
                        .into_any()
                }
                None => ().into_any(),
            }}
        </section>
        <section class="panel" data-testid="trusted-authserv">
            <h2>"Trusted forwarders"</h2>
            <p class="muted small">
                "Mail posted to the inbound API by a forwarder (Postmark, a relay of your own) may                  carry the forwarder's Authentication-Results. Only the topmost such header whose                  authserv-id is listed here is read; with none listed, none is. Mail received over                  SMTP is always checked here instead. One authserv-id per line, e.g. mx.google.com."
            </p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match channel.await {
                        Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                        Ok(c) => {
                            let current = c.trusted_authserv_ids.join("\n");
                            view! {
                                <ActionForm action=save_trusted attr:class="settings-form">
                                    <label>
                                        "Trusted authserv-ids"
                                        <textarea
                                            name="value"
                                            rows="3"
                                            data-testid="trusted-authserv-input"
                                        >
                                            {current}
                                        </textarea>
                                    </label>
                                    <button type="submit">"Save"</button>
                                </ActionForm>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
            {move || match save_trusted.value().get() {
                Some(Err(e)) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                Some(Ok(ids)) => {
                    let text = if ids.is_empty() {
                        "Saved: no forwarder is trusted".to_string()
                    } else {
                        format!("Saved: trusting {}", ids.join(", "))
                    };
                    view! { <p class="saved" role="status">{text}</p> }.into_any()
                }
                None => ().into_any(),
            }}
        </section>
        <section class="panel" data-testid="webhook-credentials">
            <h2>"Webhook credentials"</h2>
            <p class="muted small">
                "Providers post bounces and complaints with one of these HTTP Basic credentials                  (your operator creates them and hands you the secret). Amazon SES notifications                  arrive through SNS and are taken only from the topic set here (arn:aws:sns:REGION:ACCOUNT:TOPIC);                  with none set, they are refused. Every change is written to Org Logging."
            </p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match channel.await {
                        Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                        Ok(c) if c.webhook_credentials.is_empty() => {
                            view! {
                                <p class="muted" data-testid="no-webhook-credentials">
                                    "No webhook credential yet: ask your operator for one."
                                </p>
                            }
                                .into_any()
                        }
                        Ok(c) => {
                            c.webhook_credentials
                                .into_iter()
                                .map(|w| view! { <WebhookCredentialRow w=w save=save_topic /> })
                                .collect_view()
                                .into_any()
                        }
                    }
                })}
            </Transition>
            {move || match save_topic.value().get() {
                Some(Err(e)) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                Some(Ok(topic)) => {
                    let text = match topic {
                        Some(t) => format!("Saved: SNS topic {t}"),
                        None => "Saved: no SNS topic (SES notifications are refused)".to_string(),
                    };
                    view! { <p class="saved" role="status">{text}</p> }.into_any()
                }
                None => ().into_any(),
            }}
        </section>
    }
}

/// One webhook credential: its signature checks and its SNS topic, which the admin may set.
#[component]
fn WebhookCredentialRow(
    w: WebhookCredentialView,
    save: ServerAction<SetSnsTopicArn>,
) -> impl IntoView {
    let checks = [
        (w.has_mailgun_key, "Mailgun signature"),
        (w.has_sendgrid_key, "SendGrid signature"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, name)| name)
    .collect::<Vec<_>>()
    .join(", ");
    let checks = if checks.is_empty() {
        "no provider signature key".to_string()
    } else {
        format!("checks: {checks}")
    };
    let testid = format!("webhook-credential-{}", w.username);
    view! {
        <ActionForm action=save attr:class="settings-form" attr:data-testid=testid>
            <p>
                <code>{w.username.clone()}</code>
                " "
                <span class="muted small">{checks}</span>
            </p>
            <input type="hidden" name="username" value=w.username />
            <label>
                "SNS topic ARN"
                <input
                    type="text"
                    name="value"
                    value=w.sns_topic_arn.unwrap_or_default()
                    placeholder="arn:aws:sns:us-east-1:123456789012:ses-notifications"
                    spellcheck="false"
                    data-testid="sns-topic-input"
                />
            </label>
            <button type="submit">"Save"</button>
        </ActionForm>
    }
}

/// The threshold what-if: as the admin moves the slider, how the last 30 days' inbound mail
/// would have gone (from the scores stored when it arrived).
#[component]
fn WhatIfPanel(current: f64) -> impl IntoView {
    let trial = RwSignal::new(format_threshold(current));
    let result = Resource::new(move || trial.get(), threshold_what_if);
    view! {
        <section class="panel" data-testid="what-if">
            <h2>"What if the threshold were…"</h2>
            <p class="muted small">
                "Move the slider: the numbers show how the last 30 days' incoming mail would have                  been sorted with that threshold, from the scores each message got when it arrived.                  Nothing changes until you save a threshold below."
            </p>
            <label class="what-if-slider">
                "Threshold to try: "
                <output data-testid="what-if-value">
                    {move || {
                        let t = trial.get();
                        if t == "0" { "0 (filtering off)".to_string() } else { t }
                    }}
                </output>
                <input
                    type="range"
                    min="0"
                    max="20"
                    step="0.5"
                    value=format_threshold(current)
                    data-testid="what-if-slider"
                    on:input=move |ev| trial.set(event_target_value(&ev))
                />
            </label>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match result.await {
                        Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                        Ok(w) => {
                            let change = w.spam_then as i64 - w.spam_now as i64;
                            let change_text = match change {
                                0 => "as many as now".to_string(),
                                c if c > 0 => format!("{} more", count_of(c, "message", "messages")),
                                c => format!("{} fewer", count_of(-c, "message", "messages")),
                            };
                            let candidate = format_threshold(w.candidate);
                            let shown = candidate.clone();
                            view! {
                                <dl class="facts what-if" data-testid="what-if-result" data-threshold=candidate>
                                    <dt>"Messages scored in the last " {w.days} " days"</dt>
                                    <dd data-testid="what-if-messages">{w.messages}</dd>
                                    <dt>"Marked spam at the current threshold (" {format_threshold(w.current)} ")"</dt>
                                    <dd data-testid="what-if-now">{w.spam_now}</dd>
                                    <dt>"Marked spam at " {shown}</dt>
                                    <dd>
                                        <span data-testid="what-if-then">{w.spam_then}</span>
                                        " (" <span data-testid="what-if-change">{change_text}</span> ")"
                                    </dd>
                                    <dt>"Conversations agents marked as spam"</dt>
                                    <dd data-testid="what-if-flagged-spam">
                                        {w.flagged_spam_right} " caught, " {w.flagged_spam_wrong} " missed"
                                    </dd>
                                    <dt>"Conversations agents marked Not spam"</dt>
                                    <dd data-testid="what-if-flagged-ham">
                                        {w.flagged_not_spam_right} " let through, " {w.flagged_not_spam_wrong}
                                        " wrongly caught"
                                    </dd>
                                </dl>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// How far one account's bounces reach (issue 16), for the admin, in one paragraph.
#[component]
fn SuppressionPolicy() -> impl IntoView {
    view! {
        <h3>"Who can suppress an address"</h3>
        <p class="muted small" data-testid="suppression-policy">
            "A bounce, complaint or unsubscribe reported for this account (by its webhooks, a \
             bounce notice it posts, or its own relay or API at send time) suppresses the \
             address in this account only: a hard bounce until you reactivate it, a soft \
             bounce for 14 days, an automatic complaint for 14 days, a manual complaint for \
             good. It never changes another account's contacts, lists or log. An address is \
             suppressed for every account only on evidence no single account controls: our \
             shared transport refused it, or a bounce came back to the return path of a \
             message sent through it (\"global: bounced on our shared transport\"), or at \
             least two different accounts reported a hard bounce for it within 90 days \
             (\"global: confirmed by N accounts\"). Contacts shows such an entry with its \
             evidence, and reactivating it lifts it for this account only. Spam reputation \
             works the same way: your agents' flags count fully for you, while each other \
             account counts once, however often it clicks."
        </p>
    }
}

/// The running 30-day complaint rate, its daily chart (SVG) with the 0.1 % line, and the
/// bounce and complaint counts behind it.
/// The guardrail per mailbox provider: each family's running 30-day complaint and bounce
/// rates; bulk mail to a family whose complaint rate reached 0.3 % is paused (the others go
/// on, replies always do) until an admin resumes it with a reason.
#[component]
fn ProvidersPanel(
    providers: Vec<ProviderRateView>,
    resume: ServerAction<ResumeProvider>,
) -> impl IntoView {
    view! {
        <section class="panel" data-testid="provider-guardrail">
            <h2>"Mailbox providers (running 30 days)"</h2>
            <p class="muted small">
                "Bulk mail to one provider pauses itself when that provider's complaint rate                  reaches 0.3 %; the other providers keep receiving campaigns and replies to                  conversations always go out. Resuming needs a reason and is logged."
            </p>
            <table class="providers">
                <thead>
                    <tr>
                        <th scope="col">"Provider"</th>
                        <th scope="col">"Sent"</th>
                        <th scope="col">"Complaints"</th>
                        <th scope="col">"Complaint rate"</th>
                        <th scope="col">"Bounces"</th>
                        <th scope="col">"Bounce rate"</th>
                        <th scope="col">"Bulk mail"</th>
                    </tr>
                </thead>
                <tbody>
                    {providers
                        .into_iter()
                        .map(|p| {
                            let state = if p.paused { "paused" } else { "sending" };
                            let resumed = p.resumed_at.map(|at| {
                                format!(
                                    "resumed {} by {}: {}",
                                    at.format("%Y-%m-%d %H:%M UTC"),
                                    p.resumed_by.clone().unwrap_or_default(),
                                    p.resume_reason.clone().unwrap_or_default(),
                                )
                            });
                            let since = p
                                .paused_at
                                .map(|at| format!(" since {}", at.format("%Y-%m-%d %H:%M UTC")))
                                .unwrap_or_default();
                            let provider = p.provider.clone();
                            view! {
                                <tr data-testid="provider-row" data-provider=p.provider.clone() data-state=state>
                                    <th scope="row">{p.label.clone()}</th>
                                    <td>{p.sent}</td>
                                    <td>{p.complaints}</td>
                                    <td class=format!("rate-status-{}", p.status)>
                                        {format!("{:.3} %", p.complaint_per_10k / 100.0)}
                                    </td>
                                    <td>{p.bounces}</td>
                                    <td>{format!("{:.2} %", p.bounce_percent)}</td>
                                    <td>
                                        {if p.paused {
                                            view! {
                                                <strong class="rate-status-paused" data-testid="provider-paused">
                                                    "Paused" {since}
                                                </strong>
                                                <ActionForm action=resume attr:class="inline-form">
                                                    <input type="hidden" name="provider" value=provider />
                                                    <input
                                                        type="text"
                                                        name="reason"
                                                        required
                                                        placeholder="Reason"
                                                        aria-label="Reason for resuming"
                                                        data-testid="provider-resume-reason"
                                                    />
                                                    <button type="submit" data-testid="provider-resume">"Resume"</button>
                                                </ActionForm>
                                            }
                                                .into_any()
                                        } else {
                                            view! {
                                                <span>"Sending"</span>
                                                {resumed.map(|r| view! { <span class="muted small">" (" {r} ")"</span> })}
                                            }
                                                .into_any()
                                        }}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            {move || {
                resume.value()
                    .get()
                    .and_then(|r| r.err())
                    .map(|e| view! { <ErrorNote message=e.to_string() /> })
            }}
        </section>
    }
}

#[component]
fn RatePanel(rate: RateView) -> impl IntoView {
    const W: f64 = 600.0;
    const H: f64 = 160.0;
    const PAD: f64 = 28.0;
    const LIMIT: f64 = 10.0; // per 10,000: 0.1 %
    let top = rate
        .days
        .iter()
        .map(|d| d.running_per_10k)
        .fold(LIMIT * 1.5, f64::max);
    let n = rate.days.len().max(2) as f64;
    let x = move |i: usize| PAD + (W - 2.0 * PAD) * i as f64 / (n - 1.0);
    let y = move |v: f64| H - PAD - (H - 2.0 * PAD) * (v / top);
    let points = rate
        .days
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{:.1},{:.1}", x(i), y(d.running_per_10k)))
        .collect::<Vec<_>>()
        .join(" ");
    let limit_y = y(LIMIT);
    let first = rate
        .days
        .first()
        .map(|d| d.date.clone())
        .unwrap_or_default();
    let last = rate.days.last().map(|d| d.date.clone()).unwrap_or_default();
    let status_class = format!("rate-status-{}", rate.status);
    let summary = format!(
        "{:.3} % ({} complaints / {} sent in the last 30 days)",
        rate.per_10k / 100.0,
        rate.complaints,
        rate.sent
    );
    let status_text = match rate.status.as_str() {
        "paused" => "Bulk sending is paused (≥ 0.3 %); replies still go out.",
        "warning" => "Above the 0.1 % limit: find out why before sending more bulk mail.",
        _ => "Under the 0.1 % limit.",
    };
    view! {
        <section class="panel" data-testid="complaint-rate">
            <h2>"Spam-complaint rate (running 30 days)"</h2>
            <p>
                <strong data-testid="rate-value">{summary}</strong>
                " "
                <span class=status_class>{status_text}</span>
            </p>
            <svg
                class="rate-chart"
                data-testid="rate-chart"
                viewBox=format!("0 0 {W} {H}")
                role="img"
                aria-label="Daily running 30-day complaint rate with the 0.1 % limit"
            >
                <line
                    class="limit"
                    x1=PAD
                    x2=W - PAD
                    y1=limit_y
                    y2=limit_y
                    data-testid="rate-limit-line"
                />
                <text x=W - PAD - 60.0 y=limit_y - 4.0>"0.1 % limit"</text>
                <polyline class="line" points=points data-testid="rate-line" />
                <text x=PAD y=H - 8.0>{first}</text>
                <text x=W - PAD - 60.0 y=H - 8.0>{last}</text>
            </svg>
            <h2>"Complaint rate by recipient domain (running 30 days)"</h2>
            <table class="list" data-testid="domain-rates">
                <thead>
                    <tr>
                        <th>"Domain"</th>
                        <th>"Sent"</th>
                        <th>"Complaints"</th>
                        <th>"Rate"</th>
                        <th>"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {rate
                        .domain_rates
                        .into_iter()
                        .map(|d| {
                            let rate = format!("{:.3} %", d.per_10k / 100.0);
                            let class = format!("rate-{}", d.status);
                            let key = d.domain.clone();
                            view! {
                                <tr data-domain=key>
                                    <td>{d.domain}</td>
                                    <td>{d.sent}</td>
                                    <td>{d.complaints}</td>
                                    <td>{rate}</td>
                                    <td class=class>{d.status}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <div class="breakdown">
                <h2>"Last 30 days by category"</h2>
                <table class="list" data-testid="events-by-category">
                    <tbody>
                        {rate
                            .by_category
                            .into_iter()
                            .map(|(c, n)| view! { <tr><td>{c.replace('_', " ")}</td><td>{n}</td></tr> })
                            .collect_view()}
                    </tbody>
                </table>
                <h2>"By recipient domain"</h2>
                <table class="list" data-testid="events-by-domain">
                    <tbody>
                        {rate
                            .by_domain
                            .into_iter()
                            .map(|(d, c, n)| {
                                view! { <tr><td>{d}</td><td>{c.replace('_', " ")}</td><td>{n}</td></tr> }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn SendersPanel(senders: Vec<SenderView>, add: ServerAction<AddSender>) -> impl IntoView {
    view! {
        <section class="panel" data-testid="senders">
            <h2>"Sender addresses"</h2>
            <table class="list" data-testid="sender-list">
                <thead>
                    <tr>
                        <th>"Address"</th>
                        <th>"Kind"</th>
                        <th>"Sends through"</th>
                    </tr>
                </thead>
                <tbody>
                    {senders
                        .into_iter()
                        .map(|s| {
                            view! {
                                <tr data-testid="sender-row">
                                    <td>
                                        {s.name.map(|n| format!("{n} ")).unwrap_or_default()} "<"
                                        {s.address} ">"
                                    </td>
                                    <td>{s.kind}</td>
                                    <td>{s.transport}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <details>
                <summary>"Add a sender address"</summary>
                <ActionForm action=add attr:class="form" attr:data-testid="sender-form">
                    <label>"Address" <input type="email" name="form[address]" required /></label>
                    <label>"Display name" <input type="text" name="form[name]" /></label>
                    <label>
                        "Kind"
                        <select name="form[kind]">
                            <option value="transactional">"transactional (replies)"</option>
                            <option value="bulk">"bulk (campaigns)"</option>
                        </select>
                    </label>
                    <label>
                        "Transport"
                        <select name="form[transport]">
                            <option value="smtp">"SMTP relay"</option>
                            <option value="postmark">"Postmark-compatible API"</option>
                            <option value="shared">"this deployment's shared transport"</option>
                        </select>
                    </label>
                    <label>"SMTP host" <input type="text" name="form[smtp_host]" /></label>
                    <label>"SMTP port" <input type="text" name="form[smtp_port]" placeholder="587" /></label>
                    <label>
                        "Security"
                        <select name="form[smtp_security]">
                            <option value="starttls">"STARTTLS"</option>
                            <option value="tls">"TLS"</option>
                            <option value="none">"none (local relay only)"</option>
                        </select>
                    </label>
                    <label>"SMTP username" <input type="text" name="form[smtp_username]" /></label>
                    <label>"SMTP password" <input type="password" name="form[smtp_password]" /></label>
                    <label>"API URL" <input type="url" name="form[api_url]" placeholder="https://api.postmarkapp.com" /></label>
                    <label>"API server token" <input type="password" name="form[api_token]" /></label>
                    <button type="submit">"Add sender"</button>
                </ActionForm>
            </details>
            <SuppressionPolicy />
            {move || {
                add.value()
                    .get()
                    .and_then(|r| r.err())
                    .map(|e| view! { <ErrorNote message=e.to_string() /> })
            }}
        </section>
    }
    .into_any()
}

fn format_threshold(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[component]
pub fn SpamFiltersPage() -> impl IntoView {
    let add = ServerAction::<AddBlock>::new();
    let remove = ServerAction::<RemoveBlock>::new();
    let list = Resource::new(
        move || (add.version().get(), remove.version().get()),
        |_| get_block_list(),
    );
    view! {
        <leptos_meta::Title text="Spam Filters · Deliverdesk" />
        <h1>"Settings › Administration › Spam Filters"</h1>
        <AccountBox />
        <section class="panel">
            <h2>"Block list"</h2>
            <p class="muted small">
                "Mail from a blocked address, or from a blocked domain and its subdomains, never                  reaches the open queue: it is stored as spam and stays searchable."
            </p>
            <ActionForm action=add attr:class="settings-form" attr:data-testid="block-form">
                <label>
                    "Address or domain"
                    <input type="text" name="value" placeholder="bob@spam.test or spam.test" required />
                </label>
                <label>
                    "Reason"
                    <input type="text" name="reason" placeholder="optional" />
                </label>
                <button type="submit">"Block"</button>
            </ActionForm>
            {move || {
                [add.value().get().and_then(|r| r.err()), remove.value().get().and_then(|r| r.err())]
                    .into_iter()
                    .flatten()
                    .map(|e| view! { <ErrorNote message=e.to_string() /> })
                    .collect_view()
            }}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                        Ok(entries) if entries.is_empty() => {
                            view! {
                                <p class="muted empty" data-testid="block-list-empty">
                                    "Nobody is blocked. Senders appear here when you add them above or                                      when an agent marks a conversation as spam."
                                </p>
                            }
                                .into_any()
                        }
                        Ok(entries) => {
                            view! {
                                <table class="list" data-testid="block-list">
                                    <thead>
                                        <tr>
                                            <th>"Blocked"</th>
                                            <th>"Kind"</th>
                                            <th>"Reason"</th>
                                            <th>"Added by"</th>
                                            <th>"When"</th>
                                            <th><span class="sr-only">"Actions"</span></th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {entries
                                            .into_iter()
                                            .map(|e| view! { <BlockRow e remove /> })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
        <AllowListPanel />
    }
}

/// Senders whose mail is never marked spam by its score (the block list still wins).
#[component]
fn AllowListPanel() -> impl IntoView {
    let add = ServerAction::<AddAllow>::new();
    let remove = ServerAction::<RemoveAllow>::new();
    let list = Resource::new(
        move || (add.version().get(), remove.version().get()),
        |_| get_allow_list(),
    );
    view! {
        <section class="panel" data-testid="allow-list-panel">
            <h2>"Allowlist"</h2>
            <p class="muted small">
                "Mail from an allowed address, or from an allowed domain and its subdomains, is                  never marked spam by its score: it reaches the open queue whatever it scores. The                  block list still wins. Each time the allowlist overrides a score, Org Logging says so."
            </p>
            <ActionForm action=add attr:class="settings-form" attr:data-testid="allow-form">
                <label>
                    "Address or domain to allow"
                    <input type="text" name="value" placeholder="alice@partner.test or partner.test" required />
                </label>
                <label>
                    "Reason for allowing"
                    <input type="text" name="reason" placeholder="optional" />
                </label>
                <button type="submit">"Allow"</button>
            </ActionForm>
            {move || {
                [add.value().get().and_then(|r| r.err()), remove.value().get().and_then(|r| r.err())]
                    .into_iter()
                    .flatten()
                    .map(|e| view! { <ErrorNote message=e.to_string() /> })
                    .collect_view()
            }}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                        Ok(entries) if entries.is_empty() => {
                            view! {
                                <p class="muted empty" data-testid="allow-list-empty">
                                    "Nobody is allowed yet. Add a partner's address or domain above when                                      their mail is wrongly marked spam."
                                </p>
                            }
                                .into_any()
                        }
                        Ok(entries) => {
                            view! {
                                <table class="list" data-testid="allow-list">
                                    <thead>
                                        <tr>
                                            <th>"Allowed"</th>
                                            <th>"Kind"</th>
                                            <th>"Reason"</th>
                                            <th>"Added by"</th>
                                            <th>"When"</th>
                                            <th><span class="sr-only">"Actions"</span></th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {entries
                                            .into_iter()
                                            .map(|e| {
                                                let kind = if e.kind == "domain" { "domain and subdomains" } else { "address" };
                                                let label = format!("Remove {} from the allowlist", e.value);
                                                view! {
                                                    <tr data-testid="allow-row" data-value=e.value.clone()>
                                                        <td><code>{e.value.clone()}</code></td>
                                                        <td>{kind}</td>
                                                        <td>{e.reason}</td>
                                                        <td>{e.added_by}</td>
                                                        <td>{super::fmt_time(&e.added_at)}</td>
                                                        <td>
                                                            <ActionForm action=remove attr:class="inline-form">
                                                                <input type="hidden" name="id" value=e.id.to_string() />
                                                                <button type="submit" aria-label=label>"Remove"</button>
                                                            </ActionForm>
                                                        </td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn BlockRow(e: BlockEntryView, remove: ServerAction<RemoveBlock>) -> impl IntoView {
    let kind = if e.kind == "domain" {
        "domain and subdomains"
    } else {
        "address"
    };
    let when = super::fmt_time(&e.added_at);
    let label = format!("Unblock {}", e.value);
    let id = e.id.to_string();
    let value = e.value;
    view! {
        <tr data-testid="block-row" data-value=value.clone()>
            <td><code>{value.clone()}</code></td>
            <td>{kind}</td>
            <td>{e.reason}</td>
            <td>{e.added_by}</td>
            <td>{when}</td>
            <td>
                <ActionForm action=remove attr:class="inline-form">
                    <input type="hidden" name="id" value=id />
                    <button type="submit" aria-label=label>"Unblock"</button>
                </ActionForm>
            </td>
        </tr>
    }
}

#[component]
pub fn OrgLoggingPage() -> impl IntoView {
    let q = use_query_map();
    let param = move |k: &str| q.read().get(k).filter(|v| !v.trim().is_empty());
    let query = move || LogQuery {
        kind: param("kind"),
        subject: param("subject"),
        from: param("from"),
        to: param("to"),
        page: param("page").and_then(|p| p.parse().ok()).unwrap_or(0),
    };
    let log = Resource::new(query, get_org_log);
    view! {
        <leptos_meta::Title text="Org Logging · Deliverdesk" />
        <h1>"Org Logging"</h1>
        <form method="get" action="/org-logging" class="filters" data-testid="log-filters">
            <label>
                "Type"
                <select name="kind">
                    <option value="">"All types"</option>
                    {LOG_KINDS
                        .iter()
                        .map(|k| {
                            view! {
                                <option value=*k selected=move || param("kind").as_deref() == Some(*k)>
                                    {k.replace('_', " ")}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Address or domain"
                <input type="text" name="subject" value=move || param("subject").unwrap_or_default() />
            </label>
            <label>
                "From" <input type="date" name="from" value=move || param("from").unwrap_or_default() />
            </label>
            <label>
                "To" <input type="date" name="to" value=move || param("to").unwrap_or_default() />
            </label>
            <button type="submit">"Filter"</button>
        </form>
        <p>
            <a
                href=move || {
                    let q = query();
                    let parts: Vec<String> = [("kind", &q.kind), ("subject", &q.subject), ("from", &q.from), ("to", &q.to)]
                        .into_iter()
                        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", urlencode(v))))
                        .collect();
                    format!("/org-logging/export.csv?{}", parts.join("&"))
                }
                download="org-logging.csv"
                rel="external"
                data-testid="log-export"
            >
                "Export these entries as CSV"
            </a>
        </p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match log.await {
                    Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                    Ok(page) if page.entries.is_empty() => {
                        view! {
                            <p class="muted empty" data-testid="org-log-empty">
                                "No entries match. Bounces, complaints, suppressions, spam verdicts and every admin                                  change are logged here as they happen; widen the dates or clear the filters."
                            </p>
                        }
                            .into_any()
                    }
                    Ok(page) => {
                        let q = query();
                        let last = ((page.total - 1).max(0) as u32) / page.per_page.max(1);
                        let link = move |p: u32| {
                            let mut parts = vec![format!("page={p}")];
                            for (k, v) in [("kind", &q.kind), ("subject", &q.subject), ("from", &q.from), ("to", &q.to)] {
                                if let Some(v) = v {
                                    parts.push(format!("{k}={}", urlencode(v)));
                                }
                            }
                            format!("/org-logging?{}", parts.join("&"))
                        };
                        view! {
                            <table class="list" data-testid="org-log">
                                <thead>
                                    <tr>
                                        <th>"Time"</th>
                                        <th>"Type"</th>
                                        <th>"Actor"</th>
                                        <th>"Subject"</th>
                                        <th>"Details"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {page
                                        .entries
                                        .into_iter()
                                        .map(|e| {
                                            view! {
                                                <tr data-testid="log-row">
                                                    <td>{super::fmt_time(&e.at)}</td>
                                                    <td><span class="badge">{e.kind.replace('_', " ")}</span></td>
                                                    <td>{e.actor}</td>
                                                    <td>{e.subject}</td>
                                                    <td><code class="details">{e.details}</code></td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                            <nav class="pager" aria-label="Pages">
                                <span class="muted">
                                    {count_of(page.total, "entry", "entries")} " · page " {page.page + 1} " of " {last + 1}
                                </span>
                                {(page.page > 0).then(|| view! { <a href=link(page.page - 1)>"← Newer"</a> })}
                                {(page.page < last).then(|| view! { <a href=link(page.page + 1)>"Older →"</a> })}
                            </nav>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
