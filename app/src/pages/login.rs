use super::{PostForm, Then};
use crate::api::Login;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
pub fn LoginPage() -> impl IntoView {
    view! {
        <main class="login">
            <leptos_meta::Title text="Sign in · Deliverdesk" />
            <h1>"Deliverdesk"</h1>
            <p class="muted">"Sign in to your support desk"</p>
            // A refusal shows in place; once signed in, the app loads fresh.
            <PostForm
                url=Login::url()
                class="card form"
                testid=""
                error_testid="login-error"
                then=Then::GoTo("/conversations".to_string())
            >
                <label>
                    "Email" <input type="email" name="email" autocomplete="username" required />
                </label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="current-password" required />
                </label>
                <button type="submit">"Sign in"</button>
            </PostForm>
        </main>
    }
}
