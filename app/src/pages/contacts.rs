use super::{fmt_time, ErrorNote, PostForm, Then, UserCtx};
use crate::api::{get_address_history, list_contacts, ReactivateContact};
use crate::models::{ContactView, NoticeView, SuppressionView};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Contacts per page.
const PER_PAGE: usize = 50;

#[component]
pub fn ContactsPage() -> impl IntoView {
    let q = use_query_map();
    let page = move || {
        q.read()
            .get("page")
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(0)
    };
    let search = move || q.read().get("q").unwrap_or_default().trim().to_string();
    let contacts = Resource::new(search, list_contacts);
    let is_admin = move || {
        use_context::<UserCtx>()
            .and_then(|u| u.0.get().flatten())
            .map(|u| u.is_admin())
            .unwrap_or(false)
    };
    view! {
        <leptos_meta::Title text="Contacts · Deliverdesk" />
        <h1>"Contacts"</h1>
        <form method="get" action="/contacts" class="search" role="search" data-testid="contact-search">
            <input
                type="search"
                name="q"
                placeholder="Find a contact: address or name"
                value=search
                aria-label="Find a contact"
                data-testid="contact-q"
            />
            <button type="submit">"Search"</button>
        </form>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match contacts.await {
                    Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                    Ok(list) if list.is_empty() && !search().is_empty() => {
                        view! {
                            <p class="muted empty" data-testid="contacts-empty">
                                "No contact's address or name contains “"{search()}"”."
                            </p>
                        }
                            .into_any()
                    }
                    Ok(list) if list.is_empty() => {
                        view! {
                            <p class="muted empty" data-testid="contacts-empty">
                                "No contacts yet. Everyone who writes to your inbound addresses, and everyone                                  you reply to or add to a campaign list, appears here with their delivery status."
                            </p>
                        }
                            .into_any()
                    }
                    Ok(list) => {
                        let total = list.len();
                        let (list, last) = super::page_of(list, page(), PER_PAGE);
                        let query = search();
                        let link: Box<dyn Fn(usize) -> String + Send + Sync> =
                            Box::new(move |p: usize| {
                                if query.is_empty() {
                                    format!("/contacts?page={p}")
                                } else {
                                    format!("/contacts?q={}&page={p}", super::urlencode(&query))
                                }
                            });
                        view! {
                            <table class="list" data-testid="contact-list">
                                <thead>
                                    <tr>
                                        <th>"Email"</th>
                                        <th>"Name"</th>
                                        <th>"Status"</th>
                                        <th>"Since"</th>
                                        <th><span class="sr-only">"Actions"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list
                                        .into_iter()
                                        .map(|c| view! { <ContactRow c is_admin=is_admin() /> })
                                        .collect_view()}
                                </tbody>
                            </table>
                            <super::Pager page=page() last total noun=("contact", "contacts") link />
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

fn status_label(c: &ContactView) -> String {
    let base = match c.status.as_str() {
        "active" => "active".to_string(),
        "hard_bounce" => "hard bounce".to_string(),
        "soft_bounce" => "soft bounce".to_string(),
        "complaint" => "complaint".to_string(),
        other => other.replace('_', " "),
    };
    match &c.status_until {
        Some(t) if c.status != "active" => format!("{base} until {}", fmt_time(t)),
        _ => base,
    }
}

#[component]
fn ContactRow(c: ContactView, is_admin: bool) -> impl IntoView {
    let label = status_label(&c);
    // Marked by this account's own events, or held by an entry for every account.
    let suppressed = c.status != "active" || c.global.is_some();
    let email = c.email.clone();
    view! {
        <tr data-testid="contact-row" data-email=c.email.clone()>
            <td>
                {c.email.clone()}
                <br />
                <a
                    class="small"
                    href=format!("/contacts/history?email={}", super::urlencode(&c.email))
                    aria-label=format!("History of {}", c.email)
                    data-testid="contact-history-link"
                >
                    "History"
                </a>
            </td>
            <td>{c.name.clone().unwrap_or_default()}</td>
            <td>
                <span class=format!("badge contact-{}", c.status) data-testid="contact-status">
                    {label}
                </span>
                {c
                    .global
                    .clone()
                    .map(|g| {
                        view! {
                            <div data-testid="contact-global">
                                <span class="badge contact-global">{g}</span>
                            </div>
                            <div class="muted small" data-testid="contact-global-evidence">
                                {c.global_evidence.clone().unwrap_or_default()}
                            </div>
                        }
                    })}
                {c
                    .status_reason
                    .clone()
                    .filter(|_| c.status != "active")
                    .map(|r| {
                        let event = c.status_event_id.map(|id| format!(" (event #{id})")).unwrap_or_default();
                        view! { <div class="muted small">{r} {event}</div> }
                    })}
            </td>
            <td>{fmt_time(&c.created_at)}</td>
            <td>
                {(is_admin && suppressed).then(|| view! { <ReactivateInRow email /> })}
            </td>
        </tr>
    }
}

/// "Reactivate", then the reason and "Confirm"; the page loads again to show the new status.
#[island]
fn ReactivateInRow(email: String) -> impl IntoView {
    let asking = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let on_submit =
        move |ev: leptos::ev::SubmitEvent| {
            super::forms::submit(ev, ReactivateContact::url().to_string(), move |outcome| {
                match outcome {
                    Ok(_) => super::reload(),
                    Err(message) => error.set(Some(message)),
                }
            });
        };
    let email = StoredValue::new(email);
    view! {
        <Show
            when=move || asking.get()
            fallback=move || {
                view! {
                    <button type="button" on:click=move |_| asking.set(true)>
                        "Reactivate"
                    </button>
                }
            }
        >
            <form method="post" action=ReactivateContact::url() class="inline-form" on:submit=on_submit>
                <input type="hidden" name="email" value=email.get_value() />
                <input
                    type="text"
                    name="reason"
                    placeholder="Reason (required)"
                    aria-label="Reason for reactivation"
                    required
                />
                <button type="submit">"Confirm"</button>
            </form>
        </Show>
        {move || error.get().map(|message| view! { <ErrorNote message /> })}
    }
}

/// The address history's reactivation form; the page loads again to show the new state.
#[component]
fn ReactivateAddress(email: String) -> impl IntoView {
    view! {
        <PostForm url=ReactivateContact::url() class="inline-form" testid="" error_testid="" then=Then::Reload>
            <input type="hidden" name="email" value=email />
            <label>
                "Reason"
                <input type="text" name="reason" placeholder="e.g. customer fixed their mailbox" required />
            </label>
            <button type="submit">"Reactivate"</button>
        </PostForm>
    }
}

/// One address's suppressions, newest first: category, reason, the provider's words, the raw
/// notice (as text), scope and why, since / until; admins can reactivate it right here.
/// Reached from a red delivery badge and from Contacts.
#[component]
pub fn AddressHistoryPage() -> impl IntoView {
    let q = use_query_map();
    let email = move || q.read().get("email").unwrap_or_default();
    let history = Resource::new(email, get_address_history);
    let is_admin = move || {
        use_context::<UserCtx>()
            .and_then(|u| u.0.get().flatten())
            .map(|u| u.is_admin())
            .unwrap_or(false)
    };
    view! {
        <Title text=move || format!("{} · Address history · Deliverdesk", email()) />
        <p><a href="/contacts">"← Contacts"</a></p>
        <h1>"Address history: " {email}</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match history.await {
                    Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                    Ok(h) => {
                        let state = if h.suppressed_now {
                            "Mail to this address is refused now."
                        } else {
                            "Mail to this address is allowed now."
                        };
                        let address = StoredValue::new(h.address.clone());
                        let suppressed = h.suppressed_now;
                        view! {
                            <p data-testid="history-state" class=if suppressed { "rate-status-paused" } else { "muted" }>
                                {state}
                            </p>
                            <Show when=move || is_admin() && suppressed>
                                <section class="panel" data-testid="history-reactivate">
                                    <h2>"Reactivate"</h2>
                                    <p class="muted small">
                                        "Lets this account mail the address again. The reason is kept in Org Logging."
                                    </p>
                                    <ReactivateAddress email=address.get_value() />
                                </section>
                            </Show>
                            {if h.entries.is_empty() {
                                view! {
                                    <p class="muted empty" data-testid="history-empty">
                                        "No bounce, complaint or unsubscribe was ever recorded for this address. \
                                         When one arrives (by webhook, bounce notice or at send time) it shows here \
                                         with the provider's words and the raw notice."
                                    </p>
                                }
                                    .into_any()
                            } else {
                                view! {
                                    <ol class="history" data-testid="history">
                                        {h.entries.into_iter().map(|e| view! { <SuppressionItem e /> }).collect_view()}
                                    </ol>
                                }
                                    .into_any()
                            }}
                            {(!h.reactivations.is_empty())
                                .then(|| {
                                    view! {
                                        <h2>"Reactivations"</h2>
                                        <ul data-testid="history-reactivations">
                                            {h
                                                .reactivations
                                                .into_iter()
                                                .map(|r| {
                                                    view! {
                                                        <li>
                                                            {fmt_time(&r.at)} " · " {r.actor} ": " {r.reason}
                                                        </li>
                                                    }
                                                })
                                                .collect_view()}
                                        </ul>
                                    }
                                })}
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn SuppressionItem(e: SuppressionView) -> impl IntoView {
    let when = match (&e.ended_at, &e.until) {
        (Some(t), _) => format!("since {} · ended {}", fmt_time(&e.since), fmt_time(t)),
        (None, Some(u)) => format!("since {} · until {}", fmt_time(&e.since), fmt_time(u)),
        (None, None) => format!("since {} · until reactivated", fmt_time(&e.since)),
    };
    let state = if e.active {
        "holds now"
    } else {
        "no longer holds"
    };
    view! {
        <li class="card" data-testid="history-entry" data-active=e.active.to_string()>
            <p>
                <span class="badge delivery-error">{e.category.replace('_', " ")}</span>
                " "
                <span class="badge" data-testid="history-scope">{e.scope.clone()}</span>
                " "
                <strong>{state}</strong>
            </p>
            <dl class="facts">
                <dt>"Reason"</dt>
                <dd data-testid="history-reason">{e.reason}</dd>
                <dt>"Scope"</dt>
                <dd data-testid="history-scope-why">{e.scope_why}</dd>
                <dt>"When"</dt>
                <dd>{when}</dd>
            </dl>
            {e.notice.map(|n| view! { <Notice n /> })}
        </li>
    }
}

#[component]
fn Notice(n: NoticeView) -> impl IntoView {
    let heading = format!(
        "Event #{} · {} · received {}",
        n.event_id,
        n.category.replace('_', " "),
        fmt_time(&n.received_at)
    );
    view! {
        <div class="notice" data-testid="history-notice">
            <p class="muted small">{heading}</p>
            <dl class="facts">
                {n.code.map(|c| view! { <dt>"Code"</dt> <dd>{c}</dd> })}
                {n.provider.map(|p| view! { <dt>"Reported by"</dt> <dd>{p}</dd> })}
                {n.reason.map(|r| view! { <dt>"Classified as"</dt> <dd>{r}</dd> })}
                {n
                    .diagnostic
                    .map(|d| {
                        view! {
                            <dt>"The provider's words"</dt>
                            <dd data-testid="history-diagnostic"><q>{d}</q></dd>
                        }
                    })}
                {n.remote_mta.map(|m| view! { <dt>"Remote server"</dt> <dd>{m}</dd> })}
                {n.feedback_type.map(|f| view! { <dt>"Feedback type"</dt> <dd>{f}</dd> })}
            </dl>
            {match (n.own, n.raw) {
                (true, Some(raw)) => {
                    let cut = n.raw_truncated.then_some(" (cut at 64 KiB)");
                    view! {
                        <details class="raw-notice">
                            <summary data-testid="raw-notice-toggle">"Raw notice" {cut}</summary>
                            <pre data-testid="raw-notice" tabindex="0">{raw}</pre>
                        </details>
                    }
                        .into_any()
                }
                (true, None) => view! { <p class="muted small">"No raw notice was kept for this event."</p> }.into_any(),
                (false, _) => {
                    view! {
                        <p class="muted small" data-testid="notice-elsewhere">
                            "Reported to another account: its notice stays with that account."
                        </p>
                    }
                        .into_any()
                }
            }}
        </div>
    }
}
