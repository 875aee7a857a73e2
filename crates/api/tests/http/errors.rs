use comanda_domain::tenancy::SubscriptionStatus;

use crate::support::{always_open, header, json, spawn_app};

#[tokio::test]
async fn unknown_route_is_404_in_the_error_shape() {
    let app = spawn_app().await;
    let response = app.get("/no/such/route").await;
    assert_eq!(response.status(), 404);
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    assert_eq!(
        json(response).await,
        serde_json::json!({"detail": "Not found", "code": "not_found"})
    );
}

#[tokio::test]
async fn wrong_method_is_405_in_the_error_shape() {
    let app = spawn_app().await;
    let response = app
        .client
        .delete(app.url("/stores"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 405);
    assert_eq!(header(&response, "allow"), Some("GET"));
    assert_eq!(json(response).await["code"], "method_not_allowed");
}

#[tokio::test]
async fn corrupt_stored_data_is_a_generic_500_that_leaks_nothing() {
    let app = spawn_app().await;
    let tenant = app
        .create_tenant("corrompida", SubscriptionStatus::Active)
        .await;
    app.create_store(tenant.id, "Quebrada", always_open()).await;
    app.sql("UPDATE stores SET time_zone = 'Mars/Olympus_Mons'")
        .await;

    let response = app.get_as("corrompida", "/stores").await;
    assert_eq!(response.status(), 500);
    let text = response.text().await.expect("body");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).expect("JSON"),
        serde_json::json!({"detail": "Something went wrong on our side", "code": "internal_error"})
    );
    assert!(!text.contains("Mars"), "{text}");
}

#[tokio::test]
async fn tenant_header_that_is_not_text_is_tenant_not_found() {
    let app = spawn_app().await;
    let value = reqwest::header::HeaderValue::from_bytes(b"caf\xe9").expect("opaque header");
    let response = app
        .client
        .get(app.url("/stores"))
        .header("X-Tenant", value)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 404);
    assert_eq!(json(response).await["code"], "tenant_not_found");
}
