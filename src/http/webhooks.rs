//! `/api/v1/webhooks`: the results webhook's outbox for operators: its size, the dead
//! letters, and putting one back to pending or deleting it. Behind the bearer token like
//! every admin route. A store without an outbox answers as an empty one.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, SecondsFormat};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use super::params::limit_schema_of;
use super::responses::StoreErrors;
use crate::state::AppState;
use crate::store::now_ms;
use crate::store::outbox::{DeadLetter, Outbox};

/// Dead letters listed when `limit` is absent.
const DEFAULT_LIMIT: u32 = 50;
/// The most dead letters one listing returns.
const MAX_LIMIT: u32 = 1000;
/// The longest event id accepted in a path.
const MAX_ID_LEN: usize = 200;

/// The outbox's size.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookStats {
    /// Events not yet delivered nor dead.
    pub pending: u64,
    /// Events in the dead letters.
    pub dead: u64,
    /// Age of the oldest pending event in seconds; `null` when none is pending.
    pub oldest_pending_age_s: Option<f64>,
}

/// A dead letter.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadEvent {
    /// The event's `webhook-id`.
    pub id: String,
    /// The event type (`game.finished`, `room.closed`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Attempts made.
    pub attempts: u32,
    /// Why the last attempt failed (`HTTP 410`, `timeout`, `connection failed`).
    pub last_error: String,
    /// When the last attempt was made (RFC 3339).
    pub last_attempt_at: String,
    /// The event as it was sent.
    #[schema(value_type = Object)]
    pub event: serde_json::Value,
}

/// Dead letters, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadEvents {
    /// The dead letters.
    pub events: Vec<DeadEvent>,
}

/// The dead letter listing's parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadQuery {
    /// How many to list, 1–1000 (default 50).
    #[param(schema_with = limit_schema)]
    pub limit: Option<String>,
}

/// A dead letter, by event id.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct EventPath {
    /// The event's `webhook-id`.
    #[param(schema_with = id_schema)]
    pub id: String,
}

fn limit_schema() -> Object {
    limit_schema_of(MAX_LIMIT, DEFAULT_LIMIT, "How many dead letters to list.")
}

fn id_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(MAX_ID_LEN))
        .description(Some("The event's webhook-id."))
        .build()
}

fn parse_limit(raw: Option<&str>) -> Result<usize, ApiError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_LIMIT as usize);
    };
    let ok = !raw.is_empty() && raw.len() <= 4 && raw.bytes().all(|b| b.is_ascii_digit());
    raw.parse::<u32>()
        .ok()
        .filter(|l| ok && (1..=MAX_LIMIT).contains(l))
        .map(|l| l as usize)
        .ok_or_else(|| ApiError::BadRequest(format!("limit must be 1 to {MAX_LIMIT}")))
}

fn check_id(id: &str) -> Result<&str, ApiError> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(ApiError::BadRequest(format!(
            "an event id is 1 to {MAX_ID_LEN} characters"
        )));
    }
    Ok(id)
}


fn outbox(state: &AppState) -> Option<Arc<dyn Outbox>> {
    state.store.outbox()
}

fn dead_event(d: DeadLetter) -> DeadEvent {
    let at = DateTime::from_timestamp_millis(d.last_attempt_ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_default();
    DeadEvent {
        event: serde_json::from_str(&d.body).unwrap_or(serde_json::Value::String(d.body)),
        id: d.id,
        kind: d.kind,
        attempts: d.attempts,
        last_error: d.last_error,
        last_attempt_at: at,
    }
}

/// The outbox's size.
#[utoipa::path(get, path = "/api/v1/webhooks",
    responses(
        (status = 200, description = "Pending and dead events", body = WebhookStats),
        StoreErrors))]
pub async fn webhook_stats(State(state): State<AppState>) -> Result<Json<WebhookStats>, ApiError> {
    let stats = match outbox(&state) {
        Some(o) => o.stats().await?,
        None => Default::default(),
    };
    let now = now_ms();
    Ok(Json(WebhookStats {
        pending: stats.pending,
        dead: stats.dead,
        oldest_pending_age_s: stats
            .oldest_pending_ms
            .map(|ms| now.saturating_sub(ms).max(0) as f64 / 1000.0),
    }))
}

/// The dead letters, oldest first.
#[utoipa::path(get, path = "/api/v1/webhooks/dead", params(DeadQuery),
    responses(
        (status = 200, description = "Dead letters", body = DeadEvents),
        (status = 400, description = "A parameter is outside its schema", body = ErrorBody),
        StoreErrors))]
pub async fn dead_letters(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<DeadQuery>,
) -> Result<Json<DeadEvents>, ApiError> {
    let limit = parse_limit(q.limit.as_deref())?;
    let letters = match outbox(&state) {
        Some(o) => o.dead_letters(limit).await?,
        None => Vec::new(),
    };
    Ok(Json(DeadEvents {
        events: letters.into_iter().map(dead_event).collect(),
    }))
}

/// Put a dead letter back to pending; its attempts start over.
#[utoipa::path(post, path = "/api/v1/webhooks/dead/{id}/retry", params(EventPath),
    responses(
        (status = 202, description = "Back to pending"),
        (status = 400, description = "The id is malformed", body = ErrorBody),
        (status = 404, description = "`webhook_not_found`", body = ErrorBody),
        StoreErrors))]
pub async fn retry_dead(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<EventPath>,
) -> Result<StatusCode, ApiError> {
    let id = check_id(&path.id)?;
    let o = outbox(&state).ok_or(ApiError::WebhookNotFound)?;
    if o.revive(id).await? {
        tracing::info!(event_id = %id, "dead webhook event put back to pending by operator");
        Ok(StatusCode::ACCEPTED)
    } else {
        Err(ApiError::WebhookNotFound)
    }
}

/// Delete a dead letter.
#[utoipa::path(delete, path = "/api/v1/webhooks/dead/{id}", params(EventPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The id is malformed", body = ErrorBody),
        (status = 404, description = "`webhook_not_found`", body = ErrorBody),
        StoreErrors))]
pub async fn delete_dead(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<EventPath>,
) -> Result<StatusCode, ApiError> {
    let id = check_id(&path.id)?;
    let o = outbox(&state).ok_or(ApiError::WebhookNotFound)?;
    if o.discard(id).await? {
        tracing::info!(event_id = %id, "dead webhook event deleted by operator");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::WebhookNotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_the_schema() {
        assert_eq!(parse_limit(None).unwrap(), 50);
        assert_eq!(parse_limit(Some("1000")).unwrap(), 1000);
        for bad in ["0", "1001", "-1", "+5", "", "abc", "00005"] {
            assert!(parse_limit(Some(bad)).is_err(), "{bad}");
        }
    }
}
