use comanda_domain::tenancy::SubscriptionStatus;

use crate::support::{always_open, header, json, spawn_app};

#[tokio::test]
async fn openapi_document_describes_the_endpoints() {
    let app = spawn_app().await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    let document = json(response).await;
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    for path in ["/health", "/stores", "/metrics", "/openapi.json", "/docs"] {
        assert!(document["paths"][path].is_object(), "{path} is documented");
    }
    let stores = &document["paths"]["/stores"]["get"];
    let parameters: Vec<&str> = stores["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for name in ["X-Tenant", "X-Tenant-Id", "limit", "offset"] {
        assert!(parameters.contains(&name), "{name} in {parameters:?}");
    }
    assert!(document["components"]["schemas"]["ErrorBody"].is_object());
}

#[tokio::test]
async fn docs_page_renders_with_assets_served_by_the_app() {
    let app = spawn_app().await;
    let page = app.get("/docs").await;
    assert_eq!(page.status(), 200);
    let csp = header(&page, "content-security-policy")
        .expect("CSP")
        .to_owned();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    let html = page.text().await.expect("html");
    assert!(!html.contains("https://"), "no outside assets: {html}");
    for asset in [
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css",
        "/docs/assets/init.js",
    ] {
        assert!(html.contains(asset), "{asset}");
        let response = app.get(asset).await;
        assert_eq!(response.status(), 200, "{asset}");
        assert!(response.bytes().await.expect("body").len() > 100, "{asset}");
    }
    let init = app
        .get("/docs/assets/init.js")
        .await
        .text()
        .await
        .expect("js");
    assert!(init.contains("/openapi.json"));
    assert_eq!(app.get("/docs/assets/../../etc/passwd").await.status(), 404);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_and_show_the_pool() {
    let app = spawn_app().await;
    let tenant = app
        .create_tenant("medida", SubscriptionStatus::Active)
        .await;
    app.create_store(tenant.id, "Loja", always_open()).await;
    assert_eq!(app.get_as("medida", "/stores").await.status(), 200);
    assert_eq!(app.get_as("medida", "/stores").await.status(), 200);
    assert_eq!(app.get("/this/is/unknown").await.status(), 404);

    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(header(&response, "content-type").is_some_and(|v| v.starts_with("text/plain")));
    let text = response.text().await.expect("text");
    assert!(
        text.contains(
            r#"comanda_http_requests_total{method="GET",route="/stores",status="200"} 2"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"comanda_http_requests_total{method="GET",route="unmatched",status="404"} 1"#
        )
    );
    assert!(text.contains(r#"comanda_http_request_duration_seconds_bucket{method="GET",route="/stores",status="200",le="#));
    assert!(text.contains("comanda_db_pool_max_size 4"));
    assert!(text.contains("comanda_db_pool_connections"));
    let build_info = format!(
        r#"comanda_build_info{{commit="{}",version="{}"}} 1"#,
        comanda_api::build_info::COMMIT,
        comanda_api::build_info::VERSION
    );
    assert!(text.contains(&build_info), "{build_info} in {text}");
    assert_ne!(comanda_api::build_info::COMMIT, "", "a commit is recorded");
}
