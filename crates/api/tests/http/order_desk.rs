//! The live order desk (SPEC §19): Server-Sent Events across two instances on one database,
//! `Last-Event-ID` replay, a lost listening connection, tenants kept apart, a desk that does not
//! read, and 200 idle desks.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::builders::shop::{Shop, order_body, post, shop};
use crate::support::{TestApp, json, spawn_app, spawn_app_on};

/// One event as a desk receives it.
#[derive(Debug, Clone, PartialEq)]
struct Event {
    id: i64,
    kind: String,
    data: Value,
}

/// An open `GET /admin/orders/stream`, read block by block.
struct Desk {
    response: reqwest::Response,
    buffer: String,
}

impl Desk {
    async fn open(app: &TestApp, token: &str, last_event_id: Option<i64>) -> Desk {
        let mut request = app
            .client
            .get(app.url("/admin/orders/stream"))
            .bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id.to_string());
        }
        let response = request.send().await.expect("sent");
        assert_eq!(response.status(), 200);
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("text/event-stream")
        );
        Desk {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (comments skipped), or `None` when none comes within `within`.
    async fn next_event(&mut self, within: Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = Event {
                    id: 0,
                    kind: String::new(),
                    data: Value::Null,
                };
                let mut is_event = false;
                for line in block.lines() {
                    if let Some(id) = line.strip_prefix("id: ") {
                        event.id = id.parse().expect("an integer id");
                        is_event = true;
                    } else if let Some(kind) = line.strip_prefix("event: ") {
                        event.kind = kind.to_owned();
                    } else if let Some(data) = line.strip_prefix("data: ") {
                        event.data = serde_json::from_str(data).expect("JSON data");
                    }
                }
                if is_event {
                    return Some(event);
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .expect("the stream reads");
            self.buffer.push_str(&String::from_utf8_lossy(
                &chunk.expect("the stream stays open"),
            ));
        }
    }
}

async fn place(app: &TestApp, shop: &Shop) -> Value {
    let body = order_body(shop, json!([{"product_id": shop.pizza, "quantity": 1}]));
    let placed = post(app, shop, "/checkout", &body).await;
    assert_eq!(placed.status(), 201);
    json(placed).await
}

async fn confirm(app: &TestApp, shop: &Shop, order: &Value) {
    let moved = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/orders/{}/status", order["id"].as_str().expect("id")),
            Some(json!({"status": "confirmed"})),
        )
        .await;
    assert_eq!(moved.status(), 200);
}

const SOON: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_desk_on_one_instance_sees_orders_placed_through_another_within_a_second() {
    let a = spawn_app().await;
    let url = a.database.as_ref().expect("database").url().to_owned();
    let b = spawn_app_on(&url, None, &[]).await;
    let shop = shop(&a, "balcao", 5).await;
    let mut desk = Desk::open(&a, &shop.owner.token, None).await;

    let started = Instant::now();
    let order = place(&b, &shop).await;
    let created = desk
        .next_event(Duration::from_secs(1))
        .await
        .expect("the order reaches the desk within a second");
    println!(
        "order placed on B reached the desk on A in {:?}",
        started.elapsed()
    );
    assert_eq!(created.kind, "order.created");
    assert_eq!(created.data["order"]["id"], order["id"]);
    assert_eq!(created.data["order"]["number"], order["number"]);
    assert_eq!(created.data["order"]["status"], "pending");
    assert_eq!(created.data["order"]["items"][0]["name"], "Pizza");

    confirm(&b, &shop, &order).await;
    let updated = desk.next_event(SOON).await.expect("the change");
    assert_eq!(updated.kind, "order.updated");
    assert_eq!(updated.id, created.id + 1);
    assert_eq!(updated.data["order"]["status"], "confirmed");

    // A browser's EventSource signs in with the cookie.
    let by_cookie = a
        .client
        .get(a.url("/admin/orders/stream"))
        .header("Cookie", format!("admin_token={}", shop.owner.token))
        .send()
        .await
        .expect("sent");
    assert_eq!(by_cookie.status(), 200);
    let anonymous = a.get("/admin/orders/stream").await;
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn a_desk_reconnecting_with_last_event_id_gets_exactly_what_it_missed() {
    let app = spawn_app().await;
    let shop = shop(&app, "reconecta", 5).await;
    let mut desk = Desk::open(&app, &shop.owner.token, None).await;
    let first = place(&app, &shop).await;
    let seen = desk.next_event(SOON).await.expect("the first order");
    drop(desk);

    let second = place(&app, &shop).await;
    confirm(&app, &shop, &first).await;
    let third = place(&app, &shop).await;

    let mut desk = Desk::open(&app, &shop.owner.token, Some(seen.id)).await;
    let mut missed = Vec::new();
    for _ in 0..3 {
        missed.push(desk.next_event(SOON).await.expect("a missed event"));
    }
    let ids: Vec<i64> = missed.iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![seen.id + 1, seen.id + 2, seen.id + 3]);
    let what: Vec<(&str, &Value)> = missed
        .iter()
        .map(|e| (e.kind.as_str(), &e.data["order"]["id"]))
        .collect();
    assert_eq!(
        what,
        vec![
            ("order.created", &second["id"]),
            ("order.updated", &first["id"]),
            ("order.created", &third["id"]),
        ]
    );
    assert_eq!(desk.next_event(Duration::from_millis(300)).await, None);
    // Live again after the replay.
    let fourth = place(&app, &shop).await;
    let live = desk.next_event(SOON).await.expect("live");
    assert_eq!(
        (live.id, &live.data["order"]["id"]),
        (seen.id + 4, &fourth["id"])
    );
}

