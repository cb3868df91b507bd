//! List-Unsubscribe for campaign mail: `POST /unsubscribe/{token}` is RFC 8058's one-click
//! (mailbox providers post `List-Unsubscribe=One-Click` without cookies), and
//! `GET /unsubscribe/{token}` is the page a person lands on from the link in the message,
//! with one button that posts the same thing. Either way the account stops sending bulk mail
//! to the address (replies to conversations are not affected).

use super::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;

pub fn routes() -> Router<AppState> {
    Router::new().route("/unsubscribe/{token}", get(page).post(one_click))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    (
        status,
        Html(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
             <meta name=\"viewport\" content=\"width=device-width\"><link rel=\"stylesheet\" href=\"/pkg/deliverdesk.css\">\
             </head><body><main class=\"centered card\"><h1>{title}</h1>{body}</main></body></html>"
        )),
    )
        .into_response()
}

fn not_found() -> Response {
    html(
        StatusCode::NOT_FOUND,
        "Link not recognised",
        "<p>This unsubscribe link is not valid. If you copied it, check that it is complete.</p>",
    )
}

fn valid_token(t: &str) -> bool {
    t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

async fn page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    if !valid_token(&token) {
        return not_found();
    }
    match state.db.token_owner(&token).await {
        Ok(Some(owner)) => html(
            StatusCode::OK,
            "Unsubscribe",
            &format!(
                "<p>Stop emails from <strong>{}</strong> to <strong>{}</strong>?</p>\
                 <form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
                 <button type=\"submit\">Unsubscribe</button></form>\
                 <p class=\"muted small\">Replies to your own support requests still reach you.</p>",
                escape(&owner.account_name),
                escape(&owner.address)
            ),
        ),
        Ok(None) => not_found(),
        Err(e) => {
            tracing::error!(error = ?e, "unsubscribe lookup failed");
            html(StatusCode::INTERNAL_SERVER_ERROR, "Please try again", "<p>Something went wrong on our side.</p>")
        }
    }
}

async fn one_click(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    if !valid_token(&token) {
        return not_found();
    }
    let owner = match state.db.token_owner(&token).await {
        Ok(Some(o)) => o,
        Ok(None) => return not_found(),
        Err(e) => {
            tracing::error!(error = ?e, "unsubscribe lookup failed");
            return html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Please try again",
                "<p>Something went wrong on our side.</p>",
            );
        }
    };
    match state
        .webhooks
        .ingest
        // The event is keyed by the token's hash: the token itself is stored nowhere.
        .record_unsubscribe(
            owner.account_id,
            &owner.address,
            &crate::storage::campaigns::hash_token(&token),
            Utc::now(),
        )
        .await
    {
        Ok(_) => html(
            StatusCode::OK,
            "You are unsubscribed",
            &format!(
                "<p data-testid=\"unsubscribed\">{} will not send campaign emails to {} any more.</p>",
                escape(&owner.account_name),
                escape(&owner.address)
            ),
        ),
        Err(e) => {
            tracing::error!(error = ?e, "unsubscribe failed");
            html(StatusCode::INTERNAL_SERVER_ERROR, "Please try again", "<p>Something went wrong on our side.</p>")
        }
    }
}
