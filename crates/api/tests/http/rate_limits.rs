use crate::support::{header, json, spawn_app_on, spawn_app_with, unique_prefix};

#[tokio::test]
async fn requests_past_the_per_ip_limit_get_429_with_headers() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_MINUTE", "3"), ("LEGACY_TENANT_SLUG", "x")]).await;
    for remaining in [2, 1, 0] {
        let response = app.get("/stores").await;
        assert_ne!(response.status(), 429);
        assert_eq!(
            header(&response, "ratelimit-policy"),
            Some("\"ip\";q=3;w=60")
        );
        let limit = header(&response, "ratelimit").expect("RateLimit header");
        assert!(
            limit.starts_with(&format!("\"ip\";r={remaining};t=")),
            "{limit}"
        );
    }
    let refused = app.get("/stores").await;
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = header(&refused, "retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    assert!(header(&refused, "ratelimit").is_some_and(|v| v.contains("r=0")));
    assert_eq!(json(refused).await["code"], "rate_limited");
}

#[tokio::test]
async fn health_and_metrics_are_never_rate_limited() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_MINUTE", "1")]).await;
    for _ in 0..5 {
        assert_eq!(app.get("/health").await.status(), 200);
        assert_eq!(app.get("/metrics").await.status(), 200);
    }
}

#[tokio::test]
async fn rate_limiting_can_be_switched_off() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_PER_MINUTE", "1"),
        ("RATE_LIMIT_ENABLED", "false"),
    ])
    .await;
    for _ in 0..5 {
        let response = app.get("/missing").await;
        assert_eq!(response.status(), 404);
        assert!(header(&response, "ratelimit").is_none());
    }
}

#[tokio::test]
async fn checkout_has_a_stricter_limit_of_its_own() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_PER_MINUTE", "100"),
        ("RATE_LIMIT_CHECKOUT_PER_MINUTE", "1"),
    ])
    .await;
    let first = app
        .client
        .post(app.url("/checkout"))
        .send()
        .await
        .expect("sent");
    assert_ne!(first.status(), 429);
    assert_eq!(
        header(&first, "ratelimit-policy"),
        Some("\"checkout\";q=1;w=60")
    );
    let second = app
        .client
        .post(app.url("/checkout"))
        .send()
        .await
        .expect("sent");
    assert_eq!(second.status(), 429);
    // Other routes still have the per-IP budget.
    assert_ne!(app.get("/missing").await.status(), 429);
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    // Not trusted: every request counts against the peer (127.0.0.1), whatever it claims.
    let direct = spawn_app_with(&[("RATE_LIMIT_PER_MINUTE", "1")]).await;
    let first = direct
        .client
        .get(direct.url("/missing"))
        .header("X-Forwarded-For", "10.0.0.1")
        .send()
        .await
        .expect("sent");
    assert_eq!(first.status(), 404);
    let spoofed = direct
        .client
        .get(direct.url("/missing"))
        .header("X-Forwarded-For", "10.0.0.2")
        .send()
        .await
        .expect("sent");
    assert_eq!(spoofed.status(), 429);

    // Behind a trusted proxy: each forwarded client has its own budget.
    let proxied = spawn_app_with(&[
        ("RATE_LIMIT_PER_MINUTE", "1"),
        ("TRUSTED_PROXIES", "127.0.0.0/8"),
    ])
    .await;
    let send = |client_ip: &'static str| {
        proxied
            .client
            .get(proxied.url("/missing"))
            .header("X-Forwarded-For", format!("{client_ip}, 127.0.0.1"))
            .send()
    };
    assert_eq!(send("10.0.0.1").await.expect("sent").status(), 404);
    assert_eq!(send("10.0.0.2").await.expect("sent").status(), 404);
    assert_eq!(send("10.0.0.1").await.expect("sent").status(), 429);
}

#[tokio::test]
async fn redis_limits_are_shared_by_two_instances() {
    let prefix = unique_prefix();
    let vars = [
        ("RATE_LIMIT_PER_MINUTE", "4"),
        ("RATE_LIMIT_REDIS_URL", "redis://127.0.0.1:6379"),
        ("RATE_LIMIT_KEY_PREFIX", prefix.as_str()),
    ];
    let first = spawn_app_with(&vars).await;
    let database_url = first.database.as_ref().expect("db").url().to_owned();
    let second = spawn_app_on(&database_url, None, &vars).await;
    for _ in 0..2 {
        assert_eq!(first.get("/missing").await.status(), 404);
        assert_eq!(second.get("/missing").await.status(), 404);
    }
    assert_eq!(
        first.get("/missing").await.status(),
        429,
        "the second instance's requests counted"
    );
    assert_eq!(second.get("/missing").await.status(), 429);
}

#[tokio::test]
async fn unreachable_redis_keeps_the_api_serving_and_limiting_in_process() {
    let prefix = unique_prefix();
    let app = spawn_app_with(&[
        ("RATE_LIMIT_PER_MINUTE", "2"),
        ("REDIS_URL", "redis://127.0.0.1:1"),
        ("RATE_LIMIT_KEY_PREFIX", prefix.as_str()),
    ])
    .await;
    assert_eq!(app.get("/health").await.status(), 200);
    assert_eq!(app.get("/missing").await.status(), 404);
    assert_eq!(app.get("/missing").await.status(), 404);
    assert_eq!(app.get("/missing").await.status(), 429);
}
