//! Delivery areas (SPEC §20): a store's areas by neighbourhood or drawn polygon, each with its
//! own fee, minimum order, free-shipping threshold and time; quotes and checkouts priced by a
//! polygon holding the point, else a neighbourhood naming the district, else the distance
//! bands; and the stores that deliver to a point, quickest first.

use reqwest::Method;
use serde_json::{Value, json};

use crate::builders::shop::{Shop, created, id, order_body, post, shop};
use crate::support::{TestApp, json, spawn_app, spawn_app_with};

/// The customer's point in `order_body`: about 1.4 km from the store (its 3 km band: 500
/// cents, 30 minutes).
const CUSTOMER: (f64, f64) = (-23.5700, -46.6450);
/// About 1.2 km from the store (the 3 km band too), outside a square of 0.01 degrees
/// around `CUSTOMER`.
const NEARBY: (f64, f64) = (-23.5530, -46.6480);

fn areas_path(shop: &Shop) -> String {
    format!("/admin/stores/{}/delivery-areas", shop.store)
}

fn area_path(shop: &Shop, area: &str) -> String {
    format!("/admin/stores/{}/delivery-areas/{area}", shop.store)
}

async fn add_area(app: &TestApp, shop: &Shop, body: Value) -> Value {
    created(
        app.send(&shop.owner, Method::POST, &areas_path(shop), Some(body))
            .await,
    )
    .await
}

/// A neighbourhood area of São Paulo.
fn neighbourhood(name: &str, districts: &[&str], fee_cents: i64, eta_minutes: i64) -> Value {
    json!({
        "kind": "neighbourhood", "name": name, "city": "São Paulo", "districts": districts,
        "fee_cents": fee_cents, "min_order_cents": 0, "free_above_cents": null,
        "eta_minutes": eta_minutes
    })
}

/// A GeoJSON square ring of `half` degrees either side of `(lat, lng)`, `[lng, lat]` positions.
fn square_ring((lat, lng): (f64, f64), half: f64) -> Value {
    json!([
        [lng - half, lat - half],
        [lng + half, lat - half],
        [lng + half, lat + half],
        [lng - half, lat + half],
        [lng - half, lat - half]
    ])
}

fn square((lat, lng): (f64, f64), half: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [square_ring((lat, lng), half)]})
}

fn polygon_area(name: &str, polygon: Value, fee_cents: i64, eta_minutes: i64) -> Value {
    json!({
        "kind": "polygon", "name": name, "polygon": polygon,
        "fee_cents": fee_cents, "min_order_cents": 0, "free_above_cents": null,
        "eta_minutes": eta_minutes
    })
}

/// An address in this district of São Paulo.
fn address(district: &str) -> Value {
    json!({"cep": "01310-200", "street": "Avenida Paulista", "number": "2000",
           "district": district, "city": "São Paulo", "state": "SP"})
}

/// `POST /shipping/quote` for the store at this point and district (answers 200).
async fn quote(app: &TestApp, shop: &Shop, (lat, lng): (f64, f64), district: &str) -> Value {
    let response = post(
        app,
        shop,
        "/shipping/quote",
        &json!({"store_id": shop.store, "address": address(district), "lat": lat, "lng": lng}),
    )
    .await;
    let status = response.status();
    let body = json(response).await;
    assert_eq!(status, 200, "quote at ({lat}, {lng}) in {district}: {body}");
    body
}

/// `(source, area_id, fee_cents, eta_minutes)` of a quote.
fn terms(quote: &Value) -> (Value, Value, Value, Value) {
    (
        quote["source"].clone(),
        // Absent or null: the bands priced it.
        quote.get("area_id").cloned().unwrap_or(Value::Null),
        quote["fee_cents"].clone(),
        quote["eta_minutes"].clone(),
    )
}

fn pizzas(shop: &Shop, quantity: u32) -> Value {
    json!([{"product_id": shop.pizza, "quantity": quantity}])
}

/// A delivery checkout of these items at `CUSTOMER`, in `district`.
fn delivery_in(shop: &Shop, district: &str, items: Value) -> Value {
    let mut body = order_body(shop, items);
    body["address"] = address(district);
    body
}

