//! Scheduled orders (SPEC §20): a store's time slots of a day within its opening hours, past
//! and lead-time slots left out; a pre-order names a slot start with a place left, never more
//! orders than the slot's capacity even at once, and a cancelled order frees its place.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::America::Sao_Paulo;
use reqwest::Method;
use serde_json::{Value, json};

use crate::builders::shop::{Shop, created, id, order_body, post, shop};
use crate::support::{TestApp, json, spawn_app, spawn_app_with};

const EVERY_DAY: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Every evening from 18:00 to 22:00: eight slots of 30 minutes.
fn evenings() -> Value {
    Value::Object(
        EVERY_DAY
            .into_iter()
            .map(|day| (day.to_owned(), json!([{"open": "18:00", "close": "22:00"}])))
            .collect(),
    )
}

/// Open in the evenings, with slots of 30 minutes taking `capacity` orders each, at least an
/// hour ahead.
async fn schedule(app: &TestApp, shop: &Shop, capacity: i64) {
    let response = app
        .send(
            &shop.owner,
            Method::PATCH,
            &format!("/admin/stores/{}", shop.store),
            Some(json!({
                "opening_hours": evenings(), "slot_minutes": 30, "slot_capacity": capacity,
                "lead_minutes": 60
            })),
        )
        .await;
    let status = response.status();
    let body = json(response).await;
    assert_eq!(status, 200, "scheduling: {body}");
    assert_eq!(
        (
            &body["slot_minutes"],
            &body["slot_capacity"],
            &body["lead_minutes"]
        ),
        (&json!(30), &json!(capacity), &json!(60)),
        "{body}"
    );
}

/// Today in São Paulo.
fn today() -> NaiveDate {
    Utc::now().with_timezone(&Sao_Paulo).date_naive()
}

/// That day at that time in São Paulo.
fn local(date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    date.and_hms_opt(hour, minute, 0)
        .and_then(|at| at.and_local_timezone(Sao_Paulo).single())
        .expect("a local time")
        .to_utc()
}

/// The evening's slot starts: 18:00, 18:30, …, 21:30.
fn evening_starts(date: NaiveDate) -> Vec<DateTime<Utc>> {
    (0..8)
        .map(|n| local(date, 18, 0) + Duration::minutes(30 * n))
        .collect()
}

fn instant(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|at| at.parse().ok())
        .expect("an RFC 3339 instant")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    remaining: i64,
}

fn slots_path(shop: &Shop, date: &str) -> String {
    format!("/stores/{}/slots?date={date}", shop.store)
}

/// `GET /stores/{id}/slots?date=` (answers 200).
async fn slots(app: &TestApp, shop: &Shop, date: NaiveDate) -> Vec<Slot> {
    let response = app
        .get_as(&shop.slug, &slots_path(shop, &date.to_string()))
        .await;
    let status = response.status();
    let body = json(response).await;
    assert_eq!(status, 200, "slots of {date}: {body}");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|slot| Slot {
            start: instant(&slot["start"]),
            end: instant(&slot["end"]),
            remaining: slot["remaining"].as_i64().expect("remaining"),
        })
        .collect()
}

/// Places left in the slot starting then (panics when it is not listed).
async fn remaining(app: &TestApp, shop: &Shop, start: DateTime<Utc>) -> i64 {
    let date = start.with_timezone(&Sao_Paulo).date_naive();
    slots(app, shop, date)
        .await
        .into_iter()
        .find(|slot| slot.start == start)
        .map(|slot| slot.remaining)
        .expect("the slot is listed")
}

/// A pizza delivered at `at`, for customer number `n`.
fn pre_order(shop: &Shop, at: DateTime<Utc>, n: u32) -> Value {
    let mut body = order_body(shop, json!([{"product_id": shop.pizza, "quantity": 1}]));
    body["customer"] =
        json!({"name": format!("Cliente {n}"), "phone": format!("(11) 98765-43{n:02}")});
    body["scheduled_for"] = json!(at.to_rfc3339());
    body
}

/// The error body, once its status and code are the expected ones.
async fn refused(response: reqwest::Response, status: u16, code: &str) -> Value {
    let got = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    assert_eq!((got, body["code"].as_str()), (status, Some(code)), "{body}");
    body
}

