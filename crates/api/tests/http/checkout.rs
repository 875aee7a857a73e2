//! Checkout, orders, customers, campaigns, inventory, config and insights through the API.

use chrono::{DurationRound, TimeDelta, Utc};
use reqwest::Method;

use crate::support::{Session, TestApp, json, spawn_app, spawn_app_with};

/// A tenant ready to sell: an owner, a store open around the clock with delivery bands, a
/// pizza with a crust add-on group, and a dessert that tracks stock.
pub(crate) struct Shop {
    pub(crate) owner: Session,
    pub(crate) slug: String,
    pub(crate) store: String,
    pub(crate) pizza: String,
    crust: String,
    pub(crate) dessert: String,
}

const ALWAYS_OPEN: &str = r#"{"monday":[{"open":"00:00","close":"24:00"}],"tuesday":[{"open":"00:00","close":"24:00"}],"wednesday":[{"open":"00:00","close":"24:00"}],"thursday":[{"open":"00:00","close":"24:00"}],"friday":[{"open":"00:00","close":"24:00"}],"saturday":[{"open":"00:00","close":"24:00"}],"sunday":[{"open":"00:00","close":"24:00"}]}"#;

pub(crate) async fn created(response: reqwest::Response) -> serde_json::Value {
    let status = response.status();
    let body = json(response).await;
    assert_eq!(status, 201, "{body}");
    body
}

pub(crate) fn id(value: &serde_json::Value) -> String {
    value["id"].as_str().expect("id").to_owned()
}

pub(crate) async fn shop(app: &TestApp, slug: &str, dessert_stock: i32) -> Shop {
    let owner = app.tenant_with_owner(slug).await;
    let hours: serde_json::Value = serde_json::from_str(ALWAYS_OPEN).expect("hours");
    let store = id(&created(
        app.send(
            &owner,
            Method::POST,
            "/admin/stores",
            Some(serde_json::json!({
                "name": "Centro", "latitude": -23.5614, "longitude": -46.6559, "opening_hours": hours,
                "accepts_preorders": true,
                "address": {"cep": "01310-100", "street": "Avenida Paulista", "number": "1578", "district": "Bela Vista", "city": "São Paulo", "state": "SP"}
            })),
        )
        .await,
    )
    .await);
    let bands = app
        .send(
            &owner,
            Method::PUT,
            &format!("/admin/shipping/stores/{store}/bands"),
            Some(serde_json::json!({"bands": [{"max_km": 3, "fee_cents": 500, "eta_minutes": 30}, {"max_km": 8, "fee_cents": 900, "eta_minutes": 50}]})),
        )
        .await;
    assert_eq!(bands.status(), 200);
    let category = id(&created(
        app.send(
            &owner,
            Method::POST,
            "/admin/catalog/categories",
            Some(serde_json::json!({"name": "Tudo"})),
        )
        .await,
    )
    .await);
    let pizza = id(&created(
        app.send(
            &owner,
            Method::POST,
            "/admin/catalog/products",
            Some(
                serde_json::json!({"category_id": category, "name": "Pizza", "price_cents": 5000}),
            ),
        )
        .await,
    )
    .await);
    let group = id(&created(
        app.send(
            &owner,
            Method::POST,
            &format!("/admin/catalog/products/{pizza}/addon-groups"),
            Some(serde_json::json!({"name": "Borda", "min": 0, "max": 1})),
        )
        .await,
    )
    .await);
    let crust = id(&created(
        app.send(
            &owner,
            Method::POST,
            &format!("/admin/catalog/addon-groups/{group}/addons"),
            Some(serde_json::json!({"name": "Catupiry", "price_cents": 900})),
        )
        .await,
    )
    .await);
    let dessert = id(&created(
        app.send(
            &owner,
            Method::POST,
            "/admin/catalog/products",
            Some(serde_json::json!({"category_id": category, "name": "Pudim", "price_cents": 1200, "track_stock": true})),
        )
        .await,
    )
    .await);
    let stocked = app
        .send(
            &owner,
            Method::POST,
            "/admin/inventory/adjustments",
            Some(serde_json::json!({"store_id": store, "product_id": dessert, "quantity": dessert_stock, "reason": "contagem inicial"})),
        )
        .await;
    assert_eq!(stocked.status(), 200);
    Shop {
        owner,
        slug: slug.to_owned(),
        store,
        pizza,
        crust,
        dessert,
    }
}

