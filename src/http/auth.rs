//! Bearer-token guard for `/api/v1`, compared in constant time so response timing says
//! nothing about how much of a guess was right.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use subtle::ConstantTimeEq;

use super::error::ApiError;
use crate::state::AppState;

/// Middleware: pass only requests carrying `Authorization: Bearer <admin token>`.
pub async fn require_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
        .unwrap_or_default();
    if token_matches(presented, &state.admin_token) {
        Ok(next.run(request).await)
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// The credentials of a `Bearer` authorization value. The scheme name is
/// case-insensitive (RFC 9110 §11.1), so `bearer`, `BEARER` and `Bearer` all count.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim_start_matches(' '))
}

fn token_matches(presented: &str, expected: &str) -> bool {
    // `ct_eq` on slices of different lengths returns false without comparing bytes; the
    // length of the real token is not a secret worth hiding (it is fixed when generated).
    bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) && !expected.is_empty()
}

#[cfg(test)]
mod tests {
    use super::{bearer_token, token_matches};

    #[test]
    fn scheme_is_case_insensitive() {
        for value in ["Bearer t0k", "bearer t0k", "BEARER t0k", "bEaReR  t0k"] {
            assert_eq!(bearer_token(value), Some("t0k"), "{value:?}");
        }
        for value in ["Basic t0k", "Bearert0k", "t0k", "Bearer"] {
            assert_eq!(bearer_token(value), None, "{value:?}");
        }
    }

    #[test]
    fn compares_exactly() {
        assert!(token_matches("abc", "abc"));
        assert!(!token_matches("abd", "abc"));
        assert!(!token_matches("ab", "abc"));
        assert!(!token_matches("", ""));
    }
}
