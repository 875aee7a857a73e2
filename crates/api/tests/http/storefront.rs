//! Stores, catalog, media and shipping through the API.

use chrono::{DurationRound, TimeDelta, Utc};
use comanda_testkit::{StubResponse, StubServer};
use reqwest::Method;
use reqwest::multipart::{Form, Part};

use std::io::Read;

use crate::support::{Session, TestApp, header, json, spawn_app, spawn_app_with};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01";
const MP4: &[u8] = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom";

async fn create_store(
    app: &TestApp,
    owner: &Session,
    body: serde_json::Value,
) -> serde_json::Value {
    let response = app
        .send(owner, Method::POST, "/admin/stores", Some(body))
        .await;
    assert_eq!(response.status(), 201);
    json(response).await
}

fn paulista_store(name: &str) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "address": {"cep": "01310-100", "street": "Avenida Paulista", "number": "1578",
                    "district": "Bela Vista", "city": "São Paulo", "state": "sp"},
        "latitude": -23.5614, "longitude": -46.6559,
        "opening_hours": {"monday": [{"open": "00:00", "close": "24:00"}], "tuesday": [{"open": "00:00", "close": "24:00"}],
                          "wednesday": [{"open": "00:00", "close": "24:00"}], "thursday": [{"open": "00:00", "close": "24:00"}],
                          "friday": [{"open": "00:00", "close": "24:00"}], "saturday": [{"open": "00:00", "close": "24:00"}],
                          "sunday": [{"open": "00:00", "close": "24:00"}]},
    })
}

async fn create_category(app: &TestApp, owner: &Session, name: &str, position: i32) -> String {
    let response = app
        .send(
            owner,
            Method::POST,
            "/admin/catalog/categories",
            Some(serde_json::json!({"name": name, "position": position})),
        )
        .await;
    assert_eq!(response.status(), 201);
    json(response).await["id"].as_str().expect("id").to_owned()
}

async fn create_product(
    app: &TestApp,
    owner: &Session,
    category: &str,
    name: &str,
    extra: serde_json::Value,
) -> String {
    let mut body = serde_json::json!({"category_id": category, "name": name, "price_cents": 3000});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let response = app
        .send(owner, Method::POST, "/admin/catalog/products", Some(body))
        .await;
    assert_eq!(response.status(), 201, "product {name}");
    json(response).await["id"].as_str().expect("id").to_owned()
}

async fn upload(
    app: &TestApp,
    owner: &Session,
    path: &str,
    name: &str,
    bytes: Vec<u8>,
    mime: &str,
) -> reqwest::Response {
    let part = Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(mime)
        .expect("mime");
    app.client
        .post(app.url(path))
        .bearer_auth(&owner.token)
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn stores_are_created_edited_closed_by_hand_and_limited() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("lojas").await;
    app.sql("UPDATE tenants SET stores_limit = 1").await;
    let store = create_store(&app, &owner, paulista_store("Paulista")).await;
    assert_eq!(store["address"]["state"], "SP");
    assert_eq!(store["is_open"], true);
    let id = store["id"].as_str().expect("id");

    let second = app
        .send(
            &owner,
            Method::POST,
            "/admin/stores",
            Some(paulista_store("Segunda")),
        )
        .await;
    assert_eq!(second.status(), 409);
    assert_eq!(json(second).await["code"], "limit_reached");

    let closed = app
        .send(
            &owner,
            Method::PATCH,
            &format!("/admin/stores/{id}"),
            Some(serde_json::json!({"manually_closed": true, "phone": "+5511912345678"})),
        )
        .await;
    assert_eq!(closed.status(), 200);
    let public = json(app.get_as("lojas", "/stores").await).await;
    assert_eq!(public["items"][0]["is_open"], false);
    assert_eq!(public["items"][0]["phone"], "+5511912345678");

    let cleared = json(
        app.send(
            &owner,
            Method::PATCH,
            &format!("/admin/stores/{id}"),
            Some(serde_json::json!({"phone": null})),
        )
        .await,
    )
    .await;
    assert_eq!(cleared["phone"], serde_json::Value::Null);

    assert_eq!(
        app.send(&owner, Method::DELETE, &format!("/admin/stores/{id}"), None)
            .await
            .status(),
        204
    );
    assert_eq!(json(app.get_as("lojas", "/stores").await).await["total"], 0);
    let audit = json(
        app.send(&owner, Method::GET, "/admin/audit?entity_type=store", None)
            .await,
    )
    .await;
    assert_eq!(audit["total"], 4);
}

