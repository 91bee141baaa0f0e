//! The wire protocol: every client message, every server frame, their JSON Schema and
//! AsyncAPI documents, and the validation of codes, names and chat text. Nothing here
//! touches the network or the store.

mod asyncapi;
mod client;
mod limits;
mod schema;
mod server;
mod validate;

// `Incoming` and `CLIENT_TYPES` are named outside only by the tests and fuzz targets, and
// the limits only by them (the `internals` feature).
#[cfg_attr(not(feature = "internals"), allow(unused_imports))]
pub use client::{parse_client_message, ClientMsg, Incoming, CLIENT_TYPES};
#[cfg_attr(not(feature = "internals"), allow(unused_imports))]
pub use limits::{MAX_ACTION_BYTES, MAX_DEPTH};
pub use asyncapi::asyncapi_document;
#[cfg_attr(not(feature = "internals"), allow(unused_imports))]
pub use schema::{schema_document, CLIENT_MESSAGE, SERVER_MESSAGE};
pub use server::CLOSE_REASON_GONE;
pub use server::{
    encode, frame_kind, ServerMsg, You, CLOSE_REASON_EMPTY, CLOSE_REASON_EXPIRED,
    CLOSE_REASON_OPERATOR, KICK_REASON_OPERATOR, KICK_REASON_REPLACED, KICK_REASON_RESUMED,
};
pub use validate::{
    normalize_code, validate_chat, validate_name, validate_turn_secs, CODE_ALPHABET, CODE_LEN,
};