pub(crate) fn order_body(shop: &Shop, items: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "store_id": shop.store,
        "fulfillment": "delivery",
        "customer": {"name": "Ana Cliente", "phone": "(11) 98765-4321"},
        "lat": -23.5700, "lng": -46.6450,
        "address": {"cep": "01310-200", "street": "Avenida Paulista", "number": "2000", "district": "Bela Vista", "city": "São Paulo", "state": "SP"},
        "items": items,
        "payment_method": "pix"
    })
}

pub(crate) async fn post(
    app: &TestApp,
    shop: &Shop,
    path: &str,
    body: &serde_json::Value,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("X-Tenant", &shop.slug)
        .json(body)
        .send()
        .await
        .expect("sent")
}

async fn stock_of(app: &TestApp, shop: &Shop) -> i64 {
    app.scalar_i64(&format!(
        "SELECT quantity::bigint FROM stock_levels WHERE product_id = '{}'",
        shop.dessert
    ))
    .await
}

async fn error_code(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status(), status);
    json(response).await
}

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

    // Switched off in the store: out of stock too.
    app.send(&shop.owner, Method::POST, "/admin/catalog/availability", Some(serde_json::json!({"product_ids": [shop.pizza], "store_id": shop.store, "available": false})))
        .await;
    let off = json(post(&app, &shop, "/checkout", &base).await).await;
    assert_eq!(off["code"], "out_of_stock");

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

    // An inactive subscription takes no orders.
    app.sql("UPDATE tenant_subscriptions SET status = 'past_due'")
        .await;
    let inactive = post(&app, &shop, "/checkout", &base).await;
    assert_eq!(
        error_code(inactive, 403).await["code"],
        "subscription_inactive"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM orders").await,
        0,
        "no failure left an order"
    );
    assert_eq!(stock_of(&app, &shop).await, 2);
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

#[tokio::test]
async fn concurrent_checkouts_never_sell_more_than_the_stock() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_ENABLED", "false"),
        ("DATABASE_POOL_SIZE", "10"),
        ("DATABASE_POOL_TIMEOUT_SECONDS", "30"),
    ])
    .await;
    const STOCK: i32 = 5;
    const BUYERS: usize = 24;
    let shop = shop(&app, "corrida", STOCK).await;
    let requests = (0..BUYERS).map(|n| {
        let mut body = order_body(&shop, serde_json::json!([{"product_id": shop.dessert, "quantity": 1}]));
        body["customer"] = serde_json::json!({"name": format!("Cliente {n}"), "phone": format!("11 9{:08}", 10_000_000 + n)});
        let (app, shop) = (&app, &shop);
        async move { post(app, shop, "/checkout", &body).await }
    });
    let responses = futures_util::future::join_all(requests).await;
    let mut placed = 0;
    let mut refused = 0;
    for response in responses {
        match response.status().as_u16() {
            201 => placed += 1,
            409 => {
                assert_eq!(json(response).await["code"], "out_of_stock");
                refused += 1;
            }
            other => panic!(
                "unexpected {other}: {}",
                response.text().await.unwrap_or_default()
            ),
        }
    }
    assert_eq!(placed, STOCK as usize);
    assert_eq!(refused, BUYERS - STOCK as usize);
    assert_eq!(stock_of(&app, &shop).await, 0);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM orders").await,
        i64::from(STOCK)
    );
    assert_eq!(
        app.scalar_i64("SELECT max(number) FROM orders").await,
        i64::from(STOCK),
        "numbers have no gaps"
    );
}

