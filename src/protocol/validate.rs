//! Validation of the few free-form strings clients send: room codes, names and chat text.

use crate::error::{ErrorCode, ProtoError};

/// Characters room codes are made of (no 0/O, 1/I to avoid misreading).
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Length of a room code.
pub const CODE_LEN: usize = 6;
/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 24;
/// Longest chat message, in characters.
pub const MAX_CHAT_CHARS: usize = 500;

/// Upper-case a room code and check its shape; joining is case-insensitive.
pub fn normalize_code(code: &str) -> Result<String, ProtoError> {
    let upper = code.trim().to_ascii_uppercase();
    if upper.len() == CODE_LEN && upper.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        Ok(upper)
    } else {
        Err(ProtoError::new(
            ErrorCode::BadRequest,
            "a room code is 6 letters or digits (no 0, 1, I or O)",
        ))
    }
}

/// Trim a display name and check it: 1–24 characters, no control characters.
pub fn validate_name(name: &str) -> Result<String, ProtoError> {
    let trimmed = name.trim();
    let chars = trimmed.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(ProtoError::new(
            ErrorCode::BadRequest,
            "a name is 1 to 24 characters",
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(ProtoError::new(
            ErrorCode::BadRequest,
            "a name cannot contain control characters",
        ));
    }
    Ok(trimmed.to_string())
}

/// Check chat text: 1–500 characters, no control characters except line breaks and tabs.
pub fn validate_chat(text: &str) -> Result<(), ProtoError> {
    let chars = text.chars().count();
    if chars == 0 || chars > MAX_CHAT_CHARS || text.trim().is_empty() {
        return Err(ProtoError::new(
            ErrorCode::BadRequest,
            "a chat message is 1 to 500 characters",
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ProtoError::new(
            ErrorCode::BadRequest,
            "chat cannot contain control characters",
        ));
    }
    Ok(())
}

/// Check a room's `turn_secs` (5–600 when given).
pub fn validate_turn_secs(secs: Option<i64>) -> Result<Option<u32>, ProtoError> {
    match secs {
        None => Ok(None),
        Some(s @ 5..=600) => Ok(u32::try_from(s).ok()),
        Some(_) => Err(ProtoError::new(
            ErrorCode::BadRequest,
            "turn_secs must be an integer from 5 to 600",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(normalize_code("k7qxhm").unwrap(), "K7QXHM");
        for bad in [
            "", "ABCDE", "ABCDEFG", "ABCDE0", "ABCDEI", "ABC DE", "ÄBCDEF",
        ] {
            assert!(normalize_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(validate_name("  alice ").unwrap(), "alice");
        assert!(validate_name("   ").is_err());
        assert!(validate_name(&"x".repeat(25)).is_err());
        assert!(validate_name(&"é".repeat(24)).is_ok());
        assert!(validate_name("a\u{7}b").is_err());
    }

    #[test]
    fn chat() {
        assert!(validate_chat("hi\nthere").is_ok());
        assert!(validate_chat("").is_err());
        assert!(validate_chat("  ").is_err());
        assert!(validate_chat(&"x".repeat(501)).is_err());
        assert!(validate_chat("a\u{0}").is_err());
    }
}
