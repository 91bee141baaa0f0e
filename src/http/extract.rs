//! Axum's `Query` and `Path` extractors with their rejections turned into [`ApiError`],
//! so a bad query value or path segment gets the same JSON error body as every other
//! REST failure instead of axum's plain-text 400.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::FromRequestParts;

use super::error::ApiError;

/// `Query<T>` whose rejection is a JSON `bad_request`.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// `Path<T>` whose rejection is a JSON `bad_request` (or `internal` for a routing bug).
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        if rejection.status().is_client_error() {
            ApiError::BadRequest(rejection.body_text())
        } else {
            // Missing path parameters mean a route and its handler disagree: our bug.
            tracing::error!(error = %rejection.body_text(), "path extraction failed");
            ApiError::Internal
        }
    }
}
