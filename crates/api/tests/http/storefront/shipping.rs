//! Delivery bands and shipping quotes against stub Google Distance Matrix and Nominatim
//! servers.

use comanda_testkit::{StubResponse, StubServer};
use reqwest::Method;

use crate::builders::storefront::{create_store, paulista_store};
use crate::support::{Session, TestApp, json, spawn_app_with};

async fn shipping_app(
    google: Option<&StubServer>,
    nominatim: &StubServer,
) -> (TestApp, Session, String) {
    let mut vars = vec![("NOMINATIM_BASE_URL", nominatim.base_url.as_str())];
    if let Some(google) = google {
        vars.push(("GOOGLE_MAPS_BASE_URL", google.base_url.as_str()));
        vars.push(("GOOGLE_MAPS_API_KEY", "test-key"));
    }
    let app = spawn_app_with(&vars).await;
    let owner = app.tenant_with_owner("frete").await;
    let store = create_store(&app, &owner, paulista_store("Paulista")).await;
    let store_id = store["id"].as_str().expect("id").to_owned();
    let bands = app
        .send(
            &owner,
            Method::PUT,
            &format!("/admin/shipping/stores/{store_id}/bands"),
            Some(serde_json::json!({"bands": [
                {"max_km": 2, "fee_cents": 500, "eta_minutes": 30},
                {"max_km": 5, "fee_cents": 800, "eta_minutes": 40},
                {"max_km": 8, "fee_cents": 1200, "eta_minutes": 55}
            ]})),
        )
        .await;
    assert_eq!(bands.status(), 200);
    (app, owner, store_id)
}

fn quote_body(store_id: &str, cep: &str, coordinates: Option<(f64, f64)>) -> serde_json::Value {
    let mut body = serde_json::json!({
        "store_id": store_id,
        "address": {"cep": cep, "street": "Rua Augusta", "number": "500", "district": "Consolação", "city": "São Paulo", "state": "SP"}
    });
    if let Some((lat, lng)) = coordinates {
        body["lat"] = lat.into();
        body["lng"] = lng.into();
    }
    body
}

async fn quote(app: &TestApp, body: serde_json::Value) -> reqwest::Response {
    app.client
        .post(app.url("/shipping/quote"))
        .header("X-Tenant", "frete")
        .json(&body)
        .send()
        .await
        .expect("sent")
}

fn google_meters(meters: u32) -> StubResponse {
    StubResponse::json(
        200,
        serde_json::json!({"status": "OK", "rows": [{"elements": [{"status": "OK", "distance": {"value": meters}, "duration": {"value": 600}}]}]}),
    )
}