#[tokio::test]
async fn the_same_idempotency_key_makes_one_order() {
    let app = spawn_app_with(&[("DATABASE_POOL_SIZE", "10")]).await;
    let shop = shop(&app, "idempotente", 10).await;
    let body = order_body(
        &shop,
        serde_json::json!([{"product_id": shop.dessert, "quantity": 1}]),
    );
    let send = |key: &'static str, body: serde_json::Value| {
        let (app, shop) = (&app, &shop);
        async move {
            app.client
                .post(app.url("/checkout"))
                .header("X-Tenant", &shop.slug)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .expect("sent")
        }
    };
    let responses =
        futures_util::future::join_all((0..6).map(|_| send("pedido-123", body.clone()))).await;
    let mut ids = std::collections::BTreeSet::new();
    for response in responses {
        match response.status().as_u16() {
            201 => {
                ids.insert(id(&json(response).await));
            }
            409 => assert_eq!(json(response).await["code"], "idempotency_in_progress"),
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ids.len(), 1, "every success answered the same order");
    assert_eq!(app.scalar_i64("SELECT count(*) FROM orders").await, 1);
    assert_eq!(stock_of(&app, &shop).await, 9);

    let replay = send("pedido-123", body.clone()).await;
    assert_eq!(replay.status(), 201);
    assert_eq!(
        replay
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert_eq!(ids.first(), Some(&id(&json(replay).await)));

    let mut other_body = body.clone();
    other_body["items"] = serde_json::json!([{"product_id": shop.dessert, "quantity": 2}]);
    let reused = send("pedido-123", other_body).await;
    assert_eq!(
        error_code(reused, 422).await["code"],
        "idempotency_key_reused"
    );

    // A failed attempt frees its key for a corrected retry.
    let mut failing = body.clone();
    failing["customer"]["phone"] = serde_json::json!("123");
    assert_eq!(send("pedido-456", failing).await.status(), 422);
    assert_eq!(
        send("pedido-456", body.clone()).await.status(),
        201,
        "the failed attempt freed its key"
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM orders").await, 2);
}

#[tokio::test]
async fn a_coupon_with_one_use_left_is_consumed_once() {
    let app = spawn_app_with(&[("DATABASE_POOL_SIZE", "10")]).await;
    let shop = shop(&app, "cupom", 10).await;
    let campaign = created(
        app.send(
            &shop.owner,
            Method::POST,
            "/admin/campaigns",
            Some(serde_json::json!({"name": "Último", "kind": "fixed", "value": 1000, "coupon_code": "ultimo", "usage_limit": 1})),
        )
        .await,
    )
    .await;
    assert_eq!(campaign["coupon_code"], "ULTIMO");
    let requests = (0..2).map(|n| {
        let mut body = order_body(
            &shop,
            serde_json::json!([{"product_id": shop.pizza, "quantity": 1}]),
        );
        body["coupon_code"] = serde_json::json!("Ultimo");
        body["customer"] = serde_json::json!({"name": "C", "phone": format!("11 9876{n}-0000")});
        let (app, shop) = (&app, &shop);
        async move { post(app, shop, "/checkout", &body).await }
    });
    let statuses: Vec<u16> = futures_util::future::join_all(requests)
        .await
        .into_iter()
        .map(|response| response.status().as_u16())
        .collect();
    let mut sorted = statuses.clone();
    sorted.sort();
    assert_eq!(sorted, vec![201, 422], "{statuses:?}");
    assert_eq!(
        app.scalar_i64("SELECT uses::bigint FROM campaigns").await,
        1
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM campaign_uses").await,
        1
    );
    assert_eq!(
        app.scalar_i64("SELECT discount_cents FROM orders").await,
        1000
    );
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
async fn orders_move_along_their_path_and_cancelling_returns_stock() {
    let app = spawn_app().await;
    let shop = shop(&app, "fluxo", 6).await;
    let order = created(
        post(
            &app,
            &shop,
            "/checkout",
            &order_body(
                &shop,
                serde_json::json!([{"product_id": shop.dessert, "quantity": 2}]),
            ),
        )
        .await,
    )
    .await;
    let order_id = id(&order);
    assert_eq!(stock_of(&app, &shop).await, 4);
    let status = |to: &str| {
        let (app, shop, order_id) = (&app, &shop, order_id.clone());
        let body = serde_json::json!({"status": to});
        async move {
            app.send(
                &shop.owner,
                Method::POST,
                &format!("/admin/orders/{order_id}/status"),
                Some(body),
            )
            .await
        }
    };
    let skipped = status("ready").await;
    assert_eq!(error_code(skipped, 409).await["code"], "invalid_transition");
    assert_eq!(status("confirmed").await.status(), 200);
    assert_eq!(status("preparing").await.status(), 200);
    assert_eq!(
        error_code(status("picked_up").await, 409).await["code"],
        "invalid_transition",
        "a delivery is not picked up"
    );
    let no_reason = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/orders/{order_id}/status"),
            Some(serde_json::json!({"status": "canceled"})),
        )
        .await;
    assert_eq!(no_reason.status(), 422);

    let canceled = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/orders/{order_id}/cancel"),
            Some(serde_json::json!({"reason": "cliente desistiu"})),
        )
        .await;
    assert_eq!(canceled.status(), 200);
    let canceled = json(canceled).await;
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(canceled["cancel_reason"], "cliente desistiu");
    assert_eq!(stock_of(&app, &shop).await, 6, "the stock came back");
    let history: Vec<&str> = canceled["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["to"].as_str().expect("to"))
        .collect();
    assert_eq!(
        history,
        vec!["pending", "confirmed", "preparing", "canceled"]
    );
    let owner_id =
        json(app.send(&shop.owner, Method::GET, "/auth/me", None).await).await["id"].clone();
    assert_eq!(canceled["history"][1]["actor_user_id"], owner_id);
    let again = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/orders/{order_id}/cancel"),
            Some(serde_json::json!({"reason": "de novo"})),
        )
        .await;
    assert_eq!(error_code(again, 409).await["code"], "invalid_transition");
    assert_eq!(
        stock_of(&app, &shop).await,
        6,
        "cancelling twice returns nothing twice"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE kind = 'whatsapp.order_status'")
            .await,
        3
    );
    let movements = json(
        app.send(
            &shop.owner,
            Method::GET,
            &format!("/admin/inventory/movements?product_id={}", shop.dessert),
            None,
        )
        .await,
    )
    .await;
    let reasons: Vec<&str> = movements["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["reason"].as_str().expect("reason"))
        .collect();
    assert_eq!(reasons, vec!["cancel", "sale", "adjustment"]);

    let detail = json(
        app.send(
            &shop.owner,
            Method::GET,
            &format!("/admin/orders/{order_id}"),
            None,
        )
        .await,
    )
    .await;
    assert!(detail["tracking_token"].is_string());
    let pickup = {
        let mut body = order_body(
            &shop,
            serde_json::json!([{"product_id": shop.pizza, "quantity": 1}]),
        );
        body["fulfillment"] = serde_json::json!("pickup");
        created(post(&app, &shop, "/checkout", &body).await).await
    };
    assert_eq!(pickup["shipping_fee_cents"], 0);
    assert_eq!(pickup["delivery"], serde_json::Value::Null);
}

#[tokio::test]
async fn customers_are_searched_edited_and_merged() {
    let app = spawn_app().await;
    let shop = shop(&app, "clientes", 10).await;
    let mut first = order_body(
        &shop,
        serde_json::json!([{"product_id": shop.pizza, "quantity": 1}]),
    );
    first["customer"] = serde_json::json!({"name": "Maria Silva", "phone": "11 98888-7777"});
    created(post(&app, &shop, "/checkout", &first).await).await;
    let mut second = first.clone();
    second["customer"] = serde_json::json!({"name": "Maria S.", "phone": "11 97777-6666"});
    created(post(&app, &shop, "/checkout", &second).await).await;

    let by_phone = json(
        app.send(
            &shop.owner,
            Method::GET,
            "/admin/customers?search=%2B55%2011%2098888-7777",
            None,
        )
        .await,
    )
    .await;
    assert_eq!(by_phone["total"], 1);
    let survivor = id(&by_phone["items"][0]);
    let other = json(
        app.send(
            &shop.owner,
            Method::GET,
            "/admin/customers?search=97777",
            None,
        )
        .await,
    )
    .await;
    let merged = id(&other["items"][0]);
    assert_eq!(by_phone["items"][0]["total_spent_cents"], 5500);

    let taken = app
        .send(
            &shop.owner,
            Method::PATCH,
            &format!("/admin/customers/{merged}"),
            Some(serde_json::json!({"phone": "(11) 98888-7777"})),
        )
        .await;
    assert_eq!(error_code(taken, 409).await["code"], "phone_taken");
    let edited = json(
        app.send(
            &shop.owner,
            Method::PATCH,
            &format!("/admin/customers/{survivor}"),
            Some(serde_json::json!({"notes": "prefere entrega rápida"})),
        )
        .await,
    )
    .await;
    assert_eq!(edited["notes"], "prefere entrega rápida");
    let bad_email = app
        .send(
            &shop.owner,
            Method::PATCH,
            &format!("/admin/customers/{survivor}"),
            Some(serde_json::json!({"email": "sem-arroba"})),
        )
        .await;
    assert_eq!(
        error_code(bad_email, 422).await["errors"][0]["field"],
        "email"
    );
    let with_email = json(
        app.send(
            &shop.owner,
            Method::PATCH,
            &format!("/admin/customers/{survivor}"),
            Some(serde_json::json!({"email": " Cliente@Exemplo.com.br "})),
        )
        .await,
    )
    .await;
    assert_eq!(with_email["email"], "cliente@exemplo.com.br");

    let result = app
        .send(
            &shop.owner,
            Method::POST,
            "/admin/customers/merge",
            Some(serde_json::json!({"survivor_id": survivor, "merged_id": merged})),
        )
        .await;
    assert_eq!(result.status(), 200);
    let detail = json(
        app.send(
            &shop.owner,
            Method::GET,
            &format!("/admin/customers/{survivor}"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(detail["orders_count"], 2);
    assert_eq!(detail["orders"]["total"], 2);
    assert_eq!(
        app.send(
            &shop.owner,
            Method::GET,
            &format!("/admin/customers/{merged}"),
            None
        )
        .await
        .status(),
        404
    );
}

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

#[tokio::test]
async fn another_tenants_orders_customers_campaigns_and_inventory_are_404() {
    let app = spawn_app().await;
    let theirs = shop(&app, "loja-deles", 5).await;
    let mine = shop(&app, "loja-minha", 5).await;
    let order = created(
        post(
            &app,
            &theirs,
            "/checkout",
            &order_body(
                &theirs,
                serde_json::json!([{"product_id": theirs.dessert, "quantity": 1}]),
            ),
        )
        .await,
    )
    .await;
    let order_id = id(&order);
    let customer = order["customer"]["id"]
        .as_str()
        .expect("customer")
        .to_owned();
    let campaign = id(&created(
        app.send(
            &theirs.owner,
            Method::POST,
            "/admin/campaigns",
            Some(serde_json::json!({"name": "Deles", "kind": "fixed", "value": 100})),
        )
        .await,
    )
    .await);
    let my_customer_order = created(
        post(
            &app,
            &mine,
            "/checkout",
            &order_body(
                &mine,
                serde_json::json!([{"product_id": mine.pizza, "quantity": 1}]),
            ),
        )
        .await,
    )
    .await;
    let my_customer = my_customer_order["customer"]["id"]
        .as_str()
        .expect("customer")
        .to_owned();

    for (method, path, body) in [
        (Method::GET, format!("/orders/{order_id}"), None),
        (Method::GET, format!("/admin/orders/{order_id}"), None),
        (
            Method::POST,
            format!("/admin/orders/{order_id}/status"),
            Some(serde_json::json!({"status": "confirmed"})),
        ),
        (
            Method::POST,
            format!("/admin/orders/{order_id}/cancel"),
            Some(serde_json::json!({"reason": "x"})),
        ),
        (Method::GET, format!("/admin/customers/{customer}"), None),
        (
            Method::PATCH,
            format!("/admin/customers/{customer}"),
            Some(serde_json::json!({"name": "hacked"})),
        ),
        (
            Method::POST,
            "/admin/customers/merge".to_owned(),
            Some(serde_json::json!({"survivor_id": my_customer, "merged_id": customer})),
        ),
        (Method::GET, format!("/admin/campaigns/{campaign}"), None),
        (
            Method::PUT,
            format!("/admin/campaigns/{campaign}"),
            Some(serde_json::json!({"name": "x", "kind": "fixed", "value": 1})),
        ),
        (Method::DELETE, format!("/admin/campaigns/{campaign}"), None),
        (
            Method::GET,
            format!("/admin/inventory?store_id={}", theirs.store),
            None,
        ),
        (
            Method::POST,
            "/admin/inventory/adjustments".to_owned(),
            Some(
                serde_json::json!({"store_id": theirs.store, "product_id": theirs.dessert, "quantity": 99, "reason": "x"}),
            ),
        ),
        (
            Method::POST,
            "/admin/inventory/adjustments".to_owned(),
            Some(
                serde_json::json!({"store_id": mine.store, "product_id": theirs.dessert, "quantity": 99, "reason": "x"}),
            ),
        ),
    ] {
        let response = app.send(&mine.owner, method.clone(), &path, body).await;
        assert_eq!(response.status(), 404, "{method} {path}");
    }
    // Their tracking token, asked under my tenant.
    let token = order["tracking_token"].as_str().expect("token");
    let crossed = app
        .client
        .get(app.url(&format!("/orders/{order_id}?token={token}")))
        .header("X-Tenant", &mine.slug)
        .send()
        .await
        .expect("sent");
    assert_eq!(crossed.status(), 404);
    // Their products cannot be bought from my store.
    let mut borrowed = order_body(
        &mine,
        serde_json::json!([{"product_id": theirs.pizza, "quantity": 1}]),
    );
    borrowed["store_id"] = serde_json::json!(mine.store);
    assert_eq!(
        post(&app, &mine, "/checkout", &borrowed).await.status(),
        422
    );
    let mut their_store = order_body(
        &mine,
        serde_json::json!([{"product_id": mine.pizza, "quantity": 1}]),
    );
    their_store["store_id"] = serde_json::json!(theirs.store);
    assert_eq!(
        post(&app, &mine, "/checkout", &their_store).await.status(),
        404
    );

    assert_eq!(stock_of(&app, &theirs).await, 4);
    assert_eq!(
        app.scalar_text(&format!(
            "SELECT status FROM orders WHERE id = '{order_id}'"
        ))
        .await,
        "pending"
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM campaigns").await, 1);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM customers").await, 2);
    let listed = json(
        app.send(&mine.owner, Method::GET, "/admin/orders", None)
            .await,
    )
    .await;
    assert_eq!(listed["total"], 1, "only my order");
}
