//! Online payment with PIX (SPEC §18): the receiver's settings, static charges confirmed by
//! staff, charges created at a stub PIX provider (mutual TLS) and confirmed by its webhook
//! after reading them back, expiry, refunds, the provider down, and other tenants kept out.

use chrono::{DateTime, TimeDelta, Utc};
use comanda_domain::pix::{parse_amount, parse_fields, parse_tlv};
use comanda_testkit::{PSP_CLIENT_ID, PSP_CLIENT_SECRET, PspStub, psp_tls};
use reqwest::Method;
use serde_json::{Value, json};

use crate::builders::shop::{Shop, error_code, order_body, post, shop};
use crate::support::{TestApp, json, spawn_app, spawn_app_with};

const SECRETS_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// An app that can keep provider secrets, and retries refunds at once.
async fn app_with_secrets() -> TestApp {
    spawn_app_with(&[
        ("PAYMENT_SECRETS_KEY", SECRETS_KEY),
        ("OUTBOX_RETRY_BASE_SECONDS", "0"),
    ])
    .await
}

async fn put_pix(app: &TestApp, shop: &Shop, body: Value) -> reqwest::Response {
    app.send(&shop.owner, Method::PUT, "/admin/payments/pix", Some(body))
        .await
}

async fn static_pix(app: &TestApp, shop: &Shop) {
    let saved = put_pix(
        app,
        shop,
        json!({"key": "pizzaria@exemplo.com.br", "merchant_name": "Pizzaria São João", "merchant_city": "São Paulo", "provider": "static"}),
    )
    .await;
    assert_eq!(saved.status(), 200, "{}", json(saved).await);
}

/// Settings pointing at the stub provider with the certificate it trusts (or another one).
fn api_pix_body(psp: &PspStub, trusted: bool) -> Value {
    let tls = psp_tls();
    let (cert, key) = if trusted {
        (tls.client_cert_pem, tls.client_key_pem)
    } else {
        (tls.stranger_cert_pem, tls.stranger_key_pem)
    };
    json!({
        "key": "123e4567-e12b-12d1-a456-426655440000",
        "merchant_name": "Pizzaria", "merchant_city": "Sao Paulo", "provider": "api_pix",
        "api_pix": {
            "base_url": psp.base_url, "client_id": PSP_CLIENT_ID, "client_secret": PSP_CLIENT_SECRET,
            "certificate_pem": cert, "private_key_pem": key, "ca_certificate_pem": tls.ca_pem,
        }
    })
}

async fn api_pix(app: &TestApp, shop: &Shop, psp: &PspStub, trusted: bool) -> Value {
    let saved = put_pix(app, shop, api_pix_body(psp, trusted)).await;
    let status = saved.status();
    let body = json(saved).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn checkout(app: &TestApp, shop: &Shop, items: Value) -> Value {
    let placed = post(app, shop, "/checkout", &order_body(shop, items)).await;
    let status = placed.status();
    let body = json(placed).await;
    assert_eq!(status, 201, "{body}");
    body
}

/// The order's total as the PIX API writes amounts.
fn reais(order: &Value) -> String {
    comanda_domain::pix::format_amount(order["total_cents"].as_i64().expect("total"))
}

fn pizza(shop: &Shop) -> Value {
    json!([{"product_id": shop.pizza, "quantity": 1}])
}

async fn admin_order(app: &TestApp, shop: &Shop, id: &str) -> Value {
    json(
        app.send(
            &shop.owner,
            Method::GET,
            &format!("/admin/orders/{id}"),
            None,
        )
        .await,
    )
    .await
}

async fn jobs(app: &TestApp, order: &str, kind: &str) -> i64 {
    app.scalar_i64(&format!(
        "SELECT count(*) FROM outbox WHERE payload->>'order_id' = '{order}' AND kind = '{kind}'"
    ))
    .await
}

async fn webhook(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("{path}/pix")))
        .json(&body)
        .send()
        .await
        .expect("sent")
}

