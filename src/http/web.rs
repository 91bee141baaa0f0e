//! The browser client, embedded in the binary at build time from `web/`, and the
//! JavaScript client library it runs on (`clients/js/src/`, served under
//! `/lib/parlor-client/`; the page's import map names it `@parlor/client`).
//!
//! JavaScript goes out without its comments and indentation (see [`strip_js`]): the
//! library's JSDoc types are for `tsc`, and the page should not load them.

use std::borrow::Cow;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_embed::RustEmbed;
use serde_json::{json, Value};

use crate::state::AppState;

#[derive(RustEmbed)]
#[folder = "web/"]
struct Assets;

/// `@parlor/client`, the one implementation of the protocol in JavaScript.
#[derive(RustEmbed)]
#[folder = "clients/js/src/"]
#[prefix = "lib/parlor-client/"]
struct Library;

/// `GET /`: the client's page.
pub async fn index() -> Response {
    asset("index.html")
}

/// `GET /games.json`: the games this server plays, in registration order (the client's
/// game picker).
pub async fn games(State(state): State<AppState>) -> Json<Value> {
    let games: Vec<Value> = state
        .rooms
        .games()
        .all()
        .iter()
        .map(|g| json!({"id": g.name(), "seats": g.seats()}))
        .collect();
    Json(json!({ "games": games }))
}

/// `GET /admin`: the admin console (`web/admin/`), which talks to `/api/v1` only.
pub async fn admin() -> Response {
    asset("admin/index.html")
}

/// `GET /{file}`: other client files (the console's under `admin/`, the library's
/// under `lib/parlor-client/`).
pub async fn file(Path(path): Path<String>) -> Response {
    asset(&path)
}

fn asset(path: &str) -> Response {
    let Some(file) = Assets::get(path).or_else(|| Library::get(path)) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mime = file.metadata.mimetype().to_string();
    let stripped = path
        .ends_with(".js")
        .then(|| std::str::from_utf8(&file.data).ok().and_then(strip_js))
        .flatten();
    let body = match stripped {
        Some(js) => Cow::Owned(js.into_bytes()),
        None => file.data,
    };
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "no-cache".to_string()),
        ],
        body,
    )
        .into_response()
}

/// Words after which a `/` starts a regular expression, not a division.
const BEFORE_REGEX: &[&[u8]] = &[
    b"return",
    b"typeof",
    b"instanceof",
    b"in",
    b"of",
    b"new",
    b"delete",
    b"void",
    b"throw",
    b"case",
    b"do",
    b"else",
    b"yield",
    b"await",
];

/// JavaScript without comments, indentation or runs of spaces, with every line break
/// kept, so the line numbers of an error in the browser still match the source. Strings,
/// template literals and regular expressions are copied as they are. `None` when the
/// source does not scan (an unterminated string, comment, template or regular
/// expression); it is then served as it is.
///
/// Whether a `/` starts a regular expression is decided by what precedes it, as
/// minifiers do: after a value (a name, a number, `)` or `]`) it divides.
fn strip_js(src: &str) -> Option<String> {
    let b = src.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    // For each open `{`: whether it began a template literal's `${…}`.
    let mut braces: Vec<bool> = Vec::new();
    let mut regex_ok = true;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        match c {
            b'\n' => {
                newline(&mut out);
                i += 1;
            }
            b' ' | b'\t' | b'\r' => {
                space(&mut out);
                i += 1;
            }
            b'/' if next == Some(b'/') => i = find(b, i, b"\n").unwrap_or(b.len()),
            b'/' if next == Some(b'*') => {
                let end = find(b, i + 2, b"*/")? + 2;
                match b[i..end].iter().filter(|&&x| x == b'\n').count() {
                    0 => space(&mut out),
                    lines => (0..lines).for_each(|_| newline(&mut out)),
                }
                i = end;
            }
            b'\'' | b'"' => {
                let end = string_end(b, i)?;
                out.extend_from_slice(&b[i..end]);
                i = end;
                regex_ok = false;
            }
            b'`' => {
                let end = template_part(b, i + 1, &mut braces, &mut regex_ok)?;
                out.extend_from_slice(&b[i..end]);
                i = end;
            }
            // The guard pops every `}`'s brace; only the end of a `${` goes on here.
            b'}' if braces.pop() == Some(true) => {
                let end = template_part(b, i + 1, &mut braces, &mut regex_ok)?;
                out.extend_from_slice(&b[i..end]);
                i = end;
            }
            b'/' if regex_ok => {
                let end = regex_end(b, i)?;
                out.extend_from_slice(&b[i..end]);
                i = end;
                regex_ok = false;
            }
            _ if is_word(c) => {
                let end = b[i..].iter().position(|&x| !is_word(x)).map_or(b.len(), |n| i + n);
                regex_ok = BEFORE_REGEX.contains(&&b[i..end]);
                out.extend_from_slice(&b[i..end]);
                i = end;
            }
            _ => {
                if c == b'{' {
                    braces.push(false);
                }
                regex_ok = !matches!(c, b')' | b']');
                out.push(c);
                i += 1;
            }
        }
    }
    if braces.contains(&true) {
        return None; // a template literal left open
    }
    String::from_utf8(out).ok()
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// One space between tokens; none at the start of a line.
fn space(out: &mut Vec<u8>) {
    if !matches!(out.last(), None | Some(b' ' | b'\n')) {
        out.push(b' ');
    }
}

