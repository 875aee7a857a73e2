//! Customers' data rights (LGPD, docs/operations.md#fairness-and-saturation): the export of everything held about a customer and
//! the erasure, down to the rows and the stored files.

use std::path::PathBuf;

use comanda_testkit::StubResponse;
use reqwest::Method;
use serde_json::{Value, json};

use crate::builders::messaging::{
    Stubs, connect_whatsapp, deliver, dispatch, image_event, now_ts, text_event,
};
use crate::builders::shop::{Shop, created, id, order_body, post, shop};
use crate::support::{TestApp, json as body_json, spawn_app};

const PHONE: &str = "+5511987654321";

/// A customer with two orders (the second with a coupon), an e-mail and notes, and a WhatsApp
/// conversation holding the order confirmations, a text and a photo downloaded into storage.
struct Scenario {
    shop: Shop,
    customer: String,
    orders: Vec<String>,
    /// The photo's storage key.
    media_key: String,
}

async fn scenario(stubs: &Stubs, app: &TestApp, slug: &str) -> Scenario {
    let shop = shop(app, slug, 10).await;
    connect_whatsapp(app, shop.owner.tenant.id, &format!("PN-{slug}")).await;
    let coupon = app
        .send(
            &shop.owner,
            Method::POST,
            "/admin/campaigns",
            Some(json!({"name": "Boas-vindas", "kind": "fixed", "value": 1000, "coupon_code": "ANA10"})),
        )
        .await;
    assert_eq!(coupon.status(), 201);

    let mut first = order_body(
        &shop,
        json!([{"product_id": shop.pizza, "quantity": 2, "notes": "sem cebola, interfone 31"}]),
    );
    first["address"]["complement"] = json!("apto 31");
    let first = created(post(app, &shop, "/checkout", &first).await).await;
    let mut second = order_body(&shop, json!([{"product_id": shop.dessert, "quantity": 1}]));
    second["address"] = json!({"cep": "01305-000", "street": "Rua Augusta", "number": "500", "district": "Consolação", "city": "São Paulo", "state": "SP"});
    second["coupon_code"] = json!("ANA10");
    let second = created(post(app, &shop, "/checkout", &second).await).await;
    let customer = first["customer"]["id"]
        .as_str()
        .expect("customer")
        .to_owned();
    assert_eq!(second["customer"]["id"], first["customer"]["id"]);
    let edited = app
        .send(
            &shop.owner,
            Method::PATCH,
            &format!("/admin/customers/{customer}"),
            Some(json!({"email": "ana@example.com", "notes": "prefere entrega à noite"})),
        )
        .await;
    assert_eq!(edited.status(), 200);

    // The confirmations open the conversation (outbound templates)…
    stubs.graph.respond_with(vec![
        StubResponse::json(
            200,
            json!({"messages": [{"id": format!("wamid.{slug}.C1")}]}),
        ),
        StubResponse::json(
            200,
            json!({"messages": [{"id": format!("wamid.{slug}.C2")}]}),
        ),
    ]);
    dispatch(app).await;
    // …and the customer writes, then sends a photo that is downloaded into storage.
    let phone_number_id = format!("PN-{slug}");
    deliver(
        app,
        "/webhooks/whatsapp",
        &text_event(
            &phone_number_id,
            "5511987654321",
            &format!("wamid.{slug}.IN1"),
            &now_ts(),
            "Chegou certinho, obrigada!",
        ),
    )
    .await;
    stubs.graph.respond_with(vec![
        StubResponse::json(200, json!({"url": format!("{}/lookaside/MEDIA-{slug}", stubs.graph.base_url), "mime_type": "image/jpeg", "id": format!("MEDIA-{slug}")})),
        StubResponse { status: 200, body: "jpeg bytes of the receipt".into(), content_type: "image/jpeg" },
    ]);
    deliver(
        app,
        "/webhooks/whatsapp",
        &image_event(
            &phone_number_id,
            "5511987654321",
            &format!("wamid.{slug}.IN2"),
            &format!("MEDIA-{slug}"),
        ),
    )
    .await;
    dispatch(app).await;
    let media_key = app
        .scalar_text("SELECT media_key FROM whatsapp_messages WHERE media_key IS NOT NULL")
        .await;
    assert!(
        media_root(app).join(&media_key).is_file(),
        "the photo is stored"
    );
    Scenario {
        shop,
        customer,
        orders: vec![id(&first), id(&second)],
        media_key,
    }
}

