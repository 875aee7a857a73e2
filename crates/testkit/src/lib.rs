//! Test support shared by the crates' test suites (never a dependency of production code).

mod database;
mod psp;
mod stub;

pub use database::{PgTestCa, TestDatabase, admin_database_url, pg_test_ca, tls_url_for};
pub use psp::{PSP_CLIENT_ID, PSP_CLIENT_SECRET, PspStub, PspTls, psp_tls};
pub use stub::{RecordedRequest, StubResponse, StubServer};

/// An HTTP client for tests (reqwest's TLS needs a crypto provider installed first).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}
