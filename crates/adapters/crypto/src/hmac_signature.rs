//! HMAC-SHA256 webhook signatures: `sha256=<hex>` or bare hex, compared in constant time.

use comanda_ports::SignatureVerifier;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Accepts a signature made with any of its secrets (rotation without downtime).
pub struct HmacSignatureVerifier {
    secrets: Vec<Vec<u8>>,
}

impl HmacSignatureVerifier {
    pub fn new(secrets: &[&str]) -> Self {
        Self {
            secrets: secrets.iter().map(|s| s.as_bytes().to_vec()).collect(),
        }
    }
}

impl SignatureVerifier for HmacSignatureVerifier {
    fn verify(&self, body: &[u8], signature: &str) -> bool {
        let signature = signature.trim();
        let hex_digest = signature.strip_prefix("sha256=").unwrap_or(signature);
        let Ok(expected) = hex::decode(hex_digest) else {
            return false;
        };
        self.secrets.iter().any(|secret| {
            let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret) else {
                return false;
            };
            mac.update(body);
            // `verify_slice` compares in constant time.
            mac.verify_slice(&expected).is_ok()
        })
    }
}

/// Tracking tokens: the hex HMAC-SHA256 of the order id under `ORDER_TRACKING_SECRET`.
pub struct HmacTrackingTokens {
    secret: Vec<u8>,
}

impl HmacTrackingTokens {
    pub fn new(secret: &str) -> Self {
        Self {
            secret: secret.as_bytes().to_vec(),
        }
    }
}

impl comanda_ports::TrackingTokens for HmacTrackingTokens {
    fn token_for(&self, order: comanda_domain::OrderId) -> String {
        hmac_sha256_hex(&self.secret, order.to_string().as_bytes())
    }

    fn verify(&self, order: comanda_domain::OrderId, token: &str) -> bool {
        HmacSignatureVerifier {
            secrets: vec![self.secret.clone()],
        }
        .verify(order.to_string().as_bytes(), token)
    }
}

/// The hex SHA-256 of `bytes` (request fingerprints).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(Sha256::digest(bytes))
}

/// The hex HMAC-SHA256 of `body` under `secret` (for signing, and for tests).
pub fn hmac_sha256_hex(secret: &[u8], body: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "billing-secret-billing-secret-billing";
    const OTHER: &str = "rotated-secret-rotated-secret-rotated";

    #[test]
    fn prefixed_and_bare_hex_signatures_verify() {
        let body = br#"{"event_id":"evt_1"}"#;
        let digest = hmac_sha256_hex(SECRET.as_bytes(), body);
        let verifier = HmacSignatureVerifier::new(&[SECRET]);
        assert!(verifier.verify(body, &format!("sha256={digest}")));
        assert!(verifier.verify(body, &digest));
        assert!(verifier.verify(body, &digest.to_uppercase()));
    }

    #[test]
    fn any_configured_secret_is_accepted() {
        let body = b"payload";
        let verifier = HmacSignatureVerifier::new(&[SECRET, OTHER]);
        assert!(verifier.verify(body, &hmac_sha256_hex(OTHER.as_bytes(), body)));
    }

    #[test]
    fn tracking_tokens_belong_to_one_order() {
        use comanda_ports::TrackingTokens;
        let tokens = HmacTrackingTokens::new(SECRET);
        let order = comanda_domain::OrderId::generate();
        let other = comanda_domain::OrderId::generate();
        let token = tokens.token_for(order);
        assert!(tokens.verify(order, &token));
        assert!(!tokens.verify(other, &token));
        assert!(!tokens.verify(order, "sha256=00"));
        assert!(!HmacTrackingTokens::new(OTHER).verify(order, &token));
    }

    #[test]
    fn wrong_signatures_and_changed_bodies_fail() {
        let body = br#"{"event_id":"evt_1","status":"active"}"#;
        let digest = hmac_sha256_hex(SECRET.as_bytes(), body);
        let verifier = HmacSignatureVerifier::new(&[SECRET]);
        let mut changed = body.to_vec();
        changed[5] ^= 1;
        assert!(!verifier.verify(&changed, &digest));
        assert!(!verifier.verify(body, "sha256=deadbeef"));
        assert!(!verifier.verify(body, "not hex"));
        assert!(!verifier.verify(body, ""));
        assert!(!HmacSignatureVerifier::new(&[]).verify(body, &digest));
    }
}