fn media_root(app: &TestApp) -> PathBuf {
    app.settings.storage.media_root.clone()
}

async fn set_status(app: &TestApp, shop: &Shop, order: &str, status: &str) {
    let response = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/orders/{order}/status"),
            Some(json!({"status": status})),
        )
        .await;
    assert_eq!(response.status(), 200, "{order} → {status}");
}

/// Delivers the first order and cancels the second: nothing is open any more.
async fn finish_orders(app: &TestApp, scenario: &Scenario) {
    for status in [
        "confirmed",
        "preparing",
        "ready",
        "out_for_delivery",
        "delivered",
    ] {
        set_status(app, &scenario.shop, &scenario.orders[0], status).await;
    }
    let canceled = app
        .send(
            &scenario.shop.owner,
            Method::POST,
            &format!("/admin/orders/{}/cancel", scenario.orders[1]),
            Some(json!({"reason": "cliente desistiu"})),
        )
        .await;
    assert_eq!(canceled.status(), 200);
}

async fn export(app: &TestApp, shop: &Shop, customer: &str) -> Value {
    let response = app
        .send(
            &shop.owner,
            Method::GET,
            &format!("/admin/customers/{customer}/export"),
            None,
        )
        .await;
    assert_eq!(response.status(), 200);
    body_json(response).await
}

async fn erase(app: &TestApp, shop: &Shop, customer: &str) -> reqwest::Response {
    app.send(
        &shop.owner,
        Method::POST,
        &format!("/admin/customers/{customer}/erase"),
        None,
    )
    .await
}

/// `/admin/insights`' figures (without the period, which moves with the clock).
async fn insights(app: &TestApp, shop: &Shop) -> Value {
    let mut figures = body_json(
        app.send(&shop.owner, Method::GET, "/admin/insights", None)
            .await,
    )
    .await;
    let object = figures.as_object_mut().expect("an object");
    object.remove("from");
    object.remove("to");
    figures
}

/// Every audit entry's before and after, as text.
async fn audit_text(app: &TestApp, action: &str) -> String {
    app.scalar_text(&format!(
        "SELECT coalesce(string_agg(coalesce(before::text, '') || coalesce(after::text, ''), ' '), '') \
         FROM audit_log WHERE action = '{action}'"
    ))
    .await
}

