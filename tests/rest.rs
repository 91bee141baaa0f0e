//! The REST surface's contract beyond the happy path: the bearer scheme in any case,
//! JSON bodies on every rejection (axum's own included), an OpenAPI document exact
//! enough for schema-driven clients, the public docs page, request ids and HTTP metrics.

mod common;

use common::{test_config, Backend, TestServer};
use serde_json::Value;

async fn send(
    srv: &TestServer,
    method: reqwest::Method,
    path: &str,
    auth: Option<&str>,
) -> reqwest::Response {
    let mut req = crate::common::http().request(method, srv.url(path));
    if let Some(value) = auth {
        req = req.header("Authorization", value);
    }
    req.send().await.expect("http request")
}

/// Status, `error.code` and headers of a request that must fail with the JSON shape.
async fn rejection(
    srv: &TestServer,
    method: reqwest::Method,
    path: &str,
) -> (u16, String, reqwest::header::HeaderMap) {
    let resp = send(srv, method, path, Some("Bearer test-token")).await;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{path}: {status} body is not JSON ({e}): {text:?}"));
    let code = body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{path}: no error.code in {body}"))
        .to_string();
    assert!(
        body["error"]["message"].is_string(),
        "{path}: no error.message in {body}"
    );
    assert!(
        headers[reqwest::header::CONTENT_TYPE]
            .to_str()
            .is_ok_and(|c| c.starts_with("application/json")),
        "{path}: content type {:?}",
        headers.get(reqwest::header::CONTENT_TYPE)
    );
    (status, code, headers)
}

#[tokio::test]
async fn bearer_scheme_is_case_insensitive() {
    let srv = TestServer::with_backend(Backend::Memory, test_config()).await;
    for value in [
        "Bearer test-token",
        "bearer test-token",
        "BEARER test-token",
    ] {
        let resp = send(&srv, reqwest::Method::GET, "/api/v1/stats", Some(value)).await;
        assert_eq!(resp.status(), 200, "{value:?}");
    }
    for value in ["Basic test-token", "bearer wrong", "test-token"] {
        let resp = send(&srv, reqwest::Method::GET, "/api/v1/stats", Some(value)).await;
        assert_eq!(resp.status(), 401, "{value:?}");
    }
}

#[tokio::test]
async fn every_rejection_is_json() {
    let srv = TestServer::with_backend(Backend::Memory, test_config()).await;
    use reqwest::Method;
    let bad = [
        "/api/v1/rooms?limit=abc",
        "/api/v1/rooms?limit=-1",
        "/api/v1/rooms?limit=0",
        "/api/v1/rooms?limit=201",
        "/api/v1/rooms?limit=5242964805234614744214373662720",
        "/api/v1/rooms?limit=%2B5",
        "/api/v1/rooms?status=bogus",
        "/api/v1/rooms?game=",
        "/api/v1/rooms?cursor=nope",
        "/api/v1/rooms/0",
        "/api/v1/rooms/%FF%FE",
        "/api/v1/rooms/%20ABCDE",
        "/api/v1/rooms/ABCDEF/players/%FF",
        "/api/v1/rooms/ABCDEF/players/someone",
    ];
    for path in bad {
        let method = if path.contains("/players/") {
            Method::DELETE
        } else {
            Method::GET
        };
        let (status, code, _) = rejection(&srv, method, path).await;
        assert_eq!((status, code.as_str()), (400, "bad_request"), "{path}");
    }
    let (status, code, _) = rejection(&srv, Method::GET, "/api/v1/nope").await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    let (status, code, _) = rejection(&srv, Method::GET, "/api/v1").await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    let (status, code, _) = rejection(&srv, Method::GET, "/api/v1/rooms/").await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    let (status, code, headers) = rejection(&srv, Method::PUT, "/api/v1/rooms").await;
    assert_eq!((status, code.as_str()), (405, "method_not_allowed"));
    assert!(
        headers.contains_key(reqwest::header::ALLOW),
        "405 keeps Allow"
    );
    // Well-formed but absent: 404, not 400.
    let (status, code, _) = rejection(&srv, Method::GET, "/api/v1/rooms/abcdef").await;
    assert_eq!((status, code.as_str()), (404, "room_not_found"));
}

/// The parameter named `name` of `GET|DELETE path` in the document.
fn param<'a>(doc: &'a Value, path: &str, method: &str, name: &str) -> &'a Value {
    doc["paths"][path][method]["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("{method} {path} has no parameter {name}"))
}

