//! Client → server messages and their parsing.
//!
//! Parsing is two-step so errors are precise: the frame is read as a JSON object, its
//! `type` is checked against the known types (`unknown_type`), and only then is it decoded
//! into [`ClientMsg`] (`bad_request` with serde's reason when a field is wrong).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::limits::{clip, fits, nesting_depth, MAX_ACTION_BYTES, MAX_DEPTH};
use crate::error::{ErrorCode, ProtoError};

/// Every message a client may send. Unknown extra fields are ignored.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// Open a new room and take seat 0.
    CreateRoom {
        /// Game name, e.g. `tictactoe`.
        game: String,
        /// Display name.
        name: String,
        /// Private rooms are neither listed nor quick-joined.
        #[serde(default)]
        private: bool,
        /// Seconds each move may take (5–600); no turn clock when absent.
        #[serde(default)]
        #[schemars(range(min = 5, max = 600))]
        turn_secs: Option<i64>,
    },
    /// Join a room by code, as a player or a spectator.
    JoinRoom {
        /// Room code (case-insensitive).
        room: String,
        /// Display name.
        name: String,
        /// Watch instead of taking a seat.
        #[serde(default)]
        spectate: bool,
    },
    /// Join any public waiting room of a game, or open a new one.
    QuickJoin {
        /// Game name.
        game: String,
        /// Display name.
        name: String,
    },
    /// Reclaim a seat with the session token from an earlier `joined`.
    Resume {
        /// The opaque session token.
        session: String,
    },
    /// Leave the current room (gives the seat up).
    LeaveRoom {},
    /// Make a move.
    Action {
        /// Game-specific move, e.g. `{"cell":4}`; each game's is among the `GameAction`
        /// definitions.
        #[schemars(with = "serde_json::Map<String, Value>")]
        action: Value,
        /// Apply only if the room is still at this version.
        #[serde(default)]
        expected_version: Option<u64>,
    },
    /// Start a new game after the current one finished.
    Rematch {},
    /// Say something to the room.
    Chat {
        /// 1–500 characters.
        text: String,
    },
    /// List public rooms with a free seat.
    ListRooms {
        /// Only rooms of this game.
        #[serde(default)]
        game: Option<String>,
    },
    /// Application-level ping; answered with `pong`.
    Ping {},
    /// Sign in (or refresh) with a token from the game's backend.
    Auth {
        /// The JWT.
        token: String,
    },
}

/// The `type` values [`ClientMsg`] knows; also the bounded label set of inbound metrics.
pub const CLIENT_TYPES: [&str; 11] = [
    "create_room",
    "join_room",
    "quick_join",
    "resume",
    "leave_room",
    "action",
    "rematch",
    "chat",
    "list_rooms",
    "ping",
    "auth",
];

impl ClientMsg {
    /// The message's `type`, as a static string usable as a metric label.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientMsg::CreateRoom { .. } => "create_room",
            ClientMsg::JoinRoom { .. } => "join_room",
            ClientMsg::QuickJoin { .. } => "quick_join",
            ClientMsg::Resume { .. } => "resume",
            ClientMsg::LeaveRoom {} => "leave_room",
            ClientMsg::Action { .. } => "action",
            ClientMsg::Rematch {} => "rematch",
            ClientMsg::Chat { .. } => "chat",
            ClientMsg::ListRooms { .. } => "list_rooms",
            ClientMsg::Ping {} => "ping",
            ClientMsg::Auth { .. } => "auth",
        }
    }
}

/// A parsed frame: the request id to echo (if any) and the message or why it was refused.
#[derive(Debug)]
pub struct Incoming {
    /// The client's `req`, echoed on the reply.
    pub req: Option<u64>,
    /// The message, or the error to answer with.
    pub msg: Result<ClientMsg, ProtoError>,
}

/// A move, read straight into its fields. Moves are most of the traffic; any frame this
/// does not read (another type, a wrong field, bad JSON) takes the general path, which
/// also says precisely what is wrong.
#[derive(Deserialize)]
struct ActionFrame<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(default)]
    req: Option<u64>,
    action: Value,
    #[serde(default)]
    expected_version: Option<u64>,
}

