//! Who may become a tenant's first owner (docs/deployment.md#production-checklist): nobody claims the central admin by signing
//! up first, and a tenant made in the central admin is claimed only with its invite.

use comanda_domain::tenancy::SubscriptionStatus;
use reqwest::Method;

use crate::central::central_app;
use crate::support::{OWNER_PASSWORD, TestApp, json, spawn_app_with};

async fn signup(app: &TestApp, slug: &str, body: serde_json::Value) -> reqwest::Response {
    app.client
        .post(app.url("/auth/signup"))
        .header("X-Tenant", slug)
        .json(&body)
        .send()
        .await
        .expect("sent")
}

async fn users_of(app: &TestApp, slug: &str) -> i64 {
    app.scalar_i64(&format!(
        "SELECT count(*) FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = '{slug}'"
    ))
    .await
}

#[tokio::test]
async fn the_central_tenant_cannot_be_claimed_by_signing_up_first_even_with_open_signup() {
    for open_signup in ["false", "true"] {
        let app = spawn_app_with(&[
            ("SUPER_ADMIN_TENANT_SLUG", "central"),
            ("ALLOW_OPEN_SIGNUP", open_signup),
        ])
        .await;
        comanda_api::startup::ensure_startup_data(&app.settings)
            .await
            .expect("central tenant");
        let response = signup(
            &app,
            "central",
            serde_json::json!({"email": "intruso@mal.com", "password": "senha-forte-123"}),
        )
        .await;
        assert_eq!(response.status(), 403, "ALLOW_OPEN_SIGNUP={open_signup}");
        assert_eq!(json(response).await["code"], "bootstrap_via_cli");
        assert_eq!(users_of(&app, "central").await, 0);
    }
}

#[tokio::test]
async fn a_tenant_made_in_the_central_admin_is_claimed_only_with_its_invite() {
    let (app, central) = central_app().await;
    let created = app
        .send(
            &central,
            Method::POST,
            "/admin/central/tenants",
            Some(serde_json::json!({
                "slug": "pizzaria-nova", "name": "Pizzaria Nova",
                "owner": {"email": "Dona@PizzariaNova.com", "name": "Dona Rosa"}
            })),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created = json(created).await;
    assert_eq!(created["slug"], "pizzaria-nova");
    let token = created["owner_invite_token"]
        .as_str()
        .expect("an invite token")
        .to_owned();
    assert!(created["owner_invite_expires_at"].is_string());
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM owner_invites WHERE length(token_digest) = 64 AND token_digest <> '{token}'"
        ))
        .await,
        1,
        "only a digest is kept"
    );

    let password = "senha-da-dona-123";
    let attempts = [
        (
            serde_json::json!({"email": "dona@pizzarianova.com", "password": password}),
            "no invite",
        ),
        (
            serde_json::json!({"email": "dona@pizzarianova.com", "password": password, "invite_token": "forjado"}),
            "a made-up invite",
        ),
        (
            serde_json::json!({"email": "outra@pessoa.com", "password": password, "invite_token": token}),
            "someone else's e-mail",
        ),
    ];
    for (body, case) in attempts {
        let response = signup(&app, "pizzaria-nova", body).await;
        assert_eq!(response.status(), 403, "{case}");
        assert_eq!(json(response).await["code"], "invite_required", "{case}");
    }
    assert_eq!(users_of(&app, "pizzaria-nova").await, 0);

    let claimed = signup(
        &app,
        "pizzaria-nova",
        serde_json::json!({"email": "dona@pizzarianova.com", "password": password, "invite_token": token}),
    )
    .await;
    assert_eq!(claimed.status(), 201);
    let owner = json(claimed).await;
    assert_eq!(owner["role"], "owner");
    assert_eq!(
        owner["name"], "Dona Rosa",
        "the invite's name when none is sent"
    );
    app.login("pizzaria-nova", "dona@pizzarianova.com", password)
        .await;

    let again = signup(
        &app,
        "pizzaria-nova",
        serde_json::json!({"email": "dona@pizzarianova.com", "password": password, "invite_token": token}),
    )
    .await;
    assert_eq!(again.status(), 409);
    assert_eq!(json(again).await["code"], "already_bootstrapped");
    assert_eq!(users_of(&app, "pizzaria-nova").await, 1);
    let invite = app
        .send(
            &central,
            Method::POST,
            &format!(
                "/admin/central/tenants/{}/owner-invite",
                created["id"].as_str().expect("id")
            ),
            Some(serde_json::json!({"email": "novo@dono.com"})),
        )
        .await;
    assert_eq!(invite.status(), 409, "a claimed tenant takes no new invite");
    assert_eq!(json(invite).await["code"], "already_bootstrapped");
}

