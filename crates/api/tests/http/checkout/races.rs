//! Checkouts racing each other: for the last units in stock, under one idempotency key, for a
//! coupon's last use.

use reqwest::Method;

use crate::builders::shop::{created, error_code, id, order_body, post, shop, stock_of};
use crate::support::{json, spawn_app_with};

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
