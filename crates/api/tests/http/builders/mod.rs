//! Shared set-up for the HTTP tests, by feature: a tenant ready to sell (`shop`).

pub(crate) mod shop;
