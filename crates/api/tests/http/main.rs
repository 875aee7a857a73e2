//! The API through real HTTP against real PostgreSQL (and Redis where rate limits need it).

mod admin;
mod auth;
mod bootstrap;
mod builders;
mod central;
mod checkout;
mod checkout_data;
mod config_startup;
mod customers_lgpd;
mod docs_and_metrics;
mod errors;
mod fairness;
mod grants;
mod health;
mod messaging;
mod middleware;
mod openapi_contract;
mod operations;
mod order_desk;
mod production;
mod rate_limits;
mod review_findings;
mod storefront;
mod stores;
mod support;
mod tenancy;
