//! Comanda's use cases. Each takes ports (`Arc<dyn Port>`), applies domain rules and answers
//! typed errors; the HTTP and CLI adapters only translate.

pub mod address;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod campaigns;
pub mod catalog;
pub mod central;
pub mod checkout;
pub mod config;
pub mod customer_data;
pub mod customers;
pub mod error;
pub mod groups;
pub mod health;
pub mod housekeeping;
pub mod imports;
pub mod insights;
pub mod inventory;
pub mod media;
pub mod messaging;
pub mod onboarding;
pub mod orders;
pub mod payments;
pub mod seed;
pub mod shipping;
pub mod stores;
pub mod tenancy;
pub mod users;

#[cfg(test)]
mod fakes;

pub use error::{ErrorCode, FieldProblem, ServiceError};
