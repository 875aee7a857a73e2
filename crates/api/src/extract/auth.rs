//! The signed-in user (`current_user`) and the guards of docs/api.md#signing-in.

use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use comanda_domain::TenantId;
use comanda_domain::identity::Role;
use comanda_domain::tenancy::{
    Action, Module, TenancyError, TenantSlug, check_authenticated_tenant,
};
use comanda_ports::Actor;
use comanda_services::ErrorCode;
use comanda_services::auth::Principal;
use futures_util::future::LocalBoxFuture;

use super::tenant::TenantTag;
use crate::error::ApiError;
use crate::middleware::{ClientIp, RequestId};
use crate::state::AppState;

/// The cookie the portal keeps its token in.
pub const AUTH_COOKIE: &str = "admin_token";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    Bearer,
    Cookie,
}

/// A signed-in staff member: token valid, session alive, user active, tenant consistent.
/// Handlers reach the tenant only through a check (`allow`, `allow_module`, `allow_roles`,
/// or `own_scope` for what concerns the user alone): authorization by construction, not by
/// convention.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    principal: Principal,
    source: TokenSource,
    /// Who and from where, for the audit log.
    actor: Actor,
}

/// What a handler may act on once the user passed its check: the tenant, who acts (for the
/// audit log), and the signed-in principal.
#[derive(Debug, Clone, Copy)]
pub struct TenantScope<'a> {
    pub tenant: TenantId,
    pub actor: &'a Actor,
    pub principal: &'a Principal,
}

/// The central admin: the owner of the `SUPER_ADMIN_TENANT_SLUG` tenant (403 `forbidden` for
/// anybody else).
#[derive(Debug, Clone)]
pub struct SuperAdmin {
    pub principal: Principal,
    pub actor: Actor,
}

/// The token of a request: `Authorization: Bearer`, else the `admin_token` cookie.
pub fn request_token(request: &HttpRequest) -> Option<(String, TokenSource)> {
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_owned())
        })
        .filter(|token| !token.is_empty());
    if let Some(token) = bearer {
        return Some((token, TokenSource::Bearer));
    }
    request
        .cookie(AUTH_COOKIE)
        .map(|cookie| cookie.value().to_owned())
        .filter(|token| !token.is_empty())
        .map(|token| (token, TokenSource::Cookie))
}

/// A cookie is sent by the browser whoever asks: an unsafe request authenticated by it must
/// come from an allowed origin (or the API's own), or it could be forged by another site.
fn check_csrf(request: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return Ok(());
    }
    match browser_origin(request) {
        Some(origin) if origin_allowed(request, state, &origin) => Ok(()),
        _ => Err(csrf_refused()),
    }
}

/// The page a browser sent the request from: `Origin`, else the `Referer`'s origin.
fn browser_origin(request: &HttpRequest) -> Option<String> {
    request
        .headers()
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            let referer = request.headers().get(header::REFERER)?.to_str().ok()?;
            let url = url::Url::parse(referer).ok()?;
            Some(url.origin().ascii_serialization())
        })
        .map(|origin| origin.trim_end_matches('/').to_ascii_lowercase())
}

fn origin_allowed(request: &HttpRequest, state: &AppState, origin: &str) -> bool {
    let info = request.connection_info();
    let own_origin = format!("{}://{}", info.scheme(), info.host()).to_ascii_lowercase();
    origin == own_origin
        || state
            .settings
            .http
            .cors_allowed_origins
            .iter()
            .any(|allowed| allowed == origin)
}

/// A form post is the one login a page of another site can make a browser send without CORS
/// (login CSRF: the victim signed in to the attacker's account). When a browser says where it
/// comes from, it must be an allowed origin; clients that send no `Origin` (scripts, OAuth2
/// tools) are not browsers and go on.
pub fn check_form_origin(request: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    match browser_origin(request) {
        Some(origin) if !origin_allowed(request, state, &origin) => Err(csrf_refused()),
        _ => Ok(()),
    }
}

fn csrf_refused() -> ApiError {
    ApiError::forbidden(
        ErrorCode::CsrfOriginDenied,
        "Requests authenticated by cookie must come from an allowed origin",
    )
}

