use comanda_domain::tenancy::SubscriptionStatus;

use crate::support::{always_open, json, spawn_app, spawn_app_with};

#[tokio::test]
async fn tenant_is_resolved_by_slug_header() {
    let app = spawn_app().await;
    let tenant = app
        .create_tenant("pizzaria", SubscriptionStatus::Active)
        .await;
    app.create_store(tenant.id, "Centro", always_open()).await;

    let response = app.get_as("pizzaria", "/stores").await;
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await["items"][0]["name"], "Centro");
}

#[tokio::test]
async fn tenant_id_header_wins_over_slug_header() {
    let app = spawn_app().await;
    let first = app
        .create_tenant("primeira", SubscriptionStatus::Active)
        .await;
    let second = app
        .create_tenant("segunda", SubscriptionStatus::Active)
        .await;
    app.create_store(first.id, "Loja da primeira", always_open())
        .await;
    app.create_store(second.id, "Loja da segunda", always_open())
        .await;

    let response = app
        .client
        .get(app.url("/stores"))
        .header("X-Tenant-Id", second.id.to_string())
        .header("X-Tenant", "primeira")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await["items"][0]["name"], "Loja da segunda");
}

#[tokio::test]
async fn legacy_fallback_tenant_answers_requests_without_headers() {
    let app = spawn_app_with(&[("LEGACY_TENANT_SLUG", "legado")]).await;
    let tenant = app
        .create_tenant("legado", SubscriptionStatus::Active)
        .await;
    app.create_store(tenant.id, "Loja antiga", always_open())
        .await;

    let response = app.get("/stores").await;
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await["items"][0]["name"], "Loja antiga");
}

#[tokio::test]
async fn no_tenant_and_no_fallback_is_tenant_required() {
    let app = spawn_app().await;
    let response = app.get("/stores").await;
    assert_eq!(response.status(), 400);
    assert_eq!(json(response).await["code"], "tenant_required");
}

#[tokio::test]
async fn unknown_slug_unknown_id_and_malformed_id_are_tenant_not_found() {
    let app = spawn_app_with(&[("LEGACY_TENANT_SLUG", "legado")]).await;
    app.create_tenant("legado", SubscriptionStatus::Active)
        .await;
    let unknown_id = uuid::Uuid::now_v7().to_string();
    for (header, value) in [
        ("X-Tenant", "fantasma"),
        ("X-Tenant-Id", unknown_id.as_str()),
        ("X-Tenant-Id", "not-a-uuid"),
        ("X-Tenant", "'; DROP TABLE tenants; --"),
    ] {
        let response = app
            .client
            .get(app.url("/stores"))
            .header(header, value)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 404, "{header}: {value}");
        assert_eq!(
            json(response).await["code"],
            "tenant_not_found",
            "{header}: {value}"
        );
    }
}

#[tokio::test]
async fn inactive_tenant_is_not_found() {
    let app = spawn_app().await;
    app.create_tenant("fechada", SubscriptionStatus::Active)
        .await;
    app.sql("UPDATE tenants SET is_active = false").await;
    let response = app.get_as("fechada", "/stores").await;
    assert_eq!(response.status(), 404);
    assert_eq!(json(response).await["code"], "tenant_not_found");
}

#[tokio::test]
async fn a_tenant_never_sees_another_tenants_stores() {
    let app = spawn_app().await;
    let mine = app.create_tenant("minha", SubscriptionStatus::Active).await;
    let theirs = app.create_tenant("deles", SubscriptionStatus::Active).await;
    app.create_store(mine.id, "Minha loja", always_open()).await;
    app.create_store(theirs.id, "Loja deles", always_open())
        .await;

    let body = json(app.get_as("minha", "/stores").await).await;
    assert_eq!(body["total"], 1);
    let names: Vec<&str> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|store| store["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, vec!["Minha loja"]);
}
