//! The admin API's parameters: their types, the exact schemas the OpenAPI document
//! gives them (patterns, bounds, enums) and the checks that hold the server to those
//! schemas, so that what the document allows is accepted and what it excludes is a 400.

use serde::Deserialize;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::IntoParams;

use super::error::ApiError;
use crate::game::GameKind;
use crate::model::Status;
use crate::protocol::{normalize_code, CODE_ALPHABET, CODE_LEN};

/// Largest page the listing returns.
pub const MAX_LIMIT: u32 = 200;
/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: u32 = 50;
/// Room statuses as they appear on the wire and in `?status=`.
pub const STATUSES: [&str; 3] = ["waiting", "playing", "finished"];
/// Player ids as `ids::player_id` makes them: `p_` and 16 lowercase hex digits.
pub const PLAYER_ID_PATTERN: &str = "^p_[0-9a-f]{16}$";

/// Filters and paging of the room listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only rooms of this game.
    #[param(schema_with = game_schema)]
    pub game: Option<String>,
    /// Only rooms in this status.
    #[param(schema_with = status_schema)]
    pub status: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(schema_with = limit_schema)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page (a room code, upper case).
    #[param(schema_with = cursor_schema)]
    pub cursor: Option<String>,
}

/// A room, by code.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RoomPath {
    /// Room code: 6 characters from `ABCDEFGHJKLMNPQRSTUVWXYZ23456789`, either case.
    #[param(schema_with = code_schema)]
    pub code: String,
}

/// A player of a room.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PlayerPath {
    /// Room code: 6 characters from `ABCDEFGHJKLMNPQRSTUVWXYZ23456789`, either case.
    #[param(schema_with = code_schema)]
    pub code: String,
    /// Player id, as `joined` and the room's player list give it.
    #[param(schema_with = player_id_schema)]
    pub player_id: String,
}

/// The listing's parameters, checked.
#[derive(Debug)]
pub struct Listing {
    pub game: Option<GameKind>,
    pub status: Option<Status>,
    pub limit: usize,
    pub cursor: Option<String>,
}

impl ListQuery {
    /// Check every parameter against its documented schema.
    pub fn check(self) -> Result<Listing, ApiError> {
        let game = self
            .game
            .map(|g| GameKind::parse(&g).ok_or_else(|| bad(format!("unknown game {g:?}"))))
            .transpose()?;
        let status = self
            .status
            .map(|s| Status::parse(&s).ok_or_else(|| bad(format!("unknown status {s:?}"))))
            .transpose()?;
        let limit = match self.limit {
            None => DEFAULT_LIMIT,
            Some(l) => {
                parse_limit(&l).ok_or_else(|| bad(format!("limit must be 1 to {MAX_LIMIT}")))?
            }
        };
        let cursor = self
            .cursor
            .map(|c| {
                if is_code(&c, false) {
                    Ok(c)
                } else {
                    Err(bad("cursor must be a next_cursor of an earlier page".into()))
                }
            })
            .transpose()?;
        Ok(Listing {
            game,
            status,
            limit: limit as usize,
            cursor,
        })
    }
}

/// The room code of a path, normalised to upper case; nothing but the 6 characters.
pub fn room_code(raw: &str) -> Result<String, ApiError> {
    if !is_code(raw, true) {
        return Err(bad(
            "a room code is 6 letters or digits (no 0, 1, I or O)".into()
        ));
    }
    normalize_code(raw).map_err(|e| ApiError::BadRequest(e.message))
}

/// A player id of a path.
pub fn player_id(raw: &str) -> Result<&str, ApiError> {
    let hex = raw.strip_prefix("p_").unwrap_or_default();
    let ok = hex.len() == 16 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if ok {
        Ok(raw)
    } else {
        Err(bad("a player id is p_ and 16 lowercase hex digits".into()))
    }
}

fn bad(message: String) -> ApiError {
    ApiError::BadRequest(message)
}

