//! The outbox dispatcher against stub providers: retried until it delivers once, dead after
//! the configured tries (and retried by hand), two dispatchers sharing one outbox, and the
//! background worker.

use comanda_testkit::StubResponse;
use reqwest::Method;
use serde_json::json;

use crate::builders::messaging::{
    BOT_TOKEN, Stubs, connect_whatsapp, dispatch, graph_sent, place_order, request_json,
};
use crate::builders::shop::{Shop, shop};
use crate::support::{TestApp, json as body_json, spawn_app_on};

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

/// A Telegram job left dead: the shop's store chat is set, Telegram answers 500 to every try,
/// and the order's jobs went through all `OUTBOX_MAX_ATTEMPTS` (3) passes.
async fn a_dead_telegram_job(stubs: &Stubs) -> (TestApp, Shop) {
    let app = stubs.app(&[]).await;
    let shop = shop(&app, "telegrama", 5).await;
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
    (app, shop)
}

#[tokio::test]
async fn a_provider_that_always_fails_leaves_the_job_dead_after_the_configured_tries() {
    let stubs = Stubs::start().await;
    let (app, shop) = a_dead_telegram_job(&stubs).await;
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
}

#[tokio::test]
async fn a_dead_job_is_retried_only_by_its_tenant_and_only_while_dead() {
    let stubs = Stubs::start().await;
    let (app, shop) = a_dead_telegram_job(&stubs).await;
    let other = app.tenant_with_owner("telegrama-2").await;
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
    let job_id = dead["items"][0]["id"].as_str().expect("id").to_owned();

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