#[tokio::test]
async fn the_export_holds_profile_addresses_orders_campaigns_and_the_whatsapp_conversation() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let scenario = scenario(&stubs, &app, "exporta").await;
    let customer = &scenario.customer;

    let response = app
        .send(
            &scenario.shop.owner,
            Method::GET,
            &format!("/admin/customers/{customer}/export"),
            None,
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(
        response.headers()["content-disposition"],
        format!("attachment; filename=\"customer-{customer}.json\"").as_str()
    );
    let document = body_json(response).await;
    assert_eq!(document["format"], "comanda.customer-export.v1");
    assert_eq!(document["controller"]["slug"], "exporta");
    assert_eq!(
        document["controller"]["tenant_id"],
        scenario.shop.owner.tenant.id.to_string()
    );

    let profile = &document["customer"];
    assert_eq!(profile["id"], customer.as_str());
    assert_eq!(profile["name"], "Ana Cliente");
    assert_eq!(profile["phone"], PHONE);
    assert_eq!(profile["email"], "ana@example.com");
    assert_eq!(profile["notes"], "prefere entrega à noite");
    assert!(profile["created_at"].is_string());
    assert!(profile["updated_at"].is_string());
    assert!(profile["erased_at"].is_null());

    let addresses = document["addresses"].as_array().expect("addresses");
    assert_eq!(addresses.len(), 2, "{addresses:?}");
    assert_eq!(addresses[0]["street"], "Avenida Paulista");
    assert_eq!(addresses[0]["number"], "2000");
    assert_eq!(addresses[0]["complement"], "apto 31");
    assert_eq!(addresses[0]["district"], "Bela Vista");
    assert_eq!(addresses[0]["cep"], "01310-200");
    assert_eq!(addresses[0]["city"], "São Paulo");
    assert_eq!(addresses[0]["state"], "SP");
    assert_eq!(addresses[0]["latitude"], -23.57);
    assert_eq!(addresses[0]["longitude"], -46.645);
    assert_eq!(addresses[0]["order_numbers"], json!([1]));
    assert_eq!(addresses[1]["street"], "Rua Augusta");
    assert_eq!(addresses[1]["number"], "500");
    assert_eq!(addresses[1]["order_numbers"], json!([2]));

    let orders = document["orders"].as_array().expect("orders");
    assert_eq!(orders.len(), 2);
    let first = &orders[0];
    assert_eq!(first["id"], scenario.orders[0].as_str());
    assert_eq!(first["number"], 1);
    assert_eq!(first["status"], "pending");
    assert_eq!(first["fulfillment"], "delivery");
    assert!(first["created_at"].is_string());
    assert_eq!(first["items"][0]["name"], "Pizza");
    assert_eq!(first["items"][0]["quantity"], 2);
    assert_eq!(first["items"][0]["unit_price_cents"], 5000);
    assert_eq!(first["items"][0]["notes"], "sem cebola, interfone 31");
    assert_eq!(first["subtotal_cents"], 10_000);
    assert_eq!(first["shipping_fee_cents"], 500);
    assert_eq!(first["total_cents"], 10_500);
    assert_eq!(first["payment"]["method"], "pix");
    assert_eq!(first["delivery"]["address"]["street"], "Avenida Paulista");
    assert_eq!(first["customer"]["phone"], PHONE);
    assert!(first.get("tracking_token").is_none());
    let second = &orders[1];
    assert_eq!(second["number"], 2);
    assert_eq!(second["items"][0]["name"], "Pudim");
    assert_eq!(second["discount_cents"], 1000);
    assert_eq!(second["total_cents"], 1200 - 1000 + 500);
    assert_eq!(second["delivery"]["address"]["street"], "Rua Augusta");

    let uses = document["campaign_uses"].as_array().expect("campaign uses");
    assert_eq!(uses.len(), 1);
    assert_eq!(uses[0]["campaign_name"], "Boas-vindas");
    assert_eq!(uses[0]["order_number"], 2);
    assert_eq!(uses[0]["order_id"], scenario.orders[1].as_str());

    let conversations = document["whatsapp_conversations"]
        .as_array()
        .expect("conversations");
    assert_eq!(conversations.len(), 1);
    let conversation = &conversations[0];
    assert_eq!(conversation["customer_phone"], PHONE);
    assert_eq!(conversation["customer_name"], "Ana Cliente");
    let messages = conversation["messages"].as_array().expect("messages");
    assert_eq!(
        messages.len(),
        4,
        "two confirmations, a text, a photo: {messages:?}"
    );
    assert_eq!(
        messages
            .iter()
            .filter(|m| m["direction"] == "outbound" && m["kind"] == "template")
            .count(),
        2
    );
    let text = messages
        .iter()
        .find(|m| m["kind"] == "text")
        .expect("the text");
    assert_eq!(text["body"], "Chegou certinho, obrigada!");
    assert!(text["media_url"].is_null());
    let photo = messages
        .iter()
        .find(|m| m["kind"] == "image")
        .expect("the photo");
    assert_eq!(photo["body"], "comprovante");
    assert_eq!(photo["media_mime"], "image/jpeg");
    let media_url = photo["media_url"].as_str().expect("a media link");
    assert_eq!(
        media_url,
        format!(
            "/admin/whatsapp/messages/{}/media",
            photo["id"].as_str().expect("id")
        )
    );
    let file = app
        .send(&scenario.shop.owner, Method::GET, media_url, None)
        .await;
    assert_eq!(file.status(), 200);
    assert_eq!(
        file.bytes().await.expect("bytes").as_ref(),
        b"jpeg bytes of the receipt"
    );

    assert_eq!(document["push_subscriptions"], json!([]));
    assert_eq!(document["consents"], json!([]));
    assert_eq!(document["remarks"].as_array().expect("remarks").len(), 2);

    // Audited with counts, never with the data.
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM audit_log WHERE action = 'customer.export' AND entity_id = '{customer}' \
             AND tenant_id = '{}' AND actor_user_id IS NOT NULL",
            scenario.shop.owner.tenant.id
        ))
        .await,
        1
    );
    let audited = audit_text(&app, "customer.export").await;
    assert!(audited.contains("\"messages\": 4"), "{audited}");
    for personal in ["98765", "Ana", "ana@", "Paulista", "noite"] {
        assert!(!audited.contains(personal), "{personal} in {audited}");
    }
}

