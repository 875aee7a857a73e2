//! The checkout as one prepared statement priced from the per-store snapshot: its answer is
//! the order as stored, campaign limits hold under concurrent checkouts (in total, and per
//! customer through `check_customer_limits`), stock locks never deadlock, the snapshot
//! follows every change an owner makes, and an idempotent retry with a coupon spends it once.
//!
//! Races are made certain, not likely: a test connection holds a row lock the checkouts need
//! after pricing, waits (by polling `pg_stat_activity`) until they are all queued behind it,
//! then lets them go together.

use std::collections::BTreeSet;

use chrono::{DateTime, DurationRound, SecondsFormat, TimeDelta, Utc};
use reqwest::Method;
use serde_json::Value;

use crate::builders::shop::{Shop, created, error_code, id, order_body, post, shop, stock_of};
use crate::support::{TestApp, header, json, spawn_app, spawn_app_on, spawn_app_with};

/// Settings for tests that send many checkouts at once.
const CONCURRENT: &[(&str, &str)] = &[
    ("RATE_LIMIT_ENABLED", "false"),
    ("DATABASE_POOL_SIZE", "10"),
    ("DATABASE_POOL_TIMEOUT_SECONDS", "30"),
];

/// The connections of `CONCURRENT` apps: the most checkouts that can queue on a lock at once.
const POOL: usize = 10;

/// Most polls of `pg_stat_activity` before a gate gives up (a liveness guard, not a timer).
const MAX_POLLS: usize = 200_000;

/// Polls until at least `waiting` connections to the test database wait on a lock.
async fn until_waiting_on_locks(app: &TestApp, waiting: usize) {
    until_waiting_in(app, waiting, "%").await;
}