async fn place(app: &TestApp, shop: &Shop, body: &Value) -> Value {
    created(post(app, shop, "/checkout", body).await).await
}

async fn status_and_body(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn a_neighbourhood_area_prices_the_quote_and_the_order_whatever_the_case_and_accents() {
    let app = spawn_app().await;
    let shop = shop(&app, "area-bairro", 5).await;
    let area = add_area(
        &app,
        &shop,
        neighbourhood("Centro expandido", &["Paraíso", "bela vísta"], 700, 40),
    )
    .await;
    assert_eq!(area["store_id"], shop.store.as_str(), "{area}");
    assert_eq!(area["kind"], "neighbourhood");
    assert_eq!(area["name"], "Centro expandido");
    assert_eq!(area["city"], "São Paulo");
    assert_eq!(area["districts"], json!(["Paraíso", "bela vísta"]));
    assert_eq!(area["polygon"], Value::Null);
    assert_eq!(
        (
            &area["fee_cents"],
            &area["min_order_cents"],
            &area["free_above_cents"],
            &area["eta_minutes"]
        ),
        (&json!(700), &json!(0), &Value::Null, &json!(40))
    );
    let area_id = id(&area);

    // "Bela Vista" is "bela vísta": the area prices it.
    let in_area = quote(&app, &shop, CUSTOMER, "Bela Vista").await;
    assert_eq!(
        terms(&in_area),
        (json!("area"), json!(area_id), json!(700), json!(40)),
        "{in_area}"
    );
    let shouted = quote(&app, &shop, CUSTOMER, "BELA VISTA").await;
    assert_eq!(shouted["area_id"], area_id.as_str(), "{shouted}");
    // Another district at the same point: the distance bands.
    let outside = quote(&app, &shop, CUSTOMER, "Consolação").await;
    assert_eq!(
        terms(&outside),
        (json!("coordinates"), Value::Null, json!(500), json!(30)),
        "{outside}"
    );

    let order = place(&app, &shop, &order_body(&shop, pizzas(&shop, 1))).await;
    assert_eq!(order["delivery"]["source"], "area", "{order}");
    assert_eq!(order["delivery"]["fee_cents"], 700);
    assert_eq!(order["delivery"]["eta_minutes"], 40);
    assert_eq!(order["shipping_fee_cents"], 700);
    assert_eq!(order["total_cents"], 5700);
    let banded = place(
        &app,
        &shop,
        &delivery_in(&shop, "Consolação", pizzas(&shop, 1)),
    )
    .await;
    assert_eq!(banded["delivery"]["source"], "coordinates", "{banded}");
    assert_eq!(banded["shipping_fee_cents"], 500);
}

#[tokio::test]
async fn a_polygon_area_wins_over_a_neighbourhood_area_and_the_bands() {
    let app = spawn_app().await;
    let shop = shop(&app, "area-poligono", 5).await;
    // The neighbourhood first: precedence is by kind, not by age.
    let district = id(&add_area(
        &app,
        &shop,
        neighbourhood("Bela Vista", &["Bela Vista"], 700, 40),
    )
    .await);
    let drawn = add_area(
        &app,
        &shop,
        polygon_area("Quadra", square(CUSTOMER, 0.01), 300, 20),
    )
    .await;
    assert_eq!(drawn["kind"], "polygon", "{drawn}");
    assert_eq!(drawn["polygon"]["type"], "Polygon");
    let drawn = id(&drawn);

    // Inside the polygon and in the neighbourhood: the polygon.
    let inside = quote(&app, &shop, CUSTOMER, "Bela Vista").await;
    assert_eq!(
        terms(&inside),
        (json!("area"), json!(drawn), json!(300), json!(20)),
        "{inside}"
    );
    // Inside the polygon, whatever the district.
    let elsewhere = quote(&app, &shop, CUSTOMER, "Consolação").await;
    assert_eq!(elsewhere["area_id"], drawn.as_str(), "{elsewhere}");
    // Outside the polygon, in the neighbourhood: the neighbourhood.
    let near = quote(&app, &shop, NEARBY, "Bela Vista").await;
    assert_eq!(
        terms(&near),
        (json!("area"), json!(district), json!(700), json!(40)),
        "{near}"
    );
    // Outside both: the distance bands.
    let banded = quote(&app, &shop, NEARBY, "Consolação").await;
    assert_eq!(
        terms(&banded),
        (json!("coordinates"), Value::Null, json!(500), json!(30)),
        "{banded}"
    );

    let order = place(&app, &shop, &order_body(&shop, pizzas(&shop, 1))).await;
    assert_eq!(order["delivery"]["source"], "area", "{order}");
    assert_eq!(order["delivery"]["fee_cents"], 300);
    assert_eq!(order["delivery"]["eta_minutes"], 20);
    assert_eq!(order["shipping_fee_cents"], 300);
}

#[tokio::test]
async fn an_area_minimum_is_enforced_at_checkout_and_its_free_above_ships_free() {
    let app = spawn_app().await;
    let shop = shop(&app, "area-minimo", 5).await;
    let area = id(&add_area(
        &app,
        &shop,
        json!({
            "kind": "neighbourhood", "name": "Bela Vista", "city": "São Paulo",
            "districts": ["Bela Vista"], "fee_cents": 700, "min_order_cents": 7000,
            "free_above_cents": 10000, "eta_minutes": 40
        }),
    )
    .await);

    // A pizza with its crust: 5,900 cents, below the area's 7,000.
    let small = order_body(
        &shop,
        json!([{"product_id": shop.pizza, "quantity": 1,
                "addons": [{"addon_id": shop.crust, "quantity": 1}]}]),
    );
    let (status, refused) = status_and_body(post(&app, &shop, "/checkout", &small).await).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["code"], "below_minimum", "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("7000")),
        "the detail names the minimum: {refused}"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM orders").await,
        0,
        "nothing was placed"
    );

    // 7,100 cents: at least the minimum, below the free threshold.
    let enough = order_body(
        &shop,
        json!([{"product_id": shop.pizza, "quantity": 1,
                "addons": [{"addon_id": shop.crust, "quantity": 1}]},
               {"product_id": shop.dessert, "quantity": 1}]),
    );
    let order = place(&app, &shop, &enough).await;
    assert_eq!(order["subtotal_cents"], 7100, "{order}");
    assert_eq!(order["shipping_fee_cents"], 700);
    assert_eq!(order["total_cents"], 7800);

    // Two pizzas: 10,000 cents, exactly the threshold, ship free.
    let order = place(&app, &shop, &order_body(&shop, pizzas(&shop, 2))).await;
    assert_eq!(order["subtotal_cents"], 10000, "{order}");
    assert_eq!(order["shipping_fee_cents"], 0);
    assert_eq!(order["total_cents"], 10000);
    assert_eq!(order["delivery"]["source"], "area");

    // The minimum is the area's: outside it, one pizza is enough.
    let outside = place(
        &app,
        &shop,
        &delivery_in(&shop, "Consolação", pizzas(&shop, 1)),
    )
    .await;
    assert_eq!(outside["delivery"]["source"], "coordinates", "{outside}");
    assert_eq!(outside["shipping_fee_cents"], 500);

    // Without its threshold, the area charges its fee again.
    let patched = app
        .send(
            &shop.owner,
            Method::PATCH,
            &area_path(&shop, &area),
            Some(json!({"free_above_cents": null})),
        )
        .await;
    let (status, patched) = status_and_body(patched).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["free_above_cents"], Value::Null);
    assert_eq!(patched["min_order_cents"], 7000, "the rest is kept");
    let order = place(&app, &shop, &order_body(&shop, pizzas(&shop, 2))).await;
    assert_eq!(order["shipping_fee_cents"], 700, "{order}");
    assert_eq!(order["total_cents"], 10700);
}

