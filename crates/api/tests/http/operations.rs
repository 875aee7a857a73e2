//! Operations as a tenant and an operator see them: the first-access checklist and business metrics.

use reqwest::Method;
use serde_json::{Value, json};

use crate::builders::shop::{created, order_body, post, shop};
use crate::support::{Session, TestApp, json as body_json, spawn_app};

async fn checklist(app: &TestApp, session: &Session) -> Value {
    let response = app
        .send(session, Method::GET, "/admin/onboarding", None)
        .await;
    assert_eq!(response.status(), 200);
    body_json(response).await
}

fn done(checklist: &Value) -> Vec<(String, bool)> {
    checklist["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|step| {
            (
                step["key"].as_str().unwrap_or_default().to_owned(),
                step["done"] == true,
            )
        })
        .collect()
}

#[tokio::test]
async fn onboarding_steps_turn_done_as_data_appears_and_the_test_mode_shows_them_afresh() {
    let app = spawn_app().await;
    let newcomer = app.tenant_with_owner("recem-chegada").await;
    let fresh = checklist(&app, &newcomer).await;
    assert_eq!(
        done(&fresh),
        [
            ("store", false),
            ("products", false),
            ("shipping_bands", false),
            ("whatsapp", false),
            ("first_order", false)
        ]
        .map(|(key, done)| (key.to_owned(), done))
        .to_vec()
    );
    assert_eq!(
        (
            fresh["completed"].clone(),
            fresh["total"].clone(),
            fresh["show"].clone()
        ),
        (json!(0), json!(5), json!(true))
    );

    // A store, its bands and products (the checkout tests' shop).
    let shop = shop(&app, "quase-pronta", 5).await;
    let set_up = checklist(&app, &shop.owner).await;
    assert_eq!(set_up["completed"], 3, "{set_up}");
    assert_eq!(done(&set_up)[3], ("whatsapp".to_owned(), false));

    app.sql(&format!(
        "INSERT INTO tenant_messaging (tenant_id, whatsapp_phone_number_id, whatsapp_access_token) VALUES ('{}', 'PN-ONBOARD', 'graph-token')",
        shop.owner.tenant.id
    ))
    .await;
    assert_eq!(checklist(&app, &shop.owner).await["completed"], 4);
    created(
        post(
            &app,
            &shop,
            "/checkout",
            &order_body(&shop, json!([{"product_id": shop.pizza, "quantity": 1}])),
        )
        .await,
    )
    .await;
    let finished = checklist(&app, &shop.owner).await;
    assert_eq!(
        (finished["completed"].clone(), finished["show"].clone()),
        (json!(5), json!(false))
    );

    // The central admin's test mode shows it afresh and deletes nothing.
    app.sql(&format!(
        "UPDATE tenants SET first_access_test_mode = true WHERE id = '{}'",
        shop.owner.tenant.id
    ))
    .await;
    let afresh = checklist(&app, &shop.owner).await;
    assert_eq!(
        (
            afresh["completed"].clone(),
            afresh["show"].clone(),
            afresh["first_access_test_mode"].clone()
        ),
        (json!(0), json!(true), json!(true))
    );
    assert!(
        afresh["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .all(|step| step["done_in_data"] == true)
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM orders").await, 1);

    // Each tenant sees its own.
    assert_eq!(checklist(&app, &newcomer).await["completed"], 0);
}

#[tokio::test]
async fn metrics_count_orders_created_and_the_outbox_depth() {
    let app = spawn_app().await;
    let shop = shop(&app, "metricas", 5).await;
    let body = order_body(&shop, json!([{"product_id": shop.pizza, "quantity": 1}]));
    let placed = |key: &'static str| {
        app.client
            .post(app.url("/checkout"))
            .header("X-Tenant", &shop.slug)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    assert_eq!(placed("pedido-1").await.expect("sent").status(), 201);
    let replay = placed("pedido-1").await.expect("sent");
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    app.sql("UPDATE outbox SET status = 'dead' WHERE kind = 'telegram.new_order'")
        .await;

    let text = app.get("/metrics").await.text().await.expect("text");
    assert!(
        text.contains("comanda_orders_created_total 1"),
        "a replay is not a new order: {text}"
    );
    assert!(text.contains("comanda_outbox_pending 2"), "{text}");
    assert!(text.contains("comanda_outbox_dead 1"), "{text}");
}
