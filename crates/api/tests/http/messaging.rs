//! Messaging through the API against stub Graph, Telegram and push servers: the WhatsApp
//! webhook, the outbox dispatcher, Web Push and the media clean-up.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{TimeDelta, Utc};
use comanda_crypto::hmac_sha256_hex;
use comanda_testkit::{StubResponse, StubServer};
use reqwest::Method;
use serde_json::{Value, json};
use web_push_native::p256;
use web_push_native::p256::elliptic_curve::sec1::ToEncodedPoint;

use crate::builders::shop::{Shop, created, id, order_body, post, shop};
use crate::support::{TestApp, json as body_json, spawn_app_on, spawn_app_with};

const APP_SECRET: &str = "meta-app-secret-for-the-tests-0123456789";
const VERIFY_TOKEN: &str = "global-verify-token";
const GRAPH_TOKEN: &str = "global-graph-token";
const BOT_TOKEN: &str = "123456:telegram-test-bot";
/// The browser's ECDH key and auth secret (fixed, so the test can decrypt what it receives).
const BROWSER_SECRET: [u8; 32] = [0x22; 32];
const BROWSER_AUTH: [u8; 16] = [0x33; 16];

/// Stand-ins for Meta's Graph API, Telegram's Bot API and a browser vendor's push service.
pub(crate) struct Stubs {
    pub(crate) graph: StubServer,
    telegram: StubServer,
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