fn newline(out: &mut Vec<u8>) {
    while out.last() == Some(&b' ') {
        out.pop();
    }
    out.push(b'\n');
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// The end (exclusive) of the quoted string starting at `start`.
fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let quote = b[start];
    let mut j = start + 1;
    loop {
        match *b.get(j)? {
            b'\\' => j += 2,
            b'\n' => return None,
            q if q == quote => return Some(j + 1),
            _ => j += 1,
        }
    }
}

/// The end of a template literal's text from `from` (after a backtick or a `}` closing
/// a `${`): its closing backtick, or the next `${`, which opens a brace of code.
fn template_part(b: &[u8], from: usize, braces: &mut Vec<bool>, regex_ok: &mut bool) -> Option<usize> {
    let mut j = from;
    loop {
        match *b.get(j)? {
            b'\\' => j += 2,
            b'`' => {
                *regex_ok = false;
                return Some(j + 1);
            }
            b'$' if b.get(j + 1) == Some(&b'{') => {
                braces.push(true);
                *regex_ok = true;
                return Some(j + 2);
            }
            _ => j += 1,
        }
    }
}

/// The end of the regular expression literal starting at `start`, flags included.
fn regex_end(b: &[u8], start: usize) -> Option<usize> {
    let mut j = start + 1;
    let mut in_class = false;
    loop {
        match *b.get(j)? {
            b'\\' => j += 1,
            b'\n' => return None,
            b'[' => in_class = true,
            b']' => in_class = false,
            b'/' if !in_class => break,
            _ => {}
        }
        j += 1;
    }
    j += 1;
    while b.get(j).is_some_and(|c| c.is_ascii_alphabetic()) {
        j += 1;
    }
    Some(j)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_indentation_go_line_breaks_stay() {
        let src = "// head\nconst a  =  1; // tail\n/** doc\n * more\n */\nfunction f(x) {\n    return x / 2; /* half */\n}\n";
        let want = "\nconst a = 1;\n\n\n\nfunction f(x) {\nreturn x / 2;\n}\n";
        assert_eq!(strip_js(src).as_deref(), Some(want));
    }

    #[test]
    fn strings_templates_and_regexes_are_copied_as_they_are() {
        let src = r#"const u = "http://x/*"; const s = 'it\'s // not'; const r = /\/\/+[/*]/g;"#;
        assert_eq!(strip_js(src).as_deref(), Some(src));
        let src = "const t = `a // ${b ? \"}\" : `c /* ${d} */`} e\n   f`;";
        assert_eq!(strip_js(src).as_deref(), Some(src));
        let src = "if (ok) return /a'b/.test(x);\nconst q = a / b / c; // 'x\n";
        assert_eq!(strip_js(src).as_deref(), Some("if (ok) return /a'b/.test(x);\nconst q = a / b / c;\n"));
    }

    #[test]
    fn inline_type_casts_go() {
        let src = "const w = /** @type {any} */ (globalThis).window;";
        assert_eq!(strip_js(src).as_deref(), Some("const w = (globalThis).window;"));
    }

    #[test]
    fn what_does_not_scan_is_left_alone() {
        for src in ["const s = \"open", "/* open", "const t = `open ${", "const r = /open\n/;"] {
            assert_eq!(strip_js(src), None, "{src}");
        }
    }

    #[test]
    fn every_served_script_scans_and_shrinks() {
        let names = Assets::iter().chain(Library::iter());
        let scripts: Vec<_> = names.filter(|n| n.ends_with(".js")).collect();
        assert!(scripts.iter().any(|n| n.starts_with("lib/parlor-client/")));
        for name in scripts {
            let file = Assets::get(&name).or_else(|| Library::get(&name));
            let src = String::from_utf8(file.map(|f| f.data.into_owned()).unwrap_or_default()).unwrap_or_default();
            let stripped = strip_js(&src).unwrap_or_default();
            assert!(!stripped.is_empty() && stripped.len() < src.len(), "{name}");
            let breaks = |s: &str| s.matches('\n').count();
            assert_eq!(breaks(&stripped), breaks(&src), "{name}: line breaks kept");
        }
    }
}
