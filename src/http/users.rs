//! `/api/v1/users/{sub}`: what a game's backend asks about its players' accounts: the
//! rooms where a user holds a seat (to send a player back to their game), and revoking a
//! user's tokens (logging them out everywhere).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ErrorBody};
use super::extract::ApiPath;
use super::responses::StoreErrors;
use crate::model::RoomSummary;
use crate::state::AppState;

/// Longest `sub` a token may carry, in characters (and so a path may name).
const MAX_SUB_CHARS: u64 = 128;

/// A user, by the `sub` of their tokens.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserPath {
    /// The user's account id: their tokens' `sub`, 1–128 characters.
    #[param(schema_with = sub_schema)]
    pub sub: String,
}

fn sub_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(MAX_SUB_CHARS as usize))
        .description(Some("The user's account id (the tokens' `sub`)."))
        .build()
}

fn check_sub(sub: &str) -> Result<&str, ApiError> {
    let chars = sub.chars().count() as u64;
    if chars == 0 || chars > MAX_SUB_CHARS {
        return Err(ApiError::BadRequest(
            "a user id is 1 to 128 characters".into(),
        ));
    }
    Ok(sub)
}

/// The rooms where a user holds a seat.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserRooms {
    /// Their summaries.
    pub rooms: Vec<RoomSummary>,
}

/// The rooms where this user holds a seat.
#[utoipa::path(get, path = "/api/v1/users/{sub}/rooms", params(UserPath),
    responses(
        (status = 200, description = "The user's rooms", body = UserRooms),
        (status = 400, description = "The user id is malformed", body = ErrorBody),
        StoreErrors))]
pub async fn user_rooms(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<UserPath>,
) -> Result<Json<UserRooms>, ApiError> {
    let sub = check_sub(&path.sub)?;
    let rooms = state.rooms.user_rooms(sub).await?;
    Ok(Json(UserRooms { rooms }))
}

/// Revoke a user: their sockets on every node are closed (4003 "revoked") within
/// seconds, and their tokens issued up to now are refused for the revocation TTL.
#[utoipa::path(post, path = "/api/v1/users/{sub}/revoke", params(UserPath),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, description = "The user id is malformed", body = ErrorBody),
        StoreErrors))]
pub async fn revoke(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<UserPath>,
) -> Result<StatusCode, ApiError> {
    let sub = check_sub(&path.sub)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let ttl = Duration::from_secs(state.cfg.jwt_revocation_ttl_secs);
    state.store.revoke(sub, now, ttl).await?;
    // This node's sockets go at once; the others' within a poll of the store.
    state.accounts.revoke(sub);
    tracing::info!("user revoked by the admin API");
    Ok(StatusCode::NO_CONTENT)
}
