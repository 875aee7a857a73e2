//! One tenant cannot hurt the others through the outbox (docs/operations.md#fairness-and-saturation): fair claiming, concurrent
//! jobs under a deadline, leases, purges; pushes only to the staff who may see them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use comanda_ports::messaging::OutboxRepository;
use reqwest::Method;
use serde_json::json;

use crate::builders::messaging::{Stubs, browser_keys, connect_whatsapp, place_order};
use crate::builders::shop::shop;
use crate::support::{TestApp, json as body_json};

/// A TCP server that accepts every connection and never answers: a push service that hangs.
/// Answers its port and how many connections it accepted.
async fn hanging_server() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (port, accepted)
}

async fn subscribe(app: &TestApp, token: &str, endpoint: &str) -> reqwest::Response {
    let (_, p256dh, auth) = browser_keys();
    app.send_token(
        token,
        Method::POST,
        "/admin/webpush/subscriptions",
        Some(json!({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}})),
    )
    .await
}

fn outbox(app: &TestApp) -> comanda_postgres::PgOutboxRepository {
    comanda_postgres::PgOutboxRepository::new(
        comanda_api::startup::database(&app.settings).expect("pool"),
    )
}

#[tokio::test]
async fn hanging_push_endpoints_of_one_tenant_delay_another_tenants_whatsapp_by_at_most_the_deadline()
 {
    let stubs = Stubs::start().await;
    let deadline = Duration::from_secs(2);
    let app = stubs.app(&[("OUTBOX_JOB_TIMEOUT_SECONDS", "2")]).await;
    let (hang_port, accepted) = hanging_server().await;

    // Tenant A: five staff accounts with ten browsers each, all on a host that never answers.
    let noisy = shop(&app, "barulhenta", 5).await;
    let mut tokens = vec![noisy.owner.token.clone()];
    for index in 1..5 {
        tokens.push(
            app.staff(
                &noisy.owner,
                &format!("equipe{index}@barulhenta.com"),
                "admin",
                &[],
            )
            .await,
        );
    }
    for (user, token) in tokens.iter().enumerate() {
        for browser in 0..10 {
            let endpoint = format!("http://127.0.0.1:{hang_port}/push/u{user}-b{browser}");
            assert_eq!(subscribe(&app, token, &endpoint).await.status(), 201);
        }
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM webpush_subscriptions")
            .await,
        50
    );
    place_order(&app, &noisy).await;

    // Tenant B: an order whose confirmation goes out on WhatsApp.
    let quiet = shop(&app, "quieta", 5).await;
    connect_whatsapp(&app, quiet.owner.tenant.id, "PN-QUIETA").await;
    place_order(&app, &quiet).await;

    let started = Instant::now();
    let dispatcher = app.state.dispatcher.clone();
    let pass = tokio::spawn(async move { dispatcher.run_once().await });
    // Liveness, not speed: B's message must not wait behind A's fifty hanging pushes (which
    // would take fifty times the push client's 10 s timeout one after the other).
    let bound = deadline + Duration::from_secs(5);
    while stubs.graph.requests().is_empty() {
        assert!(
            started.elapsed() < bound,
            "tenant B's confirmation did not reach the Graph API within {bound:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let sent = stubs.graph.requests();
    assert!(
        sent[0].path.contains("PN-QUIETA"),
        "tenant B's number sent it: {}",
        sent[0].path
    );
    let report = pass.await.expect("joined").expect("pass");
    assert_eq!(report.unsettled, 0, "{report:?}");
    assert!(
        report.retried >= 1,
        "A's push job ran out of time: {report:?}"
    );
    assert!(
        accepted.load(Ordering::SeqCst) > 1,
        "A's pushes were sent side by side"
    );
    assert_eq!(
        app.scalar_text(&format!(
            "SELECT status || ':' || coalesce(last_error, '') FROM outbox \
             WHERE kind = 'webpush.new_order' AND tenant_id = '{}'",
            noisy.owner.tenant.id
        ))
        .await,
        "pending:did not finish within 2 s",
        "retried later, like any temporary failure"
    );
}

#[tokio::test]
async fn pushes_go_only_to_active_staff_who_may_view_the_orders() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let shop = shop(&app, "equipe", 5).await;
    let viewers = crate::builders::shop::created(
        app.send(
            &shop.owner,
            Method::POST,
            "/admin/groups",
            Some(
                json!({"name": "Pedidos", "permissions": [{"module": "orders", "action": "view"}]}),
            ),
        )
        .await,
    )
    .await;
    let viewers = viewers["id"].as_str().expect("group id").to_owned();
    let manager = app
        .staff(&shop.owner, "gerente@equipe.com", "manager", &[viewers])
        .await;
    let operator = app
        .staff(&shop.owner, "caixa@equipe.com", "operator", &[])
        .await;
    let leaving = app
        .staff(&shop.owner, "saindo@equipe.com", "admin", &[])
        .await;
    let endpoint = |who: &str| format!("{}/push/{who}", stubs.push.base_url);
    for (token, who) in [
        (&shop.owner.token, "owner"),
        (&manager, "manager"),
        (&operator, "operator"),
        (&leaving, "leaving"),
    ] {
        assert_eq!(subscribe(&app, token, &endpoint(who)).await.status(), 201);
    }
    let leaving_id = body_json(
        app.send_token(&leaving, Method::GET, "/auth/me", None)
            .await,
    )
    .await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let deactivated = app
        .send(
            &shop.owner,
            Method::PATCH,
            &format!("/admin/users/{leaving_id}"),
            Some(json!({"is_active": false})),
        )
        .await;
    assert_eq!(deactivated.status(), 200);
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM webpush_subscriptions WHERE user_id = '{leaving_id}'"
        ))
        .await,
        0,
        "deactivation deletes the user's subscriptions"
    );

    place_order(&app, &shop).await;
    crate::builders::messaging::dispatch(&app).await;
    let mut reached: Vec<String> = stubs
        .push
        .requests()
        .iter()
        .map(|request| request.path.trim_start_matches("/push/").to_owned())
        .collect();
    reached.sort();
    assert_eq!(reached, vec!["manager", "owner"]);
}

