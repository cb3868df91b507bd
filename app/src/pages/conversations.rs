use super::{fmt_time, ErrorNote};
use crate::api::list_conversations;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ConversationsPage() -> impl IntoView {
    let query = use_query_map();
    let status = move || {
        query
            .read()
            .get("status")
            .unwrap_or_else(|| "open".to_string())
    };
    let search = move || query.read().get("q");
    let list = Resource::new(
        move || (status(), search()),
        |(status, q)| list_conversations(Some(status), q),
    );
    let tab = move |value: &'static str, label: &'static str| {
        let href = format!("/conversations?status={value}");
        view! {
            <a
                href=href
                class="tab"
                aria-current=move || if status() == value { Some("page") } else { None }
            >
                {label}
            </a>
        }
    };
    view! {
        <h1>"Conversations"</h1>
        <div class="toolbar">
            <nav class="tabs" aria-label="Status">
                {tab("open", "Open")} {tab("done", "Done")} {tab("all", "All")}
            </nav>
            <form method="get" action="/conversations" class="search" role="search">
                <input type="hidden" name="status" value=status />
                <input
                    type="search"
                    name="q"
                    placeholder="Search: text, from:, status:, spam:true"
                    value=move || search().unwrap_or_default()
                    aria-label="Search conversations"
                />
            </form>
        </div>
        {move || {
            search()
                .filter(|q| !q.trim().is_empty())
                .map(|_| {
                    view! {
                        <p class="muted small" data-testid="search-note">
                            "Results from every status, spam included (add status:open to narrow)."
                        </p>
                    }
                })
        }}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                    Ok(items) if items.is_empty() => {
                        view! { <p class="muted empty">"No conversations here."</p> }.into_any()
                    }
                    Ok(items) => {
                        view! {
                            <table class="list" data-testid="conversation-list">
                                <thead>
                                    <tr>
                                        <th>"Subject"</th>
                                        <th>"Contact"</th>
                                        <th>"Status"</th>
                                        <th>"Updated"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {items
                                        .into_iter()
                                        .map(|c| {
                                            view! {
                                                <tr data-testid="conversation-row">
                                                    <td>
                                                        <a href=format!("/conversations/{}", c.id)>{c.subject}</a>
                                                        {c.spam.then(|| view! { <span class="badge spam">"Spam"</span> })}
                                                    </td>
                                                    <td>{c.contact_name.unwrap_or_else(|| c.contact_email.clone())}</td>
                                                    <td>
                                                        <span class=format!(
                                                            "badge status-{}",
                                                            c.status.as_str(),
                                                        )>{c.status.as_str()}</span>
                                                    </td>
                                                    <td>{fmt_time(&c.updated_at)}</td>
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
    }
}
