//! The OpenAPI document: the info, tags and security schemes below, and every operation as the
//! routes register it (`routes::register`), so a route cannot be served undocumented.

use serde::Deserialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi};

use crate::error::{ErrorBody, FieldError};
use crate::routes;

/// How a request names its tenant (docs/api.md#tenancy). Without either, the legacy fallback tenant is
/// used when one is configured.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct TenantHeaderParams {
    /// The tenant's id; wins over `X-Tenant`.
    #[serde(rename = "X-Tenant-Id")]
    x_tenant_id: Option<String>,
    /// The tenant's slug.
    #[serde(rename = "X-Tenant")]
    x_tenant: Option<String>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Comanda API",
        description = "Multi-tenant delivery and take-away ordering. Every error is \
                       `{\"detail\", \"code\"}`; validation errors add `errors[]`.",
    ),
    components(schemas(ErrorBody, FieldError)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Sign-up, login, the current user"),
        (name = "admin", description = "The tenant portal"),
        (name = "orders", description = "Orders for staff, and for customers with a tracking token"),
        (name = "central", description = "The SaaS operator's console (super admin)"),
        (name = "webhooks", description = "Signed calls from outside systems"),
        (name = "storefront", description = "What customers' front ends call"),
        (name = "operations", description = "Health, metrics and this documentation"),
    )
)]
pub struct ApiDoc;

/// The whole document, from the same registration the server serves.
pub fn document() -> utoipa::openapi::OpenApi {
    use utoipa_actix_web::AppExt;
    actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::register)
        .split_for_parts()
        .1
}

/// Session tokens travel as a bearer header or the `admin_token` cookie.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("admin_token"))),
        );
    }
}
