//! Stores, categories, products and uploads made through the admin API, for the storefront
//! tests.

use reqwest::Method;
use reqwest::multipart::{Form, Part};

use crate::support::{Session, TestApp, json};

pub(crate) const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01";
pub(crate) const MP4: &[u8] = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom";

pub(crate) async fn create_store(
    app: &TestApp,
    owner: &Session,
    body: serde_json::Value,
) -> serde_json::Value {
    let response = app
        .send(owner, Method::POST, "/admin/stores", Some(body))
        .await;
    assert_eq!(response.status(), 201);
    json(response).await
}

pub(crate) fn paulista_store(name: &str) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "address": {"cep": "01310-100", "street": "Avenida Paulista", "number": "1578",
                    "district": "Bela Vista", "city": "São Paulo", "state": "sp"},
        "latitude": -23.5614, "longitude": -46.6559,
        "opening_hours": {"monday": [{"open": "00:00", "close": "24:00"}], "tuesday": [{"open": "00:00", "close": "24:00"}],
                          "wednesday": [{"open": "00:00", "close": "24:00"}], "thursday": [{"open": "00:00", "close": "24:00"}],
                          "friday": [{"open": "00:00", "close": "24:00"}], "saturday": [{"open": "00:00", "close": "24:00"}],
                          "sunday": [{"open": "00:00", "close": "24:00"}]},
    })
}

pub(crate) async fn create_category(
    app: &TestApp,
    owner: &Session,
    name: &str,
    position: i32,
) -> String {
    let response = app
        .send(
            owner,
            Method::POST,
            "/admin/catalog/categories",
            Some(serde_json::json!({"name": name, "position": position})),
        )
        .await;
    assert_eq!(response.status(), 201);
    json(response).await["id"].as_str().expect("id").to_owned()
}

pub(crate) async fn create_product(
    app: &TestApp,
    owner: &Session,
    category: &str,
    name: &str,
    extra: serde_json::Value,
) -> String {
    let mut body = serde_json::json!({"category_id": category, "name": name, "price_cents": 3000});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let response = app
        .send(owner, Method::POST, "/admin/catalog/products", Some(body))
        .await;
    assert_eq!(response.status(), 201, "product {name}");
    json(response).await["id"].as_str().expect("id").to_owned()
}

pub(crate) async fn upload(
    app: &TestApp,
    owner: &Session,
    path: &str,
    name: &str,
    bytes: Vec<u8>,
    mime: &str,
) -> reqwest::Response {
    let part = Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(mime)
        .expect("mime");
    app.client
        .post(app.url(path))
        .bearer_auth(&owner.token)
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .expect("sent")
}