#[tokio::test]
async fn a_tenant_without_an_owner_waits_for_an_invite_and_a_new_invite_voids_the_old() {
    let (app, central) = central_app().await;
    let created = json(
        app.send(
            &central,
            Method::POST,
            "/admin/central/tenants",
            Some(serde_json::json!({"slug": "sem-dono", "name": "Sem Dono"})),
        )
        .await,
    )
    .await;
    assert!(created["owner_invite_token"].is_null());
    let id = created["id"].as_str().expect("id").to_owned();
    let open = signup(
        &app,
        "sem-dono",
        serde_json::json!({"email": "primeiro@chegou.com", "password": OWNER_PASSWORD}),
    )
    .await;
    assert_eq!(open.status(), 403);
    assert_eq!(json(open).await["code"], "invite_required");

    let invite_path = format!("/admin/central/tenants/{id}/owner-invite");
    let first = json(
        app.send(
            &central,
            Method::POST,
            &invite_path,
            Some(serde_json::json!({"email": "dono@semdono.com"})),
        )
        .await,
    )
    .await;
    let second = app
        .send(
            &central,
            Method::POST,
            &invite_path,
            Some(serde_json::json!({"email": "dono@semdono.com", "name": "Dono"})),
        )
        .await;
    assert_eq!(second.status(), 201);
    let second = json(second).await;
    assert_eq!(second["email"], "dono@semdono.com");
    let with_first = signup(
        &app,
        "sem-dono",
        serde_json::json!({"email": "dono@semdono.com", "password": OWNER_PASSWORD, "invite_token": first["owner_invite_token"]}),
    )
    .await;
    assert_eq!(with_first.status(), 403, "the first invite was replaced");
    let with_second = signup(
        &app,
        "sem-dono",
        serde_json::json!({"email": "dono@semdono.com", "password": OWNER_PASSWORD, "invite_token": second["owner_invite_token"]}),
    )
    .await;
    assert_eq!(with_second.status(), 201);

    let unknown = app
        .send(
            &central,
            Method::POST,
            "/admin/central/tenants/0190d3a0-0000-7000-8000-000000000000/owner-invite",
            Some(serde_json::json!({"email": "x@y.com"})),
        )
        .await;
    assert_eq!(unknown.status(), 404);
    let bad_email = app
        .send(
            &central,
            Method::POST,
            "/admin/central/tenants",
            Some(serde_json::json!({"slug": "ruim", "name": "Ruim", "owner": {"email": "nope"}})),
        )
        .await;
    assert_eq!(bad_email.status(), 422);
    assert_eq!(json(bad_email).await["errors"][0]["field"], "owner.email");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM tenants WHERE slug = 'ruim'")
            .await,
        0
    );
    let audited = app
        .scalar_i64("SELECT count(*) FROM audit_log WHERE action = 'tenant.owner_invite'")
        .await;
    assert_eq!(audited, 2);
}

#[tokio::test]
async fn an_expired_invite_is_refused() {
    let (app, central) = central_app().await;
    let created = json(
        app.send(
            &central,
            Method::POST,
            "/admin/central/tenants",
            Some(serde_json::json!({"slug": "atrasado", "name": "Atrasado", "owner": {"email": "dono@atrasado.com"}})),
        )
        .await,
    )
    .await;
    app.sql("UPDATE owner_invites SET expires_at = now() - interval '1 minute'")
        .await;
    let response = signup(
        &app,
        "atrasado",
        serde_json::json!({"email": "dono@atrasado.com", "password": OWNER_PASSWORD, "invite_token": created["owner_invite_token"]}),
    )
    .await;
    assert_eq!(response.status(), 403);
    assert_eq!(json(response).await["code"], "invite_required");
}

#[tokio::test]
async fn open_signup_keeps_the_original_first_user_rule_for_moving_over() {
    let closed = spawn_app_with(&[]).await;
    closed
        .create_tenant("migrando", SubscriptionStatus::Active)
        .await;
    let body = serde_json::json!({"email": "dono@migrando.com", "password": OWNER_PASSWORD});
    let refused = signup(&closed, "migrando", body.clone()).await;
    assert_eq!(refused.status(), 403);

    let open = spawn_app_with(&[("ALLOW_OPEN_SIGNUP", "true")]).await;
    open.create_tenant("migrando", SubscriptionStatus::Active)
        .await;
    let accepted = signup(&open, "migrando", body).await;
    assert_eq!(accepted.status(), 201);
    assert_eq!(json(accepted).await["role"], "owner");
}
