//! Pricing and placing an order: the preview, automatic campaigns, the order with what it
//! writes, and pre-orders.

use chrono::{DurationRound, TimeDelta, Utc};
use reqwest::Method;

use crate::builders::shop::{created, error_code, id, order_body, post, shop, stock_of};
use crate::support::{json, spawn_app};

#[tokio::test]
async fn preview_prices_from_server_data_and_ignores_client_prices() {
    let app = spawn_app().await;
    let shop = shop(&app, "previa", 10).await;
    let body = order_body(
        &shop,
        serde_json::json!([{"product_id": shop.pizza, "quantity": 2, "price_cents": 1, "unit_price_cents": 1,
                            "addons": [{"addon_id": shop.crust, "quantity": 1, "price_cents": 0}]}]),
    );
    let preview = json(post(&app, &shop, "/checkout/preview", &body).await).await;
    assert_eq!(preview["lines"][0]["unit_price_cents"], 5900);
    assert_eq!(preview["subtotal_cents"], 11_800);
    assert_eq!(preview["shipping_fee_cents"], 500);
    assert_eq!(preview["total_cents"], 12_300);
    assert_eq!(preview["delivery"]["source"], "coordinates");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM orders").await,
        0,
        "a preview stores nothing"
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM customers").await, 0);
}

