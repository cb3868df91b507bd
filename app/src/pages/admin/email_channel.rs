//! Apps > Channels > Email: the account's senders, the spam threshold and its what-if,
//! the inbound addresses and Authentication-Results trust, the webhook credentials' SNS
//! topics, and (from `rates.rs`) the complaint rates and the provider guardrail.

use super::rates::{ProvidersPanel, RatePanel};
use super::AccountBox;
use crate::api::AddSender;
use crate::api::{
    get_email_channel, threshold_what_if, SetSnsTopicArn, SetSpamThreshold, SetTrustedAuthservIds,
};
use crate::error::ApiError;
use crate::models::{count_of, SenderView, WebhookCredentialView, WhatIfView};
use crate::pages::{Answer, ErrorNote, PostForm, Then};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
pub fn EmailChannelPage() -> impl IntoView {
    view! {
        <leptos_meta::Title text="Email channel · Deliverdesk" />
        <EmailChannelBody />
    }
}

/// The page, rendered on the server; its forms and the what-if slider are islands.
#[component]
fn EmailChannelBody() -> impl IntoView {
    let channel = Resource::new(|| (), |_| get_email_channel());
    view! {
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
                            <ProvidersPanel providers=c.providers />
                            <SendersPanel senders=c.senders />
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
                            let addresses = c.inbound_addresses;
                            view! {
                                <ThresholdForm current=c.spam_threshold />
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
                        Ok(c) => view! { <TrustedForm current=c.trusted_authserv_ids.join("\n") /> }.into_any(),
                    }
                })}
            </Transition>
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
                                .map(|w| view! { <WebhookCredentialRow w=w /> })
                                .collect_view()
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// The spam threshold; once saved, the page loads again with the new value.
#[component]
fn ThresholdForm(current: f64) -> impl IntoView {
    let shown = format_threshold(current);
    let state = if current == 0.0 {
        "Filtering is off".to_string()
    } else {
        format!("Current threshold: {shown}")
    };
    view! {
        <PostForm url=SetSpamThreshold::url() class="settings-form" testid="" error_testid="" then=Then::Reload>
            <label>
                "Spam threshold"
                <input type="text" inputmode="decimal" name="value" value=shown data-testid="threshold-input" />
            </label>
            <button type="submit">"Save"</button>
            <span class="muted small" data-testid="threshold-current">{state}</span>
        </PostForm>
    }
}

/// The trusted authserv-ids, one per line; saving says what is trusted now.
#[component]
fn TrustedForm(current: String) -> impl IntoView {
    view! {
        <PostForm
            url=SetTrustedAuthservIds::url()
            class="settings-form"
            testid=""
            error_testid=""
            then=Then::Say(Answer::TrustedForwarders)
        >
            <label>
                "Trusted authserv-ids"
                <textarea name="value" rows="3" data-testid="trusted-authserv-input">
                    {current}
                </textarea>
            </label>
            <button type="submit">"Save"</button>
        </PostForm>
    }
}

/// One webhook credential: its signature checks and its SNS topic, which the admin may set.
#[component]
fn WebhookCredentialRow(w: WebhookCredentialView) -> impl IntoView {
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
        <PostForm
            url=SetSnsTopicArn::url()
            class="settings-form"
            testid=testid
            error_testid=""
            then=Then::Say(Answer::SnsTopic)
        >
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
        </PostForm>
    }
}

/// The threshold what-if: as the admin moves the slider, how the last 30 days' inbound mail
/// would have gone (from the scores stored when it arrived).
#[island]
fn WhatIfPanel(current: f64) -> impl IntoView {
    let trial = RwSignal::new(format_threshold(current));
    // The latest answer; asked for in the browser, once hydrated and on each move. An answer
    // to an earlier position is dropped.
    let result = RwSignal::new(None::<Result<WhatIfView, ApiError>>);
    let asked = StoredValue::new(0u64);
    Effect::new(move |_| {
        let value = trial.get();
        let n = asked.get_value() + 1;
        asked.set_value(n);
        leptos::task::spawn_local(async move {
            let answer = threshold_what_if(value).await;
            if asked.get_value() == n {
                result.set(Some(answer));
            }
        });
    });
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
            {move || {
                    match result.get() {
                        None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                        Some(r) => match r {
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
                    },
                }
            }}
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

#[component]
fn SendersPanel(senders: Vec<SenderView>) -> impl IntoView {
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
                <PostForm url=AddSender::url() class="form" testid="sender-form" error_testid="" then=Then::Reload>
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
                </PostForm>
            </details>
            <SuppressionPolicy />
        </section>
    }
    .into_any()
}

fn format_threshold(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
