//! Pizza by size and flavours: a pizzeria publishes a pizza with sizes and a flavour category
//! priced by size, and a "½ Calabresa + ½ Margherita, borda de catupiry" goes from the catalog
//! through preview and checkout to the order, priced by the tenant's `pizza_pricing`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::builders::shop::{Shop, created, error_code, id, order_body, post, shop};
use crate::support::{TestApp, json, spawn_app};

struct Pizzeria {
    shop: Shop,
    pizza: String,
    media: String,
    grande: String,
    crust: String,
    calabresa: String,
    margherita: String,
    queijos: String,
}

async fn admin(
    app: &TestApp,
    shop: &Shop,
    method: Method,
    path: &str,
    body: Value,
) -> reqwest::Response {
    app.send(&shop.owner, method, path, Some(body)).await
}

async fn pizzeria(app: &TestApp, slug: &str) -> Pizzeria {
    let shop = shop(app, slug, 5).await;
    let pizzas = id(&created(
        admin(
            app,
            &shop,
            Method::POST,
            "/admin/catalog/categories",
            json!({"name": "Pizzas"}),
        )
        .await,
    )
    .await);
    let pizza = created(
        admin(
            app,
            &shop,
            Method::POST,
            "/admin/catalog/products",
            json!({
                "category_id": pizzas, "name": "Pizza", "price_cents": 0, "kind": "pizza",
                "sizes": [
                    {"name": "Média", "slices": 6, "max_flavors": 2},
                    {"name": "Grande", "slices": 8, "max_flavors": 3}
                ]
            }),
        )
        .await,
    )
    .await;
    assert_eq!(pizza["kind"], "pizza");
    let (media, grande) = (id(&pizza["sizes"][0]), id(&pizza["sizes"][1]));
    let pizza = id(&pizza);
    let group = id(&created(
        admin(
            app,
            &shop,
            Method::POST,
            &format!("/admin/catalog/products/{pizza}/addon-groups"),
            json!({"name": "Borda", "min": 0, "max": 1}),
        )
        .await,
    )
    .await);
    let crust = id(&created(
        admin(
            app,
            &shop,
            Method::POST,
            &format!("/admin/catalog/addon-groups/{group}/addons"),
            json!({"name": "Catupiry", "price_cents": 900}),
        )
        .await,
    )
    .await);
    let flavors = id(&created(
        admin(
            app,
            &shop,
            Method::POST,
            "/admin/catalog/categories",
            json!({"name": "Sabores", "flavors_for": pizza}),
        )
        .await,
    )
    .await);
    let flavor = |name: &'static str, media_cents: i64, grande_cents: i64, track_stock: bool| {
        let body = json!({
            "category_id": flavors, "name": name, "price_cents": 0, "track_stock": track_stock,
            "prices": {media.clone(): media_cents, grande.clone(): grande_cents}
        });
        let (app, shop) = (app, &shop);
        async move {
            id(
                &created(admin(app, shop, Method::POST, "/admin/catalog/products", body).await)
                    .await,
            )
        }
    };
    let calabresa = flavor("Calabresa", 4000, 5000, false).await;
    let margherita = flavor("Margherita", 4400, 5601, false).await;
    let queijos = flavor("Quatro Queijos", 4600, 5900, true).await;
    Pizzeria {
        shop,
        pizza,
        media,
        grande,
        crust,
        calabresa,
        margherita,
        queijos,
    }
}

fn half_and_half(p: &Pizzeria, size: &str) -> Value {
    order_body(
        &p.shop,
        json!([{
            "product_id": p.pizza, "size_id": size, "quantity": 1,
            "flavors": [p.calabresa, p.margherita],
            "addons": [{"addon_id": p.crust, "quantity": 1}]
        }]),
    )
}

