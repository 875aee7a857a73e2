//! "Sold out today": a product marked sold out in a store leaves its menu and its checkouts
//! until the time given (by default the store's next opening) or until it is back on sale.

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::builders::shop::{Shop, error_code, order_body, post, shop};
use crate::support::{TestApp, json, spawn_app};

/// The product's `(available, out_of_stock)` in the store's menu.
async fn on_the_menu(app: &TestApp, shop: &Shop, product: &str) -> (Value, Value) {
    let menu = json(
        app.client
            .get(app.url(&format!("/catalog?store_id={}", shop.store)))
            .header("X-Tenant", &shop.slug)
            .send()
            .await
            .expect("sent"),
    )
    .await;
    let item = menu["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .flat_map(|category| category["products"].as_array().cloned().unwrap_or_default())
        .find(|item| item["id"] == product)
        .expect("on the menu");
    (item["available"].clone(), item["out_of_stock"].clone())
}

async fn sold_out(app: &TestApp, shop: &Shop, product: &str, body: Value) -> reqwest::Response {
    app.send(
        &shop.owner,
        Method::POST,
        &format!("/admin/catalog/products/{product}/sold-out"),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn a_product_sold_out_today_leaves_the_menu_and_checkout_until_it_is_back_on_sale() {
    let app = spawn_app().await;
    let shop = shop(&app, "acabou", 5).await;
    let pizza = json!([{"product_id": shop.pizza, "quantity": 1}]);
    assert_eq!(
        on_the_menu(&app, &shop, &shop.pizza).await,
        (json!(true), json!(false))
    );

    let marked = sold_out(&app, &shop, &shop.pizza, json!({"store_id": shop.store})).await;
    assert_eq!(marked.status(), 200);
    let marked = json(marked).await;
    assert_eq!(marked["product_id"], shop.pizza);
    let until: DateTime<Utc> = marked["sold_out_until"]
        .as_str()
        .and_then(|until| until.parse().ok())
        .expect("sold_out_until");
    // The store opens every day at 00:00 (São Paulo): its next opening is the coming midnight.
    let now = Utc::now();
    assert!(
        until > now && until <= now + TimeDelta::hours(24),
        "{until}"
    );

    // The cached menu and the checkout's cached prices follow at once.
    assert_eq!(
        on_the_menu(&app, &shop, &shop.pizza).await,
        (json!(false), json!(true))
    );
    let body = order_body(&shop, pizza.clone());
    let refused = error_code(post(&app, &shop, "/checkout/preview", &body).await, 409).await;
    assert_eq!(refused["code"], "out_of_stock");
    let refused = error_code(post(&app, &shop, "/checkout", &body).await, 409).await;
    assert_eq!(refused["code"], "out_of_stock");
    // Another product and a pre-order for after the mark ends are still sold.
    let dessert = order_body(&shop, json!([{"product_id": shop.dessert, "quantity": 1}]));
    assert_eq!(
        post(&app, &shop, "/checkout/preview", &dessert)
            .await
            .status(),
        200
    );
    let mut later = body.clone();
    later["scheduled_for"] = json!((until + TimeDelta::hours(1)).to_rfc3339());
    assert_eq!(
        post(&app, &shop, "/checkout/preview", &later)
            .await
            .status(),
        200
    );

    let back = app
        .send(
            &shop.owner,
            Method::DELETE,
            &format!(
                "/admin/catalog/products/{}/sold-out?store_id={}",
                shop.pizza, shop.store
            ),
            None,
        )
        .await;
    assert_eq!(back.status(), 204);
    assert_eq!(
        on_the_menu(&app, &shop, &shop.pizza).await,
        (json!(true), json!(false))
    );
    assert_eq!(post(&app, &shop, "/checkout", &body).await.status(), 201);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE action = 'product.sold_out'")
            .await,
        2
    );
}

#[tokio::test]
async fn a_sold_out_mark_needs_a_coming_time_and_the_tenants_own_product_and_store() {
    let app = spawn_app().await;
    let shop = shop(&app, "marcas", 5).await;
    let other = crate::builders::shop::shop(&app, "vizinha", 5).await;
    let field_of = |body: Value| body["errors"][0]["field"].clone();

    let past = (Utc::now() - TimeDelta::minutes(1)).to_rfc3339();
    let refused = sold_out(
        &app,
        &shop,
        &shop.pizza,
        json!({"store_id": shop.store, "until": past}),
    )
    .await;
    assert_eq!(field_of(error_code(refused, 422).await), "until");
    let too_far = (Utc::now() + TimeDelta::days(8)).to_rfc3339();
    let refused = sold_out(
        &app,
        &shop,
        &shop.pizza,
        json!({"store_id": shop.store, "until": too_far}),
    )
    .await;
    assert_eq!(field_of(error_code(refused, 422).await), "until");
    let chosen = (Utc::now() + TimeDelta::hours(2)).to_rfc3339();
    let accepted = sold_out(
        &app,
        &shop,
        &shop.pizza,
        json!({"store_id": shop.store, "until": chosen}),
    )
    .await;
    assert_eq!(accepted.status(), 200);
    let refused = sold_out(&app, &shop, &shop.pizza, json!({"until": chosen})).await;
    assert_eq!(refused.status(), 422);
    let no_store = app
        .send(
            &shop.owner,
            Method::DELETE,
            &format!("/admin/catalog/products/{}/sold-out", shop.pizza),
            None,
        )
        .await;
    assert_eq!(no_store.status(), 422);

    // Another tenant's product, or store, is not found and nothing is written.
    let theirs = sold_out(&app, &shop, &other.pizza, json!({"store_id": shop.store})).await;
    assert_eq!(theirs.status(), 404);
    let their_store = sold_out(&app, &shop, &shop.pizza, json!({"store_id": other.store})).await;
    assert_eq!(their_store.status(), 404);
    let their_back = app
        .send(
            &shop.owner,
            Method::DELETE,
            &format!(
                "/admin/catalog/products/{}/sold-out?store_id={}",
                other.pizza, other.store
            ),
            None,
        )
        .await;
    assert_eq!(their_back.status(), 404);
    assert_eq!(
        on_the_menu(&app, &other, &other.pizza).await,
        (json!(true), json!(false))
    );
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM product_store_availability WHERE tenant_id = '{}'",
            other.owner.tenant.id
        ))
        .await,
        0
    );
}
