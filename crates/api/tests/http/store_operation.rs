//! Running a store through a rush and the holidays (SPEC §19): pause and resume, closure days,
//! extra preparation minutes on every estimate, and auto-accepting new orders.

use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::builders::shop::{Shop, error_code, order_body, post, shop};
use crate::support::{TestApp, json, spawn_app};

async fn store_view(app: &TestApp, shop: &Shop) -> Value {
    let stores = json(app.get_as(&shop.slug, "/stores").await).await;
    stores["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|store| store["id"] == shop.store)
        .cloned()
        .expect("the store")
}

fn instant(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|at| at.parse().ok())
        .expect("an instant")
}

fn pizza(shop: &Shop) -> Value {
    order_body(shop, json!([{"product_id": shop.pizza, "quantity": 1}]))
}

fn pre_order(shop: &Shop, at: DateTime<Utc>) -> Value {
    let mut body = pizza(shop);
    body["scheduled_for"] = json!(at.to_rfc3339());
    body
}

#[tokio::test]
async fn a_paused_store_takes_no_new_orders_until_it_resumes_but_takes_preorders_for_later() {
    let app = spawn_app().await;
    let shop = shop(&app, "correria", 5).await;
    let pause_path = format!("/admin/stores/{}/pause", shop.store);
    let pause = |body: Value| app.send(&shop.owner, Method::POST, &pause_path, Some(body));
    for minutes in [0, 721] {
        assert_eq!(pause(json!({"minutes": minutes})).await.status(), 422);
    }
    let paused = pause(json!({"minutes": 30, "reason": "cozinha lotada"})).await;
    assert_eq!(paused.status(), 200);
    let paused = json(paused).await;
    assert_eq!(paused["pause_reason"], "cozinha lotada");
    let until = instant(&paused["paused_until"]);
    assert!(
        (until - (Utc::now() + Duration::minutes(30)))
            .num_seconds()
            .abs()
            < 60
    );

    let view = store_view(&app, &shop).await;
    assert_eq!(view["is_open"], false);
    assert_eq!(instant(&view["paused_until"]), until);
    // Open around the clock: it opens again when the pause ends.
    assert_eq!(instant(&view["next_opening_at"]), until);
    let refused = error_code(post(&app, &shop, "/checkout", &pizza(&shop)).await, 422).await;
    assert_eq!(refused["code"], "store_closed");
    let during = pre_order(&shop, Utc::now() + Duration::minutes(10));
    let refused = error_code(post(&app, &shop, "/checkout", &during).await, 422).await;
    assert_eq!(refused["code"], "store_closed");
    let later = pre_order(&shop, until + Duration::minutes(30));
    assert_eq!(post(&app, &shop, "/checkout", &later).await.status(), 201);

    let resumed = app
        .send(
            &shop.owner,
            Method::DELETE,
            &format!("/admin/stores/{}/pause", shop.store),
            None,
        )
        .await;
    assert_eq!(resumed.status(), 200);
    let view = store_view(&app, &shop).await;
    assert_eq!(view["is_open"], true);
    assert_eq!(view["paused_until"], Value::Null);
    assert_eq!(
        post(&app, &shop, "/checkout", &pizza(&shop)).await.status(),
        201
    );
}