#[tokio::test]
async fn losing_the_listening_connection_loses_no_event() {
    let app = spawn_app().await;
    let shop = shop(&app, "queda", 5).await;
    let mut desk = Desk::open(&app, &shop.owner.token, None).await;
    place(&app, &shop).await;
    let before = desk.next_event(SOON).await.expect("an event before");

    // What a PostgreSQL restart does to the listening connection.
    let killed = app
        .scalar_i64(&format!(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = '{}' AND datname = current_database()",
            comanda_postgres::LISTENER_NAME
        ))
        .await;
    assert_eq!(killed, 1);
    // Placed while nobody listens: read back from the log once the listener is back.
    let during = place(&app, &shop).await;
    let after_loss = desk
        .next_event(SOON)
        .await
        .expect("the order placed meanwhile");
    assert_eq!(after_loss.id, before.id + 1);
    assert_eq!(after_loss.data["order"]["id"], during["id"]);
    let after = place(&app, &shop).await;
    let live = desk.next_event(SOON).await.expect("live again");
    assert_eq!(
        (live.id, &live.data["order"]["id"]),
        (before.id + 2, &after["id"])
    );
}

#[tokio::test]
async fn a_tenants_desk_never_sees_another_tenants_orders() {
    let app = spawn_app().await;
    let mine = shop(&app, "meu-balcao", 5).await;
    let other = shop(&app, "outro-balcao", 5).await;
    let mut desk = Desk::open(&app, &mine.owner.token, None).await;
    place(&app, &other).await;
    confirm(&app, &other, &place(&app, &other).await).await;
    let own = place(&app, &mine).await;
    let first = desk.next_event(SOON).await.expect("an event");
    assert_eq!(first.data["order"]["id"], own["id"]);
    assert_eq!(first.id, 1, "ids are the tenant's own");
    assert_eq!(desk.next_event(Duration::from_millis(300)).await, None);
}

#[tokio::test]
async fn a_desk_that_does_not_read_is_dropped_without_holding_back_the_others() {
    let app = spawn_app().await;
    let shop = shop(&app, "lento", 5).await;
    let order = place(&app, &shop).await;
    let tenant = shop.owner.tenant.id;
    let mut idle = app.state.desk.subscribe(tenant).await.expect("subscribed");
    let mut reading = app.state.desk.subscribe(tenant).await.expect("subscribed");
    let reader = tokio::spawn(async move {
        let mut received = 0;
        while received < 300 && reading.frames.recv().await.is_some() {
            received += 1;
        }
        drop(reading);
        received
    });
    // 300 status changes in one go: far more than a desk may have waiting.
    app.sql(&format!(
        "DO $$ BEGIN FOR i IN 1..300 LOOP \
           UPDATE orders SET status = CASE WHEN status = 'pending' THEN 'confirmed' ELSE 'pending' END \
           WHERE id = '{}'; \
         END LOOP; END $$",
        order["id"].as_str().expect("id")
    ))
    .await;
    let received = tokio::time::timeout(Duration::from_secs(30), reader)
        .await
        .expect("the reading desk gets everything")
        .expect("reader");
    assert_eq!(received, 300);
    // The idle desk got what its buffer holds, then its feed ended.
    let mut buffered = 0;
    while idle.frames.recv().await.is_some() {
        buffered += 1;
    }
    assert!((1..300).contains(&buffered), "{buffered}");
    // A desk is forgotten when its connection goes.
    assert_eq!(app.state.desk.connected(), 1);
    drop(idle);
    assert_eq!(app.state.desk.connected(), 0);
}

