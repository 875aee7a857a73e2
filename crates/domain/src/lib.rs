//! Comanda's business: the rules and the types that can only exist valid.
//!
//! This crate is pure: no async, no I/O, no database or HTTP library. CI checks
//! that diesel, actix-web and reqwest never appear in its dependency tree.

pub mod billing;
pub mod identity;
pub mod ids;
pub mod opening_hours;
pub mod pagination;
pub mod store;
pub mod subscriptions;
pub mod tenancy;

pub use ids::{GroupId, PlanId, SessionId, StoreId, TenantId, UserId};
