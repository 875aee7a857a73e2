use async_trait::async_trait;
use comanda_domain::identity::Role;
use comanda_domain::{SessionId, TenantId, UserId};

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("crypto failure: {0}")]
    Failed(String),
    /// Every hashing slot stayed taken for as long as a caller may wait.
    #[error("password hashing is saturated")]
    Busy,
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCheck {
    pub matches: bool,
    /// The hash is of an older scheme or weaker parameters: store a new one.
    pub needs_rehash: bool,
}

/// Password hashing; slow on purpose, so implementations run off the async executor.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    async fn hash(&self, password: &str) -> Result<String, CryptoError>;
    async fn verify(&self, password: &str, stored_hash: &str)
    -> Result<PasswordCheck, CryptoError>;
    /// Spends as long as a real verification, for unknown e-mails (no timing oracle); busy
    /// like a real one, so saturation does not tell them apart either.
    async fn burn_verification(&self, password: &str) -> Result<(), CryptoError>;
}

/// The claims of a session token (docs/api.md#signing-in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub role: Role,
    pub session_id: SessionId,
    /// Seconds since the epoch.
    pub issued_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is invalid")]
    Invalid,
    #[error("the token has expired")]
    Expired,
}

/// Signs and verifies session tokens.
pub trait TokenCodec: Send + Sync {
    fn issue(&self, claims: &TokenClaims) -> Result<String, CryptoError>;
    fn verify(&self, token: &str) -> Result<TokenClaims, TokenError>;
}

/// Checks a webhook's signature header over its raw body.
pub trait SignatureVerifier: Send + Sync {
    fn verify(&self, body: &[u8], signature: &str) -> bool;
}

/// Tracking tokens: let a customer read one order without signing in.
pub trait TrackingTokens: Send + Sync {
    fn token_for(&self, order: comanda_domain::OrderId) -> String;
    fn verify(&self, order: comanda_domain::OrderId, token: &str) -> bool;
}

/// One-time secrets handed out once and kept only as a digest (owner invites).
pub trait OneTimeTokens: Send + Sync {
    /// A new random token (URL-safe) and the digest to store.
    fn generate(&self) -> (String, String);
    /// The digest of a token presented back.
    fn digest(&self, token: &str) -> String;
}