    fn vars(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
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

/// Gives the tenant a WhatsApp number (the token is the global one).
pub(crate) async fn connect_whatsapp(
    app: &TestApp,
    tenant: impl std::fmt::Display,
    phone_number_id: &str,
) {
    app.sql(&format!(
        "INSERT INTO tenant_messaging (tenant_id, whatsapp_phone_number_id, whatsapp_verify_token) \
         VALUES ('{tenant}', '{phone_number_id}', 'verify-{phone_number_id}')"
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
fn status_event(phone_number_id: &str, wamid: &str, status: &str, timestamp: i64) -> Value {
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

fn request_json(request: &comanda_testkit::RecordedRequest) -> Value {
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

async fn the_conversation(app: &TestApp, shop: &Shop) -> Value {
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

async fn messages_of(app: &TestApp, shop: &Shop, conversation: &str) -> Vec<Value> {
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

#[tokio::test]
async fn the_challenge_is_answered_only_with_the_right_token() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let owner = app.tenant_with_owner("desafio").await;
    connect_whatsapp(&app, owner.tenant.id, "PN-DESAFIO").await;
    app.create_tenant(
        "outra-loja",
        comanda_domain::tenancy::SubscriptionStatus::Active,
    )
    .await;
    let challenge = |path: &str, mode: &str, token: &str| {
        let url = app.url(&format!(
            "{path}?hub.mode={mode}&hub.verify_token={token}&hub.challenge=1158201444"
        ));
        let client = app.client.clone();
        async move { client.get(url).send().await.expect("sent") }
    };

    let right = challenge("/webhooks/whatsapp", "subscribe", VERIFY_TOKEN).await;
    assert_eq!(right.status(), 200);
    assert_eq!(right.text().await.expect("text"), "1158201444");
    let own = challenge(
        "/webhooks/whatsapp/desafio",
        "subscribe",
        "verify-PN-DESAFIO",
    )
    .await;
    assert_eq!(own.status(), 200, "the tenant's own token on its path");
    assert_eq!(own.text().await.expect("text"), "1158201444");
    let global_on_tenant = challenge("/webhooks/whatsapp/desafio", "subscribe", VERIFY_TOKEN).await;
    assert_eq!(
        global_on_tenant.status(),
        200,
        "the global token works on every path"
    );

    for (path, mode, token, why) in [
        (
            "/webhooks/whatsapp",
            "subscribe",
            "wrong-token",
            "a wrong token",
        ),
        ("/webhooks/whatsapp", "subscribe", "", "an empty token"),
        (
            "/webhooks/whatsapp",
            "unsubscribe",
            VERIFY_TOKEN,
            "another mode",
        ),
        (
            "/webhooks/whatsapp",
            "subscribe",
            "verify-PN-DESAFIO",
            "a tenant's token off its path",
        ),
        (
            "/webhooks/whatsapp/outra-loja",
            "subscribe",
            "verify-PN-DESAFIO",
            "another tenant's token",
        ),
        (
            "/webhooks/whatsapp/nao-existe",
            "subscribe",
            "verify-PN-DESAFIO",
            "an unknown tenant",
        ),
    ] {
        let response = challenge(path, mode, token).await;
        assert_eq!(response.status(), 403, "{why}");
        assert_eq!(
            body_json(response).await["code"],
            "invalid_verify_token",
            "{why}"
        );
    }
}

#[tokio::test]
async fn events_without_a_good_signature_are_refused_and_change_nothing() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let owner = app.tenant_with_owner("assinatura").await;
    connect_whatsapp(&app, owner.tenant.id, "PN-ASSINA").await;
    let body = text_event("PN-ASSINA", "5511987654321", "wamid.SIG1", &now_ts(), "oi")
        .to_string()
        .into_bytes();
    let good = signature(&body);
    let mut changed = body.clone();
    let last_quote = changed
        .iter()
        .rposition(|b| *b == b'i')
        .expect("an i in the body");
    changed[last_quote] = b'I';
    let wrong_secret = format!(
        "sha256={}",
        hmac_sha256_hex(b"not-the-app-secret-not-the-app-secret", &body)
    );

    for (payload, signature, why) in [
        (&body, None, "no signature"),
        (
            &body,
            Some(wrong_secret.as_str()),
            "signed with another secret",
        ),
        (&body, Some("sha256=zz"), "not hex"),
        (&changed, Some(good.as_str()), "a body changed by one byte"),
    ] {
        let response = post_signed(&app, "/webhooks/whatsapp", payload, signature).await;
        assert_eq!(response.status(), 401, "{why}");
        assert_eq!(
            body_json(response).await["code"],
            "invalid_signature",
            "{why}"
        );
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM whatsapp_messages")
            .await,
        0
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM outbox").await, 0);

    let accepted = post_signed(&app, "/webhooks/whatsapp", &body, Some(&good)).await;
    assert_eq!(accepted.status(), 200);
    assert_eq!(body_json(accepted).await["messages_stored"], 1);

    // Without WHATSAPP_APP_SECRET nothing can be verified, so nothing is accepted.
    let unsigned = spawn_app_with(&[]).await;
    let refused = post_signed(&unsigned, "/webhooks/whatsapp", &body, Some(&good)).await;
    assert_eq!(refused.status(), 401);
}

#[tokio::test]
async fn inbound_text_and_image_land_in_the_tenants_conversation_and_media_is_fetched() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let shop = shop(&app, "entrada", 5).await;
    connect_whatsapp(&app, shop.owner.tenant.id, "PN-ENTRADA").await;
    let other = app.tenant_with_owner("vizinha").await;

    // Meta reports Brazilian mobiles without the ninth digit; the conversation has it.
    let text = text_event(
        "PN-ENTRADA",
        "551187654321",
        "wamid.IN1",
        &now_ts(),
        "Vocês entregam no Bixiga?",
    );
    let report = deliver(&app, "/webhooks/whatsapp", &text).await;
    assert_eq!(report["messages_stored"], 1);
    let again = deliver(&app, "/webhooks/whatsapp", &text).await;
    assert_eq!(
        (
            again["messages_stored"].clone(),
            again["duplicates"].clone()
        ),
        (json!(0), json!(1)),
        "Meta retries are stored once"
    );

    let conversation = the_conversation(&app, &shop).await;
    assert_eq!(conversation["customer_phone"], "+5511987654321");
    assert_eq!(conversation["customer_name"], "Ana Cliente");
    assert_eq!(conversation["unread_count"], 1);
    assert_eq!(conversation["window_open"], true);
    let conversation_id = conversation["id"].as_str().expect("id").to_owned();

    stubs.graph.respond_with(vec![
        StubResponse::json(200, json!({"url": format!("{}/lookaside/MEDIA-777", stubs.graph.base_url), "mime_type": "image/jpeg", "id": "MEDIA-777"})),
        StubResponse { status: 200, body: "jpeg bytes of the receipt".into(), content_type: "image/jpeg" },
    ]);
    let image = deliver(
        &app,
        "/webhooks/whatsapp",
        &image_event("PN-ENTRADA", "5511987654321", "wamid.IN2", "MEDIA-777"),
    )
    .await;
    assert_eq!(image["messages_stored"], 1);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE kind = 'whatsapp.download_media' AND status = 'pending'").await,
        1
    );
    dispatch(&app).await;
    let graph = stubs.graph.requests();
    assert_eq!(
        graph.len(),
        2,
        "the media id, then the URL the Graph API answered"
    );
    assert_eq!(graph[0].path, "/MEDIA-777");
    assert_eq!(
        graph[0].header("authorization"),
        Some(format!("Bearer {GRAPH_TOKEN}").as_str())
    );
    assert_eq!(graph[1].path, "/lookaside/MEDIA-777");

    let messages = messages_of(&app, &shop, &conversation_id).await;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["body"], "Vocês entregam no Bixiga?");
    assert_eq!(messages[0]["direction"], "inbound");
    assert_eq!(messages[1]["kind"], "image");
    assert_eq!(messages[1]["body"], "comprovante");
    let media_url = messages[1]["media_url"]
        .as_str()
        .expect("media downloaded")
        .to_owned();
    let media = app.send(&shop.owner, Method::GET, &media_url, None).await;
    assert_eq!(media.status(), 200);
    assert_eq!(media.headers()["content-type"], "image/jpeg");
    assert_eq!(media.headers()["content-disposition"], "attachment");
    assert_eq!(
        media.bytes().await.expect("bytes").as_ref(),
        b"jpeg bytes of the receipt"
    );
    assert_eq!(
        the_conversation(&app, &shop).await["unread_count"],
        0,
        "reading clears the count"
    );

    // Another tenant sees none of it.
    for path in [
        format!("/admin/whatsapp/conversations/{conversation_id}"),
        format!("/admin/whatsapp/conversations/{conversation_id}/messages"),
        media_url.clone(),
    ] {
        let response = app.send(&other, Method::GET, &path, None).await;
        assert_eq!(response.status(), 404, "{path}");
    }
    let theirs = body_json(
        app.send(&other, Method::GET, "/admin/whatsapp/conversations", None)
            .await,
    )
    .await;
    assert_eq!(theirs["total"], 0);

    // A number no tenant owns is acknowledged and ignored; a tenant's path decides the tenant.
    let stray = deliver(
        &app,
        "/webhooks/whatsapp",
        &text_event("PN-NINGUEM", "5511911112222", "wamid.X1", &now_ts(), "oi"),
    )
    .await;
    assert_eq!(
        (stray["messages_stored"].clone(), stray["ignored"].clone()),
        (json!(0), json!(1))
    );
    let by_path = deliver(
        &app,
        "/webhooks/whatsapp/vizinha",
        &text_event("PN-NINGUEM", "5511911112222", "wamid.X2", &now_ts(), "oi"),
    )
    .await;
    assert_eq!(by_path["messages_stored"], 1);
    let theirs = body_json(
        app.send(&other, Method::GET, "/admin/whatsapp/conversations", None)
            .await,
    )
    .await;
    assert_eq!(theirs["total"], 1);
    let unknown = post_signed(
        &app,
        "/webhooks/whatsapp/nao-existe",
        b"{}",
        Some(&signature(b"{}")),
    )
    .await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn free_text_needs_the_open_window_and_templates_go_outside_it() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let shop = shop(&app, "janela", 5).await;
    let other = app.tenant_with_owner("sem-whatsapp").await;
    connect_whatsapp(&app, shop.owner.tenant.id, "PN-JANELA").await;
    let yesterday = (Utc::now() - TimeDelta::hours(25)).timestamp().to_string();
    deliver(
        &app,
        "/webhooks/whatsapp",
        &text_event("PN-JANELA", "5511987654321", "wamid.OLD", &yesterday, "oi"),
    )
    .await;
    assert_eq!(the_conversation(&app, &shop).await["window_open"], false);

    let send = |body: Value| {
        app.send(
            &shop.owner,
            Method::POST,
            "/admin/whatsapp/messages",
            Some(body),
        )
    };
    let closed = send(json!({"to": "(11) 98765-4321", "text": "Seu pedido saiu!"})).await;
    assert_eq!(closed.status(), 422);
    assert_eq!(body_json(closed).await["code"], "window_closed");
    for bad in [
        json!({"to": "(11) 98765-4321"}),
        json!({"to": "(11) 98765-4321", "text": "a", "template": {"name": "x"}}),
        json!({"to": "12", "template": {"name": "retomar_contato"}}),
        json!({"to": "(11) 98765-4321", "template": {"name": "Retomar Contato!"}}),
    ] {
        let response = send(bad.clone()).await;
        assert_eq!(response.status(), 422, "{bad}");
        assert_eq!(
            body_json(response).await["code"],
            "validation_error",
            "{bad}"
        );
    }
    let unconfigured = app
        .send(
            &other,
            Method::POST,
            "/admin/whatsapp/messages",
            Some(json!({"to": "(11) 98765-4321", "template": {"name": "retomar_contato"}})),
        )
        .await;
    assert_eq!(
        body_json(unconfigured).await["code"],
        "whatsapp_not_configured"
    );

    stubs
        .graph
        .respond_with(vec![graph_sent("wamid.TPL"), graph_sent("wamid.TXT")]);
    let queued = send(json!({"to": "(11) 98765-4321", "template": {"name": "retomar_contato", "parameters": ["Ana"]}})).await;
    assert_eq!(queued.status(), 202);
    let queued = body_json(queued).await;
    assert_eq!(
        (queued["status"].as_str(), queued["kind"].as_str()),
        (Some("pending"), Some("template"))
    );
    assert_eq!(dispatch(&app).await.sent, 1);
    let template = request_json(&stubs.graph.requests()[0]);
    assert_eq!(stubs.graph.requests()[0].path, "/PN-JANELA/messages");
    assert_eq!(template["to"], "5511987654321");
    assert_eq!(template["type"], "template");
    assert_eq!(template["template"]["name"], "retomar_contato");
    assert_eq!(template["template"]["language"]["code"], "pt_BR");
    assert_eq!(
        template["template"]["components"][0]["parameters"][0]["text"],
        "Ana"
    );

    deliver(
        &app,
        "/webhooks/whatsapp",
        &text_event(
            "PN-JANELA",
            "5511987654321",
            "wamid.NEW",
            &now_ts(),
            "pode mandar",
        ),
    )
    .await;
    assert_eq!(the_conversation(&app, &shop).await["window_open"], true);
    let text = send(json!({"to": "+55 11 98765-4321", "text": "Seu pedido saiu!"})).await;
    assert_eq!(text.status(), 202);
    dispatch(&app).await;
    let sent = request_json(&stubs.graph.requests()[1]);
    assert_eq!(sent["type"], "text");
    assert_eq!(sent["text"]["body"], "Seu pedido saiu!");

    let conversation = the_conversation(&app, &shop).await;
    let messages = messages_of(&app, &shop, conversation["id"].as_str().expect("id")).await;
    let outbound: Vec<(&str, &str)> = messages
        .iter()
        .filter(|m| m["direction"] == "outbound")
        .map(|m| {
            (
                m["kind"].as_str().unwrap_or_default(),
                m["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(outbound, vec![("template", "sent"), ("text", "sent")]);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE action = 'whatsapp.send'")
            .await,
        2,
        "staff messages are audited"
    );
}

#[tokio::test]
async fn order_messages_use_the_template_outside_the_window_and_free_text_inside() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let shop = shop(&app, "avisos", 5).await;
    connect_whatsapp(&app, shop.owner.tenant.id, "PN-AVISOS").await;
    stubs
        .graph
        .respond_with(vec![graph_sent("wamid.CONF"), graph_sent("wamid.STATUS")]);

    let order = place_order(&app, &shop).await;
    dispatch(&app).await;
    let confirmation = request_json(&stubs.graph.requests()[0]);
    assert_eq!(
        confirmation["type"], "template",
        "the customer never wrote: template"
    );
    assert_eq!(confirmation["template"]["name"], "order_confirmation");
    let parameters: Vec<&str> = confirmation["template"]["components"][0]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .map(|p| p["text"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(parameters, vec!["Ana Cliente", "1", "Centro", "R$ 55,00"]);

    deliver(
        &app,
        "/webhooks/whatsapp",
        &text_event(
            "PN-AVISOS",
            "5511987654321",
            "wamid.Q",
            &now_ts(),
            "Já saiu?",
        ),
    )
    .await;
    let confirmed = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/orders/{}/status", id(&order)),
            Some(json!({"status": "confirmed"})),
        )
        .await;
    assert_eq!(confirmed.status(), 200);
    dispatch(&app).await;
    let status = request_json(&stubs.graph.requests()[1]);
    assert_eq!(status["type"], "text", "inside the window: free text");
    assert_eq!(
        status["text"]["body"],
        "Seu pedido #1 foi confirmado e logo entra em preparo."
    );
    assert_eq!(stubs.graph.requests().len(), 2);
    let notifications = body_json(
        app.send(
            &shop.owner,
            Method::GET,
            "/admin/notifications?status=sent",
            None,
        )
        .await,
    )
    .await;
    let kinds: Vec<&str> = notifications["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["kind"].as_str().unwrap_or_default())
        .collect();
    assert!(
        kinds.contains(&"whatsapp.order_confirmation") && kinds.contains(&"whatsapp.order_status"),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn statuses_out_of_order_never_move_a_message_backwards() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let shop = shop(&app, "recibos", 5).await;
    connect_whatsapp(&app, shop.owner.tenant.id, "PN-RECIBOS").await;
    let other = app.tenant_with_owner("recibos-2").await;
    connect_whatsapp(&app, other.tenant.id, "PN-OUTRO").await;
    deliver(
        &app,
        "/webhooks/whatsapp",
        &text_event("PN-RECIBOS", "5511987654321", "wamid.HI", &now_ts(), "oi"),
    )
    .await;
    stubs.graph.respond_with(vec![graph_sent("wamid.OUT")]);
    let sent = app
        .send(
            &shop.owner,
            Method::POST,
            "/admin/whatsapp/messages",
            Some(json!({"to": "+5511987654321", "text": "Olá!"})),
        )
        .await;
    assert_eq!(sent.status(), 202);
    dispatch(&app).await;
    let status_of = || {
        app.scalar_text("SELECT status FROM whatsapp_messages WHERE wa_message_id = 'wamid.OUT'")
    };
    assert_eq!(status_of().await, "sent");

    let base = Utc::now().timestamp();
    // Another tenant's number cannot touch this tenant's message.
    let foreign = deliver(
        &app,
        "/webhooks/whatsapp",
        &status_event("PN-OUTRO", "wamid.OUT", "read", base + 5),
    )
    .await;
    assert_eq!(foreign["statuses_applied"], 0);
    assert_eq!(status_of().await, "sent");

    let read = deliver(
        &app,
        "/webhooks/whatsapp",
        &status_event("PN-RECIBOS", "wamid.OUT", "read", base + 30),
    )
    .await;
    assert_eq!(read["statuses_applied"], 1);
    for (status, at) in [
        ("delivered", base + 20),
        ("sent", base + 10),
        ("failed", base + 40),
    ] {
        let late = deliver(
            &app,
            "/webhooks/whatsapp",
            &status_event("PN-RECIBOS", "wamid.OUT", status, at),
        )
        .await;
        assert_eq!(late["statuses_applied"], 0, "{status} after read");
        assert_eq!(status_of().await, "read");
    }
    assert_eq!(
        app.scalar_i64("SELECT extract(epoch FROM status_at)::bigint FROM whatsapp_messages WHERE wa_message_id = 'wamid.OUT'").await,
        base + 30
    );

    // A failure report keeps its reason for the portal.
    stubs.graph.respond_with(vec![graph_sent("wamid.OUT2")]);
    app.send(
        &shop.owner,
        Method::POST,
        "/admin/whatsapp/messages",
        Some(json!({"to": "+5511987654321", "text": "Ainda aí?"})),
    )
    .await;
    dispatch(&app).await;
    deliver(
        &app,
        "/webhooks/whatsapp",
        &status_event("PN-RECIBOS", "wamid.OUT2", "delivered", base + 50),
    )
    .await;
    deliver(
        &app,
        "/webhooks/whatsapp",
        &status_event("PN-RECIBOS", "wamid.OUT2", "failed", base + 60),
    )
    .await;
    assert_eq!(
        app.scalar_text("SELECT status FROM whatsapp_messages WHERE wa_message_id = 'wamid.OUT2'")
            .await,
        "failed"
    );
    assert!(
        app.scalar_text("SELECT error FROM whatsapp_messages WHERE wa_message_id = 'wamid.OUT2'")
            .await
            .starts_with("131047")
    );
}

#[tokio::test]
async fn a_provider_failing_then_answering_is_retried_and_delivers_once() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let shop = shop(&app, "retentativa", 5).await;
    connect_whatsapp(&app, shop.owner.tenant.id, "PN-RETRY").await;
    stubs.graph.respond_with(vec![
        StubResponse::json(
            500,
            json!({"error": {"message": "Service temporarily unavailable", "code": 2}}),
        ),
        graph_sent("wamid.ONCE"),
    ]);
    place_order(&app, &shop).await;

    let first = dispatch(&app).await;
    assert_eq!(first.retried, 1, "{first:?}");
    assert_eq!(
        app.scalar_i64("SELECT attempts::bigint FROM outbox WHERE kind = 'whatsapp.order_confirmation' AND status = 'pending'").await,
        1
    );
    assert!(
        app.scalar_text("SELECT last_error FROM outbox WHERE kind = 'whatsapp.order_confirmation'")
            .await
            .contains("500")
    );
    let second = dispatch(&app).await;
    assert_eq!(second.sent, 1, "{second:?}");
    let third = dispatch(&app).await;
    assert_eq!(third.claimed, 0);
    assert_eq!(
        stubs.graph.requests().len(),
        2,
        "one failure, one delivery, nothing more"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM whatsapp_messages WHERE direction = 'outbound'")
            .await,
        1
    );
    assert_eq!(
        app.scalar_text("SELECT wa_message_id FROM whatsapp_messages WHERE direction = 'outbound'")
            .await,
        "wamid.ONCE"
    );
}

#[tokio::test]
async fn a_provider_that_always_fails_leaves_the_job_dead_after_the_configured_tries() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let shop = shop(&app, "telegrama", 5).await;
    let other = app.tenant_with_owner("telegrama-2").await;
    app.sql(&format!(
        "UPDATE stores SET telegram_chat_id = '-1001234' WHERE id = '{}'",
        shop.store
    ))
    .await;
    stubs.telegram.respond_with(vec![StubResponse::json(
        500,
        json!({"ok": false, "description": "Internal Server Error"}),
    )]);
    // Checkout never waits for a provider.
    let order = place_order(&app, &shop).await;
    assert_eq!(order["number"], 1);

    for _ in 0..3 {
        dispatch(&app).await;
    }
    assert_eq!(dispatch(&app).await.claimed, 0, "nothing left to try");
    let telegram = stubs.telegram.requests();
    assert_eq!(telegram.len(), 3, "OUTBOX_MAX_ATTEMPTS tries");
    assert_eq!(telegram[0].path, format!("/bot{BOT_TOKEN}/sendMessage"));
    let message = request_json(&telegram[0]);
    assert_eq!(message["chat_id"], "-1001234");
    assert!(
        message["text"]
            .as_str()
            .expect("text")
            .starts_with("Novo pedido #1 — Centro"),
        "{message}"
    );

    let dead = body_json(
        app.send(
            &shop.owner,
            Method::GET,
            "/admin/notifications?status=dead",
            None,
        )
        .await,
    )
    .await;
    assert_eq!(dead["total"], 1, "{dead}");
    let job = &dead["items"][0];
    assert_eq!(job["kind"], "telegram.new_order");
    assert_eq!(job["attempts"], 3);
    assert!(job["last_error"].as_str().expect("error").contains("500"));
    assert!(
        !job["last_error"]
            .as_str()
            .expect("error")
            .contains(BOT_TOKEN),
        "the bot token never shows"
    );
    let job_id = job["id"].as_str().expect("id").to_owned();
    let skipped = body_json(
        app.send(
            &shop.owner,
            Method::GET,
            "/admin/notifications?status=skipped",
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        skipped["total"], 2,
        "no WhatsApp number and no browser subscribed: {skipped}"
    );
    let bad_filter = app
        .send(
            &shop.owner,
            Method::GET,
            "/admin/notifications?status=lost",
            None,
        )
        .await;
    assert_eq!(bad_filter.status(), 422);

    let theirs = app
        .send(
            &other,
            Method::POST,
            &format!("/admin/notifications/{job_id}/retry"),
            None,
        )
        .await;
    assert_eq!(theirs.status(), 404, "another tenant's job");
    let listed = body_json(
        app.send(&other, Method::GET, "/admin/notifications", None)
            .await,
    )
    .await;
    assert_eq!(listed["total"], 0);

    stubs
        .telegram
        .respond_with(vec![StubResponse::json(200, json!({"ok": true}))]);
    let retried = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/notifications/{job_id}/retry"),
            None,
        )
        .await;
    assert_eq!(retried.status(), 202);
    assert_eq!(dispatch(&app).await.sent, 1);
    assert_eq!(stubs.telegram.requests().len(), 4);
    let again = app
        .send(
            &shop.owner,
            Method::POST,
            &format!("/admin/notifications/{job_id}/retry"),
            None,
        )
        .await;
    assert_eq!(again.status(), 404, "only dead jobs are retried");
}

#[tokio::test]
async fn two_dispatchers_drain_one_outbox_delivering_every_job_exactly_once() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[("OUTBOX_BATCH_SIZE", "3")]).await;
    let shop = shop(&app, "dupla", 5).await;
    app.sql(&format!(
        "UPDATE stores SET telegram_chat_id = '-42' WHERE id = '{}'",
        shop.store
    ))
    .await;
    place_order(&app, &shop).await;
    app.sql(
        "INSERT INTO outbox (id, tenant_id, kind, payload) \
         SELECT gen_random_uuid(), tenant_id, kind, payload FROM outbox, generate_series(1, 39) \
         WHERE kind = 'telegram.new_order'",
    )
    .await;
    let vars = stubs.vars(&[("OUTBOX_BATCH_SIZE", "3")]);
    let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let url = app.database.as_ref().expect("database").url().to_owned();
    let second = spawn_app_on(&url, None, &refs).await;

    let drain = |dispatcher: comanda_services::messaging::dispatcher::OutboxDispatcher| async move {
        let mut claimed = 0;
        loop {
            let report = dispatcher.run_once().await.expect("pass");
            if report.claimed == 0 {
                return claimed;
            }
            claimed += report.claimed;
        }
    };
    let (first_claimed, second_claimed) = tokio::join!(
        tokio::spawn(drain(app.state.dispatcher.clone())),
        tokio::spawn(drain(second.state.dispatcher.clone())),
    );
    let total = first_claimed.expect("first") + second_claimed.expect("second");
    assert_eq!(
        total, 42,
        "40 Telegram jobs and the order's two others, each claimed once"
    );
    assert_eq!(
        stubs.telegram.requests().len(),
        40,
        "every Telegram job delivered exactly once"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE status = 'pending'")
            .await,
        0
    );
    assert_eq!(
        app.scalar_i64("SELECT max(attempts)::bigint FROM outbox")
            .await,
        1
    );
}

pub(crate) fn browser_keys() -> (p256::SecretKey, String, String) {
    let secret = p256::SecretKey::from_slice(&BROWSER_SECRET).expect("a P-256 scalar");
    let public = URL_SAFE_NO_PAD.encode(secret.public_key().to_encoded_point(false).as_bytes());
    (secret, public, URL_SAFE_NO_PAD.encode(BROWSER_AUTH))
}

#[tokio::test]
async fn the_push_service_receives_a_payload_only_the_browser_can_decrypt() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let shop = shop(&app, "empurrao", 5).await;
    let (browser_secret, p256dh, auth) = browser_keys();
    let endpoint = format!("{}/push/device-1", stubs.push.base_url);
    let subscribed = app
        .send(
            &shop.owner,
            Method::POST,
            "/admin/webpush/subscriptions",
            Some(json!({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}})),
        )
        .await;
    assert_eq!(subscribed.status(), 201);
    let public_key = body_json(
        app.send(&shop.owner, Method::GET, "/admin/webpush/public-key", None)
            .await,
    )
    .await["public_key"]
        .as_str()
        .expect("key")
        .to_owned();

    place_order(&app, &shop).await;
    dispatch(&app).await;
    let pushes = stubs.push.requests();
    assert_eq!(pushes.len(), 1);
    let push = &pushes[0];
    assert_eq!(push.path, "/push/device-1");
    assert_eq!(push.header("content-encoding"), Some("aes128gcm"));
    assert!(push.header("ttl").is_some());
    assert!(
        !String::from_utf8_lossy(&push.body).contains("Novo pedido"),
        "the body is encrypted"
    );

    // VAPID (RFC 8292): a JWT for the push service's origin, signed with the key browsers know.
    let authorization = push.header("authorization").expect("VAPID authorization");
    let (token, key) = authorization
        .strip_prefix("vapid t=")
        .and_then(|rest| rest.split_once(", k="))
        .expect("vapid t=…, k=…");
    assert_eq!(key, public_key);
    let point = URL_SAFE_NO_PAD.decode(key).expect("base64url");
    assert_eq!(
        (point.len(), point[0]),
        (65, 4),
        "an uncompressed P-256 point"
    );
    let vapid = jsonwebtoken::DecodingKey::from_ec_components(
        &URL_SAFE_NO_PAD.encode(&point[1..33]),
        &URL_SAFE_NO_PAD.encode(&point[33..]),
    )
    .expect("P-256 key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&["http://127.0.0.1"]);
    let claims = jsonwebtoken::decode::<Value>(token, &vapid, &validation)
        .expect("a valid VAPID JWT")
        .claims;
    assert_eq!(claims["sub"], "mailto:ops@comanda.test");
    let lifetime = claims["exp"].as_i64().expect("exp") - Utc::now().timestamp();
    assert!(
        (0..=24 * 3600).contains(&lifetime),
        "RFC 8292: at most 24 hours"
    );

    // RFC 8291: the browser's private key and auth secret open it.
    let auth = web_push_native::Auth::clone_from_slice(&BROWSER_AUTH);
    let plaintext =
        web_push_native::decrypt(push.body.clone(), &browser_secret, &auth).expect("decrypts");
    let notification: Value = serde_json::from_slice(&plaintext).expect("JSON");
    assert_eq!(notification["type"], "new_order");
    assert_eq!(notification["title"], "Novo pedido #1");
    assert!(
        notification["body"]
            .as_str()
            .expect("body")
            .contains("R$ 55,00")
    );

    // A customer's WhatsApp message reaches staff browsers too.
    connect_whatsapp(&app, shop.owner.tenant.id, "PN-EMPURRAO").await;
    deliver(
        &app,
        "/webhooks/whatsapp",
        &text_event(
            "PN-EMPURRAO",
            "5511987654321",
            "wamid.P1",
            &now_ts(),
            "Tem troco para 100?",
        ),
    )
    .await;
    dispatch(&app).await;
    let pushes = stubs.push.requests();
    assert_eq!(pushes.len(), 2);
    let plaintext =
        web_push_native::decrypt(pushes[1].body.clone(), &browser_secret, &auth).expect("decrypts");
    let notification: Value = serde_json::from_slice(&plaintext).expect("JSON");
    assert_eq!(notification["type"], "whatsapp_message");
    assert_eq!(notification["title"], "WhatsApp: Ana Cliente");
    assert_eq!(notification["body"], "Tem troco para 100?");
}

#[tokio::test]
async fn a_vapid_public_key_that_is_not_the_private_keys_stops_start_up() {
    let stubs = Stubs::start().await;
    let database = comanda_testkit::TestDatabase::new().await;
    let mut vars: std::collections::HashMap<String, String> = stubs.vars(&[]).into_iter().collect();
    vars.insert("DATABASE_URL".into(), database.url().to_owned());
    vars.insert("HOST".into(), "127.0.0.1".into());
    vars.insert("PORT".into(), "0".into());
    vars.insert("AUTH_SECRET".into(), crate::support::TEST_SECRET.into());
    vars.insert(
        "ORDER_TRACKING_SECRET".into(),
        crate::support::TEST_SECRET.into(),
    );
    vars.insert(
        "WEB_PUSH_VAPID_PUBLIC_KEY".into(),
        URL_SAFE_NO_PAD.encode([4u8; 65]),
    );
    let settings = comanda_config::Settings::from_vars(&vars).expect("settings parse");
    let error = comanda_api::Application::build(settings)
        .await
        .err()
        .expect("start-up refused");
    assert!(
        error.to_string().contains("WEB_PUSH_VAPID_PUBLIC_KEY"),
        "{error}"
    );
}

#[tokio::test]
async fn a_subscription_the_push_service_calls_gone_is_removed() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let shop = shop(&app, "sumiu", 5).await;
    let (_, p256dh, auth) = browser_keys();
    let endpoint = format!("{}/push/gone", stubs.push.base_url);
    let subscribed = app
        .send(
            &shop.owner,
            Method::POST,
            "/admin/webpush/subscriptions",
            Some(json!({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}})),
        )
        .await;
    assert_eq!(subscribed.status(), 201);
    stubs.push.respond_with(vec![StubResponse::json(
        410,
        json!({"reason": "unsubscribed"}),
    )]);
    place_order(&app, &shop).await;
    dispatch(&app).await;
    assert_eq!(stubs.push.requests().len(), 1);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM webpush_subscriptions")
            .await,
        0
    );
    assert_eq!(
        app.scalar_text("SELECT status FROM outbox WHERE kind = 'webpush.new_order'")
            .await,
        "sent",
        "not retried"
    );
    let list = body_json(
        app.send(
            &shop.owner,
            Method::GET,
            "/admin/webpush/subscriptions",
            None,
        )
        .await,
    )
    .await;
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn push_endpoints_that_are_not_public_https_are_refused() {
    let stubs = Stubs::start().await;
    // No test host here: every check applies.
    let app = stubs
        .app(&[("WEB_PUSH_TEST_HOSTS", "push.test.invalid")])
        .await;
    let owner = app.tenant_with_owner("ssrf").await;
    let other = app.tenant_with_owner("ssrf-2").await;
    let (_, p256dh, auth) = browser_keys();
    let subscribe = |session, endpoint: &str, p256dh: &str, auth: &str| {
        app.send(
            session,
            Method::POST,
            "/admin/webpush/subscriptions",
            Some(json!({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}})),
        )
    };
    for endpoint in [
        format!("{}/push/x", stubs.push.base_url),
        "http://fcm.googleapis.com/fcm/send/abc".to_owned(),
        "https://127.0.0.1/push".to_owned(),
        "https://localhost:8443/push".to_owned(),
        "https://10.1.2.3/push".to_owned(),
        "https://192.168.0.10/push".to_owned(),
        "https://169.254.169.254/latest/meta-data".to_owned(),
        "https://[::1]/push".to_owned(),
        "https://[::ffff:127.0.0.1]/push".to_owned(),
        "https://[fd00::1]/push".to_owned(),
        "https://0.0.0.0/push".to_owned(),
        "file:///etc/passwd".to_owned(),
        "not a url".to_owned(),
    ] {
        let response = subscribe(&owner, &endpoint, &p256dh, &auth).await;
        assert_eq!(response.status(), 422, "{endpoint}");
        assert_eq!(
            body_json(response).await["code"],
            "invalid_endpoint",
            "{endpoint}"
        );
    }
    let bad_keys = subscribe(&owner, "https://8.8.8.8/push", "bm90IGEga2V5", &auth).await;
    assert_eq!(bad_keys.status(), 422);
    assert_eq!(body_json(bad_keys).await["code"], "validation_error");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM webpush_subscriptions")
            .await,
        0
    );

