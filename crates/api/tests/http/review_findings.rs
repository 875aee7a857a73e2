//! Smaller findings of the security and use review (issue 13, items 9 and 10), each shown.

use reqwest::Method;
use serde_json::json;

use crate::builders::messaging::{
    Stubs, connect_whatsapp, deliver, dispatch, now_ts, place_order, text_event,
};
use crate::builders::shop::{created, id, order_body, post, shop};
use crate::support::{json as body_json, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_searched_customer_lists_total_stays_the_searchs_past_the_last_page() {
    let app = spawn_app().await;
    let shop = shop(&app, "contagem", 5).await;
    for (name, phone) in [
        ("Ana Souza", "11 98888-0001"),
        ("Bia Lima", "11 98888-0002"),
        ("Caio Reis", "11 98888-0003"),
    ] {
        let mut body = order_body(&shop, json!([{"product_id": shop.pizza, "quantity": 1}]));
        body["customer"] = json!({"name": name, "phone": phone});
        created(post(&app, &shop, "/checkout", &body).await).await;
    }
    for offset in [0, 50] {
        let page = body_json(
            app.send(
                &shop.owner,
                Method::GET,
                &format!("/admin/customers?search=Ana&offset={offset}"),
                None,
            )
            .await,
        )
        .await;
        assert_eq!(page["total"], 1, "offset {offset}: {page}");
    }
}

#[tokio::test]
async fn metrics_need_the_metrics_token_when_one_is_set() {
    let app = spawn_app_with(&[("METRICS_TOKEN", "scrape-me-scrape-me")]).await;
    let without = app.get("/metrics").await;
    assert_eq!(without.status(), 401);
    assert_eq!(body_json(without).await["code"], "not_authenticated");
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-me-scrape-mE")
        .send()
        .await
        .expect("sent");
    assert_eq!(wrong.status(), 401);
    let right = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-me-scrape-me")
        .send()
        .await
        .expect("sent");
    assert_eq!(right.status(), 200);
    assert!(
        right
            .text()
            .await
            .expect("text")
            .contains("comanda_orders_created_total")
    );
}

#[tokio::test]
async fn every_answer_varies_by_origin() {
    let app = spawn_app().await;
    let vary = |response: &reqwest::Response| -> Vec<String> {
        response
            .headers()
            .get_all("vary")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| {
                value
                    .split(',')
                    .map(|name| name.trim().to_ascii_lowercase())
            })
            .collect()
    };
    let plain = app.get("/health").await;
    assert!(
        vary(&plain).contains(&"origin".to_owned()),
        "no Origin sent"
    );
    let foreign = app
        .client
        .get(app.url("/health"))
        .header("Origin", "https://outro.example.com")
        .send()
        .await
        .expect("sent");
    assert!(
        vary(&foreign).contains(&"origin".to_owned()),
        "a refused origin"
    );
    let allowed = app
        .client
        .get(app.url("/health"))
        .header("Origin", "http://localhost:3000")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        vary(&allowed)
            .iter()
            .filter(|name| *name == "origin")
            .count(),
        1,
        "once"
    );
}

#[tokio::test]
async fn a_form_login_from_another_sites_page_is_refused() {
    let app = spawn_app().await;
    let session = app.tenant_with_owner("formulario").await;
    let form = [
        ("username", session.email.as_str()),
        ("password", crate::support::OWNER_PASSWORD),
    ];
    let login = |origin: Option<&'static str>| {
        let mut request = app
            .client
            .post(app.url("/auth/login"))
            .header("X-Tenant", "formulario")
            .form(&form);
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        request.send()
    };
    let forged = login(Some("https://atacante.example.com"))
        .await
        .expect("sent");
    assert_eq!(forged.status(), 403);
    assert_eq!(body_json(forged).await["code"], "csrf_origin_denied");
    assert_eq!(
        login(Some("http://localhost:3000"))
            .await
            .expect("sent")
            .status(),
        200,
        "an allowed front end"
    );
    assert_eq!(
        login(None).await.expect("sent").status(),
        200,
        "scripts and OAuth2 tools send no Origin"
    );
}

