//! The middlewares of docs/api.md#headers, outermost first: trusted host, CORS, security headers, request
//! log (request id, metrics), rate limiting. `error_shape` sits innermost and turns any bare
//! framework error (unknown route, wrong method) into the `{"detail","code"}` body.

mod client_ip;
mod cors;
mod error_shape;
mod rate_limit;
mod request_log;
mod security_headers;
mod trusted_host;

pub use client_ip::{ClientIp, resolve_client_ip};
pub use cors::cors;
pub use error_shape::error_shape;
pub use rate_limit::{enforce_rate_limit, rate_limit, rate_subject, refused_webhook};
pub use request_log::{RequestId, request_log};
pub use security_headers::security_headers;
pub use trusted_host::trusted_host;

use actix_web::web;

use crate::state::AppState;

pub(crate) fn app_state(request: &actix_web::dev::ServiceRequest) -> Option<web::Data<AppState>> {
    request.app_data::<web::Data<AppState>>().cloned()
}
