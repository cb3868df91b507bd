use super::{fmt_time, ErrorNote};
use crate::api::{get_conversation, mark_not_spam, mark_spam};
use crate::error::ApiError;
use crate::models::{ConversationDetail, Direction, MessageView};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ConversationPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok());
    // Bumped after each action from the ⋯ menu so the page shows the new state.
    let version = RwSignal::new(0u32);
    let detail = Resource::new(
        move || (id(), version.get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_conversation(id).await,
                None => Err(ApiError::NotFound),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <ConversationView detail=d version /> }.into_any(),
                    Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What the ⋯ menu can do to the conversation.
#[derive(Clone, Copy)]
enum MenuAction {
    MarkSpam,
    NotSpam { unblock: bool },
}

#[component]
fn ConversationView(detail: ConversationDetail, version: RwSignal<u32>) -> impl IntoView {
    let s = detail.summary;
    let id = s.id;
    let spam = s.spam;
    let blocked_by = detail.sender_blocked_by.clone();
    let menu_open = RwSignal::new(false);
    // "Not spam" for a blocked sender asks whether to unblock them too.
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
            menu_open.set(false);
            asking_unblock.set(false);
            version.update(|v| *v += 1);
        }
    });
    let blocked_label = blocked_by.clone().unwrap_or_default();
    let is_blocked = blocked_by.is_some();
    view! {
        <header class="conversation-header">
            <div>
                <h1 data-testid="conversation-subject">{s.subject.clone()}</h1>
                <p class="muted">
                    {s.contact_name.clone().unwrap_or_default()} " <" {s.contact_email.clone()} ">"
                    {blocked_by
                        .clone()
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
                <span class=format!("badge status-{}", s.status.as_str()) data-testid="status">
                    {s.status.as_str()}
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
                            {if spam {
                                view! {
                                    <li role="none">
                                        <button
                                            type="button"
                                            role="menuitem"
                                            disabled=move || act.pending().get()
                                            on:click=move |_| {
                                                if is_blocked {
                                                    asking_unblock.set(true);
                                                } else {
                                                    act.dispatch(MenuAction::NotSpam { unblock: false });
                                                }
                                            }
                                        >
                                            "Not spam"
                                        </button>
                                    </li>
                                }
                                    .into_any()
                            } else {
                                view! {
                                    <li role="none">
                                        <button
                                            type="button"
                                            role="menuitem"
                                            disabled=move || act.pending().get()
                                            on:click=move |_| {
                                                act.dispatch(MenuAction::MarkSpam);
                                            }
                                        >
                                            "Mark as spam"
                                        </button>
                                    </li>
                                }
                                    .into_any()
                            }}
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
    }
}

#[component]
fn MessageItem(m: MessageView) -> impl IntoView {
    let class = match m.direction {
        Direction::Inbound => "message inbound",
        Direction::Outbound => "message outbound",
    };
    let score = m.spam_score.map(|score| {
        let rules = m.spam_rules.clone();
        view! {
            <details class="spam-score" data-testid="spam-score">
                <summary>{format!("Spam score {score:.1}")}</summary>
                <table class="rules">
                    <tbody>
                        {rules
                            .into_iter()
                            .map(|r| {
                                view! {
                                    <tr>
                                        <td class="points">{format!("{:+.1}", r.points)}</td>
                                        <td><code>{r.name}</code></td>
                                        <td class="muted">{r.description}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </details>
        }
    });
    view! {
        <li class=class data-testid="message">
            <div class="message-meta">
                <strong>{m.from_addr.clone()}</strong>
                <span class="muted">" → " {m.to_addr.clone()}</span>
                <time class="muted">{fmt_time(&m.created_at)}</time>
                {score}
            </div>
            {match m.html_body {
                Some(html) => view! { <div class="message-body html" inner_html=html></div> }.into_any(),
                None => view! { <pre class="message-body text">{m.text_body}</pre> }.into_any(),
            }}
        </li>
    }
}
