use super::{fmt_time, ErrorNote};
use crate::api::list_conversations;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Conversations per page.
const PER_PAGE: usize = 50;

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
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(0)
    };
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
        <leptos_meta::Title text="Conversations · Deliverdesk" />
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
                        let text = if search().is_some_and(|q| !q.trim().is_empty()) {
                            "No conversation matches this search. Try fewer words, or from:address."
                        } else {
                            match status().as_str() {
                                "open" => "No open conversations. A customer's email to one of your inbound addresses opens one here.",
                                "done" => "No done conversations. Conversations you close, and mail marked spam, are kept here.",
                                _ => "No conversations yet. Mail to your inbound addresses (Apps › Channels › Email) appears here.",
                            }
                        };
                        view! { <p class="muted empty" data-testid="conversations-empty">{text}</p> }.into_any()
                    }
                    Ok(items) => {
                        let total = items.len();
                        let (items, last) = super::page_of(items, page(), PER_PAGE);
                        let (st, q) = (status(), search());
                        let link: Box<dyn Fn(usize) -> String + Send + Sync> = Box::new(move |p: usize| {
                            let mut href = format!("/conversations?status={}&page={p}", super::urlencode(&st));
                            if let Some(q) = &q {
                                href.push_str(&format!("&q={}", super::urlencode(q)));
                            }
                            href
                        });
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
                            <super::Pager page=page() last total noun=("conversation", "conversations") link />
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