#[tokio::test]
async fn bad_store_input_is_a_validation_error() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("invalida").await;
    for (body, field) in [
        (
            serde_json::json!({"name": "X", "time_zone": "Mars/Base"}),
            "time_zone",
        ),
        (
            serde_json::json!({"name": "X", "latitude": 123.0}),
            "latitude",
        ),
        (
            serde_json::json!({"name": "X", "opening_hours": {"monday": [{"open": "10:00", "close": "10:00"}]}}),
            "opening_hours",
        ),
        (serde_json::json!({"name": "  "}), "name"),
    ] {
        let response = app
            .send(&owner, Method::POST, "/admin/stores", Some(body))
            .await;
        assert_eq!(response.status(), 422, "{field}");
        let body = json(response).await;
        assert!(
            body["errors"][0]["field"]
                .as_str()
                .is_some_and(|f| f.starts_with(field)),
            "{field}: {body}"
        );
    }
    assert_eq!(app.scalar_i64("SELECT count(*) FROM stores").await, 0);
}

#[tokio::test]
async fn a_store_closed_by_its_hours_says_when_it_opens_next() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("horario").await;
    let sao_paulo = chrono_tz::America::Sao_Paulo;
    let opens = (Utc::now() + TimeDelta::hours(2))
        .duration_trunc(TimeDelta::minutes(1))
        .expect("truncate");
    let closes = opens + TimeDelta::hours(1);
    let range = serde_json::json!([{
        "open": opens.with_timezone(&sao_paulo).format("%H:%M").to_string(),
        "close": closes.with_timezone(&sao_paulo).format("%H:%M").to_string(),
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
    create_store(
        &app,
        &owner,
        serde_json::json!({"name": "Noturna", "opening_hours": hours}),
    )
    .await;

    let store = &json(app.get_as("horario", "/stores").await).await["items"][0];
    assert_eq!(store["is_open"], false);
    let next: chrono::DateTime<Utc> = store["next_opening_at"]
        .as_str()
        .expect("next opening")
        .parse()
        .expect("instant");
    assert_eq!(next, opens);
}

#[tokio::test]
async fn another_tenants_stores_are_404_and_untouched() {
    let app = spawn_app().await;
    let mine = app.tenant_with_owner("minhaloja").await;
    let theirs = app.tenant_with_owner("outraloja").await;
    let their_store = create_store(&app, &theirs, paulista_store("Deles")).await;
    let id = their_store["id"].as_str().expect("id");
    for (method, path, body) in [
        (Method::GET, format!("/admin/stores/{id}"), None),
        (
            Method::PATCH,
            format!("/admin/stores/{id}"),
            Some(serde_json::json!({"name": "hacked"})),
        ),
        (Method::DELETE, format!("/admin/stores/{id}"), None),
        (
            Method::GET,
            format!("/admin/shipping/stores/{id}/bands"),
            None,
        ),
        (
            Method::PUT,
            format!("/admin/shipping/stores/{id}/bands"),
            Some(serde_json::json!({"bands": []})),
        ),
    ] {
        let response = app.send(&mine, method.clone(), &path, body).await;
        assert_eq!(response.status(), 404, "{method} {path}");
    }
    let image = upload(
        &app,
        &mine,
        &format!("/admin/stores/{id}/image"),
        "a.png",
        PNG.to_vec(),
        "image/png",
    )
    .await;
    assert_eq!(image.status(), 404);
    assert_eq!(
        app.get_as("minhaloja", &format!("/catalog?store_id={id}"))
            .await
            .status(),
        404
    );
    assert_eq!(app.scalar_text("SELECT name FROM stores").await, "Deles");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM stores WHERE is_active AND image_url IS NULL")
            .await,
        1
    );
}

#[tokio::test]
async fn the_catalog_lists_ordered_categories_products_and_addon_groups() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("cardapio").await;
    let store = create_store(&app, &owner, paulista_store("Centro")).await;
    let store_id = store["id"].as_str().expect("id").to_owned();
    let drinks = create_category(&app, &owner, "Bebidas", 2).await;
    let pizzas = create_category(&app, &owner, "Pizzas", 1).await;
    let margherita = create_product(
        &app,
        &owner,
        &pizzas,
        "Margherita",
        serde_json::json!({"price_cents": 5490, "position": 1}),
    )
    .await;
    let calabresa = create_product(
        &app,
        &owner,
        &pizzas,
        "Calabresa",
        serde_json::json!({"position": 2}),
    )
    .await;
    let pudim = create_product(
        &app,
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
    let bad_group = app
        .send(
            &owner,
            Method::POST,
            &format!("/admin/catalog/products/{margherita}/addon-groups"),
            Some(serde_json::json!({"name": "X", "min": 2, "max": 1})),
        )
        .await;
    assert_eq!(bad_group.status(), 422);

    // Calabresa off in this store; the juice tracks stock and has none.
    let toggled = app
        .send(&owner, Method::POST, "/admin/catalog/availability", Some(serde_json::json!({"product_ids": [calabresa], "store_id": store_id, "available": false})))
        .await;
    assert_eq!(json(toggled).await["updated"], 1);

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

    app.sql(&format!(
        "INSERT INTO stock_levels (tenant_id, store_id, product_id, quantity) \
         SELECT tenant_id, '{store_id}', id, 5 FROM products WHERE id = '{pudim}'"
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
async fn a_cached_menu_follows_every_change_it_shows() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("fresca").await;
    assert_eq!(
        app.scalar_i64("SELECT cache_version FROM tenants WHERE slug = 'fresca'")
            .await,
        owner.tenant.version,
        "a new tenant comes back with the version it committed with"
    );
    let store = create_store(&app, &owner, paulista_store("Fresca")).await;
    let store_id = store["id"].as_str().expect("id").to_owned();
    let category = create_category(&app, &owner, "Lanches", 1).await;
    let product = create_product(&app, &owner, &category, "X-Salada", serde_json::json!({})).await;
    let menu = || async {
        let response = app
            .get_as("fresca", &format!("/catalog?store_id={store_id}"))
            .await;
        assert_eq!(response.status(), 200);
        let body = json(response).await;
        let item = body["categories"][0]["products"][0].clone();
        (body, item)
    };
    let (_, item) = menu().await;
    assert_eq!(item["price_cents"], 3000);

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

    // Served from the cache: a write that skips the triggers (so the version stays) is not
    // seen until something moves the version.
    app.sql(&format!(
        "SET session_replication_role = replica;
         UPDATE products SET description = 'sem gatilho' WHERE id = '{product}';
         SET session_replication_role = origin;"
    ))
    .await;
    assert_eq!(
        menu().await.1["description"],
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
    let (_, repriced) = menu().await;
    assert_eq!(repriced["price_cents"], 3500);
    assert_eq!(repriced["description"], "sem gatilho");
    let stale = revalidate("fresca", etag.clone()).await.expect("sent");
    assert_eq!(stale.status(), 200, "a changed menu is sent whole");
    assert_ne!(header(&stale, "etag"), Some(etag.as_str()));

    // Behind the API's back (the CLI, another instance, plain SQL).
    app.sql(&format!(
        "UPDATE products SET name = 'X-Tudo' WHERE id = '{product}'"
    ))
    .await;
    assert_eq!(menu().await.1["name"], "X-Tudo");
    app.sql(&format!(
        "UPDATE stores SET name = 'Fresca Centro' WHERE id = '{store_id}'"
    ))
    .await;
    assert_eq!(menu().await.0["store_name"], "Fresca Centro");

    // Stock: the menu shows only in or out of stock, so only crossing zero matters.
    app.sql(&format!(
        "UPDATE products SET track_stock = TRUE WHERE id = '{product}';
         INSERT INTO stock_levels (tenant_id, store_id, product_id, quantity)
           VALUES ('{}', '{store_id}', '{product}', 2)",
        owner.tenant.id
    ))
    .await;
    assert_eq!(menu().await.1["out_of_stock"], false);
    let version = "SELECT cache_version FROM tenants WHERE slug = 'fresca'";
    let before_sale = app.scalar_i64(version).await;
    app.sql(&format!(
        "UPDATE stock_levels SET quantity = 1 WHERE product_id = '{product}'"
    ))
    .await;
    assert_eq!(
        app.scalar_i64(version).await,
        before_sale,
        "a sale that leaves stock moves nothing"
    );
    app.sql(&format!(
        "UPDATE stock_levels SET quantity = 0 WHERE product_id = '{product}'"
    ))
    .await;
    let (_, sold_out) = menu().await;
    assert_eq!(sold_out["out_of_stock"], true);
    assert_eq!(sold_out["available"], false);
    app.sql(&format!(
        "UPDATE stock_levels SET quantity = 5 WHERE product_id = '{product}'"
    ))
    .await;
    assert_eq!(menu().await.1["out_of_stock"], false);

    // TRUNCATE fires no row trigger; it moves every tenant.
    let before_truncate = app.scalar_i64(version).await;
    app.sql("TRUNCATE addons CASCADE").await;
    assert_ne!(app.scalar_i64(version).await, before_truncate);

    // Deleted: gone on the next read.
    app.sql(&format!("DELETE FROM products WHERE id = '{product}'"))
        .await;
    let (emptied, _) = menu().await;
    assert!(
        emptied["categories"]
            .as_array()
            .expect("categories")
            .iter()
            .all(|c| c["products"].as_array().is_some_and(Vec::is_empty))
    );
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

#[tokio::test]
async fn uploads_are_judged_by_their_bytes_and_size() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("midia").await;
    let category = create_category(&app, &owner, "C", 1).await;
    let product = create_product(&app, &owner, &category, "P", serde_json::json!({})).await;
    let image_path = format!("/admin/catalog/products/{product}/image");
    let video_path = format!("/admin/catalog/products/{product}/video");

    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec();
    let html = b"<!doctype html><script>alert(1)</script>".to_vec();
    let mut big_png = PNG.to_vec();
    big_png.resize(5 * 1024 * 1024 + 1, 0);
    let mut big_mp4 = MP4.to_vec();
    big_mp4.resize(20 * 1024 * 1024 + 1, 0);
    for (path, name, bytes, mime, status, code) in [
        (
            &image_path,
            "a.svg",
            svg,
            "image/svg+xml",
            415,
            "unsupported_media_type",
        ),
        (
            &image_path,
            "a.html",
            html,
            "text/html",
            415,
            "unsupported_media_type",
        ),
        (
            &image_path,
            "photo.png",
            b"just text, named like a picture".to_vec(),
            "image/png",
            415,
            "unsupported_media_type",
        ),
        (
            &image_path,
            "big.png",
            big_png,
            "image/png",
            413,
            "payload_too_large",
        ),
        (
            &video_path,
            "a.png",
            PNG.to_vec(),
            "image/png",
            415,
            "unsupported_media_type",
        ),
        (
            &video_path,
            "big.mp4",
            big_mp4,
            "video/mp4",
            413,
            "payload_too_large",
        ),
    ] {
        let response = upload(&app, &owner, path, name, bytes, mime).await;
        assert_eq!(response.status(), status, "{name}");
        assert_eq!(json(response).await["code"], code, "{name}");
    }
    let not_multipart = app
        .client
        .post(app.url(&image_path))
        .bearer_auth(&owner.token)
        .header("Content-Type", "image/png")
        .body(PNG.to_vec())
        .send()
        .await
        .expect("sent");
    assert_eq!(not_multipart.status(), 415);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM media_objects").await,
        0,
        "nothing stored"
    );

    let stored = upload(
        &app,
        &owner,
        &image_path,
        "evil.svg",
        PNG.to_vec(),
        "image/svg+xml",
    )
    .await;
    assert_eq!(stored.status(), 201);
    let url = json(stored).await["url"].as_str().expect("url").to_owned();
    assert!(
        url.starts_with("/media/") && url.ends_with(".png"),
        "the server names it: {url}"
    );
    let served = app.get(&url).await;
    assert_eq!(served.status(), 200);
    assert_eq!(
        served
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/png")
    );
    assert_eq!(served.bytes().await.expect("bytes").as_ref(), PNG);
    let video = upload(
        &app,
        &owner,
        &video_path,
        "clip.mp4",
        MP4.to_vec(),
        "video/mp4",
    )
    .await;
    assert_eq!(video.status(), 201);
    let product_view = json(
        app.send(
            &owner,
            Method::GET,
            &format!("/admin/catalog/products/{product}"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(product_view["image_url"], url);
    assert!(
        product_view["video_url"]
            .as_str()
            .is_some_and(|v| v.ends_with(".mp4"))
    );

    for path in [
        "/media/../../etc/passwd",
        "/media/%2e%2e/%2e%2e/etc/passwd",
        "/media/x/../../Cargo.toml",
        "/media/nope.png",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
}

async fn shipping_app(
    google: Option<&StubServer>,
    nominatim: &StubServer,
) -> (TestApp, Session, String) {
    let mut vars = vec![("NOMINATIM_BASE_URL", nominatim.base_url.as_str())];
    if let Some(google) = google {
        vars.push(("GOOGLE_MAPS_BASE_URL", google.base_url.as_str()));
        vars.push(("GOOGLE_MAPS_API_KEY", "test-key"));
    }
    let app = spawn_app_with(&vars).await;
    let owner = app.tenant_with_owner("frete").await;
    let store = create_store(&app, &owner, paulista_store("Paulista")).await;
    let store_id = store["id"].as_str().expect("id").to_owned();
    let bands = app
        .send(
            &owner,
            Method::PUT,
            &format!("/admin/shipping/stores/{store_id}/bands"),
            Some(serde_json::json!({"bands": [
                {"max_km": 2, "fee_cents": 500, "eta_minutes": 30},
                {"max_km": 5, "fee_cents": 800, "eta_minutes": 40},
                {"max_km": 8, "fee_cents": 1200, "eta_minutes": 55}
            ]})),
        )
        .await;
    assert_eq!(bands.status(), 200);
    (app, owner, store_id)
}

fn quote_body(store_id: &str, cep: &str, coordinates: Option<(f64, f64)>) -> serde_json::Value {
    let mut body = serde_json::json!({
        "store_id": store_id,
        "address": {"cep": cep, "street": "Rua Augusta", "number": "500", "district": "Consolação", "city": "São Paulo", "state": "SP"}
    });
    if let Some((lat, lng)) = coordinates {
        body["lat"] = lat.into();
        body["lng"] = lng.into();
    }
    body
}

async fn quote(app: &TestApp, body: serde_json::Value) -> reqwest::Response {
    app.client
        .post(app.url("/shipping/quote"))
        .header("X-Tenant", "frete")
        .json(&body)
        .send()
        .await
        .expect("sent")
}

fn google_meters(meters: u32) -> StubResponse {
    StubResponse::json(
        200,
        serde_json::json!({"status": "OK", "rows": [{"elements": [{"status": "OK", "distance": {"value": meters}, "duration": {"value": 600}}]}]}),
    )
}

#[tokio::test]
async fn bands_are_validated() {
    let nominatim = StubServer::start(vec![]).await;
    let (app, owner, store_id) = shipping_app(None, &nominatim).await;
    for bands in [
        serde_json::json!([{"max_km": 5, "fee_cents": 500, "eta_minutes": 30}, {"max_km": 3, "fee_cents": 800, "eta_minutes": 40}]),
        serde_json::json!([{"max_km": 5, "fee_cents": -1, "eta_minutes": 30}]),
        serde_json::json!([{"max_km": 5, "fee_cents": 1, "eta_minutes": 0}]),
    ] {
        let response = app
            .send(
                &owner,
                Method::PUT,
                &format!("/admin/shipping/stores/{store_id}/bands"),
                Some(serde_json::json!({"bands": bands})),
            )
            .await;
        assert_eq!(response.status(), 422, "{bands}");
    }
    let kept = json(
        app.send(
            &owner,
            Method::GET,
            &format!("/admin/shipping/stores/{store_id}/bands"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(kept["total"], 3, "the valid bands were kept");
}

#[tokio::test]
async fn google_distances_price_by_band_with_edges_inclusive() {
    let google = StubServer::start(vec![google_meters(5000)]).await;
    let nominatim = StubServer::start(vec![]).await;
    let (app, _owner, store_id) = shipping_app(Some(&google), &nominatim).await;

    let on_edge = quote(&app, quote_body(&store_id, "01305-000", None)).await;
    assert_eq!(on_edge.status(), 200);
    let body = json(on_edge).await;
    assert_eq!(body["distance_km"], 5.0);
    assert_eq!(
        body["fee_cents"], 800,
        "exactly on max_km is inside the band"
    );
    assert_eq!(body["eta_minutes"], 40);
    assert_eq!(body["source"], "google");
    let request = &google.requests()[0];
    assert_eq!(request.path, "/maps/api/distancematrix/json");
    assert_eq!(
        request.query_param("origins").as_deref(),
        Some("-23.5614,-46.6559")
    );
    assert_eq!(request.query_param("key").as_deref(), Some("test-key"));
    assert!(
        request
            .query_param("destinations")
            .is_some_and(|d| d.contains("Rua Augusta"))
    );

    google.respond_with(vec![google_meters(8001)]);
    let beyond = quote(&app, quote_body(&store_id, "01414-000", None)).await;
    assert_eq!(beyond.status(), 422);
    assert_eq!(json(beyond).await["code"], "out_of_delivery_area");
    assert!(nominatim.requests().is_empty());
}

#[tokio::test]
async fn failing_google_falls_back_to_nominatim_and_says_so() {
    let google = StubServer::start(vec![StubResponse::json(
        500,
        serde_json::json!({"error": "boom"}),
    )])
    .await;
    // About 1.4 km from the store.
    let nominatim = StubServer::start(vec![StubResponse::json(
        200,
        serde_json::json!([{"lat": "-23.5530", "lon": "-46.6480"}]),
    )])
    .await;
    let (app, _owner, store_id) = shipping_app(Some(&google), &nominatim).await;
    let response = quote(&app, quote_body(&store_id, "01305-000", None)).await;
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    assert_eq!(body["source"], "nominatim");
    assert_eq!(body["fee_cents"], 500);
    assert!(
        body["distance_km"]
            .as_f64()
            .is_some_and(|km| (1.0..2.0).contains(&km)),
        "{body}"
    );
    let lookup = &nominatim.requests()[0];
    assert_eq!(
        lookup.query_param("postalcode").as_deref(),
        Some("01305-000")
    );
    assert!(
        lookup
            .header("user-agent")
            .is_some_and(|agent| agent.starts_with("comanda/"))
    );
}

#[tokio::test]
async fn nominatim_finding_nothing_is_invalid_address() {
    let nominatim = StubServer::start(vec![StubResponse::json(200, serde_json::json!([]))]).await;
    let (app, _owner, store_id) = shipping_app(None, &nominatim).await;
    let response = quote(&app, quote_body(&store_id, "01305-000", None)).await;
    assert_eq!(response.status(), 422);
    assert_eq!(json(response).await["code"], "invalid_address");
}

#[tokio::test]
async fn a_bad_cep_is_invalid_address_without_calling_anyone() {
    let nominatim = StubServer::start(vec![]).await;
    let (app, _owner, store_id) = shipping_app(None, &nominatim).await;
    // With the client's coordinates or without (when geocoding would be needed), the CEP is
    // judged first.
    for point in [Some((-23.56, -46.65)), None] {
        let response = quote(&app, quote_body(&store_id, "123", point)).await;
        assert_eq!(response.status(), 422);
        assert_eq!(json(response).await["code"], "invalid_address");
    }
    assert!(nominatim.requests().is_empty());
}

#[tokio::test]
async fn client_coordinates_skip_geocoding_and_quotes_are_cached() {
    let nominatim = StubServer::start(vec![StubResponse::json(
        200,
        serde_json::json!([{"lat": "-23.5530", "lon": "-46.6480"}]),
    )])
    .await;
    let (app, _owner, store_id) = shipping_app(None, &nominatim).await;
    let by_point = json(
        quote(
            &app,
            quote_body(&store_id, "01305-000", Some((-23.5700, -46.6450))),
        )
        .await,
    )
    .await;
    assert_eq!(by_point["source"], "coordinates");
    assert!(nominatim.requests().is_empty());

    for _ in 0..3 {
        let cached = quote(&app, quote_body(&store_id, "01305000", None)).await;
        assert_eq!(cached.status(), 200);
    }
    assert_eq!(
        nominatim.requests().len(),
        1,
        "the same address is geocoded once"
    );
}

#[tokio::test]
async fn quotes_need_a_delivering_store_of_the_tenant() {
    let nominatim = StubServer::start(vec![]).await;
    let (app, owner, store_id) = shipping_app(None, &nominatim).await;
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_eq!(
        quote(
            &app,
            quote_body(&unknown, "01305-000", Some((-23.57, -46.64)))
        )
        .await
        .status(),
        404
    );
    app.send(
        &owner,
        Method::PATCH,
        &format!("/admin/stores/{store_id}"),
        Some(serde_json::json!({"delivery_enabled": false})),
    )
    .await;
    let response = quote(
        &app,
        quote_body(&store_id, "01305-000", Some((-23.57, -46.64))),
    )
    .await;
    assert_eq!(response.status(), 422);
    assert_eq!(json(response).await["code"], "delivery_unavailable");
}

#[tokio::test]
async fn the_demo_seed_has_a_menu_and_bands_and_seeding_twice_changes_nothing() {
    let app = spawn_app().await;
    let seed = comanda_api::startup::seed_service(&app.settings).expect("seed service");
    seed.seed_demo().await.expect("first seed");
    let counts = "SELECT (SELECT count(*) FROM tenants) + (SELECT count(*) FROM stores) * 10 \
                  + (SELECT count(*) FROM products) * 100 + (SELECT count(*) FROM addons) * 10000 \
                  + (SELECT count(*) FROM shipping_bands) * 1000000";
    let first = app.scalar_i64(counts).await;
    seed.seed_demo().await.expect("second seed");
    assert_eq!(
        app.scalar_i64(counts).await,
        first,
        "nothing was added the second time"
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM users").await, 1);
    app.login(
        "demo",
        comanda_services::seed::DEMO_OWNER_EMAIL,
        comanda_services::seed::DEMO_OWNER_PASSWORD,
    )
    .await;
    assert_eq!(
        app.scalar_text(
            "SELECT p.code FROM tenant_subscriptions s JOIN plans p ON p.id = s.plan_id"
        )
        .await,
        comanda_services::seed::DEMO_PLAN_CODE
    );

    let store = &json(app.get_as("demo", "/stores").await).await["items"][0];
    let store_id = store["id"].as_str().expect("id");
    let menu = json(
        app.get_as("demo", &format!("/catalog?store_id={store_id}"))
            .await,
    )
    .await;
    let categories = menu["categories"].as_array().expect("categories");
    assert!(categories.len() >= 4, "{menu}");
    assert!(
        categories[0]["products"][0]["addon_groups"]
            .as_array()
            .is_some_and(|g| !g.is_empty())
    );
    let quoted = app
        .client
        .post(app.url("/shipping/quote"))
        .header("X-Tenant", "demo")
        .json(&serde_json::json!({
            "store_id": store_id, "lat": -23.5700, "lng": -46.6450,
            "address": {"cep": "01310-200", "street": "Avenida Paulista", "number": "2000", "district": "Bela Vista", "city": "São Paulo", "state": "SP"}
        }))
        .send()
        .await
        .expect("sent");
    assert_eq!(quoted.status(), 200);
    assert_eq!(json(quoted).await["source"], "coordinates");
}