    // A public address is accepted; only its owner can remove it.
    let public = subscribe(&owner, "https://8.8.8.8/push/ok", &p256dh, &auth).await;
    assert_eq!(public.status(), 201);
    // The same browser subscribed in another tenant is that tenant's own subscription: the
    // first one stays with its tenant and user.
    let same_browser = subscribe(&other, "https://8.8.8.8/push/ok", &p256dh, &auth).await;
    assert_eq!(same_browser.status(), 201);
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM webpush_subscriptions \
             WHERE endpoint = 'https://8.8.8.8/push/ok' AND tenant_id = '{}'",
            owner.tenant.id
        ))
        .await,
        1,
        "not taken over by the other tenant"
    );
    let other_removes_its_own = app
        .send(
            &other,
            Method::DELETE,
            "/admin/webpush/subscriptions",
            Some(json!({"endpoint": "https://8.8.8.8/push/ok"})),
        )
        .await;
    assert_eq!(other_removes_its_own.status(), 204);
    let not_theirs = app
        .send(
            &other,
            Method::DELETE,
            "/admin/webpush/subscriptions",
            Some(json!({"endpoint": "https://8.8.8.8/push/ok"})),
        )
        .await;
    assert_eq!(not_theirs.status(), 404);
    let removed = app
        .send(
            &owner,
            Method::DELETE,
            "/admin/webpush/subscriptions",
            Some(json!({"endpoint": "https://8.8.8.8/push/ok"})),
        )
        .await;
    assert_eq!(removed.status(), 204);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM webpush_subscriptions")
            .await,
        0,
        "both tenants' subscriptions are gone"
    );
}

