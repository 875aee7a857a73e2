//! Cryptography behind the ports: password hashes, session tokens and HMAC signatures.
//! Pure-Rust implementations only (no C toolchain needed).

mod hmac_signature;
mod one_time;
mod passwords;
mod secret_box;
mod tokens;

pub use hmac_signature::{HmacSignatureVerifier, HmacTrackingTokens, hmac_sha256_hex, sha256_hex};
pub use one_time::RandomOneTimeTokens;
pub use passwords::{Argon2PasswordHasher, HashingGate};
pub use secret_box::{AesGcmSecretBox, BadSecretsKey};
pub use tokens::{JwtAlgorithm, JwtTokenCodec};
