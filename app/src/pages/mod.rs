mod admin;
mod campaigns;
mod contacts;
mod conversation;
mod conversations;
mod layout;
mod login;
mod reporting;
mod users;

pub use admin::*;
pub use campaigns::*;
pub use contacts::*;
pub use conversation::*;
pub use conversations::*;
pub use layout::*;
pub use login::*;
pub use reporting::*;
pub use users::*;

use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// Dates as agents read them: "2026-11-23 14:05 UTC".
pub(crate) fn fmt_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A friendly box for a failed load.
#[component]
pub(crate) fn ErrorNote(message: String) -> impl IntoView {
    view! { <p class="error-note" role="alert">{message}</p> }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <main class="centered">
            <h1>"Page not found"</h1>
            <a href="/conversations">"Back to conversations"</a>
        </main>
    }
}
