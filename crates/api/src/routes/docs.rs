//! `/openapi.json` and `/docs`: the API described, and rendered by Swagger UI served from the
//! binary itself (no CDN, so it works offline and under a strict CSP).

use actix_web::get;
use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::error::ApiError;

const DOCS_HTML: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Comanda API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/init.js"></script>
</body>
</html>
"#;

const INIT_JS: &str = r##"window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  withCredentials: true
});
"##;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "swagger-ui-bundle.js",
        content_type: "application/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js"),
    },
    Asset {
        name: "swagger-ui.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/swagger-ui/swagger-ui.css"),
    },
    Asset {
        name: "favicon-32x32.png",
        content_type: "image/png",
        bytes: include_bytes!("../../assets/swagger-ui/favicon-32x32.png"),
    },
    Asset {
        name: "init.js",
        content_type: "application/javascript; charset=utf-8",
        bytes: INIT_JS.as_bytes(),
    },
];

/// The document is the same for the life of the process: build it once.
fn openapi_document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        crate::openapi::document()
            .to_json()
            .unwrap_or_else(|_| "{}".to_owned())
    })
}

/// The OpenAPI 3.1 document of every endpoint.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object))
)]
#[get("/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(openapi_document())
}

/// Swagger UI rendering `/openapi.json`.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The API documentation page", content_type = "text/html", body = String))
)]
#[get("/docs")]
pub async fn docs_page() -> HttpResponse {
    page().await
}

/// The page itself (also at `/docs/`).
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(DOCS_HTML)
}

pub async fn docs_asset(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let asset = ASSETS
        .iter()
        .find(|asset| asset.name == file.as_str())
        .ok_or_else(|| ApiError::not_found("Not found"))?;
    Ok(HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(asset.bytes))
}
