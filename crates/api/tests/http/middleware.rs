use crate::support::{header, json, spawn_app, spawn_app_with};

#[tokio::test]
async fn untrusted_host_is_refused_when_trusted_hosts_are_set() {
    let app = spawn_app_with(&[("TRUSTED_HOSTS", "api.comanda.test,*.lojas.test")]).await;
    for (host, expected) in [
        ("api.comanda.test", 200),
        ("pizza.lojas.test:8080", 200),
        ("evil.example", 400),
        ("lojas.test", 400),
    ] {
        let response = app
            .client
            .get(app.url("/openapi.json"))
            .header("Host", host)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), expected, "{host}");
        if expected == 400 {
            assert_eq!(json(response).await["code"], "invalid_host", "{host}");
        }
    }
    // Probes and scrapers use the pod's address.
    for path in ["/health", "/metrics"] {
        let response = app
            .client
            .get(app.url(path))
            .header("Host", "10.1.2.3:8080")
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn any_host_is_accepted_without_trusted_hosts() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/health"))
        .header("Host", "whatever.example")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn cors_preflight_from_an_allowed_origin_is_answered() {
    let app = spawn_app_with(&[("CORS_ALLOWED_ORIGINS", "https://loja.comanda.test")]).await;
    let response = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/stores"))
        .header("Origin", "https://loja.comanda.test")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type, x-tenant")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 204);
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some("https://loja.comanda.test")
    );
    assert_eq!(
        header(&response, "access-control-allow-credentials"),
        Some("true")
    );
    let methods = header(&response, "access-control-allow-methods").expect("methods");
    assert!(methods.contains("POST"));
    let headers = header(&response, "access-control-allow-headers").expect("headers");
    assert!(headers.contains("X-Tenant") && headers.contains("Content-Type"));
}

#[tokio::test]
async fn cors_preflight_from_another_origin_is_refused() {
    let app = spawn_app_with(&[("CORS_ALLOWED_ORIGINS", "https://loja.comanda.test")]).await;
    let response = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/stores"))
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 403);
    assert!(header(&response, "access-control-allow-origin").is_none());
    assert_eq!(json(response).await["code"], "origin_not_allowed");
}

#[tokio::test]
async fn cors_headers_only_for_allowed_origins_on_normal_requests() {
    let app = spawn_app_with(&[("CORS_ALLOWED_ORIGINS", "https://loja.comanda.test")]).await;
    let allowed = app
        .client
        .get(app.url("/health"))
        .header("Origin", "https://loja.comanda.test")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        header(&allowed, "access-control-allow-origin"),
        Some("https://loja.comanda.test")
    );
    assert_eq!(
        header(&allowed, "access-control-allow-credentials"),
        Some("true")
    );
    assert!(
        header(&allowed, "access-control-expose-headers")
            .is_some_and(|h| h.contains("X-Request-Id"))
    );

    let other = app
        .client
        .get(app.url("/health"))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .expect("sent");
    assert_eq!(other.status(), 200);
    assert!(header(&other, "access-control-allow-origin").is_none());
}

#[tokio::test]
async fn security_headers_are_on_success_and_error_answers() {
    let app = spawn_app().await;
    for path in ["/health", "/missing"] {
        let response = app.get(path).await;
        assert_eq!(
            header(&response, "x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(header(&response, "x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(
            header(&response, "referrer-policy"),
            Some("no-referrer"),
            "{path}"
        );
        let csp = header(&response, "content-security-policy").expect("CSP");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(
            header(&response, "strict-transport-security").is_none(),
            "plain HTTP: no HSTS"
        );
    }
}

#[tokio::test]
async fn hsts_is_sent_behind_https() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/health"))
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .expect("sent");
    assert!(
        header(&response, "strict-transport-security").is_some_and(|v| v.starts_with("max-age="))
    );
}

#[tokio::test]
async fn request_id_is_echoed_when_sane_and_generated_otherwise() {
    let app = spawn_app().await;
    let echoed = app
        .client
        .get(app.url("/health"))
        .header("X-Request-Id", "front-end.42:abc")
        .send()
        .await
        .expect("sent");
    assert_eq!(header(&echoed, "x-request-id"), Some("front-end.42:abc"));

    let generated = app.get("/health").await;
    let id = header(&generated, "x-request-id").expect("generated id");
    assert_eq!(id.len(), 32);

    let hostile = app
        .client
        .get(app.url("/health"))
        .header("X-Request-Id", "evil\" injected=1")
        .send()
        .await
        .expect("sent");
    let replaced = header(&hostile, "x-request-id").expect("id");
    assert_ne!(replaced, "evil\" injected=1");
    assert_eq!(replaced.len(), 32);
}

#[tokio::test]
async fn request_id_is_on_error_answers_too() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/missing"))
        .header("X-Request-Id", "trace-me")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 404);
    assert_eq!(header(&response, "x-request-id"), Some("trace-me"));
}