/// Digits only (no sign, no spaces), 1 to `MAX_LIMIT`.
fn parse_limit(raw: &str) -> Option<u32> {
    if raw.is_empty() || raw.len() > 3 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok().filter(|l| (1..=MAX_LIMIT).contains(l))
}

fn is_code(raw: &str, any_case: bool) -> bool {
    raw.len() == CODE_LEN
        && raw.bytes().all(|b| {
            let b = if any_case { b.to_ascii_uppercase() } else { b };
            CODE_ALPHABET.contains(&b)
        })
}

/// The code alphabet as a regex class body, e.g. `A-HJ-NP-Z2-9`, from [`CODE_ALPHABET`].
fn code_class(any_case: bool) -> String {
    let mut bytes: Vec<u8> = CODE_ALPHABET.to_vec();
    if any_case {
        bytes.extend(
            CODE_ALPHABET
                .iter()
                .filter(|b| b.is_ascii_uppercase())
                .map(u8::to_ascii_lowercase),
        );
    }
    bytes.sort_unstable();
    bytes.dedup();
    let mut class = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = bytes[i];
        while i + 1 < bytes.len() && bytes[i + 1] == bytes[i] + 1 {
            i += 1;
        }
        let end = bytes[i];
        class.push(start as char);
        if end > start {
            if end > start + 1 {
                class.push('-');
            }
            class.push(end as char);
        }
        i += 1;
    }
    class
}

fn string_schema(pattern: String, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(description))
        .build()
}

fn enum_schema<'a>(values: impl IntoIterator<Item = &'a str>, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description(Some(description))
        .build()
}

fn game_schema() -> Object {
    enum_schema(
        GameKind::ALL.iter().map(|g| g.name()),
        "Only rooms of this game.",
    )
}

fn status_schema() -> Object {
    enum_schema(STATUSES, "Only rooms in this status.")
}

fn limit_schema() -> Object {
    limit_schema_of(MAX_LIMIT, DEFAULT_LIMIT, "Page size.")
}

/// The schema of a `limit` parameter: an integer from 1 to `max`, `default` when absent.
pub fn limit_schema_of(max: u32, default: u32, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .maximum(Some(max))
        .default(Some(default.into()))
        .description(Some(description))
        .build()
}

fn cursor_schema() -> Object {
    string_schema(
        format!("^[{}]{{{CODE_LEN}}}$", code_class(false)),
        "`next_cursor` of the previous page.",
    )
}

fn code_schema() -> Object {
    string_schema(
        format!("^[{}]{{{CODE_LEN}}}$", code_class(true)),
        "Room code (either case).",
    )
}

fn player_id_schema() -> Object {
    string_schema(PLAYER_ID_PATTERN.to_string(), "Player id.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_class_is_the_alphabet() {
        assert_eq!(code_class(false), "2-9A-HJ-NP-Z");
        assert_eq!(code_class(true), "2-9A-HJ-NP-Za-hj-np-z");
    }

    #[test]
    fn statuses_are_the_models() {
        for s in STATUSES {
            assert_eq!(Status::parse(s).map(Status::as_str), Some(s));
        }
    }

    #[test]
    fn generated_player_ids_pass() {
        let id = crate::room::ids::player_id();
        assert_eq!(player_id(&id).ok(), Some(id.as_str()));
        assert!(player_id("p_0123456789abcdeF").is_err());
        assert!(player_id("p_0123456789abcde").is_err());
    }

    #[test]
    fn limits_are_strict() {
        assert_eq!(parse_limit("1"), Some(1));
        assert_eq!(parse_limit("200"), Some(200));
        for bad in [
            "",
            "0",
            "201",
            "+5",
            "-1",
            " 5",
            "5.0",
            "abc",
            "5242964805234614744214373662720",
        ] {
            assert_eq!(parse_limit(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn codes_are_exact() {
        assert_eq!(room_code("abcdef").ok().as_deref(), Some("ABCDEF"));
        for bad in ["ABCDE", "ABCDEFG", " ABCDEF", "ABCDE0", "ABCDEI", "abcdeo"] {
            assert!(room_code(bad).is_err(), "{bad:?}");
        }
    }
}
