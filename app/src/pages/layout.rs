use crate::api::{me, Logout};
use crate::models::CurrentUser;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::{Outlet, Redirect, A};

/// The signed-in user, shared by every page under the layout.
#[derive(Clone, Copy)]
pub struct UserCtx(pub Resource<Option<CurrentUser>>);

#[component]
pub fn Layout() -> impl IntoView {
    let user = Resource::new(|| (), |_| async move { me().await.ok().flatten() });
    provide_context(UserCtx(user));
    view! {
        <div class="app">
            <nav class="sidebar" aria-label="Main">
                <a class="brand" href="/conversations">
                    "Deliverdesk"
                </a>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let user = user.await;
                        let admin = user.as_ref().map(|u| u.is_admin()).unwrap_or(false);
                        view! {
                            <ul>
                                <li>
                                    <A href="/conversations">"Conversations"</A>
                                </li>
                                <li>
                                    <A href="/contacts">"Contacts"</A>
                                </li>
                                <li>
                                    <A href="/reporting">"Reporting"</A>
                                </li>
                            </ul>
                            <Show when=move || admin>
                                <p class="nav-group">"Apps"</p>
                                <ul>
                                    <li>
                                        <A href="/apps/channels/email">"Channels › Email"</A>
                                    </li>
                                    <li>
                                        <A href="/apps/campaigns">"Campaigns"</A>
                                    </li>
                                </ul>
                                <p class="nav-group">"Settings"</p>
                                <ul>
                                    <li>
                                        <A href="/settings/administration/spam-filters">
                                            "Administration › Spam Filters"
                                        </A>
                                    </li>
                                    <li>
                                        <A href="/settings/administration/users">
                                            "Administration › Users"
                                        </A>
                                    </li>
                                    <li>
                                        <A href="/org-logging">"Org Logging"</A>
                                    </li>
                                </ul>
                            </Show>
                            {user
                                .map(|u| {
                                    view! {
                                        <div class="whoami" data-testid="whoami">
                                            <strong>{u.name.clone()}</strong>
                                            <span class="muted">{u.email.clone()}</span>
                                            <span class="muted">
                                                {u.account_name.clone()} " · " {u.role.as_str()}
                                            </span>
                                        </div>
                                    }
                                })}
                        }
                    })}
                </Transition>
                <a class="your-account" href="/account">"Your account"</a>
                <LogoutButton />
            </nav>
            <main class="content">
                <Outlet />
            </main>
        </div>
    }
}

/// A plain form: the server signs the session out and redirects to the sign-in page.
#[component]
fn LogoutButton() -> impl IntoView {
    view! {
        <form method="post" action=Logout::url() class="logout">
            <button type="submit">"Log out"</button>
        </form>
    }
}

/// `/` goes to the conversations list.
#[component]
pub fn Home() -> impl IntoView {
    view! { <Redirect path="/conversations" /> }
}
