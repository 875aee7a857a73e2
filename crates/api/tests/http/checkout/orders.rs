//! An order's life after checkout: the path through its statuses, cancelling (stock back,
//! once), and what a pickup order carries.

use reqwest::Method;

use crate::builders::shop::{created, error_code, id, order_body, post, shop, stock_of};
use crate::support::{json, spawn_app};

#[tokio::test]
async fn orders_move_along_their_path_and_cancelling_returns_stock() {
    let app = spawn_app().await;
    let shop = shop(&app, "fluxo", 6).await;
    let order = created(
        post(
            &app,
            &shop,
            "/checkout",
            &order_body(
                &shop,
                serde_json::json!([{"product_id": shop.dessert, "quantity": 2}]),
            ),
        )
        .await,
    )
    .await;
    let order_id = id(&order);
    assert_eq!(stock_of(&app, &shop).await, 4);
    let status = |to: &str| {
        let (app, shop, order_id) = (&app, &shop, order_id.clone());
        let body = serde_json::json!({"status": to});
        async move {
            app.send(
                &shop.owner,
                Method::POST,
                &format!("/admin/orders/{order_id}/status"),
                Some(body),
            )
            .await
        }
    };
    let skipped = status("ready").await;
    assert_eq!(error_code(skipped, 409).await["code"], "invalid_transition");
    assert_eq!(status("confirmed").await.status(), 200);
    assert_eq!(status("preparing").await.status(), 200);
    assert_eq!(
        error_code(status("picked_up").await, 409).await["code"],
        "invalid_transition",
        "a delivery is not picked up"
    );
    let no_reason = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/orders/{order_id}/status"),
            Some(serde_json::json!({"status": "canceled"})),
        )
        .await;
    assert_eq!(no_reason.status(), 422);

    let canceled = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/orders/{order_id}/cancel"),
            Some(serde_json::json!({"reason": "cliente desistiu"})),
        )
        .await;
    assert_eq!(canceled.status(), 200);
    let canceled = json(canceled).await;
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(canceled["cancel_reason"], "cliente desistiu");
    assert_eq!(stock_of(&app, &shop).await, 6, "the stock came back");
    let history: Vec<&str> = canceled["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["to"].as_str().expect("to"))
        .collect();
    assert_eq!(
        history,
        vec!["pending", "confirmed", "preparing", "canceled"]
    );
    let owner_id =
        json(app.send(&shop.owner, Method::GET, "/auth/me", None).await).await["id"].clone();
    assert_eq!(canceled["history"][1]["actor_user_id"], owner_id);
    let again = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/orders/{order_id}/cancel"),
            Some(serde_json::json!({"reason": "de novo"})),
        )
        .await;
    assert_eq!(error_code(again, 409).await["code"], "invalid_transition");
    assert_eq!(
        stock_of(&app, &shop).await,
        6,
        "cancelling twice returns nothing twice"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE kind = 'whatsapp.order_status'")
            .await,
        3
    );
    let movements = json(
        app.send(
            &shop.owner,
            Method::GET,
            &format!("/admin/inventory/movements?product_id={}", shop.dessert),
            None,
        )
        .await,
    )
    .await;
    let reasons: Vec<&str> = movements["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["reason"].as_str().expect("reason"))
        .collect();
    assert_eq!(reasons, vec!["cancel", "sale", "adjustment"]);

    let detail = json(
        app.send(
            &shop.owner,
            Method::GET,
            &format!("/admin/orders/{order_id}"),
            None,
        )
        .await,
    )
    .await;
    assert!(detail["tracking_token"].is_string());
}

#[tokio::test]
async fn a_pickup_order_pays_no_shipping_and_has_no_delivery() {
    let app = spawn_app().await;
    let shop = shop(&app, "retirada", 6).await;
    let mut body = order_body(
        &shop,
        serde_json::json!([{"product_id": shop.pizza, "quantity": 1}]),
    );
    body["fulfillment"] = serde_json::json!("pickup");
    let pickup = created(post(&app, &shop, "/checkout", &body).await).await;
    assert_eq!(pickup["shipping_fee_cents"], 0);
    assert_eq!(pickup["delivery"], serde_json::Value::Null);
}