#[tokio::test]
async fn a_user_keeps_at_most_ten_browsers_the_oldest_giving_way() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let shop = shop(&app, "navegadores", 5).await;
    for browser in 0..12 {
        let endpoint = format!("{}/push/b{browser}", stubs.push.base_url);
        assert_eq!(
            subscribe(&app, &shop.owner.token, &endpoint).await.status(),
            201
        );
    }
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
    let mut endpoints: Vec<String> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item| item["endpoint"].as_str())
        .map(|endpoint| endpoint.rsplit('/').next().unwrap_or_default().to_owned())
        .collect();
    endpoints.sort();
    let mut expected: Vec<String> = (2..12).map(|browser| format!("b{browser}")).collect();
    expected.sort();
    assert_eq!(endpoints, expected, "b0 and b1 gave way");
}

#[tokio::test]
async fn claiming_is_fair_across_tenants() {
    let app = crate::support::spawn_app().await;
    let noisy = app
        .create_tenant(
            "muitos",
            comanda_domain::tenancy::SubscriptionStatus::Active,
        )
        .await;
    let quiet = app
        .create_tenant(
            "poucos",
            comanda_domain::tenancy::SubscriptionStatus::Active,
        )
        .await;
    // Thirty old jobs of one tenant, then one newer job of another.
    app.sql(&format!(
        "INSERT INTO outbox (id, tenant_id, kind, payload, next_attempt_at) \
         SELECT gen_random_uuid(), '{}', 'telegram.new_order', '{{}}', now() - interval '1 hour' + n * interval '1 second' \
         FROM generate_series(1, 30) n",
        noisy.id
    ))
    .await;
    app.sql(&format!(
        "INSERT INTO outbox (id, tenant_id, kind, payload) VALUES (gen_random_uuid(), '{}', 'telegram.new_order', '{{}}')",
        quiet.id
    ))
    .await;
    let claimed = outbox(&app)
        .claim(5, Duration::from_secs(60))
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 5);
    assert!(
        claimed.iter().any(|job| job.tenant_id == quiet.id),
        "the other tenant's job is in the first batch"
    );
}

