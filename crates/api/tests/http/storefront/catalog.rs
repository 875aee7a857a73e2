//! The public menu: categories, products and add-on groups in order, what is unavailable,
//! a large menu whole (and gzipped), the store it needs, and another tenant's catalog out of
//! reach.

use std::io::Read;

use reqwest::Method;

use crate::builders::storefront::{
    PNG, create_category, create_product, create_store, paulista_store, upload,
};
use crate::support::{Session, TestApp, header, json, spawn_app};

/// A menu at one store: Pizzas (Margherita with a crust add-on group, then Calabresa,
/// switched off in the store) listed before Bebidas (a juice that tracks stock and has none).
struct Cardapio {
    owner: Session,
    store_id: String,
    margherita: String,
    juice: String,
}

async fn cardapio(app: &TestApp) -> Cardapio {
    let owner = app.tenant_with_owner("cardapio").await;
    let store = create_store(app, &owner, paulista_store("Centro")).await;
    let store_id = store["id"].as_str().expect("id").to_owned();
    let drinks = create_category(app, &owner, "Bebidas", 2).await;
    let pizzas = create_category(app, &owner, "Pizzas", 1).await;
    let margherita = create_product(
        app,
        &owner,
        &pizzas,
        "Margherita",
        serde_json::json!({"price_cents": 5490, "position": 1}),
    )
    .await;
    let calabresa = create_product(
        app,
        &owner,
        &pizzas,
        "Calabresa",
        serde_json::json!({"position": 2}),
    )
    .await;
    let juice = create_product(
        app,
        &owner,
        &drinks,
        "Suco",
        serde_json::json!({"track_stock": true}),
    )
    .await;

    let group = app
        .send(
            &owner,
            Method::POST,
            &format!("/admin/catalog/products/{margherita}/addon-groups"),
            Some(serde_json::json!({"name": "Borda", "min": 0, "max": 1})),
        )
        .await;
    assert_eq!(group.status(), 201);
    let group_id = json(group).await["id"].as_str().expect("id").to_owned();
    let addon = app
        .send(
            &owner,
            Method::POST,
            &format!("/admin/catalog/addon-groups/{group_id}/addons"),
            Some(serde_json::json!({"name": "Catupiry", "price_cents": 900})),
        )
        .await;
    assert_eq!(addon.status(), 201);
    // Calabresa off in this store; the juice tracks stock and has none.
    let toggled = app
        .send(&owner, Method::POST, "/admin/catalog/availability", Some(serde_json::json!({"product_ids": [calabresa], "store_id": store_id, "available": false})))
        .await;
    assert_eq!(json(toggled).await["updated"], 1);

    Cardapio {
        owner,
        store_id,
        margherita,
        juice,
    }
}

#[tokio::test]
async fn the_catalog_lists_ordered_categories_products_and_addon_groups() {
    let app = spawn_app().await;
    let Cardapio { store_id, .. } = cardapio(&app).await;
    let menu = json(
        app.get_as("cardapio", &format!("/catalog?store_id={store_id}"))
            .await,
    )
    .await;
    assert_eq!(menu["store_id"], store_id);
    let categories: Vec<&str> = menu["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(categories, vec!["Pizzas", "Bebidas"]);
    let pizzas_menu = &menu["categories"][0]["products"];
    assert_eq!(pizzas_menu[0]["name"], "Margherita");
    assert_eq!(pizzas_menu[0]["price_cents"], 5490);
    assert_eq!(pizzas_menu[0]["available"], true);
    assert_eq!(pizzas_menu[0]["addon_groups"][0]["name"], "Borda");
    assert_eq!(pizzas_menu[0]["addon_groups"][0]["min"], 0);
    assert_eq!(pizzas_menu[0]["addon_groups"][0]["max"], 1);
    assert_eq!(
        pizzas_menu[0]["addon_groups"][0]["addons"][0]["price_cents"],
        900
    );
    assert_eq!(pizzas_menu[1]["name"], "Calabresa");
    assert_eq!(pizzas_menu[1]["available"], false);
    let juice = &menu["categories"][1]["products"][0];
    assert_eq!(
        (juice["available"].clone(), juice["out_of_stock"].clone()),
        (false.into(), true.into())
    );
}

#[tokio::test]
async fn hidden_unavailable_items_leave_the_menu_until_they_are_back_in_stock() {
    let app = spawn_app().await;
    let Cardapio {
        owner,
        store_id,
        juice,
        ..
    } = cardapio(&app).await;
    app.sql(&format!(
        "INSERT INTO stock_levels (tenant_id, store_id, product_id, quantity) \
         SELECT tenant_id, '{store_id}', id, 5 FROM products WHERE id = '{juice}'"
    ))
    .await;
    app.send(
        &owner,
        Method::PATCH,
        &format!("/admin/stores/{store_id}"),
        Some(serde_json::json!({"hide_unavailable_items": true})),
    )
    .await;
    let hidden = json(
        app.get_as("cardapio", &format!("/catalog?store_id={store_id}"))
            .await,
    )
    .await;
    let names: Vec<&str> = hidden["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .flat_map(|c| {
            c["products"]
                .as_array()
                .expect("products")
                .iter()
                .map(|p| p["name"].as_str().expect("name"))
        })
        .collect();
    assert_eq!(
        names,
        vec!["Margherita", "Suco"],
        "Calabresa is hidden; the juice is back in stock"
    );
}