#[tokio::test]
async fn erasing_anonymises_the_customer_keeps_the_orders_amounts_and_deletes_messages_and_files() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let scenario = scenario(&stubs, &app, "apaga").await;
    let (shop, customer) = (&scenario.shop, scenario.customer.as_str());

    // Not while an order is open.
    let refused = erase(&app, shop, customer).await;
    assert_eq!(refused.status(), 409);
    let refused = body_json(refused).await;
    assert_eq!(refused["code"], "has_open_orders");
    assert_eq!(refused["open_orders"], json!([1, 2]));
    set_status(&app, shop, &scenario.orders[0], "confirmed").await;
    let cancel = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/orders/{}/cancel", scenario.orders[1]),
            Some(json!({"reason": "cliente desistiu"})),
        )
        .await;
    assert_eq!(cancel.status(), 200);
    let still = body_json(erase(&app, shop, customer).await).await;
    assert_eq!(still["code"], "has_open_orders");
    assert_eq!(
        still["open_orders"],
        json!([1]),
        "a canceled order is finished"
    );
    assert_eq!(
        app.scalar_text(&format!(
            "SELECT name FROM customers WHERE id = '{customer}'"
        ))
        .await,
        "Ana Cliente",
        "a refused erasure changes nothing"
    );
    for status in ["preparing", "ready", "out_for_delivery", "delivered"] {
        set_status(&app, shop, &scenario.orders[0], status).await;
    }

    let insights_before = insights(&app, shop).await;
    let amounts = "SELECT (SELECT sum(total_cents) FROM orders)::text || '/' || \
                          (SELECT sum(subtotal_cents - discount_cents + shipping_fee_cents) FROM orders)::text || '/' || \
                          (SELECT sum(line_total_cents) FROM order_items)::text || '/' || \
                          (SELECT count(*) FROM order_items)::text || '/' || \
                          (SELECT sum(amount_cents) FROM order_payments)::text || '/' || \
                          (SELECT sum(fee_cents) FROM order_deliveries)::text";
    let amounts_before = app.scalar_text(amounts).await;
    assert!(app.scalar_i64("SELECT count(*) FROM outbox WHERE kind = 'whatsapp.order_status' AND status = 'pending'").await > 0);

    let response = erase(&app, shop, customer).await;
    assert_eq!(response.status(), 200);
    let erased = body_json(response).await;
    assert_eq!(erased["customer_id"], customer);
    assert_eq!(erased["already_erased"], false);
    assert_eq!(erased["orders_kept"], 2);
    assert_eq!(erased["addresses_cleared"], 2);
    assert_eq!(erased["conversations_deleted"], 1);
    assert_eq!(erased["messages_deleted"], 4);
    assert_eq!(erased["media_files_deleted"], 1);
    assert_eq!(erased["media_files_pending"], 0);

    // The customer's row: anonymised, with a placeholder phone of its own.
    assert_eq!(
        app.scalar_text(&format!(
            "SELECT name || '|' || phone || '|' || coalesce(email, '<null>') || '|' || notes || '|' || (erased_at IS NOT NULL)::text \
             FROM customers WHERE id = '{customer}'"
        ))
        .await,
        format!("Cliente removido|erased:{customer}|<null>||true")
    );
    // Orders stay, with every amount; addresses keep city, state and the CEP's region.
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM orders WHERE customer_id = '{customer}'"
        ))
        .await,
        2
    );
    assert_eq!(app.scalar_text(amounts).await, amounts_before);
    assert_eq!(
        app.scalar_text(&format!(
            "SELECT string_agg(cep || '|' || street || '|' || number || '|' || complement || '|' || district || '|' || city || '|' || state \
                               || '|' || coalesce(latitude::text, '<null>') || '|' || coalesce(longitude::text, '<null>'), ' ; ' ORDER BY cep) \
             FROM order_deliveries WHERE order_id IN ('{}', '{}')",
            scenario.orders[0], scenario.orders[1]
        ))
        .await,
        "01305|||||São Paulo|SP|<null>|<null> ; 01310|||||São Paulo|SP|<null>|<null>"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM order_items WHERE notes <> ''")
            .await,
        0
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM orders WHERE customer_name IS NOT NULL")
            .await,
        0,
        "the name each order was placed with is gone too"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM campaign_uses").await,
        1,
        "the coupon's use stays counted"
    );
    // WhatsApp: messages and conversation gone, the photo gone from storage, nothing queued.
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM whatsapp_messages")
            .await,
        0
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM whatsapp_conversations")
            .await,
        0
    );
    assert!(
        !media_root(&app).join(&scenario.media_key).exists(),
        "the photo's file is deleted"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM media_deletions").await,
        0
    );
    // Status messages still waiting will not be sent, nor open a conversation.
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE kind = 'whatsapp.order_status' AND status = 'pending'").await,
        0
    );
    dispatch(&app).await;
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM whatsapp_conversations")
            .await,
        0
    );

    let insights_after = insights(&app, shop).await;
    assert_eq!(
        insights_after, insights_before,
        "revenue and every figure unchanged"
    );
    assert!(insights_after["revenue_cents"].as_i64().expect("revenue") > 0);

    // Audited with counts only.
    let audited = audit_text(&app, "customer.erase").await;
    assert!(audited.contains("\"messages_deleted\": 4"), "{audited}");
    for personal in [
        "98765", "Ana", "ana@", "Paulista", "Augusta", "noite", "apto",
    ] {
        assert!(!audited.contains(personal), "{personal} in {audited}");
    }

    // The export now holds what is left.
    let document = export(&app, shop, customer).await;
    assert_eq!(document["customer"]["name"], "Cliente removido");
    assert_eq!(document["customer"]["email"], Value::Null);
    assert!(document["customer"]["erased_at"].is_string());
    assert_eq!(document["whatsapp_conversations"], json!([]));
    assert_eq!(document["addresses"][0]["street"], "");
    assert_eq!(document["orders"][0]["total_cents"], 10_500);

    // Again: fine, and nothing more to clear.
    let again = erase(&app, shop, customer).await;
    assert_eq!(again.status(), 200);
    let again = body_json(again).await;
    assert_eq!(again["already_erased"], true);
    assert_eq!(again["erased_at"], erased["erased_at"]);
    assert_eq!(
        (
            again["addresses_cleared"].clone(),
            again["messages_deleted"].clone()
        ),
        (json!(0), json!(0))
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE action = 'customer.erase'")
            .await,
        2
    );

    // The old phone orders again: a new customer, the erased one stays erased.
    let new_order = created(
        post(
            &app,
            shop,
            "/checkout",
            &order_body(shop, json!([{"product_id": shop.pizza, "quantity": 1}])),
        )
        .await,
    )
    .await;
    let newcomer = new_order["customer"]["id"].as_str().expect("customer");
    assert_ne!(newcomer, customer);
    assert_eq!(new_order["customer"]["phone"], PHONE);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM customers").await, 2);
    assert_eq!(
        app.scalar_text(&format!(
            "SELECT name FROM customers WHERE id = '{customer}'"
        ))
        .await,
        "Cliente removido"
    );
}

