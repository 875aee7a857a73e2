//! Handlers: each translates HTTP into one service call and back.

pub mod admin;
pub mod auth;
pub mod billing_webhooks;
pub mod catalog;
pub mod docs;
pub mod health;
pub mod media;
pub mod metrics;
pub mod orders;
pub mod patch;
pub mod pix_webhook;
pub mod shipping;
pub mod stores;
pub mod whatsapp_webhook;

use actix_web::web;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;

/// An id from the request (surrounding spaces allowed); 422 naming `field` otherwise.
pub fn parse_id<T: std::str::FromStr>(raw: &str, field: &str) -> Result<T, ApiError> {
    raw.trim()
        .parse::<T>()
        .map_err(|_| ApiError::field(field, "not a valid id"))
}

/// Every route of the API, each written once: its method and path are in the handler's
/// `#[get("…")]`-style attribute, its documentation in `#[utoipa::path]` beside it; this list
/// only says in which order they are tried (a literal path before a `{param}` one).
pub fn register(config: &mut ServiceConfig) {
    config
        .service(health::health)
        .service(health::livez)
        .service(health::readyz)
        .service(stores::list_stores)
        .service(stores::slots)
        .service(catalog::catalog)
        .service(orders::preview)
        .service(orders::checkout)
        .service(orders::list)
        .service(orders::get)
        .service(orders::payment_qr)
        .service(admin::orders::list)
        .service(admin::orders::stream)
        .service(admin::orders::get)
        .service(admin::orders::ticket)
        .service(admin::orders::set_status)
        .service(admin::orders::cancel)
        .service(admin::payments::set_payment)
        .service(admin::payments::get_pix)
        .service(admin::payments::put_pix)
        .service(admin::customers::list_customers)
        .service(admin::customers::merge_customers)
        .service(admin::customers::get_customer)
        .service(admin::customers::update_customer)
        .service(admin::customer_data::export_customer)
        .service(admin::customer_data::erase_customer)
        .service(admin::campaigns::list)
        .service(admin::campaigns::create)
        .service(admin::campaigns::get)
        .service(admin::campaigns::update)
        .service(admin::campaigns::delete)
        .service(admin::campaigns::upload_image)
        .service(admin::inventory::levels)
        .service(admin::inventory::adjust)
        .service(admin::inventory::movements)
        .service(admin::config::get_config)
        .service(admin::config::put_config)
        .service(admin::insights::insights)
        .service(shipping::quote)
        .service(shipping::address)
        .service(admin::stores::list)
        .service(admin::stores::create)
        .service(admin::stores::get)
        .service(admin::stores::update)
        .service(admin::stores::delete)
        .service(admin::stores::upload_image)
        .service(admin::stores::pause)
        .service(admin::stores::resume)
        .service(admin::stores::list_closures)
        .service(admin::stores::replace_closures)
        .service(admin::shipping::bands)
        .service(admin::shipping::replace)
        .service(admin::delivery_areas::list)
        .service(admin::delivery_areas::create)
        .service(admin::delivery_areas::get)
        .service(admin::delivery_areas::update)
        .service(admin::delivery_areas::delete)
        .service(admin::catalog::list_categories)
        .service(admin::catalog::create_category)
        .service(admin::catalog::update_category)
        .service(admin::catalog::delete_category)
        .service(admin::catalog::list_products)
        .service(admin::catalog::create_product)
        .service(admin::catalog::get_product)
        .service(admin::catalog::update_product)
        .service(admin::catalog::delete_product)
        .service(admin::catalog::upload_image)
        .service(admin::catalog::upload_video)
        .service(admin::catalog::create_addon_group)
        .service(admin::catalog::update_addon_group)
        .service(admin::catalog::delete_addon_group)
        .service(admin::catalog::create_addon)
        .service(admin::catalog::update_addon)
        .service(admin::catalog::delete_addon)
        .service(admin::catalog::set_availability)
        .service(admin::catalog::mark_sold_out)
        .service(admin::catalog::back_on_sale)
        .service(auth::signup)
        .service(auth::login)
        .service(auth::me)
        .service(auth::logout)
        .service(admin::users::list)
        .service(admin::users::create)
        .service(admin::users::get)
        .service(admin::users::update)
        .service(admin::users::delete)
        .service(admin::groups::list)
        .service(admin::groups::create)
        .service(admin::groups::get)
        .service(admin::groups::update)
        .service(admin::groups::delete)
        .service(admin::modules::list)
        .service(admin::audit::list)
        .service(admin::billing::overview)
        .service(admin::billing::request_change)
        .service(admin::central::dashboard)
        .service(admin::central::list_tenants)
        .service(admin::central::create_tenant)
        .service(admin::central::get_tenant)
        .service(admin::central::update_tenant)
        .service(admin::central::deactivate_tenant)
        .service(admin::central::set_limits)
        .service(admin::central::invite_owner)
        .service(admin::central::set_modules)
        .service(admin::central::assign_plan)
        .service(admin::central::messaging)
        .service(admin::central::set_messaging)
        .service(admin::central::first_access_test)
        .service(admin::central::list_tenant_users)
        .service(admin::central::create_tenant_user)
        .service(admin::central::update_tenant_user)
        .service(admin::central::delete_tenant_user)
        .service(admin::central::list_plans)
        .service(admin::central::create_plan)
        .service(admin::central::get_plan)
        .service(admin::central::update_plan)
        .service(admin::central::delete_plan)
        .service(billing_webhooks::status)
        .service(billing_webhooks::intake)
        .service(pix_webhook::pix_paid)
        .service(whatsapp_webhook::verify)
        .service(whatsapp_webhook::events)
        .service(whatsapp_webhook::verify_for_tenant)
        .service(whatsapp_webhook::events_for_tenant)
        .service(admin::whatsapp::conversations)
        .service(admin::whatsapp::conversation)
        .service(admin::whatsapp::messages)
        .service(admin::whatsapp::send)
        .service(admin::whatsapp::media)
        .service(admin::onboarding::checklist)
        .service(admin::whatsapp::notifications)
        .service(admin::whatsapp::retry_notification)
        .service(admin::webpush::public_key)
        .service(admin::webpush::list)
        .service(admin::webpush::subscribe)
        .service(admin::webpush::unsubscribe)
        .service(metrics::metrics)
        .service(docs::openapi_json)
        .service(docs::docs_page);
}

