//! Resolves the session cookie once per request and guards pages: signed-out users go to the
//! login page; agents get 403 on admin pages (the admin server functions refuse them too).

use super::AppState;
use app::backend::{AuthSession, SESSION_COOKIE};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

/// Pages only admins may open.
pub const ADMIN_PAGES: &[&str] = &["/apps/", "/settings/", "/org-logging"];

/// Paths that are not pages: static files, server functions, machine endpoints.
fn is_page(path: &str) -> bool {
    const NOT_PAGES: &[&str] = &[
        "/pkg/",
        "/api/",
        "/webhooks/",
        "/inbound/",
        "/bounces/",
        "/unsubscribe/",
        "/healthz",
    ];
    !NOT_PAGES.iter().any(|p| path.starts_with(p))
        && !path.rsplit('/').next().unwrap_or("").contains('.')
}

pub fn is_admin_page(path: &str) -> bool {
    ADMIN_PAGES.iter().any(|p| path.starts_with(p))
}

pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.to_string())
}

pub async fn session_layer(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/pkg/") || path == "/favicon.ico" || path == "/healthz" {
        return next.run(req).await;
    }
    let token = cookie_value(req.headers(), SESSION_COOKIE);
    let user = match &token {
        Some(t) => state.desk.user_for_token(t).await.unwrap_or_else(|e| {
            tracing::error!(error = ?e, "session lookup failed");
            None
        }),
        None => None,
    };
    if is_page(&path) {
        match &user {
            None if path != "/login" => return Redirect::to("/login").into_response(),
            Some(_) if path == "/login" => return Redirect::to("/conversations").into_response(),
            Some(u) if is_admin_page(&path) && !u.is_admin() => return forbidden(),
            _ => {}
        }
    }
    let client_ip = req
        .extensions()
        .get::<super::security::ClientIp>()
        .and_then(|c| c.0);
    req.extensions_mut().insert(AuthSession {
        user,
        token,
        client_ip,
        secure_cookies: state.http.https,
    });
    next.run(req).await
}

fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        Html(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Forbidden · Deliverdesk</title>\
             <link rel=\"stylesheet\" href=\"/pkg/deliverdesk.css\"></head><body><main class=\"centered\">\
             <h1>403 · Admins only</h1><p>This page is for account admins. Ask an admin if you need a change here.</p>\
             <p><a href=\"/conversations\">Back to conversations</a></p></main></body></html>",
        ),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_told_apart_from_files_and_endpoints() {
        assert!(is_page("/conversations/3"));
        assert!(is_page("/"));
        assert!(!is_page("/pkg/deliverdesk.js"));
        assert!(!is_page("/api/login"));
        assert!(!is_page("/webhooks/postmark"));
        assert!(!is_page("/favicon.ico"));
        assert!(is_admin_page("/settings/administration/spam-filters"));
        assert!(!is_admin_page("/conversations"));
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = axum::http::HeaderMap::new();
        h.insert(header::COOKIE, "a=1; dd_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie_value(&h, "dd_session").as_deref(), Some("abc"));
        assert_eq!(cookie_value(&h, "missing"), None);
    }
}
