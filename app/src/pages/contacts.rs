use super::{fmt_time, ErrorNote, UserCtx};
use crate::api::{list_contacts, ReactivateContact};
use crate::models::ContactView;
use leptos::prelude::*;

#[component]
pub fn ContactsPage() -> impl IntoView {
    let reactivate = ServerAction::<ReactivateContact>::new();
    // Reload the list after each reactivation.
    let contacts = Resource::new(move || reactivate.version().get(), |_| list_contacts());
    let is_admin = move || {
        use_context::<UserCtx>()
            .and_then(|u| u.0.get().flatten())
            .map(|u| u.is_admin())
            .unwrap_or(false)
    };
    view! {
        <h1>"Contacts"</h1>
        {move || {
            reactivate
                .value()
                .get()
                .and_then(|r| r.err())
                .map(|e| view! { <ErrorNote message=e.to_string() /> })
        }}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match contacts.await {
                    Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                    Ok(list) => {
                        view! {
                            <table class="list" data-testid="contact-list">
                                <thead>
                                    <tr>
                                        <th>"Email"</th>
                                        <th>"Name"</th>
                                        <th>"Status"</th>
                                        <th>"Since"</th>
                                        <th></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list
                                        .into_iter()
                                        .map(|c| view! { <ContactRow c reactivate is_admin=is_admin() /> })
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
fn ContactRow(
    c: ContactView,
    reactivate: ServerAction<ReactivateContact>,
    is_admin: bool,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    let label = status_label(&c);
    // Marked by this account's own events, or held by an entry for every account.
    let suppressed = c.status != "active" || c.global.is_some();
    let email = StoredValue::new(c.email.clone());
    view! {
        <tr data-testid="contact-row" data-email=c.email.clone()>
            <td>{c.email.clone()}</td>
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
                <Show when=move || is_admin && suppressed>
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
                        <ActionForm action=reactivate attr:class="inline-form">
                            <input type="hidden" name="email" value=email.get_value() />
                            <input
                                type="text"
                                name="reason"
                                placeholder="Reason (required)"
                                aria-label="Reason for reactivation"
                                required
                            />
                            <button type="submit">"Confirm"</button>
                        </ActionForm>
                    </Show>
                </Show>
            </td>
        </tr>
    }
}