/// Polls until at least `waiting` connections to the test database wait on a lock while
/// running a statement that is `LIKE` `statement`.
async fn until_waiting_in(app: &TestApp, waiting: usize, statement: &str) {
    let watcher = app.database.as_ref().expect("database").client().await;
    let mut seen = 0;
    for _ in 0..MAX_POLLS {
        seen = watcher
            .query_one(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock' \
                   AND query LIKE $1",
                &[&statement],
            )
            .await
            .expect("poll")
            .get::<_, i64>(0);
        if seen >= i64::try_from(waiting).expect("small") {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("only {seen} of {waiting} checkouts queued on the lock ({statement})");
}

/// Keys of the checkout answer (as paths, `items[0].name` style) deliberately not compared with
/// the read-back. None: the checkout answer and `GET /admin/orders/{id}` are both an
/// `OrderView`, and even `tracking_token` (the HMAC of the order id) is answered by both.
const NOT_COMPARED: &[(&str, &str)] = &[];

/// Keys of the checkout answer that the read-back does not carry at all. None today; a key
/// that goes missing from the admin view fails the comparison instead of being skipped quietly.
const ABSENT_FROM_READ_BACK: &[&str] = &[];

/// A body from `order_body` for another customer.
fn order_for(shop: &Shop, items: Value, name: &str, phone: &str) -> Value {
    let mut body = order_body(shop, items);
    body["customer"] = serde_json::json!({"name": name, "phone": phone});
    body
}

/// A distinct mobile number per `n`.
fn phone(n: usize) -> String {
    format!("11 9{:08}", 20_000_000 + n)
}

async fn campaign(app: &TestApp, shop: &Shop, body: Value) -> String {
    id(&created(
        app.send(&shop.owner, Method::POST, "/admin/campaigns", Some(body))
            .await,
    )
    .await)
}

/// A second product that tracks stock, in a category of its own, with `stock` units in the
/// shop's store.
async fn stocked_product(app: &TestApp, shop: &Shop, price_cents: i64, stock: i32) -> String {
    let category = id(&created(
        app.send(
            &shop.owner,
            Method::POST,
            "/admin/catalog/categories",
            Some(serde_json::json!({"name": "Doces"})),
        )
        .await,
    )
    .await);
    let product = id(&created(
        app.send(
            &shop.owner,
            Method::POST,
            "/admin/catalog/products",
            Some(serde_json::json!({"category_id": category, "name": "Brigadeiro", "price_cents": price_cents, "track_stock": true})),
        )
        .await,
    )
    .await);
    let stocked = app
        .send(
            &shop.owner,
            Method::POST,
            "/admin/inventory/adjustments",
            Some(serde_json::json!({"store_id": shop.store, "product_id": product, "quantity": stock, "reason": "contagem inicial"})),
        )
        .await;
    assert_eq!(stocked.status(), 200);
    product
}

async fn stock_of_product(app: &TestApp, product: &str) -> i64 {
    app.scalar_i64(&format!(
        "SELECT quantity::bigint FROM stock_levels WHERE product_id = '{product}'"
    ))
    .await
}

/// A checkout with an `Idempotency-Key`.
async fn post_with_key(app: &TestApp, shop: &Shop, key: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/checkout"))
        .header("X-Tenant", &shop.slug)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("sent")
}

/// Sends every body to `/checkout` at once while a test transaction holds the rows `lock`
/// selects `FOR UPDATE`: the checkouts price, queue on those rows (as many as the pool holds),
/// and are let go together. Answers `(status, body)` in the bodies' order.
async fn checkouts_at_once(
    app: &TestApp,
    shop: &Shop,
    lock: &str,
    bodies: &[Value],
) -> Vec<(u16, Value)> {
    let holder = app.database.as_ref().expect("database").client().await;
    holder
        .batch_execute(&format!("BEGIN; {lock} FOR UPDATE"))
        .await
        .expect("lock");
    let requests = bodies.iter().map(|body| async move {
        let response = post(app, shop, "/checkout", body).await;
        let status = response.status().as_u16();
        (status, json(response).await)
    });
    let release = async {
        until_waiting_on_locks(app, bodies.len().min(POOL)).await;
        holder.batch_execute("ROLLBACK").await.expect("release");
    };
    let (answers, ()) = tokio::join!(futures_util::future::join_all(requests), release);
    answers
}

/// Locks every campaign: the checkouts using one wait after pricing.
const CAMPAIGNS: &str = "SELECT id FROM campaigns";
/// Locks every stock level: the checkouts of stocked products wait after pricing.
const STOCK_LEVELS: &str = "SELECT product_id FROM stock_levels";

async fn preview(app: &TestApp, shop: &Shop, body: &Value) -> Value {
    let response = post(app, shop, "/checkout/preview", body).await;
    let status = response.status();
    let answer = json(response).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

/// The order as `GET /admin/orders/{id}` answers it to the owner.
async fn read_back(app: &TestApp, shop: &Shop, order: &Value) -> Value {
    let response = app
        .send(
            &shop.owner,
            Method::GET,
            &format!("/admin/orders/{}", id(order)),
            None,
        )
        .await;
    assert_eq!(response.status(), 200);
    json(response).await
}

/// Walks `answer` and compares every leaf with the same path in `read`, where `read` has it.
/// Collects the leaf paths compared, the paths of `answer` that `read` lacks, and mismatches.
fn walk(
    path: &str,
    answer: &Value,
    read: &Value,
    compared: &mut Vec<String>,
    absent: &mut Vec<String>,
    mismatches: &mut Vec<String>,
) {
    match (answer, read) {
        (Value::Object(fields), Value::Object(read_fields)) => {
            for (key, value) in fields {
                let inner = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                if NOT_COMPARED.iter().any(|(skipped, _)| *skipped == inner) {
                    continue;
                }
                match read_fields.get(key) {
                    Some(read_value) => {
                        walk(&inner, value, read_value, compared, absent, mismatches);
                    }
                    None => absent.push(inner),
                }
            }
        }
        (Value::Array(values), Value::Array(read_values)) => {
            if values.len() != read_values.len() {
                mismatches.push(format!(
                    "{path}: {} elements answered, {} read back",
                    values.len(),
                    read_values.len()
                ));
                return;
            }
            for (index, (value, read_value)) in values.iter().zip(read_values).enumerate() {
                walk(
                    &format!("{path}[{index}]"),
                    value,
                    read_value,
                    compared,
                    absent,
                    mismatches,
                );
            }
        }
        _ => {
            compared.push(path.to_owned());
            if answer != read {
                mismatches.push(format!("{path}: answered {answer}, read back {read}"));
            }
        }
    }
}

/// The checkout's answer and the read-back agree on every field they share, and those fields
/// include `required` (leaf paths).
fn assert_same_order(answer: &Value, read: &Value, required: &[&str]) {
    let (mut compared, mut absent, mut mismatches) = (Vec::new(), Vec::new(), Vec::new());
    walk(
        "",
        answer,
        read,
        &mut compared,
        &mut absent,
        &mut mismatches,
    );
    assert!(
        mismatches.is_empty(),
        "the checkout answer differs from the order read back:\n{}",
        mismatches.join("\n")
    );
    assert_eq!(
        absent, ABSENT_FROM_READ_BACK,
        "keys of the checkout answer missing from the read-back"
    );
    let missing: Vec<&&str> = required
        .iter()
        .filter(|path| !compared.iter().any(|done| done == *path))
        .collect();
    assert!(
        missing.is_empty(),
        "not compared: {missing:?} (compared: {compared:?})"
    );
}

/// Leaf paths every order comparison must cover.
const ORDER_FIELDS: &[&str] = &[
    "id",
    "number",
    "status",
    "fulfillment",
    "store_id",
    "store_name",
    "customer.id",
    "customer.name",
    "customer.phone",
    "items[0].product_id",
    "items[0].name",
    "items[0].quantity",
    "items[0].unit_price_cents",
    "items[0].line_total_cents",
    "items[0].notes",
    "subtotal_cents",
    "discount_cents",
    "shipping_fee_cents",
    "total_cents",
    "payment.method",
    "payment.status",
    "payment.change_for_cents",
    "scheduled_for",
    "cancel_reason",
    "history[0].from",
    "history[0].to",
    "history[0].at",
    "created_at",
    "updated_at",
    "tracking_token",
];

#[tokio::test]
async fn the_checkout_answer_is_the_order_read_back() {
    let app = spawn_app().await;
    let shop = shop(&app, "extrato", 10).await;
    let coupon = campaign(
        &app,
        &shop,
        serde_json::json!({"name": "Dez", "kind": "fixed", "value": 1000, "coupon_code": "DEZ"}),
    )
    .await;

    // Delivery, add-ons, notes, a coupon and change for cash: the campaign path.
    let mut body = order_body(
        &shop,
        serde_json::json!([
            {"product_id": shop.pizza, "quantity": 2, "notes": "sem cebola",
             "addons": [{"addon_id": shop.crust, "quantity": 1}]},
            {"product_id": shop.dessert, "quantity": 3}
        ]),
    );
    body["coupon_code"] = serde_json::json!("dez");
    body["payment_method"] = serde_json::json!("cash");
    body["change_for_cents"] = serde_json::json!(20_000);
    body["address"]["complement"] = serde_json::json!("apto 12");
    // A pre-order two hours ahead, sent to the nanosecond (stored to the microsecond).
    let later = (Utc::now() + TimeDelta::hours(2))
        .duration_trunc(TimeDelta::seconds(1))
        .expect("truncate")
        + TimeDelta::nanoseconds(123_456_789);
    body["scheduled_for"] = serde_json::json!(later.to_rfc3339_opts(SecondsFormat::Nanos, true));
    let first = created(post(&app, &shop, "/checkout", &body).await).await;
    assert_eq!(
        first["scheduled_for"]
            .as_str()
            .and_then(|at| at.parse::<DateTime<Utc>>().ok()),
        Some(later - TimeDelta::nanoseconds(789))
    );
    assert_eq!(first["subtotal_cents"], 2 * 5900 + 3 * 1200);
    assert_eq!(first["discount_cents"], 1000);
    assert_eq!(first["total_cents"], 2 * 5900 + 3 * 1200 - 1000 + 500);
    assert_eq!(first["campaign_ids"], serde_json::json!([coupon]));
    assert_eq!(first["items"][0]["addons"][0]["name"], "Catupiry");
    let mut required: Vec<&str> = ORDER_FIELDS.to_vec();
    required.extend([
        "items[0].addons[0].addon_id",
        "items[0].addons[0].name",
        "items[0].addons[0].group_name",
        "items[0].addons[0].quantity",
        "items[0].addons[0].unit_price_cents",
        "items[1].name",
        "items[1].quantity",
        "items[1].unit_price_cents",
        "campaign_ids[0]",
        "delivery.address.cep",
        "delivery.address.street",
        "delivery.address.number",
        "delivery.address.complement",
        "delivery.address.district",
        "delivery.address.city",
        "delivery.address.state",
        "delivery.distance_km",
        "delivery.fee_cents",
        "delivery.eta_minutes",
        "delivery.source",
    ]);
    assert_same_order(&first, &read_back(&app, &shop, &first).await, &required);

    // The same phone under another name, pickup, PIX, no campaign: the statement alone. The
    // customer is not renamed, the order keeps the name it was given.
    let mut body = order_body(
        &shop,
        serde_json::json!([{"product_id": shop.pizza, "quantity": 1}]),
    );
    body["fulfillment"] = serde_json::json!("pickup");
    for key in ["address", "lat", "lng"] {
        body.as_object_mut().expect("object").remove(key);
    }
    body["customer"]["name"] = serde_json::json!("Ana de Novo");
    let second = created(post(&app, &shop, "/checkout", &body).await).await;
    assert_eq!(second["number"], 2);
    assert_eq!(second["customer"]["id"], first["customer"]["id"]);
    assert_eq!(second["customer"]["name"], "Ana de Novo");
    assert!(second["delivery"].is_null(), "{second}");
    assert_eq!(second["campaign_ids"], serde_json::json!([]));
    let mut required: Vec<&str> = ORDER_FIELDS.to_vec();
    required.push("delivery");
    assert_same_order(&second, &read_back(&app, &shop, &second).await, &required);
}

#[tokio::test]
async fn a_coupon_raced_by_many_customers_is_used_exactly_its_limit() {
    let app = spawn_app_with(CONCURRENT).await;
    const LIMIT: usize = 3;
    const BUYERS: usize = 12;
    const STOCK: i32 = 20;
    let shop = shop(&app, "cupom-corrida", STOCK).await;
    campaign(
        &app,
        &shop,
        serde_json::json!({"name": "Três", "kind": "fixed", "value": 1000, "coupon_code": "TRES", "usage_limit": LIMIT}),
    )
    .await;
    let bodies: Vec<Value> = (0..BUYERS)
        .map(|n| {
            let mut body = order_for(
                &shop,
                serde_json::json!([{"product_id": shop.pizza, "quantity": 1}, {"product_id": shop.dessert, "quantity": 1}]),
                &format!("Cliente {n}"),
                &phone(n),
            );
            body["coupon_code"] = serde_json::json!("tres");
            body
        })
        .collect();
    let answers = checkouts_at_once(&app, &shop, CAMPAIGNS, &bodies).await;
    let mut numbers = Vec::new();
    let mut winners = BTreeSet::new();
    for (status, body) in &answers {
        match status {
            201 => {
                assert_eq!(body["discount_cents"], 1000, "{body}");
                assert_eq!(body["total_cents"], 5000 + 1200 - 1000 + 500, "{body}");
                numbers.push(body["number"].as_i64().expect("number"));
                winners.insert(
                    body["customer"]["phone"]
                        .as_str()
                        .expect("phone")
                        .to_owned(),
                );
            }
            422 => assert_eq!(body["code"], "invalid_coupon", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    numbers.sort_unstable();
    assert_eq!(numbers, vec![1, 2, 3], "{answers:?}");
    assert_eq!(
        app.scalar_i64("SELECT uses::bigint FROM campaigns").await,
        LIMIT as i64
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM campaign_uses").await,
        LIMIT as i64
    );
    // Refused checkouts leave nothing: no order, stock, customer, movement or job.
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM orders").await,
        LIMIT as i64
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM order_items").await,
        2 * LIMIT as i64
    );
    assert_eq!(stock_of(&app, &shop).await, i64::from(STOCK) - LIMIT as i64);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM stock_movements WHERE reason = 'sale'")
            .await,
        LIMIT as i64
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM customers").await,
        LIMIT as i64
    );
    let customers = app
        .scalar_text("SELECT string_agg(phone, ',' ORDER BY phone) FROM customers")
        .await;
    assert_eq!(
        customers,
        winners.iter().cloned().collect::<Vec<_>>().join(","),
        "only the customers whose order was placed are stored"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox").await,
        3 * LIMIT as i64
    );
    assert_eq!(
        app.scalar_i64("SELECT max(last_number)::bigint FROM tenant_order_counters")
            .await,
        LIMIT as i64,
        "refused checkouts take no order number"
    );

    // Used up: the next buyer is refused too, and so is its preview.
    let late = order_for(
        &shop,
        serde_json::json!([{"product_id": shop.pizza, "quantity": 1}]),
        "Atrasada",
        &phone(99),
    );
    let mut late_coupon = late.clone();
    late_coupon["coupon_code"] = serde_json::json!("TRES");
    assert_eq!(
        error_code(
            post(&app, &shop, "/checkout/preview", &late_coupon).await,
            422
        )
        .await["code"],
        "invalid_coupon"
    );
    assert_eq!(
        error_code(post(&app, &shop, "/checkout", &late_coupon).await, 422).await["code"],
        "invalid_coupon"
    );
    assert_eq!(
        app.scalar_i64("SELECT uses::bigint FROM campaigns").await,
        LIMIT as i64
    );
}

#[tokio::test]
async fn a_coupon_limited_per_customer_raced_by_one_customer_is_used_once() {
    let app = spawn_app_with(CONCURRENT).await;
    const ATTEMPTS: usize = 6;
    const STOCK: i32 = 20;
    let shop = shop(&app, "por-cliente", STOCK).await;
    let coupon = campaign(
        &app,
        &shop,
        serde_json::json!({"name": "Primeira compra", "kind": "fixed", "value": 1000, "coupon_code": "BEMVINDO", "per_customer_limit": 1}),
    )
    .await;
    let body = |name: &str, phone: &str, coupon: bool| {
        let mut body = order_for(
            &shop,
            serde_json::json!([{"product_id": shop.pizza, "quantity": 1}, {"product_id": shop.dessert, "quantity": 1}]),
            name,
            phone,
        );
        if coupon {
            body["coupon_code"] = serde_json::json!("BEMVINDO");
        }
        body
    };
    // The same phone, written differently, from several tabs at once.
    let bodies: Vec<Value> = (0..ATTEMPTS)
        .map(|n| {
            let written = if n % 2 == 0 {
                "(11) 91234-5678"
            } else {
                "+55 11 91234-5678"
            };
            body("Bia", written, true)
        })
        .collect();
    let answers = checkouts_at_once(&app, &shop, CAMPAIGNS, &bodies).await;
    let placed: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == 201)
        .map(|(_, body)| body)
        .collect();
    assert_eq!(placed.len(), 1, "{answers:?}");
    assert_eq!(placed[0]["discount_cents"], 1000);
    assert_eq!(placed[0]["campaign_ids"], serde_json::json!([coupon]));
    // SPEC §7: a coupon that does not apply (here: this customer's use is spent) is 422
    // `invalid_coupon`; the order is not placed without it.
    for (status, body) in answers.iter().filter(|(status, _)| *status != 201) {
        assert_eq!(*status, 422, "{body}");
        assert_eq!(body["code"], "invalid_coupon", "{body}");
    }
    assert_eq!(
        app.scalar_i64("SELECT uses::bigint FROM campaigns").await,
        1
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM campaign_uses").await,
        1
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM orders").await, 1);
    assert_eq!(stock_of(&app, &shop).await, i64::from(STOCK) - 1);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM customers").await, 1);

    // Afterwards, one by one: the coupon stays refused to her, she may buy without it, and
    // another customer still gets it.
    assert_eq!(
        error_code(
            post(&app, &shop, "/checkout", &body("Bia", "11912345678", true)).await,
            422
        )
        .await["code"],
        "invalid_coupon"
    );
    let full_price =
        created(post(&app, &shop, "/checkout", &body("Bia", "11912345678", false)).await).await;
    assert_eq!(full_price["discount_cents"], 0);
    let other = created(post(&app, &shop, "/checkout", &body("Caio", &phone(1), true)).await).await;
    assert_eq!(other["discount_cents"], 1000);
    assert_eq!(
        app.scalar_i64("SELECT uses::bigint FROM campaigns").await,
        2
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM campaign_uses").await,
        2
    );
}

#[tokio::test]
async fn an_automatic_campaign_limited_per_customer_discounts_one_of_her_racing_orders() {
    let app = spawn_app_with(CONCURRENT).await;
    const ATTEMPTS: usize = 6;
    const STOCK: i32 = 20;
    let shop = shop(&app, "automatica", STOCK).await;
    let automatic = campaign(
        &app,
        &shop,
        serde_json::json!({"name": "Primeira compra", "kind": "fixed", "value": 1000, "per_customer_limit": 1}),
    )
    .await;
    let body = order_for(
        &shop,
        serde_json::json!([{"product_id": shop.pizza, "quantity": 1}, {"product_id": shop.dessert, "quantity": 1}]),
        "Bia",
        "11 91234-5678",
    );
    let full_total = 5000 + 1200 + 500;
    // All of them priced with the discount before any placed an order.
    let answers = checkouts_at_once(&app, &shop, CAMPAIGNS, &vec![body.clone(); ATTEMPTS]).await;
    let mut discounted = 0;
    for (status, answer) in &answers {
        match status {
            201 => {
                assert_eq!(answer["discount_cents"], 1000, "{answer}");
                assert_eq!(answer["campaign_ids"], serde_json::json!([automatic]));
                discounted += 1;
            }
            // Her first order spent the discount meanwhile. The SPEC names no code for an
            // automatic campaign that stops applying; the code (`CampaignExhausted` without a
            // coupon) answers the new price for her to confirm, as for a changed price.
            409 => {
                assert_eq!(answer["code"], "price_changed", "{answer}");
                assert_eq!(answer["discount_cents"], 0, "{answer}");
                assert_eq!(answer["total_cents"], full_total, "{answer}");
            }
            other => panic!("unexpected {other}: {answer}"),
        }
    }
    assert_eq!(discounted, 1, "{answers:?}");
    assert_eq!(
        app.scalar_i64("SELECT uses::bigint FROM campaigns").await,
        1
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM campaign_uses").await,
        1
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM orders").await, 1);
    assert_eq!(stock_of(&app, &shop).await, i64::from(STOCK) - 1);

    // Confirming the new price places her order without the discount.
    let mut confirmed = body.clone();
    confirmed["expected_total_cents"] = serde_json::json!(full_total);
    let order = created(post(&app, &shop, "/checkout", &confirmed).await).await;
    assert_eq!(order["discount_cents"], 0);
    assert_eq!(order["total_cents"], full_total);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM campaign_uses").await,
        1
    );
    assert_eq!(stock_of(&app, &shop).await, i64::from(STOCK) - 2);
}

#[tokio::test]
async fn orders_locking_two_products_in_opposite_orders_never_deadlock() {
    let app = spawn_app_with(CONCURRENT).await;
    const ORDERS: usize = 16;
    const STOCK: i32 = 100;
    let shop = shop(&app, "cruzados", STOCK).await;
    let other = stocked_product(&app, &shop, 300, STOCK).await;
    // A coupon without limits on half the orders: orders placed by the statement alone and
    // orders that lock stock, then the campaign, in `check_customer_limits` first, mix.
    campaign(
        &app,
        &shop,
        serde_json::json!({"name": "Livre", "kind": "fixed", "value": 100, "coupon_code": "LIVRE"}),
    )
    .await;
    let bodies: Vec<Value> = (0..ORDERS)
        .map(|n| {
            let dessert = serde_json::json!({"product_id": shop.dessert, "quantity": 1});
            let brigadeiro = serde_json::json!({"product_id": other, "quantity": 2});
            let items = if n % 2 == 0 {
                serde_json::json!([dessert, brigadeiro])
            } else {
                serde_json::json!([brigadeiro, dessert])
            };
            // Eight customers with two orders each: their rows are upserted concurrently too.
            let mut body = order_for(&shop, items, &format!("Cliente {}", n % 8), &phone(n % 8));
            if n % 4 < 2 {
                body["coupon_code"] = serde_json::json!("LIVRE");
            }
            body
        })
        .collect();
    let answers = checkouts_at_once(&app, &shop, STOCK_LEVELS, &bodies).await;
    let mut numbers: Vec<i64> = answers
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, 201, "{body}");
            body["number"].as_i64().expect("number")
        })
        .collect();
    numbers.sort_unstable();
    let expected: Vec<i64> = (1..=ORDERS as i64).collect();
    assert_eq!(numbers, expected, "numbers answered");
    let stored: Vec<i64> = app
        .scalar_text("SELECT string_agg(number::text, ',' ORDER BY number) FROM orders")
        .await
        .split(',')
        .map(|number| number.parse().expect("number"))
        .collect();
    assert_eq!(stored, expected, "numbers stored");
    assert_eq!(
        stock_of(&app, &shop).await,
        i64::from(STOCK) - ORDERS as i64
    );
    assert_eq!(
        stock_of_product(&app, &other).await,
        i64::from(STOCK) - 2 * ORDERS as i64
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM stock_movements WHERE reason = 'sale'")
            .await,
        2 * ORDERS as i64
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM customers").await, 8);
    assert_eq!(
        app.scalar_i64("SELECT uses::bigint FROM campaigns").await,
        ORDERS as i64 / 2
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM campaign_uses").await,
        ORDERS as i64 / 2
    );
}

/// Changes the pizza's price, a band's fee, the tenant's settings and a campaign, each right
/// after a preview filled the snapshot: the next preview and checkout see each change.
#[tokio::test]
async fn the_cached_pricing_follows_every_change_at_once() {
    let app = spawn_app().await;
    let shop = shop(&app, "cache", 50).await;
    let body = order_body(
        &shop,
        serde_json::json!([{"product_id": shop.pizza, "quantity": 1, "addons": [{"addon_id": shop.crust, "quantity": 1}]}]),
    );
    let owner = |method: Method, path: String, body: Value| {
        let app = &app;
        let session = &shop.owner;
        async move {
            let response = app.send(session, method, &path, Some(body)).await;
            let status = response.status();
            let answer = json(response).await;
            assert_eq!(status, 200, "{path}: {answer}");
        }
    };
    let settings = |accepting_orders: bool, min_order_cents: i64| serde_json::json!({"accepting_orders": accepting_orders, "min_order_cents": min_order_cents, "preparation_minutes": 30, "preorders_enabled": true});

    let before = preview(&app, &shop, &body).await;
    assert_eq!(before["subtotal_cents"], 5900);
    assert_eq!(before["shipping_fee_cents"], 500);
    assert_eq!(before["total_cents"], 6400);
    assert_eq!(
        created(post(&app, &shop, "/checkout", &body).await).await["total_cents"],
        6400
    );

    // (a) The product's price, then an add-on's.
    owner(
        Method::PATCH,
        format!("/admin/catalog/products/{}", shop.pizza),
        serde_json::json!({"price_cents": 6000}),
    )
    .await;
    let priced = preview(&app, &shop, &body).await;
    assert_eq!(priced["lines"][0]["unit_price_cents"], 6900);
    assert_eq!(priced["subtotal_cents"], 6900);
    let order = created(post(&app, &shop, "/checkout", &body).await).await;
    assert_eq!(order["items"][0]["unit_price_cents"], 6900);
    assert_eq!(order["total_cents"], 7400);
    owner(
        Method::PUT,
        format!("/admin/catalog/addons/{}", shop.crust),
        serde_json::json!({"name": "Catupiry", "price_cents": 1100}),
    )
    .await;
    assert_eq!(preview(&app, &shop, &body).await["subtotal_cents"], 7100);
    let order = created(post(&app, &shop, "/checkout", &body).await).await;
    assert_eq!(order["items"][0]["addons"][0]["unit_price_cents"], 1100);
    assert_eq!(order["subtotal_cents"], 7100);

    // (b) The delivery band's fee.
    preview(&app, &shop, &body).await;
    owner(
        Method::PUT,
        format!("/admin/shipping/stores/{}/bands", shop.store),
        serde_json::json!({"bands": [{"max_km": 3, "fee_cents": 700, "eta_minutes": 35}, {"max_km": 8, "fee_cents": 1100, "eta_minutes": 55}]}),
    )
    .await;
    let priced = preview(&app, &shop, &body).await;
    assert_eq!(priced["shipping_fee_cents"], 700);
    assert_eq!(priced["delivery"]["eta_minutes"], 35);
    let order = created(post(&app, &shop, "/checkout", &body).await).await;
    assert_eq!(order["shipping_fee_cents"], 700);
    assert_eq!(order["delivery"]["fee_cents"], 700);
    assert_eq!(order["delivery"]["eta_minutes"], 35);
    assert_eq!(order["total_cents"], 7100 + 700);

    // (c) The tenant's settings: a minimum order above this one, then not taking orders, then
    // back to normal.
    preview(&app, &shop, &body).await;
    owner(Method::PUT, "/admin/config".into(), settings(true, 8000)).await;
    for path in ["/checkout/preview", "/checkout"] {
        assert_eq!(
            error_code(post(&app, &shop, path, &body).await, 422).await["code"],
            "below_minimum_order",
            "{path}"
        );
    }
    owner(Method::PUT, "/admin/config".into(), settings(false, 0)).await;
    for path in ["/checkout/preview", "/checkout"] {
        assert_eq!(
            error_code(post(&app, &shop, path, &body).await, 422).await["code"],
            "store_closed",
            "{path}"
        );
    }
    owner(Method::PUT, "/admin/config".into(), settings(true, 7000)).await;
    assert_eq!(preview(&app, &shop, &body).await["total_cents"], 7800);
    created(post(&app, &shop, "/checkout", &body).await).await;

    // (d) A campaign: created, its value edited, deactivated, reactivated, deleted.
    preview(&app, &shop, &body).await;
    let campaign_body = |value: i64, is_active: bool| serde_json::json!({"name": "Semana", "kind": "percentage", "value": value, "is_active": is_active});
    let automatic = campaign(&app, &shop, campaign_body(10, true)).await;
    let priced = preview(&app, &shop, &body).await;
    assert_eq!(priced["discount_cents"], 710);
    assert_eq!(priced["applied_campaigns"], serde_json::json!([automatic]));
    assert_eq!(
        created(post(&app, &shop, "/checkout", &body).await).await["discount_cents"],
        710
    );
    owner(
        Method::PUT,
        format!("/admin/campaigns/{automatic}"),
        campaign_body(20, true),
    )
    .await;
    assert_eq!(preview(&app, &shop, &body).await["discount_cents"], 1420);
    let order = created(post(&app, &shop, "/checkout", &body).await).await;
    assert_eq!(order["discount_cents"], 1420);
    assert_eq!(order["total_cents"], 7100 - 1420 + 700);
    owner(
        Method::PUT,
        format!("/admin/campaigns/{automatic}"),
        campaign_body(20, false),
    )
    .await;
    let priced = preview(&app, &shop, &body).await;
    assert_eq!(priced["discount_cents"], 0);
    assert_eq!(priced["applied_campaigns"], serde_json::json!([]));
    let order = created(post(&app, &shop, "/checkout", &body).await).await;
    assert_eq!(order["discount_cents"], 0);
    assert_eq!(order["campaign_ids"], serde_json::json!([]));
    owner(
        Method::PUT,
        format!("/admin/campaigns/{automatic}"),
        campaign_body(20, true),
    )
    .await;
    assert_eq!(preview(&app, &shop, &body).await["discount_cents"], 1420);
    let deleted = app
        .send(
            &shop.owner,
            Method::DELETE,
            &format!("/admin/campaigns/{automatic}"),
            None,
        )
        .await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(preview(&app, &shop, &body).await["discount_cents"], 0);
    assert_eq!(
        created(post(&app, &shop, "/checkout", &body).await).await["discount_cents"],
        0
    );
}

#[tokio::test]
async fn one_idempotency_key_sent_at_once_with_a_coupon_spends_it_once() {
    let app = spawn_app_with(CONCURRENT).await;
    const COPIES: usize = 8;
    let shop = shop(&app, "chave-cupom", 10).await;
    let coupon = campaign(
        &app,
        &shop,
        serde_json::json!({"name": "Dois", "kind": "fixed", "value": 1000, "coupon_code": "DOIS", "usage_limit": 2}),
    )
    .await;
    let mut body = order_body(
        &shop,
        serde_json::json!([{"product_id": shop.pizza, "quantity": 1}, {"product_id": shop.dessert, "quantity": 1}]),
    );
    body["coupon_code"] = serde_json::json!("DOIS");
    // Every copy checks its key and prices before the first one commits.
    let holder = app.database.as_ref().expect("database").client().await;
    holder
        .batch_execute(&format!("BEGIN; {CAMPAIGNS} FOR UPDATE"))
        .await
        .expect("lock");
    let requests = (0..COPIES).map(|_| {
        let (app, shop, body) = (&app, &shop, &body);
        async move {
            let response = post_with_key(app, shop, "pedido-cupom", body).await;
            let status = response.status().as_u16();
            let replayed = header(&response, "idempotent-replayed").map(str::to_owned);
            (status, replayed, json(response).await)
        }
    });
    let release = async {
        until_waiting_on_locks(&app, COPIES).await;
        holder.batch_execute("ROLLBACK").await.expect("release");
    };
    let (answers, ()) = tokio::join!(futures_util::future::join_all(requests), release);
    let mut first = None;
    let mut ids = BTreeSet::new();
    for (status, replayed, answer) in &answers {
        match (status, replayed.as_deref()) {
            (201, None) => {
                assert!(first.is_none(), "two first answers: {answers:?}");
                first = Some(answer.clone());
                ids.insert(id(answer));
            }
            (201, Some("true")) => {
                ids.insert(id(answer));
            }
            (409, _) => assert_eq!(answer["code"], "idempotency_in_progress", "{answer}"),
            other => panic!("unexpected {other:?}: {answer}"),
        }
    }
    let first = first.expect("one request placed the order");
    assert_eq!(ids.len(), 1, "every success answered the same order");
    assert_eq!(first["discount_cents"], 1000);
    assert_eq!(first["campaign_ids"], serde_json::json!([coupon]));
    assert_eq!(app.scalar_i64("SELECT count(*) FROM orders").await, 1);
    assert_eq!(
        app.scalar_i64("SELECT uses::bigint FROM campaigns").await,
        1
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM campaign_uses").await,
        1
    );
    assert_eq!(stock_of(&app, &shop).await, 9);

    // A replay answers the same order, field for field, marked as a replay; it spends nothing.
    let replay = post_with_key(&app, &shop, "pedido-cupom", &body).await;
    assert_eq!(replay.status(), 201);
    assert_eq!(header(&replay, "idempotent-replayed"), Some("true"));
    let replayed = json(replay).await;
    assert_same_order(&first, &replayed, ORDER_FIELDS);
    assert_eq!(
        app.scalar_i64("SELECT uses::bigint FROM campaigns").await,
        1
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM orders").await, 1);

    // Another key is another order, and spends the coupon's last use.
    let again = created(post_with_key(&app, &shop, "pedido-cupom-2", &body).await).await;
    assert_ne!(id(&again), id(&first));
    assert_eq!(again["discount_cents"], 1000);
    assert_eq!(
        app.scalar_i64("SELECT uses::bigint FROM campaigns").await,
        2
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM campaign_uses").await,
        2
    );
}

/// A retry of a checkout (same `Idempotency-Key`, same body) that reaches another instance
/// while the first attempt is spending the coupon's last use: the retry checks its key before
/// the first commits and prices after, when the coupon is spent. SPEC §6: the retry answers the
/// first order; the route documents "a retry sent while the first is still running waits for
/// it and answers its order".
#[tokio::test]
async fn a_retry_priced_after_the_first_spent_the_coupon_answers_the_first_order() {
    let app = spawn_app_with(CONCURRENT).await;
    let shop = shop(&app, "retentativa", 10).await;
    let database_url = app.database.as_ref().expect("database").url().to_owned();
    // A second instance on the same database, its snapshot cache still empty.
    let other = spawn_app_on(&database_url, None, CONCURRENT).await;
    campaign(
        &app,
        &shop,
        serde_json::json!({"name": "Último", "kind": "fixed", "value": 1000, "coupon_code": "ULTIMO", "usage_limit": 1}),
    )
    .await;
    let mut body = order_body(
        &shop,
        serde_json::json!([{"product_id": shop.pizza, "quantity": 1}]),
    );
    body["coupon_code"] = serde_json::json!("ULTIMO");
    let send = |app: &TestApp| {
        app.client
            .post(app.url("/checkout"))
            .header("X-Tenant", &shop.slug)
            .header("Idempotency-Key", "pedido-repetido")
            .json(&body)
            .send()
    };

    // The first attempt claims its key and waits, after pricing, on the campaign's row.
    let campaign_row = app.database.as_ref().expect("database").client().await;
    campaign_row
        .batch_execute(&format!("BEGIN; {CAMPAIGNS} FOR UPDATE"))
        .await
        .expect("lock");
    let settings = app.database.as_ref().expect("database").client().await;
    let retry_then_release = async {
        until_waiting_on_locks(&app, 1).await;
        // The retry checks its key (unused: the first has not committed), then reads the
        // store's snapshot on the other instance, where it waits on the tenant's settings.
        settings
            .batch_execute("BEGIN; LOCK TABLE tenant_settings IN ACCESS EXCLUSIVE MODE")
            .await
            .expect("lock settings");
        let let_go = async {
            until_waiting_in(&app, 1, "%FROM \"tenant_settings\"%").await;
            campaign_row
                .batch_execute("ROLLBACK")
                .await
                .expect("release");
            // The first attempt commits its order.
            let watcher = app.database.as_ref().expect("database").client().await;
            let mut placed = false;
            for _ in 0..MAX_POLLS {
                let orders: i64 = watcher
                    .query_one("SELECT count(*) FROM orders", &[])
                    .await
                    .expect("poll")
                    .get(0);
                if orders == 1 {
                    placed = true;
                    break;
                }
                tokio::task::yield_now().await;
            }
            assert!(placed, "the first attempt never placed its order");
            settings.batch_execute("ROLLBACK").await.expect("release");
        };
        let (retry, ()) = tokio::join!(send(&other), let_go);
        retry.expect("sent")
    };
    let (first, retry) = tokio::join!(send(&app), retry_then_release);
    let first = created(first.expect("sent")).await;
    assert_eq!(first["discount_cents"], 1000);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM orders").await, 1);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM campaign_uses").await,
        1
    );

    let status = retry.status().as_u16();
    let replayed = header(&retry, "idempotent-replayed").map(str::to_owned);
    let answer = json(retry).await;
    assert_eq!(
        (status, replayed.as_deref()),
        (201, Some("true")),
        "the retry should answer the first order: {answer}"
    );
    assert_eq!(id(&answer), id(&first));
    assert_eq!(app.scalar_i64("SELECT count(*) FROM orders").await, 1);
}

/// The store's coordinates are pricing data too: the snapshot follows a move (`stores` moves the
/// version), and the distance the delivery fee comes from must be measured from where the
/// store is now.
#[tokio::test]
async fn moving_the_store_reprices_the_delivery_at_once() {
    let app = spawn_app().await;
    let shop = shop(&app, "mudanca", 10).await;
    let body = order_body(
        &shop,
        serde_json::json!([{"product_id": shop.pizza, "quantity": 1}]),
    );
    let near = preview(&app, &shop, &body).await;
    assert_eq!(near["shipping_fee_cents"], 500);
    let near_km = near["delivery"]["distance_km"].as_f64().expect("km");
    assert!(near_km < 3.0, "{near}");
    // About 5 km south of the customer: the second band.
    let moved = app
        .send(
            &shop.owner,
            Method::PATCH,
            &format!("/admin/stores/{}", shop.store),
            Some(serde_json::json!({"latitude": -23.6150, "longitude": -46.6450})),
        )
        .await;
    assert_eq!(moved.status(), 200);
    // An instance that never priced for this store measures about 5 km: the second band.
    let database_url = app.database.as_ref().expect("database").url().to_owned();
    let cold = spawn_app_on(&database_url, None, &[]).await;
    let fresh = preview(&cold, &shop, &body).await;
    let fresh_km = fresh["delivery"]["distance_km"].as_f64().expect("km");
    assert!((3.0..8.0).contains(&fresh_km), "{fresh}");
    assert_eq!(fresh["shipping_fee_cents"], 900, "{fresh}");
    // The instance that priced before the move must agree.
    let far = preview(&app, &shop, &body).await;
    let far_km = far["delivery"]["distance_km"].as_f64().expect("km");
    assert!(
        (3.0..8.0).contains(&far_km),
        "the distance is measured from the store's old place: {far}"
    );
    assert_eq!(far["shipping_fee_cents"], 900, "{far}");
    let order = created(post(&app, &shop, "/checkout", &body).await).await;
    assert_eq!(order["shipping_fee_cents"], 900, "{order}");
    assert_eq!(order["delivery"]["fee_cents"], 900, "{order}");
}
