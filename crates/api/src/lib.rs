//! Comanda's HTTP adapter: a thin actix-web layer over the services. Handlers translate HTTP
//! into service calls and service errors into `{"detail","code"}`; nothing here decides
//! business rules.

pub mod build_info;
pub mod catalog_cache;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod order_desk;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod workers;

pub use startup::Application;
