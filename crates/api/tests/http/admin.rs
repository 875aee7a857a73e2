//! The tenant portal: guards, users, groups, modules, audit — and tenant isolation.

use reqwest::Method;

use crate::support::{Session, TestApp, json, spawn_app};

async fn id_of(app: &TestApp, token: &str) -> String {
    json(app.send_token(token, Method::GET, "/auth/me", None).await).await["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn create_group(
    app: &TestApp,
    owner: &Session,
    name: &str,
    permissions: serde_json::Value,
) -> String {
    let response = app
        .send(
            owner,
            Method::POST,
            "/admin/groups",
            Some(serde_json::json!({"name": name, "permissions": permissions})),
        )
        .await;
    assert_eq!(response.status(), 201);
    json(response).await["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn operators_have_exactly_what_their_groups_grant() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("grupos").await;
    let viewers = create_group(
        &app,
        &owner,
        "Leitores",
        serde_json::json!([{"module": "users", "action": "view"}]),
    )
    .await;
    let operator = app
        .staff(&owner, "op@grupos.com.br", "operator", &[viewers])
        .await;

    assert_eq!(
        app.send_token(&operator, Method::GET, "/admin/users", None)
            .await
            .status(),
        200
    );
    let refused = app
        .send_token(
            &operator,
            Method::POST,
            "/admin/users",
            Some(serde_json::json!({"email": "x@grupos.com.br", "password": "senha-qualquer", "role": "operator"})),
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(json(refused).await["code"], "forbidden");
    assert_eq!(
        app.send_token(&operator, Method::GET, "/admin/groups", None)
            .await
            .status(),
        403
    );

    let me = json(
        app.send_token(&operator, Method::GET, "/auth/me", None)
            .await,
    )
    .await;
    assert_eq!(me["modules"], serde_json::json!(["users"]));
    assert_eq!(
        me["permissions"],
        serde_json::json!([{"module": "users", "action": "view"}])
    );
    let modules = json(
        app.send_token(&operator, Method::GET, "/admin/modules", None)
            .await,
    )
    .await;
    assert_eq!(modules["modules"], serde_json::json!(["users"]));
}

#[tokio::test]
async fn permission_changes_apply_to_live_sessions() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("aovivo").await;
    let group = create_group(&app, &owner, "Equipe", serde_json::json!([])).await;
    let manager = app
        .staff(
            &owner,
            "gerente@aovivo.com.br",
            "manager",
            std::slice::from_ref(&group),
        )
        .await;
    assert_eq!(
        app.send_token(&manager, Method::GET, "/admin/groups", None)
            .await
            .status(),
        403
    );
    let granted = app
        .send(
            &owner,
            Method::PATCH,
            &format!("/admin/groups/{group}"),
            Some(serde_json::json!({"permissions": [{"module": "groups", "action": "view"}]})),
        )
        .await;
    assert_eq!(granted.status(), 200);
    assert_eq!(
        app.send_token(&manager, Method::GET, "/admin/groups", None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn admins_may_do_everything_but_billing() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("admins").await;
    let admin = app.staff(&owner, "admin@admins.com.br", "admin", &[]).await;
    assert_eq!(
        app.send_token(&admin, Method::GET, "/admin/users", None)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.send_token(&admin, Method::GET, "/admin/audit", None)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.send_token(&admin, Method::GET, "/admin/billing", None)
            .await
            .status(),
        403
    );
    assert_eq!(
        app.send(&owner, Method::GET, "/admin/billing", None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_disabled_module_is_module_disabled_even_for_the_owner() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("semgrupos").await;
    app.sql("DELETE FROM tenant_modules WHERE module = 'groups'")
        .await;
    let response = app.send(&owner, Method::GET, "/admin/groups", None).await;
    assert_eq!(response.status(), 403);
    assert_eq!(json(response).await["code"], "module_disabled");
    assert_eq!(
        app.send(&owner, Method::GET, "/admin/users", None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_suspended_subscription_leaves_only_auth_modules_and_billing() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("suspensa").await;
    app.sql("UPDATE tenant_subscriptions SET status = 'suspended'")
        .await;
    assert_eq!(
        app.send(&owner, Method::GET, "/auth/me", None)
            .await
            .status(),
        200
    );
    let modules = json(app.send(&owner, Method::GET, "/admin/modules", None).await).await;
    assert_eq!(modules["modules"], serde_json::json!([]));
    assert_eq!(modules["subscription_status"], "suspended");
    let billing = app.send(&owner, Method::GET, "/admin/billing", None).await;
    assert_eq!(billing.status(), 200);
    assert_eq!(json(billing).await["subscription_status"], "suspended");
    for path in ["/admin/users", "/admin/groups"] {
        let response = app.send(&owner, Method::GET, path, None).await;
        assert_eq!(response.status(), 403, "{path}");
        assert_eq!(json(response).await["code"], "module_disabled", "{path}");
    }
}

#[tokio::test]
async fn the_users_limit_is_enforced_on_create() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("lotado").await;
    app.sql("UPDATE tenants SET users_limit = 2").await;
    app.staff(&owner, "um@lotado.com.br", "operator", &[]).await;
    let refused = app
        .send(
            &owner,
            Method::POST,
            "/admin/users",
            Some(serde_json::json!({"email": "dois@lotado.com.br", "password": "senha-qualquer", "role": "operator"})),
        )
        .await;
    assert_eq!(refused.status(), 409);
    assert_eq!(json(refused).await["code"], "limit_reached");
    assert_eq!(app.scalar_i64("SELECT count(*) FROM users").await, 2);
}

#[tokio::test]
async fn nobody_grants_a_role_above_their_own() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("escada").await;
    let group = create_group(
        &app,
        &owner,
        "RH",
        serde_json::json!([{"module": "users", "action": "create"}, {"module": "users", "action": "update"}]),
    )
    .await;
    let manager = app
        .staff(&owner, "rh@escada.com.br", "manager", &[group])
        .await;
    for role in ["owner", "admin"] {
        let response = app
            .send_token(
                &manager,
                Method::POST,
                "/admin/users",
                Some(serde_json::json!({"email": format!("{role}@escada.com.br"), "password": "senha-qualquer", "role": role})),
            )
            .await;
        assert_eq!(response.status(), 403, "{role}");
    }
    let manager_id = id_of(&app, &manager).await;
    let promote_self = app
        .send_token(
            &manager,
            Method::PATCH,
            &format!("/admin/users/{manager_id}"),
            Some(serde_json::json!({"role": "owner"})),
        )
        .await;
    assert_eq!(promote_self.status(), 403);
    assert_eq!(
        app.scalar_text("SELECT role FROM users WHERE email = 'rh@escada.com.br'")
            .await,
        "manager"
    );
}

#[tokio::test]
async fn the_last_owner_cannot_be_demoted_deleted_or_deactivated() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("dono").await;
    let owner_id = id_of(&app, &owner.token).await;
    // Nobody changes their own role (docs/operations.md#fairness-and-saturation), which comes first; the central admin demoting
    // a tenant's last owner is 409 `last_owner` (grants.rs).
    let demote = app
        .send(
            &owner,
            Method::PATCH,
            &format!("/admin/users/{owner_id}"),
            Some(serde_json::json!({"role": "admin"})),
        )
        .await;
    assert_eq!(demote.status(), 403);
    assert_eq!(json(demote).await["code"], "forbidden");
    let deactivate_self = app
        .send(
            &owner,
            Method::PATCH,
            &format!("/admin/users/{owner_id}"),
            Some(serde_json::json!({"is_active": false})),
        )
        .await;
    assert_eq!(deactivate_self.status(), 409);
    assert_eq!(
        json(deactivate_self).await["code"],
        "cannot_deactivate_self"
    );
    let delete_self = app
        .send(
            &owner,
            Method::DELETE,
            &format!("/admin/users/{owner_id}"),
            None,
        )
        .await;
    assert_eq!(delete_self.status(), 409);
    assert_eq!(app.scalar_text("SELECT role FROM users").await, "owner");
}

#[tokio::test]
async fn users_and_groups_round_trip() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("ciclo").await;
    let group = create_group(
        &app,
        &owner,
        "Cozinha",
        serde_json::json!([{"module": "orders", "action": "view"}]),
    )
    .await;
    let created = app
        .send(
            &owner,
            Method::POST,
            "/admin/users",
            Some(serde_json::json!({"email": "Chef@Ciclo.com.br", "name": "Chef", "password": "senha-do-chef", "role": "operator", "group_ids": [group]})),
        )
        .await;
    assert_eq!(created.status(), 201);
    let user = json(created).await;
    let user_id = user["id"].as_str().expect("id");
    assert_eq!(user["email"], "chef@ciclo.com.br");
    assert_eq!(user["group_ids"], serde_json::json!([group]));

    let duplicate = app
        .send(
            &owner,
            Method::POST,
            "/admin/users",
            Some(serde_json::json!({"email": "chef@ciclo.com.br", "password": "senha-do-chef", "role": "operator"})),
        )
        .await;
    assert_eq!(duplicate.status(), 409);
    assert_eq!(json(duplicate).await["code"], "email_taken");

    let listed = json(
        app.send(&owner, Method::GET, "/admin/users?search=chef", None)
            .await,
    )
    .await;
    assert_eq!(listed["total"], 1);
    let group_view = json(
        app.send(&owner, Method::GET, &format!("/admin/groups/{group}"), None)
            .await,
    )
    .await;
    assert_eq!(group_view["member_ids"], serde_json::json!([user_id]));

    assert_eq!(
        app.send(
            &owner,
            Method::DELETE,
            &format!("/admin/groups/{group}"),
            None
        )
        .await
        .status(),
        204
    );
    let after = json(
        app.send(
            &owner,
            Method::GET,
            &format!("/admin/users/{user_id}"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(after["group_ids"], serde_json::json!([]));
    assert_eq!(
        app.send(
            &owner,
            Method::DELETE,
            &format!("/admin/users/{user_id}"),
            None
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        app.send(
            &owner,
            Method::GET,
            &format!("/admin/users/{user_id}"),
            None
        )
        .await
        .status(),
        404
    );
}

#[tokio::test]
async fn bad_permissions_and_ids_are_validation_errors() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("validos").await;
    let response = app
        .send(
            &owner,
            Method::POST,
            "/admin/groups",
            Some(serde_json::json!({"name": "X", "permissions": [{"module": "orders", "action": "view"}, {"module": "rockets", "action": "view"}]})),
        )
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        json(response).await["errors"][0]["field"],
        "permissions[1].module"
    );
    let bad_group = app
        .send(
            &owner,
            Method::POST,
            "/admin/users",
            Some(serde_json::json!({"email": "a@validos.com.br", "password": "senha-qualquer", "role": "operator", "group_ids": [uuid::Uuid::now_v7().to_string()]})),
        )
        .await;
    assert_eq!(bad_group.status(), 422);
    assert_eq!(json(bad_group).await["errors"][0]["field"], "group_ids");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM users").await,
        1,
        "nothing half-written"
    );
}

#[tokio::test]
async fn another_tenants_users_and_groups_are_404_and_untouched() {
    let app = spawn_app().await;
    let mine = app.tenant_with_owner("meu").await;
    let theirs = app.tenant_with_owner("deles").await;
    let their_group = create_group(&app, &theirs, "Deles", serde_json::json!([])).await;
    let their_owner_id = id_of(&app, &theirs.token).await;
    let their_staff = app
        .staff(&theirs, "equipe@deles.com.br", "operator", &[])
        .await;
    let their_staff_id = id_of(&app, &their_staff).await;

    let attempts = [
        (Method::GET, format!("/admin/users/{their_owner_id}"), None),
        (
            Method::PATCH,
            format!("/admin/users/{their_staff_id}"),
            Some(serde_json::json!({"name": "hacked", "is_active": false})),
        ),
        (
            Method::DELETE,
            format!("/admin/users/{their_staff_id}"),
            None,
        ),
        (Method::GET, format!("/admin/groups/{their_group}"), None),
        (
            Method::PATCH,
            format!("/admin/groups/{their_group}"),
            Some(serde_json::json!({"name": "hacked"})),
        ),
        (Method::DELETE, format!("/admin/groups/{their_group}"), None),
    ];
    for (method, path, body) in attempts {
        let response = app.send(&mine, method.clone(), &path, body).await;
        assert_eq!(response.status(), 404, "{method} {path}");
        assert_eq!(json(response).await["code"], "not_found", "{method} {path}");
    }
    // Their group cannot be given to my users either.
    let borrowed = app
        .send(
            &mine,
            Method::POST,
            "/admin/users",
            Some(serde_json::json!({"email": "x@meu.com.br", "password": "senha-qualquer", "role": "operator", "group_ids": [their_group]})),
        )
        .await;
    assert_eq!(borrowed.status(), 422);

    assert_eq!(app.scalar_text("SELECT name FROM groups").await, "Deles");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM users WHERE email = 'equipe@deles.com.br' AND is_active AND name = ''").await,
        1
    );
    assert_eq!(
        app.send_token(&their_staff, Method::GET, "/auth/me", None)
            .await
            .status(),
        200
    );
    let listed = json(app.send(&mine, Method::GET, "/admin/users", None).await).await;
    assert_eq!(listed["total"], 1, "only my owner");
    let audit = json(app.send(&mine, Method::GET, "/admin/audit", None).await).await;
    assert!(
        audit["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|e| e["actor_tenant_id"] != theirs.tenant.id.to_string()),
        "no entry of theirs: {audit}"
    );
}

#[tokio::test]
async fn every_change_is_audited_with_actor_ip_request_id_and_before_after() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("auditada").await;
    let group = create_group(&app, &owner, "Caixa", serde_json::json!([])).await;
    let renamed = app
        .client
        .patch(app.url(&format!("/admin/groups/{group}")))
        .bearer_auth(&owner.token)
        .header("X-Request-Id", "audit-trail-1")
        .json(&serde_json::json!({"name": "Caixa 2"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(renamed.status(), 200);
    let owner_id = id_of(&app, &owner.token).await;

    let audit = json(
        app.send(&owner, Method::GET, "/admin/audit?entity_type=group", None)
            .await,
    )
    .await;
    assert_eq!(audit["total"], 2);
    let update = &audit["items"][0];
    assert_eq!(update["action"], "group.update");
    assert_eq!(update["actor_user_id"], owner_id);
    assert_eq!(update["ip"], "127.0.0.1");
    assert_eq!(update["request_id"], "audit-trail-1");
    assert_eq!(update["before"]["name"], "Caixa");
    assert_eq!(update["after"]["name"], "Caixa 2");
    let everything = app.scalar_text("SELECT string_agg(coalesce(before::text, '') || coalesce(after::text, ''), ' ') FROM audit_log").await;
    assert!(
        !everything.contains("argon2"),
        "no password hash in the audit log"
    );

    let operator = app
        .staff(&owner, "op@auditada.com.br", "operator", &[])
        .await;
    assert_eq!(
        app.send_token(&operator, Method::GET, "/admin/audit", None)
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn inactive_tenants_lose_their_sessions_too() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("encerrada").await;
    app.sql("UPDATE tenants SET is_active = false").await;
    assert_eq!(
        app.send(&owner, Method::GET, "/auth/me", None)
            .await
            .status(),
        401
    );
}