fn field(code: &str, id: &str) -> Option<String> {
    parse_fields(code)
        .expect("a BR Code with a good CRC")
        .into_iter()
        .find(|(field, _)| field == id)
        .map(|(_, value)| value)
}

#[tokio::test]
async fn a_static_pix_order_answers_a_br_code_for_its_total_and_staff_confirm_it() {
    let app = spawn_app().await;
    let shop = shop(&app, "pix-estatico", 5).await;
    static_pix(&app, &shop).await;

    let order = checkout(&app, &shop, pizza(&shop)).await;
    let id = order["id"].as_str().expect("id").to_owned();
    let payment = &order["payment"];
    assert_eq!(payment["method"], "pix");
    assert_eq!(payment["status"], "awaiting_payment");
    assert_eq!(payment["provider"], "static");
    let txid = payment["txid"].as_str().expect("txid");
    assert_eq!(txid.len(), 25);
    let code = payment["copy_paste"].as_str().expect("copy_paste");
    let total = order["total_cents"].as_i64().expect("total");
    assert_eq!(
        field(code, "54").and_then(|a| parse_amount(&a)),
        Some(total)
    );
    assert_eq!(field(code, "53").as_deref(), Some("986"));
    assert_eq!(field(code, "59").as_deref(), Some("Pizzaria Sao Joao"));
    let account = parse_tlv(&field(code, "26").expect("merchant account")).expect("TLV");
    assert_eq!(
        account,
        vec![
            ("00".to_owned(), "br.gov.bcb.pix".to_owned()),
            ("01".to_owned(), "pizzaria@exemplo.com.br".to_owned()),
        ]
    );
    let additional = parse_tlv(&field(code, "62").expect("additional data")).expect("TLV");
    assert_eq!(additional, vec![("05".to_owned(), txid.to_owned())]);
    let expires: DateTime<Utc> = payment["expires_at"]
        .as_str()
        .and_then(|at| at.parse().ok())
        .expect("expires_at");
    let in_15 = Utc::now() + TimeDelta::minutes(15);
    assert!((expires - in_15).num_seconds().abs() < 60, "{expires}");

    // The QR code works in a plain <img>: no headers, the URL carries what it needs.
    let qr_url = payment["qr_svg_url"].as_str().expect("qr_svg_url");
    let qr = app.client.get(app.url(qr_url)).send().await.expect("sent");
    assert_eq!(qr.status(), 200);
    assert_eq!(
        qr.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/svg+xml")
    );
    let svg = qr.text().await.expect("body");
    assert!(svg.contains("<svg"), "{svg}");
    let forged = qr_url.replace("token=", "token=x");
    assert_eq!(
        app.client
            .get(app.url(&forged))
            .send()
            .await
            .expect("sent")
            .status(),
        404
    );

    // The store hears of the order only once it is paid.
    assert_eq!(jobs(&app, &id, "telegram.new_order").await, 0);
    assert_eq!(jobs(&app, &id, "webpush.new_order").await, 0);
    let paid = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/orders/{id}/payment"),
            Some(json!({"status": "paid"})),
        )
        .await;
    assert_eq!(paid.status(), 200);
    let paid = json(paid).await;
    assert_eq!(paid["payment"]["status"], "paid");
    assert!(paid["payment"]["paid_at"].is_string());
    assert_eq!(jobs(&app, &id, "telegram.new_order").await, 1);
    assert_eq!(jobs(&app, &id, "webpush.new_order").await, 1);
    assert_eq!(jobs(&app, &id, "whatsapp.order_confirmation").await, 1);
    // A second click changes nothing.
    let again = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/orders/{id}/payment"),
            Some(json!({"status": "paid"})),
        )
        .await;
    assert_eq!(again.status(), 200);
    assert_eq!(jobs(&app, &id, "telegram.new_order").await, 1);
    // The customer's own view says it too.
    let token = order["tracking_token"].as_str().expect("token");
    let tracked = json(
        app.client
            .get(app.url(&format!("/orders/{id}?token={token}")))
            .header("X-Tenant", &shop.slug)
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(tracked["payment"]["status"], "paid");
}

