//! A tenant ready to sell (`Shop`, `shop()`), the checkout body and request, and the small
//! readers the checkout tests share.

use reqwest::Method;

use crate::support::{Session, TestApp, json};

/// A tenant ready to sell: an owner, a store open around the clock with delivery bands, a
/// pizza with a crust add-on group, and a dessert that tracks stock.
pub(crate) struct Shop {
    pub(crate) owner: Session,
    pub(crate) slug: String,
    pub(crate) store: String,
    pub(crate) pizza: String,
    pub(crate) crust: String,
    pub(crate) dessert: String,
}

const ALWAYS_OPEN: &str = r#"{"monday":[{"open":"00:00","close":"24:00"}],"tuesday":[{"open":"00:00","close":"24:00"}],"wednesday":[{"open":"00:00","close":"24:00"}],"thursday":[{"open":"00:00","close":"24:00"}],"friday":[{"open":"00:00","close":"24:00"}],"saturday":[{"open":"00:00","close":"24:00"}],"sunday":[{"open":"00:00","close":"24:00"}]}"#;

pub(crate) async fn created(response: reqwest::Response) -> serde_json::Value {
    let status = response.status();
    let body = json(response).await;
    assert_eq!(status, 201, "{body}");
    body
}

pub(crate) fn id(value: &serde_json::Value) -> String {
    value["id"].as_str().expect("id").to_owned()
}

pub(crate) async fn shop(app: &TestApp, slug: &str, dessert_stock: i32) -> Shop {
    let owner = app.tenant_with_owner(slug).await;
    let hours: serde_json::Value = serde_json::from_str(ALWAYS_OPEN).expect("hours");
    let store = id(&created(
        app.send(
            &owner,
            Method::POST,
            "/admin/stores",
            Some(serde_json::json!({
                "name": "Centro", "latitude": -23.5614, "longitude": -46.6559, "opening_hours": hours,
                "accepts_preorders": true,
                "address": {"cep": "01310-100", "street": "Avenida Paulista", "number": "1578", "district": "Bela Vista", "city": "São Paulo", "state": "SP"}
            })),
        )
        .await,
    )
    .await);
    let bands = app
        .send(
            &owner,
            Method::PUT,
            &format!("/admin/shipping/stores/{store}/bands"),
            Some(serde_json::json!({"bands": [{"max_km": 3, "fee_cents": 500, "eta_minutes": 30}, {"max_km": 8, "fee_cents": 900, "eta_minutes": 50}]})),
        )
        .await;
    assert_eq!(bands.status(), 200);
    let category = id(&created(
        app.send(
            &owner,
            Method::POST,
            "/admin/catalog/categories",
            Some(serde_json::json!({"name": "Tudo"})),
        )
        .await,
    )
    .await);
    let pizza = id(&created(
        app.send(
            &owner,
            Method::POST,
            "/admin/catalog/products",
            Some(
                serde_json::json!({"category_id": category, "name": "Pizza", "price_cents": 5000}),
            ),
        )
        .await,
    )
    .await);
    let group = id(&created(
        app.send(
            &owner,
            Method::POST,
            &format!("/admin/catalog/products/{pizza}/addon-groups"),
            Some(serde_json::json!({"name": "Borda", "min": 0, "max": 1})),
        )
        .await,
    )
    .await);
    let crust = id(&created(
        app.send(
            &owner,
            Method::POST,
            &format!("/admin/catalog/addon-groups/{group}/addons"),
            Some(serde_json::json!({"name": "Catupiry", "price_cents": 900})),
        )
        .await,
    )
    .await);
    let dessert = id(&created(
        app.send(
            &owner,
            Method::POST,
            "/admin/catalog/products",
            Some(serde_json::json!({"category_id": category, "name": "Pudim", "price_cents": 1200, "track_stock": true})),
        )
        .await,
    )
    .await);
    let stocked = app
        .send(
            &owner,
            Method::POST,
            "/admin/inventory/adjustments",
            Some(serde_json::json!({"store_id": store, "product_id": dessert, "quantity": dessert_stock, "reason": "contagem inicial"})),
        )
        .await;
    assert_eq!(stocked.status(), 200);
    Shop {
        owner,
        slug: slug.to_owned(),
        store,
        pizza,
        crust,
        dessert,
    }
}

pub(crate) fn order_body(shop: &Shop, items: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "store_id": shop.store,
        "fulfillment": "delivery",
        "customer": {"name": "Ana Cliente", "phone": "(11) 98765-4321"},
        "lat": -23.5700, "lng": -46.6450,
        "address": {"cep": "01310-200", "street": "Avenida Paulista", "number": "2000", "district": "Bela Vista", "city": "São Paulo", "state": "SP"},
        "items": items,
        "payment_method": "pix"
    })
}

pub(crate) async fn post(
    app: &TestApp,
    shop: &Shop,
    path: &str,
    body: &serde_json::Value,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("X-Tenant", &shop.slug)
        .json(body)
        .send()
        .await
        .expect("sent")
}

/// The dessert's stock level (the one product that tracks stock).
pub(crate) async fn stock_of(app: &TestApp, shop: &Shop) -> i64 {
    app.scalar_i64(&format!(
        "SELECT quantity::bigint FROM stock_levels WHERE product_id = '{}'",
        shop.dessert
    ))
    .await
}

/// The error body, once its status is the expected one.
pub(crate) async fn error_code(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status(), status);
    json(response).await
}
