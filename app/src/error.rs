//! The one error type server functions return; mapped to an HTTP status once, on the server.

use leptos::prelude::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::codec::JsonEncoding;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ApiError {
    #[error("Please sign in.")]
    Unauthorized,
    #[error("Only admins may do this.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    /// Bad input, with a message meant for the person who typed it.
    #[error("{0}")]
    Invalid(String),
    /// Too many failed attempts: try again after this many seconds (HTTP 429, `Retry-After`).
    #[error("Too many failed attempts. Try again in {} minute(s).", .0.div_ceil(60))]
    TooManyRequests(u64),
    #[error("Something went wrong on the server: {0}")]
    Internal(String),
    #[error("Request failed: {0}")]
    ServerFn(ServerFnErrorErr),
}

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            ApiError::Unauthorized => 401,
            ApiError::Forbidden => 403,
            ApiError::NotFound => 404,
            ApiError::Invalid(_) => 422,
            ApiError::TooManyRequests(_) => 429,
            ApiError::Internal(_) | ApiError::ServerFn(_) => 500,
        }
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        ApiError::ServerFn(value)
    }
}