#[tokio::test]
async fn other_payment_methods_and_tenants_without_pix_settings_pay_on_delivery() {
    let app = spawn_app().await;
    let shop = shop(&app, "sem-pix", 5).await;
    let order = checkout(&app, &shop, pizza(&shop)).await;
    assert_eq!(
        order["payment"],
        json!({"method": "pix", "status": "on_delivery", "change_for_cents": null})
    );
    let id = order["id"].as_str().expect("id");
    assert_eq!(jobs(&app, id, "telegram.new_order").await, 1);
    static_pix(&app, &shop).await;
    let mut cash = order_body(&shop, pizza(&shop));
    cash["payment_method"] = json!("cash");
    let placed = json(post(&app, &shop, "/checkout", &cash).await).await;
    assert_eq!(placed["payment"]["status"], "on_delivery");
    assert!(placed["payment"].get("copy_paste").is_none());
    // Staff cannot mark a cash order as a PIX payment.
    let refused = app
        .send(
            &shop.owner,
            Method::POST,
            &format!(
                "/admin/orders/{}/payment",
                placed["id"].as_str().expect("id")
            ),
            Some(json!({"status": "paid"})),
        )
        .await;
    assert_eq!(error_code(refused, 409).await["code"], "conflict");
}

#[tokio::test]
async fn settings_check_the_key_keep_secrets_sealed_and_are_for_owners_and_admins() {
    let app = app_with_secrets().await;
    let shop = shop(&app, "pix-config", 5).await;
    assert_eq!(
        app.send(&shop.owner, Method::GET, "/admin/payments/pix", None)
            .await
            .status(),
        404
    );
    for (key, message_part) in [
        ("529.982.247-24", "CPF"),
        ("11.222.333/0001-80", "CNPJ"),
        ("+1 555 0100", "+55"),
        ("loja@", "e-mail"),
        ("qualquer", "PIX key"),
    ] {
        let refused = put_pix(
            &app,
            &shop,
            json!({"key": key, "merchant_name": "Loja", "merchant_city": "SP", "provider": "static"}),
        )
        .await;
        let body = error_code(refused, 422).await;
        assert_eq!(body["errors"][0]["field"], "key", "{key}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains(message_part)),
            "{key}: {body}"
        );
    }
    let saved = put_pix(
        &app,
        &shop,
        json!({"key": "529.982.247-25", "merchant_name": "Loja", "merchant_city": "SP", "provider": "static"}),
    )
    .await;
    let saved = json(saved).await;
    assert_eq!(saved["key"], "52998224725");
    assert_eq!(saved["key_kind"], "cpf");

    let psp = PspStub::start().await;
    let saved = api_pix(&app, &shop, &psp, true).await;
    assert_eq!(saved["api_pix"]["secrets_set"], true);
    let webhook_path = saved["webhook_path"].as_str().expect("webhook_path");
    assert!(webhook_path.starts_with("/webhooks/pix/pix-config/"));
    let read = app
        .send(&shop.owner, Method::GET, "/admin/payments/pix", None)
        .await
        .text()
        .await
        .expect("body");
    let saved_text = saved.to_string();
    for secret in [PSP_CLIENT_SECRET, "PRIVATE KEY", "BEGIN CERTIFICATE"] {
        assert!(!read.contains(secret), "{read}");
        assert!(!saved_text.contains(secret));
    }
    // At rest: neither the settings row nor the audit log hold a secret in clear.
    let stored = app
        .scalar_text("SELECT encode(api_secrets, 'escape') FROM tenant_pix_settings")
        .await;
    assert!(!stored.contains(PSP_CLIENT_SECRET) && !stored.contains("PRIVATE KEY"));
    let audit = app
        .scalar_text("SELECT string_agg(after::text, ' ') FROM audit_log WHERE action = 'payments.pix.update'")
        .await;
    assert!(
        audit.contains("api_pix") && !audit.contains(PSP_CLIENT_SECRET),
        "{audit}"
    );
    // Changing the name keeps the secrets saved before.
    let mut renamed = api_pix_body(&psp, true);
    for secret in ["client_secret", "certificate_pem", "private_key_pem"] {
        renamed["api_pix"][secret] = Value::Null;
    }
    renamed["merchant_name"] = json!("Pizzaria Nova");
    let renamed = json(put_pix(&app, &shop, renamed).await).await;
    assert_eq!(renamed["merchant_name"], "Pizzaria Nova");
    assert_eq!(renamed["api_pix"]["secrets_set"], true);
    assert_eq!(renamed["webhook_path"], webhook_path);
    let order = checkout(&app, &shop, pizza(&shop)).await;
    assert_eq!(order["payment"]["provider"], "api_pix");

    // Managers do not touch the receiver, even with the module.
    let manager = app
        .staff(&shop.owner, "gerente@pix-config.com.br", "manager", &[])
        .await;
    let refused = app
        .send_token(&manager, Method::GET, "/admin/payments/pix", None)
        .await;
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn api_pix_cannot_be_set_up_without_the_servers_secrets_key() {
    let app = spawn_app().await;
    let shop = shop(&app, "sem-chave", 5).await;
    let psp = PspStub::start().await;
    let refused = put_pix(&app, &shop, api_pix_body(&psp, true)).await;
    let body = error_code(refused, 422).await;
    assert_eq!(body["errors"][0]["field"], "provider");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("PAYMENT_SECRETS_KEY"))
    );
}

