//! The OpenAPI document, generated from the handlers' annotations.

use serde::Deserialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi};

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
        routes::health::livez,
        routes::health::readyz,
        routes::stores::list_stores,
        routes::catalog::catalog,
        routes::shipping::quote,
        routes::orders::preview,
        routes::orders::checkout,
        routes::orders::list,
        routes::orders::get,
        routes::admin::orders::list,
        routes::admin::orders::get,
        routes::admin::orders::set_status,
        routes::admin::orders::cancel,
        routes::admin::orders::list_customers,
        routes::admin::orders::get_customer,
        routes::admin::orders::update_customer,
        routes::admin::orders::merge_customers,
        routes::admin::customer_data::export_customer,
        routes::admin::customer_data::erase_customer,
        routes::admin::campaigns::list,
        routes::admin::campaigns::create,
        routes::admin::campaigns::get,
        routes::admin::campaigns::update,
        routes::admin::campaigns::delete,
        routes::admin::campaigns::upload_image,
        routes::admin::operations::levels,
        routes::admin::operations::adjust,
        routes::admin::operations::movements,
        routes::admin::operations::get_config,
        routes::admin::operations::put_config,
        routes::admin::operations::insights,
        routes::admin::stores::list,
        routes::admin::stores::create,
        routes::admin::stores::get,
        routes::admin::stores::update,
        routes::admin::stores::delete,
        routes::admin::stores::upload_image,
        routes::admin::shipping::bands,
        routes::admin::shipping::replace,
        routes::admin::catalog::list_categories,
        routes::admin::catalog::create_category,
        routes::admin::catalog::update_category,
        routes::admin::catalog::delete_category,
        routes::admin::catalog::list_products,
        routes::admin::catalog::create_product,
        routes::admin::catalog::get_product,
        routes::admin::catalog::update_product,
        routes::admin::catalog::delete_product,
        routes::admin::catalog::upload_image,
        routes::admin::catalog::upload_video,
        routes::admin::catalog::set_availability,
        routes::admin::catalog::create_addon_group,
        routes::admin::catalog::update_addon_group,
        routes::admin::catalog::delete_addon_group,
        routes::admin::catalog::create_addon,
        routes::admin::catalog::update_addon,
        routes::admin::catalog::delete_addon,
        routes::auth::signup,
        routes::auth::login,
        routes::auth::me,
        routes::auth::logout,
        routes::admin::users::list,
        routes::admin::users::create,
        routes::admin::users::get,
        routes::admin::users::update,
        routes::admin::users::delete,
        routes::admin::groups::list,
        routes::admin::groups::create,
        routes::admin::groups::get,
        routes::admin::groups::update,
        routes::admin::groups::delete,
        routes::admin::modules::list,
        routes::admin::audit::list,
        routes::admin::billing::overview,
        routes::admin::billing::request_change,
        routes::central::dashboard,
        routes::central::list_tenants,
        routes::central::create_tenant,
        routes::central::invite_owner,
        routes::central::get_tenant,
        routes::central::update_tenant,
        routes::central::deactivate_tenant,
        routes::central::set_limits,
        routes::central::set_modules,
        routes::central::assign_plan,
        routes::central::messaging,
        routes::central::set_messaging,
        routes::central::first_access_test,
        routes::central::list_tenant_users,
        routes::central::create_tenant_user,
        routes::central::update_tenant_user,
        routes::central::delete_tenant_user,
        routes::central::list_plans,
        routes::central::create_plan,
        routes::central::get_plan,
        routes::central::update_plan,
        routes::central::delete_plan,
        routes::billing_webhooks::status,
        routes::billing_webhooks::intake,
        routes::whatsapp_webhook::verify,
        routes::whatsapp_webhook::verify_for_tenant,
        routes::whatsapp_webhook::events,
        routes::whatsapp_webhook::events_for_tenant,
        routes::admin::whatsapp::conversations,
        routes::admin::whatsapp::conversation,
        routes::admin::whatsapp::messages,
        routes::admin::whatsapp::send,
        routes::admin::whatsapp::media,
        routes::admin::whatsapp::notifications,
        routes::admin::onboarding::checklist,
        routes::admin::whatsapp::retry_notification,
        routes::admin::webpush::public_key,
        routes::admin::webpush::list,
        routes::admin::webpush::subscribe,
        routes::admin::webpush::unsubscribe,
        routes::metrics::metrics,
        routes::docs::openapi_json,
        routes::docs::docs_page,
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