#[tokio::test]
async fn an_addon_group_whose_minimum_is_above_its_maximum_is_refused() {
    let app = spawn_app().await;
    let Cardapio {
        owner, margherita, ..
    } = cardapio(&app).await;
    let bad_group = app
        .send(
            &owner,
            Method::POST,
            &format!("/admin/catalog/products/{margherita}/addon-groups"),
            Some(serde_json::json!({"name": "X", "min": 2, "max": 1})),
        )
        .await;
    assert_eq!(bad_group.status(), 422);
}

#[tokio::test]
async fn catalog_needs_a_known_store() {
    let app = spawn_app().await;
    app.tenant_with_owner("semloja").await;
    let missing = app.get_as("semloja", "/catalog").await;
    assert_eq!(missing.status(), 422);
    assert_eq!(
        app.get_as("semloja", "/catalog?store_id=nope")
            .await
            .status(),
        404
    );
    let unknown = uuid::Uuid::now_v7();
    assert_eq!(
        app.get_as("semloja", &format!("/catalog?store_id={unknown}"))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn a_200_product_menu_comes_whole() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("grande").await;
    let store = create_store(&app, &owner, paulista_store("Grande")).await;
    let store_id = store["id"].as_str().expect("id");
    let tenant = owner.tenant.id;
    app.sql(&format!(
        "INSERT INTO categories (id, tenant_id, name, position) \
           SELECT gen_random_uuid(), '{tenant}', 'Categoria ' || n, n FROM generate_series(1, 10) n;
         INSERT INTO products (id, tenant_id, category_id, name, price_cents, position) \
           SELECT gen_random_uuid(), c.tenant_id, c.id, c.name || ' produto ' || n, 1000 + n, n \
           FROM categories c, generate_series(1, 20) n WHERE c.tenant_id = '{tenant}';
         INSERT INTO addon_groups (id, tenant_id, product_id, name, min_choices, max_choices) \
           SELECT gen_random_uuid(), tenant_id, id, 'Extras', 0, 2 FROM products WHERE tenant_id = '{tenant}';
         INSERT INTO addons (id, tenant_id, group_id, name, price_cents) \
           SELECT gen_random_uuid(), g.tenant_id, g.id, 'Extra ' || n, 100 * n FROM addon_groups g, generate_series(1, 3) n;"
    ))
    .await;
    let menu = json(
        app.get_as("grande", &format!("/catalog?store_id={store_id}"))
            .await,
    )
    .await;
    let categories = menu["categories"].as_array().expect("categories");
    assert_eq!(categories.len(), 10);
    let products: Vec<&serde_json::Value> = categories
        .iter()
        .flat_map(|c| c["products"].as_array().expect("products"))
        .collect();
    assert_eq!(products.len(), 200);
    assert!(products.iter().all(|p| {
        p["addon_groups"][0]["addons"]
            .as_array()
            .is_some_and(|a| a.len() == 3)
    }));

    // Browsers ask for gzip and get the same menu, several times smaller.
    let url = app.url(&format!("/catalog?store_id={store_id}"));
    let gzipped = app
        .client
        .get(&url)
        .header("X-Tenant", "grande")
        .header("Accept-Encoding", "br, gzip;q=0.8")
        .send()
        .await
        .expect("request sent");
    assert_eq!(gzipped.status(), 200);
    assert_eq!(header(&gzipped, "content-encoding"), Some("gzip"));
    assert_eq!(header(&gzipped, "vary"), Some("Accept-Encoding"));
    let compressed = gzipped.bytes().await.expect("body");
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut unzipped)
        .expect("gunzip");
    let same: serde_json::Value = serde_json::from_slice(&unzipped).expect("json");
    assert_eq!(same, menu);
    let identity = serde_json::to_vec(&menu).expect("json").len();
    assert!(
        compressed.len() * 4 < identity,
        "{} vs {identity}",
        compressed.len()
    );

    // Refused with q=0: plain JSON.
    let refused = app
        .client
        .get(&url)
        .header("X-Tenant", "grande")
        .header("Accept-Encoding", "gzip;q=0, identity")
        .send()
        .await
        .expect("request sent");
    assert_eq!(header(&refused, "content-encoding"), None);
    assert_eq!(json(refused).await, menu);
}

