//! What Comanda's core needs from the outside world, as traits used through `Arc<dyn Port>`.
//!
//! Adapters implement these; services depend only on them. Errors are typed enums so the
//! HTTP layer can map each to a status without reading strings.

pub mod audit;
pub mod billing;
pub mod campaigns;
pub mod catalog;
pub mod central;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod customer_data;
pub mod customers;
pub mod database;
pub mod identity;
pub mod imports;
pub mod insights;
pub mod inventory;
pub mod media;
pub mod messaging;
pub mod onboarding;
pub mod orders;
pub mod payments;
pub mod plans;
pub mod ratelimit;
pub mod shipping;
pub mod stores;
pub mod tenants;

pub use audit::{Actor, AuditEntry, AuditFilter, AuditRepository};
pub use clock::{Clock, SystemClock};
pub use crypto::{
    CryptoError, OneTimeTokens, PasswordCheck, PasswordHasher, SignatureVerifier, TokenClaims,
    TokenCodec, TokenError, TrackingTokens,
};
pub use database::{DatabaseHealth, PoolStats};
pub use identity::{
    Group, GroupChanges, GroupRepository, NewOwnerInvite, NewSession, NewUser, OwnerInvite,
    Session, SessionRepository, User, UserChanges, UserCredentials, UserRepository,
};
pub use ratelimit::{RateLimitDecision, RateLimitError, RateLimitPolicy, RateLimitStore};
pub use stores::{StoreChanges, StoreRepository};
pub use tenants::{NewTenant, TenantRepository};

/// What can go wrong in a repository, whatever the store behind it.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The database cannot be reached or has no free connection: retry later (503).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database aborted the transaction for a conflict with another one (deadlock,
    /// serialization failure), even after one retry: try again in a moment (503 `busy`).
    #[error("busy: {0}")]
    Busy(String),
    /// A uniqueness rule was broken; the name says which.
    #[error("conflict on {0}")]
    Conflict(String),
    /// The row does not exist for this tenant; the name says what it is (`"store"`).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A reference to a row that does not exist (for this tenant); the name says which.
    #[error("invalid reference: {0}")]
    InvalidReference(String),
    /// A per-tenant limit (`users_limit`, `stores_limit`) would be exceeded.
    #[error("limit reached: {0}")]
    LimitReached(&'static str),
    /// Anything else: a bug or a broken invariant; the message is for the log only.
    #[error("database error: {0}")]
    Internal(String),
}

pub type RepoResult<T> = Result<T, RepoError>;