#[tokio::test]
async fn a_file_storage_cannot_delete_at_erasure_stays_queued_until_the_clean_up_deletes_it() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let scenario = scenario(&stubs, &app, "fila").await;
    finish_orders(&app, &scenario).await;
    // A directory where the file was: local storage cannot delete it as a file.
    let path = media_root(&app).join(&scenario.media_key);
    std::fs::remove_file(&path).expect("file removed");
    std::fs::create_dir_all(path.join("blocking")).expect("directory in its place");

    let erased = erase(&app, &scenario.shop, &scenario.customer).await;
    assert_eq!(
        erased.status(),
        200,
        "the erasure is committed whatever storage does"
    );
    let erased = body_json(erased).await;
    assert_eq!(
        (
            erased["media_files_deleted"].clone(),
            erased["media_files_pending"].clone()
        ),
        (json!(0), json!(1))
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM whatsapp_messages")
            .await,
        0
    );
    assert_eq!(
        app.scalar_text("SELECT object_key || '|' || reason FROM media_deletions")
            .await,
        format!("{}|customer.erase", scenario.media_key),
        "no row points at the file any more, but the queue remembers it"
    );

    // Storage recovers; the clean-up loop deletes the file and forgets it.
    std::fs::remove_dir_all(&path).expect("directory removed");
    std::fs::write(&path, b"jpeg bytes of the receipt").expect("file back");
    let report = app
        .state
        .media_cleanup
        .run_once()
        .await
        .expect("pass")
        .expect("lock taken");
    assert_eq!(report.queued, 1);
    assert!(!path.exists());
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM media_deletions").await,
        0
    );
}