#[tokio::test]
async fn slots_of_a_day_follow_the_opening_hours_and_leave_out_past_and_lead_time_slots() {
    let app = spawn_app().await;
    let shop = shop(&app, "agenda-dia", 1).await;
    let store_path = format!("/admin/stores/{}", shop.store);
    for minutes in [0, 20, 45, 90] {
        let response = app
            .send(
                &shop.owner,
                Method::PATCH,
                &store_path,
                Some(json!({"slot_minutes": minutes, "slot_capacity": 2, "lead_minutes": 60})),
            )
            .await;
        let body = refused(response, 422, "validation_error").await;
        assert_eq!(
            body["errors"][0]["field"], "slot_minutes",
            "{minutes}: {body}"
        );
    }
    schedule(&app, &shop, 2).await;

    // Tomorrow and in 40 days: the whole evening, each slot with both places.
    for date in [today() + Duration::days(1), today() + Duration::days(40)] {
        let listed = slots(&app, &shop, date).await;
        assert_eq!(
            listed.iter().map(|slot| slot.start).collect::<Vec<_>>(),
            evening_starts(date),
            "{date}: {listed:?}"
        );
        for slot in &listed {
            assert_eq!(slot.end, slot.start + Duration::minutes(30), "{slot:?}");
            assert_eq!(slot.remaining, 2, "{slot:?}");
        }
        let first = listed.first().expect("a first slot").start;
        assert_eq!(
            first.with_timezone(&Sao_Paulo).format("%H:%M").to_string(),
            "18:00"
        );
    }

    // Today: only the slots an hour or more ahead (whatever the time the test runs at).
    let before = Utc::now();
    let date = before.with_timezone(&Sao_Paulo).date_naive();
    let listed = slots(&app, &shop, date).await;
    let after = Utc::now();
    let lead = Duration::minutes(60);
    let starts = evening_starts(date);
    for slot in &listed {
        assert!(starts.contains(&slot.start), "inside the hours: {slot:?}");
        assert!(
            slot.start >= before + lead,
            "no slot within the lead time: {slot:?}"
        );
        assert_eq!(slot.remaining, 2, "{slot:?}");
    }
    for start in starts.iter().filter(|start| **start > after + lead) {
        assert!(
            listed.iter().any(|slot| slot.start == *start),
            "{start} is far enough ahead: {listed:?}"
        );
    }

    for bad in ["2026-02-30", "amanha", "30/01/2026"] {
        let response = app.get_as(&shop.slug, &slots_path(&shop, bad)).await;
        assert_eq!(response.status(), 422, "date {bad:?}");
    }
}

#[tokio::test]
async fn a_preorder_names_a_slot_start_with_room_and_a_cancellation_frees_its_place() {
    let app = spawn_app_with(&[("RATE_LIMIT_ENABLED", "false")]).await;
    let shop = shop(&app, "agenda-lotada", 1).await;
    schedule(&app, &shop, 2).await;
    let tomorrow = today() + Duration::days(1);
    let seven = local(tomorrow, 19, 0);
    let half_past = seven + Duration::minutes(30);

    // Inside the hours but not a slot start.
    let off = pre_order(&shop, seven + Duration::minutes(13), 1);
    refused(
        post(&app, &shop, "/checkout", &off).await,
        422,
        "invalid_slot",
    )
    .await;
    assert_eq!(app.scalar_i64("SELECT count(*) FROM orders").await, 0);

    let first = created(post(&app, &shop, "/checkout", &pre_order(&shop, seven, 1)).await).await;
    assert_eq!(instant(&first["scheduled_for"]), seven, "{first}");
    created(post(&app, &shop, "/checkout", &pre_order(&shop, seven, 2)).await).await;
    refused(
        post(&app, &shop, "/checkout", &pre_order(&shop, seven, 3)).await,
        409,
        "slot_full",
    )
    .await;

    assert_eq!(remaining(&app, &shop, seven).await, 0);
    let evening = slots(&app, &shop, tomorrow).await;
    assert_eq!(evening.len(), 8, "a full slot is still listed: {evening:?}");
    for slot in evening.iter().filter(|slot| slot.start != seven) {
        assert_eq!(slot.remaining, 2, "{slot:?}");
    }
    // The next slot still takes orders.
    created(post(&app, &shop, "/checkout", &pre_order(&shop, half_past, 3)).await).await;
    assert_eq!(remaining(&app, &shop, half_past).await, 1);

    let cancelled = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/orders/{}/cancel", id(&first)),
            Some(json!({"reason": "Cliente desistiu"})),
        )
        .await;
    let status = cancelled.status();
    let body = json(cancelled).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(remaining(&app, &shop, seven).await, 1, "the place is back");

    created(post(&app, &shop, "/checkout", &pre_order(&shop, seven, 4)).await).await;
    assert_eq!(remaining(&app, &shop, seven).await, 0);
    refused(
        post(&app, &shop, "/checkout", &pre_order(&shop, seven, 5)).await,
        409,
        "slot_full",
    )
    .await;
}

#[tokio::test]
async fn concurrent_checkouts_for_a_slot_book_exactly_its_capacity() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_ENABLED", "false"),
        ("DATABASE_POOL_SIZE", "10"),
        ("DATABASE_POOL_TIMEOUT_SECONDS", "30"),
    ])
    .await;
    const CAPACITY: i64 = 3;
    const BUYERS: u32 = 10;
    let shop = shop(&app, "agenda-corrida", 1).await;
    schedule(&app, &shop, CAPACITY).await;
    let slot = local(today() + Duration::days(1), 20, 0);

    let requests = (0..BUYERS).map(|n| {
        let body = pre_order(&shop, slot, n);
        let (app, shop) = (&app, &shop);
        async move { post(app, shop, "/checkout", &body).await }
    });
    let responses = futures_util::future::join_all(requests).await;
    let mut placed = 0;
    let mut full = 0;
    for response in responses {
        match response.status().as_u16() {
            201 => placed += 1,
            409 => {
                let body = json(response).await;
                assert_eq!(body["code"], "slot_full", "{body}");
                full += 1;
            }
            other => panic!(
                "unexpected {other}: {}",
                response.text().await.unwrap_or_default()
            ),
        }
    }
    assert_eq!(placed, CAPACITY, "booked");
    assert_eq!(full, i64::from(BUYERS) - CAPACITY, "refused");
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM orders WHERE scheduled_for = '{}'",
            slot.to_rfc3339()
        ))
        .await,
        CAPACITY
    );
    assert_eq!(remaining(&app, &shop, slot).await, 0);
}
