//! Any text frame a client can send: `parse_client_message` never panics, refuses only
//! with the two codes parsing can produce, and never accepts an oversized action.

#![no_main]

use libfuzzer_sys::fuzz_target;
use parlor::error::ErrorCode;
use parlor::protocol::{parse_client_message, ClientMsg, MAX_ACTION_BYTES};

fuzz_target!(|data: &[u8]| {
    // WebSocket text frames are UTF-8 by the time they reach the parser.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let incoming = parse_client_message(text);
    match incoming.msg {
        Ok(ClientMsg::Action { action, .. }) => {
            let len = serde_json::to_string(&action).map_or(usize::MAX, |s| s.len());
            assert!(len <= MAX_ACTION_BYTES, "accepted a {len}-byte action");
        }
        Ok(_) => {}
        Err(e) => {
            assert!(
                matches!(e.code, ErrorCode::BadRequest | ErrorCode::UnknownType),
                "unexpected code {:?}",
                e.code
            );
            assert!(!e.message.is_empty() && e.message.len() < 256);
        }
    }
});
