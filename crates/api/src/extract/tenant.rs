use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use comanda_domain::tenancy::{TenancyError, TenantContext, TenantHeaders};
use futures_util::future::LocalBoxFuture;

use crate::error::ApiError;
use crate::state::AppState;

/// The tenant a request runs for (docs/api.md#tenancy): `X-Tenant-Id`, else `X-Tenant`, else the legacy
/// fallback tenant.
#[derive(Debug, Clone)]
pub struct Tenant(pub TenantContext);

/// The resolved tenant's slug, left in the request for the request log.
#[derive(Debug, Clone)]
pub struct TenantTag(pub String);

/// A header's text; present but not visible ASCII is an error, not an absence.
fn header_text<'a>(request: &'a HttpRequest, name: &str) -> Result<Option<&'a str>, TenancyError> {
    request
        .headers()
        .get(name)
        .map(|value| value.to_str().map_err(|_| TenancyError::NotFound))
        .transpose()
}

impl FromRequest for Tenant {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let state = request
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::internal("application state is not registered"))?;
            let headers = TenantHeaders {
                id: header_text(&request, "x-tenant-id")?,
                slug: header_text(&request, "x-tenant")?,
            };
            let context = state.tenancy.resolve(headers).await?;
            // The request span (see the request log) carries the tenant from here on.
            tracing::Span::current().record("tenant", context.slug.as_str());
            request
                .extensions_mut()
                .insert(TenantTag(context.slug.to_string()));
            Ok(Tenant(context))
        })
    }
}
