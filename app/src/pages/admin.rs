//! Admin pages. The server refuses agents before these render (403); the server functions
//! they call refuse agents too.

use super::ErrorNote;
use crate::api::get_account_overview;
use leptos::prelude::*;

#[component]
fn AccountBox() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_account_overview());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match overview.await {
                    Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                    Ok(o) => {
                        view! {
                            <p class="muted" data-testid="account-overview">
                                {o.account_name} " · " {o.users} " users"
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
pub fn EmailChannelPage() -> impl IntoView {
    view! {
        <h1>"Apps › Channels › Email"</h1>
        <AccountBox />
    }
}

#[component]
pub fn SpamFiltersPage() -> impl IntoView {
    view! {
        <h1>"Settings › Administration › Spam Filters"</h1>
        <AccountBox />
    }
}

#[component]
pub fn OrgLoggingPage() -> impl IntoView {
    view! {
        <h1>"Org Logging"</h1>
        <AccountBox />
    }
}
