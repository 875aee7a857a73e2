//! Combos: a fixed price and slots ("choose a drink") of the menu's products at extra prices;
//! the checkout prices the choices, names them on the line, and takes the chosen products'
//! stock.

use reqwest::Method;
use serde_json::{Value, json};

use crate::builders::shop::{created, error_code, id, order_body, post, shop, stock_of};
use crate::support::{json, spawn_app};

#[tokio::test]
async fn a_combo_with_a_drink_and_a_dessert_goes_from_menu_to_order_and_takes_the_desserts_stock() {
    let app = spawn_app().await;
    let shop = shop(&app, "combos", 5).await;
    let owner = &shop.owner;
    let category = id(&created(
        app.send(
            owner,
            Method::POST,
            "/admin/catalog/categories",
            Some(json!({"name": "Combos"})),
        )
        .await,
    )
    .await);
    let product = |name: &str, price: i64| {
        let body = json!({"category_id": category, "name": name, "price_cents": price});
        let app = &app;
        async move {
            id(&created(
                app.send(owner, Method::POST, "/admin/catalog/products", Some(body))
                    .await,
            )
            .await)
        }
    };
    let suco = product("Suco", 800).await;
    let refri = product("Refri", 600).await;
    let combo = created(
        app.send(owner, Method::POST, "/admin/catalog/products", Some(json!({
            "category_id": category, "name": "Combo almoço", "price_cents": 4500, "kind": "combo",
            "slots": [
                {"name": "Bebida", "min": 1, "max": 1, "options": [{"product_id": suco, "extra_cents": 200}, {"product_id": refri}]},
                {"name": "Sobremesa", "min": 0, "max": 1, "options": [{"product_id": shop.dessert}]}
            ]
        })))
        .await,
    )
    .await;
    assert_eq!(combo["kind"], "combo");
    let (bebida, sobremesa) = (id(&combo["slots"][0]), id(&combo["slots"][1]));
    let combo = id(&combo);

    let menu = json(
        app.client
            .get(app.url(&format!("/catalog?store_id={}", shop.store)))
            .header("X-Tenant", &shop.slug)
            .send()
            .await
            .expect("sent"),
    )
    .await;
    let shown = menu["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .flat_map(|c| c["products"].as_array().cloned().unwrap_or_default())
        .find(|item| item["id"] == combo.as_str())
        .expect("the combo");
    assert_eq!(shown["slots"][0]["options"][0]["name"], "Suco");
    assert_eq!(shown["slots"][0]["options"][0]["extra_cents"], 200);
    assert_eq!(shown["slots"][1]["options"][0]["name"], "Pudim");

    let choose = |slots: Value| {
        order_body(
            &shop,
            json!([{"product_id": combo, "quantity": 1, "slots": slots}]),
        )
    };
    let body = choose(json!([
        {"slot_id": bebida, "product_ids": [suco]},
        {"slot_id": sobremesa, "product_ids": [shop.dessert]}
    ]));
    let preview = json(post(&app, &shop, "/checkout/preview", &body).await).await;
    assert_eq!(preview["lines"][0]["unit_price_cents"], 4700, "{preview}");
    assert_eq!(preview["lines"][0]["name"], "Combo almoço (Suco, Pudim)");
    created(post(&app, &shop, "/checkout", &body).await).await;
    assert_eq!(
        stock_of(&app, &shop).await,
        4,
        "the chosen dessert's stock is taken"
    );

    let field = |body: Value| {
        body["errors"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let cases = [
        (choose(json!([])), "items[0].slots"),
        (
            choose(json!([{"slot_id": bebida, "product_ids": [suco, refri]}])),
            "items[0].slots[0].product_ids",
        ),
        (
            choose(json!([{"slot_id": bebida, "product_ids": [shop.pizza]}])),
            "items[0].slots[0].product_ids[0]",
        ),
        (
            choose(
                json!([{"slot_id": sobremesa, "product_ids": []}, {"slot_id": sobremesa, "product_ids": []}]),
            ),
            "items[0].slots[1].slot_id",
        ),
        (
            order_body(
                &shop,
                json!([{"product_id": suco, "quantity": 1, "slots": [{"slot_id": bebida, "product_ids": [suco]}]}]),
            ),
            "items[0].slots",
        ),
    ];
    for (body, expected) in cases {
        let refused = error_code(post(&app, &shop, "/checkout/preview", &body).await, 422).await;
        assert_eq!(field(refused), expected);
    }
}

#[tokio::test]
async fn the_menu_editor_refuses_a_combo_it_cannot_sell() {
    let app = spawn_app().await;
    let shop = shop(&app, "combo-editor", 5).await;
    let owner = &shop.owner;
    let category = id(&created(
        app.send(
            owner,
            Method::POST,
            "/admin/catalog/categories",
            Some(json!({"name": "Combos"})),
        )
        .await,
    )
    .await);
    let combo = |slots: Value| json!({"category_id": category, "name": "Combo", "price_cents": 3000, "kind": "combo", "slots": slots});
    let field = |body: Value| {
        body["errors"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let refusals = [
        (combo(json!([])), "slots"),
        (
            combo(json!([{"name": "Bebida", "options": []}])),
            "slots[0].options",
        ),
        (
            combo(
                json!([{"name": "Bebida", "min": 2, "max": 1, "options": [{"product_id": shop.pizza}]}]),
            ),
            "slots[0].max",
        ),
        (
            combo(
                json!([{"name": "Bebida", "options": [{"product_id": shop.pizza, "extra_cents": -1}]}]),
            ),
            "slots[0].options[0].extra_cents",
        ),
        (
            combo(json!([{"name": "Bebida", "options": [{"product_id": category}]}])),
            "slots[0].options[0].product_id",
        ),
        (
            json!({"category_id": category, "name": "Simples", "price_cents": 100, "slots": [{"name": "X", "options": [{"product_id": shop.pizza}]}]}),
            "slots",
        ),
    ];
    for (body, expected) in refusals {
        let refused = error_code(
            app.send(owner, Method::POST, "/admin/catalog/products", Some(body))
                .await,
            422,
        )
        .await;
        assert_eq!(field(refused), expected);
    }
    assert_eq!(app.scalar_i64("SELECT count(*) FROM combo_slots").await, 0);
}
