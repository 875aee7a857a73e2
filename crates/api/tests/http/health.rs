use crate::support::{json, spawn_app, spawn_app_on};

#[tokio::test]
async fn health_is_ok_when_the_database_answers() {
    let app = spawn_app().await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        json(response).await,
        serde_json::json!({"status": "ok", "database": "ok"})
    );
}

#[tokio::test]
async fn health_is_503_when_the_database_is_unreachable() {
    // Nothing listens on port 1: the server still starts and says it cannot work.
    let app = spawn_app_on("postgres://postgres@127.0.0.1:1/comanda", None, &[]).await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), 503);
    let body = json(response).await;
    assert_eq!(body["code"], "database_unavailable");
}

#[tokio::test]
async fn health_turns_503_when_the_database_goes_away() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health").await.status(), 200);
    app.database.as_ref().expect("database").drop_now().await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), 503);
    assert_eq!(json(response).await["code"], "database_unavailable");
}

#[tokio::test]
async fn requests_needing_the_database_answer_503_without_internals_when_it_is_down() {
    let app = spawn_app_on("postgres://postgres:hunter2@127.0.0.1:1/comanda", None, &[]).await;
    let response = app.get_as("demo", "/stores").await;
    assert_eq!(response.status(), 503);
    let text = response.text().await.expect("body");
    let body: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(body["code"], "service_unavailable");
    for leak in [
        "hunter2",
        "postgres",
        "127.0.0.1",
        "connect",
        "refused",
        "diesel",
        "pool",
    ] {
        assert!(
            !text.to_lowercase().contains(leak),
            "body leaks `{leak}`: {text}"
        );
    }
}

#[tokio::test]
async fn livez_answers_while_the_process_serves_even_without_a_database() {
    let app = spawn_app_on("postgres://postgres@127.0.0.1:1/comanda", None, &[]).await;
    let live = app.get("/livez").await;
    assert_eq!(live.status(), 200);
    assert_eq!(json(live).await["status"], "ok");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    assert_eq!(json(ready).await["code"], "database_unavailable");
}

#[tokio::test]
async fn readyz_needs_the_schema_at_the_binarys_latest_migration() {
    let app = spawn_app().await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    // As if an older release had migrated the database: its newest migration is missing.
    app.sql(
        "DELETE FROM __diesel_schema_migrations \
         WHERE version = (SELECT max(version) FROM __diesel_schema_migrations)",
    )
    .await;
    let behind = app.get("/readyz").await;
    assert_eq!(behind.status(), 503);
    assert_eq!(json(behind).await["code"], "schema_behind");
    assert_eq!(app.get("/livez").await.status(), 200);
    assert_eq!(
        app.get("/health").await.status(),
        200,
        "/health stays as it was"
    );
}

#[tokio::test]
async fn probes_answer_any_host_and_are_never_rate_limited() {
    let app = crate::support::spawn_app_with(&[
        ("TRUSTED_HOSTS", "api.comanda.app"),
        ("RATE_LIMIT_PER_MINUTE", "1"),
    ])
    .await;
    for _ in 0..3 {
        for path in ["/livez", "/readyz"] {
            let response = app
                .client
                .get(app.url(path))
                .header("Host", "10.0.0.7:8080")
                .send()
                .await
                .expect("sent");
            assert_eq!(response.status(), 200, "{path}");
        }
    }
}
