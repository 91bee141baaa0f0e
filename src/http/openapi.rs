//! The OpenAPI document of `/api/v1`, generated from the handlers in
//! [`admin`](super::admin) and the parameter schemas in [`params`](super::params).
//! It is public (no token): it describes the API and holds no data (docs/decisions.md).

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::OpenApi;

use super::admin::{self, History, MoveRecord, PlayerList, RoomList, Stats};
use super::users::{self, UserRooms};
use super::error::{ErrorBody, ErrorDetail};
use super::webhooks::{self, DeadEvent, DeadEvents, WebhookStats};
use crate::model::{PlayerInfo, RoomSnapshot, RoomSummary};

/// The OpenAPI document of `/api/v1`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Parlor admin API",
        description = "Query and manage Parlor rooms and the results webhook's dead letters. Every operation but this document needs \
            `Authorization: Bearer <admin token>`. Every error is `{\"error\":{\"code\",\"message\"}}`; \
            unknown paths answer 404 and unsupported methods 405 in the same shape."
    ),
    paths(
        admin::list_rooms,
        admin::get_room,
        admin::get_players,
        admin::get_history,
        admin::delete_room,
        admin::kick_player,
        admin::stats,
        users::user_rooms,
        users::revoke,
        webhooks::webhook_stats,
        webhooks::dead_letters,
        webhooks::retry_dead,
        webhooks::delete_dead,
        openapi_json
    ),
    components(schemas(
        RoomList,
        RoomSnapshot,
        RoomSummary,
        PlayerInfo,
        PlayerList,
        History,
        UserRooms,
        MoveRecord,
        Stats,
        WebhookStats,
        DeadEvents,
        DeadEvent,
        ErrorBody,
        ErrorDetail
    )),
    modifiers(&BearerAuth, &ParameterFixes),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Parameters whose schema comes from a function (`schema_with`) get neither the
/// field's doc comment nor `required`; this copies the schema's description up to the
/// parameter and marks every path parameter required, as OpenAPI demands.
struct ParameterFixes;

impl utoipa::Modify for ParameterFixes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::{RefOr, Required, Schema};
        for item in openapi.paths.paths.values_mut() {
            let ops = [&mut item.get, &mut item.post, &mut item.delete];
            for op in ops.into_iter().flatten() {
                for param in op.parameters.iter_mut().flatten() {
                    let RefOr::T(param) = param else { continue };
                    if param.parameter_in == ParameterIn::Path {
                        param.required = Required::True;
                    }
                    if param.description.is_none() {
                        if let Some(RefOr::T(Schema::Object(schema))) = &param.schema {
                            param.description = schema.description.clone();
                        }
                    }
                }
            }
        }
    }
}

/// This document (public: no token needed).
#[utoipa::path(get, path = "/api/v1/openapi.json", security(()),
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub async fn openapi_json() -> impl IntoResponse {
    // The document never changes while the process runs: build and serialise it once.
    static DOC: OnceLock<String> = OnceLock::new();
    let body = DOC.get_or_init(|| {
        ApiDoc::openapi()
            .to_json()
            .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    });
    ([(header::CONTENT_TYPE, "application/json")], body.as_str())
}
