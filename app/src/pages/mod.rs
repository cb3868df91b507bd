mod admin;
mod campaigns;
mod contacts;
mod conversation;
mod conversations;
pub(crate) mod forms;
mod layout;
mod login;
mod reporting;
mod users;

pub use admin::*;
pub use campaigns::*;
pub use contacts::*;
pub use conversation::*;
pub use conversations::*;
pub(crate) use forms::{Answer, PostForm, Then};
pub use layout::*;
pub use login::*;
pub use reporting::*;
pub use users::*;

use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// Loads `href` in the browser, fresh from the server (nothing on the server).
pub(crate) fn go_to(href: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_href(href);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = href;
}

/// Loads the page again: the server renders what an island's action changed (an island holds
/// only its own state, not the page's data).
pub(crate) fn reload() {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.location().reload();
    }
}

/// Dates as agents read them: "2026-11-23 14:05 UTC".
pub(crate) fn fmt_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A query-string value, percent-encoded.
pub(crate) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'@' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The `page`th (0-based) slice of `per` items, and the last page's number.
pub(crate) fn page_of<T>(items: Vec<T>, page: usize, per: usize) -> (Vec<T>, usize) {
    let per = per.max(1);
    let last = items.len().saturating_sub(1) / per;
    let page = page.min(last);
    (items.into_iter().skip(page * per).take(per).collect(), last)
}

/// "← Newer · page 2 of 5 · Older →" links; `link(n)` is page n's address.
#[component]
pub(crate) fn Pager(
    page: usize,
    last: usize,
    total: usize,
    noun: (&'static str, &'static str),
    link: Box<dyn Fn(usize) -> String + Send + Sync>,
) -> impl IntoView {
    let page = page.min(last);
    view! {
        <nav class="pager" aria-label="Pages" data-testid="pager">
            <span class="muted">
                {crate::models::count_of(total as i64, noun.0, noun.1)} " · page " {page + 1} " of "
                {last + 1}
            </span>
            {(page > 0).then(|| view! { <a href=link(page - 1)>"← Previous"</a> })}
            {(page < last).then(|| view! { <a href=link(page + 1)>"Next →"</a> })}
        </nav>
    }
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
        <leptos_meta::Title text="Page not found · Deliverdesk" />
        <main class="centered">
            <h1>"Page not found"</h1>
            <a href="/conversations">"Back to conversations"</a>
        </main>
    }
}
