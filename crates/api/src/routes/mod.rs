//! Handlers: each translates HTTP into one service call and back.

pub mod admin;
pub mod auth;
pub mod billing_webhooks;
pub mod catalog;
pub mod central;
pub mod docs;
pub mod health;
pub mod media;
pub mod metrics;
pub mod orders;
pub mod patch;
pub mod shipping;
pub mod stores;

use actix_web::web;

use crate::error::ApiError;

/// Every route of the API. Middlewares are added in `startup`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/health").route(web::get().to(health::health)))
        .service(web::resource("/stores").route(web::get().to(stores::list_stores)))
        .service(web::resource("/catalog").route(web::get().to(catalog::catalog)))
        .service(web::resource("/checkout/preview").route(web::post().to(orders::preview)))
        .service(web::resource("/checkout").route(web::post().to(orders::checkout)))
        .service(web::resource("/orders").route(web::get().to(orders::list)))
        .service(web::resource("/orders/{order_id}").route(web::get().to(orders::get)))
        .service(web::resource("/admin/orders").route(web::get().to(admin::orders::list)))
        .service(web::resource("/admin/orders/{order_id}").route(web::get().to(admin::orders::get)))
        .service(
            web::resource("/admin/orders/{order_id}/status")
                .route(web::post().to(admin::orders::set_status)),
        )
        .service(
            web::resource("/admin/orders/{order_id}/cancel")
                .route(web::post().to(admin::orders::cancel)),
        )
        .service(
            web::resource("/admin/customers").route(web::get().to(admin::orders::list_customers)),
        )
        .service(
            web::resource("/admin/customers/merge")
                .route(web::post().to(admin::orders::merge_customers)),
        )
        .service(
            web::resource("/admin/customers/{customer_id}")
                .route(web::get().to(admin::orders::get_customer))
                .route(web::patch().to(admin::orders::update_customer)),
        )
        .service(
            web::resource("/admin/campaigns")
                .route(web::get().to(admin::campaigns::list))
                .route(web::post().to(admin::campaigns::create)),
        )
        .service(
            web::resource("/admin/campaigns/{campaign_id}")
                .route(web::get().to(admin::campaigns::get))
                .route(web::put().to(admin::campaigns::update))
                .route(web::delete().to(admin::campaigns::delete)),
        )
        .service(
            web::resource("/admin/campaigns/{campaign_id}/image")
                .route(web::post().to(admin::campaigns::upload_image)),
        )
        .service(web::resource("/admin/inventory").route(web::get().to(admin::operations::levels)))
        .service(
            web::resource("/admin/inventory/adjustments")
                .route(web::post().to(admin::operations::adjust)),
        )
        .service(
            web::resource("/admin/inventory/movements")
                .route(web::get().to(admin::operations::movements)),
        )
        .service(
            web::resource("/admin/config")
                .route(web::get().to(admin::operations::get_config))
                .route(web::put().to(admin::operations::put_config)),
        )
        .service(web::resource("/admin/insights").route(web::get().to(admin::operations::insights)))
        .service(web::resource("/shipping/quote").route(web::post().to(shipping::quote)))
        .service(web::resource("/media/{key:.+}").route(web::get().to(media::serve)))
        .service(
            web::resource("/admin/stores")
                .route(web::get().to(admin::stores::list))
                .route(web::post().to(admin::stores::create)),
        )
        .service(
            web::resource("/admin/stores/{store_id}")
                .route(web::get().to(admin::stores::get))
                .route(web::patch().to(admin::stores::update))
                .route(web::delete().to(admin::stores::delete)),
        )
        .service(
            web::resource("/admin/stores/{store_id}/image")
                .route(web::post().to(admin::stores::upload_image)),
        )
        .service(
            web::resource("/admin/shipping/stores/{store_id}/bands")
                .route(web::get().to(admin::shipping::bands))
                .route(web::put().to(admin::shipping::replace)),
        )
        .service(
            web::resource("/admin/catalog/categories")
                .route(web::get().to(admin::catalog::list_categories))
                .route(web::post().to(admin::catalog::create_category)),
        )
        .service(
            web::resource("/admin/catalog/categories/{category_id}")
                .route(web::patch().to(admin::catalog::update_category))
                .route(web::delete().to(admin::catalog::delete_category)),
        )
        .service(
            web::resource("/admin/catalog/products")
                .route(web::get().to(admin::catalog::list_products))
                .route(web::post().to(admin::catalog::create_product)),
        )
        .service(
            web::resource("/admin/catalog/products/{product_id}")
                .route(web::get().to(admin::catalog::get_product))
                .route(web::patch().to(admin::catalog::update_product))
                .route(web::delete().to(admin::catalog::delete_product)),
        )
        .service(
            web::resource("/admin/catalog/products/{product_id}/image")
                .route(web::post().to(admin::catalog::upload_image)),
        )
        .service(
            web::resource("/admin/catalog/products/{product_id}/video")
                .route(web::post().to(admin::catalog::upload_video)),
        )
        .service(
            web::resource("/admin/catalog/products/{product_id}/addon-groups")
                .route(web::post().to(admin::catalog::create_addon_group)),
        )
        .service(
            web::resource("/admin/catalog/addon-groups/{group_id}")
                .route(web::put().to(admin::catalog::update_addon_group))
                .route(web::delete().to(admin::catalog::delete_addon_group)),
        )
        .service(
            web::resource("/admin/catalog/addon-groups/{group_id}/addons")
                .route(web::post().to(admin::catalog::create_addon)),
        )
        .service(
            web::resource("/admin/catalog/addons/{addon_id}")
                .route(web::put().to(admin::catalog::update_addon))
                .route(web::delete().to(admin::catalog::delete_addon)),
        )
        .service(
            web::resource("/admin/catalog/availability")
                .route(web::post().to(admin::catalog::set_availability)),
        )
        .service(web::resource("/auth/signup").route(web::post().to(auth::signup)))
        .service(web::resource("/auth/login").route(web::post().to(auth::login)))
        .service(web::resource("/auth/me").route(web::get().to(auth::me)))
        .service(web::resource("/auth/logout").route(web::post().to(auth::logout)))
        .service(
            web::resource("/admin/users")
                .route(web::get().to(admin::users::list))
                .route(web::post().to(admin::users::create)),
        )
        .service(
            web::resource("/admin/users/{user_id}")
                .route(web::get().to(admin::users::get))
                .route(web::patch().to(admin::users::update))
                .route(web::delete().to(admin::users::delete)),
        )
        .service(
            web::resource("/admin/groups")
                .route(web::get().to(admin::groups::list))
                .route(web::post().to(admin::groups::create)),
        )
        .service(
            web::resource("/admin/groups/{group_id}")
                .route(web::get().to(admin::groups::get))
                .route(web::patch().to(admin::groups::update))
                .route(web::delete().to(admin::groups::delete)),
        )
        .service(web::resource("/admin/modules").route(web::get().to(admin::modules::list)))
        .service(web::resource("/admin/audit").route(web::get().to(admin::audit::list)))
        .service(web::resource("/admin/billing").route(web::get().to(admin::billing::overview)))
        .service(
            web::resource("/admin/billing/change-requests")
                .route(web::post().to(admin::billing::request_change)),
        )
        .service(web::resource("/admin/central/dashboard").route(web::get().to(central::dashboard)))
        .service(
            web::resource("/admin/central/tenants")
                .route(web::get().to(central::list_tenants))
                .route(web::post().to(central::create_tenant)),
        )
        .service(
            web::resource("/admin/central/tenants/{tenant_id}")
                .route(web::get().to(central::get_tenant))
                .route(web::patch().to(central::update_tenant))
                .route(web::delete().to(central::deactivate_tenant)),
        )
        .service(
            web::resource("/admin/central/tenants/{tenant_id}/limits")
                .route(web::put().to(central::set_limits)),
        )
        .service(
            web::resource("/admin/central/tenants/{tenant_id}/modules")
                .route(web::put().to(central::set_modules)),
        )
        .service(
            web::resource("/admin/central/tenants/{tenant_id}/plan")
                .route(web::put().to(central::assign_plan)),
        )
        .service(
            web::resource("/admin/central/tenants/{tenant_id}/messaging")
                .route(web::get().to(central::messaging))
                .route(web::put().to(central::set_messaging)),
        )
        .service(
            web::resource("/admin/central/tenants/{tenant_id}/first-access-test")
                .route(web::put().to(central::first_access_test)),
        )
        .service(
            web::resource("/admin/central/tenants/{tenant_id}/users")
                .route(web::get().to(central::list_tenant_users))
                .route(web::post().to(central::create_tenant_user)),
        )
        .service(
            web::resource("/admin/central/tenants/{tenant_id}/users/{user_id}")
                .route(web::patch().to(central::update_tenant_user))
                .route(web::delete().to(central::delete_tenant_user)),
        )
        .service(
            web::resource("/admin/central/plans")
                .route(web::get().to(central::list_plans))
                .route(web::post().to(central::create_plan)),
        )
        .service(
            web::resource("/admin/central/plans/{plan_id}")
                .route(web::get().to(central::get_plan))
                .route(web::put().to(central::update_plan))
                .route(web::delete().to(central::delete_plan)),
        )
        .service(
            web::resource("/billing/webhook/status")
                .route(web::post().to(billing_webhooks::status)),
        )
        .service(
            web::resource("/billing/webhook/intake")
                .route(web::post().to(billing_webhooks::intake)),
        )
        .service(web::resource("/metrics").route(web::get().to(metrics::metrics)))
        .service(web::resource("/openapi.json").route(web::get().to(docs::openapi_json)))
        .service(web::resource("/docs").route(web::get().to(docs::docs_page)))
        .service(web::resource("/docs/").route(web::get().to(docs::docs_page)))
        .service(web::resource("/docs/assets/{file}").route(web::get().to(docs::docs_asset)));
}

/// Any path no route matches.
pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::not_found("Not found"))
}
