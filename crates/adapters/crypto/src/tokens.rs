//! Session tokens: HMAC-signed JWTs with the claims of docs/api.md#signing-in.

use comanda_domain::identity::Role;
use comanda_ports::{CryptoError, TokenClaims, TokenCodec, TokenError};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlgorithm {
    Hs256,
    Hs384,
    Hs512,
}

impl JwtAlgorithm {
    fn algorithm(self) -> Algorithm {
        match self {
            Self::Hs256 => Algorithm::HS256,
            Self::Hs384 => Algorithm::HS384,
            Self::Hs512 => Algorithm::HS512,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    tenant_id: String,
    role: String,
    sid: String,
    exp: i64,
    iat: i64,
}

/// Signs with the current secret; verifies with it and every older one, under one pinned
/// algorithm (`alg: none` and algorithm switching fail).
pub struct JwtTokenCodec {
    algorithm: Algorithm,
    signing_key: EncodingKey,
    verification_keys: Vec<DecodingKey>,
    validation: Validation,
}

impl JwtTokenCodec {
    /// `secrets[0]` signs; all of them verify.
    pub fn new(algorithm: JwtAlgorithm, secrets: &[&str]) -> Result<Self, CryptoError> {
        let signing = secrets
            .first()
            .ok_or_else(|| CryptoError::Failed("no signing secret".into()))?;
        let algorithm = algorithm.algorithm();
        let mut validation = Validation::new(algorithm);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        let failed = |error: jsonwebtoken::errors::Error| CryptoError::Failed(error.to_string());
        Ok(Self {
            algorithm,
            signing_key: EncodingKey::from_secret(signing.as_bytes()).map_err(failed)?,
            verification_keys: secrets
                .iter()
                .map(|secret| DecodingKey::from_secret(secret.as_bytes()).map_err(failed))
                .collect::<Result<_, _>>()?,
            validation,
        })
    }
}

impl TokenCodec for JwtTokenCodec {
    fn issue(&self, claims: &TokenClaims) -> Result<String, CryptoError> {
        let claims = Claims {
            sub: claims.user_id.to_string(),
            tenant_id: claims.tenant_id.to_string(),
            role: claims.role.as_str().to_owned(),
            sid: claims.session_id.to_string(),
            exp: claims.expires_at,
            iat: claims.issued_at,
        };
        jsonwebtoken::encode(&Header::new(self.algorithm), &claims, &self.signing_key)
            .map_err(|error| CryptoError::Failed(error.to_string()))
    }

    fn verify(&self, token: &str) -> Result<TokenClaims, TokenError> {
        let mut expired = false;
        for key in &self.verification_keys {
            match jsonwebtoken::decode::<Claims>(token, key, &self.validation) {
                Ok(data) => return parse_claims(data.claims),
                // The signature was good under this key: the token is ours but old.
                Err(error) if matches!(error.kind(), ErrorKind::ExpiredSignature) => expired = true,
                Err(_) => {}
            }
        }
        Err(if expired {
            TokenError::Expired
        } else {
            TokenError::Invalid
        })
    }
}

fn parse_claims(claims: Claims) -> Result<TokenClaims, TokenError> {
    Ok(TokenClaims {
        user_id: claims.sub.parse().map_err(|_| TokenError::Invalid)?,
        tenant_id: claims.tenant_id.parse().map_err(|_| TokenError::Invalid)?,
        role: claims
            .role
            .parse::<Role>()
            .map_err(|_| TokenError::Invalid)?,
        session_id: claims.sid.parse().map_err(|_| TokenError::Invalid)?,
        issued_at: claims.iat,
        expires_at: claims.exp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use comanda_domain::{SessionId, TenantId, UserId};

    const CURRENT: &str = "current-secret-current-secret-current";
    const PREVIOUS: &str = "previous-secret-previous-secret-prev";

    fn claims(expires_in: i64) -> TokenClaims {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("time")
            .as_secs() as i64;
        TokenClaims {
            user_id: UserId::generate(),
            tenant_id: TenantId::generate(),
            role: Role::Manager,
            session_id: SessionId::generate(),
            issued_at: now,
            expires_at: now + expires_in,
        }
    }

    fn codec(secrets: &[&str]) -> JwtTokenCodec {
        JwtTokenCodec::new(JwtAlgorithm::Hs256, secrets).expect("codec")
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    #[test]
    fn issued_tokens_verify_with_their_claims() {
        let claims = claims(600);
        let token = codec(&[CURRENT]).issue(&claims).expect("token");
        assert_eq!(codec(&[CURRENT]).verify(&token), Ok(claims));
    }

    #[test]
    fn tokens_of_the_previous_secret_still_verify_and_unknown_ones_do_not() {
        let claims = claims(600);
        let old_token = codec(&[PREVIOUS]).issue(&claims).expect("token");
        assert_eq!(
            codec(&[CURRENT, PREVIOUS]).verify(&old_token),
            Ok(claims.clone())
        );
        assert_eq!(
            codec(&[CURRENT]).verify(&old_token),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn expired_tokens_are_refused() {
        let token = codec(&[CURRENT]).issue(&claims(-60)).expect("token");
        assert_eq!(codec(&[CURRENT]).verify(&token), Err(TokenError::Expired));
    }

    #[test]
    fn tampered_payloads_are_refused() {
        let token = codec(&[CURRENT]).issue(&claims(600)).expect("token");
        let parts: Vec<&str> = token.split('.').collect();
        let mut payload: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(parts[1])
                .expect("payload"),
        )
        .expect("json");
        payload["role"] = "owner".into();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            b64(payload.to_string().as_bytes()),
            parts[2]
        );
        assert_eq!(codec(&[CURRENT]).verify(&forged), Err(TokenError::Invalid));
    }

    #[test]
    fn alg_none_and_other_algorithms_are_refused() {
        let claims = claims(600);
        let token = codec(&[CURRENT]).issue(&claims).expect("token");
        let payload = token.split('.').nth(1).expect("payload");
        let none = format!("{}.{payload}.", b64(br#"{"alg":"none","typ":"JWT"}"#));
        assert_eq!(codec(&[CURRENT]).verify(&none), Err(TokenError::Invalid));

        let hs512 = JwtTokenCodec::new(JwtAlgorithm::Hs512, &[CURRENT]).expect("codec");
        let switched = hs512.issue(&claims).expect("token");
        assert_eq!(
            codec(&[CURRENT]).verify(&switched),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn garbage_is_refused() {
        for token in ["", "abc", "a.b.c", "....."] {
            assert_eq!(
                codec(&[CURRENT]).verify(token),
                Err(TokenError::Invalid),
                "{token}"
            );
        }
    }
}
