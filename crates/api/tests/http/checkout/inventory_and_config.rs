//! The tenant's back office around orders: inventory levels and adjustments, the operational
//! config checkout obeys, and the insights.

use reqwest::Method;

use crate::builders::shop::{created, error_code, order_body, post, shop};
use crate::support::{json, spawn_app};

#[tokio::test]
async fn inventory_config_and_insights() {
    let app = spawn_app().await;
    let shop = shop(&app, "gestao", 3).await;
    let levels = json(
        app.send(
            &shop.owner,
            Method::GET,
            &format!("/admin/inventory?store_id={}", shop.store),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(levels["total"], 1);
    assert_eq!(levels["items"][0]["quantity"], 3);
    let added = json(
        app.send(&shop.owner, Method::POST, "/admin/inventory/adjustments", Some(serde_json::json!({"store_id": shop.store, "product_id": shop.dessert, "delta": 4, "reason": "entrega"})))
            .await,
    )
    .await;
    assert_eq!(added["quantity"], 7);
    let negative = app
        .send(&shop.owner, Method::POST, "/admin/inventory/adjustments", Some(serde_json::json!({"store_id": shop.store, "product_id": shop.dessert, "delta": -8, "reason": "quebra"})))
        .await;
    assert_eq!(error_code(negative, 409).await["code"], "negative_stock");
    let no_reason = app
        .send(&shop.owner, Method::POST, "/admin/inventory/adjustments", Some(serde_json::json!({"store_id": shop.store, "product_id": shop.dessert, "delta": 1, "reason": " "})))
        .await;
    assert_eq!(no_reason.status(), 422);

    let config = app
        .send(
            &shop.owner,
            Method::PUT,
            "/admin/config",
            Some(serde_json::json!({"accepting_orders": true, "min_order_cents": 3000, "preparation_minutes": 25, "preorders_enabled": true, "message_templates": {"order_ready": "Seu pedido #{number} está pronto"}})),
        )
        .await;
    assert_eq!(config.status(), 200);
    let small = post(
        &app,
        &shop,
        "/checkout",
        &order_body(
            &shop,
            serde_json::json!([{"product_id": shop.dessert, "quantity": 1}]),
        ),
    )
    .await;
    assert_eq!(error_code(small, 422).await["code"], "below_minimum_order");
    for _ in 0..2 {
        created(post(&app, &shop, "/checkout", &order_body(&shop, serde_json::json!([{"product_id": shop.pizza, "quantity": 1}, {"product_id": shop.dessert, "quantity": 1}]))).await).await;
    }
    let insights = json(
        app.send(&shop.owner, Method::GET, "/admin/insights", None)
            .await,
    )
    .await;
    assert_eq!(insights["order_count"], 2);
    assert_eq!(insights["revenue_cents"], 2 * (5000 + 1200 + 500));
    assert_eq!(insights["average_ticket_cents"], 6700);
    assert_eq!(insights["orders_by_status"]["pending"], 2);
    assert_eq!(insights["top_products"][0]["quantity"], 2);
    assert_eq!(insights["new_customers"], 1);
    assert_eq!(insights["returning_customers"], 0);

    app.send(&shop.owner, Method::PUT, "/admin/config", Some(serde_json::json!({"accepting_orders": false, "min_order_cents": 0, "preparation_minutes": 25, "preorders_enabled": true})))
        .await;
    let paused = post(
        &app,
        &shop,
        "/checkout",
        &order_body(
            &shop,
            serde_json::json!([{"product_id": shop.pizza, "quantity": 1}]),
        ),
    )
    .await;
    assert_eq!(error_code(paused, 422).await["code"], "store_closed");
}
