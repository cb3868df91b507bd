use super::{fmt_time, ErrorNote};
use crate::api::get_conversation;
use crate::models::{ConversationDetail, Direction, MessageView};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ConversationPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok());
    let detail = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_conversation(id).await,
            None => Err(crate::error::ApiError::NotFound),
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

#[component]
fn ConversationView(detail: ConversationDetail) -> impl IntoView {
    let s = detail.summary;
    let menu_open = RwSignal::new(false);
    view! {
        <header class="conversation-header">
            <div>
                <h1 data-testid="conversation-subject">{s.subject.clone()}</h1>
                <p class="muted">
                    {s.contact_name.clone().unwrap_or_default()} " <" {s.contact_email.clone()} ">"
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
                            <li role="menuitem" class="muted">
                                "Conversation #" {s.id}
                            </li>
                        </ul>
                    </Show>
                </div>
            </div>
        </header>
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
    view! {
        <li class=class data-testid="message">
            <div class="message-meta">
                <strong>{m.from_addr.clone()}</strong>
                <span class="muted">" → " {m.to_addr.clone()}</span>
                <time class="muted">{fmt_time(&m.created_at)}</time>
            </div>
            {match m.html_body {
                Some(html) => view! { <div class="message-body html" inner_html=html></div> }.into_any(),
                None => view! { <pre class="message-body text">{m.text_body}</pre> }.into_any(),
            }}
        </li>
    }
}
