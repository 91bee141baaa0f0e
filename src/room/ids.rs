//! Fresh identifiers and timestamps: room codes, player ids, session tokens.
//!
//! A session token is the room code followed by 192 random bits (base64url), so a resume
//! knows which room to read without a separate session lookup; only its SHA-256 is stored.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngExt;
use sha2::{Digest, Sha256};

use crate::protocol::{normalize_code, CODE_ALPHABET, CODE_LEN};

/// A random room code.
pub fn room_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// A random player id, `p_` and 16 hex digits.
pub fn player_id() -> String {
    format!("p_{}", hex::encode(rand::rng().random::<[u8; 8]>()))
}

/// A new session token for a seat in `code`.
pub fn session_token(code: &str) -> String {
    let secret: [u8; 24] = rand::rng().random();
    format!("{code}{}", URL_SAFE_NO_PAD.encode(secret))
}

/// The room a session token belongs to, if it is shaped like one.
pub fn session_room(token: &str) -> Option<String> {
    let code = token.get(..CODE_LEN)?;
    let rest = token.get(CODE_LEN..)?;
    if rest.len() != 32
        || !rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    normalize_code(code).ok().filter(|c| c == code)
}

/// What is stored in place of a session token.
pub fn session_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Now, RFC 3339 with seconds (room timestamps).
pub fn now_secs() -> String {
    secs_of(chrono::Utc::now())
}

/// Now, RFC 3339 with milliseconds (chat timestamps).
pub fn now_millis() -> String {
    millis_of(chrono::Utc::now())
}

/// `now` as RFC 3339 with seconds. Every write stamps its room, so each thread formats a
/// second once and copies it for the writes within that second.
pub fn secs_of(now: chrono::DateTime<chrono::Utc>) -> String {
    thread_local! {
        static LAST: std::cell::RefCell<(i64, String)> = const { std::cell::RefCell::new((0, String::new())) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        // The initial (0, "") never matches: no write is stamped in 1970.
        if last.0 != now.timestamp() {
            *last = (
                now.timestamp(),
                now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            );
        }
        last.1.clone()
    })
}

/// `now` as RFC 3339 with milliseconds, through the same per-thread cache as the move
/// log's stamps.
pub fn millis_of(now: chrono::DateTime<chrono::Utc>) -> String {
    crate::store::outbox::rfc3339_ms(now.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_their_room() {
        let code = room_code();
        assert!(normalize_code(&code).is_ok());
        let token = session_token(&code);
        assert_eq!(session_room(&token), Some(code.clone()));
        assert_ne!(session_token(&code), token);
        assert_eq!(session_room("short"), None);
        assert_eq!(session_room(&format!("{code}!!")), None);
        assert_eq!(session_room(&token.to_lowercase()), None);
        assert_eq!(session_hash(&token).len(), 64);
    }

    #[test]
    fn room_timestamps_are_the_current_second() {
        let before = chrono::Utc::now().timestamp();
        let stamp = now_secs();
        let parsed = chrono::DateTime::parse_from_rfc3339(&stamp).expect("RFC 3339");
        assert!(stamp.ends_with('Z') && stamp.len() == 20, "{stamp}");
        assert!(
            (before..=before + 1).contains(&parsed.timestamp()),
            "{stamp}"
        );
        // The copy kept for the second is the same text.
        let again = now_secs();
        assert!(again >= stamp, "{again} after {stamp}");
    }

    #[test]
    fn ids_are_distinct() {
        assert_ne!(player_id(), player_id());
        assert!(player_id().starts_with("p_"));
    }
}
