//! Test support shared by the crates' test suites (never a dependency of production code).

mod database;

pub use database::{TestDatabase, admin_database_url};
