//! The spam filters page: the block list and the allow list.

use super::AccountBox;
use crate::api::{get_allow_list, get_block_list};
use crate::api::{AddAllow, AddBlock, RemoveAllow, RemoveBlock};
use crate::models::BlockEntryView;
use crate::pages::{ErrorNote, PostForm, Then};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
pub fn SpamFiltersPage() -> impl IntoView {
    view! {
        <leptos_meta::Title text="Spam Filters · Deliverdesk" />
        <SpamFiltersBody />
    }
}

/// The block list; its forms are islands that load the page again after a change.
#[component]
fn SpamFiltersBody() -> impl IntoView {
    let list = Resource::new(|| (), |_| get_block_list());
    view! {
        <h1>"Settings › Administration › Spam Filters"</h1>
        <AccountBox />
        <section class="panel">
            <h2>"Block list"</h2>
            <p class="muted small">
                "Mail from a blocked address, or from a blocked domain and its subdomains, never                  reaches the open queue: it is stored as spam and stays searchable."
            </p>
            <PostForm url=AddBlock::url() class="settings-form" testid="block-form" error_testid="" then=Then::Reload>
                <label>
                    "Address or domain"
                    <input type="text" name="value" placeholder="bob@spam.test or spam.test" required />
                </label>
                <label>
                    "Reason"
                    <input type="text" name="reason" placeholder="optional" />
                </label>
                <button type="submit">"Block"</button>
            </PostForm>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                        Ok(entries) if entries.is_empty() => {
                            view! {
                                <p class="muted empty" data-testid="block-list-empty">
                                    "Nobody is blocked. Senders appear here when you add them above or                                      when an agent marks a conversation as spam."
                                </p>
                            }
                                .into_any()
                        }
                        Ok(entries) => {
                            view! {
                                <table class="list" data-testid="block-list">
                                    <thead>
                                        <tr>
                                            <th>"Blocked"</th>
                                            <th>"Kind"</th>
                                            <th>"Reason"</th>
                                            <th>"Added by"</th>
                                            <th>"When"</th>
                                            <th><span class="sr-only">"Actions"</span></th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {entries
                                            .into_iter()
                                            .map(|e| view! { <BlockRow e /> })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
        <AllowListPanel />
    }
}

/// Senders whose mail is never marked spam by its score (the block list still wins).
#[component]
fn AllowListPanel() -> impl IntoView {
    let list = Resource::new(|| (), |_| get_allow_list());
    view! {
        <section class="panel" data-testid="allow-list-panel">
            <h2>"Allowlist"</h2>
            <p class="muted small">
                "Mail from an allowed address, or from an allowed domain and its subdomains, is                  never marked spam by its score: it reaches the open queue whatever it scores. The                  block list still wins. Each time the allowlist overrides a score, Org Logging says so."
            </p>
            <PostForm url=AddAllow::url() class="settings-form" testid="allow-form" error_testid="" then=Then::Reload>
                <label>
                    "Address or domain to allow"
                    <input type="text" name="value" placeholder="alice@partner.test or partner.test" required />
                </label>
                <label>
                    "Reason for allowing"
                    <input type="text" name="reason" placeholder="optional" />
                </label>
                <button type="submit">"Allow"</button>
            </PostForm>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                        Ok(entries) if entries.is_empty() => {
                            view! {
                                <p class="muted empty" data-testid="allow-list-empty">
                                    "Nobody is allowed yet. Add a partner's address or domain above when                                      their mail is wrongly marked spam."
                                </p>
                            }
                                .into_any()
                        }
                        Ok(entries) => {
                            view! {
                                <table class="list" data-testid="allow-list">
                                    <thead>
                                        <tr>
                                            <th>"Allowed"</th>
                                            <th>"Kind"</th>
                                            <th>"Reason"</th>
                                            <th>"Added by"</th>
                                            <th>"When"</th>
                                            <th><span class="sr-only">"Actions"</span></th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {entries
                                            .into_iter()
                                            .map(|e| {
                                                let kind = if e.kind == "domain" { "domain and subdomains" } else { "address" };
                                                let label = format!("Remove {} from the allowlist", e.value);
                                                view! {
                                                    <tr data-testid="allow-row" data-value=e.value.clone()>
                                                        <td><code>{e.value.clone()}</code></td>
                                                        <td>{kind}</td>
                                                        <td>{e.reason}</td>
                                                        <td>{e.added_by}</td>
                                                        <td>{crate::pages::fmt_time(&e.added_at)}</td>
                                                        <td>
                                                            <PostForm url=RemoveAllow::url() class="inline-form" testid="" error_testid="" then=Then::Reload>
                                                                <input type="hidden" name="id" value=e.id.to_string() />
                                                                <button type="submit" aria-label=label>"Remove"</button>
                                                            </PostForm>
                                                        </td>
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
        </section>
    }
}

#[component]
fn BlockRow(e: BlockEntryView) -> impl IntoView {
    let kind = if e.kind == "domain" {
        "domain and subdomains"
    } else {
        "address"
    };
    let when = crate::pages::fmt_time(&e.added_at);
    let label = format!("Unblock {}", e.value);
    let id = e.id.to_string();
    let value = e.value;
    view! {
        <tr data-testid="block-row" data-value=value.clone()>
            <td><code>{value.clone()}</code></td>
            <td>{kind}</td>
            <td>{e.reason}</td>
            <td>{e.added_by}</td>
            <td>{when}</td>
            <td>
                <PostForm url=RemoveBlock::url() class="inline-form" testid="" error_testid="" then=Then::Reload>
                    <input type="hidden" name="id" value=id />
                    <button type="submit" aria-label=label>"Unblock"</button>
                </PostForm>
            </td>
        </tr>
    }
}