/// Parse one text frame. Never panics, whatever the input.
pub fn parse_client_message(text: &str) -> Incoming {
    if nesting_depth(text) > MAX_DEPTH {
        return Incoming {
            req: None,
            msg: Err(ProtoError::new(
                ErrorCode::BadRequest,
                "JSON nested too deeply",
            )),
        };
    }
    // Only an object: serde would also read a struct from a JSON array.
    let fast = text
        .trim_start()
        .starts_with('{')
        .then(|| serde_json::from_str::<ActionFrame>(text).ok())
        .flatten();
    if let Some(frame) = fast.filter(|f| f.kind == "action") {
        return Incoming {
            req: frame.req,
            msg: check_size(ClientMsg::Action {
                action: frame.action,
                expected_version: frame.expected_version,
            }),
        };
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Incoming {
                req: None,
                msg: Err(ProtoError::new(
                    ErrorCode::BadRequest,
                    format!("malformed JSON: {}", clip(&e.to_string())),
                )),
            }
        }
    };
    let Value::Object(ref obj) = value else {
        return Incoming {
            req: None,
            msg: Err(ProtoError::new(
                ErrorCode::BadRequest,
                "a message must be a JSON object",
            )),
        };
    };
    let req = match obj.get("req") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(n) => Some(n),
            None => {
                return Incoming {
                    req: None,
                    msg: Err(ProtoError::new(
                        ErrorCode::BadRequest,
                        "req must be an unsigned integer",
                    )),
                }
            }
        },
    };
    let msg = match obj.get("type") {
        Some(Value::String(t)) if CLIENT_TYPES.contains(&t.as_str()) => {
            serde_json::from_value::<ClientMsg>(value)
                .map_err(|e| ProtoError::new(ErrorCode::BadRequest, clip(&e.to_string())))
                .and_then(check_size)
        }
        Some(Value::String(_)) => Err(ErrorCode::UnknownType.into()),
        _ => Err(ProtoError::new(
            ErrorCode::BadRequest,
            "missing or non-string field `type`",
        )),
    };
    Incoming { req, msg }
}

