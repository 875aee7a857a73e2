//! Menus by time: a category or product with a `schedule` (weekday → ranges, the store's time
//! zone) is sold only inside it: `available: false` in the catalog outside it, and a checkout
//! naming it then — now, or a pre-order's time — is 422 `item_unavailable`.

use chrono::{Days, NaiveTime, TimeZone, Utc};
use chrono_tz::America::Sao_Paulo;
use reqwest::Method;
use serde_json::{Value, json};

use crate::builders::shop::{Shop, created, error_code, id, order_body, post, shop};
use crate::support::{TestApp, json, spawn_app};

const DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The same ranges every day.
fn every_day(ranges: Value) -> Value {
    Value::Object(
        DAYS.iter()
            .map(|day| ((*day).to_owned(), ranges.clone()))
            .collect(),
    )
}

/// Tomorrow at `time` in São Paulo (the shop's store), as RFC 3339.
fn tomorrow_at(time: &str) -> String {
    let today = Utc::now().with_timezone(&Sao_Paulo).date_naive();
    let local =
        (today + Days::new(1)).and_time(NaiveTime::parse_from_str(time, "%H:%M").expect("time"));
    Sao_Paulo
        .from_local_datetime(&local)
        .single()
        .expect("São Paulo has no DST")
        .to_rfc3339()
}

/// The product's entry in the store's menu, and its category's.
async fn menu_entry(app: &TestApp, shop: &Shop, product: &str) -> (Value, Value) {
    let menu = json(
        app.client
            .get(app.url(&format!("/catalog?store_id={}", shop.store)))
            .header("X-Tenant", &shop.slug)
            .send()
            .await
            .expect("sent"),
    )
    .await;
    menu["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .find_map(|category| {
            let item = category["products"]
                .as_array()?
                .iter()
                .find(|item| item["id"] == product)?;
            Some((category.clone(), item.clone()))
        })
        .expect("on the menu")
}

async fn lunch_menu(app: &TestApp, shop: &Shop) -> String {
    let category = created(
        app.send(
            &shop.owner,
            Method::POST,
            "/admin/catalog/categories",
            Some(json!({"name": "Executivo", "schedule": every_day(json!([{"open": "11:00", "close": "15:00"}]))})),
        )
        .await,
    )
    .await;
    assert_eq!(category["schedule"]["monday"][0]["open"], "11:00");
    id(&created(
        app.send(
            &shop.owner,
            Method::POST,
            "/admin/catalog/products",
            Some(
                json!({"category_id": id(&category), "name": "Prato do dia", "price_cents": 2990}),
            ),
        )
        .await,
    )
    .await)
}

#[tokio::test]
async fn a_lunch_menu_is_sold_for_lunch_only_pre_orders_included() {
    let app = spawn_app().await;
    let shop = shop(&app, "executivo", 5).await;
    let prato = lunch_menu(&app, &shop).await;
    let (category, item) = menu_entry(&app, &shop, &prato).await;
    assert_eq!(category["schedule"]["sunday"][0]["close"], "15:00");
    let now = Utc::now().with_timezone(&Sao_Paulo).time();
    let lunch_time = ("11:00".parse::<NaiveTime>().expect("time")
        ..("15:00".parse::<NaiveTime>().expect("time")))
        .contains(&now);
    assert_eq!(item["available"], lunch_time, "available now only at lunch");

    let mut body = order_body(&shop, json!([{"product_id": prato, "quantity": 1}]));
    body["scheduled_for"] = json!(tomorrow_at("12:00"));
    assert_eq!(
        post(&app, &shop, "/checkout/preview", &body).await.status(),
        200
    );
    assert_eq!(post(&app, &shop, "/checkout", &body).await.status(), 201);
    body["scheduled_for"] = json!(tomorrow_at("16:00"));
    let refused = error_code(post(&app, &shop, "/checkout/preview", &body).await, 422).await;
    assert_eq!(refused["code"], "item_unavailable");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|m| m.contains("Prato do dia")),
        "{refused}"
    );
    let refused = error_code(post(&app, &shop, "/checkout", &body).await, 422).await;
    assert_eq!(refused["code"], "item_unavailable");
    assert_eq!(app.scalar_i64("SELECT count(*) FROM orders").await, 1);
}

#[tokio::test]
async fn a_product_schedule_takes_it_off_the_menu_at_once_and_null_puts_it_back() {
    let app = spawn_app().await;
    let shop = shop(&app, "horarios", 5).await;
    let body = order_body(&shop, json!([{"product_id": shop.pizza, "quantity": 1}]));
    assert_eq!(
        menu_entry(&app, &shop, &shop.pizza).await.1["available"],
        true
    );

    // A week without ranges: never sold.
    let never = every_day(json!([]));
    let patched = app
        .send(
            &shop.owner,
            Method::PATCH,
            &format!("/admin/catalog/products/{}", shop.pizza),
            Some(json!({"schedule": never})),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let (_, item) = menu_entry(&app, &shop, &shop.pizza).await;
    assert_eq!(
        (item["available"].clone(), item["out_of_stock"].clone()),
        (json!(false), json!(false))
    );
    assert!(item["schedule"].is_object());
    let refused = error_code(post(&app, &shop, "/checkout", &body).await, 422).await;
    assert_eq!(refused["code"], "item_unavailable");

    let cleared = app
        .send(
            &shop.owner,
            Method::PATCH,
            &format!("/admin/catalog/products/{}", shop.pizza),
            Some(json!({"schedule": null})),
        )
        .await;
    assert_eq!(cleared.status(), 200);
    assert!(json(cleared).await.get("schedule").is_none());
    assert_eq!(
        menu_entry(&app, &shop, &shop.pizza).await.1["available"],
        true
    );
    assert_eq!(post(&app, &shop, "/checkout", &body).await.status(), 201);
}

#[tokio::test]
async fn schedules_with_overlapping_ranges_or_bad_times_are_refused() {
    let app = spawn_app().await;
    let shop = shop(&app, "grade", 5).await;
    for schedule in [
        every_day(
            json!([{"open": "11:00", "close": "15:00"}, {"open": "14:00", "close": "16:00"}]),
        ),
        every_day(json!([{"open": "11:00", "close": "25:00"}])),
        json!({"funday": [{"open": "11:00", "close": "15:00"}]}),
    ] {
        let refused = app
            .send(
                &shop.owner,
                Method::POST,
                "/admin/catalog/categories",
                Some(json!({"name": "Almoço", "schedule": schedule})),
            )
            .await;
        let body = error_code(refused, 422).await;
        assert!(body.to_string().contains("schedule"), "{body}");
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM categories WHERE name = 'Almoço'")
            .await,
        0
    );
}
