//! Comanda's use cases. Each takes ports (`Arc<dyn Port>`), applies domain rules and answers
//! typed errors; the HTTP and CLI adapters only translate.

pub mod error;
pub mod health;
pub mod seed;
pub mod stores;
pub mod tenancy;

#[cfg(test)]
mod fakes;

pub use error::ServiceError;