#[tokio::test]
async fn invalid_polygons_are_refused_with_their_reason() {
    let app = spawn_app().await;
    let shop = shop(&app, "area-invalida", 1).await;
    let (lat, lng) = CUSTOMER;
    let open = json!([
        [lng - 0.01, lat - 0.01],
        [lng + 0.01, lat - 0.01],
        [lng + 0.01, lat + 0.01],
        [lng - 0.01, lat + 0.01]
    ]);
    // Its first and third sides cross.
    let bow_tie = json!([
        [lng - 0.01, lat - 0.01],
        [lng + 0.01, lat + 0.01],
        [lng + 0.01, lat - 0.01],
        [lng - 0.01, lat + 0.01],
        [lng - 0.01, lat - 0.01]
    ]);
    let too_few = json!([
        [lng - 0.01, lat - 0.01],
        [lng + 0.01, lat - 0.01],
        [lng - 0.01, lat - 0.01]
    ]);
    // A circle of 2,000 points and its first again: 2,001 positions.
    let mut circle: Vec<Value> = (0..2000_u32)
        .map(|n| {
            let angle = f64::from(n) * std::f64::consts::TAU / 2000.0;
            json!([lng + 0.01 * angle.cos(), lat + 0.01 * angle.sin()])
        })
        .collect();
    circle.push(circle.first().cloned().expect("a first point"));
    let cases = [
        (open, "not closed"),
        (bow_tie, "crosses itself"),
        (too_few, "at least 4 positions"),
        (Value::Array(circle), "at most 2000 positions"),
    ];
    for (ring, reason) in cases {
        let body = polygon_area(
            "Errada",
            json!({"type": "Polygon", "coordinates": [ring]}),
            300,
            20,
        );
        let response = app
            .send(&shop.owner, Method::POST, &areas_path(&shop), Some(body))
            .await;
        let (status, refused) = status_and_body(response).await;
        assert_eq!(status, 422, "{reason}: {refused}");
        assert_eq!(refused["code"], "validation_error", "{reason}: {refused}");
        assert_eq!(
            refused["errors"][0]["field"], "polygon",
            "{reason}: {refused}"
        );
        let message = refused["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase();
        assert!(message.contains(reason), "{reason}: {refused}");
    }

    // Not a Polygon or MultiPolygon, or no shape at all.
    for body in [
        polygon_area(
            "Ponto",
            json!({"type": "Point", "coordinates": [lng, lat]}),
            300,
            20,
        ),
        json!({"kind": "polygon", "name": "Sem desenho", "fee_cents": 300, "eta_minutes": 20}),
    ] {
        let response = app
            .send(&shop.owner, Method::POST, &areas_path(&shop), Some(body))
            .await;
        let (status, refused) = status_and_body(response).await;
        assert_eq!(status, 422, "{refused}");
        assert_eq!(refused["errors"][0]["field"], "polygon", "{refused}");
    }

    let listed = json(
        app.send(&shop.owner, Method::GET, &areas_path(&shop), None)
            .await,
    )
    .await;
    assert_eq!(listed["items"], json!([]), "nothing was saved");
}

#[tokio::test]
async fn delivery_areas_are_listed_read_changed_and_deleted_by_their_own_tenant_only() {
    let app = spawn_app_with(&[("RATE_LIMIT_ENABLED", "false")]).await;
    let shop = shop(&app, "area-crud", 1).await;
    let other = crate::builders::shop::shop(&app, "area-vizinha", 1).await;
    let district = add_area(
        &app,
        &shop,
        neighbourhood("Bela Vista", &["Bela Vista"], 700, 40),
    )
    .await;
    let district_id = id(&district);
    // Two squares far from the customer: in Rio and in Santos.
    let multi = json!({"type": "MultiPolygon", "coordinates": [
        [square_ring((-22.9068, -43.1729), 0.01)],
        [square_ring((-23.9608, -46.3336), 0.01)]
    ]});
    let drawn = add_area(&app, &shop, polygon_area("Litoral", multi, 1500, 90)).await;
    assert_eq!(drawn["polygon"]["type"], "MultiPolygon", "{drawn}");
    let drawn_id = id(&drawn);

    let listed = json(
        app.send(&shop.owner, Method::GET, &areas_path(&shop), None)
            .await,
    )
    .await;
    let mut ids: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|area| area["id"].as_str())
        .collect();
    ids.sort_unstable();
    let mut expected = vec![district_id.as_str(), drawn_id.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected, "{listed}");

    let read = app
        .send(
            &shop.owner,
            Method::GET,
            &area_path(&shop, &district_id),
            None,
        )
        .await;
    let (status, read) = status_and_body(read).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read, district);

    let patched = app
        .send(
            &shop.owner,
            Method::PATCH,
            &area_path(&shop, &district_id),
            Some(json!({"fee_cents": 800})),
        )
        .await;
    let (status, patched) = status_and_body(patched).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["fee_cents"], 800);
    assert_eq!(
        (
            &patched["kind"],
            &patched["districts"],
            &patched["eta_minutes"]
        ),
        (&json!("neighbourhood"), &json!(["Bela Vista"]), &json!(40)),
        "the rest is kept"
    );
    let priced = quote(&app, &shop, CUSTOMER, "Bela Vista").await;
    assert_eq!(priced["fee_cents"], 800, "{priced}");

    // Another tenant's owner finds neither the store's areas nor an area.
    let theirs = |method: Method, path: String, body: Option<Value>| {
        let (app, other) = (&app, &other);
        async move { app.send(&other.owner, method, &path, body).await.status() }
    };
    assert_eq!(theirs(Method::GET, areas_path(&shop), None).await, 404);
    assert_eq!(
        theirs(
            Method::POST,
            areas_path(&shop),
            Some(neighbourhood("Intrusa", &["Sé"], 1, 1))
        )
        .await,
        404
    );
    assert_eq!(
        theirs(Method::GET, area_path(&shop, &district_id), None).await,
        404
    );
    assert_eq!(
        theirs(
            Method::PATCH,
            area_path(&shop, &district_id),
            Some(json!({"fee_cents": 1}))
        )
        .await,
        404
    );
    assert_eq!(
        theirs(Method::DELETE, area_path(&shop, &district_id), None).await,
        404
    );
    // Nor through their own store.
    assert_eq!(
        theirs(Method::GET, area_path(&other, &district_id), None).await,
        404
    );
    assert_eq!(
        theirs(Method::DELETE, area_path(&other, &drawn_id), None).await,
        404
    );
    let kept = json(
        app.send(
            &shop.owner,
            Method::GET,
            &area_path(&shop, &district_id),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(kept["fee_cents"], 800, "untouched: {kept}");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM delivery_areas").await,
        2
    );

    // A manager without the shipping grant may not look, add or remove.
    let manager = app
        .staff(&shop.owner, "gerente@area-crud.com.br", "manager", &[])
        .await;
    for (method, path, body) in [
        (Method::GET, areas_path(&shop), None),
        (
            Method::POST,
            areas_path(&shop),
            Some(neighbourhood("Sé", &["Sé"], 500, 30)),
        ),
        (Method::GET, area_path(&shop, &district_id), None),
        (
            Method::PATCH,
            area_path(&shop, &district_id),
            Some(json!({"fee_cents": 1})),
        ),
        (Method::DELETE, area_path(&shop, &district_id), None),
    ] {
        let response = app.send_token(&manager, method.clone(), &path, body).await;
        assert_eq!(response.status(), 403, "{method} {path}");
    }

    let deleted = app
        .send(
            &shop.owner,
            Method::DELETE,
            &area_path(&shop, &district_id),
            None,
        )
        .await;
    assert_eq!(deleted.status(), 204);
    let gone = app
        .send(
            &shop.owner,
            Method::GET,
            &area_path(&shop, &district_id),
            None,
        )
        .await;
    assert_eq!(gone.status(), 404);
    let again = app
        .send(
            &shop.owner,
            Method::DELETE,
            &area_path(&shop, &district_id),
            None,
        )
        .await;
    assert_eq!(again.status(), 404);
    let listed = json(
        app.send(&shop.owner, Method::GET, &areas_path(&shop), None)
            .await,
    )
    .await;
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    assert_eq!(listed["items"][0]["id"], drawn_id.as_str());
    // Back to the bands where the neighbourhood was.
    let banded = quote(&app, &shop, CUSTOMER, "Bela Vista").await;
    assert_eq!(
        terms(&banded),
        (json!("coordinates"), Value::Null, json!(500), json!(30)),
        "{banded}"
    );
}

