//! The customers checkout creates: searched by phone, edited with checks, merged.

use reqwest::Method;

use crate::builders::shop::{Shop, created, error_code, id, order_body, post, shop};
use crate::support::{TestApp, json, spawn_app};

/// A shop with two customers, one order each: Maria Silva (11 98888-7777) and Maria S.
/// (11 97777-6666).
async fn two_customers(app: &TestApp, slug: &str) -> Shop {
    let shop = shop(app, slug, 10).await;
    let mut first = order_body(
        &shop,
        serde_json::json!([{"product_id": shop.pizza, "quantity": 1}]),
    );
    first["customer"] = serde_json::json!({"name": "Maria Silva", "phone": "11 98888-7777"});
    created(post(app, &shop, "/checkout", &first).await).await;
    let mut second = first.clone();
    second["customer"] = serde_json::json!({"name": "Maria S.", "phone": "11 97777-6666"});
    created(post(app, &shop, "/checkout", &second).await).await;
    shop
}

/// `/admin/customers?search=…`, `query` already URL-encoded.
async fn search(app: &TestApp, shop: &Shop, query: &str) -> serde_json::Value {
    json(
        app.send(
            &shop.owner,
            Method::GET,
            &format!("/admin/customers?search={query}"),
            None,
        )
        .await,
    )
    .await
}

/// Maria Silva's id and Maria S.'s, found by phone.
async fn survivor_and_merged(app: &TestApp, shop: &Shop) -> (String, String) {
    let survivor = id(&search(app, shop, "%2B55%2011%2098888-7777").await["items"][0]);
    let merged = id(&search(app, shop, "97777").await["items"][0]);
    (survivor, merged)
}

#[tokio::test]
async fn customers_are_found_by_their_phone_written_any_way_or_by_part_of_it() {
    let app = spawn_app().await;
    let shop = two_customers(&app, "clientes").await;
    let by_phone = search(&app, &shop, "%2B55%2011%2098888-7777").await;
    assert_eq!(by_phone["total"], 1);
    assert_eq!(by_phone["items"][0]["total_spent_cents"], 5500);
    let other = search(&app, &shop, "97777").await;
    assert_eq!(other["total"], 1);
    assert_ne!(id(&other["items"][0]), id(&by_phone["items"][0]));
}

#[tokio::test]
async fn customer_edits_are_checked_and_normalized() {
    let app = spawn_app().await;
    let shop = two_customers(&app, "edicao").await;
    let (survivor, merged) = survivor_and_merged(&app, &shop).await;

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
}

#[tokio::test]
async fn a_merged_customers_orders_go_to_the_survivor_and_it_is_gone() {
    let app = spawn_app().await;
    let shop = two_customers(&app, "fusao").await;
    let (survivor, merged) = survivor_and_merged(&app, &shop).await;

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