#[tokio::test]
async fn campaigns_discount_automatically_and_grant_free_shipping() {
    let app = spawn_app().await;
    let shop = shop(&app, "promo", 10).await;
    for body in [
        serde_json::json!({"name": "10%", "kind": "percentage", "value": 10}),
        serde_json::json!({"name": "Frete grátis", "kind": "free_shipping", "min_subtotal_cents": 5000}),
    ] {
        created(
            app.send(&shop.owner, Method::POST, "/admin/campaigns", Some(body))
                .await,
        )
        .await;
    }
    let preview = json(
        post(
            &app,
            &shop,
            "/checkout/preview",
            &order_body(
                &shop,
                serde_json::json!([{"product_id": shop.pizza, "quantity": 1}]),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(preview["discount_cents"], 500);
    assert_eq!(preview["shipping_fee_cents"], 0);
    assert_eq!(preview["total_cents"], 4500);
    assert_eq!(
        preview["applied_campaigns"].as_array().map(Vec::len),
        Some(2)
    );
    for (body, field) in [
        (
            serde_json::json!({"name": "x", "kind": "percentage", "value": 150}),
            "value",
        ),
        (
            serde_json::json!({"name": "x", "kind": "fixed", "value": 0}),
            "value",
        ),
        (
            serde_json::json!({"name": "x", "kind": "fixed", "value": 10, "coupon_code": "a b"}),
            "coupon_code",
        ),
        (
            serde_json::json!({"name": "x", "kind": "fixed", "value": 10, "starts_at": "2026-12-02T00:00:00Z", "ends_at": "2026-12-01T00:00:00Z"}),
            "ends_at",
        ),
    ] {
        let response = app
            .send(&shop.owner, Method::POST, "/admin/campaigns", Some(body))
            .await;
        assert_eq!(error_code(response, 422).await["errors"][0]["field"], field);
    }
}

#[tokio::test]
async fn checkout_places_the_order_with_number_stock_customer_outbox_and_tracking() {
    let app = spawn_app().await;
    let shop = shop(&app, "pedido", 10).await;
    let body = order_body(
        &shop,
        serde_json::json!([{"product_id": shop.dessert, "quantity": 3}, {"product_id": shop.pizza, "quantity": 1}]),
    );
    let first = created(post(&app, &shop, "/checkout", &body).await).await;
    assert_eq!(first["number"], 1);
    assert_eq!(first["status"], "pending");
    assert_eq!(first["customer"]["phone"], "+5511987654321");
    assert_eq!(first["total_cents"], 3 * 1200 + 5000 + 500);
    assert_eq!(first["payment"]["method"], "pix");
    assert_eq!(first["delivery"]["fee_cents"], 500);
    assert_eq!(first["history"][0]["to"], "pending");
    let second = created(post(&app, &shop, "/checkout", &body).await).await;
    assert_eq!(second["number"], 2);
    assert_eq!(
        second["customer"]["id"], first["customer"]["id"],
        "the same phone is the same customer"
    );
    assert_eq!(stock_of(&app, &shop).await, 4);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE status = 'pending'")
            .await,
        6
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM stock_movements WHERE reason = 'sale'")
            .await,
        2
    );

    let (first_id, token) = (
        id(&first),
        first["tracking_token"].as_str().expect("token").to_owned(),
    );
    let tracked = app
        .client
        .get(app.url(&format!("/orders/{first_id}?token={token}")))
        .header("X-Tenant", &shop.slug)
        .send()
        .await
        .expect("sent");
    assert_eq!(tracked.status(), 200);
    assert_eq!(json(tracked).await["number"], 1);
    let second_id = id(&second);
    let borrowed = app
        .client
        .get(app.url(&format!("/orders/{second_id}?token={token}")))
        .header("X-Tenant", &shop.slug)
        .send()
        .await
        .expect("sent");
    assert_eq!(borrowed.status(), 404, "a token opens its own order only");
    assert_eq!(
        app.get(&format!("/orders/{first_id}")).await.status(),
        401,
        "staff sign in"
    );
    let staff = app
        .send(
            &shop.owner,
            Method::GET,
            &format!("/orders/{first_id}"),
            None,
        )
        .await;
    assert_eq!(staff.status(), 200);
    let listed = json(
        app.send(&shop.owner, Method::GET, "/orders?search=ana", None)
            .await,
    )
    .await;
    assert_eq!(listed["total"], 2);
}

#[tokio::test]
async fn pre_orders_need_a_coming_opening_window() {
    let app = spawn_app().await;
    let shop = shop(&app, "agendado", 5).await;
    let sao_paulo = chrono_tz::America::Sao_Paulo;
    let opens = (Utc::now() + TimeDelta::hours(3))
        .duration_trunc(TimeDelta::minutes(1))
        .expect("truncate");
    let range = serde_json::json!([{
        "open": opens.with_timezone(&sao_paulo).format("%H:%M").to_string(),
        "close": (opens + TimeDelta::hours(2)).with_timezone(&sao_paulo).format("%H:%M").to_string(),
    }]);
    let days = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let hours: serde_json::Map<String, serde_json::Value> = days
        .iter()
        .map(|d| ((*d).to_owned(), range.clone()))
        .collect();
    app.send(
        &shop.owner,
        Method::PATCH,
        &format!("/admin/stores/{}", shop.store),
        Some(serde_json::json!({"opening_hours": hours})),
    )
    .await;
    let body = |scheduled: Option<chrono::DateTime<Utc>>| {
        let mut body = order_body(
            &shop,
            serde_json::json!([{"product_id": shop.pizza, "quantity": 1}]),
        );
        body["scheduled_for"] = serde_json::json!(scheduled);
        body
    };
    assert_eq!(
        json(post(&app, &shop, "/checkout", &body(None)).await).await["code"],
        "store_closed"
    );
    let outside = opens + TimeDelta::hours(5);
    assert_eq!(
        json(post(&app, &shop, "/checkout", &body(Some(outside))).await).await["code"],
        "store_closed"
    );
    let inside = opens + TimeDelta::minutes(30);
    let order = created(post(&app, &shop, "/checkout", &body(Some(inside))).await).await;
    assert_eq!(
        order["scheduled_for"]
            .as_str()
            .map(|s| s.parse::<chrono::DateTime<Utc>>().ok()),
        Some(Some(inside))
    );

    app.send(
        &shop.owner,
        Method::PATCH,
        &format!("/admin/stores/{}", shop.store),
        Some(serde_json::json!({"accepts_preorders": false})),
    )
    .await;
    assert_eq!(
        json(post(&app, &shop, "/checkout", &body(Some(inside))).await).await["code"],
        "store_closed"
    );
}
