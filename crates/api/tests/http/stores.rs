use comanda_domain::tenancy::SubscriptionStatus;

use crate::support::{always_open, json, never_open, spawn_app};

#[tokio::test]
async fn stores_answer_the_public_view() {
    let app = spawn_app().await;
    let tenant = app
        .create_tenant("vitrine", SubscriptionStatus::Active)
        .await;
    let store = app.create_store(tenant.id, "Paulista", always_open()).await;

    let body = json(app.get_as("vitrine", "/stores").await).await;
    assert_eq!(body["total"], 1);
    let view = &body["items"][0];
    assert_eq!(view["id"], store.id.to_string());
    assert_eq!(view["is_open"], true);
    assert_eq!(view["next_opening_at"], serde_json::Value::Null);
    assert_eq!(view["address"]["cep"], "01310-100");
    assert_eq!(view["time_zone"], "America/Sao_Paulo");
    assert_eq!(view["delivery_enabled"], true);
    assert_eq!(view["accepts_preorders"], false);
    assert_eq!(view["opening_hours"]["monday"][0]["open"], "00:00");
    assert_eq!(view["opening_hours"]["sunday"][0]["close"], "24:00");
}

#[tokio::test]
async fn a_store_without_hours_is_closed() {
    let app = spawn_app().await;
    let tenant = app
        .create_tenant("fechado", SubscriptionStatus::Active)
        .await;
    app.create_store(tenant.id, "Sem horário", never_open())
        .await;
    let body = json(app.get_as("fechado", "/stores").await).await;
    assert_eq!(body["items"][0]["is_open"], false);
}

#[tokio::test]
async fn a_store_closed_by_hand_is_closed_inside_its_hours() {
    let app = spawn_app().await;
    let tenant = app
        .create_tenant("manual", SubscriptionStatus::Active)
        .await;
    app.create_store(tenant.id, "Pausada", always_open()).await;
    app.sql("UPDATE stores SET manually_closed = true").await;
    let body = json(app.get_as("manual", "/stores").await).await;
    assert_eq!(body["items"][0]["is_open"], false);
}

#[tokio::test]
async fn inactive_stores_are_not_listed() {
    let app = spawn_app().await;
    let tenant = app
        .create_tenant("ativas", SubscriptionStatus::Active)
        .await;
    app.create_store(tenant.id, "Ativa", always_open()).await;
    app.create_store(tenant.id, "Desativada", always_open())
        .await;
    app.sql("UPDATE stores SET is_active = false WHERE name = 'Desativada'")
        .await;
    let body = json(app.get_as("ativas", "/stores").await).await;
    assert_eq!(body["total"], 1);
    assert_eq!(body["items"][0]["name"], "Ativa");
}

#[tokio::test]
async fn store_list_pages_with_limit_and_offset() {
    let app = spawn_app().await;
    let tenant = app
        .create_tenant("paginas", SubscriptionStatus::Active)
        .await;
    for name in ["A", "B", "C"] {
        app.create_store(tenant.id, name, always_open()).await;
    }
    let body = json(app.get_as("paginas", "/stores?limit=1&offset=1").await).await;
    assert_eq!(body["total"], 3);
    assert_eq!(body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["items"][0]["name"], "B");
}

#[tokio::test]
async fn paging_out_of_bounds_is_a_validation_error() {
    let app = spawn_app().await;
    app.create_tenant("limites", SubscriptionStatus::Active)
        .await;
    for query in ["limit=0", "limit=201", "limit=abc", "offset=-1"] {
        let response = app.get_as("limites", &format!("/stores?{query}")).await;
        assert_eq!(response.status(), 422, "{query}");
        let body = json(response).await;
        assert_eq!(body["code"], "validation_error", "{query}");
        assert!(
            body["errors"]
                .as_array()
                .is_some_and(|errors| !errors.is_empty()),
            "{query}"
        );
    }
}
