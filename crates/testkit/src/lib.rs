//! Test support shared by the crates' test suites (never a dependency of production code).

mod database;
mod stub;

pub use database::{TestDatabase, admin_database_url};
pub use stub::{RecordedRequest, StubResponse, StubServer};
