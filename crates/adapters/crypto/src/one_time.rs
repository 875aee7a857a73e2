//! One-time tokens: 256 random bits, URL-safe, kept only as their SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use comanda_ports::OneTimeTokens;
use rand::RngCore;

use crate::sha256_hex;

#[derive(Debug, Default, Clone, Copy)]
pub struct RandomOneTimeTokens;

impl OneTimeTokens for RandomOneTimeTokens {
    fn generate(&self) -> (String, String) {
        let mut bytes = [0_u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let digest = self.digest(&token);
        (token, digest)
    }

    fn digest(&self, token: &str) -> String {
        sha256_hex(token.trim().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_only_their_own_digest_matches() {
        let (first, first_digest) = RandomOneTimeTokens.generate();
        let (second, second_digest) = RandomOneTimeTokens.generate();
        assert_ne!(first, second);
        assert_eq!(first.len(), 43);
        assert_eq!(RandomOneTimeTokens.digest(&first), first_digest);
        assert_ne!(first_digest, second_digest);
        assert_ne!(first_digest, first);
    }
}
