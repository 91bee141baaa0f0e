//! The error answers several `/api/v1` operations share, each declared once for the
//! OpenAPI document, and the sets operations list among their `responses(...)`. The
//! types only describe responses (status, description, body); the handlers answer with
//! [`ApiError`](super::error::ApiError), never with these.

#![expect(
    dead_code,
    reason = "never built: each field only names the body's schema"
)]

use std::collections::BTreeMap;

use utoipa::openapi::response::Response;
use utoipa::openapi::RefOr;
use utoipa::IntoResponses;

use super::error::ErrorBody;

/// Every operation behind the bearer token.
#[derive(IntoResponses)]
#[response(status = 401, description = "Missing or wrong bearer token")]
pub struct Unauthorized(ErrorBody);

/// Operations with a room code in the path.
#[derive(IntoResponses)]
#[response(status = 400, description = "The code is not a room code")]
pub struct BadRoomCode(ErrorBody);

/// Operations on one room.
#[derive(IntoResponses)]
#[response(status = 404, description = "`room_not_found`")]
pub struct RoomNotFound(ErrorBody);

/// Operations that reach the store: anything unexpected, logged, with no details.
#[derive(IntoResponses)]
#[response(
    status = 500,
    description = "Internal error (details in the server log)"
)]
pub struct Internal(ErrorBody);

/// Operations that reach the store: the store is down or slow.
#[derive(IntoResponses)]
#[response(status = 503, description = "The room store is unavailable")]
pub struct StoreUnavailable(ErrorBody);

/// What any operation behind the token that reaches the store can fail with.
pub struct StoreErrors;

impl IntoResponses for StoreErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        merged([
            Unauthorized::responses(),
            Internal::responses(),
            StoreUnavailable::responses(),
        ])
    }
}

/// What an operation on the room named by the path's code can fail with.
pub struct RoomErrors;

impl IntoResponses for RoomErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        merged([
            BadRoomCode::responses(),
            RoomNotFound::responses(),
            StoreErrors::responses(),
        ])
    }
}

/// One map of several sets' responses (their statuses do not overlap).
fn merged<const N: usize>(
    sets: [BTreeMap<String, RefOr<Response>>; N],
) -> BTreeMap<String, RefOr<Response>> {
    sets.into_iter().flatten().collect()
}
