//! Argon2id for new hashes; passlib `bcrypt_sha256` (v2) and plain bcrypt for users migrated
//! from the original system, upgraded on their next login.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use base64::Engine;
use comanda_ports::{CryptoError, PasswordCheck, PasswordHasher};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// OWASP's Argon2id parameters: 19 MiB, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

#[derive(Clone)]
pub struct Argon2PasswordHasher {
    /// A hash of a random password, verified against for unknown e-mails.
    decoy_hash: String,
    gate: HashingGate,
}

/// At most `permits` hash computations at once (19 MiB each); a caller that waited `patience`
/// is refused as busy rather than queued without bound (docs/operations.md#fairness-and-saturation).
#[derive(Clone)]
pub struct HashingGate {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    patience: std::time::Duration,
}

impl HashingGate {
    pub fn new(concurrency: usize, patience: std::time::Duration) -> Self {
        Self {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency.max(1))),
            patience,
        }
    }

    /// Runs `work` on the blocking pool once a permit is free.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, CryptoError> {
        let permit = tokio::time::timeout(self.patience, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| CryptoError::Busy)?
            .map_err(|error| CryptoError::Failed(error.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|error| CryptoError::Failed(error.to_string()))
    }
}

impl Default for HashingGate {
    fn default() -> Self {
        Self::new(
            std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            std::time::Duration::from_secs(2),
        )
    }
}

fn argon2() -> Result<Argon2<'static>, CryptoError> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .map_err(|error| CryptoError::Failed(error.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_now(password: &str) -> Result<String, CryptoError> {
    argon2()?
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|error| CryptoError::Failed(error.to_string()))
}

impl Argon2PasswordHasher {
    pub fn new() -> Result<Self, CryptoError> {
        Self::with_gate(HashingGate::default())
    }

    pub fn with_gate(gate: HashingGate) -> Result<Self, CryptoError> {
        Ok(Self {
            decoy_hash: hash_now(&uuid::Uuid::new_v4().to_string())?,
            gate,
        })
    }
}

/// Verifies against any scheme we know; unknown formats never match.
fn verify_now(password: &str, stored: &str) -> PasswordCheck {
    let no = PasswordCheck {
        matches: false,
        needs_rehash: false,
    };
    if stored.starts_with("$argon2") {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return no;
        };
        let Ok(hasher) = argon2() else {
            return no;
        };
        let matches = hasher.verify_password(password.as_bytes(), &parsed).is_ok();
        let current = stored.starts_with("$argon2id$")
            && stored.contains(&format!("m={MEMORY_KIB},t={ITERATIONS},p={PARALLELISM}"));
        return PasswordCheck {
            matches,
            needs_rehash: matches && !current,
        };
    }
    if let Some(rest) = stored.strip_prefix("$bcrypt-sha256$") {
        let matches = verify_bcrypt_sha256(password, rest).unwrap_or(false);
        return PasswordCheck {
            matches,
            needs_rehash: matches,
        };
    }
    if stored.starts_with("$2b$") || stored.starts_with("$2a$") || stored.starts_with("$2y$") {
        let matches = bcrypt::verify(password, stored).unwrap_or(false);
        return PasswordCheck {
            matches,
            needs_rehash: matches,
        };
    }
    no
}

/// passlib's `bcrypt_sha256` v2: `v=2,t=2b,r=<cost>$<salt>$<digest>`. The bcrypt input is the
/// standard base64 of HMAC-SHA256 keyed with the salt as written, over the password.
fn verify_bcrypt_sha256(password: &str, rest: &str) -> Option<bool> {
    let mut parts = rest.split('$');
    let settings = parts.next()?;
    let salt = parts.next()?;
    let digest = parts.next()?;
    if parts.next().is_some() || salt.len() != 22 || digest.len() != 31 {
        return None;
    }
    let mut version = None;
    let mut variant = None;
    let mut rounds = None;
    for setting in settings.split(',') {
        match setting.split_once('=')? {
            ("v", value) => version = Some(value),
            ("t", value) => variant = Some(value),
            ("r", value) => rounds = value.parse::<u32>().ok(),
            _ => return None,
        }
    }
    if version? != "2" || !matches!(variant?, "2b" | "2a") {
        return None;
    }
    let rounds = rounds.filter(|r| (4..=31).contains(r))?;
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(salt.as_bytes()).ok()?;
    mac.update(password.as_bytes());
    let key = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    bcrypt::verify(key, &format!("$2b${rounds:02}${salt}{digest}")).ok()
}

