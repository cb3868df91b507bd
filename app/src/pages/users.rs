//! "Your account" (every user: change password, sign out everywhere) and the admin's Users page
//! (reset a password, disable or enable a user of the account).

use super::ErrorNote;
use crate::api::{list_users, ChangePassword, LogoutEverywhere, ResetPassword, SetUserDisabled};
use crate::models::UserView;
use leptos::prelude::*;

#[component]
pub fn YourAccountPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let everywhere = ServerAction::<LogoutEverywhere>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = everywhere.value().get() {
            #[cfg(feature = "hydrate")]
            if let Some(w) = web_sys::window() {
                let _ = w.location().set_href("/login");
            }
        }
    });
    view! {
        <leptos_meta::Title text="Your account · Deliverdesk" />
        <h1>"Your account"</h1>
        <section class="panel">
            <h2>"Change password"</h2>
            <p class="muted small">
                "At least 10 characters. Your other sessions (other browsers, other devices) are signed out."
            </p>
            <ActionForm action=change attr:class="settings-form" attr:data-testid="password-form">
                <label>
                    "Current password"
                    <input type="password" name="current" autocomplete="current-password" required />
                </label>
                <label>
                    "New password"
                    <input
                        type="password"
                        name="new"
                        autocomplete="new-password"
                        minlength="10"
                        required
                    />
                </label>
                <button type="submit" disabled=move || change.pending().get()>
                    "Change password"
                </button>
            </ActionForm>
            {move || match change.value().get() {
                Some(Ok(())) => {
                    view! {
                        <p class="muted" role="status" data-testid="password-changed">
                            "Password changed."
                        </p>
                    }
                        .into_any()
                }
                Some(Err(e)) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                None => ().into_any(),
            }}
        </section>
        <section class="panel">
            <h2>"Sessions"</h2>
            <p class="muted small">
                "Signs you out on every browser and device, this one included."
            </p>
            <ActionForm action=everywhere attr:class="settings-form">
                <button type="submit" data-testid="logout-everywhere">
                    "Sign out everywhere"
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let reset = ServerAction::<ResetPassword>::new();
    let disable = ServerAction::<SetUserDisabled>::new();
    let users = Resource::new(move || disable.version().get(), |_| list_users());
    view! {
        <leptos_meta::Title text="Users · Deliverdesk" />
        <h1>"Settings › Administration › Users"</h1>
        {move || match reset.value().get() {
            Some(Ok(password)) => {
                view! {
                    <p class="panel" role="status" data-testid="new-password">
                        "New password (shown once, pass it on privately): " <code>{password}</code>
                    </p>
                }
                    .into_any()
            }
            Some(Err(e)) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
            None => ().into_any(),
        }}
        {move || {
            disable
                .value()
                .get()
                .and_then(|r| r.err())
                .map(|e| view! { <ErrorNote message=e.to_string() /> })
        }}
        <section class="panel">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                        Ok(list) => {
                            view! {
                                <table class="list" data-testid="users">
                                    <thead>
                                        <tr>
                                            <th>"User"</th>
                                            <th>"Role"</th>
                                            <th>"Status"</th>
                                            <th></th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list
                                            .into_iter()
                                            .map(|u| view! { <UserRow u reset disable /> })
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
fn UserRow(
    u: UserView,
    reset: ServerAction<ResetPassword>,
    disable: ServerAction<SetUserDisabled>,
) -> impl IntoView {
    let (reset_id, disable_id) = (u.id.to_string(), u.id.to_string());
    let toggle_to = (!u.disabled).to_string();
    view! {
        <tr>
            <td>
                <strong>{u.name}</strong>
                " "
                <span class="muted">{u.email}</span>
            </td>
            <td>{u.role.as_str()}</td>
            <td>{if u.disabled { "disabled" } else { "active" }}</td>
            <td>
                <ActionForm action=reset attr:class="inline">
                    <input type="hidden" name="user_id" value=reset_id />
                    <button type="submit">"Reset password"</button>
                </ActionForm>
                <ActionForm action=disable attr:class="inline">
                    <input type="hidden" name="user_id" value=disable_id />
                    <input type="hidden" name="disabled" value=toggle_to />
                    <button type="submit">{if u.disabled { "Enable" } else { "Disable" }}</button>
                </ActionForm>
            </td>
        </tr>
    }
}