const EVERY_DAY: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

fn always_open() -> Value {
    Value::Object(
        EVERY_DAY
            .into_iter()
            .map(|day| (day.to_owned(), json!([{"open": "00:00", "close": "24:00"}])))
            .collect(),
    )
}

/// Another store of the shop's tenant, open around the clock.
async fn another_store(
    app: &TestApp,
    shop: &Shop,
    name: &str,
    (lat, lng): (f64, f64),
    address: Value,
) -> String {
    id(&created(
        app.send(
            &shop.owner,
            Method::POST,
            "/admin/stores",
            Some(json!({
                "name": name, "latitude": lat, "longitude": lng,
                "opening_hours": always_open(), "accepts_preorders": true, "address": address
            })),
        )
        .await,
    )
    .await)
}

/// The stores delivering to this point: `(id, fee_cents, eta_minutes, source)`, in order.
async fn delivering_to(
    app: &TestApp,
    shop: &Shop,
    (lat, lng): (f64, f64),
) -> Vec<(String, Value, Value, Value)> {
    let response = app
        .get_as(&shop.slug, &format!("/stores?lat={lat}&lng={lng}"))
        .await;
    let status = response.status();
    let body = json(response).await;
    assert_eq!(status, 200, "stores at ({lat}, {lng}): {body}");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|store| {
            (
                store["id"].as_str().expect("id").to_owned(),
                store["delivery"]["fee_cents"].clone(),
                store["delivery"]["eta_minutes"].clone(),
                store["delivery"]["source"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_stores_for_a_point_are_those_delivering_there_quickest_first() {
    let app = spawn_app().await;
    // "Centro", on Avenida Paulista: bands of 3 km (500, 30 min) and 8 km (900, 50 min).
    let shop = shop(&app, "area-lojas", 1).await;
    let centro = shop.store.clone();
    // In Rio de Janeiro, with a 5 km band.
    let rio_point = (-22.9068, -43.1729);
    let rio = another_store(
        &app,
        &shop,
        "Rio",
        rio_point,
        json!({"cep": "20040-020", "street": "Avenida Rio Branco", "number": "100",
               "district": "Centro", "city": "Rio de Janeiro", "state": "RJ"}),
    )
    .await;
    let bands = app
        .send(
            &shop.owner,
            Method::PUT,
            &format!("/admin/shipping/stores/{rio}/bands"),
            Some(json!({"bands": [{"max_km": 5, "fee_cents": 700, "eta_minutes": 25}]})),
        )
        .await;
    assert_eq!(bands.status(), 200);
    // In Vila Mariana, with no bands: only a drawn area around one point.
    let express_point = (-23.5800, -46.6400);
    let vila = another_store(
        &app,
        &shop,
        "Vila Mariana",
        (-23.5890, -46.6340),
        json!({"cep": "04101-000", "street": "Rua Domingos de Morais", "number": "1000",
               "district": "Vila Mariana", "city": "São Paulo", "state": "SP"}),
    )
    .await;
    let express = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/stores/{vila}/delivery-areas"),
            Some(polygon_area(
                "Expressa",
                square(express_point, 0.005),
                650,
                20,
            )),
        )
        .await;
    assert_eq!(express.status(), 201);

    // Without a point: every store, and no delivery terms.
    let all = json(app.get_as(&shop.slug, "/stores").await).await;
    let items = all["items"].as_array().expect("items");
    assert_eq!(items.len(), 3, "{all}");
    assert!(
        items
            .iter()
            .all(|store| store.get("delivery").is_none_or(Value::is_null)),
        "{all}"
    );

    // The customer on Paulista: only Centro, by its bands.
    assert_eq!(
        delivering_to(&app, &shop, CUSTOMER).await,
        vec![(centro.clone(), json!(500), json!(30), json!("coordinates"))]
    );
    // In Vila Mariana's area (2.6 km from Centro): Vila Mariana first, quicker.
    assert_eq!(
        delivering_to(&app, &shop, express_point).await,
        vec![
            (vila.clone(), json!(650), json!(20), json!("area")),
            (centro.clone(), json!(500), json!(30), json!("coordinates")),
        ]
    );
    // In Rio: only Rio.
    assert_eq!(
        delivering_to(&app, &shop, (-22.9100, -43.1800)).await,
        vec![(rio, json!(700), json!(25), json!("coordinates"))]
    );
    // In Brasília: nobody.
    assert_eq!(delivering_to(&app, &shop, (-15.79, -47.88)).await, vec![]);
}