#[tokio::test]
async fn only_the_holder_of_the_current_lease_records_a_jobs_outcome() {
    let app = crate::support::spawn_app().await;
    let tenant = app
        .create_tenant(
            "arrendado",
            comanda_domain::tenancy::SubscriptionStatus::Active,
        )
        .await;
    app.sql(&format!(
        "INSERT INTO outbox (id, tenant_id, kind, payload) VALUES (gen_random_uuid(), '{}', 'telegram.new_order', '{{}}')",
        tenant.id
    ))
    .await;
    let repository = outbox(&app);
    // A lease that runs out at once: another dispatcher claims the same job.
    let first = repository
        .claim(1, Duration::ZERO)
        .await
        .expect("claim")
        .pop()
        .expect("the job");
    let second = repository
        .claim(1, Duration::from_secs(60))
        .await
        .expect("claim")
        .pop()
        .expect("the job, again");
    assert_eq!(first.id, second.id);
    assert!(
        !repository.mark_dead(&first, "late").await.expect("a no-op"),
        "the first holder's lease is gone"
    );
    assert!(repository.mark_sent(&second).await.expect("recorded"));
    assert_eq!(
        app.scalar_text("SELECT status || ':' || coalesce(last_error, '-') FROM outbox")
            .await,
        "sent:-"
    );
}

#[tokio::test]
async fn housekeeping_purges_old_sent_jobs_and_idempotency_keys_but_keeps_dead_jobs() {
    let app = crate::support::spawn_app().await;
    let tenant = app
        .create_tenant(
            "faxina",
            comanda_domain::tenancy::SubscriptionStatus::Active,
        )
        .await;
    let insert = |status: &str, age: &str| {
        format!(
            "INSERT INTO outbox (id, tenant_id, kind, payload, status, updated_at) \
             VALUES (gen_random_uuid(), '{}', 'k', '{{}}', '{status}', now() - interval '{age}')",
            tenant.id
        )
    };
    for (status, age) in [
        ("sent", "40 days"),
        ("skipped", "40 days"),
        ("sent", "1 day"),
        ("dead", "400 days"),
        ("pending", "40 days"),
    ] {
        app.sql(&insert(status, age)).await;
    }
    app.sql(&format!(
        "INSERT INTO idempotency_keys (tenant_id, key, request_hash, created_at) VALUES \
         ('{0}', 'velha', 'h', now() - interval '25 hours'), ('{0}', 'nova', 'h', now() - interval '1 hour')",
        tenant.id
    ))
    .await;
    let report = app.state.housekeeping.run_once().await.expect("purge");
    assert_eq!(report.outbox_jobs, 2);
    assert_eq!(report.idempotency_keys, 1);
    assert_eq!(
        app.scalar_text("SELECT string_agg(status, ',' ORDER BY status) FROM outbox")
            .await,
        "dead,pending,sent"
    );
    assert_eq!(
        app.scalar_text("SELECT string_agg(key, ',') FROM idempotency_keys")
            .await,
        "nova"
    );
}

#[tokio::test]
async fn signed_webhooks_are_never_rate_limited_but_refused_ones_are_per_ip() {
    let stubs = Stubs::start().await;
    let app = stubs
        .app(&[
            ("RATE_LIMIT_PER_MINUTE", "30"),
            (
                "BILLING_WEBHOOK_SECRET",
                "billing-secret-billing-secret-billing",
            ),
        ])
        .await;
    let shop = shop(&app, "ganchos", 5).await;
    connect_whatsapp(&app, shop.owner.tenant.id, "PN-GANCHOS").await;
    // Meta sends every tenant's events from a few addresses: more signed ones than the per-IP
    // limit all pass.
    for index in 0..40 {
        let event = crate::builders::messaging::text_event(
            "PN-GANCHOS",
            "5511987654321",
            &format!("wamid.LIMIT{index}"),
            &crate::builders::messaging::now_ts(),
            "oi",
        );
        let body = event.to_string().into_bytes();
        let signature = crate::builders::messaging::signature(&body);
        let response = crate::builders::messaging::post_signed(
            &app,
            "/webhooks/whatsapp",
            &body,
            Some(&signature),
        )
        .await;
        assert_eq!(response.status(), 200, "signed event {index}");
    }
    let body =
        json!({"event_id": "evt-1", "tenant_slug": "ganchos", "status": "active"}).to_string();
    let signed = format!(
        "sha256={}",
        comanda_crypto::hmac_sha256_hex(b"billing-secret-billing-secret-billing", body.as_bytes())
    );
    for index in 0..5 {
        let response = app
            .client
            .post(app.url("/billing/webhook/status"))
            .header("X-Signature", &signed)
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("sent");
        assert_ne!(response.status(), 429, "signed billing event {index}");
        assert_ne!(response.status(), 401);
    }
    // Wrong signatures count against the sender's address.
    let mut statuses = Vec::new();
    for _ in 0..32 {
        let response = app
            .client
            .post(app.url("/billing/webhook/status"))
            .header("X-Signature", "sha256=00")
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("sent");
        statuses.push(response.status().as_u16());
    }
    let mut expected = vec![401; 30];
    expected.extend([429, 429]);
    assert_eq!(statuses, expected);
}

