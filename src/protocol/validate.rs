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

/// Characters that change the direction of the text around them (Unicode bidi controls:
/// marks, embeddings, overrides, isolates). In a name or a chat line they let one player
/// make text read differently from what it is (`U+202E` reverses what follows).
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Characters that take no space and show nothing (zero-width spaces and joiners, word
/// joiner, byte-order mark, soft hyphen, Mongolian vowel separator): two names differing
/// only by them look the same.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}

/// Pictographs, and the variation selector and modifiers that follow them in emoji
/// sequences: the characters a zero-width joiner may glue together.
fn is_emoji_part(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xFE0F)
}

/// Whether the character at `i` is a zero-width joiner inside an emoji sequence
/// (👨‍👩‍👧, ❤️‍🔥), where it is part of how the emoji looks.
fn is_emoji_joiner(chars: &[char], i: usize) -> bool {
    chars[i] == '\u{200D}'
        && i > 0
        && chars.get(i + 1).is_some_and(|n| is_emoji_part(*n))
        && is_emoji_part(chars[i - 1])
}

/// Trim a display name and check it: 1–24 characters, no control characters, nothing
/// invisible or direction-changing (a name must look like what it is); zero-width joiners
/// inside emoji sequences are allowed.
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
    let chars: Vec<char> = trimmed.chars().collect();
    let hidden = chars
        .iter()
        .enumerate()
        .any(|(i, c)| is_bidi_control(*c) || (is_invisible(*c) && !is_emoji_joiner(&chars, i)));
    if hidden {
        return Err(ProtoError::new(
            ErrorCode::BadRequest,
            "a name cannot contain invisible or direction-changing characters",
        ));
    }
    Ok(trimmed.to_string())
}

/// Check chat text (1–500 characters, no control characters except line breaks and tabs)
/// and return it without bidi controls, so one line cannot reorder the next ones. Emoji,
/// and the zero-width joiners inside them, stay.
pub fn validate_chat(text: &str) -> Result<String, ProtoError> {
    let text: String = text.chars().filter(|c| !is_bidi_control(*c)).collect();
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
    Ok(text)
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
    fn names_look_like_what_they_are() {
        for bad in [
            "evil\u{202E}gnp.exe",
            "\u{2066}bob\u{2069}",
            "a\u{2067}b",
            "a\u{2068}b",
            "bo\u{200B}b",
            "bo\u{200D}b",
            "\u{FEFF}bob",
            "a\u{200F}b",
            "\u{200D}\u{1F469}",
        ] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
        for good in [
            "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}",
            "ann \u{2764}\u{FE0F}\u{200D}\u{1F525}",
            "Zoë",
            "\u{05E9}\u{05DC}\u{05D5}\u{05DD}",
        ] {
            assert_eq!(validate_name(good).as_deref(), Ok(good), "{good:?}");
        }
    }

    #[test]
    fn chat_drops_bidi_controls_and_keeps_emoji() {
        assert_eq!(validate_chat("a\u{202E}b\u{2066}c").unwrap(), "abc");
        let family = "hi \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
        assert_eq!(validate_chat(family).unwrap(), family);
        assert!(validate_chat("\u{202E}\u{2069}").is_err());
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
