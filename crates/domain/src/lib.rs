//! Comanda's business: the rules and the types that can only exist valid.
//!
//! This crate is pure: no async, no I/O, no database or HTTP library. CI checks
//! that diesel, actix-web and reqwest never appear in its dependency tree.

pub mod address;
pub mod billing;
pub mod catalog;
pub mod delivery_area;
pub mod geo;
pub mod identity;
pub mod ids;
pub mod media;
pub mod messaging;
pub mod opening_hours;
pub mod orders;
pub mod pagination;
pub mod phone;
pub mod pix;
pub mod pizza;
pub mod pricing;
pub mod privacy;
pub mod shipping;
pub mod store;
pub mod subscriptions;
pub mod tenancy;
pub mod ticket;

pub use ids::{
    AddonGroupId, AddonId, AreaId, BandId, CampaignId, CategoryId, ComboSlotId, CustomerId,
    GroupId, OrderId, PizzaSizeId, PlanId, ProductId, SessionId, StoreId, TenantId, UserId,
};
