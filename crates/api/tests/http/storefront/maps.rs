//! Maps a new operator can still turn on (SPEC §6): Google's Routes API (and the legacy
//! Distance Matrix when chosen), Nominatim asked politely, and the CEP lookup, all against stub
//! servers.

use std::time::Duration;

use comanda_testkit::{StubResponse, StubServer};
use serde_json::{Value, json};

use crate::builders::shop::{Shop, shop};
use crate::support::{TestApp, json, spawn_app_with};

fn quote_body(shop: &Shop, number: &str, point: bool) -> Value {
    let mut body = json!({
        "store_id": shop.store,
        "address": {"cep": "01310-200", "street": "Avenida Paulista", "number": number,
                    "district": "Bela Vista", "city": "São Paulo", "state": "SP"}
    });
    if point {
        body["lat"] = json!(-23.5700);
        body["lng"] = json!(-46.6450);
    }
    body
}

async fn quote(app: &TestApp, shop: &Shop, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/shipping/quote"))
        .header("X-Tenant", &shop.slug)
        .json(body)
        .send()
        .await
        .expect("sent")
}

fn route(meters: u32, condition: &str) -> StubResponse {
    StubResponse::json(
        200,
        json!([{"originIndex": 0, "destinationIndex": 0, "status": {}, "distanceMeters": meters, "condition": condition}]),
    )
}

#[tokio::test]
async fn the_routes_api_prices_quotes_with_driving_distances() {
    let routes = StubServer::start(vec![route(4200, "ROUTE_EXISTS")]).await;
    let app = spawn_app_with(&[
        ("GOOGLE_MAPS_API_KEY", "AIzaSyRoutesKeyRoutesKey"),
        ("GOOGLE_ROUTES_BASE_URL", &routes.base_url),
    ])
    .await;
    let shop = shop(&app, "rotas", 5).await;
    let quoted = json(quote(&app, &shop, &quote_body(&shop, "2000", true)).await).await;
    assert_eq!(quoted["source"], "google", "{quoted}");
    assert_eq!(quoted["distance_km"], 4.2);
    assert_eq!(quoted["fee_cents"], 900, "4.2 km is the second band");
    let asked = routes.requests();
    assert_eq!(asked.len(), 1);
    let asked = &asked[0];
    assert_eq!(asked.method, "POST");
    assert_eq!(asked.path, "/distanceMatrix/v2:computeRouteMatrix");
    assert_eq!(
        asked.header("x-goog-api-key"),
        Some("AIzaSyRoutesKeyRoutesKey")
    );
    let mask = asked.header("x-goog-fieldmask").expect("a field mask");
    assert!(
        mask.contains("distanceMeters") && mask.contains("condition"),
        "{mask}"
    );
    assert!(!mask.contains('*'), "only the fields used");
    let body: Value = serde_json::from_slice(&asked.body).expect("JSON");
    assert_eq!(body["travelMode"], "DRIVE");
    assert_eq!(
        body["destinations"][0]["waypoint"]["location"]["latLng"]["latitude"],
        -23.57
    );
}

#[tokio::test]
async fn a_route_not_found_or_a_refused_key_falls_back_to_the_straight_line() {
    let routes = StubServer::start(vec![
        route(0, "ROUTE_NOT_FOUND"),
        StubResponse::json(
            403,
            json!({"error": {"code": 403, "status": "PERMISSION_DENIED"}}),
        ),
    ])
    .await;
    let app = spawn_app_with(&[
        ("GOOGLE_MAPS_API_KEY", "AIzaSyRoutesKeyRoutesKey"),
        ("GOOGLE_ROUTES_BASE_URL", &routes.base_url),
    ])
    .await;
    let shop = shop(&app, "sem-rota", 5).await;
    // Three points (distances are kept per point): no route, a refused key, a refused key.
    for (index, number) in ["2000", "2001", "2002"].into_iter().enumerate() {
        let mut body = quote_body(&shop, number, true);
        body["lat"] = json!(-23.5700 + 0.001 * index as f64);
        let quoted = json(quote(&app, &shop, &body).await).await;
        assert_eq!(quoted["source"], "coordinates", "{quoted}");
        assert_eq!(quoted["fee_cents"], 500);
    }
    assert_eq!(routes.requests().len(), 3);
}

