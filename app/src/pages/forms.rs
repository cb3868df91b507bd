//! Every form that posts to a server function, through one small island. The inputs are
//! rendered on the server as the island's children; the island posts them the way
//! `ActionForm` does (URL-encoded, asking for JSON), shows a refusal in place (the inputs keep
//! what was typed) and, on success, does what [`Then`] says: load the page again, go to
//! another page, or say what the server answered. It is not generic over the server function,
//! so the browser bundle holds it once, not once per form (and no form-data deserializer at
//! all). Without JavaScript the form still posts, and the server sends the browser back.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What a form does once the server accepted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Then {
    /// Load the page again: the server renders the change.
    Reload,
    /// Go to this address (after signing in).
    GoTo(String),
    /// Say what the server answered, as a status line next to the form.
    Say(Answer),
    /// A campaign was prepared: its page says what preparation did.
    ShowPreparedCampaign,
}

/// How to read the server's answer for [`Then::Say`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Answer {
    /// `Vec<String>`: the trusted authserv-ids now.
    TrustedForwarders,
    /// `Option<String>`: the SNS topic now.
    SnsTopic,
    /// `String`: a new password, shown once.
    NewPassword,
    /// `()`: the password was changed.
    PasswordChanged,
}

/// A `<form>` posting its (server-rendered) fields to the server function at `url`
/// (`<F as ServerFn>::url()`). `class` and `testid` go on the `<form>` (an empty `testid`
/// adds none); `error_testid` on a refusal's message.
#[island]
pub fn PostForm(
    #[prop(into)] url: String,
    #[prop(into)] class: String,
    #[prop(into)] testid: String,
    #[prop(into)] error_testid: String,
    then: Then,
    children: Children,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let said = RwSignal::new(None::<Said>);
    let busy = RwSignal::new(false);
    let target = url.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if busy.get_untracked() {
            ev.prevent_default();
            return;
        }
        busy.set(true);
        let then = then.clone();
        submit(ev, target.clone(), move |outcome| {
            busy.set(false);
            match outcome {
                Ok(body) => {
                    error.set(None);
                    match then {
                        Then::Reload => super::reload(),
                        Then::GoTo(to) => super::go_to(&to),
                        Then::ShowPreparedCampaign => {
                            let id = serde_json::from_str::<serde_json::Value>(&body)
                                .ok()
                                .and_then(|v| v.get("campaign_id").and_then(|i| i.as_i64()));
                            match id {
                                Some(id) => super::go_to(&format!("/apps/campaigns?prepared={id}")),
                                None => super::reload(),
                            }
                        }
                        Then::Say(answer) => said.set(Some(Said::read(answer, &body))),
                    }
                }
                Err(message) => {
                    said.set(None);
                    error.set(Some(message));
                }
            }
        });
    };
    let testid = (!testid.is_empty()).then_some(testid);
    let error_testid = (!error_testid.is_empty()).then_some(error_testid);
    view! {
        <form method="post" action=url class=class data-testid=testid on:submit=on_submit>
            {children()}
        </form>
        {move || {
            error
                .get()
                .map(|message| {
                    view! {
                        <p class="error-note" role="alert" data-testid=error_testid.clone()>
                            {message}
                        </p>
                    }
                })
        }}
        {move || said.get().map(|s| s.view())}
    }
}

/// Takes over a form's submit event: posts the form to `url` in the browser and hands the
/// answer's body, or what the user reads on a refusal, to `done` (nothing on the server).
pub(crate) fn submit(
    ev: leptos::ev::SubmitEvent,
    url: String,
    done: impl FnOnce(Result<String, String>) + 'static,
) {
    ev.prevent_default();
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(form) = ev
            .target()
            .and_then(|t| t.dyn_into::<leptos::web_sys::HtmlFormElement>().ok())
        {
            leptos::task::spawn_local(async move { done(browser::post_form(&url, &form).await) });
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (url, done);
}

/// An answer read for display (plain data, so it can live in a signal).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Said {
    answer: Answer,
    text: String,
}

impl Said {
    fn read(answer: Answer, body: &str) -> Self {
        let text = match answer {
            Answer::TrustedForwarders => match serde_json::from_str::<Vec<String>>(body) {
                Ok(ids) if ids.is_empty() => "Saved: no forwarder is trusted".to_string(),
                Ok(ids) => format!("Saved: trusting {}", ids.join(", ")),
                Err(_) => "Saved.".to_string(),
            },
            Answer::SnsTopic => match serde_json::from_str::<Option<String>>(body) {
                Ok(Some(t)) => format!("Saved: SNS topic {t}"),
                Ok(None) => "Saved: no SNS topic (SES notifications are refused)".to_string(),
                Err(_) => "Saved.".to_string(),
            },
            Answer::NewPassword => serde_json::from_str::<String>(body).unwrap_or_default(),
            Answer::PasswordChanged => "Password changed.".to_string(),
        };
        Said { answer, text }
    }

    fn view(self) -> AnyView {
        match self.answer {
            Answer::NewPassword => view! {
                <p class="panel" role="status" data-testid="new-password">
                    "New password (shown once, pass it on privately): " <code>{self.text}</code>
                </p>
            }
            .into_any(),
            Answer::PasswordChanged => view! {
                <p class="muted" role="status" data-testid="password-changed">
                    {self.text}
                </p>
            }
            .into_any(),
            _ => view! { <p class="saved" role="status">{self.text}</p> }.into_any(),
        }
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use crate::error::ApiError;
    use leptos::web_sys::{FormData, HtmlFormElement, RequestInit, Response, UrlSearchParams};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    /// Posts the form; `Ok` is the answer's body, `Err` what the user reads.
    pub(crate) async fn post_form(url: &str, form: &HtmlFormElement) -> Result<String, String> {
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
        let status = response.status();
        let text = match response.text() {
            Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()),
            Err(_) => None,
        };
        if response.ok() {
            return Ok(text.unwrap_or_default());
        }
        Err(text
            .and_then(|t| serde_json::from_str::<ApiError>(&t).ok())
            .map(|e| e.to_string())
            .unwrap_or_else(|| format!("The server refused the request ({status}).")))
    }
}