#[tokio::test]
async fn another_tenants_customer_and_a_malformed_id_are_not_found() {
    let app = spawn_app().await;
    let shop = shop(&app, "dona", 10).await;
    let order = created(
        post(
            &app,
            &shop,
            "/checkout",
            &order_body(&shop, json!([{"product_id": shop.pizza, "quantity": 1}])),
        )
        .await,
    )
    .await;
    let customer = order["customer"]["id"]
        .as_str()
        .expect("customer")
        .to_owned();
    let intruder = app.tenant_with_owner("intrusa").await;

    for (method, path) in [
        (Method::GET, format!("/admin/customers/{customer}/export")),
        (Method::POST, format!("/admin/customers/{customer}/erase")),
        (
            Method::GET,
            "/admin/customers/nao-e-um-id/export".to_owned(),
        ),
        (
            Method::POST,
            "/admin/customers/nao-e-um-id/erase".to_owned(),
        ),
    ] {
        let response = app.send(&intruder, method.clone(), &path, None).await;
        assert_eq!(response.status(), 404, "{method} {path}");
        let body = body_json(response).await;
        assert_eq!(body["code"], "not_found", "{body}");
        assert!(!body.to_string().contains("Ana"));
    }
    assert_eq!(
        app.scalar_text(&format!(
            "SELECT name || '|' || phone FROM customers WHERE id = '{customer}'"
        ))
        .await,
        format!("Ana Cliente|{PHONE}")
    );
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM audit_log WHERE action IN ('customer.export', 'customer.erase')"
        )
        .await,
        0
    );
    // The owner's own tenant finds it.
    assert_eq!(
        export(&app, &shop, &customer).await["customer"]["name"],
        "Ana Cliente"
    );
}