#[tokio::test]
async fn ipv6_clients_are_limited_by_their_64() {
    let app = crate::support::spawn_app_with(&[
        ("RATE_LIMIT_PER_MINUTE", "2"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    let from = |address: &'static str| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/stores"))
                .header("X-Tenant", "ninguem")
                .header("X-Forwarded-For", address)
                .send()
                .await
                .expect("sent")
                .status()
                .as_u16()
        }
    };
    assert_ne!(from("2001:db8:1:2::1").await, 429);
    assert_ne!(from("2001:db8:1:2::2").await, 429);
    assert_eq!(
        from("2001:db8:1:2:ffff::3").await,
        429,
        "another address of the same /64 is the same client"
    );
    assert_ne!(
        from("2001:db8:1:3::1").await,
        429,
        "another /64 is another client"
    );
}

#[tokio::test]
async fn a_tenants_webhook_path_never_takes_another_tenants_number_and_message_ids_are_per_tenant()
{
    let stubs = Stubs::start().await;
    let app = stubs.app(&[]).await;
    let first = shop(&app, "primeira", 5).await;
    let second = shop(&app, "segunda", 5).await;
    connect_whatsapp(&app, first.owner.tenant.id, "PN-PRIMEIRA").await;
    connect_whatsapp(&app, second.owner.tenant.id, "PN-SEGUNDA").await;
    let event = |number: &str| {
        crate::builders::messaging::text_event(
            number,
            "5511987654321",
            "wamid.SHARED",
            &crate::builders::messaging::now_ts(),
            "olá",
        )
    };
    // The second tenant's number posted on the first tenant's path: dropped, still 200.
    let misrouted = crate::builders::messaging::deliver(
        &app,
        "/webhooks/whatsapp/primeira",
        &event("PN-SEGUNDA"),
    )
    .await;
    assert_eq!(misrouted["messages_stored"], 0);
    assert_eq!(misrouted["ignored"], 1);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM whatsapp_messages")
            .await,
        0
    );
    // The same message id reported to both tenants is stored for each.
    let stored_first =
        crate::builders::messaging::deliver(&app, "/webhooks/whatsapp", &event("PN-PRIMEIRA"))
            .await;
    let stored_second =
        crate::builders::messaging::deliver(&app, "/webhooks/whatsapp", &event("PN-SEGUNDA")).await;
    assert_eq!(stored_first["messages_stored"], 1);
    assert_eq!(stored_second["messages_stored"], 1);
    assert_eq!(
        app.scalar_i64("SELECT count(DISTINCT tenant_id) FROM whatsapp_messages WHERE wa_message_id = 'wamid.SHARED'")
            .await,
        2
    );
}

#[tokio::test]
async fn a_media_download_stops_past_16_mib() {
    let stubs = Stubs::start().await;
    let app = stubs.app(&[("OUTBOX_MAX_ATTEMPTS", "1")]).await;
    let shop = shop(&app, "pesada", 5).await;
    connect_whatsapp(&app, shop.owner.tenant.id, "PN-PESADA").await;
    stubs.graph.respond_with(vec![
        comanda_testkit::StubResponse::json(
            200,
            json!({"url": format!("{}/lookaside/BIG", stubs.graph.base_url), "mime_type": "video/mp4", "id": "BIG"}),
        ),
        comanda_testkit::StubResponse {
            status: 200,
            body: "x".repeat(16 * 1024 * 1024 + 1),
            content_type: "video/mp4",
        },
    ]);
    let image =
        crate::builders::messaging::image_event("PN-PESADA", "5511987654321", "wamid.BIG", "BIG");
    crate::builders::messaging::deliver(&app, "/webhooks/whatsapp", &image).await;
    crate::builders::messaging::dispatch(&app).await;
    assert_eq!(
        app.scalar_text(
            "SELECT status || ':' || coalesce(last_error, '') FROM outbox WHERE kind = 'whatsapp.download_media'"
        )
        .await,
        "dead:the media is larger than 16777216 bytes"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM whatsapp_messages WHERE media_key IS NOT NULL")
            .await,
        0
    );
}
