//! The axum application: Leptos pages and server functions, `/healthz`, and the session layer
//! that resolves the cookie once per request and refuses what the user may not see.

pub mod inbound;
mod org_log_csv;
pub mod security;
mod session;
pub mod unsubscribe;
pub mod webhooks;

use crate::config::Config;
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

/// Everything a request handler may need. Axum clones the state for every request (each
/// middleware and the handler take their own), so it is one `Arc`: a clone is a reference
/// count, not a copy of every service and of Leptos' options. Built once at start; the
/// builder methods below (and `DerefMut`) change it before it serves.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

/// What [`AppState`] holds.
#[derive(Clone)]
pub struct AppParts {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub desk: DeskService,
    pub webhooks: webhooks::WebhookState,
    pub inbound: InboundService,
    /// Security settings of the HTTP side (origin, https, timeouts, limits).
    pub http: security::HttpConfig,
    /// Requests being handled; at most `http.max_in_flight`.
    pub in_flight: Arc<tokio::sync::Semaphore>,
    /// HTTP Basic failures (webhooks, raw bounces, inbound) per IP and per username.
    pub basic_throttle: crate::services::throttle::Throttle,
}

impl AppState {
    /// The app with every setting at its default ([`Config::default`]): tests and tools.
    pub fn new(db: Db, leptos_options: LeptosOptions) -> Self {
        Self::with_config(db, leptos_options, &Config::default())
            .expect("the default settings name no file to read")
    }

    /// The app as `serve` builds it, from the operator's settings (read once at start).
    /// Fails when a file the settings name cannot be used (`SMTP_CA_FILE`).
    pub fn with_config(
        db: Db,
        leptos_options: LeptosOptions,
        config: &Config,
    ) -> anyhow::Result<Self> {
        // The CAs its senders' relays may chain to: this app's, like its policy.
        let roots = config.trust_roots()?;
        let public = config.public_url_for(leptos_options.site_addr);
        let http = security::HttpConfig::from_config(config, &public);
        // The one ingest service of the process (one group-commit writer, one credential
        // cache): every other service gets a clone of it.
        let ingest = IngestService::new(db.clone());
        Ok(AppState(Arc::new(AppParts {
            leptos_options,
            in_flight: Arc::new(tokio::sync::Semaphore::new(http.max_in_flight)),
            http,
            basic_throttle: crate::services::throttle::Throttle::basic(db.clone()),
            // Where senders may connect: the operator's policy, for this app only.
            desk: DeskService::new(ingest.clone(), public)
                .with_egress(config.egress())
                .with_trust_roots(roots),
            webhooks: webhooks::WebhookState::new(ingest, config.sns_signing_cert_file.as_deref()),
            inbound: InboundService::new(db.clone()),
            db,
        })))
    }

    /// Senders that use the deployment's shared transport send through `shared` (the
    /// operator's `serve --shared-relay` / `--shared-api-url`).
    pub fn with_shared_transport(
        mut self,
        shared: Option<crate::services::transport::TransportConfig>,
    ) -> Self {
        self.desk = self
            .desk
            .clone()
            .with_shared_transport(shared.map(Arc::new));
        self
    }

    /// Replaces the HTTP security settings (tests: https, small limits).
    pub fn with_http_config(mut self, http: security::HttpConfig) -> Self {
        self.in_flight = Arc::new(tokio::sync::Semaphore::new(http.max_in_flight));
        self.http = http;
        self
    }

    /// Replaces the HTTP Basic brute-force limits.
    pub fn with_basic_throttle(mut self, throttle: crate::services::throttle::Throttle) -> Self {
        self.basic_throttle = throttle;
        self
    }

    /// Replaces where SNS signing certificates come from (tests inject a local one).
    pub fn with_sns_certs(mut self, certs: Arc<dyn webhooks::SnsCertSource>) -> Self {
        self.webhooks.sns_certs = certs;
        self
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;
    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// Changes at start-up, before the state is shared: copies the parts if it already is.
impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut AppParts {
        Arc::make_mut(&mut self.0)
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// Builds the whole router for a state; used by `serve` and by the HTTP tests.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let backend: SharedBackend = Arc::new(state.desk.clone());
    let options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/org-logging/export.csv", get(org_log_csv::export))
        .merge(webhooks::routes())
        .merge(inbound::routes())
        .merge(unsubscribe::routes())
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(backend.clone());
                security::provide_csp_nonce();
            },
            move || app::shell(options.clone()),
        )
        .fallback(fallback())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::session_layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::edge_layer,
        ))
        .with_state(state)
}

/// Static files, and the not-found page (rendered with this response's CSP nonce).
fn fallback() -> impl Fn(
    axum::http::Uri,
    State<AppState>,
    axum::extract::Request,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = axum::response::Response> + Send>>
       + Clone
       + Send
       + 'static {
    leptos_axum::file_and_error_handler_with_context(security::provide_csp_nonce, app::shell)
}

/// 200 after a database round trip; 503 when the database does not answer.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let db = &state.db;
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

/// Serves until `shutdown` resolves, then finishes in-flight requests. Each connection gets
/// `http.header_read_timeout` to send a request's headers (a slow client does not hold a
/// connection forever) and at most `http.max_connections` are open at once.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::Service;

    let header_timeout = state.http.header_read_timeout;
    let connections = Arc::new(tokio::sync::Semaphore::new(state.http.max_connections));
    let app = router(state);
    let (closing, closed) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let permit = tokio::select! {
            p = connections.clone().acquire_owned() => p?,
            _ = shutdown.as_mut() => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.as_mut() => break,
        };
        while tasks.try_join_next().is_some() {}
        let app = app.clone();
        let mut closed = closed.clone();
        tasks.spawn(async move {
            let _permit = permit;
            let service =
                hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let mut req = req.map(axum::body::Body::new);
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(remote));
                    app.clone().call(req)
                });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    return;
                }
                _ = closed.wait_for(|c| *c) => conn.as_mut().graceful_shutdown(),
            }
            let _ = conn.await;
        });
    }
    let _ = closing.send(true);
    drop(listener);
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// Leptos settings at their defaults (the site built by cargo-leptos under `target/site`);
/// `serve` takes them from [`Config::site`](crate::config::Config).
pub fn leptos_options(site_addr: std::net::SocketAddr) -> LeptosOptions {
    crate::config::SiteConfig::default().leptos_options(site_addr)
}
