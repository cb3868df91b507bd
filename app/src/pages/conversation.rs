use super::{fmt_time, ErrorNote, PostForm, Then};
use crate::api::{get_conversation, mark_not_spam, mark_spam, SendReply};
use crate::error::ApiError;
use crate::models::{
    ConversationDetail, DeliveryView, Direction, MessageView, ReplyStreamView, RuleHitView,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ConversationPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok());
    // Blocking: the page's <title> names the conversation, and only the server sets it.
    let detail = Resource::new_blocking(id, |id| async move {
        match id {
            Some(id) => get_conversation(id).await,
            None => Err(ApiError::NotFound),
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <ConversationView detail=d /> }.into_any(),
                    Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The conversation, rendered on the server. Its interactive parts are islands: the header
/// with the ⋯ menu, the reply form and held-back images. After an action the page loads again,
/// so the timeline, status and attributes shown are the server's.
#[component]
fn ConversationView(detail: ConversationDetail) -> impl IntoView {
    let s = detail.summary;
    let id = s.id;
    view! {
        <leptos_meta::Title text=format!("{} · Conversation #{} · Deliverdesk", s.subject, id) />
        <ConversationHeader
            id
            subject=s.subject
            contact=format!("{} <{}>", s.contact_name.unwrap_or_default(), s.contact_email)
            status=s.status.as_str().to_string()
            spam=s.spam
            blocked_by=detail.sender_blocked_by
        />
        <ul class="attributes" data-testid="attributes">
            {detail
                .attributes
                .into_iter()
                .map(|a| view! { <li class="attribute">{a.name} ": " {a.value}</li> })
                .collect_view()}
        </ul>
        <ol class="timeline" data-testid="timeline">
            {detail.messages.into_iter().map(|m| view! { <MessageItem m /> }).collect_view()}
        </ol>
        <ReplyBox id stream=detail.reply_stream />
    }
    .into_any()
}

/// What the ⋯ menu can do to the conversation.
#[derive(Clone, Copy)]
enum MenuAction {
    MarkSpam,
    NotSpam { unblock: bool },
}

/// The subject line, the status and the ⋯ menu ("Mark as spam" / "Not spam"; for a blocked
/// sender, "Not spam" asks whether to unblock them too).
#[island]
fn ConversationHeader(
    id: i64,
    subject: String,
    contact: String,
    status: String,
    spam: bool,
    blocked_by: Option<String>,
) -> impl IntoView {
    let menu_open = RwSignal::new(false);
    let asking_unblock = RwSignal::new(false);
    let act = Action::new(move |a: &MenuAction| {
        let a = *a;
        async move {
            match a {
                MenuAction::MarkSpam => mark_spam(id).await,
                MenuAction::NotSpam { unblock } => mark_not_spam(id, unblock).await,
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = act.value().get() {
            super::reload();
        }
    });
    let blocked_label = blocked_by.clone().unwrap_or_default();
    let is_blocked = blocked_by.is_some();
    view! {
        <header class="conversation-header">
            <div>
                <h1 data-testid="conversation-subject">{subject}</h1>
                <p class="muted">
                    {contact}
                    {blocked_by
                        .map(|b| {
                            view! {
                                <span class="badge spam" data-testid="sender-blocked">
                                    "blocked: " {b}
                                </span>
                            }
                        })}
                </p>
            </div>
            <div class="header-actions">
                <span class=format!("badge status-{status}") data-testid="status">
                    {status.clone()}
                </span>
                <div class="menu">
                    <button
                        type="button"
                        class="menu-button"
                        aria-label="More actions"
                        aria-haspopup="menu"
                        aria-expanded=move || menu_open.get().to_string()
                        on:click=move |_| menu_open.update(|o| *o = !*o)
                    >
                        "⋯"
                    </button>
                    <Show when=move || menu_open.get()>
                        <ul class="menu-items" role="menu" data-testid="conversation-menu">
                            <li role="none" class="muted small">"Conversation #" {id}</li>
                            <li role="none">
                                <button
                                    type="button"
                                    role="menuitem"
                                    disabled=move || act.pending().get()
                                    on:click=move |_| {
                                        if !spam {
                                            act.dispatch(MenuAction::MarkSpam);
                                        } else if is_blocked {
                                            asking_unblock.set(true);
                                        } else {
                                            act.dispatch(MenuAction::NotSpam { unblock: false });
                                        }
                                    }
                                >
                                    {if spam { "Not spam" } else { "Mark as spam" }}
                                </button>
                            </li>
                        </ul>
                    </Show>
                </div>
            </div>
        </header>
        <Show when=move || asking_unblock.get()>
            <div class="card confirm" role="dialog" aria-label="Unblock sender?" data-testid="unblock-dialog">
                <p>"The sender is on the block list (" {blocked_label.clone()} "). Unblock them too?"</p>
                <div class="inline-form">
                    <button
                        type="button"
                        on:click=move |_| {
                            act.dispatch(MenuAction::NotSpam { unblock: true });
                        }
                    >
                        "Not spam and unblock"
                    </button>
                    <button
                        type="button"
                        on:click=move |_| {
                            act.dispatch(MenuAction::NotSpam { unblock: false });
                        }
                    >
                        "Not spam, keep blocked"
                    </button>
                    <button type="button" on:click=move |_| asking_unblock.set(false)>
                        "Cancel"
                    </button>
                </div>
            </div>
        </Show>
        {move || {
            act.value()
                .get()
                .and_then(|r| r.err())
                .map(|e| view! { <ErrorNote message=e.to_string() /> })
        }}
    }
}

/// The agent's reply: sent through the account's sender address once the gate allows it; a
/// refusal (suppressed address, no sender) is shown right here and the text is kept. Once
/// sent, the page loads again with the reply in the timeline.
#[component]
fn ReplyBox(id: i64, stream: Option<ReplyStreamView>) -> impl IntoView {
    view! {
        <PostForm
            url=SendReply::url()
            class="reply"
            testid="reply-form"
            error_testid="reply-error"
            then=Then::Reload
        >
            <input type="hidden" name="id" value=id.to_string() />
            <label for="reply-text" class="muted small">"Reply"</label>
            <textarea
                id="reply-text"
                name="text"
                rows="4"
                placeholder="Write a reply…"
                required
                data-testid="reply-text"
            ></textarea>
            {stream.map(|st| {
                view! {
                    <p
                        class=if st.reply_allowed { "muted small reply-stream" } else { "error-note reply-stream" }
                        data-testid="reply-stream"
                        data-reply-allowed=st.reply_allowed.to_string()
                        data-stream=st.stream.clone().unwrap_or_default()
                    >
                        {st.text}
                    </p>
                }
            })}
            <div class="inline-form">
                <button type="submit">"Send reply"</button>
            </div>
        </PostForm>
    }
}

/// The line under a sent message: accepted at T, retrying, or a red badge whose details show
/// on hover or keyboard focus.
#[component]
fn DeliveryLine(d: DeliveryView, to: String) -> impl IntoView {
    let history = format!("/contacts/history?email={}", super::urlencode(&to));
    let view = match d.state.as_str() {
        "accepted" => {
            let by = d.accepted_by.clone().unwrap_or_else(|| "the recipient's server".into());
            let at = d.accepted_at.as_ref().map(fmt_time).unwrap_or_default();
            view! {
                <p class="delivery ok" data-testid="delivery" data-state="accepted">
                    "✓ Accepted by " {by} " at " {at}
                </p>
            }
                .into_any()
        }
        "pending" => {
            view! { <p class="delivery muted" data-testid="delivery" data-state="pending">"Sending…"</p> }
                .into_any()
        }
        state => {
            let failed = state == "failed";
            let e = d.error.clone();
            let label = match (&e, failed) {
                (Some(e), true) => format!("Not delivered: {}", e.label()),
                (_, true) => "Not delivered".to_string(),
                _ => format!(
                    "Deferred, retrying at {}",
                    d.next_attempt_at.as_ref().map(fmt_time).unwrap_or_default()
                ),
            };
            let details = e.map(|e| {
                let advice = e.advice();
                let code = match (e.code, e.status.clone()) {
                    (Some(c), Some(s)) => format!("{c} {s}"),
                    (Some(c), None) => c.to_string(),
                    (None, Some(s)) => s,
                    (None, None) => "—".into(),
                };
                view! {
                    <span class="tooltip" role="tooltip" data-testid="delivery-details">
                        <strong>{e.label()}</strong>
                        " (" {e.reason.clone()} ")"
                        <br />
                        "SMTP code: " {code}
                        <br />
                        "Diagnostic: " {e.diagnostic.clone().unwrap_or_else(|| "—".into())}
                        <br />
                        "When: " {e.at.as_ref().map(fmt_time).unwrap_or_default()}
                        <br />
                        <em>{advice}</em>
                    </span>
                }
            });
            view! {
                <p class="delivery" data-testid="delivery" data-state=state.to_string()>
                    <span
                        class=if failed { "badge delivery-error" } else { "badge delivery-deferred" }
                        tabindex="0"
                        data-testid="delivery-badge"
                    >
                        {label}
                        {details}
                    </span>
                    {failed
                        .then(|| {
                            view! {
                                <a class="small" href=history.clone() data-testid="suppression-link">
                                    "Why? See the suppression and the raw notice"
                                </a>
                            }
                        })}
                </p>
            }
                .into_any()
        }
    };
    view
}

/// Mail HTML whose remote images are held back until the agent clicks "Load images".
#[island]
fn HtmlWithHeldImages(html: String, with_images: String) -> impl IntoView {
    let (shown, show) = signal(false);
    view! {
        <Show when=move || !shown.get()>
            <p class="muted small remote-images" data-testid="remote-images-blocked">
                "Remote images are not loaded: they can tell the sender who read this and when. "
                <button type="button" data-testid="load-images" on:click=move |_| show.set(true)>
                    "Load images"
                </button>
            </p>
        </Show>
        {
            let html = html.clone();
            let with_images = with_images.clone();
            move || {
                let body = if shown.get() { with_images.clone() } else { html.clone() };
                view! { <div class="message-body html" inner_html=body></div> }
            }
        }
    }
}

/// "score 7.4": the rules that fired, with their points, show on hover and on keyboard focus
/// (CSS only, so it works before the page hydrates), and are the badge's accessible
/// description for screen readers. A button only to be focusable with a name: it does nothing.
#[component]
fn ScoreBadge(message_id: i64, score: f64, rules: Vec<RuleHitView>) -> impl IntoView {
    let describe = format!("score-rules-{message_id}");
    let described_by = describe.clone();
    let label = format!("score {score:.1}");
    let summary = if rules.is_empty() {
        "No rule fired.".to_string()
    } else {
        rules
            .iter()
            .map(|r| format!("{} {:+.1}", r.name, r.points))
            .collect::<Vec<_>>()
            .join(", ")
    };
    view! {
        <button
            type="button"
            class="badge score-badge"
            data-testid="spam-score"
            aria-describedby=described_by
        >
            {label}
            <span class="tooltip" role="tooltip" id=describe data-testid="spam-rules">
                <span class="sr-summary">{summary}</span>
                {rules
                    .into_iter()
                    .map(|r| {
                        view! {
                            <span class="rule" aria-hidden="true">
                                <span class="points">{format!("{:+.1}", r.points)}</span>
                                " "
                                <code>{r.name}</code>
                                " "
                                <span class="why">{r.description}</span>
                            </span>
                        }
                    })
                    .collect_view()}
            </span>
        </button>
    }
}

#[component]
fn MessageItem(m: MessageView) -> impl IntoView {
    let class = match m.direction {
        Direction::Inbound => "message inbound",
        Direction::Outbound => "message outbound",
    };
    let score = m.spam_score.map(|score| {
        view! { <ScoreBadge message_id=m.id score rules=m.spam_rules.clone() /> }
    });
    let to = m.to_addr.clone();
    let delivery = m.delivery.clone().map(|d| view! { <DeliveryLine d to /> });
    view! {
        <li class=class data-testid="message" data-message-id=m.message_id_header.clone().unwrap_or_default()>
            <div class="message-meta">
                <strong>{m.from_addr.clone()}</strong>
                <span class="muted">" → " {m.to_addr.clone()}</span>
                <time class="muted">{fmt_time(&m.created_at)}</time>
                {score}
            </div>
            {match (m.html_body, m.remote_images_html) {
                (Some(html), Some(with_images)) => view! { <HtmlWithHeldImages html with_images /> }.into_any(),
                (Some(html), None) => view! { <div class="message-body html" inner_html=html></div> }.into_any(),
                (None, _) => view! { <pre class="message-body text">{m.text_body}</pre> }.into_any(),
            }}
            {delivery}
        </li>
    }
    .into_any()
}