#[tokio::test]
async fn both_need_the_customers_update_permission() {
    let app = spawn_app().await;
    let shop = shop(&app, "permissao", 10).await;
    let order = created(
        post(
            &app,
            &shop,
            "/checkout",
            &order_body(&shop, json!([{"product_id": shop.pizza, "quantity": 1}])),
        )
        .await,
    )
    .await;
    let customer = order["customer"]["id"]
        .as_str()
        .expect("customer")
        .to_owned();
    let group = |name: &str, action: &str| {
        let body =
            json!({"name": name, "permissions": [{"module": "customers", "action": action}]});
        let request = app.send(&shop.owner, Method::POST, "/admin/groups", Some(body));
        async move {
            let response = request.await;
            assert_eq!(response.status(), 201);
            body_json(response).await["id"]
                .as_str()
                .expect("id")
                .to_owned()
        }
    };
    let viewers = group("Consulta", "view").await;
    let editors = group("Cadastro", "update").await;
    let viewer = app
        .staff(&shop.owner, "ver@permissao.com.br", "operator", &[viewers])
        .await;
    let editor = app
        .staff(
            &shop.owner,
            "editar@permissao.com.br",
            "operator",
            &[editors],
        )
        .await;

    for (method, path) in [
        (Method::GET, format!("/admin/customers/{customer}/export")),
        (Method::POST, format!("/admin/customers/{customer}/erase")),
    ] {
        let refused = app.send_token(&viewer, method.clone(), &path, None).await;
        assert_eq!(refused.status(), 403, "{method} {path}");
        assert_eq!(body_json(refused).await["code"], "forbidden");
    }
    assert_eq!(
        app.send_token(
            &viewer,
            Method::GET,
            &format!("/admin/customers/{customer}"),
            None
        )
        .await
        .status(),
        200,
        "viewing the customer is another permission"
    );
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM audit_log WHERE action IN ('customer.export', 'customer.erase')"
        )
        .await,
        0
    );

    let exported = app
        .send_token(
            &editor,
            Method::GET,
            &format!("/admin/customers/{customer}/export"),
            None,
        )
        .await;
    assert_eq!(exported.status(), 200);
    // The order is still pending: the editor is allowed, the order is not finished.
    let open = app
        .send_token(
            &editor,
            Method::POST,
            &format!("/admin/customers/{customer}/erase"),
            None,
        )
        .await;
    assert_eq!(open.status(), 409);
    assert_eq!(body_json(open).await["code"], "has_open_orders");
}

#[tokio::test]
async fn the_openapi_document_describes_both_with_their_answers() {
    let app = spawn_app().await;
    let document = body_json(app.get("/openapi.json").await).await;
    let paths = &document["paths"];
    let export = &paths["/admin/customers/{customer_id}/export"]["get"];
    let erase = &paths["/admin/customers/{customer_id}/erase"]["post"];
    for (operation, statuses) in [
        (export, &["200", "403", "404"][..]),
        (erase, &["200", "403", "404", "409"][..]),
    ] {
        for status in statuses {
            assert!(
                operation["responses"][status].is_object(),
                "{status} in {operation}"
            );
        }
    }
    assert!(
        erase["responses"]["409"]["description"]
            .as_str()
            .is_some_and(|text| text.contains("has_open_orders"))
    );
    let schemas = &document["components"]["schemas"];
    assert!(schemas["CustomerExportView"]["properties"]["whatsapp_conversations"].is_object());
    assert!(schemas["ErasureView"]["properties"]["media_files_pending"].is_object());
}
