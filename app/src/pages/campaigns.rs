//! Apps > Campaigns (admins): contact lists, and campaigns sent to them through a bulk sender
//! address. Suppressed addresses are removed before sending and counted; progress updates
//! while a campaign runs.

use super::{fmt_time, ErrorNote, PostForm, Then};
use crate::api::CreateList;
use crate::api::{campaigns_progress, get_campaigns, StartCampaign};
use crate::models::{count_of, CampaignView, CampaignsView};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

#[component]
pub fn CampaignsPage() -> impl IntoView {
    let query = use_query_map();
    // Set after a campaign starts: the page then says what its preparation did.
    let prepared = move || {
        query
            .read()
            .get("prepared")
            .and_then(|p| p.parse::<i64>().ok())
    };
    let data = Resource::new(|| (), |_| get_campaigns());
    view! {
        <leptos_meta::Title text="Campaigns · Deliverdesk" />
        <h1>"Apps › Campaigns"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                    Ok(v) => view! { <CampaignsBody v prepared=prepared() /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// While a campaign sends, asks the server every second whether any campaign's status or
/// counts moved, and loads the page again when they did: at once for a new status (sent,
/// paused), after at least five seconds on the page for counts alone, so a page under way
/// is still readable (and idle between polls), and never while the admin is typing in a form.
#[island]
fn RefreshWhileSending(signature: String) -> impl IntoView {
    Effect::new(move |_| {
        let signature = signature.clone();
        let polls = StoredValue::new(0u32);
        let handle = set_interval_with_handle(
            move || {
                let signature = signature.clone();
                polls.update_value(|n| *n += 1);
                let waited = polls.get_value() >= 5;
                leptos::task::spawn_local(async move {
                    if let Ok(now) = campaigns_progress().await {
                        let moved = now != signature;
                        let new_status = statuses(&now) != statuses(&signature);
                        if moved && (new_status || waited) && !typing() {
                            super::reload();
                        }
                    }
                });
            },
            std::time::Duration::from_millis(1000),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });
}

/// The `id:status` parts of a progress signature.
fn statuses(signature: &str) -> Vec<String> {
    signature
        .split(',')
        .map(|c| c.splitn(3, ':').take(2).collect::<Vec<_>>().join(":"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::statuses;

    #[test]
    fn a_status_change_is_told_from_a_count_change() {
        let before = "7:sending:10:0,3:sent:5:1";
        assert_eq!(statuses(before), statuses("7:sending:12:1,3:sent:5:1"));
        assert_ne!(statuses(before), statuses("7:sent:20:0,3:sent:5:1"));
        assert_ne!(
            statuses(before),
            statuses("8:sending:0:0,7:sending:10:0,3:sent:5:1")
        );
    }
}

/// Whether the focus is in a form field (a reload now would lose what is being typed).
fn typing() -> bool {
    #[cfg(feature = "hydrate")]
    {
        document()
            .active_element()
            .map(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
            .unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

#[component]
fn CampaignsBody(v: CampaignsView, prepared: Option<i64>) -> impl IntoView {
    let lists = v.lists.clone();
    let senders = v.senders.clone();
    let refresh = v
        .sending()
        .then(|| view! { <RefreshWhileSending signature=v.progress_signature() /> });
    let prepared = prepared
        .and_then(|id| v.campaigns.iter().find(|c| c.id == id))
        .map(|c| {
            view! {
                <p class="saved" role="status" data-testid="campaign-prepared">
                    {format!(
                        "Campaign #{}: {} contacts, {} suppressed addresses removed, {} queued.",
                        c.id,
                        c.total,
                        c.skipped_suppressed,
                        (c.total - c.skipped_suppressed).max(0),
                    )}
                </p>
            }
        });
    view! {
        {refresh}
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
                    // Once prepared, the page loads with what preparation did.
                    <PostForm
                        url=StartCampaign::url()
                        class="form"
                        testid=""
                        error_testid=""
                        then=Then::ShowPreparedCampaign
                    >
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
                    </PostForm>
                }
                    .into_any()
            }}
            {prepared}
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
            <PostForm url=CreateList::url() class="form" testid="list-form" error_testid="" then=Then::Reload>
                <label>"List name" <input type="text" name="name" required /></label>
                <label>
                    "Addresses (one per line)"
                    <textarea name="addresses" rows="4" required></textarea>
                </label>
                <button type="submit">"Create list"</button>
            </PostForm>
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
