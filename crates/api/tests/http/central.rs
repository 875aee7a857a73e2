//! The central admin (`/admin/central/*`) and the billing webhooks.

use comanda_crypto::hmac_sha256_hex;
use comanda_domain::tenancy::SubscriptionStatus;
use reqwest::Method;

use crate::support::{OWNER_PASSWORD, Session, TestApp, json, spawn_app_with};

const BILLING_SECRET: &str = "billing-secret-billing-secret-billing";
const ROTATED_SECRET: &str = "rotated-billing-secret-rotated-billing";

/// An app with the central tenant created at start-up and its owner signed in.
pub(crate) async fn central_app() -> (TestApp, Session) {
    let app = spawn_app_with(&[
        ("SUPER_ADMIN_TENANT_SLUG", "central"),
        (
            "BILLING_WEBHOOK_SECRETS",
            &format!("{BILLING_SECRET},{ROTATED_SECRET}"),
        ),
    ])
    .await;
    comanda_api::startup::ensure_startup_data(&app.settings)
        .await
        .expect("central tenant");
    let tenant = app
        .settings
        .tenancy
        .super_admin_tenant_slug
        .clone()
        .expect("configured");
    let record = comanda_ports::TenantRepository::find_by_slug(
        &comanda_postgres::PgTenantRepository::new(
            comanda_api::startup::database(&app.settings).expect("pool"),
        ),
        &tenant,
    )
    .await
    .expect("query")
    .expect("central tenant exists");
    // As `comanda create-owner` does: signing up to the central tenant is refused.
    app.create_owner(record.id, "operador@comanda.app").await;
    let token = app
        .login("central", "operador@comanda.app", OWNER_PASSWORD)
        .await;
    (
        app,
        Session {
            token,
            tenant: record,
            email: "operador@comanda.app".into(),
        },
    )
}

async fn create_plan(
    app: &TestApp,
    central: &Session,
    code: &str,
    modules: serde_json::Value,
    trial_days: i32,
) -> serde_json::Value {
    let response = app
        .send(
            central,
            Method::POST,
            "/admin/central/plans",
            Some(serde_json::json!({
                "code": code, "name": code.to_uppercase(), "price_cents": 9900, "modules": modules,
                "users_limit": 3, "stores_limit": 2, "trial_days": trial_days
            })),
        )
        .await;
    assert_eq!(response.status(), 201, "plan {code}");
    json(response).await
}

async fn signed_post(
    app: &TestApp,
    path: &str,
    body: &str,
    signature: Option<String>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(path))
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    if let Some(signature) = signature {
        request = request.header("X-Signature", signature);
    }
    request.send().await.expect("sent")
}

fn sign(secret: &str, body: &str) -> String {
    format!(
        "sha256={}",
        hmac_sha256_hex(secret.as_bytes(), body.as_bytes())
    )
}

#[tokio::test]
async fn only_the_central_owner_reaches_the_central_admin() {
    let (app, central) = central_app().await;
    assert_eq!(
        app.send(&central, Method::GET, "/admin/central/dashboard", None)
            .await
            .status(),
        200
    );
    let tenant_owner = app.tenant_with_owner("comum").await;
    for path in [
        "/admin/central/dashboard",
        "/admin/central/tenants",
        "/admin/central/plans",
    ] {
        let response = app.send(&tenant_owner, Method::GET, path, None).await;
        assert_eq!(response.status(), 403, "{path}");
        assert_eq!(json(response).await["code"], "forbidden");
    }
    let central_admin = app.staff(&central, "admin@comanda.app", "admin", &[]).await;
    assert_eq!(
        app.send_token(&central_admin, Method::GET, "/admin/central/tenants", None)
            .await
            .status(),
        403,
        "an admin of the central tenant is not its owner"
    );
    assert_eq!(app.get("/admin/central/tenants").await.status(), 401);
    let me = json(app.send(&central, Method::GET, "/auth/me", None).await).await;
    assert_eq!(me["is_super_admin"], true);
}