#[async_trait]
impl PasswordHasher for Argon2PasswordHasher {
    async fn hash(&self, password: &str) -> Result<String, CryptoError> {
        let password = password.to_owned();
        self.gate.run(move || hash_now(&password)).await?
    }

    async fn verify(
        &self,
        password: &str,
        stored_hash: &str,
    ) -> Result<PasswordCheck, CryptoError> {
        let password = password.to_owned();
        let stored = stored_hash.to_owned();
        self.gate.run(move || verify_now(&password, &stored)).await
    }

    async fn burn_verification(&self, password: &str) -> Result<(), CryptoError> {
        self.verify(password, &self.decoy_hash).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_caller_that_waited_past_its_patience_is_refused_as_busy() {
        let gate = HashingGate::new(1, std::time::Duration::from_millis(50));
        let held = gate
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("the only permit");
        let refused = gate.run(|| 1).await;
        assert!(matches!(refused, Err(CryptoError::Busy)), "{refused:?}");
        drop(held);
        assert_eq!(gate.run(|| 2).await.expect("a free permit"), 2);
    }

    #[tokio::test]
    async fn no_more_than_the_permits_run_at_once() {
        let gate = HashingGate::new(2, std::time::Duration::from_secs(10));
        let running = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (gate, running, most) = (gate.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    gate.run(move || {
                        use std::sync::atomic::Ordering::SeqCst;
                        let now = running.fetch_add(1, SeqCst) + 1;
                        most.fetch_max(now, SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, SeqCst);
                    })
                    .await
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("joined").expect("ran");
        }
        assert_eq!(most.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    // The libpass test vectors of docs/api.md#signing-in.
    const PASSWORD_VECTOR: &str =
        "$bcrypt-sha256$v=2,t=2b,r=5$5Hg1DKFqPE8C2aflZ5vVoe$wOK1VFFtS8IGTrGa7.h5fs0u84qyPbS";
    const EMPTY_VECTOR: &str =
        "$bcrypt-sha256$v=2,t=2b,r=5$E/e/2AOhqM5W/KJTFQzLce$WFPIZKtDDTriqWwlmRFfHiOTeheAZWe";

    #[test]
    fn passlib_bcrypt_sha256_vectors_verify_and_ask_for_an_upgrade() {
        assert_eq!(
            verify_now("password", PASSWORD_VECTOR),
            PasswordCheck {
                matches: true,
                needs_rehash: true
            }
        );
        assert!(verify_now("", EMPTY_VECTOR).matches);
    }

    #[test]
    fn wrong_passwords_do_not_verify_against_the_vectors() {
        assert!(!verify_now("Password", PASSWORD_VECTOR).matches);
        assert!(!verify_now("password ", PASSWORD_VECTOR).matches);
        assert!(!verify_now("x", EMPTY_VECTOR).matches);
    }

    #[test]
    fn tampered_or_unknown_hashes_never_verify() {
        let tampered = PASSWORD_VECTOR.replace("wOK1", "wOK2");
        assert!(!verify_now("password", &tampered).matches);
        assert!(
            !verify_now(
                "password",
                "$bcrypt-sha256$v=1,t=2b,r=5$5Hg1DKFqPE8C2aflZ5vVoe$wOK1VFFtS8IGTrGa7.h5fs0u84qyPbS"
            )
            .matches
        );
        assert!(!verify_now("password", "plaintext-password").matches);
        assert!(!verify_now("password", "").matches);
        assert!(!verify_now("password", "$argon2id$garbage").matches);
    }

    #[test]
    fn plain_bcrypt_verifies_and_asks_for_an_upgrade() {
        let stored = bcrypt::hash("s3nha-antiga", 4).expect("bcrypt");
        assert_eq!(
            verify_now("s3nha-antiga", &stored),
            PasswordCheck {
                matches: true,
                needs_rehash: true
            }
        );
        assert!(!verify_now("s3nha-errada", &stored).matches);
    }

    #[test]
    fn new_hashes_are_owasp_argon2id_and_need_no_upgrade() {
        let stored = hash_now("correct horse battery").expect("hash");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert_eq!(
            verify_now("correct horse battery", &stored),
            PasswordCheck {
                matches: true,
                needs_rehash: false
            }
        );
        assert!(!verify_now("correct horse", &stored).matches);
    }

    #[test]
    fn weaker_argon2_parameters_ask_for_an_upgrade() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8, 1, 1, None).expect("params"),
        )
        .hash_password(b"segredo123")
        .expect("hash")
        .to_string();
        assert_eq!(
            verify_now("segredo123", &weak),
            PasswordCheck {
                matches: true,
                needs_rehash: true
            }
        );
    }
}
