//! REST errors: one enum, one status mapping, one JSON shape
//! (`{"error":{"code","message"}}`). Internal details are logged, never returned.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ErrorCode, ProtoError, StoreError};

/// Everything a REST handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Missing or wrong bearer token.
    #[error("a valid bearer token is required")]
    Unauthorized,
    /// A query parameter or path segment is invalid.
    #[error("{0}")]
    BadRequest(String),
    /// No such room.
    #[error("no room with that code")]
    RoomNotFound,
    /// No such player in the room.
    #[error("no player with that id in this room")]
    PlayerNotFound,
    /// No dead letter with that id.
    #[error("no dead webhook event with that id")]
    WebhookNotFound,
    /// No route at this path.
    #[error("no such endpoint")]
    NoRoute,
    /// The path exists, the method does not.
    #[error("method not allowed on this endpoint")]
    MethodNotAllowed,
    /// The store is down or slow.
    #[error("the room store is unavailable")]
    StoreUnavailable,
    /// Anything else; details went to the log.
    #[error("internal error")]
    Internal,
}

/// The error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Code and message of an error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable code, e.g. `room_not_found`.
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::RoomNotFound => (StatusCode::NOT_FOUND, "room_not_found"),
            ApiError::PlayerNotFound => (StatusCode::NOT_FOUND, "player_not_found"),
            ApiError::WebhookNotFound => (StatusCode::NOT_FOUND, "webhook_not_found"),
            ApiError::NoRoute => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::StoreUnavailable => (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"),
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<ProtoError> for ApiError {
    fn from(e: ProtoError) -> Self {
        match e.code {
            ErrorCode::StoreUnavailable => ApiError::StoreUnavailable,
            ErrorCode::RoomNotFound => ApiError::RoomNotFound,
            ErrorCode::BadRequest => ApiError::BadRequest(e.message),
            _ => {
                tracing::error!(code = e.code.as_str(), message = %e.message, "admin request failed");
                ApiError::Internal
            }
        }
    }
}

/// A store failure met outside the room service (accounts, the outbox): the store's
/// instrumentation logged its cause; the caller is told what the code says.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ProtoError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.to_string(),
            },
        };
        (status, Json(body)).into_response()
    }
}
