//! The WhatsApp webhook: the verification challenge, signatures, and inbound messages landing
//! in the right tenant's conversation (their media fetched).

use comanda_crypto::hmac_sha256_hex;
use comanda_testkit::StubResponse;
use reqwest::Method;
use serde_json::json;

use crate::builders::messaging::{
    GRAPH_TOKEN, Stubs, VERIFY_TOKEN, connect_whatsapp, deliver, dispatch, image_event,
    messages_of, now_ts, post_signed, signature, text_event, the_conversation,
};
use crate::builders::shop::shop;
use crate::support::{json as body_json, spawn_app_with};

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
}

#[tokio::test]
async fn a_number_no_tenant_owns_is_ignored_unless_a_tenants_path_names_the_tenant() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let shop = shop(&app, "entrada", 5).await;
    connect_whatsapp(&app, shop.owner.tenant.id, "PN-ENTRADA").await;
    let other = app.tenant_with_owner("vizinha").await;

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