#[tokio::test]
async fn another_tenants_catalog_is_404_and_untouched() {
    let app = spawn_app().await;
    let mine = app.tenant_with_owner("meucardapio").await;
    let theirs = app.tenant_with_owner("cardapiodeles").await;
    let category = create_category(&app, &theirs, "Deles", 1).await;
    let product = create_product(
        &app,
        &theirs,
        &category,
        "Produto deles",
        serde_json::json!({}),
    )
    .await;
    let group = json(
        app.send(
            &theirs,
            Method::POST,
            &format!("/admin/catalog/products/{product}/addon-groups"),
            Some(serde_json::json!({"name": "G"})),
        )
        .await,
    )
    .await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let addon = json(
        app.send(
            &theirs,
            Method::POST,
            &format!("/admin/catalog/addon-groups/{group}/addons"),
            Some(serde_json::json!({"name": "A"})),
        )
        .await,
    )
    .await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for (method, path, body) in [
        (
            Method::PATCH,
            format!("/admin/catalog/categories/{category}"),
            Some(serde_json::json!({"name": "x"})),
        ),
        (
            Method::DELETE,
            format!("/admin/catalog/categories/{category}"),
            None,
        ),
        (
            Method::GET,
            format!("/admin/catalog/products/{product}"),
            None,
        ),
        (
            Method::PATCH,
            format!("/admin/catalog/products/{product}"),
            Some(serde_json::json!({"price_cents": 1})),
        ),
        (
            Method::DELETE,
            format!("/admin/catalog/products/{product}"),
            None,
        ),
        (
            Method::POST,
            format!("/admin/catalog/products/{product}/addon-groups"),
            Some(serde_json::json!({"name": "x"})),
        ),
        (
            Method::PUT,
            format!("/admin/catalog/addon-groups/{group}"),
            Some(serde_json::json!({"name": "x"})),
        ),
        (
            Method::DELETE,
            format!("/admin/catalog/addon-groups/{group}"),
            None,
        ),
        (
            Method::POST,
            format!("/admin/catalog/addon-groups/{group}/addons"),
            Some(serde_json::json!({"name": "x"})),
        ),
        (
            Method::PUT,
            format!("/admin/catalog/addons/{addon}"),
            Some(serde_json::json!({"name": "x"})),
        ),
        (
            Method::DELETE,
            format!("/admin/catalog/addons/{addon}"),
            None,
        ),
        (
            Method::POST,
            "/admin/catalog/availability".to_owned(),
            Some(serde_json::json!({"product_ids": [product], "available": false})),
        ),
    ] {
        let response = app.send(&mine, method.clone(), &path, body).await;
        assert_eq!(response.status(), 404, "{method} {path}");
    }
    let borrowed = app
        .send(
            &mine,
            Method::POST,
            "/admin/catalog/products",
            Some(serde_json::json!({"category_id": category, "name": "x", "price_cents": 1})),
        )
        .await;
    assert_eq!(borrowed.status(), 422);
    let image = upload(
        &app,
        &mine,
        &format!("/admin/catalog/products/{product}/image"),
        "a.png",
        PNG.to_vec(),
        "image/png",
    )
    .await;
    assert_eq!(image.status(), 404);
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM products WHERE price_cents = 3000 AND image_url IS NULL"
        )
        .await,
        1
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM addons WHERE name = 'A'")
            .await,
        1
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM product_store_availability")
            .await,
        0
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM media_objects").await,
        0
    );
}