#[tokio::test]
async fn tenants_are_created_on_a_plan_listed_limited_and_deactivated() {
    let (app, central) = central_app().await;
    create_plan(
        &app,
        &central,
        "basico",
        serde_json::json!(["orders", "catalog"]),
        14,
    )
    .await;
    let created = app
        .send(
            &central,
            Method::POST,
            "/admin/central/tenants",
            Some(serde_json::json!({"slug": "nova-loja", "name": "Nova Loja", "plan_code": "basico"})),
        )
        .await;
    assert_eq!(created.status(), 201);
    let tenant = json(created).await;
    assert_eq!(tenant["subscription_status"], "trialing");
    assert_eq!(tenant["plan_code"], "basico");
    assert_eq!(
        tenant["modules"],
        serde_json::json!({"catalog": "plan", "orders": "plan"})
    );
    assert_eq!(tenant["users_limit"], 3);
    assert!(tenant["trial_ends_at"].is_string());
    let id = tenant["id"].as_str().expect("id").to_owned();

    let taken = app
        .send(
            &central,
            Method::POST,
            "/admin/central/tenants",
            Some(serde_json::json!({"slug": "nova-loja", "name": "De novo"})),
        )
        .await;
    assert_eq!(taken.status(), 409);
    assert_eq!(json(taken).await["code"], "slug_taken");

    let listed = json(
        app.send(
            &central,
            Method::GET,
            "/admin/central/tenants?status=trialing&search=nova",
            None,
        )
        .await,
    )
    .await;
    assert_eq!(listed["total"], 1);

    let limits = app
        .send(
            &central,
            Method::PUT,
            &format!("/admin/central/tenants/{id}/limits"),
            Some(serde_json::json!({"users_limit": 9, "stores_limit": 4})),
        )
        .await;
    assert_eq!(json(limits).await["users_limit"], 9);

    assert_eq!(
        app.send(
            &central,
            Method::DELETE,
            &format!("/admin/central/tenants/{id}"),
            None
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        app.get_as("nova-loja", "/stores").await.status(),
        404,
        "a deactivated tenant is gone"
    );
    let detail = json(
        app.send(
            &central,
            Method::GET,
            &format!("/admin/central/tenants/{id}"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(detail["is_active"], false);

    let dashboard = json(
        app.send(&central, Method::GET, "/admin/central/dashboard", None)
            .await,
    )
    .await;
    assert_eq!(dashboard["tenants_total"], 2);
}

#[tokio::test]
async fn assigning_a_plan_replaces_plan_modules_and_keeps_hand_granted_ones() {
    let (app, central) = central_app().await;
    create_plan(
        &app,
        &central,
        "inicial",
        serde_json::json!(["orders", "insights"]),
        0,
    )
    .await;
    create_plan(
        &app,
        &central,
        "pro",
        serde_json::json!(["orders", "catalog"]),
        0,
    )
    .await;
    let tenant = json(
        app.send(
            &central,
            Method::POST,
            "/admin/central/tenants",
            Some(serde_json::json!({"slug": "mudanca", "name": "Mudança", "plan_code": "inicial"})),
        )
        .await,
    )
    .await;
    let id = tenant["id"].as_str().expect("id");
    let granted = app
        .send(
            &central,
            Method::PUT,
            &format!("/admin/central/tenants/{id}/modules"),
            Some(serde_json::json!({"modules": ["orders", "insights", "whatsapp"]})),
        )
        .await;
    assert_eq!(
        json(granted).await["modules"],
        serde_json::json!({"insights": "plan", "orders": "plan", "whatsapp": "manual"})
    );
    let moved = app
        .send(
            &central,
            Method::PUT,
            &format!("/admin/central/tenants/{id}/plan"),
            Some(serde_json::json!({"plan_code": "pro"})),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let moved = json(moved).await;
    assert_eq!(
        moved["modules"],
        serde_json::json!({"catalog": "plan", "orders": "plan", "whatsapp": "manual"})
    );
    assert_eq!(moved["plan_code"], "pro");
    assert_eq!(moved["subscription_status"], "active");

    let unknown = app
        .send(
            &central,
            Method::PUT,
            &format!("/admin/central/tenants/{id}/plan"),
            Some(serde_json::json!({"plan_code": "nope"})),
        )
        .await;
    assert_eq!(unknown.status(), 422);
}

#[tokio::test]
async fn plans_are_validated_and_cannot_be_deleted_while_in_use() {
    let (app, central) = central_app().await;
    let bad = app
        .send(
            &central,
            Method::POST,
            "/admin/central/plans",
            Some(serde_json::json!({"code": "Bad Code", "name": "", "price_cents": -1, "users_limit": 1, "stores_limit": 1})),
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(json(bad).await["errors"].as_array().map(Vec::len), Some(3));
    let plan = create_plan(&app, &central, "usado", serde_json::json!(["orders"]), 0).await;
    let plan_id = plan["id"].as_str().expect("id");
    app.send(
        &central,
        Method::POST,
        "/admin/central/tenants",
        Some(serde_json::json!({"slug": "usa", "name": "Usa", "plan_code": "usado"})),
    )
    .await;
    let refused = app
        .send(
            &central,
            Method::DELETE,
            &format!("/admin/central/plans/{plan_id}"),
            None,
        )
        .await;
    assert_eq!(refused.status(), 409);
    assert_eq!(json(refused).await["code"], "plan_in_use");
    let free = create_plan(&app, &central, "livre", serde_json::json!([]), 0).await;
    let free_id = free["id"].as_str().expect("id");
    assert_eq!(
        app.send(
            &central,
            Method::DELETE,
            &format!("/admin/central/plans/{free_id}"),
            None
        )
        .await
        .status(),
        204
    );
    // Plans belong to no tenant: their changes are in the operator's log, not a tenant's.
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM operator_audit_log WHERE entity_type = 'plan' \
             AND action IN ('plan.create', 'plan.delete')"
        )
        .await,
        3
    );
}

#[tokio::test]
async fn messaging_tokens_are_write_only() {
    let (app, central) = central_app().await;
    let owner = app.tenant_with_owner("mensagens").await;
    let id = owner.tenant.id.to_string();
    let saved = app
        .send(
            &central,
            Method::PUT,
            &format!("/admin/central/tenants/{id}/messaging"),
            Some(serde_json::json!({"whatsapp_phone_number_id": "1234567890", "whatsapp_access_token": "EAAG-secret-token"})),
        )
        .await;
    assert_eq!(saved.status(), 200);
    let text = saved.text().await.expect("body");
    assert!(!text.contains("EAAG-secret-token"), "{text}");
    let view: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(view["whatsapp_access_token_set"], true);
    assert_eq!(view["telegram_bot_token_set"], false);
    let audit = app
        .scalar_text("SELECT after::text FROM audit_log WHERE action = 'tenant.messaging'")
        .await;
    assert!(!audit.contains("EAAG-secret-token"), "{audit}");
}

#[tokio::test]
async fn the_central_admin_manages_users_of_any_tenant_and_first_access_mode() {
    let (app, central) = central_app().await;
    let owner = app.tenant_with_owner("cliente").await;
    let id = owner.tenant.id.to_string();
    let created = app
        .send(
            &central,
            Method::POST,
            &format!("/admin/central/tenants/{id}/users"),
            Some(serde_json::json!({"email": "suporte@cliente.com.br", "password": "senha-suporte", "role": "admin"})),
        )
        .await;
    assert_eq!(created.status(), 201);
    let user_id = json(created).await["id"].as_str().expect("id").to_owned();
    app.login("cliente", "suporte@cliente.com.br", "senha-suporte")
        .await;
    let listed = json(
        app.send(
            &central,
            Method::GET,
            &format!("/admin/central/tenants/{id}/users"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(listed["total"], 2);
    let other_tenant = app.tenant_with_owner("outro-cliente").await;
    let wrong_pair = app
        .send(
            &central,
            Method::DELETE,
            &format!(
                "/admin/central/tenants/{}/users/{user_id}",
                other_tenant.tenant.id
            ),
            None,
        )
        .await;
    assert_eq!(
        wrong_pair.status(),
        404,
        "a user is only reached through its own tenant"
    );
    let test_mode = app
        .send(
            &central,
            Method::PUT,
            &format!("/admin/central/tenants/{id}/first-access-test"),
            Some(serde_json::json!({"enabled": true})),
        )
        .await;
    assert_eq!(json(test_mode).await["first_access_test_mode"], true);
    let audit = json(
        app.send(&owner, Method::GET, "/admin/audit?entity_type=tenant", None)
            .await,
    )
    .await;
    assert_eq!(
        audit["items"][0]["action"], "tenant.update",
        "the tenant sees what the operator did"
    );
}

async fn subscription_status(app: &TestApp, slug: &str) -> String {
    app.scalar_text(&format!(
        "SELECT s.status FROM tenant_subscriptions s JOIN tenants t ON t.id = s.tenant_id WHERE t.slug = '{slug}'"
    ))
    .await
}

fn status_body(event_id: &str, tenant: &str, status: &str, occurred_at: &str) -> String {
    serde_json::json!({"event_id": event_id, "tenant_slug": tenant, "status": status, "occurred_at": occurred_at}).to_string()
}

#[tokio::test]
async fn status_webhooks_need_a_good_signature_over_the_exact_body() {
    let (app, _central) = central_app().await;
    app.create_tenant("assinante", SubscriptionStatus::Active)
        .await;
    let body = status_body("evt-1", "assinante", "past_due", "2030-01-01T00:00:00Z");
    let signature = sign(BILLING_SECRET, &body);

    assert_eq!(
        signed_post(&app, "/billing/webhook/status", &body, None)
            .await
            .status(),
        401
    );
    let wrong = signed_post(
        &app,
        "/billing/webhook/status",
        &body,
        Some(sign("another-secret-another-secret-xxxx", &body)),
    )
    .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(json(wrong).await["code"], "invalid_signature");
    let changed = body.replace("past_due", "past_dua");
    assert_eq!(changed.len(), body.len());
    assert_eq!(
        signed_post(
            &app,
            "/billing/webhook/status",
            &changed,
            Some(signature.clone())
        )
        .await
        .status(),
        401
    );
    assert_eq!(
        subscription_status(&app, "assinante").await,
        "active",
        "nothing changed"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM billing_events").await,
        0
    );

    let bare_hex = signature.trim_start_matches("sha256=").to_owned();
    let applied = signed_post(&app, "/billing/webhook/status", &body, Some(bare_hex)).await;
    assert_eq!(applied.status(), 200);
    assert_eq!(json(applied).await["outcome"], "applied");
    assert_eq!(subscription_status(&app, "assinante").await, "past_due");

    let rotated_body = status_body("evt-2", "assinante", "active", "2030-01-02T00:00:00Z");
    let rotated = signed_post(
        &app,
        "/billing/webhook/status",
        &rotated_body,
        Some(sign(ROTATED_SECRET, &rotated_body)),
    )
    .await;
    assert_eq!(rotated.status(), 200, "every configured secret is accepted");
}

#[tokio::test]
async fn replayed_and_out_of_order_status_events_never_move_backwards() {
    let (app, _central) = central_app().await;
    app.create_tenant("ordem", SubscriptionStatus::Active).await;
    let send = |event: &'static str, status: &'static str, at: &'static str| {
        let body = status_body(event, "ordem", status, at);
        let signature = sign(BILLING_SECRET, &body);
        let app = &app;
        async move {
            json(signed_post(app, "/billing/webhook/status", &body, Some(signature)).await).await["outcome"].clone()
        }
    };
    assert_eq!(
        send("evt-b", "suspended", "2030-01-02T00:00:00Z").await,
        "applied"
    );
    assert_eq!(
        send("evt-a", "active", "2030-01-01T00:00:00Z").await,
        "stale",
        "older event arriving late"
    );
    assert_eq!(
        send("evt-b", "suspended", "2030-01-02T00:00:00Z").await,
        "duplicate"
    );
    assert_eq!(subscription_status(&app, "ordem").await, "suspended");
    assert_eq!(
        send("evt-c", "active", "2030-01-03T00:00:00Z").await,
        "applied"
    );
    assert_eq!(subscription_status(&app, "ordem").await, "active");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM billing_events").await,
        3
    );
}

#[tokio::test]
async fn status_events_for_unknown_tenants_are_404_and_recorded_nowhere() {
    let (app, _central) = central_app().await;
    let body = status_body("evt-x", "fantasma", "active", "2030-01-01T00:00:00Z");
    let response = signed_post(
        &app,
        "/billing/webhook/status",
        &body,
        Some(sign(BILLING_SECRET, &body)),
    )
    .await;
    assert_eq!(response.status(), 404);
    assert_eq!(json(response).await["code"], "tenant_not_found");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM billing_events").await,
        0
    );
}

#[tokio::test]
async fn intake_creates_tenant_owner_and_plan_once() {
    let (app, central) = central_app().await;
    create_plan(
        &app,
        &central,
        "entrada",
        serde_json::json!(["orders", "catalog", "users"]),
        0,
    )
    .await;
    let body = serde_json::json!({
        "event_id": "intake-1",
        "occurred_at": "2030-01-01T00:00:00Z",
        "tenant": {"slug": "chegou", "name": "Chegou Agora"},
        "owner": {"email": "Dona@Chegou.com.br", "name": "Dona", "password": "senha-da-dona"},
        "plan_code": "entrada"
    })
    .to_string();
    let signature = sign(BILLING_SECRET, &body);
    let created = signed_post(
        &app,
        "/billing/webhook/intake",
        &body,
        Some(signature.clone()),
    )
    .await;
    assert_eq!(created.status(), 201);
    assert_eq!(json(created).await["outcome"], "applied");
    let token = app
        .login("chegou", "dona@chegou.com.br", "senha-da-dona")
        .await;
    let me = json(app.send_token(&token, Method::GET, "/auth/me", None).await).await;
    assert_eq!(me["role"], "owner");
    assert_eq!(
        me["modules"],
        serde_json::json!(["orders", "catalog", "users"])
    );

    let replay = signed_post(&app, "/billing/webhook/intake", &body, Some(signature)).await;
    assert_eq!(replay.status(), 200);
    assert_eq!(json(replay).await["outcome"], "duplicate");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM tenants WHERE slug = 'chegou'")
            .await,
        1
    );

    let taken = serde_json::json!({
        "event_id": "intake-2", "occurred_at": "2030-01-01T00:00:00Z",
        "tenant": {"slug": "chegou", "name": "Outra"}, "owner": {"email": "x@y.com"}, "plan_code": "entrada"
    })
    .to_string();
    let conflict = signed_post(
        &app,
        "/billing/webhook/intake",
        &taken,
        Some(sign(BILLING_SECRET, &taken)),
    )
    .await;
    assert_eq!(conflict.status(), 409);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM billing_events WHERE event_id = 'intake-2'")
            .await,
        0
    );
}

#[tokio::test]
async fn webhooks_refuse_everything_without_configured_secrets() {
    let app = crate::support::spawn_app().await;
    let body = status_body("evt-1", "x", "active", "2030-01-01T00:00:00Z");
    let response = signed_post(
        &app,
        "/billing/webhook/status",
        &body,
        Some(sign(BILLING_SECRET, &body)),
    )
    .await;
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_whatsapp_number_routes_to_one_tenant_and_is_free_again_once_changed() {
    let (app, central) = central_app().await;
    let first = app.tenant_with_owner("numero-um").await.tenant.id;
    let second = app.tenant_with_owner("numero-dois").await.tenant.id;
    let set_number = |tenant: comanda_domain::TenantId, number: &'static str| {
        let (app, central) = (&app, &central);
        async move {
            app.send(
                central,
                Method::PUT,
                &format!("/admin/central/tenants/{tenant}/messaging"),
                Some(serde_json::json!({ "whatsapp_phone_number_id": number })),
            )
            .await
        }
    };
    let routes = || async {
        app.scalar_text(
            "SELECT coalesce(string_agg(phone_number_id || '=' || tenant_id, ',' \
             ORDER BY phone_number_id), '') FROM whatsapp_numbers",
        )
        .await
    };

    assert_eq!(set_number(first, "5511900000001").await.status(), 200);
    let taken = set_number(second, "5511900000001").await;
    assert_eq!(taken.status(), 409);
    assert_eq!(json(taken).await["code"], "phone_number_taken");
    assert_eq!(routes().await, format!("5511900000001={first}"));

    // Changing the first tenant's number frees the old one for the second.
    assert_eq!(set_number(first, "5511900000002").await.status(), 200);
    assert_eq!(set_number(second, "5511900000001").await.status(), 200);
    assert_eq!(
        routes().await,
        format!("5511900000001={second},5511900000002={first}")
    );
}
