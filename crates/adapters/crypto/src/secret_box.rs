//! Secrets kept at rest under `PAYMENT_SECRETS_KEY`: AES-256-GCM with a random 96-bit nonce per
//! seal, stored as nonce then ciphertext and tag. A wrong key or altered bytes do not open.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use comanda_ports::payments::SecretBox;

const NONCE_LENGTH: usize = 12;

pub struct AesGcmSecretBox {
    cipher: Aes256Gcm,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("PAYMENT_SECRETS_KEY must be 32 bytes, written as 64 hex digits or in base64")]
pub struct BadSecretsKey;

impl AesGcmSecretBox {
    /// The key as the environment gives it: 64 hex digits, or base64 of 32 bytes.
    pub fn from_config(raw: &str) -> Result<Self, BadSecretsKey> {
        let raw = raw.trim();
        let bytes = if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(raw).map_err(|_| BadSecretsKey)?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(raw)
                .map_err(|_| BadSecretsKey)?
        };
        let key: [u8; 32] = bytes.try_into().map_err(|_| BadSecretsKey)?;
        Ok(Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
        })
    }
}

impl SecretBox for AesGcmSecretBox {
    fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let nonce: [u8; NONCE_LENGTH] = rand::random();
        // Encrypting into a Vec cannot fail for inputs below GCM's 64 GiB limit.
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain)
            .unwrap_or_default();
        [nonce.as_slice(), sealed.as_slice()].concat()
    }

    fn open(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        let (nonce, ciphertext) = sealed.split_at_checked(NONCE_LENGTH)?;
        self.cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn what_is_sealed_opens_with_the_same_key_only() {
        let sealed_with = AesGcmSecretBox::from_config(KEY).expect("a hex key");
        let sealed = sealed_with.seal(b"client secret");
        assert!(!sealed.windows(6).any(|w| w == b"client"));
        assert_eq!(
            sealed_with.open(&sealed).as_deref(),
            Some(&b"client secret"[..])
        );
        let other = AesGcmSecretBox::from_config(&"ab".repeat(32)).expect("another key");
        assert_eq!(other.open(&sealed), None);
    }

    #[test]
    fn each_seal_has_its_own_nonce_and_tampering_is_caught() {
        let secrets = AesGcmSecretBox::from_config(KEY).expect("a hex key");
        let first = secrets.seal(b"same");
        assert_ne!(first, secrets.seal(b"same"));
        let mut altered = first.clone();
        if let Some(last) = altered.last_mut() {
            *last ^= 1;
        }
        assert_eq!(secrets.open(&altered), None);
        assert_eq!(secrets.open(&first[..5]), None);
    }

    #[test]
    fn keys_are_read_as_hex_or_base64_of_32_bytes() {
        let base64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert!(AesGcmSecretBox::from_config(&base64).is_ok());
        assert!(AesGcmSecretBox::from_config("short").is_err());
        let too_short = base64::engine::general_purpose::STANDARD.encode([7u8; 16]);
        assert!(AesGcmSecretBox::from_config(&too_short).is_err());
    }
}
