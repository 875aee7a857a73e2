//! Stand-ins for Meta's Graph API, Telegram and a push service (`Stubs`), webhook events as
//! Meta sends them, signed delivery, one dispatcher pass, and a browser's push keys: shared by
//! the messaging tests and the others that send or receive messages.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use comanda_crypto::hmac_sha256_hex;
use comanda_testkit::{StubResponse, StubServer};
use reqwest::Method;
use serde_json::{Value, json};
use web_push_native::p256;
use web_push_native::p256::elliptic_curve::sec1::ToEncodedPoint;

use crate::builders::shop::{Shop, created, order_body, post};
use crate::support::{TestApp, json as body_json, spawn_app_with};

const APP_SECRET: &str = "meta-app-secret-for-the-tests-0123456789";
pub(crate) const VERIFY_TOKEN: &str = "global-verify-token";
pub(crate) const GRAPH_TOKEN: &str = "global-graph-token";
pub(crate) const BOT_TOKEN: &str = "123456:telegram-test-bot";
/// The browser's ECDH key and auth secret (fixed, so the test can decrypt what it receives).
const BROWSER_SECRET: [u8; 32] = [0x22; 32];
pub(crate) const BROWSER_AUTH: [u8; 16] = [0x33; 16];

/// Stand-ins for Meta's Graph API, Telegram's Bot API and a browser vendor's push service.
pub(crate) struct Stubs {
    pub(crate) graph: StubServer,
    pub(crate) telegram: StubServer,
    pub(crate) push: StubServer,
}

impl Stubs {
    pub(crate) async fn start() -> Self {
        Self {
            graph: StubServer::start(vec![StubResponse::json(
                200,
                json!({"messages": [{"id": "wamid.default"}]}),
            )])
            .await,
            telegram: StubServer::start(vec![StubResponse::json(200, json!({"ok": true}))]).await,
            push: StubServer::start(vec![StubResponse::json(201, json!({}))]).await,
        }
    }

    pub(crate) fn vars(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let vapid = URL_SAFE_NO_PAD.encode([0x11u8; 32]);
        let mut vars: Vec<(String, String)> = [
            ("WHATSAPP_API_BASE_URL", self.graph.base_url.as_str()),
            ("WHATSAPP_APP_SECRET", APP_SECRET),
            ("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN),
            ("WHATSAPP_ACCESS_TOKEN", GRAPH_TOKEN),
            ("TELEGRAM_API_BASE_URL", self.telegram.base_url.as_str()),
            ("TELEGRAM_BOT_TOKEN", BOT_TOKEN),
            ("WEB_PUSH_VAPID_PRIVATE_KEY", vapid.as_str()),
            ("WEB_PUSH_SUBJECT", "mailto:ops@comanda.test"),
            ("WEB_PUSH_TEST_HOSTS", "127.0.0.1"),
            ("OUTBOX_RETRY_BASE_SECONDS", "0"),
            ("OUTBOX_MAX_ATTEMPTS", "3"),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect();
        vars.extend(
            extra
                .iter()
                .map(|(key, value)| ((*key).to_owned(), (*value).to_owned())),
        );
        vars
    }

    pub(crate) async fn app(&self, extra: &[(&str, &str)]) -> TestApp {
        let vars = self.vars(extra);
        let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        spawn_app_with(&refs).await
    }
}

pub(crate) fn graph_sent(id: &str) -> StubResponse {
    StubResponse::json(
        200,
        json!({"messaging_product": "whatsapp", "messages": [{"id": id}]}),
    )
}

/// Gives the tenant a WhatsApp number (the token is the global one), as the operator's
/// messaging settings leave it: configured, and routed by its number.
pub(crate) async fn connect_whatsapp(
    app: &TestApp,
    tenant: impl std::fmt::Display,
    phone_number_id: &str,
) {
    app.sql(&format!(
        "INSERT INTO tenant_messaging (tenant_id, whatsapp_phone_number_id, whatsapp_verify_token) \
         VALUES ('{tenant}', '{phone_number_id}', 'verify-{phone_number_id}'); \
         INSERT INTO whatsapp_numbers (phone_number_id, tenant_id) VALUES ('{phone_number_id}', '{tenant}')"
    ))
    .await;
}

pub(crate) fn now_ts() -> String {
    Utc::now().timestamp().to_string()
}

fn envelope(phone_number_id: &str, value: Value) -> Value {
    let mut value = value;
    value["messaging_product"] = json!("whatsapp");
    value["metadata"] =
        json!({"display_phone_number": "15550783881", "phone_number_id": phone_number_id});
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}]
    })
}