/// The tenant headers may only name the token's own tenant (403 `tenant_mismatch`).
fn check_tenant_headers(request: &HttpRequest, principal: &Principal) -> Result<(), ApiError> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            // A header that is not text names no tenant of ours.
            .map(|value| value.to_str().map(str::trim).unwrap_or("\u{0}"))
            .filter(|value| !value.is_empty())
    };
    let tenant = &principal.tenant;
    if let Some(id) = header("x-tenant-id") {
        let named = id.parse::<TenantId>().map_err(|_| TenancyError::Mismatch)?;
        return check_authenticated_tenant(tenant.id, Some(named)).map_err(ApiError::from);
    }
    match header("x-tenant") {
        Some(slug) if !slug.eq_ignore_ascii_case(tenant.slug.as_str()) => {
            Err(TenancyError::Mismatch.into())
        }
        _ => Ok(()),
    }
}

pub fn actor_for(request: &HttpRequest, principal: Option<&Principal>) -> Actor {
    let extensions = request.extensions();
    Actor {
        user_id: principal.map(|p| p.user.id),
        tenant_id: principal.map(|p| p.tenant.id),
        ip: extensions.get::<ClientIp>().map(|ip| ip.0.to_string()),
        request_id: extensions.get::<RequestId>().map(|id| id.0.clone()),
    }
}

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let state = request
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::internal("application state is not registered"))?;
            let (token, source) = request_token(&request).ok_or_else(|| {
                ApiError::unauthorized(ErrorCode::NotAuthenticated, "Sign in to continue")
            })?;
            if source == TokenSource::Cookie {
                check_csrf(&request, state)?;
            }
            let principal = state.auth.authenticate(&token).await?;
            check_tenant_headers(&request, &principal)?;
            tracing::Span::current().record("tenant", principal.tenant.slug.as_str());
            request
                .extensions_mut()
                .insert(TenantTag(principal.tenant.slug.to_string()));
            let actor = actor_for(&request, Some(&principal));
            Ok(CurrentUser {
                principal,
                source,
                actor,
            })
        })
    }
}

impl CurrentUser {
    fn scope(&self) -> TenantScope<'_> {
        TenantScope {
            tenant: self.principal.tenant.id,
            actor: &self.actor,
            principal: &self.principal,
        }
    }

    /// The user may do `action` in `module`: else 403 `module_disabled` or `forbidden`.
    pub fn allow(&self, module: Module, action: Action) -> Result<TenantScope<'_>, ApiError> {
        self.principal
            .grants()
            .check(module, action)
            .map_err(|denied| comanda_services::ServiceError::from(denied).into())
            .map(|()| self.scope())
    }

    /// The module is enabled and the user sees it.
    pub fn allow_module(&self, module: Module) -> Result<TenantScope<'_>, ApiError> {
        self.principal
            .grants()
            .check_module(module)
            .map_err(|denied| comanda_services::ServiceError::from(denied).into())
            .map(|()| self.scope())
    }

    /// One of these roles: else 403 `forbidden`.
    pub fn allow_roles(&self, roles: &[Role]) -> Result<TenantScope<'_>, ApiError> {
        if roles.contains(&self.principal.user.role) {
            Ok(self.scope())
        } else {
            Err(ApiError::forbidden(
                ErrorCode::Forbidden,
                "Your role does not allow this",
            ))
        }
    }

    /// Any signed-in user, for what concerns only them (their profile, session, browsers):
    /// whatever the handler does must stay within the user's own records.
    pub fn own_scope(&self) -> TenantScope<'_> {
        self.scope()
    }

    pub fn source(&self) -> TokenSource {
        self.source
    }

    /// Whether the user is the central admin (the owner of the super-admin tenant).
    pub fn is_super_admin(&self, state: &AppState) -> bool {
        is_super_admin(
            &self.principal,
            state.settings.tenancy.super_admin_tenant_slug.as_ref(),
        )
    }
}

fn is_super_admin(principal: &Principal, super_slug: Option<&TenantSlug>) -> bool {
    super_slug.is_some_and(|slug| *slug == principal.tenant.slug)
        && principal.user.role == Role::Owner
}

impl FromRequest for SuperAdmin {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = CurrentUser::from_request(request, payload);
        let super_slug = request
            .app_data::<web::Data<AppState>>()
            .and_then(|state| state.settings.tenancy.super_admin_tenant_slug.clone());
        Box::pin(async move {
            let user = user.await?;
            if is_super_admin(&user.principal, super_slug.as_ref()) {
                Ok(Self {
                    principal: user.principal,
                    actor: user.actor,
                })
            } else {
                Err(ApiError::forbidden(
                    ErrorCode::Forbidden,
                    "Only the central admin may do this",
                ))
            }
        })
    }
}
