//! What a checkout may and may not do to stored data (docs/operations.md#fairness-and-saturation "Checkout data"), and how it
//! answers when the database fights back.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::builders::shop::{Shop, created, id, order_body, post, shop};
use crate::support::{TestApp, json as body_json, spawn_app_with};

async fn order_as(app: &TestApp, shop: &Shop, name: &str) -> serde_json::Value {
    let mut body = order_body(shop, json!([{"product_id": shop.pizza, "quantity": 1}]));
    body["customer"]["name"] = json!(name);
    created(post(app, shop, "/checkout", &body).await).await
}

#[tokio::test]
async fn a_checkout_never_renames_the_customer_its_phone_belongs_to() {
    let app = spawn_app_with(&[]).await;
    let shop = shop(&app, "nomes", 5).await;
    let first = order_as(&app, &shop, "Ana Cliente").await;
    let second = order_as(&app, &shop, "Quem Sabe O Telefone").await;
    assert_eq!(first["customer"]["id"], second["customer"]["id"]);
    assert_eq!(
        app.scalar_text("SELECT name FROM customers").await,
        "Ana Cliente",
        "the customer keeps their name"
    );
    assert_eq!(
        second["customer"]["name"], "Quem Sabe O Telefone",
        "the order keeps its own"
    );
    let detail = body_json(
        app.send(
            &shop.owner,
            Method::GET,
            &format!("/admin/orders/{}", id(&first)),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(detail["customer"]["name"], "Ana Cliente");
}

#[tokio::test]
async fn a_checkout_that_fails_inside_its_transaction_leaves_its_key_free() {
    let app = spawn_app_with(&[]).await;
    let shop = shop(&app, "chave", 0).await;
    let body = order_body(&shop, json!([{"product_id": shop.dessert, "quantity": 1}]));
    let send = || {
        app.client
            .post(app.url("/checkout"))
            .header("X-Tenant", &shop.slug)
            .header("Idempotency-Key", "pedido-sem-estoque")
            .json(&body)
            .send()
    };
    // Out of stock is found under the stock lock, after the key was taken in the transaction.
    let refused = send().await.expect("sent");
    assert_eq!(refused.status(), 409);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM idempotency_keys")
            .await,
        0
    );
    app.sql("UPDATE stock_levels SET quantity = 3").await;
    let placed = send().await.expect("sent");
    assert_eq!(
        placed.status(),
        201,
        "the retry with the same key is a new attempt"
    );
    assert!(placed.headers().get("idempotent-replayed").is_none());
}

#[tokio::test]
async fn a_deadlock_is_retried_once_then_answered_busy() {
    let app = spawn_app_with(&[]).await;
    let shop = shop(&app, "impasse", 5).await;
    // The database reports a deadlock on inserting an order while the sequence (which a
    // rollback does not reset) is under the planned count.
    app.sql(
        "CREATE SEQUENCE deadlocks; \
         CREATE TABLE deadlock_plan (deadlocks bigint NOT NULL); \
         INSERT INTO deadlock_plan VALUES (1); \
         CREATE FUNCTION fake_deadlock() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF nextval('deadlocks') <= (SELECT deadlocks FROM deadlock_plan) THEN \
             RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END IF; RETURN NEW; END $$; \
         CREATE TRIGGER fake_deadlock BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION fake_deadlock()",
    )
    .await;
    let retried = order_as(&app, &shop, "Ana Cliente").await;
    assert_eq!(retried["number"], 1, "the retry placed it");
    assert_eq!(app.scalar_i64("SELECT last_value FROM deadlocks").await, 2);

    app.sql("UPDATE deadlock_plan SET deadlocks = 1000").await;
    let mut body = order_body(&shop, json!([{"product_id": shop.pizza, "quantity": 1}]));
    body["customer"]["name"] = json!("Bia");
    let busy = post(&app, &shop, "/checkout", &body).await;
    assert_eq!(busy.status(), 503);
    assert_eq!(
        busy.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let text = busy.text().await.expect("body");
    assert!(text.contains("\"code\":\"busy\""), "{text}");
    assert!(!text.contains("deadlock"), "{text}");
    assert_eq!(
        app.scalar_i64("SELECT last_value FROM deadlocks").await,
        4,
        "tried twice, no more"
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM orders").await, 1);
}

#[tokio::test]
async fn a_checkout_cut_by_a_lost_connection_is_503_and_its_retry_with_the_key_places_it() {
    let app = spawn_app_with(&[]).await;
    let shop = shop(&app, "queda", 5).await;
    // The order insert stalls, and the test cuts the connection under it: a failover.
    app.sql(
        "CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN PERFORM pg_sleep(30); RETURN NEW; END $$; \
         CREATE TRIGGER stall BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION stall()",
    )
    .await;
    let body = order_body(&shop, json!([{"product_id": shop.pizza, "quantity": 1}]));
    let send = || {
        app.client
            .post(app.url("/checkout"))
            .header("X-Tenant", &shop.slug)
            .header("Idempotency-Key", "pedido-na-queda")
            .json(&body)
            .send()
    };
    let cut = async {
        let started = Instant::now();
        loop {
            let stalled = app
                .scalar_i64(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                     AND wait_event = 'PgSleep'",
                )
                .await;
            if stalled == 1 {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "never stalled");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        app.sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event = 'PgSleep'",
        )
        .await;
    };
    let (response, ()) = tokio::join!(send(), cut);
    let response = response.expect("sent");
    assert_eq!(response.status(), 503);
    assert!(response.headers().get("retry-after").is_some());
    assert_eq!(body_json(response).await["code"], "service_unavailable");

    // The database is back: the retry with the same key places the order (no key held).
    app.sql("DROP TRIGGER stall ON orders").await;
    let retried = send().await.expect("sent");
    assert_eq!(retried.status(), 201);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM orders").await, 1);
}

#[tokio::test]
async fn an_automatic_discount_that_runs_out_meanwhile_is_a_new_price_not_a_bad_coupon() {
    let app = spawn_app_with(&[("DATABASE_POOL_SIZE", "10")]).await;
    let shop = shop(&app, "acabou", 5).await;
    created(
        app.send(
            &shop.owner,
            Method::POST,
            "/admin/campaigns",
            Some(json!({"name": "Dez reais", "kind": "fixed", "value": 1000, "usage_limit": 3})),
        )
        .await,
    )
    .await;
    // Hold the campaign's row: the checkouts price with the discount, then wait to consume it.
    let holder = app.database.as_ref().expect("database").client().await;
    holder
        .batch_execute("BEGIN; SELECT id FROM campaigns FOR UPDATE")
        .await
        .expect("lock");
    const BUYERS: usize = 3;
    let requests = (0..BUYERS).map(|n| {
        let mut body = order_body(&shop, json!([{"product_id": shop.pizza, "quantity": 1}]));
        body["customer"] = json!({"name": "C", "phone": format!("11 9876{n}-1111")});
        let (app, shop) = (&app, &shop);
        async move { post(app, shop, "/checkout", &body).await }
    });
    let wait_then_run_out = async {
        let started = Instant::now();
        loop {
            let waiting = app
                .scalar_i64(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                     AND wait_event_type = 'Lock'",
                )
                .await;
            if waiting >= BUYERS as i64 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the checkouts never reached the campaign's lock ({waiting} waiting)"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Meanwhile the campaign ran out.
        holder
            .batch_execute("UPDATE campaigns SET uses = usage_limit; COMMIT")
            .await
            .expect("commit");
    };
    let (responses, ()) = tokio::join!(futures_util::future::join_all(requests), wait_then_run_out);
    for response in responses {
        assert_eq!(response.status(), 409);
        let body = body_json(response).await;
        assert_eq!(body["code"], "price_changed", "{body}");
        assert_eq!(body["discount_cents"], 0, "{body}");
        assert_eq!(body["total_cents"], 5000 + 500, "{body}");
    }
    assert_eq!(app.scalar_i64("SELECT count(*) FROM orders").await, 0);
}
