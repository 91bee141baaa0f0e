//! `/api/v1/docs`: the OpenAPI document rendered by Swagger UI. Every asset is embedded
//! in the binary (vendored from npm into `vendor/swagger-ui/`), and the page's content
//! security policy allows nothing but this server, so no request leaves the machine.
//! Public like the document itself (docs/decisions.md).

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "vendor/swagger-ui/"]
struct SwaggerUi;

/// Same origin only; Swagger UI's stylesheet uses inline SVG data URIs and inline styles.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

const INDEX_HTML: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Parlor admin API</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/api/v1/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/v1/docs/swagger-ui-bundle.js"></script>
  <script src="/api/v1/docs/init.js"></script>
</body>
</html>
"#;

// validatorUrl: null, or Swagger UI shows a badge image fetched from its public validator.
const INIT_JS: &str = r##"window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  showCommonExtensions: true,
  deepLinking: true,
  persistAuthorization: false,
  tryItOutEnabled: false,
});
"##;

/// `GET /api/v1/docs`: the page.
pub async fn index() -> Response {
    with_headers(
        "text/html; charset=utf-8",
        INDEX_HTML.as_bytes().to_vec(),
        Some(CSP),
    )
}

/// `GET /api/v1/docs/{file}`: Swagger UI's script and stylesheet, and the page's init.
pub async fn asset(Path(file): Path<String>) -> Response {
    if file == "init.js" {
        return with_headers("text/javascript", INIT_JS.as_bytes().to_vec(), None);
    }
    let servable = file.ends_with(".js") || file.ends_with(".css");
    match SwaggerUi::get(&file).filter(|_| servable) {
        Some(f) => with_headers(f.metadata.mimetype(), f.data.into_owned(), None),
        None => super::error::ApiError::NoRoute.into_response(),
    }
}

fn with_headers(mime: &str, body: Vec<u8>, csp: Option<&'static str>) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    if let Ok(mime) = HeaderValue::from_str(mime) {
        headers.insert(header::CONTENT_TYPE, mime);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(csp) = csp {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        );
    }
    response
}