#[tokio::test]
async fn the_legacy_distance_matrix_still_works_when_chosen() {
    let google = StubServer::start(vec![StubResponse::json(
        200,
        json!({"status": "OK", "rows": [{"elements": [{"status": "OK", "distance": {"value": 6100}}]}]}),
    )])
    .await;
    // Chosen by name, or by a deployment that only ever set GOOGLE_MAPS_BASE_URL.
    let app = spawn_app_with(&[
        ("GOOGLE_MAPS_API_KEY", "AIzaSyLegacyKeyLegacyKey"),
        ("GOOGLE_MAPS_ROUTING_API", "distance_matrix"),
        ("GOOGLE_MAPS_BASE_URL", &google.base_url),
    ])
    .await;
    let implied = spawn_app_with(&[
        ("GOOGLE_MAPS_API_KEY", "AIzaSyLegacyKeyLegacyKey"),
        ("GOOGLE_MAPS_BASE_URL", &google.base_url),
    ])
    .await;
    assert_eq!(
        implied.settings.maps.routing_api,
        comanda_config::RoutingApi::DistanceMatrix
    );
    let shop = shop(&app, "legado", 5).await;
    let quoted = json(quote(&app, &shop, &quote_body(&shop, "2000", true)).await).await;
    assert_eq!(
        (quoted["source"].clone(), quoted["distance_km"].clone()),
        (json!("google"), json!(6.1))
    );
    assert_eq!(google.requests()[0].path, "/maps/api/distancematrix/json");
}

#[tokio::test]
async fn nominatim_is_asked_politely_once_a_second_and_answers_are_kept() {
    let nominatim = StubServer::start(vec![StubResponse::json(
        200,
        json!([{"lat": "-23.5700", "lon": "-46.6450"}]),
    )])
    .await;
    let app = spawn_app_with(&[
        ("NOMINATIM_BASE_URL", &nominatim.base_url),
        ("NOMINATIM_CONTACT", "operacao@comanda.example"),
        ("RATE_LIMIT_ENABLED", "false"),
    ])
    .await;
    let shop = shop(&app, "educado", 5).await;
    // Four addresses at once: one a second, and a caller that would wait over 2 s gives up.
    let bodies: Vec<Value> = ["10", "20", "30", "40"]
        .iter()
        .map(|number| quote_body(&shop, number, false))
        .collect();
    let answers =
        futures_util::future::join_all(bodies.iter().map(|body| quote(&app, &shop, body))).await;
    let mut statuses: Vec<u16> = answers.iter().map(|a| a.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 200, 200, 422]);
    for answer in answers {
        if answer.status() == 422 {
            assert_eq!(json(answer).await["code"], "address_not_found");
        }
    }
    let asked = nominatim.requests();
    assert_eq!(asked.len(), 3);
    let agent = format!(
        "Comanda/{} (operacao@comanda.example)",
        env!("CARGO_PKG_VERSION")
    );
    assert!(
        asked
            .iter()
            .all(|r| r.header("user-agent") == Some(agent.as_str()))
    );
    let mut times: Vec<_> = asked.iter().map(|r| r.received_at).collect();
    times.sort();
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        println!("gap between Nominatim requests: {gap:?}");
        assert!(gap >= Duration::from_millis(950), "{gap:?}");
    }
    // The same address again is answered from what was kept.
    let again = quote(&app, &shop, &bodies[0]).await;
    if again.status() == 200 {
        assert_eq!(nominatim.requests().len(), 3);
    }
}

#[tokio::test]
async fn a_cep_fills_in_an_address() {
    let viacep = StubServer::start(vec![
        StubResponse::json(
            200,
            json!({"cep": "01310-100", "logradouro": "Avenida Paulista", "complemento": "até 610 - lado par",
                   "bairro": "Bela Vista", "localidade": "São Paulo", "uf": "SP", "ibge": "3550308"}),
        ),
        StubResponse::json(200, json!({"erro": true})),
        StubResponse {
            status: 200,
            body: "<html>not json</html>".into(),
            content_type: "text/html",
        },
    ])
    .await;
    let app = spawn_app_with(&[("CEP_LOOKUP_BASE_URL", &viacep.base_url)]).await;
    let found = app.get("/address/01310-100").await;
    assert_eq!(found.status(), 200);
    assert_eq!(
        json(found).await,
        json!({"cep": "01310-100", "street": "Avenida Paulista", "district": "Bela Vista", "city": "São Paulo", "state": "SP"})
    );
    assert_eq!(viacep.requests()[0].path, "/01310100/json/");
    // Kept for a day: asking again does not ask the directory.
    assert_eq!(app.get("/address/01310100").await.status(), 200);
    assert_eq!(viacep.requests().len(), 1);

    let unknown = app.get("/address/99999-999").await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(json(unknown).await["code"], "cep_not_found");
    let malformed = app.get("/address/1234").await;
    assert_eq!(malformed.status(), 422);
    assert_eq!(json(malformed).await["code"], "invalid_address");
    assert_eq!(viacep.requests().len(), 2, "a malformed CEP is not asked");
    let garbled = app.get("/address/04003-000").await;
    assert_eq!(garbled.status(), 503);

    let down = spawn_app_with(&[("CEP_LOOKUP_BASE_URL", "http://127.0.0.1:1")]).await;
    assert_eq!(down.get("/address/01310-100").await.status(), 503);
}