#[tokio::test]
async fn a_tenant_without_the_payments_module_cannot_set_up_pix() {
    let app = spawn_app().await;
    let shop = shop(&app, "sem-modulo", 5).await;
    app.sql("DELETE FROM tenant_modules WHERE module = 'payments'")
        .await;
    let refused = put_pix(
        &app,
        &shop,
        json!({"key": "pizzaria@exemplo.com.br", "merchant_name": "Loja", "merchant_city": "SP", "provider": "static"}),
    )
    .await;
    assert_eq!(error_code(refused, 403).await["code"], "module_disabled");
}

#[tokio::test]
async fn an_api_pix_order_is_paid_only_when_the_provider_says_so_on_reading_it_back() {
    let app = app_with_secrets().await;
    let shop = shop(&app, "pix-api", 5).await;
    let psp = PspStub::start().await;
    let settings = api_pix(&app, &shop, &psp, true).await;
    let hook = settings["webhook_path"]
        .as_str()
        .expect("webhook_path")
        .to_owned();

    let order = checkout(&app, &shop, pizza(&shop)).await;
    let id = order["id"].as_str().expect("id").to_owned();
    let payment = &order["payment"];
    assert_eq!(payment["provider"], "api_pix");
    assert_eq!(payment["status"], "awaiting_payment");
    let txid = payment["txid"].as_str().expect("txid").to_owned();
    assert_eq!(txid.len(), 32);
    // The charge exists at the provider for the order's total, created over mutual TLS with
    // a token from the client credentials.
    assert_eq!(psp.charge(&txid), Some(("ATIVA".to_owned(), reais(&order))));
    let created = psp
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT" && r.path == format!("/v2/cob/{txid}"))
        .expect("PUT /v2/cob");
    assert_eq!(created.header("authorization"), Some("Bearer stub-token"));
    let body: Value = serde_json::from_slice(&created.body).expect("JSON");
    assert_eq!(body["calendario"]["expiracao"], 900);
    assert_eq!(body["chave"], "123e4567-e12b-12d1-a456-426655440000");
    // A dynamic BR Code: the provider's location, one payment.
    let code = payment["copy_paste"].as_str().expect("copy_paste");
    assert_eq!(field(code, "01").as_deref(), Some("12"));
    let account = parse_tlv(&field(code, "26").expect("account")).expect("TLV");
    assert_eq!(
        account[1],
        ("25".to_owned(), format!("pix.stub.example/qr/v2/{txid}"))
    );

    // A forged notice before payment: read back, the charge is still open.
    let forged = webhook(&app, &hook,
        json!({"pix": [{"txid": txid, "endToEndId": "E00000000202611301200abcdefghijk", "valor": reais(&order)}]}),
    )
    .await;
    assert_eq!(forged.status(), 200);
    assert_eq!(json(forged).await, json!({"paid": 0, "ignored": 1}));
    assert_eq!(
        admin_order(&app, &shop, &id).await["payment"]["status"],
        "awaiting_payment"
    );
    assert_eq!(jobs(&app, &id, "telegram.new_order").await, 0);

    // Paid at the provider: the notice (whatever it claims) confirms it once.
    psp.pay(&txid, &reais(&order));
    let notice = json!({"pix": [{"txid": txid, "valor": "1.00"}]});
    let confirmed = webhook(&app, &hook, notice.clone()).await;
    assert_eq!(json(confirmed).await, json!({"paid": 1, "ignored": 0}));
    let paid = admin_order(&app, &shop, &id).await;
    assert_eq!(paid["payment"]["status"], "paid");
    assert_eq!(jobs(&app, &id, "telegram.new_order").await, 1);
    let repeated = webhook(&app, &hook, notice).await;
    assert_eq!(json(repeated).await, json!({"paid": 0, "ignored": 1}));
    assert_eq!(jobs(&app, &id, "telegram.new_order").await, 1);
    let reads = psp
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == format!("/v2/cob/{txid}"))
        .count();
    assert_eq!(reads, 3, "every notice is read back");

    // Staff cannot mark a provider's charge by hand.
    let refused = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/orders/{id}/payment"),
            Some(json!({"status": "refunded"})),
        )
        .await;
    assert_eq!(refused.status(), 409);

    // A wrong secret or tenant in the path is 404.
    let wrong = hook
        .rsplit_once('/')
        .map(|(head, _)| format!("{head}/not-the-secret"))
        .expect("path");
    assert_eq!(
        webhook(&app, &wrong, json!({"pix": []})).await.status(),
        404
    );
}

