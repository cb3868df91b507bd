use crate::api::Login;
use leptos::prelude::*;

#[component]
pub fn LoginPage() -> impl IntoView {
    view! {
        <main class="login">
            <leptos_meta::Title text="Sign in · Deliverdesk" />
            <h1>"Deliverdesk"</h1>
            <p class="muted">"Sign in to your support desk"</p>
            <LoginForm />
        </main>
    }
}

/// The form, hydrated in the browser: errors show in place. On success the server's redirect
/// loads the app fresh (`ActionForm` follows it; without JavaScript the browser does).
#[island]
fn LoginForm() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let error = move || {
        login.value().get().and_then(|r| r.err()).map(|e| {
            let msg = match e {
                crate::error::ApiError::Invalid(m) => m,
                other => other.to_string(),
            };
            view! { <p class="error-note" role="alert" data-testid="login-error">{msg}</p> }
        })
    };
    view! {
        <ActionForm action=login attr:class="card form">
            <label>
                "Email" <input type="email" name="email" autocomplete="username" required />
            </label>
            <label>
                "Password"
                <input type="password" name="password" autocomplete="current-password" required />
            </label>
            {error}
            <button type="submit" disabled=move || login.pending().get()>
                "Sign in"
            </button>
        </ActionForm>
    }
}
