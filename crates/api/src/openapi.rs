//! The OpenAPI document, generated from the handlers' annotations.

use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use crate::error::{ErrorBody, FieldError};
use crate::routes;

/// How a request names its tenant (SPEC §4). Without either, the legacy fallback tenant is
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
    paths(
        routes::health::health,
        routes::stores::list_stores,
        routes::metrics::metrics,
        routes::docs::openapi_json,
        routes::docs::docs_page,
    ),
    components(schemas(ErrorBody, FieldError)),
    tags(
        (name = "storefront", description = "What customers' front ends call"),
        (name = "operations", description = "Health, metrics and this documentation"),
    )
)]
pub struct ApiDoc;
