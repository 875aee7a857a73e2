//! Shared set-up for the HTTP tests, by feature: a tenant ready to sell (`shop`), stores and
//! catalog made through the admin API (`storefront`), and messaging stubs and events
//! (`messaging`).

pub(crate) mod messaging;
pub(crate) mod shop;
pub(crate) mod storefront;