#[tokio::test]
async fn a_charge_paid_with_another_amount_is_flagged_not_accepted() {
    let app = app_with_secrets().await;
    let shop = shop(&app, "pix-valor", 5).await;
    let psp = PspStub::start().await;
    let hook = api_pix(&app, &shop, &psp, true).await["webhook_path"]
        .as_str()
        .expect("path")
        .to_owned();
    let order = checkout(&app, &shop, pizza(&shop)).await;
    let id = order["id"].as_str().expect("id");
    let txid = order["payment"]["txid"].as_str().expect("txid");
    psp.pay(txid, "5.00");
    let notice = webhook(&app, &hook, json!({"pix": [{"txid": txid}]})).await;
    assert_eq!(json(notice).await["paid"], 0);
    let seen = admin_order(&app, &shop, id).await;
    assert_eq!(seen["payment"]["status"], "awaiting_payment");
    assert_eq!(seen["payment"]["flag"], "amount_mismatch");
    assert_eq!(jobs(&app, id, "telegram.new_order").await, 0);
}

#[tokio::test]
async fn an_unpaid_pix_order_expires_and_gives_its_stock_back() {
    let app = spawn_app().await;
    let shop = shop(&app, "pix-expira", 5).await;
    static_pix(&app, &shop).await;
    let two_desserts = json!([{"product_id": shop.dessert, "quantity": 2}]);
    let unpaid = checkout(&app, &shop, two_desserts.clone()).await;
    let paid = checkout(&app, &shop, two_desserts.clone()).await;
    let still_time = checkout(
        &app,
        &shop,
        json!([{"product_id": shop.dessert, "quantity": 1}]),
    )
    .await;
    assert_eq!(
        app.scalar_i64("SELECT quantity::bigint FROM stock_levels")
            .await,
        0
    );
    let id = |order: &Value| order["id"].as_str().expect("id").to_owned();
    let confirmed = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/orders/{}/payment", id(&paid)),
            Some(json!({"status": "paid"})),
        )
        .await;
    assert_eq!(confirmed.status(), 200);
    // Time passes for the first two.
    app.sql(&format!(
        "UPDATE order_payments SET expires_at = now() - interval '1 minute' WHERE order_id IN ('{}', '{}')",
        id(&unpaid),
        id(&paid)
    ))
    .await;

    assert_eq!(app.state.payments.expire_due().await.expect("sweep"), 1);
    let expired = admin_order(&app, &shop, &id(&unpaid)).await;
    assert_eq!(expired["status"], "canceled");
    assert_eq!(expired["cancel_reason"], "payment_expired");
    assert_eq!(expired["payment"]["status"], "expired");
    assert_eq!(
        admin_order(&app, &shop, &id(&paid)).await["status"],
        "pending"
    );
    assert_eq!(
        admin_order(&app, &shop, &id(&still_time)).await["payment"]["status"],
        "awaiting_payment"
    );
    assert_eq!(
        app.scalar_i64("SELECT quantity::bigint FROM stock_levels")
            .await,
        2
    );
    // The customer is told; a second sweep finds nothing.
    assert_eq!(jobs(&app, &id(&unpaid), "whatsapp.order_status").await, 1);
    assert_eq!(app.state.payments.expire_due().await.expect("sweep"), 0);
    // Paid too late, a static charge is kept and flagged for staff.
    let late = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/orders/{}/payment", id(&unpaid)),
            Some(json!({"status": "paid"})),
        )
        .await;
    let late = json(late).await;
    assert_eq!(late["payment"]["status"], "paid");
    assert_eq!(late["payment"]["flag"], "paid_after_expiry");
    assert_eq!(late["status"], "canceled");
}

