//! The public menu's cache: revalidated with its ETag, and following every change it shows
//! (through the API or behind its back), stock only when it crosses zero.

use reqwest::Method;

use crate::builders::storefront::{create_category, create_product, create_store, paulista_store};
use crate::support::{Session, TestApp, header, json, spawn_app};

/// One store and one product (X-Salada at R$ 30,00) for the tenant `fresca`: the store's and
/// the product's ids.
async fn one_product_menu(app: &TestApp, owner: &Session) -> (String, String) {
    let store = create_store(app, owner, paulista_store("Fresca")).await;
    let store_id = store["id"].as_str().expect("id").to_owned();
    let category = create_category(app, owner, "Lanches", 1).await;
    let product = create_product(app, owner, &category, "X-Salada", serde_json::json!({})).await;
    (store_id, product)
}

/// `fresca`'s menu (answered 200) and its first product.
async fn menu(app: &TestApp, store_id: &str) -> (serde_json::Value, serde_json::Value) {
    let response = app
        .get_as("fresca", &format!("/catalog?store_id={store_id}"))
        .await;
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    let item = body["categories"][0]["products"][0].clone();
    (body, item)
}

const VERSION: &str = "SELECT cache_version FROM tenants WHERE slug = 'fresca'";

#[tokio::test]
async fn a_menu_is_revalidated_with_its_etag_and_only_by_its_tenant() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("fresca").await;
    let (store_id, product) = one_product_menu(&app, &owner).await;
    // A client holding the menu revalidates for a 304; another tenant still gets 404.
    let url = app.url(&format!("/catalog?store_id={store_id}"));
    let revalidate = |tenant: &'static str, etag: String| {
        app.client
            .get(&url)
            .header("X-Tenant", tenant)
            .header("If-None-Match", etag)
            .send()
    };
    let first = app
        .get_as("fresca", &format!("/catalog?store_id={store_id}"))
        .await;
    assert_eq!(header(&first, "cache-control"), Some("no-cache"));
    let etag = header(&first, "etag").expect("etag").to_owned();
    let unchanged = revalidate("fresca", etag.clone()).await.expect("sent");
    assert_eq!(unchanged.status(), 304);
    assert_eq!(header(&unchanged, "etag"), Some(etag.as_str()));
    assert!(unchanged.bytes().await.expect("body").is_empty());
    app.tenant_with_owner("intrusa").await;
    let intruder = revalidate("intrusa", etag.clone()).await.expect("sent");
    assert_eq!(intruder.status(), 404);

    // Through the API.
    let changed = app
        .send(
            &owner,
            Method::PATCH,
            &format!("/admin/catalog/products/{product}"),
            Some(serde_json::json!({"price_cents": 3500})),
        )
        .await;
    assert_eq!(changed.status(), 200);
    let stale = revalidate("fresca", etag.clone()).await.expect("sent");
    assert_eq!(stale.status(), 200, "a changed menu is sent whole");
    assert_ne!(header(&stale, "etag"), Some(etag.as_str()));
}

#[tokio::test]
async fn a_cached_menu_follows_every_change_it_shows() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("fresca").await;
    assert_eq!(
        app.scalar_i64(VERSION).await,
        owner.tenant.version,
        "a new tenant comes back with the version it committed with"
    );
    let (store_id, product) = one_product_menu(&app, &owner).await;
    let (_, item) = menu(&app, &store_id).await;
    assert_eq!(item["price_cents"], 3000);

    // Served from the cache: a write that skips the triggers (so the version stays) is not
    // seen until something moves the version.
    app.sql(&format!(
        "SET session_replication_role = replica;
         UPDATE products SET description = 'sem gatilho' WHERE id = '{product}';
         SET session_replication_role = origin;"
    ))
    .await;
    assert_eq!(
        menu(&app, &store_id).await.1["description"],
        "",
        "the cached menu answered"
    );

    // Through the API.
    let changed = app
        .send(
            &owner,
            Method::PATCH,
            &format!("/admin/catalog/products/{product}"),
            Some(serde_json::json!({"price_cents": 3500})),
        )
        .await;
    assert_eq!(changed.status(), 200);
    let (_, repriced) = menu(&app, &store_id).await;
    assert_eq!(repriced["price_cents"], 3500);
    assert_eq!(repriced["description"], "sem gatilho");

    // Behind the API's back (the CLI, another instance, plain SQL).
    app.sql(&format!(
        "UPDATE products SET name = 'X-Tudo' WHERE id = '{product}'"
    ))
    .await;
    assert_eq!(menu(&app, &store_id).await.1["name"], "X-Tudo");
    app.sql(&format!(
        "UPDATE stores SET name = 'Fresca Centro' WHERE id = '{store_id}'"
    ))
    .await;
    assert_eq!(menu(&app, &store_id).await.0["store_name"], "Fresca Centro");

    // TRUNCATE fires no row trigger; it moves every tenant.
    let before_truncate = app.scalar_i64(VERSION).await;
    app.sql("TRUNCATE addons CASCADE").await;
    assert_ne!(app.scalar_i64(VERSION).await, before_truncate);

    // Deleted: gone on the next read.
    app.sql(&format!("DELETE FROM products WHERE id = '{product}'"))
        .await;
    let (emptied, _) = menu(&app, &store_id).await;
    assert!(
        emptied["categories"]
            .as_array()
            .expect("categories")
            .iter()
            .all(|c| c["products"].as_array().is_some_and(Vec::is_empty))
    );
}

#[tokio::test]
async fn only_stock_crossing_zero_changes_the_menu() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("fresca").await;
    let (store_id, product) = one_product_menu(&app, &owner).await;
    // Stock: the menu shows only in or out of stock, so only crossing zero matters.
    app.sql(&format!(
        "UPDATE products SET track_stock = TRUE WHERE id = '{product}';
         INSERT INTO stock_levels (tenant_id, store_id, product_id, quantity)
           VALUES ('{}', '{store_id}', '{product}', 2)",
        owner.tenant.id
    ))
    .await;
    assert_eq!(menu(&app, &store_id).await.1["out_of_stock"], false);
    let before_sale = app.scalar_i64(VERSION).await;
    app.sql(&format!(
        "UPDATE stock_levels SET quantity = 1 WHERE product_id = '{product}'"
    ))
    .await;
    assert_eq!(
        app.scalar_i64(VERSION).await,
        before_sale,
        "a sale that leaves stock moves nothing"
    );
    app.sql(&format!(
        "UPDATE stock_levels SET quantity = 0 WHERE product_id = '{product}'"
    ))
    .await;
    let (_, sold_out) = menu(&app, &store_id).await;
    assert_eq!(sold_out["out_of_stock"], true);
    assert_eq!(sold_out["available"], false);
    app.sql(&format!(
        "UPDATE stock_levels SET quantity = 5 WHERE product_id = '{product}'"
    ))
    .await;
    assert_eq!(menu(&app, &store_id).await.1["out_of_stock"], false);
}
