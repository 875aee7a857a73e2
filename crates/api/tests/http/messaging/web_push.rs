//! Web Push: encrypted payloads signed with VAPID, the key pair checked at start-up,
//! subscriptions the push service calls gone, and endpoints that are not public HTTPS.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use comanda_testkit::StubResponse;
use reqwest::Method;
use serde_json::{Value, json};

use crate::builders::messaging::{
    BROWSER_AUTH, Stubs, browser_keys, connect_whatsapp, deliver, dispatch, now_ts, place_order,
    text_event,
};
use crate::builders::shop::shop;
use crate::support::json as body_json;

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
}

#[tokio::test]
async fn a_customers_whatsapp_message_reaches_staff_browsers_too() {
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
    assert_eq!(pushes.len(), 1);
    let auth = web_push_native::Auth::clone_from_slice(&BROWSER_AUTH);
    let plaintext =
        web_push_native::decrypt(pushes[0].body.clone(), &browser_secret, &auth).expect("decrypts");
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
}

#[tokio::test]
async fn a_public_push_endpoint_is_each_tenants_own_and_only_its_owner_removes_it() {
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