#[tokio::test]
async fn openapi_is_exact_and_public() {
    let srv = TestServer::with_backend(Backend::Memory, test_config()).await;
    let resp = send(&srv, reqwest::Method::GET, "/api/v1/openapi.json", None).await;
    assert_eq!(resp.status(), 200, "the document needs no token");
    let doc: Value = resp.json().await.expect("json");

    let rooms = "/api/v1/rooms";
    let limit = &param(&doc, rooms, "get", "limit")["schema"];
    assert_eq!(
        (limit["minimum"].as_u64(), limit["maximum"].as_u64()),
        (Some(1), Some(200))
    );
    let games = &param(&doc, rooms, "get", "game")["schema"]["enum"];
    assert!(
        games
            .as_array()
            .is_some_and(|g| g.contains(&"tictactoe".into())),
        "{games}"
    );
    let statuses = &param(&doc, rooms, "get", "status")["schema"]["enum"];
    assert_eq!(
        statuses,
        &serde_json::json!(["waiting", "playing", "finished"])
    );
    assert!(param(&doc, rooms, "get", "cursor")["schema"]["pattern"].is_string());
    let code = &param(&doc, "/api/v1/rooms/{code}", "get", "code")["schema"]["pattern"];
    assert_eq!(code, "^[2-9A-HJ-NP-Za-hj-np-z]{6}$");
    let kick = "/api/v1/rooms/{code}/players/{player_id}";
    assert_eq!(
        param(&doc, kick, "delete", "player_id")["schema"]["pattern"],
        "^p_[0-9a-f]{16}$"
    );

    // Every secured operation documents 400 (if it takes parameters) and 401 with a body.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let responses = op["responses"].as_object().expect("responses");
            if path.ends_with("openapi.json") {
                assert_eq!(op["security"], serde_json::json!([{}]), "{path} is public");
                continue;
            }
            assert!(responses.contains_key("401"), "{method} {path} lacks 401");
            if op["parameters"].is_array() {
                assert!(responses.contains_key("400"), "{method} {path} lacks 400");
            }
        }
    }
}

#[tokio::test]
async fn docs_page_and_console_are_served() {
    let srv = TestServer::with_backend(Backend::Memory, test_config()).await;
    let page = send(&srv, reqwest::Method::GET, "/api/v1/docs", None).await;
    assert_eq!(page.status(), 200, "the docs page needs no token");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_string();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    let html = page.text().await.expect("html");
    for asset in ["swagger-ui-bundle.js", "swagger-ui.css", "init.js"] {
        assert!(
            html.contains(&format!("/api/v1/docs/{asset}")),
            "page links {asset}"
        );
        let resp = send(
            &srv,
            reqwest::Method::GET,
            &format!("/api/v1/docs/{asset}"),
            None,
        )
        .await;
        assert_eq!(resp.status(), 200, "{asset}");
    }
    let missing = send(&srv, reqwest::Method::GET, "/api/v1/docs/LICENSE", None).await;
    assert_eq!(missing.status(), 404);

    let slash = send(&srv, reqwest::Method::GET, "/admin/", None).await;
    assert_eq!(slash.status(), 200);
    let console = send(&srv, reqwest::Method::GET, "/admin", None).await;
    assert_eq!(console.status(), 200);
    assert!(console
        .text()
        .await
        .expect("html")
        .contains("/admin/admin.js"));
    let js = send(&srv, reqwest::Method::GET, "/admin/admin.js", None).await;
    assert_eq!(js.status(), 200);
}

#[tokio::test]
async fn request_ids_and_http_metrics() {
    let srv = TestServer::with_backend(Backend::Memory, test_config()).await;
    let client = crate::common::http();
    let given = client
        .get(srv.url("/healthz"))
        .header("x-request-id", "trace-abc.123")
        .send()
        .await
        .expect("request");
    assert_eq!(given.headers()["x-request-id"], "trace-abc.123", "echoed");
    let made = send(&srv, reqwest::Method::GET, "/healthz", None).await;
    let id = made.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(id.len() >= 16, "generated: {id:?}");
    let forged = client
        .get(srv.url("/healthz"))
        .header("x-request-id", "a b\tc")
        .send()
        .await
        .expect("request");
    assert_ne!(
        forged.headers()["x-request-id"],
        "a b\tc",
        "a bad id is replaced"
    );

    for path in [
        "/api/v1/rooms/ABCDEF",
        "/api/v1/rooms/ABCDEG",
        "/no/such/file",
    ] {
        send(&srv, reqwest::Method::GET, path, Some("Bearer test-token")).await;
    }
    let text = send(&srv, reqwest::Method::GET, "/metrics", None)
        .await
        .text()
        .await
        .expect("metrics");
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("parlor_http_requests_total{")
                && l.contains(r#"route="/api/v1/rooms/{code}""#)
                && l.contains(r#"status_class="4xx""#)
        })
        .unwrap_or_else(|| panic!("no HTTP request series by route template in:\n{text}"));
    let count: f64 = line
        .rsplit(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .expect("value");
    assert!(count >= 2.0, "{line}");
    assert!(!text.contains("ABCDEF"), "raw paths never become labels");
    assert!(text.contains("parlor_http_request_duration_seconds_bucket{"));
    assert!(text.contains("parlor_ws_max_connections"));
}
