//! Admin pages. The server refuses agents before these render (403); the server functions
//! they call refuse agents too.

mod email_channel;
mod org_logging;
mod rates;
mod spam_filters;

pub use email_channel::*;
pub use org_logging::*;
pub use spam_filters::*;

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
