//! Another tenant's orders, customers, campaigns, inventory, tracking links, products and
//! stores: 404 (or refused) and untouched.

use reqwest::Method;

use crate::builders::shop::{created, id, order_body, post, shop, stock_of};
use crate::support::{json, spawn_app};

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

#[tokio::test]
async fn another_tenants_tracking_token_products_and_stores_are_out_of_reach() {
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

    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM orders").await,
        1,
        "nothing was placed across tenants"
    );
    assert_eq!(stock_of(&app, &theirs).await, 4);
}
