//! `/auth/*`: sign-up of a tenant's first user, login, the current user, logout (docs/api.md#signing-in).

use actix_web::{get, post};
use comanda_services::ErrorCode;
use std::time::Duration;

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use comanda_domain::identity::Role;
use comanda_ports::{RateLimitPolicy, User};
use comanda_services::auth::{ClientInfo, SignupInput};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{AUTH_COOKIE, ApiJson, CurrentUser, JSON_BODY_LIMIT, Tenant, actor_for};
use crate::middleware::{ClientIp, enforce_rate_limit};
use crate::openapi::TenantHeaderParams;
use crate::state::AppState;

/// A staff member as the API shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub tenant_id: String,
    pub email: String,
    pub name: String,
    #[schema(value_type = String, example = "manager")]
    pub role: Role,
    pub is_active: bool,
    pub group_ids: Vec<String>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        Self {
            id: user.id.to_string(),
            tenant_id: user.tenant_id.to_string(),
            email: user.email.to_string(),
            name: user.name,
            role: user.role,
            is_active: user.is_active,
            group_ids: user.group_ids.iter().map(ToString::to_string).collect(),
            last_login_at: user.last_login_at,
            created_at: user.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SignupRequest {
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub name: String,
    /// The one-time `owner_invite_token` the operator received when creating the tenant
    /// (`POST /admin/central/tenants`); valid 7 days, for the invited e-mail only.
    #[serde(default)]
    pub invite_token: Option<String>,
}

/// Creates the tenant's first user, as `owner`, with the invite the central admin issued for
/// it. Without a valid invite: 403 `invite_required` (unless the deployment sets
/// `ALLOW_OPEN_SIGNUP=true` while moving over). The central admin's own tenant: 403
/// `bootstrap_via_cli` (its first owner is made with `comanda create-owner`). Once the tenant
/// has a user: 409 `already_bootstrapped`. Any `role` or `tenant_id` in the body is ignored.
#[utoipa::path(
    tag = "auth",
    params(TenantHeaderParams),
    request_body = SignupRequest,
    responses(
        (status = 201, description = "The owner was created", body = UserView),
        (status = 403, description = "`invite_required` or `bootstrap_via_cli`", body = ErrorBody),
        (status = 409, description = "`already_bootstrapped`", body = ErrorBody),
        (status = 422, description = "Invalid e-mail or password", body = ErrorBody),
    )
)]
#[post("/auth/signup")]
pub async fn signup(
    request: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    body: ApiJson<SignupRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    let actor = actor_for(&request, None);
    let input = SignupInput {
        email: body.email,
        password: body.password,
        name: body.name,
        invite_token: body.invite_token,
    };
    let user = state.auth.signup(&tenant.0, input, &actor).await?;
    Ok(HttpResponse::Created().json(UserView::from(user)))
}

/// JSON `{"email","password"}` or FastAPI's OAuth2 form `username`/`password`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