#[tokio::test]
async fn expiry_sweeps_running_at_once_cancel_each_order_once() {
    let app = spawn_app().await;
    let shop = shop(&app, "pix-varredura", 20).await;
    static_pix(&app, &shop).await;
    for _ in 0..6 {
        checkout(
            &app,
            &shop,
            json!([{"product_id": shop.dessert, "quantity": 2}]),
        )
        .await;
    }
    app.sql("UPDATE order_payments SET expires_at = now() - interval '1 minute'")
        .await;
    let payments = app.state.payments.clone();
    let other = app.state.payments.clone();
    let (first, second) = tokio::join!(payments.expire_due(), other.expire_due());
    assert_eq!(first.expect("sweep") + second.expect("sweep"), 6);
    assert_eq!(
        app.scalar_i64("SELECT quantity::bigint FROM stock_levels")
            .await,
        20
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM stock_movements WHERE reason = 'cancel'")
            .await,
        6
    );
}

#[tokio::test]
async fn cancelling_a_paid_api_pix_order_refunds_it_through_the_provider() {
    let app = app_with_secrets().await;
    let shop = shop(&app, "pix-estorno", 5).await;
    let psp = PspStub::start().await;
    let hook = api_pix(&app, &shop, &psp, true).await["webhook_path"]
        .as_str()
        .expect("path")
        .to_owned();
    let order = checkout(&app, &shop, pizza(&shop)).await;
    let id = order["id"].as_str().expect("id").to_owned();
    let txid = order["payment"]["txid"].as_str().expect("txid").to_owned();
    let e2e = psp.pay(&txid, &reais(&order));
    webhook(&app, &hook, json!({"pix": [{"txid": txid}]})).await;
    psp.set_refund_outcome("EM_PROCESSAMENTO");

    let cancelled = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/orders/{id}/cancel"),
            Some(json!({"reason": "cliente desistiu"})),
        )
        .await;
    assert_eq!(cancelled.status(), 200);
    assert_eq!(jobs(&app, &id, "pix.refund").await, 1);
    app.state.dispatcher.run_once().await.expect("a pass");
    let refund_path = format!("/v2/pix/{e2e}/devolucao/{}", id.replace('-', ""));
    let asked = psp
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT" && r.path == refund_path)
        .expect("the refund was requested");
    assert_eq!(
        serde_json::from_slice::<Value>(&asked.body).expect("JSON"),
        json!({"valor": reais(&order)})
    );
    // Still processing at the provider: paid until it says otherwise.
    assert_eq!(
        admin_order(&app, &shop, &id).await["payment"]["status"],
        "paid"
    );
    psp.settle_refunds("DEVOLVIDO");
    app.sql("UPDATE outbox SET next_attempt_at = now() WHERE kind = 'pix.refund'")
        .await;
    app.state.dispatcher.run_once().await.expect("a pass");
    assert_eq!(
        admin_order(&app, &shop, &id).await["payment"]["status"],
        "refunded"
    );
    let puts = psp
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.path == refund_path)
        .count();
    assert_eq!(puts, 1, "the refund is asked for once, then read back");
}

