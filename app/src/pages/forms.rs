//! Forms whose result the page shows after it loads again. One small island serves them all:
//! the inputs are rendered on the server as the island's children; the island posts them to
//! the server function at `url` the way `ActionForm` does (URL-encoded, asking for JSON), shows
//! a refusal in place (the inputs keep what was typed) and loads the page again once the
//! change is made. It is not generic over the server function, so the browser bundle holds
//! it once, not once per form. Without JavaScript the form still posts, and the server sends
//! the browser back to the page.

use super::ErrorNote;
use leptos::prelude::*;

/// A `<form>` posting its (server-rendered) fields to the server function at `url`
/// (`<F as ServerFn>::url()`). `class` and `testid` go on the `<form>`; an empty `testid`
/// adds none.
#[island]
pub fn FormThenReload(
    #[prop(into)] url: String,
    #[prop(into)] class: String,
    #[prop(into)] testid: String,
    children: Children,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let target = url.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(form) = ev
                .target()
                .and_then(|t| t.dyn_into::<leptos::web_sys::HtmlFormElement>().ok())
            else {
                return;
            };
            let url = target.clone();
            busy.set(true);
            leptos::task::spawn_local(async move {
                match browser::post_form(&url, &form).await {
                    Ok(()) => super::reload(),
                    Err(message) => {
                        error.set(Some(message));
                        busy.set(false);
                    }
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &target;
    };
    let testid = (!testid.is_empty()).then_some(testid);
    view! {
        <form method="post" action=url class=class data-testid=testid on:submit=on_submit>
            {children()}
        </form>
        {move || error.get().map(|message| view! { <ErrorNote message /> })}
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use crate::error::ApiError;
    use leptos::web_sys::{FormData, HtmlFormElement, RequestInit, Response, UrlSearchParams};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    /// Posts the form; `Err` is what the agent reads.
    pub(super) async fn post_form(url: &str, form: &HtmlFormElement) -> Result<(), String> {
        let failed =
            |_: JsValue| "The request could not be sent; check the connection.".to_string();
        let data = FormData::new_with_form(form).map_err(failed)?;
        let body = UrlSearchParams::new_with_str_sequence_sequence(&data).map_err(failed)?;
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_body(&body);
        let headers = leptos::web_sys::Headers::new().map_err(failed)?;
        headers.set("Accept", "application/json").map_err(failed)?;
        init.set_headers(&headers);
        let window = leptos::web_sys::window().ok_or("no window")?;
        let response: Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
            .await
            .map_err(failed)?
            .dyn_into()
            .map_err(failed)?;
        if response.ok() {
            return Ok(());
        }
        let status = response.status();
        let text = match response.text() {
            Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()),
            Err(_) => None,
        };
        Err(text
            .and_then(|t| serde_json::from_str::<ApiError>(&t).ok())
            .map(|e| e.to_string())
            .unwrap_or_else(|| format!("The server refused the request ({status}).")))
    }
}
