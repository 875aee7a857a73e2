//! Extractors: what handlers take instead of raw requests.

mod auth;
mod json;
mod list;
mod tenant;

pub use auth::{
    AUTH_COOKIE, CurrentUser, SuperAdmin, TenantScope, TokenSource, actor_for, check_form_origin,
    request_token,
};
pub use json::{ApiJson, JSON_BODY_LIMIT, parse_json, parse_value};
pub use list::ListQuery;
pub use tenant::{Tenant, TenantTag};
