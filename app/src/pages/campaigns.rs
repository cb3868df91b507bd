//! Apps > Campaigns (admins): contact lists, and campaigns sent to them through a bulk sender
//! address. Suppressed addresses are removed before sending and counted; progress updates
//! while a campaign runs.

use super::{fmt_time, ErrorNote};
use crate::api::{get_campaigns, CreateList, StartCampaign};
use crate::models::{count_of, CampaignView, CampaignsView};
use leptos::prelude::*;

#[component]
pub fn CampaignsPage() -> impl IntoView {
    let create_list = ServerAction::<CreateList>::new();
    let start = ServerAction::<StartCampaign>::new();
    // Bumped every second while a campaign is sending, so progress shows as it happens.
    let tick = RwSignal::new(0u32);
    let data = Resource::new(
        move || {
            (
                create_list.version().get(),
                start.version().get(),
                tick.get(),
            )
        },
        |_| get_campaigns(),
    );
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                let sending = data
                    .get_untracked()
                    .and_then(|r| r.ok())
                    .map(|v: CampaignsView| v.campaigns.iter().any(|c| c.status == "sending"))
                    .unwrap_or(false);
                if sending {
                    tick.update(|t| *t += 1);
                }
            },
            std::time::Duration::from_millis(1000),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });
    view! {
        <leptos_meta::Title text="Campaigns · Deliverdesk" />
        <h1>"Apps › Campaigns"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                    Ok(v) => view! { <CampaignsBody v create_list start /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn CampaignsBody(
    v: CampaignsView,
    create_list: ServerAction<CreateList>,
    start: ServerAction<StartCampaign>,
) -> impl IntoView {
    let lists = v.lists.clone();
    let senders = v.senders.clone();
    view! {
        <section class="panel" data-testid="new-campaign">
            <h2>"New campaign"</h2>
            {if senders.is_empty() {
                view! {
                    <p class="muted">
                        "Add a bulk sender address under Apps › Channels › Email first."
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <ActionForm action=start attr:class="form">
                        <label>
                            "List"
                            <select name="list_id">
                                {lists
                                    .iter()
                                    .map(|l| {
                                        view! {
                                            <option value=l.id.to_string()>
                                                {format!("{} ({})", l.name, count_of(l.members, "contact", "contacts"))}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                        </label>
                        <label>
                            "From"
                            <select name="sender_id">
                                {senders
                                    .iter()
                                    .map(|s| view! { <option value=s.id.to_string()>{s.address.clone()}</option> })
                                    .collect_view()}
                            </select>
                        </label>
                        <label>"Subject" <input type="text" name="subject" required /></label>
                        <label>"Text" <textarea name="body" rows="5" required></textarea></label>
                        <button type="submit">"Send campaign"</button>
                    </ActionForm>
                }
                    .into_any()
            }}
            {move || match start.value().get() {
                Some(Err(e)) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                Some(Ok(p)) => {
                    view! {
                        <p class="saved" role="status" data-testid="campaign-prepared">
                            {format!(
                                "Campaign #{}: {} contacts, {} suppressed addresses removed, {} queued.",
                                p.campaign_id,
                                p.total,
                                p.skipped_suppressed,
                                p.queued,
                            )}
                        </p>
                    }
                        .into_any()
                }
                None => ().into_any(),
            }}
        </section>
        <section class="panel">
            <h2>"Campaigns"</h2>
            <table class="list" data-testid="campaign-list">
                <thead>
                    <tr>
                        <th>"#"</th>
                        <th>"Subject"</th>
                        <th>"List"</th>
                        <th>"Status"</th>
                        <th>"Progress"</th>
                        <th>"Suppressed, skipped"</th>
                        <th>"Failed"</th>
                        <th>"Started"</th>
                    </tr>
                </thead>
                <tbody>
                    {v.campaigns.is_empty().then(|| view! {
                        <tr>
                            <td colspan="8" class="muted empty" data-testid="campaigns-empty">
                                "No campaigns yet. Create a contact list below, then send a campaign to it                                  from a bulk sender address; its progress shows here."
                            </td>
                        </tr>
                    })}
                    {v.campaigns.into_iter().map(|c| view! { <CampaignRow c /> }).collect_view()}
                </tbody>
            </table>
        </section>
        <section class="panel">
            <h2>"Contact lists"</h2>
            <table class="list" data-testid="list-list">
                <tbody>
                    {v
                        .lists
                        .into_iter()
                        .map(|l| {
                            let name = l.name.clone();
                            view! {
                                <tr data-testid="list-row" data-name=name>
                                    <td>{l.name}</td>
                                    <td data-testid="list-members">{count_of(l.members, "contact", "contacts")}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <ActionForm action=create_list attr:class="form" attr:data-testid="list-form">
                <label>"List name" <input type="text" name="name" required /></label>
                <label>
                    "Addresses (one per line)"
                    <textarea name="addresses" rows="4" required></textarea>
                </label>
                <button type="submit">"Create list"</button>
            </ActionForm>
            {move || {
                create_list
                    .value()
                    .get()
                    .and_then(|r| r.err())
                    .map(|e| view! { <ErrorNote message=e.to_string() /> })
            }}
        </section>
    }
    .into_any()
}

#[component]
fn CampaignRow(c: CampaignView) -> impl IntoView {
    let to_send = (c.total - c.skipped_suppressed).max(0);
    let done = c.sent + c.failed;
    view! {
        <tr data-testid="campaign-row" data-status=c.status.clone()>
            <td>{c.id}</td>
            <td>{c.subject.clone()}</td>
            <td>{c.list_name.clone()}</td>
            <td><span class=format!("badge campaign-{}", c.status)>{c.status.clone()}</span></td>
            <td>
                <progress
                    max=to_send.max(1).to_string()
                    value=done.to_string()
                    aria-label=format!("Campaign #{} progress", c.id)
                ></progress>
                " "
                <span data-testid="campaign-progress">{format!("{} sent of {}", c.sent, to_send)}</span>
            </td>
            <td data-testid="campaign-skipped">{c.skipped_suppressed}</td>
            <td data-testid="campaign-failed">{c.failed}</td>
            <td>{fmt_time(&c.created_at)}</td>
        </tr>
    }
    .into_any()
}