#[tokio::test]
async fn bands_are_validated() {
    let nominatim = StubServer::start(vec![]).await;
    let (app, owner, store_id) = shipping_app(None, &nominatim).await;
    for bands in [
        serde_json::json!([{"max_km": 5, "fee_cents": 500, "eta_minutes": 30}, {"max_km": 3, "fee_cents": 800, "eta_minutes": 40}]),
        serde_json::json!([{"max_km": 5, "fee_cents": -1, "eta_minutes": 30}]),
        serde_json::json!([{"max_km": 5, "fee_cents": 1, "eta_minutes": 0}]),
    ] {
        let response = app
            .send(
                &owner,
                Method::PUT,
                &format!("/admin/shipping/stores/{store_id}/bands"),
                Some(serde_json::json!({"bands": bands})),
            )
            .await;
        assert_eq!(response.status(), 422, "{bands}");
    }
    let kept = json(
        app.send(
            &owner,
            Method::GET,
            &format!("/admin/shipping/stores/{store_id}/bands"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(kept["total"], 3, "the valid bands were kept");
}

#[tokio::test]
async fn google_distances_price_by_band_with_edges_inclusive() {
    let google = StubServer::start(vec![google_meters(5000)]).await;
    let nominatim = StubServer::start(vec![]).await;
    let (app, _owner, store_id) = shipping_app(Some(&google), &nominatim).await;

    let on_edge = quote(&app, quote_body(&store_id, "01305-000", None)).await;
    assert_eq!(on_edge.status(), 200);
    let body = json(on_edge).await;
    assert_eq!(body["distance_km"], 5.0);
    assert_eq!(
        body["fee_cents"], 800,
        "exactly on max_km is inside the band"
    );
    assert_eq!(body["eta_minutes"], 40);
    assert_eq!(body["source"], "google");
    let request = &google.requests()[0];
    assert_eq!(request.path, "/maps/api/distancematrix/json");
    assert_eq!(
        request.query_param("origins").as_deref(),
        Some("-23.5614,-46.6559")
    );
    assert_eq!(request.query_param("key").as_deref(), Some("test-key"));
    assert!(
        request
            .query_param("destinations")
            .is_some_and(|d| d.contains("Rua Augusta"))
    );

    google.respond_with(vec![google_meters(8001)]);
    let beyond = quote(&app, quote_body(&store_id, "01414-000", None)).await;
    assert_eq!(beyond.status(), 422);
    assert_eq!(json(beyond).await["code"], "out_of_delivery_area");
    assert!(nominatim.requests().is_empty());
}

#[tokio::test]
async fn failing_google_falls_back_to_nominatim_and_says_so() {
    let google = StubServer::start(vec![StubResponse::json(
        500,
        serde_json::json!({"error": "boom"}),
    )])
    .await;
    // About 1.4 km from the store.
    let nominatim = StubServer::start(vec![StubResponse::json(
        200,
        serde_json::json!([{"lat": "-23.5530", "lon": "-46.6480"}]),
    )])
    .await;
    let (app, _owner, store_id) = shipping_app(Some(&google), &nominatim).await;
    let response = quote(&app, quote_body(&store_id, "01305-000", None)).await;
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    assert_eq!(body["source"], "nominatim");
    assert_eq!(body["fee_cents"], 500);
    assert!(
        body["distance_km"]
            .as_f64()
            .is_some_and(|km| (1.0..2.0).contains(&km)),
        "{body}"
    );
    let lookup = &nominatim.requests()[0];
    assert_eq!(
        lookup.query_param("postalcode").as_deref(),
        Some("01305-000")
    );
    assert!(
        lookup
            .header("user-agent")
            .is_some_and(|agent| agent.starts_with("Comanda/")),
        "Nominatim's policy: an identifying User-Agent (SPEC §6)"
    );
}

#[tokio::test]
async fn nominatim_finding_nothing_is_invalid_address() {
    let nominatim = StubServer::start(vec![StubResponse::json(200, serde_json::json!([]))]).await;
    let (app, _owner, store_id) = shipping_app(None, &nominatim).await;
    let response = quote(&app, quote_body(&store_id, "01305-000", None)).await;
    assert_eq!(response.status(), 422);
    assert_eq!(json(response).await["code"], "invalid_address");
}

#[tokio::test]
async fn a_bad_cep_is_invalid_address_without_calling_anyone() {
    let nominatim = StubServer::start(vec![]).await;
    let (app, _owner, store_id) = shipping_app(None, &nominatim).await;
    // With the client's coordinates or without (when geocoding would be needed), the CEP is
    // judged first.
    for point in [Some((-23.56, -46.65)), None] {
        let response = quote(&app, quote_body(&store_id, "123", point)).await;
        assert_eq!(response.status(), 422);
        assert_eq!(json(response).await["code"], "invalid_address");
    }
    assert!(nominatim.requests().is_empty());
}

#[tokio::test]
async fn client_coordinates_skip_geocoding_and_quotes_are_cached() {
    let nominatim = StubServer::start(vec![StubResponse::json(
        200,
        serde_json::json!([{"lat": "-23.5530", "lon": "-46.6480"}]),
    )])
    .await;
    let (app, _owner, store_id) = shipping_app(None, &nominatim).await;
    let by_point = json(
        quote(
            &app,
            quote_body(&store_id, "01305-000", Some((-23.5700, -46.6450))),
        )
        .await,
    )
    .await;
    assert_eq!(by_point["source"], "coordinates");
    assert!(nominatim.requests().is_empty());

    for _ in 0..3 {
        let cached = quote(&app, quote_body(&store_id, "01305000", None)).await;
        assert_eq!(cached.status(), 200);
    }
    assert_eq!(
        nominatim.requests().len(),
        1,
        "the same address is geocoded once"
    );
}

#[tokio::test]
async fn quotes_need_a_delivering_store_of_the_tenant() {
    let nominatim = StubServer::start(vec![]).await;
    let (app, owner, store_id) = shipping_app(None, &nominatim).await;
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_eq!(
        quote(
            &app,
            quote_body(&unknown, "01305-000", Some((-23.57, -46.64)))
        )
        .await
        .status(),
        404
    );
    app.send(
        &owner,
        Method::PATCH,
        &format!("/admin/stores/{store_id}"),
        Some(serde_json::json!({"delivery_enabled": false})),
    )
    .await;
    let response = quote(
        &app,
        quote_body(&store_id, "01305-000", Some((-23.57, -46.64))),
    )
    .await;
    assert_eq!(response.status(), 422);
    assert_eq!(json(response).await["code"], "delivery_unavailable");
}
