//! The cheap checks a client frame passes before and after it is parsed: how deeply it
//! nests, how large its `action` may be, and how long an error message quoting it may be.

use serde_json::Value;

/// Deepest JSON nesting accepted in a client frame; game actions are one level deep.
pub const MAX_DEPTH: usize = 16;

/// Largest `action` object accepted, in bytes of compact JSON. A real move is about a
/// dozen bytes; anything near this is junk that would otherwise be parsed, checked and
/// carried through the room service for nothing.
pub const MAX_ACTION_BYTES: usize = 256;

/// Whether `v` serialises to at most `max` bytes; stops writing as soon as it does not.
/// A move is a few bytes, so its size is first bounded without writing it.
pub(super) fn fits(v: &Value, max: usize) -> bool {
    if size_bound(v) <= max {
        return true;
    }
    struct Budget(usize);
    impl std::io::Write for Budget {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 = self
                .0
                .checked_sub(buf.len())
                .ok_or(std::io::ErrorKind::WriteZero)?;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    serde_json::to_writer(Budget(max), v).is_ok()
}

/// At least as many bytes as `v` serialises to: every string byte escaped as `\uXXXX`,
/// every number at its longest. Recursion is bounded by the frame's nesting check.
fn size_bound(v: &Value) -> usize {
    const NUMBER: usize = 24; // "-1.7976931348623157e308" and the like
    let string = |s: &str| s.len().saturating_mul(6).saturating_add(2);
    match v {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => NUMBER,
        Value::String(s) => string(s),
        Value::Array(items) => items
            .iter()
            .fold(2, |n: usize, x| n.saturating_add(size_bound(x) + 1)),
        Value::Object(map) => map.iter().fold(2, |n: usize, (k, x)| {
            n.saturating_add(string(k) + 2 + size_bound(x))
        }),
    }
}

/// Keep error messages short: serde may quote the client's input back.
pub(super) fn clip(s: &str) -> String {
    const MAX: usize = 160;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Maximum nesting of arrays/objects, ignoring brackets inside strings. Cheap guard run
/// before the parser so a hostile frame cannot make it recurse deeply.
pub(super) fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_str {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_bound_is_never_below_the_serialised_size() {
        let values = [
            r#"{"cell":4}"#,
            r#"{"n":1e15,"m":-1.7976931348623157e308,"k":18446744073709551615}"#,
            r#"{"s":"\u0000\u001f\"\\ é 😀","a":[null,true,false,[],{}]}"#,
            r#"[[[[1]]],{"":{"":""}}]"#,
        ];
        for text in values {
            let v: Value = serde_json::from_str(text).expect("valid JSON");
            let written = serde_json::to_string(&v).expect("serialises").len();
            assert!(
                size_bound(&v) >= written,
                "{text}: {} < {written}",
                size_bound(&v)
            );
        }
    }
}
