//! Sending WhatsApp messages: staff messages (free text inside the customer's 24-hour window,
//! templates outside it), order messages, and delivery reports that never move a message
//! backwards.

use chrono::{TimeDelta, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::builders::messaging::{
    Stubs, connect_whatsapp, deliver, dispatch, graph_sent, messages_of, now_ts, place_order,
    request_json, status_event, text_event, the_conversation,
};
use crate::builders::shop::{Shop, id, shop};
use crate::support::{TestApp, json as body_json};

/// A shop on WhatsApp whose customer last wrote 25 hours ago: the window is closed.
async fn a_closed_window(app: &TestApp) -> Shop {
    let shop = shop(app, "janela", 5).await;
    connect_whatsapp(app, shop.owner.tenant.id, "PN-JANELA").await;
    let yesterday = (Utc::now() - TimeDelta::hours(25)).timestamp().to_string();
    deliver(
        app,
        "/webhooks/whatsapp",
        &text_event("PN-JANELA", "5511987654321", "wamid.OLD", &yesterday, "oi"),
    )
    .await;
    assert_eq!(the_conversation(app, &shop).await["window_open"], false);
    shop
}

#[tokio::test]
async fn free_text_needs_the_open_window_and_bad_or_unconfigured_sends_are_refused() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let shop = a_closed_window(&app).await;
    let other = app.tenant_with_owner("sem-whatsapp").await;

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
}

#[tokio::test]
async fn templates_go_outside_the_window_and_free_text_inside_it() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let shop = a_closed_window(&app).await;

    let send = |body: Value| {
        app.send(
            &shop.owner,
            Method::POST,
            "/admin/whatsapp/messages",
            Some(body),
        )
    };
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

/// A shop on WhatsApp whose customer just wrote: the window is open.
async fn an_open_window(app: &TestApp) -> Shop {
    let shop = shop(app, "recibos", 5).await;
    connect_whatsapp(app, shop.owner.tenant.id, "PN-RECIBOS").await;
    deliver(
        app,
        "/webhooks/whatsapp",
        &text_event("PN-RECIBOS", "5511987654321", "wamid.HI", &now_ts(), "oi"),
    )
    .await;
    shop
}

#[tokio::test]
async fn statuses_out_of_order_never_move_a_message_backwards() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let shop = an_open_window(&app).await;
    let other = app.tenant_with_owner("recibos-2").await;
    connect_whatsapp(&app, other.tenant.id, "PN-OUTRO").await;
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
}

#[tokio::test]
async fn a_failure_report_keeps_its_reason_for_the_portal() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let shop = an_open_window(&app).await;
    let base = Utc::now().timestamp();
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
