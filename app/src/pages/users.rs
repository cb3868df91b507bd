//! "Your account" (every user: change password, sign out everywhere) and the admin's Users page
//! (reset a password, disable or enable a user of the account).

use super::{Answer, ErrorNote, PostForm, Then};
use crate::api::{list_users, ChangePassword, LogoutEverywhere, ResetPassword, SetUserDisabled};
use crate::models::UserView;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
pub fn YourAccountPage() -> impl IntoView {
    view! {
        <leptos_meta::Title text="Your account · Deliverdesk" />
        <YourAccountBody />
    }
}

/// The page; the password form says "Password changed." in place.
#[component]
fn YourAccountBody() -> impl IntoView {
    view! {
        <h1>"Your account"</h1>
        <section class="panel">
            <h2>"Change password"</h2>
            <p class="muted small">
                "At least 10 characters. Your other sessions (other browsers, other devices) are signed out."
            </p>
            <PostForm
                url=ChangePassword::url()
                class="settings-form"
                testid="password-form"
                error_testid=""
                then=Then::Say(Answer::PasswordChanged)
            >
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
                <button type="submit">"Change password"</button>
            </PostForm>
        </section>
        <section class="panel">
            <h2>"Sessions"</h2>
            <p class="muted small">
                "Signs you out on every browser and device, this one included."
            </p>
            // A plain form: the server ends every session and redirects to the sign-in page.
            <form method="post" action=LogoutEverywhere::url() class="settings-form">
                <button type="submit" data-testid="logout-everywhere">
                    "Sign out everywhere"
                </button>
            </form>
        </section>
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <leptos_meta::Title text="Users · Deliverdesk" />
        <UsersBody />
    }
}

/// The users of the account; resetting a password shows the new one in place, disabling or
/// enabling a user loads the page again.
#[component]
fn UsersBody() -> impl IntoView {
    let users = Resource::new(|| (), |_| list_users());
    view! {
        <h1>"Settings › Administration › Users"</h1>
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
                                            .map(|u| view! { <UserRow u /> })
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
fn UserRow(u: UserView) -> impl IntoView {
    let user_id = u.id;
    let disable_id = u.id.to_string();
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
                <ResetPasswordForm user_id />
                <PostForm url=SetUserDisabled::url() class="inline" testid="" error_testid="" then=Then::Reload>
                    <input type="hidden" name="user_id" value=disable_id />
                    <input type="hidden" name="disabled" value=toggle_to />
                    <button type="submit">{if u.disabled { "Enable" } else { "Disable" }}</button>
                </PostForm>
            </td>
        </tr>
    }
}

/// "Reset password": the new password shows once, right here.
#[component]
fn ResetPasswordForm(user_id: i64) -> impl IntoView {
    view! {
        <PostForm
            url=ResetPassword::url()
            class="inline"
            testid=""
            error_testid=""
            then=Then::Say(Answer::NewPassword)
        >
            <input type="hidden" name="user_id" value=user_id.to_string() />
            <button type="submit">"Reset password"</button>
        </PostForm>
    }
}
