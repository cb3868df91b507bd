#![recursion_limit = "256"]
//! Deliverdesk's web app: pages, components, the models shared by server and browser, and the
//! server-function declarations. Server-only code sits behind the `ssr` feature.

pub mod api;
#[cfg(feature = "ssr")]
pub mod backend;
pub mod error;
pub mod kinds;
pub mod models;
mod pages;

/// Called by the browser bundle once the islands are registered: marks `<body>` with
/// `data-hydrated="true"` after Leptos has hydrated every island on the page (the browser tests
/// wait for it).
///
/// Leptos' island loader walks the page and hydrates each `<leptos-island>` in a chain of
/// promises that settles before the next task; a zero-delay timeout runs after it.
#[cfg(feature = "hydrate")]
pub fn mark_hydrated_after_islands() {
    use wasm_bindgen::{closure::Closure, JsCast};
    let Some(window) = web_sys::window() else {
        return;
    };
    let mark = Closure::once_into_js(|| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    let _ = window.set_timeout_with_callback(mark.unchecked_ref());
}

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, SsrMode,
};

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    use pages::*;
    view! {
        <Stylesheet id="leptos" href="/pkg/deliverdesk.css" />
        <Title text="Deliverdesk" />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/login") view=LoginPage />
                <ParentRoute path=path!("") view=Layout>
                    <Route path=path!("") view=Home />
                    <Route path=path!("conversations") view=ConversationsPage />
                    // Rendered whole before it is sent: its <title> names the conversation, and
                    // only the server sets it (a streamed page could send <head> first).
                    <Route
                        path=path!("conversations/:id")
                        view=ConversationPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("contacts") view=ContactsPage />
                    <Route path=path!("contacts/history") view=AddressHistoryPage />
                    <Route path=path!("reporting") view=ReportingPage />
                    <Route path=path!("apps/channels/email") view=EmailChannelPage />
                    <Route path=path!("apps/campaigns") view=CampaignsPage />
                    <Route
                        path=path!("settings/administration/spam-filters")
                        view=SpamFiltersPage
                    />
                    <Route path=path!("org-logging") view=OrgLoggingPage />
                    <Route path=path!("settings/administration/users") view=UsersPage />
                    <Route path=path!("account") view=YourAccountPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
