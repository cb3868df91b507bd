//! `GET /org-logging/export.csv?kind=&subject=&from=&to=`: the signed-in admin's Org Logging,
//! with the page's filters, as a CSV download. Agents get 403, signed-out visitors 401.

use super::AppState;
use app::backend::AuthSession;
use app::error::ApiError;
use app::models::LogQuery;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

#[derive(Debug, Default, serde::Deserialize)]
pub struct ExportQuery {
    kind: Option<String>,
    subject: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

fn some(v: Option<String>) -> Option<String> {
    v.filter(|v| !v.trim().is_empty())
}

pub async fn export(
    State(state): State<AppState>,
    Extension(session): Extension<AuthSession>,
    Query(q): Query<ExportQuery>,
) -> Response {
    let Some(user) = session.user else {
        return (StatusCode::UNAUTHORIZED, "Please sign in.").into_response();
    };
    let Ok(admin) = app::backend::Admin::check(user) else {
        return (StatusCode::FORBIDDEN, "Only admins can export Org Logging.").into_response();
    };
    let query = LogQuery {
        kind: some(q.kind),
        subject: some(q.subject),
        from: some(q.from),
        to: some(q.to),
        page: 0,
    };
    match state.desk.org_log_csv(&admin, query).await {
        Ok(csv) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"org-logging.csv\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            csv,
        )
            .into_response(),
        Err(e) => {
            let status =
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let text = match e {
                ApiError::Forbidden => "Only admins may export Org Logging.".to_string(),
                other => other.to_string(),
            };
            (status, text).into_response()
        }
    }
}
