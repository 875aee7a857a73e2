//! The demo seed: a tenant with a menu and delivery bands, seeded twice without change.

use crate::support::{json, spawn_app};

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
    // A lunch-only category, to show menus by time: Monday to Saturday, 11:00 to 15:00.
    let lunch = categories
        .iter()
        .find(|category| category["name"] == "Executivo (almoço)")
        .expect("a lunch-only category");
    assert_eq!(lunch["schedule"]["monday"][0]["open"], "11:00");
    assert_eq!(lunch["schedule"]["sunday"], serde_json::json!([]));
    // A pizza by size and flavours: three sizes, eight flavours priced for each.
    let pizza = categories
        .iter()
        .flat_map(|category| category["products"].as_array().cloned().unwrap_or_default())
        .find(|product| product["kind"] == "pizza")
        .expect("a pizza by flavours");
    assert_eq!(pizza["sizes"].as_array().map(Vec::len), Some(3));
    let flavors = pizza["flavors"].as_array().expect("flavors");
    assert_eq!(flavors.len(), 8);
    assert!(
        flavors
            .iter()
            .all(|flavor| flavor["prices"].as_object().map(|p| p.len()) == Some(3))
    );
    // A combo of the demo's products.
    let combo = categories
        .iter()
        .flat_map(|category| category["products"].as_array().cloned().unwrap_or_default())
        .find(|product| product["kind"] == "combo")
        .expect("a combo");
    assert_eq!(combo["slots"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        combo["slots"][1]["options"][0]["name"],
        "Suco natural 500 ml"
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
    // A drawn delivery area south-east of the store (Paraíso), and 30-minute pre-order slots.
    let in_area = app
        .client
        .post(app.url("/shipping/quote"))
        .header("X-Tenant", "demo")
        .json(&serde_json::json!({
            "store_id": store_id, "lat": -23.5760, "lng": -46.6400,
            "address": {"cep": "04003-000", "street": "Rua Tutóia", "number": "100", "district": "Paraíso", "city": "São Paulo", "state": "SP"}
        }))
        .send()
        .await
        .expect("sent");
    let in_area = json(in_area).await;
    assert_eq!(in_area["source"], "area", "{in_area}");
    assert_eq!(in_area["fee_cents"], 900);
    let in_a_week = (chrono::Utc::now() + chrono::Duration::days(7))
        .with_timezone(&chrono_tz::America::Sao_Paulo)
        .date_naive();
    let slots = json(
        app.get_as(
            "demo",
            &format!("/stores/{store_id}/slots?date={in_a_week}"),
        )
        .await,
    )
    .await;
    let slots = slots["items"].as_array().expect("slots");
    assert!(!slots.is_empty());
    assert!(slots.iter().all(|slot| slot["remaining"] == 10));
}