/// What the server serves besides the API: the stored media files (local storage) and the
/// documentation page's assets. Not part of the OpenAPI document.
pub fn register_unlisted(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/docs/").route(web::get().to(docs::page)))
        .service(web::resource("/docs/assets/{file}").route(web::get().to(docs::docs_asset)))
        .service(web::resource("/media/{key:.+}").route(web::get().to(media::serve)));
}

/// The documented paths with their methods, for telling a wrong method (405) from an unknown
/// path (404): each handler's route only matches its own method.
fn known_paths() -> &'static [(actix_web::dev::ResourceDef, Vec<actix_web::http::Method>)] {
    static KNOWN: std::sync::OnceLock<
        Vec<(actix_web::dev::ResourceDef, Vec<actix_web::http::Method>)>,
    > = std::sync::OnceLock::new();
    KNOWN.get_or_init(|| {
        crate::openapi::document()
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    (item.get.is_some(), actix_web::http::Method::GET),
                    (item.post.is_some(), actix_web::http::Method::POST),
                    (item.put.is_some(), actix_web::http::Method::PUT),
                    (item.patch.is_some(), actix_web::http::Method::PATCH),
                    (item.delete.is_some(), actix_web::http::Method::DELETE),
                ]
                .into_iter()
                .filter_map(|(present, method)| present.then_some(method))
                .collect();
                (actix_web::dev::ResourceDef::new(path.as_str()), methods)
            })
            .collect()
    })
}

/// Any request no route takes: 405 with `Allow` when the path is known under other methods,
/// else 404.
pub async fn not_found(
    request: actix_web::HttpRequest,
) -> Result<actix_web::HttpResponse, ApiError> {
    let allowed: Vec<&str> = known_paths()
        .iter()
        .filter(|(path, _)| path.is_match(request.path()))
        .flat_map(|(_, methods)| methods.iter().map(actix_web::http::Method::as_str))
        .collect();
    if allowed.is_empty() {
        return Err(ApiError::not_found("Not found"));
    }
    Err(
        crate::error::canonical_error(actix_web::http::StatusCode::METHOD_NOT_ALLOWED).with_header(
            actix_web::http::header::ALLOW,
            actix_web::http::header::HeaderValue::from_str(&allowed.join(", "))
                .unwrap_or(actix_web::http::header::HeaderValue::from_static("GET")),
        ),
    )
}