/// Refuse an `action` that is not an object (a wrongly typed field: `bad_request`, not
/// an `illegal_move`) or oversized (other fields are bounded by their own validation).
fn check_size(msg: ClientMsg) -> Result<ClientMsg, ProtoError> {
    match &msg {
        ClientMsg::Action { action, .. } if !action.is_object() => Err(ProtoError::new(
            ErrorCode::BadRequest,
            "action must be a JSON object",
        )),
        ClientMsg::Action { action, .. } if !fits(action, MAX_ACTION_BYTES) => Err(
            ProtoError::new(ErrorCode::BadRequest, "action is too large"),
        ),
        _ => Ok(msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> ErrorCode {
        parse_client_message(text).msg.unwrap_err().code
    }

    #[test]
    fn parses_every_type() {
        let cases = [
            r#"{"type":"create_room","game":"tictactoe","name":"a"}"#,
            r#"{"type":"join_room","room":"ABCDEF","name":"a","spectate":true}"#,
            r#"{"type":"quick_join","game":"connect4","name":"a"}"#,
            r#"{"type":"resume","session":"x"}"#,
            r#"{"type":"leave_room"}"#,
            r#"{"type":"action","action":{"cell":3},"expected_version":2}"#,
            r#"{"type":"rematch"}"#,
            r#"{"type":"chat","text":"hi"}"#,
            r#"{"type":"list_rooms"}"#,
            r#"{"type":"ping","req":7}"#,
        ];
        for (case, kind) in cases.iter().zip(CLIENT_TYPES) {
            let inc = parse_client_message(case);
            assert_eq!(inc.msg.expect(case).kind(), kind);
        }
        assert_eq!(parse_client_message(cases[9]).req, Some(7));
    }

    #[test]
    fn defaults_apply() {
        let inc = parse_client_message(r#"{"type":"create_room","game":"g","name":"n"}"#);
        assert!(matches!(
            inc.msg,
            Ok(ClientMsg::CreateRoom { private: false, .. })
        ));
    }

    #[test]
    fn errors_are_precise() {
        assert_eq!(code("{"), ErrorCode::BadRequest);
        assert_eq!(code("[]"), ErrorCode::BadRequest);
        assert_eq!(code(r#"{"type":"fly"}"#), ErrorCode::UnknownType);
        assert_eq!(code(r#"{"type":7}"#), ErrorCode::BadRequest);
        assert_eq!(code(r#"{"type":"chat"}"#), ErrorCode::BadRequest);
        assert_eq!(code(r#"{"type":"chat","text":5}"#), ErrorCode::BadRequest);
        assert_eq!(code(r#"{"type":"ping","req":-1}"#), ErrorCode::BadRequest);
    }

    #[test]
    fn req_is_echoed_even_on_errors() {
        let inc = parse_client_message(r#"{"type":"nope","req":42}"#);
        assert_eq!(inc.req, Some(42));
        assert_eq!(inc.msg.unwrap_err().code, ErrorCode::UnknownType);
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(code(&deep), ErrorCode::BadRequest);
        let in_string = r#"{"type":"chat","text":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}"#;
        assert!(parse_client_message(in_string).msg.is_ok());
    }


    #[test]
    fn actions_are_size_capped() {
        let ok = r#"{"type":"action","action":{"cell":3,"note":"fine"}}"#;
        assert!(parse_client_message(ok).msg.is_ok());
        let junk: serde_json::Map<String, Value> = (0..500)
            .map(|i| (format!("k{i}"), Value::from(i)))
            .collect();
        let big = serde_json::json!({"type": "action", "action": junk, "req": 3});
        let inc = parse_client_message(&big.to_string());
        assert_eq!(inc.req, Some(3));
        assert_eq!(inc.msg.unwrap_err().code, ErrorCode::BadRequest);
        let edge = "x".repeat(MAX_ACTION_BYTES - r#"{"k":""}"#.len());
        let at_limit = format!(r#"{{"type":"action","action":{{"k":"{edge}"}}}}"#);
        assert!(parse_client_message(&at_limit).msg.is_ok());
        let over = format!(r#"{{"type":"action","action":{{"k":"{edge}x"}}}}"#);
        assert_eq!(code(&over), ErrorCode::BadRequest);
    }

    #[test]
    fn action_must_be_an_object() {
        for action in ["null", r#""4""#, "[4]", "4", "true"] {
            let text = format!(r#"{{"type":"action","action":{action}}}"#);
            assert_eq!(code(&text), ErrorCode::BadRequest, "{action}");
        }
        assert!(parse_client_message(r#"{"type":"action","action":{}}"#)
            .msg
            .is_ok());
    }

    #[test]
    fn moves_read_on_the_fast_path_match_the_general_one() {
        let inc = parse_client_message(
            r#"{"type":"action","req":9,"action":{"cell":4},"expected_version":3,"x":1}"#,
        );
        assert_eq!(inc.req, Some(9));
        assert_eq!(
            inc.msg.unwrap(),
            ClientMsg::Action {
                action: serde_json::json!({"cell": 4}),
                expected_version: Some(3),
            }
        );
        // What the fast path does not read falls through to the precise errors.
        assert_eq!(
            code(r#"["action",1,{"cell":4},null]"#),
            ErrorCode::BadRequest
        );
        assert_eq!(
            code(r#"{"type":{"action":null},"action":{}}"#),
            ErrorCode::BadRequest
        );
        let bad_req = parse_client_message(r#"{"type":"action","req":"x","action":{}}"#);
        assert_eq!(bad_req.req, None);
        assert_eq!(bad_req.msg.unwrap_err().code, ErrorCode::BadRequest);
        let missing = parse_client_message(r#"{"type":"action","req":2}"#);
        assert_eq!(missing.req, Some(2));
        assert_eq!(missing.msg.unwrap_err().code, ErrorCode::BadRequest);
    }

    #[test]
    fn long_errors_are_clipped() {
        let text = format!(r#"{{"type":"chat","text":{}}}"#, "1".repeat(5000));
        let err = parse_client_message(&text).msg.unwrap_err();
        assert!(err.message.len() < 200);
    }
}
