//! The axum application: Leptos pages and server functions, `/healthz`, and the session layer
//! that resolves the cookie once per request and refuses what the user may not see.

pub mod inbound;
mod session;
pub mod unsubscribe;
pub mod webhooks;

use crate::services::desk::DeskService;
use crate::services::inbound::InboundService;
use crate::services::ingest::IngestService;
use crate::storage::Db;
use app::backend::SharedBackend;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;

/// Everything a request handler may need.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub desk: DeskService,
    pub webhooks: webhooks::WebhookState,
    pub inbound: InboundService,
}

impl AppState {
    pub fn new(db: Db, leptos_options: LeptosOptions) -> Self {
        let public = public_url(&leptos_options);
        // The one ingest service of the process (one group-commit writer, one credential
        // cache): every other service gets a clone of it.
        let ingest = IngestService::new(db.clone());
        AppState {
            leptos_options,
            desk: DeskService::new(ingest.clone(), public),
            webhooks: webhooks::WebhookState::from_env(ingest),
            inbound: InboundService::new(db.clone()),
            db,
        }
    }

    /// Senders that use the deployment's shared transport send through `shared` (the
    /// operator's `serve --shared-relay` / `--shared-api-url`).
    pub fn with_shared_transport(
        mut self,
        shared: Option<crate::services::transport::TransportConfig>,
    ) -> Self {
        self.desk = self.desk.with_shared_transport(shared.map(Arc::new));
        self
    }

    /// Replaces where SNS signing certificates come from (tests inject a local one).
    pub fn with_sns_certs(mut self, certs: Arc<dyn webhooks::SnsCertSource>) -> Self {
        self.webhooks.sns_certs = certs;
        self
    }
}

/// Where links in mail point (unsubscribe): `PUBLIC_URL`, else the address we listen on.
pub fn public_url(options: &LeptosOptions) -> String {
    std::env::var("PUBLIC_URL").unwrap_or_else(|_| format!("http://{}", options.site_addr))
}

/// Builds the whole router for a state; used by `serve` and by the HTTP tests.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let backend: SharedBackend = Arc::new(state.desk.clone());
    let options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .merge(webhooks::routes())
        .merge(inbound::routes())
        .merge(unsubscribe::routes())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(backend.clone()),
            move || app::shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::session_layer,
        ))
        .with_state(state)
}

/// 200 after a database round trip; 503 when the database does not answer.
async fn healthz(State(db): State<Db>) -> impl IntoResponse {
    match db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(
                serde_json::json!({"status": "ok", "database": format!("{:?}", db.backend()).to_lowercase()}),
            ),
        ),
        Err(e) => {
            tracing::error!(error = ?e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "error", "error": e.to_string()})),
            )
        }
    }
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// Leptos settings from the environment cargo-leptos sets, with defaults that work when the
/// binary is started directly from the repository root.
pub fn leptos_options(site_addr: std::net::SocketAddr) -> LeptosOptions {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
    LeptosOptions::builder()
        .output_name(env("LEPTOS_OUTPUT_NAME", "deliverdesk"))
        .site_root(env("LEPTOS_SITE_ROOT", "target/site"))
        .site_pkg_dir(env("LEPTOS_SITE_PKG_DIR", "pkg"))
        .site_addr(site_addr)
        .build()
}