#[tokio::test]
async fn templates_with_unknown_placeholders_are_refused_and_defaults_render_completely() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let shop = shop(&app, "modelos", 5).await;
    let refused = app
        .send(
            &shop.owner,
            Method::PUT,
            "/admin/config",
            Some(json!({"accepting_orders": true, "min_order_cents": 0, "preparation_minutes": 25,
                        "preorders_enabled": true,
                        "message_templates": {"order_confirmation": "Pedido #{number}. Acompanhe: {tracking}"}})),
        )
        .await;
    assert_eq!(refused.status(), 422);
    let body = body_json(refused).await;
    assert_eq!(
        body["errors"][0]["field"],
        "message_templates.order_confirmation"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|message| message.contains("{tracking}")),
        "{body}"
    );

    // Inside the customer's window the default confirmation goes as free text, whole.
    connect_whatsapp(&app, shop.owner.tenant.id, "PN-MODELOS").await;
    deliver(
        &app,
        "/webhooks/whatsapp",
        &text_event("PN-MODELOS", "5511987654321", "wamid.OI", &now_ts(), "Oi"),
    )
    .await;
    place_order(&app, &shop).await;
    dispatch(&app).await;
    let sent: serde_json::Value =
        serde_json::from_slice(&stubs.graph.requests()[0].body).expect("JSON");
    assert_eq!(sent["type"], "text");
    let text = sent["text"]["body"].as_str().expect("text");
    assert!(
        !text.contains('{') && !text.contains('}'),
        "no placeholder reaches the customer: {text}"
    );
    assert!(text.contains("R$ 55,00"), "{text}");
}

#[tokio::test]
async fn campaigns_refuse_stores_products_and_categories_that_are_not_the_tenants() {
    let app = spawn_app().await;
    let mine = shop(&app, "minha", 5).await;
    let theirs = shop(&app, "deles", 5).await;
    for (field, value) in [
        ("store_ids", json!([theirs.store])),
        ("product_ids", json!([mine.pizza, theirs.pizza])),
        (
            "product_ids",
            json!(["0190d3a0-0000-7000-8000-000000000000"]),
        ),
    ] {
        let mut body = json!({"name": "Invasora", "kind": "percentage", "value": 10});
        body[field] = value;
        let response = app
            .send(&mine.owner, Method::POST, "/admin/campaigns", Some(body))
            .await;
        assert_eq!(response.status(), 422, "{field}");
        assert_eq!(body_json(response).await["errors"][0]["field"], field);
    }
    let fine = app
        .send(
            &mine.owner,
            Method::POST,
            "/admin/campaigns",
            Some(json!({"name": "Minha", "kind": "percentage", "value": 10,
                        "store_ids": [mine.store], "product_ids": [mine.pizza]})),
        )
        .await;
    let campaign = id(&created(fine).await);
    let moved = app
        .send(
            &mine.owner,
            Method::PUT,
            &format!("/admin/campaigns/{campaign}"),
            Some(json!({"name": "Minha", "kind": "percentage", "value": 10,
                        "store_ids": [theirs.store]})),
        )
        .await;
    assert_eq!(moved.status(), 422, "updates are checked too");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM campaigns").await,
        1,
        "nothing else was stored"
    );
}

#[tokio::test]
async fn the_demo_tenants_modules_come_from_its_plan() {
    let app = spawn_app().await;
    comanda_api::startup::seed_service(&app.settings)
        .expect("seed service")
        .seed_demo()
        .await
        .expect("seeded");
    assert_eq!(
        app.scalar_text(
            "SELECT string_agg(DISTINCT m.source, ',') FROM tenant_modules m \
             JOIN tenants t ON t.id = m.tenant_id WHERE t.slug = 'demo'"
        )
        .await,
        "plan"
    );
    assert!(
        app.scalar_i64(
            "SELECT count(*) FROM tenant_modules m JOIN tenants t ON t.id = m.tenant_id \
             WHERE t.slug = 'demo'"
        )
        .await
            >= 14
    );
}

#[tokio::test]
async fn insights_for_an_unknown_or_foreign_store_are_404_like_inventory() {
    let app = spawn_app().await;
    let mine = shop(&app, "relatorio", 5).await;
    let theirs = shop(&app, "alheio", 5).await;
    for store in [
        theirs.store.as_str(),
        "0190d3a0-0000-7000-8000-000000000000",
    ] {
        for path in ["/admin/insights", "/admin/inventory"] {
            let response = app
                .send(
                    &mine.owner,
                    Method::GET,
                    &format!("{path}?store_id={store}"),
                    None,
                )
                .await;
            assert_eq!(response.status(), 404, "{path} {store}");
        }
    }
    let own = app
        .send(
            &mine.owner,
            Method::GET,
            &format!("/admin/insights?store_id={}", mine.store),
            None,
        )
        .await;
    assert_eq!(own.status(), 200);
}