#[tokio::test]
async fn closure_days_close_the_store_and_its_preorders() {
    let app = spawn_app().await;
    let shop = shop(&app, "feriado", 5).await;
    let zone = chrono_tz::America::Sao_Paulo;
    let today = Utc::now().with_timezone(&zone).date_naive();
    let tomorrow = today + Duration::days(1);
    let after = today + Duration::days(2);
    let closures_path = format!("/admin/stores/{}/closures", shop.store);
    let closures = |body: Value| app.send(&shop.owner, Method::PUT, &closures_path, Some(body));
    let twice = closures(json!({"closures": [{"date": today}, {"date": today}]})).await;
    assert_eq!(
        error_code(twice, 422).await["errors"][0]["field"],
        "closures[1].date"
    );
    let saved = closures(json!({"closures": [
        {"date": tomorrow, "reason": "Feriado municipal"}, {"date": today, "reason": "Inventário"}
    ]}))
    .await;
    assert_eq!(saved.status(), 200);
    let listed = json(
        app.send(
            &shop.owner,
            Method::GET,
            &format!("/admin/stores/{}/closures", shop.store),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        listed,
        json!({"closures": [
            {"date": today, "reason": "Inventário"}, {"date": tomorrow, "reason": "Feriado municipal"}
        ]})
    );

    let view = store_view(&app, &shop).await;
    assert_eq!(view["is_open"], false);
    let reopens = instant(&view["next_opening_at"]).with_timezone(&zone);
    assert_eq!(reopens.date_naive(), after);
    assert_eq!(reopens.format("%H:%M").to_string(), "00:00");
    let refused = error_code(post(&app, &shop, "/checkout", &pizza(&shop)).await, 422).await;
    assert_eq!(refused["code"], "store_closed");
    let noon = |date: chrono::NaiveDate| {
        date.and_hms_opt(12, 0, 0)
            .and_then(|noon| noon.and_local_timezone(zone).single())
            .expect("noon")
            .to_utc()
    };
    let on_holiday = pre_order(&shop, noon(tomorrow));
    assert_eq!(
        post(&app, &shop, "/checkout", &on_holiday).await.status(),
        422
    );
    let day_after = pre_order(&shop, noon(after));
    assert_eq!(
        post(&app, &shop, "/checkout", &day_after).await.status(),
        201
    );

    let other = shop_of_another(&app).await;
    let foreign = app
        .send(
            &other.owner,
            Method::GET,
            &format!("/admin/stores/{}/closures", shop.store),
            None,
        )
        .await;
    assert_eq!(foreign.status(), 404);
    let foreign = app
        .send(
            &other.owner,
            Method::POST,
            &format!("/admin/stores/{}/pause", shop.store),
            Some(json!({"minutes": 10})),
        )
        .await;
    assert_eq!(foreign.status(), 404);
}

async fn shop_of_another(app: &TestApp) -> Shop {
    shop(app, "vizinho", 1).await
}

#[tokio::test]
async fn extra_preparation_minutes_add_to_quotes_and_orders() {
    let app = spawn_app().await;
    let shop = shop(&app, "demorado", 5).await;
    let store_path = format!("/admin/stores/{}", shop.store);
    let patch = |minutes: i64| {
        app.send(
            &shop.owner,
            Method::PATCH,
            &store_path,
            Some(json!({"extra_preparation_minutes": minutes})),
        )
    };
    assert_eq!(patch(241).await.status(), 422);
    let patched = json(patch(20).await).await;
    assert_eq!(patched["extra_preparation_minutes"], 20);
    let body = pizza(&shop);
    let quote = json(
        app.client
            .post(app.url("/shipping/quote"))
            .header("X-Tenant", &shop.slug)
            .json(&json!({"store_id": shop.store, "address": body["address"], "lat": body["lat"], "lng": body["lng"]}))
            .send()
            .await
            .expect("sent"),
    )
    .await;
    // The 3 km band says 30 minutes.
    assert_eq!(quote["eta_minutes"], 50, "{quote}");
    let order = json(post(&app, &shop, "/checkout", &body).await).await;
    assert_eq!(order["delivery"]["eta_minutes"], 50);
}

#[tokio::test]
async fn auto_accept_confirms_new_orders_as_the_system_and_pix_orders_once_paid() {
    let app = spawn_app().await;
    let shop = shop(&app, "automatico", 5).await;
    let config = app
        .send(
            &shop.owner,
            Method::PUT,
            "/admin/config",
            Some(
                json!({"accepting_orders": true, "min_order_cents": 0, "preparation_minutes": 30,
                        "preorders_enabled": true, "auto_accept": true}),
            ),
        )
        .await;
    assert_eq!(json(config).await["auto_accept"], true);
    let order = json(post(&app, &shop, "/checkout", &pizza(&shop)).await).await;
    assert_eq!(order["status"], "confirmed");
    let history = order["history"].as_array().expect("history");
    let accepted = history.last().expect("a change");
    assert_eq!(
        (&accepted["from"], &accepted["to"]),
        (&json!("pending"), &json!("confirmed"))
    );
    assert_eq!(
        accepted["actor_user_id"],
        Value::Null,
        "the system, not a user"
    );

    let pix = app
        .send(
            &shop.owner,
            Method::PUT,
            "/admin/payments/pix",
            Some(json!({"key": "pizzaria@exemplo.com.br", "merchant_name": "Pizzaria", "merchant_city": "SP", "provider": "static"})),
        )
        .await;
    assert_eq!(pix.status(), 200);
    let waiting = json(post(&app, &shop, "/checkout", &pizza(&shop)).await).await;
    assert_eq!(waiting["status"], "pending");
    assert_eq!(waiting["payment"]["status"], "awaiting_payment");
    let paid = app
        .send(
            &shop.owner,
            Method::POST,
            &format!(
                "/admin/orders/{}/payment",
                waiting["id"].as_str().expect("id")
            ),
            Some(json!({"status": "paid"})),
        )
        .await;
    let paid = json(paid).await;
    assert_eq!(paid["payment"]["status"], "paid");
    assert_eq!(paid["status"], "confirmed");
}