/// An inbound text, as Meta sends it.
pub(crate) fn text_event(
    phone_number_id: &str,
    from: &str,
    wamid: &str,
    timestamp: &str,
    text: &str,
) -> Value {
    envelope(
        phone_number_id,
        json!({
            "contacts": [{"profile": {"name": "Ana Cliente"}, "wa_id": from}],
            "messages": [{"from": from, "id": wamid, "timestamp": timestamp, "type": "text", "text": {"body": text}}]
        }),
    )
}

/// An inbound photo, as Meta sends it: only a media id, fetched through the Graph API.
pub(crate) fn image_event(phone_number_id: &str, from: &str, wamid: &str, media_id: &str) -> Value {
    envelope(
        phone_number_id,
        json!({
            "contacts": [{"profile": {"name": "Ana Cliente"}, "wa_id": from}],
            "messages": [{
                "from": from, "id": wamid, "timestamp": now_ts(), "type": "image",
                "image": {"caption": "comprovante", "mime_type": "image/jpeg", "sha256": "3a1b0c", "id": media_id}
            }]
        }),
    )
}

/// A delivery report, as Meta sends it.
pub(crate) fn status_event(
    phone_number_id: &str,
    wamid: &str,
    status: &str,
    timestamp: i64,
) -> Value {
    let mut report = json!({
        "id": wamid, "status": status, "timestamp": timestamp.to_string(), "recipient_id": "5511987654321",
        "conversation": {"id": "CONVERSATION_ID", "origin": {"type": "service"}},
        "pricing": {"billable": true, "pricing_model": "CBP", "category": "service"}
    });
    if status == "failed" {
        report["errors"] = json!([{"code": 131_047, "title": "Re-engagement message", "message": "More than 24 hours have passed"}]);
    }
    envelope(phone_number_id, json!({"statuses": [report]}))
}

pub(crate) fn signature(body: &[u8]) -> String {
    format!("sha256={}", hmac_sha256_hex(APP_SECRET.as_bytes(), body))
}

pub(crate) async fn post_signed(
    app: &TestApp,
    path: &str,
    body: &[u8],
    signature: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(path))
        .header("Content-Type", "application/json")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header("X-Hub-Signature-256", signature);
    }
    request.send().await.expect("sent")
}

/// Delivers an event the way Meta does, and answers the webhook's report.
pub(crate) async fn deliver(app: &TestApp, path: &str, event: &Value) -> Value {
    let body = event.to_string().into_bytes();
    let response = post_signed(app, path, &body, Some(&signature(&body))).await;
    assert_eq!(response.status(), 200);
    body_json(response).await
}

pub(crate) async fn dispatch(
    app: &TestApp,
) -> comanda_services::messaging::dispatcher::DispatchReport {
    app.state
        .dispatcher
        .run_once()
        .await
        .expect("dispatcher pass")
}

pub(crate) fn request_json(request: &comanda_testkit::RecordedRequest) -> Value {
    serde_json::from_slice(&request.body).expect("JSON body")
}

pub(crate) async fn place_order(app: &TestApp, shop: &Shop) -> Value {
    created(
        post(
            app,
            shop,
            "/checkout",
            &order_body(shop, json!([{"product_id": shop.pizza, "quantity": 1}])),
        )
        .await,
    )
    .await
}

pub(crate) async fn the_conversation(app: &TestApp, shop: &Shop) -> Value {
    let list = body_json(
        app.send(
            &shop.owner,
            Method::GET,
            "/admin/whatsapp/conversations",
            None,
        )
        .await,
    )
    .await;
    assert_eq!(list["total"], 1, "{list}");
    list["items"][0].clone()
}

pub(crate) async fn messages_of(app: &TestApp, shop: &Shop, conversation: &str) -> Vec<Value> {
    let response = app
        .send(
            &shop.owner,
            Method::GET,
            &format!("/admin/whatsapp/conversations/{conversation}/messages"),
            None,
        )
        .await;
    assert_eq!(response.status(), 200);
    body_json(response).await["items"]
        .as_array()
        .expect("items")
        .clone()
}

pub(crate) fn browser_keys() -> (p256::SecretKey, String, String) {
    let secret = p256::SecretKey::from_slice(&BROWSER_SECRET).expect("a P-256 scalar");
    let public = URL_SAFE_NO_PAD.encode(secret.public_key().to_encoded_point(false).as_bytes());
    (secret, public, URL_SAFE_NO_PAD.encode(BROWSER_AUTH))
}