#[tokio::test]
async fn with_the_provider_down_the_order_still_goes_through_with_a_static_code() {
    let app = app_with_secrets().await;
    let shop = shop(&app, "pix-fora", 5).await;
    let psp = PspStub::start().await;
    api_pix(&app, &shop, &psp, true).await;
    psp.set_down(true);
    let order = checkout(&app, &shop, pizza(&shop)).await;
    let payment = &order["payment"];
    assert_eq!(payment["status"], "awaiting_payment");
    assert_eq!(payment["provider"], "static");
    let code = payment["copy_paste"].as_str().expect("copy_paste");
    let account = parse_tlv(&field(code, "26").expect("account")).expect("TLV");
    assert_eq!(account[1].1, "123e4567-e12b-12d1-a456-426655440000");
    // Staff confirm it like any static charge.
    let id = order["id"].as_str().expect("id");
    let paid = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/orders/{id}/payment"),
            Some(json!({"status": "paid"})),
        )
        .await;
    assert_eq!(json(paid).await["payment"]["status"], "paid");
}

#[tokio::test]
async fn the_provider_refuses_a_client_without_its_certificate() {
    let app = app_with_secrets().await;
    let shop = shop(&app, "pix-mtls", 5).await;
    let psp = PspStub::start().await;
    api_pix(&app, &shop, &psp, false).await;
    let order = checkout(&app, &shop, pizza(&shop)).await;
    assert_eq!(order["payment"]["provider"], "static");
    assert!(psp.handshakes_refused() >= 1);
    assert!(psp.requests().is_empty(), "nothing got past the handshake");
}

#[tokio::test]
async fn other_tenants_cannot_confirm_read_or_pay_anothers_pix_order() {
    let app = app_with_secrets().await;
    let victim = shop(&app, "pix-vitima", 5).await;
    let intruder = shop(&app, "pix-intruso", 5).await;
    let psp = PspStub::start().await;
    api_pix(&app, &victim, &psp, true).await;
    let intruder_hook = api_pix(&app, &intruder, &psp, true).await["webhook_path"]
        .as_str()
        .expect("path")
        .to_owned();
    let order = checkout(&app, &victim, pizza(&victim)).await;
    let id = order["id"].as_str().expect("id").to_owned();
    let txid = order["payment"]["txid"].as_str().expect("txid").to_owned();

    let confirm = app
        .send(
            &intruder.owner,
            Method::POST,
            &format!("/admin/orders/{id}/payment"),
            Some(json!({"status": "paid"})),
        )
        .await;
    assert_eq!(confirm.status(), 404);
    // The victim's QR code through the intruder's tenant id.
    let qr = order["payment"]["qr_svg_url"].as_str().expect("qr");
    let swapped = qr.replace(
        &victim.owner.tenant.id.to_string(),
        &intruder.owner.tenant.id.to_string(),
    );
    assert_eq!(
        app.client
            .get(app.url(&swapped))
            .send()
            .await
            .expect("sent")
            .status(),
        404
    );
    // The intruder's webhook naming the victim's paid charge changes nothing.
    psp.pay(&txid, &reais(&order));
    let notice = webhook(&app, &intruder_hook, json!({"pix": [{"txid": txid}]})).await;
    assert_eq!(json(notice).await, json!({"paid": 0, "ignored": 1}));
    assert_eq!(
        admin_order(&app, &victim, &id).await["payment"]["status"],
        "awaiting_payment"
    );
}
