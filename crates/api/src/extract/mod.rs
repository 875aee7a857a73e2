//! Extractors: what handlers take instead of raw requests.

mod json;
mod list;
mod tenant;

pub use json::{ApiJson, JSON_BODY_LIMIT, parse_json};
pub use list::ListQuery;
pub use tenant::{Tenant, TenantTag};