#[tokio::test]
async fn the_media_clean_up_deletes_old_media_forgets_missing_files_and_keeps_the_rest() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[("WHATSAPP_MEDIA_RETENTION_DAYS", "30")]).await;
    let owner = app.tenant_with_owner("faxina").await;
    let tenant = owner.tenant.id;
    let root = app.settings.storage.media_root.clone();
    let conversation = uuid::Uuid::now_v7();
    app.sql(&format!(
        "INSERT INTO whatsapp_conversations (id, tenant_id, customer_phone) VALUES ('{conversation}', '{tenant}', '+5511987654321')"
    ))
    .await;
    let mut keys = Vec::new();
    for (name, age_days, file_exists) in
        [("old", 45, true), ("new", 2, true), ("missing", 2, false)]
    {
        let key = format!("{tenant}/whatsapp/{name}");
        if file_exists {
            let path = root.join(&key);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
            std::fs::write(&path, b"bytes").expect("file");
        }
        app.sql(&format!(
            "INSERT INTO whatsapp_messages (id, tenant_id, conversation_id, direction, kind, status, media_id, media_key, media_mime, created_at) \
             VALUES ('{}', '{tenant}', '{conversation}', 'inbound', 'image', 'delivered', 'M-{name}', '{key}', 'image/jpeg', now() - interval '{age_days} days')",
            uuid::Uuid::now_v7()
        ))
        .await;
        keys.push(key);
    }

    // While another instance holds the lock, nothing happens here.
    let database =
        comanda_postgres::Database::connect(&comanda_api::startup::database_config(&app.settings))
            .expect("pool");
    let lock = comanda_postgres::PgSingletonLock::new(database);
    let held = comanda_ports::messaging::SingletonLock::try_acquire(
        &lock,
        comanda_services::messaging::cleanup::LOCK_NAME,
    )
    .await
    .expect("lock query")
    .expect("the lock is free");
    assert_eq!(
        app.state.media_cleanup.run_once().await.expect("pass"),
        None
    );
    assert!(root.join(&keys[0]).exists());
    held.release().await;

    let report = app
        .state
        .media_cleanup
        .run_once()
        .await
        .expect("pass")
        .expect("lock taken");
    assert_eq!((report.expired, report.missing), (1, 1));
    assert!(!root.join(&keys[0]).exists(), "old media deleted");
    assert!(root.join(&keys[1]).exists(), "new media kept");
    let remaining: Vec<String> = {
        let client = app.database.as_ref().expect("database").client().await;
        client
            .query(
                "SELECT media_key FROM whatsapp_messages WHERE media_key IS NOT NULL",
                &[],
            )
            .await
            .expect("query")
            .iter()
            .map(|row| row.get(0))
            .collect()
    };
    assert_eq!(remaining, vec![keys[1].clone()]);
    let second = app
        .state
        .media_cleanup
        .run_once()
        .await
        .expect("pass")
        .expect("lock taken");
    assert_eq!((second.expired, second.missing), (0, 0));
}

#[tokio::test]
async fn the_background_dispatcher_delivers_on_its_own() {
    let stubs = Stubs::start().await;
    let app = stubs
        .app(&[("BACKGROUND_WORKERS", "true"), ("OUTBOX_POLL_MS", "20")])
        .await;
    let shop = shop(&app, "sozinho", 5).await;
    app.sql(&format!(
        "UPDATE stores SET telegram_chat_id = '-7' WHERE id = '{}'",
        shop.store
    ))
    .await;
    place_order(&app, &shop).await;
    // Waits for the event, bounded: the worker polls every 20 ms.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while stubs.telegram.requests().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the worker never sent the Telegram message"
        );
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(request_json(&stubs.telegram.requests()[0])["chat_id"], "-7");
}