#[tokio::test]
async fn half_calabresa_half_margherita_with_catupiry_crust_goes_from_menu_to_order() {
    let app = spawn_app().await;
    let p = pizzeria(&app, "pizzaria").await;

    let menu = json(
        app.client
            .get(app.url(&format!("/catalog?store_id={}", p.shop.store)))
            .header("X-Tenant", &p.shop.slug)
            .send()
            .await
            .expect("sent"),
    )
    .await;
    let categories: Vec<&str> = menu["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert!(
        !categories.contains(&"Sabores"),
        "flavours are offered inside the pizza: {categories:?}"
    );
    let pizza = menu["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .flat_map(|c| c["products"].as_array().cloned().unwrap_or_default())
        .find(|item| item["id"] == p.pizza.as_str())
        .expect("the pizza");
    assert_eq!(pizza["kind"], "pizza");
    assert_eq!(pizza["sizes"][1]["name"], "Grande");
    assert_eq!(pizza["sizes"][1]["max_flavors"], 3);
    let flavors: Vec<&str> = pizza["flavors"]
        .as_array()
        .expect("flavors")
        .iter()
        .map(|f| f["name"].as_str().expect("name"))
        .collect();
    assert_eq!(flavors, vec!["Calabresa", "Margherita", "Quatro Queijos"]);
    assert_eq!(pizza["flavors"][1]["prices"][&p.grande], 5601);

    // Proportional (the default): (5000 + 5601) / 2 = 5300.5 → 5301, plus the crust.
    let body = half_and_half(&p, &p.grande);
    let preview = json(post(&app, &p.shop, "/checkout/preview", &body).await).await;
    assert_eq!(
        preview["lines"][0]["unit_price_cents"],
        5301 + 900,
        "{preview}"
    );
    assert_eq!(
        preview["lines"][0]["name"],
        "Pizza Grande (½ Calabresa + ½ Margherita)"
    );
    let order = created(post(&app, &p.shop, "/checkout", &body).await).await;
    let read = json(
        app.send(
            &p.shop.owner,
            Method::GET,
            &format!("/admin/orders/{}", id(&order)),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        read["items"][0]["name"],
        "Pizza Grande (½ Calabresa + ½ Margherita)"
    );
    assert_eq!(read["items"][0]["unit_price_cents"], 6201);
    assert_eq!(read["items"][0]["addons"][0]["name"], "Catupiry");

    // The tenant charging the dearest flavour instead.
    let mut config = json(
        app.send(&p.shop.owner, Method::GET, "/admin/config", None)
            .await,
    )
    .await;
    assert_eq!(config["pizza_pricing"], "proportional");
    config["pizza_pricing"] = json!("highest");
    assert_eq!(
        admin(&app, &p.shop, Method::PUT, "/admin/config", config)
            .await
            .status(),
        200
    );
    let preview = json(post(&app, &p.shop, "/checkout/preview", &body).await).await;
    assert_eq!(preview["lines"][0]["unit_price_cents"], 5601 + 900);
}

#[tokio::test]
async fn a_pizza_needs_one_of_its_sizes_and_its_own_flavours_within_the_sizes_maximum() {
    let app = spawn_app().await;
    let p = pizzeria(&app, "sabores").await;
    let item = |size: Option<&str>, flavors: Vec<&str>| {
        order_body(
            &p.shop,
            json!([{"product_id": p.pizza, "size_id": size, "flavors": flavors, "quantity": 1}]),
        )
    };
    let field = |body: Value| {
        body["errors"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let cases = [
        (item(None, vec![&p.calabresa]), "items[0].size_id"),
        (
            item(
                Some(&p.media),
                vec![&p.calabresa, &p.margherita, &p.queijos],
            ),
            "items[0].flavors",
        ),
        (item(Some(&p.media), vec![]), "items[0].flavors"),
        (
            item(Some(&p.grande), vec![&p.calabresa, &p.shop.dessert]),
            "items[0].flavors[1]",
        ),
        (
            order_body(
                &p.shop,
                json!([{"product_id": p.shop.dessert, "size_id": p.media, "quantity": 1}]),
            ),
            "items[0].size_id",
        ),
        // A flavour alone is not for sale (it has no price of its own).
        (
            order_body(&p.shop, json!([{"product_id": p.calabresa, "quantity": 1}])),
            "items[0].product_id",
        ),
    ];
    for (body, expected) in cases {
        let refused = error_code(post(&app, &p.shop, "/checkout/preview", &body).await, 422).await;
        assert_eq!(field(refused), expected);
    }
    // A whole pizza of one flavour costs its size price; a repeated flavour is the same.
    let whole = json(
        post(
            &app,
            &p.shop,
            "/checkout/preview",
            &item(Some(&p.media), vec![&p.calabresa, &p.calabresa]),
        )
        .await,
    )
    .await;
    assert_eq!(whole["lines"][0]["unit_price_cents"], 4000);
    assert_eq!(whole["lines"][0]["name"], "Pizza Média (Calabresa)");
    // Quatro Queijos tracks stock and has none: a pizza with it is out of stock.
    let refused = error_code(
        post(
            &app,
            &p.shop,
            "/checkout",
            &item(Some(&p.grande), vec![&p.queijos]),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(refused["code"], "out_of_stock");
    assert_eq!(app.scalar_i64("SELECT count(*) FROM orders").await, 0);
}

#[tokio::test]
async fn the_menu_editor_refuses_what_a_pizza_cannot_be() {
    let app = spawn_app().await;
    let p = pizzeria(&app, "editor").await;
    let category = id(&created(
        admin(
            &app,
            &p.shop,
            Method::POST,
            "/admin/catalog/categories",
            json!({"name": "Outras"}),
        )
        .await,
    )
    .await);
    let field = |body: Value| {
        body["errors"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let refusals = [
        (
            "/admin/catalog/products",
            json!({"category_id": category, "name": "P", "price_cents": 0, "kind": "pizza", "sizes": [{"name": "G", "max_flavors": 5}]}),
            "sizes[0].max_flavors",
        ),
        (
            "/admin/catalog/products",
            json!({"category_id": category, "name": "P", "price_cents": 0, "kind": "pizza"}),
            "sizes",
        ),
        (
            "/admin/catalog/products",
            json!({"category_id": category, "name": "P", "price_cents": 0, "sizes": [{"name": "G"}]}),
            "sizes",
        ),
        (
            "/admin/catalog/products",
            json!({"category_id": category, "name": "P", "price_cents": 0, "kind": "calzone"}),
            "kind",
        ),
        (
            "/admin/catalog/categories",
            json!({"name": "Sabores 2", "flavors_for": p.shop.dessert}),
            "flavors_for",
        ),
    ];
    for (path, body, expected) in refusals {
        let refused = error_code(admin(&app, &p.shop, Method::POST, path, body).await, 422).await;
        assert_eq!(field(refused), expected);
    }
    // A flavour needs a price for every size of its pizza, and for nothing else.
    let flavors = json(
        app.send(
            &p.shop.owner,
            Method::GET,
            "/admin/catalog/categories",
            None,
        )
        .await,
    )
    .await;
    let sabores = flavors["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["name"] == "Sabores")
        .map(id)
        .expect("Sabores");
    let missing = admin(&app, &p.shop, Method::POST, "/admin/catalog/products", json!({"category_id": sabores, "name": "Atum", "price_cents": 0, "prices": {p.media.clone(): 4000}})).await;
    assert_eq!(
        field(error_code(missing, 422).await),
        format!("prices.{}", p.grande)
    );
    let elsewhere = admin(&app, &p.shop, Method::POST, "/admin/catalog/products", json!({"category_id": category, "name": "Atum", "price_cents": 0, "prices": {p.media.clone(): 4000}})).await;
    assert_eq!(field(error_code(elsewhere, 422).await), "prices");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM products WHERE name IN ('P', 'Atum')")
            .await,
        0
    );
}