/// Resident memory of this process (the test and the server it runs), in KiB.
fn rss_kib() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn two_hundred_idle_desks_hold_with_their_memory_measured() {
    let app = spawn_app().await;
    let shop = shop(&app, "muitos", 5).await;
    let before = rss_kib();
    let mut desks = Vec::new();
    for _ in 0..200 {
        desks.push(Desk::open(&app, &shop.owner.token, None).await);
    }
    let after = rss_kib();
    println!(
        "200 idle desks: resident memory {before} KiB -> {after} KiB ({} KiB per desk, client and server together)",
        (after - before) / 200
    );
    assert_eq!(app.state.desk.connected(), 200);
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metrics.contains("comanda_order_desks_connected 200"),
        "{metrics}"
    );
    // Every one of them still gets the next order.
    let order = place(&app, &shop).await;
    for desk in &mut desks {
        let event = desk.next_event(SOON).await.expect("the order");
        assert_eq!(event.data["order"]["id"], order["id"]);
    }
}

#[tokio::test]
async fn the_kitchen_ticket_prints_the_order_as_text_or_escpos_within_its_width() {
    let app = spawn_app().await;
    let shop = shop(&app, "cozinha", 5).await;
    let mut body = order_body(
        &shop,
        json!([{"product_id": shop.pizza, "quantity": 2, "notes": "sem cebola e bem passada, por favor",
                "addons": [{"addon_id": shop.crust, "quantity": 1}]}]),
    );
    body["address"]["complement"] = json!("bloco B apartamento 1204, interfone quebrado: ligar");
    let placed = post(&app, &shop, "/checkout", &body).await;
    assert_eq!(placed.status(), 201);
    let order = json(placed).await;
    let id = order["id"].as_str().expect("id");
    let number = order["number"].as_i64().expect("number");

    for width in [48, 32] {
        let text = app
            .send(
                &shop.owner,
                Method::GET,
                &format!("/admin/orders/{id}/ticket?format=text&width={width}"),
                None,
            )
            .await;
        assert_eq!(text.status(), 200);
        assert_eq!(
            text.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("text/plain; charset=utf-8")
        );
        let text = text.text().await.expect("text");
        assert!(
            text.lines().all(|line| line.chars().count() <= width),
            "{text}"
        );
        assert!(text.contains(&format!("PEDIDO #{number}")), "{text}");
        assert!(text.contains("2x Pizza"), "{text}");
        assert!(text.contains("+ 1x Catupiry"), "{text}");
        assert!(text.contains("Obs: sem cebola"), "{text}");
        assert!(
            text.contains("interfone"),
            "the whole address, wrapped: {text}"
        );
        assert!(text.contains("ENTREGA") && text.contains("PIX"), "{text}");
    }
    let escpos = app
        .send(
            &shop.owner,
            Method::GET,
            &format!("/admin/orders/{id}/ticket?format=escpos&width=32"),
            None,
        )
        .await;
    assert_eq!(escpos.status(), 200);
    assert_eq!(
        escpos
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/octet-stream")
    );
    let bytes = escpos.bytes().await.expect("bytes");
    assert!(
        bytes.starts_with(&[0x1B, 0x40, 0x1B, 0x74, 0x03]),
        "initialize, CP860"
    );
    assert!(bytes.ends_with(&[0x1D, 0x56, 0x00]), "cut");
    // "São Paulo" in CP860.
    assert!(bytes.windows(3).any(|w| w == [b'S', 0x84, b'o']));

    let bad = app
        .send(
            &shop.owner,
            Method::GET,
            &format!("/admin/orders/{id}/ticket?width=40"),
            None,
        )
        .await;
    assert_eq!(bad.status(), 422);
    let other = shop_for_other(&app).await;
    let foreign = app
        .send(
            &other.owner,
            Method::GET,
            &format!("/admin/orders/{id}/ticket"),
            None,
        )
        .await;
    assert_eq!(foreign.status(), 404);
}

async fn shop_for_other(app: &TestApp) -> Shop {
    shop(app, "outra-cozinha", 1).await
}
