use super::{fmt_time, ErrorNote};
use crate::api::list_contacts;
use leptos::prelude::*;

#[component]
pub fn ContactsPage() -> impl IntoView {
    let contacts = Resource::new(|| (), |_| list_contacts());
    view! {
        <h1>"Contacts"</h1>
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
                                    </tr>
                                </thead>
                                <tbody>
                                    {list
                                        .into_iter()
                                        .map(|c| {
                                            view! {
                                                <tr data-testid="contact-row">
                                                    <td>{c.email}</td>
                                                    <td>{c.name.unwrap_or_default()}</td>
                                                    <td>
                                                        <span class=format!(
                                                            "badge contact-{}",
                                                            c.status,
                                                        )>{c.status.replace('_', " ")}</span>
                                                    </td>
                                                    <td>{fmt_time(&c.created_at)}</td>
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