impl FromRequest for LoginRequest {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_form = request
            .content_type()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded");
        if !is_form {
            let json = ApiJson::<LoginRequest>::from_request(request, payload);
            return Box::pin(async move { json.await?.into_inner() });
        }
        let mut payload = payload.take();
        Box::pin(async move {
            let mut body = Vec::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| {
                    ApiError::bad_request(
                        ErrorCode::MalformedBody,
                        "The request body could not be read",
                    )
                })?;
                if body.len() + chunk.len() > JSON_BODY_LIMIT {
                    return Err(ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        ErrorCode::PayloadTooLarge,
                        "The body is too large",
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            let form: LoginForm = serde_urlencoded::from_bytes(&body).map_err(|_| {
                ApiError::validation(vec![crate::error::FieldError {
                    field: "username".into(),
                    message: "username and password are required".into(),
                }])
            })?;
            Ok(LoginRequest {
                email: form.username,
                password: form.password,
            })
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: u64,
    pub user: UserView,
}

fn auth_cookie(token: String, max_age: Duration) -> Cookie<'static> {
    Cookie::build(AUTH_COOKIE, token)
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(time::Duration::seconds(
            i64::try_from(max_age.as_secs()).unwrap_or(0),
        ))
        .finish()
}

/// Opens a session: answers the token and sets the `admin_token` cookie (HttpOnly, Secure,
/// SameSite=Lax). Wrong e-mail or password: 401 `invalid_credentials`. Attempts are limited per
/// client IP and e-mail.
#[utoipa::path(
    tag = "auth",
    params(TenantHeaderParams),
    request_body(content = LoginRequest, description = "JSON, or `application/x-www-form-urlencoded` with `username` and `password`"),
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 401, description = "`invalid_credentials`", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many attempts", body = ErrorBody),
    )
)]
#[post("/auth/login")]
pub async fn login(
    request: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    body: LoginRequest,
) -> Result<HttpResponse, ApiError> {
    if request
        .content_type()
        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    {
        crate::extract::check_form_origin(&request, &state)?;
    }
    let client_ip = request.extensions().get::<ClientIp>().map(|ip| ip.0);
    if let Some(ip) = client_ip {
        let policy = RateLimitPolicy {
            name: "login",
            limit: state.settings.rate_limit.login_per_minute,
            window: Duration::from_secs(60),
        };
        let subject = format!(
            "{}:{}:{}",
            tenant.0.id,
            crate::middleware::rate_subject(ip),
            body.email.trim().to_lowercase()
        );
        enforce_rate_limit(&state, &policy, &subject).await?;
    }
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let outcome = state
        .auth
        .login(
            tenant.0.id,
            &body.email,
            &body.password,
            ClientInfo {
                ip: client_ip.map(|ip| ip.to_string()),
                user_agent,
            },
        )
        .await?;
    let cookie = auth_cookie(
        outcome.access_token.clone(),
        Duration::from_secs(outcome.expires_in),
    );
    Ok(HttpResponse::Ok()
        .cookie(cookie)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(LoginResponse {
            access_token: outcome.access_token,
            token_type: "bearer",
            expires_in: outcome.expires_in,
            user: outcome.user.into(),
        }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionView {
    pub module: String,
    pub action: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    #[serde(flatten)]
    pub user: UserView,
    pub tenant_slug: String,
    pub subscription_status: String,
    /// Modules this user can see.
    pub modules: Vec<String>,
    /// Every `(module, action)` this user may do now.
    pub permissions: Vec<PermissionView>,
    pub is_super_admin: bool,
}

/// The signed-in user with their role, modules and permissions.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = MeResponse),
        (status = 401, description = "`not_authenticated` or `invalid_token`", body = ErrorBody),
    )
)]
#[get("/auth/me")]
pub async fn me(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<web::Json<MeResponse>, ApiError> {
    let is_super_admin = user.is_super_admin(&state);
    let principal = user.own_scope().principal;
    let grants = principal.grants();
    let modules = grants
        .visible_modules()
        .iter()
        .map(|m| m.as_str().to_owned())
        .collect();
    let permissions = grants
        .effective_permissions()
        .into_iter()
        .map(|p| PermissionView {
            module: p.module.as_str().to_owned(),
            action: p.action.as_str().to_owned(),
        })
        .collect();
    Ok(web::Json(MeResponse {
        tenant_slug: principal.tenant.slug.to_string(),
        subscription_status: principal.tenant.subscription_status.as_str().to_owned(),
        modules,
        permissions,
        is_super_admin,
        user: principal.user.clone().into(),
    }))
}

/// Ends the session: its token stops working at once, and the cookie is cleared.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "`not_authenticated` or `invalid_token`", body = ErrorBody),
    )
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    state.auth.logout(user.own_scope().principal).await?;
    let mut expired = auth_cookie(String::new(), Duration::ZERO);
    expired.make_removal();
    Ok(HttpResponse::NoContent().cookie(expired).finish())
}
