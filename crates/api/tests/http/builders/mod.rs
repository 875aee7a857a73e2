//! Shared set-up for the HTTP tests, by feature: a tenant ready to sell (`shop`), and stores
//! and catalog made through the admin API (`storefront`).

pub(crate) mod shop;
pub(crate) mod storefront;
