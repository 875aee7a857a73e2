use comanda_domain::tenancy::SubscriptionStatus;
use reqwest::Method;

use crate::support::{OWNER_PASSWORD, header, json, spawn_app, spawn_app_with};

#[tokio::test]
async fn signup_creates_the_owner_once_and_ignores_role_and_tenant_in_the_body() {
    let app = spawn_app_with(&[("ALLOW_OPEN_SIGNUP", "true")]).await;
    let tenant = app
        .create_tenant("primeira", SubscriptionStatus::Active)
        .await;
    let other = app.create_tenant("outra", SubscriptionStatus::Active).await;
    let response = app
        .client
        .post(app.url("/auth/signup"))
        .header("X-Tenant", "primeira")
        .json(&serde_json::json!({
            "email": "Ana@Primeira.com", "password": "senha-forte-1", "name": "Ana",
            "role": "operator", "tenant_id": other.id.to_string()
        }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    let user = json(response).await;
    assert_eq!(user["role"], "owner");
    assert_eq!(user["email"], "ana@primeira.com");
    assert_eq!(user["tenant_id"], tenant.id.to_string());

    let again = app
        .client
        .post(app.url("/auth/signup"))
        .header("X-Tenant", "primeira")
        .json(&serde_json::json!({"email": "bia@primeira.com", "password": "senha-forte-2"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status(), 409);
    assert_eq!(json(again).await["code"], "already_bootstrapped");
    assert_eq!(app.scalar_i64("SELECT count(*) FROM users").await, 1);
}

#[tokio::test]
async fn signup_validates_email_and_password() {
    let app = spawn_app_with(&[("ALLOW_OPEN_SIGNUP", "true")]).await;
    app.create_tenant("valida", SubscriptionStatus::Active)
        .await;
    let response = app
        .client
        .post(app.url("/auth/signup"))
        .header("X-Tenant", "valida")
        .json(&serde_json::json!({"email": "not-an-email", "password": "short"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 422);
    let body = json(response).await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, vec!["email", "password"]);
}

#[tokio::test]
async fn malformed_and_oversized_json_bodies_are_refused_cleanly() {
    let app = spawn_app().await;
    app.create_tenant("corpo", SubscriptionStatus::Active).await;
    let broken = app
        .client
        .post(app.url("/auth/signup"))
        .header("X-Tenant", "corpo")
        .header("Content-Type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .expect("sent");
    assert_eq!(broken.status(), 400);
    assert_eq!(json(broken).await["code"], "malformed_json");

    let not_json = app
        .client
        .post(app.url("/auth/signup"))
        .header("X-Tenant", "corpo")
        .header("Content-Type", "text/plain")
        .body("hello")
        .send()
        .await
        .expect("sent");
    assert_eq!(not_json.status(), 415);
    assert_eq!(json(not_json).await["code"], "unsupported_media_type");

    let huge = format!(
        "{{\"email\": \"{}\", \"password\": \"x\"}}",
        "a".repeat(1024 * 1024 + 10)
    );
    let too_large = app
        .client
        .post(app.url("/auth/signup"))
        .header("X-Tenant", "corpo")
        .header("Content-Type", "application/json")
        .body(huge)
        .send()
        .await
        .expect("sent");
    assert_eq!(too_large.status(), 413);
    assert_eq!(json(too_large).await["code"], "payload_too_large");

    let wrong_type = app
        .client
        .post(app.url("/auth/signup"))
        .header("X-Tenant", "corpo")
        .json(&serde_json::json!({"email": 42, "password": "segredo-longo"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(wrong_type.status(), 422);
    assert_eq!(json(wrong_type).await["errors"][0]["field"], "email");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM users").await,
        0,
        "nothing was written"
    );
}

#[tokio::test]
async fn login_answers_the_token_and_sets_a_safe_cookie() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("cookie").await;
    let response = app
        .try_login("cookie", &owner.email.to_uppercase(), OWNER_PASSWORD)
        .await;
    assert_eq!(response.status(), 200);
    let cookie = header(&response, "set-cookie").expect("cookie").to_owned();
    for attribute in [
        "admin_token=",
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        "Path=/",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    let body = json(response).await;
    assert_eq!(body["token_type"], "bearer");
    assert!(
        body["expires_in"]
            .as_u64()
            .is_some_and(|s| (3590..=3600).contains(&s))
    );
    assert_eq!(body["user"]["role"], "owner");
}

#[tokio::test]
async fn login_accepts_the_oauth2_form() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("formulario").await;
    let response = app
        .client
        .post(app.url("/auth/login"))
        .header("X-Tenant", "formulario")
        .form(&[
            ("username", owner.email.as_str()),
            ("password", OWNER_PASSWORD),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert!(json(response).await["access_token"].is_string());
}

#[tokio::test]
async fn wrong_password_and_unknown_email_are_the_same_401() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("senhas").await;
    let wrong = app.try_login("senhas", &owner.email, "senha-errada").await;
    assert_eq!(wrong.status(), 401);
    let unknown = app
        .try_login("senhas", "ninguem@senhas.com.br", OWNER_PASSWORD)
        .await;
    assert_eq!(unknown.status(), 401);
    let (wrong, unknown) = (json(wrong).await, json(unknown).await);
    assert_eq!(wrong, unknown);
    assert_eq!(wrong["code"], "invalid_credentials");
}

#[tokio::test]
async fn a_user_of_one_tenant_cannot_log_in_to_another() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("casa").await;
    app.create_tenant("vizinha", SubscriptionStatus::Active)
        .await;
    assert_eq!(
        app.try_login("vizinha", &owner.email, OWNER_PASSWORD)
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn me_answers_role_modules_and_permissions_by_bearer_and_by_cookie() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("eu").await;
    let by_bearer = json(app.send(&owner, Method::GET, "/auth/me", None).await).await;
    assert_eq!(by_bearer["role"], "owner");
    assert_eq!(by_bearer["tenant_slug"], "eu");
    assert!(
        by_bearer["modules"]
            .as_array()
            .is_some_and(|m| m.len() == comanda_domain::tenancy::Module::ALL.len())
    );
    assert!(
        by_bearer["permissions"]
            .as_array()
            .is_some_and(|p| p.len() == comanda_domain::tenancy::Module::ALL.len() * 4)
    );

    let by_cookie = app
        .client
        .get(app.url("/auth/me"))
        .header("Cookie", format!("admin_token={}", owner.token))
        .send()
        .await
        .expect("sent");
    assert_eq!(by_cookie.status(), 200);
}

#[tokio::test]
async fn requests_without_or_with_a_broken_token_are_401() {
    let app = spawn_app().await;
    let none = app.get("/auth/me").await;
    assert_eq!(none.status(), 401);
    assert_eq!(header(&none, "www-authenticate"), Some("Bearer"));
    assert_eq!(json(none).await["code"], "not_authenticated");
    let broken = app
        .send_token("not.a.token", Method::GET, "/auth/me", None)
        .await;
    assert_eq!(broken.status(), 401);
    assert_eq!(json(broken).await["code"], "invalid_token");
}

#[tokio::test]
async fn logout_kills_the_token_and_clears_the_cookie() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("saida").await;
    let response = app.send(&owner, Method::POST, "/auth/logout", None).await;
    assert_eq!(response.status(), 204);
    let cookie = header(&response, "set-cookie").expect("cookie");
    assert!(
        cookie.starts_with("admin_token=;") && cookie.contains("Max-Age=0"),
        "{cookie}"
    );
    let after = app.send(&owner, Method::GET, "/auth/me", None).await;
    assert_eq!(after.status(), 401);
    assert_eq!(json(after).await["code"], "invalid_token");
    assert_eq!(
        app.scalar_text("SELECT revoked_reason FROM user_sessions")
            .await,
        "logout"
    );
}

#[tokio::test]
async fn the_oldest_sessions_are_revoked_past_the_cap() {
    let app = spawn_app_with(&[("MAX_ACTIVE_SESSIONS", "2")]).await;
    let owner = app.tenant_with_owner("limite").await;
    let second = app.login("limite", &owner.email, OWNER_PASSWORD).await;
    let third = app.login("limite", &owner.email, OWNER_PASSWORD).await;
    assert_eq!(
        app.send(&owner, Method::GET, "/auth/me", None)
            .await
            .status(),
        401,
        "first is gone"
    );
    assert_eq!(
        app.send_token(&second, Method::GET, "/auth/me", None)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.send_token(&third, Method::GET, "/auth/me", None)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM user_sessions WHERE revoked_reason = 'session_limit'")
            .await,
        1
    );
}

#[tokio::test]
async fn an_expired_session_kills_a_token_whose_exp_is_still_ahead() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("expira").await;
    app.sql("UPDATE user_sessions SET expires_at = now() - interval '1 second'")
        .await;
    assert_eq!(
        app.send(&owner, Method::GET, "/auth/me", None)
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn password_change_and_deactivation_revoke_every_session() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("revoga").await;
    let operator = app.staff(&owner, "op@revoga.com.br", "operator", &[]).await;
    let operator_id = json(
        app.send_token(&operator, Method::GET, "/auth/me", None)
            .await,
    )
    .await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let changed = app
        .send(
            &owner,
            Method::PATCH,
            &format!("/admin/users/{operator_id}"),
            Some(serde_json::json!({"password": "nova-senha-123"})),
        )
        .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(
        app.send_token(&operator, Method::GET, "/auth/me", None)
            .await
            .status(),
        401
    );

    let again = app
        .login("revoga", "op@revoga.com.br", "nova-senha-123")
        .await;
    let deactivated = app
        .send(
            &owner,
            Method::PATCH,
            &format!("/admin/users/{operator_id}"),
            Some(serde_json::json!({"is_active": false})),
        )
        .await;
    assert_eq!(deactivated.status(), 200);
    assert_eq!(
        app.send_token(&again, Method::GET, "/auth/me", None)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.try_login("revoga", "op@revoga.com.br", "nova-senha-123")
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn tokens_signed_with_the_previous_secret_still_work_and_unknown_secrets_do_not() {
    let previous = "previous-secret-previous-secret-previous";
    let old = spawn_app_with(&[("AUTH_SECRET", previous)]).await;
    let owner = old.tenant_with_owner("rotacao").await;
    let database_url = old.database.as_ref().expect("db").url().to_owned();

    let rotated = crate::support::spawn_app_on(
        &database_url,
        None,
        &[
            ("AUTH_SECRET", "the-new-secret-the-new-secret-the-new"),
            ("AUTH_SECRET_PREVIOUS", previous),
        ],
    )
    .await;
    assert_eq!(
        rotated
            .send(&owner, Method::GET, "/auth/me", None)
            .await
            .status(),
        200
    );

    let stranger = crate::support::spawn_app_on(
        &database_url,
        None,
        &[("AUTH_SECRET", "a-completely-different-secret-xxxxxxx")],
    )
    .await;
    let refused = stranger.send(&owner, Method::GET, "/auth/me", None).await;
    assert_eq!(refused.status(), 401);
    assert_eq!(json(refused).await["code"], "invalid_token");
}

#[tokio::test]
async fn a_token_naming_another_tenant_in_headers_is_tenant_mismatch() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("minha").await;
    let other = app
        .create_tenant("alheia", SubscriptionStatus::Active)
        .await;
    for (name, value) in [
        ("X-Tenant", "alheia".to_owned()),
        ("X-Tenant-Id", other.id.to_string()),
    ] {
        let response = app
            .client
            .get(app.url("/admin/users"))
            .bearer_auth(&owner.token)
            .header(name, value)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 403, "{name}");
        assert_eq!(json(response).await["code"], "tenant_mismatch");
    }
    let same = app
        .client
        .get(app.url("/admin/users"))
        .bearer_auth(&owner.token)
        .header("X-Tenant", "Minha")
        .send()
        .await
        .expect("sent");
    assert_eq!(same.status(), 200);
}

#[tokio::test]
async fn cookie_authenticated_unsafe_requests_need_an_allowed_origin() {
    let app = spawn_app_with(&[("CORS_ALLOWED_ORIGINS", "https://painel.comanda.test")]).await;
    let owner = app.tenant_with_owner("csrf").await;
    let cookie = format!("admin_token={}", owner.token);
    let create = |origin: Option<&'static str>| {
        let mut request = app
            .client
            .post(app.url("/admin/groups"))
            .header("Cookie", cookie.clone())
            .json(&serde_json::json!({"name": format!("grupo {}", uuid::Uuid::new_v4())}));
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        request.send()
    };
    let forged = create(Some("https://evil.example")).await.expect("sent");
    assert_eq!(forged.status(), 403);
    assert_eq!(json(forged).await["code"], "csrf_origin_denied");
    assert_eq!(create(None).await.expect("sent").status(), 403);
    assert_eq!(
        create(Some("https://painel.comanda.test"))
            .await
            .expect("sent")
            .status(),
        201
    );
    // A bearer token is not sent by browsers on their own: no origin needed.
    let bearer = app
        .send(
            &owner,
            Method::POST,
            "/admin/groups",
            Some(serde_json::json!({"name": "pelo bearer"})),
        )
        .await;
    assert_eq!(bearer.status(), 201);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM groups").await, 2);
}

#[tokio::test]
async fn login_attempts_are_limited_per_ip_and_email() {
    let app = spawn_app_with(&[("RATE_LIMIT_LOGIN_PER_MINUTE", "3")]).await;
    let owner = app.tenant_with_owner("forca").await;
    // The owner's own login during setup used one attempt.
    for _ in 0..2 {
        assert_eq!(
            app.try_login("forca", &owner.email, "errada-errada")
                .await
                .status(),
            401
        );
    }
    let blocked = app.try_login("forca", &owner.email, OWNER_PASSWORD).await;
    assert_eq!(blocked.status(), 429);
    assert!(header(&blocked, "retry-after").is_some());
    // Another e-mail from the same machine is counted apart.
    assert_eq!(
        app.try_login("forca", "outro@forca.com.br", "errada-errada")
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn migrated_passlib_and_bcrypt_hashes_log_in_and_are_upgraded_to_argon2id() {
    let app = spawn_app().await;
    let tenant = app
        .create_tenant("legado", SubscriptionStatus::Active)
        .await;
    app.insert_user_with_hash(
        tenant.id,
        "passlib@legado.com",
        "$bcrypt-sha256$v=2,t=2b,r=5$5Hg1DKFqPE8C2aflZ5vVoe$wOK1VFFtS8IGTrGa7.h5fs0u84qyPbS",
        "owner",
    )
    .await;
    let bcrypt_hash = bcrypt_hash_of("senha-antiga");
    app.insert_user_with_hash(tenant.id, "bcrypt@legado.com", &bcrypt_hash, "admin")
        .await;

    assert_eq!(
        app.try_login("legado", "passlib@legado.com", "Password")
            .await
            .status(),
        401
    );
    app.login("legado", "passlib@legado.com", "password").await;
    app.login("legado", "bcrypt@legado.com", "senha-antiga")
        .await;
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM users WHERE password_hash LIKE '$argon2id$v=19$m=19456,t=2,p=1$%'"
        )
        .await,
        2,
        "both hashes were upgraded"
    );
    // And the upgraded hashes still work.
    app.login("legado", "passlib@legado.com", "password").await;
    app.login("legado", "bcrypt@legado.com", "senha-antiga")
        .await;
}

/// A plain bcrypt hash as the original system stored it (`$2b$`, cost 4 to keep the test fast),
/// made with Python's `bcrypt` package: `bcrypt.hashpw(b"senha-antiga", bcrypt.gensalt(4))`.
fn bcrypt_hash_of(password: &str) -> String {
    assert_eq!(password, "senha-antiga");
    "$2b$04$.D/r6R3jQUDteaZL36q2vO.6mYlaBWyG/MJn1HJEn5n.I1imgsXFm".to_owned()
}
