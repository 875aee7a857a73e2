//! Every way a checkout is refused, each with its code, and none leaving an order or taking
//! stock behind.

use reqwest::Method;

use crate::builders::shop::{Shop, error_code, order_body, post, shop, stock_of};
use crate::support::{TestApp, json, spawn_app};

/// No refused checkout left an order, nor took the dessert's stock (2 in these shops).
async fn nothing_was_sold(app: &TestApp, shop: &Shop) {
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM orders").await,
        0,
        "no failure left an order"
    );
    assert_eq!(stock_of(app, shop).await, 2);
}

#[tokio::test]
async fn every_checkout_failure_has_its_code() {
    let app = spawn_app().await;
    let shop = shop(&app, "falhas", 2).await;
    let items = serde_json::json!([{"product_id": shop.pizza, "quantity": 1}]);
    let base = order_body(&shop, items.clone());
    let with = |change: serde_json::Value| {
        let mut body = base.clone();
        if let (Some(body), Some(change)) = (body.as_object_mut(), change.as_object()) {
            body.extend(change.clone());
        }
        body
    };

    let cases = [
        (
            with(serde_json::json!({"customer": {"name": "Ana", "phone": "12345"}})),
            422,
            "invalid_phone",
        ),
        (
            with(
                serde_json::json!({"address": {"cep": "999", "street": "x", "number": "1", "district": "d", "city": "c", "state": "SP"}}),
            ),
            422,
            "invalid_address",
        ),
        (
            with(serde_json::json!({"address": null})),
            422,
            "invalid_address",
        ),
        (
            with(serde_json::json!({"expected_shipping_fee_cents": 100})),
            409,
            "price_changed",
        ),
        (
            with(serde_json::json!({"expected_total_cents": 1})),
            409,
            "price_changed",
        ),
        (
            with(serde_json::json!({"items": [{"product_id": shop.dessert, "quantity": 3}]})),
            409,
            "out_of_stock",
        ),
        (
            with(serde_json::json!({"coupon_code": "NAOEXISTE"})),
            422,
            "invalid_coupon",
        ),
        (
            with(serde_json::json!({"items": []})),
            422,
            "validation_error",
        ),
        (
            with(
                serde_json::json!({"items": [{"product_id": uuid::Uuid::now_v7().to_string(), "quantity": 1}]}),
            ),
            422,
            "validation_error",
        ),
        (
            with(serde_json::json!({"items": [{"product_id": shop.pizza, "quantity": 0}]})),
            422,
            "validation_error",
        ),
        (
            with(
                serde_json::json!({"items": [{"product_id": shop.pizza, "quantity": 1, "addons": [{"addon_id": shop.crust, "quantity": 2}]}]}),
            ),
            422,
            "validation_error",
        ),
        (
            with(serde_json::json!({"payment_method": "bitcoin"})),
            422,
            "validation_error",
        ),
        (
            with(serde_json::json!({"lat": 200.0})),
            422,
            "validation_error",
        ),
        (
            with(serde_json::json!({"lat": -24.5, "lng": -46.6})),
            422,
            "out_of_delivery_area",
        ),
    ];
    for (body, status, code) in cases {
        let response = post(&app, &shop, "/checkout", &body).await;
        let error = error_code(response, status).await;
        assert_eq!(error["code"], code, "{body}");
    }
    let changed = json(
        post(
            &app,
            &shop,
            "/checkout",
            &with(serde_json::json!({"expected_shipping_fee_cents": 100})),
        )
        .await,
    )
    .await;
    assert_eq!(
        changed["shipping_fee_cents"], 500,
        "the new figures come with price_changed"
    );
    assert_eq!(changed["total_cents"], 5500);
    let short = json(
        post(
            &app,
            &shop,
            "/checkout",
            &with(serde_json::json!({"items": [{"product_id": shop.dessert, "quantity": 3}]})),
        )
        .await,
    )
    .await;
    assert_eq!(short["items"], serde_json::json!([shop.dessert]));
    let unknown = json(
        post(
            &app,
            &shop,
            "/checkout",
            &with(serde_json::json!({"items": [{"product_id": shop.pizza, "quantity": 0}]})),
        )
        .await,
    )
    .await;
    assert_eq!(unknown["errors"][0]["field"], "items[0].quantity");
    nothing_was_sold(&app, &shop).await;
}

#[tokio::test]
async fn a_product_switched_off_in_the_store_is_out_of_stock() {
    let app = spawn_app().await;
    let shop = shop(&app, "desligado", 2).await;
    let base = order_body(
        &shop,
        serde_json::json!([{"product_id": shop.pizza, "quantity": 1}]),
    );
    app.send(&shop.owner, Method::POST, "/admin/catalog/availability", Some(serde_json::json!({"product_ids": [shop.pizza], "store_id": shop.store, "available": false})))
        .await;
    let off = json(post(&app, &shop, "/checkout", &base).await).await;
    assert_eq!(off["code"], "out_of_stock");
    nothing_was_sold(&app, &shop).await;
}

#[tokio::test]
async fn a_store_closed_by_hand_takes_no_orders() {
    let app = spawn_app().await;
    let shop = shop(&app, "fechada", 2).await;
    // Closed by hand, no time given.
    app.send(
        &shop.owner,
        Method::PATCH,
        &format!("/admin/stores/{}", shop.store),
        Some(serde_json::json!({"manually_closed": true})),
    )
    .await;
    let closed = json(
        post(
            &app,
            &shop,
            "/checkout",
            &order_body(
                &shop,
                serde_json::json!([{"product_id": shop.dessert, "quantity": 1}]),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(closed["code"], "store_closed");
    nothing_was_sold(&app, &shop).await;
}

#[tokio::test]
async fn an_inactive_subscription_takes_no_orders() {
    let app = spawn_app().await;
    let shop = shop(&app, "inadimplente", 2).await;
    let base = order_body(
        &shop,
        serde_json::json!([{"product_id": shop.pizza, "quantity": 1}]),
    );
    app.sql("UPDATE tenant_subscriptions SET status = 'past_due'")
        .await;
    let inactive = post(&app, &shop, "/checkout", &base).await;
    assert_eq!(
        error_code(inactive, 403).await["code"],
        "subscription_inactive"
    );
    nothing_was_sold(&app, &shop).await;
}
