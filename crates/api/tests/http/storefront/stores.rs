//! Stores through the API: created, edited, closed by hand or by their hours, limited,
//! validated, and out of another tenant's reach.

use chrono::{DurationRound, TimeDelta, Utc};
use reqwest::Method;

use crate::builders::storefront::{PNG, create_store, paulista_store, upload};
use crate::support::{json, spawn_app};

#[tokio::test]
async fn stores_are_created_edited_closed_by_hand_and_limited() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("lojas").await;
    app.sql("UPDATE tenants SET stores_limit = 1").await;
    let store = create_store(&app, &owner, paulista_store("Paulista")).await;
    assert_eq!(store["address"]["state"], "SP");
    assert_eq!(store["is_open"], true);
    let id = store["id"].as_str().expect("id");

    let second = app
        .send(
            &owner,
            Method::POST,
            "/admin/stores",
            Some(paulista_store("Segunda")),
        )
        .await;
    assert_eq!(second.status(), 409);
    assert_eq!(json(second).await["code"], "limit_reached");

    let closed = app
        .send(
            &owner,
            Method::PATCH,
            &format!("/admin/stores/{id}"),
            Some(serde_json::json!({"manually_closed": true, "phone": "+5511912345678"})),
        )
        .await;
    assert_eq!(closed.status(), 200);
    let public = json(app.get_as("lojas", "/stores").await).await;
    assert_eq!(public["items"][0]["is_open"], false);
    assert_eq!(public["items"][0]["phone"], "+5511912345678");

    let cleared = json(
        app.send(
            &owner,
            Method::PATCH,
            &format!("/admin/stores/{id}"),
            Some(serde_json::json!({"phone": null})),
        )
        .await,
    )
    .await;
    assert_eq!(cleared["phone"], serde_json::Value::Null);

    assert_eq!(
        app.send(&owner, Method::DELETE, &format!("/admin/stores/{id}"), None)
            .await
            .status(),
        204
    );
    assert_eq!(json(app.get_as("lojas", "/stores").await).await["total"], 0);
    let audit = json(
        app.send(&owner, Method::GET, "/admin/audit?entity_type=store", None)
            .await,
    )
    .await;
    assert_eq!(audit["total"], 4);
}

#[tokio::test]
async fn bad_store_input_is_a_validation_error() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("invalida").await;
    for (body, field) in [
        (
            serde_json::json!({"name": "X", "time_zone": "Mars/Base"}),
            "time_zone",
        ),
        (
            serde_json::json!({"name": "X", "latitude": 123.0}),
            "latitude",
        ),
        (
            serde_json::json!({"name": "X", "opening_hours": {"monday": [{"open": "10:00", "close": "10:00"}]}}),
            "opening_hours",
        ),
        (serde_json::json!({"name": "  "}), "name"),
    ] {
        let response = app
            .send(&owner, Method::POST, "/admin/stores", Some(body))
            .await;
        assert_eq!(response.status(), 422, "{field}");
        let body = json(response).await;
        assert!(
            body["errors"][0]["field"]
                .as_str()
                .is_some_and(|f| f.starts_with(field)),
            "{field}: {body}"
        );
    }
    assert_eq!(app.scalar_i64("SELECT count(*) FROM stores").await, 0);
}

#[tokio::test]
async fn a_store_closed_by_its_hours_says_when_it_opens_next() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("horario").await;
    let sao_paulo = chrono_tz::America::Sao_Paulo;
    let opens = (Utc::now() + TimeDelta::hours(2))
        .duration_trunc(TimeDelta::minutes(1))
        .expect("truncate");
    let closes = opens + TimeDelta::hours(1);
    let range = serde_json::json!([{
        "open": opens.with_timezone(&sao_paulo).format("%H:%M").to_string(),
        "close": closes.with_timezone(&sao_paulo).format("%H:%M").to_string(),
    }]);
    let days = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let hours: serde_json::Map<String, serde_json::Value> = days
        .iter()
        .map(|d| ((*d).to_owned(), range.clone()))
        .collect();
    create_store(
        &app,
        &owner,
        serde_json::json!({"name": "Noturna", "opening_hours": hours}),
    )
    .await;

    let store = &json(app.get_as("horario", "/stores").await).await["items"][0];
    assert_eq!(store["is_open"], false);
    let next: chrono::DateTime<Utc> = store["next_opening_at"]
        .as_str()
        .expect("next opening")
        .parse()
        .expect("instant");
    assert_eq!(next, opens);
}

#[tokio::test]
async fn another_tenants_stores_are_404_and_untouched() {
    let app = spawn_app().await;
    let mine = app.tenant_with_owner("minhaloja").await;
    let theirs = app.tenant_with_owner("outraloja").await;
    let their_store = create_store(&app, &theirs, paulista_store("Deles")).await;
    let id = their_store["id"].as_str().expect("id");
    for (method, path, body) in [
        (Method::GET, format!("/admin/stores/{id}"), None),
        (
            Method::PATCH,
            format!("/admin/stores/{id}"),
            Some(serde_json::json!({"name": "hacked"})),
        ),
        (Method::DELETE, format!("/admin/stores/{id}"), None),
        (
            Method::GET,
            format!("/admin/shipping/stores/{id}/bands"),
            None,
        ),
        (
            Method::PUT,
            format!("/admin/shipping/stores/{id}/bands"),
            Some(serde_json::json!({"bands": []})),
        ),
    ] {
        let response = app.send(&mine, method.clone(), &path, body).await;
        assert_eq!(response.status(), 404, "{method} {path}");
    }
    let image = upload(
        &app,
        &mine,
        &format!("/admin/stores/{id}/image"),
        "a.png",
        PNG.to_vec(),
        "image/png",
    )
    .await;
    assert_eq!(image.status(), 404);
    assert_eq!(
        app.get_as("minhaloja", &format!("/catalog?store_id={id}"))
            .await
            .status(),
        404
    );
    assert_eq!(app.scalar_text("SELECT name FROM stores").await, "Deles");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM stores WHERE is_active AND image_url IS NULL")
            .await,
        1
    );
}
