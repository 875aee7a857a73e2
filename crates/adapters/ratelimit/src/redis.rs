use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use comanda_ports::{RateLimitDecision, RateLimitError, RateLimitPolicy, RateLimitStore};
use fred::prelude::*;

use crate::gcra::{emission_interval_us, micros, window_us};
use crate::memory::InMemoryRateLimitStore;

/// The GCRA step run atomically in Redis with Redis's own clock, so every instance agrees.
/// Times are integer microseconds (exact in Lua's doubles). Answers
/// {allowed, remaining, reset_us, retry_us}.
const GCRA_SCRIPT: &str = r"
local window = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - window
if now < allow_at then
  return {0, 0, tat - now, allow_at - now}
end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return {1, math.floor((window - (new_tat - now)) / interval), new_tat - now, 0}
";

/// How long a request may wait on Redis before the in-process fallback answers.
const COMMAND_TIMEOUT: Duration = Duration::from_millis(250);

/// Rate-limit state in Redis, shared by every instance.
pub struct RedisRateLimitStore {
    client: Client,
}

impl RedisRateLimitStore {
    /// Starts connecting in the background and returns at once: an unreachable Redis must not
    /// stop the server from starting. Reconnects every second while down.
    /// `rediss://` connects over TLS, checking the server's certificate against the system's
    /// roots (`SSL_CERT_FILE` or `SSL_CERT_DIR` add a private CA, as OpenSSL's tools do).
    pub fn connect(url: &str) -> Result<Self, RateLimitError> {
        let (plain_url, tls) = match url.strip_prefix("rediss://") {
            Some(rest) => (format!("redis://{rest}"), true),
            None => (url.to_owned(), false),
        };
        let mut config =
            Config::from_url(&plain_url).map_err(|e| RateLimitError::Unavailable(e.to_string()))?;
        if tls {
            config.tls = Some(tls_config()?);
        }
        let client = Builder::from_config(config)
            .with_connection_config(|connection| {
                connection.connection_timeout = Duration::from_secs(1);
                connection.max_command_attempts = 1;
            })
            .with_performance_config(|performance| {
                performance.default_command_timeout = COMMAND_TIMEOUT;
            })
            .set_policy(ReconnectPolicy::new_constant(0, 1000))
            .build()
            .map_err(|e| RateLimitError::Unavailable(e.to_string()))?;
        // The connection task runs until the client quits; its result only matters for logs.
        let _connection_task = client.connect();
        Ok(Self { client })
    }

    pub fn is_connected(&self) -> bool {
        self.client.is_connected()
    }

    /// Waits up to `timeout` for the first connection (used at start-up to log the state).
    pub async fn wait_connected(&self, timeout: Duration) -> bool {
        tokio::time::timeout(timeout, self.client.wait_for_connect())
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

/// rustls with the ring provider and the system's roots (an unreadable system certificate is
/// skipped, not fatal).
fn tls_config() -> Result<fred::types::config::TlsConfig, RateLimitError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if roots.is_empty() {
        return Err(RateLimitError::Unavailable(
            "rediss:// needs root certificates: none found (set SSL_CERT_FILE)".into(),
        ));
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| RateLimitError::Unavailable(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(fred::types::config::TlsConnector::from(config).into())
}

#[async_trait]
impl RateLimitStore for RedisRateLimitStore {
    async fn check(
        &self,
        key: &str,
        policy: &RateLimitPolicy,
    ) -> Result<RateLimitDecision, RateLimitError> {
        if !self.client.is_connected() {
            return Err(RateLimitError::Unavailable("not connected".into()));
        }
        let window = window_us(policy);
        let interval = emission_interval_us(policy);
        let reply: Vec<i64> = self
            .client
            .eval(
                GCRA_SCRIPT,
                vec![key.to_owned()],
                vec![window.to_string(), interval.to_string()],
            )
            .await
            .map_err(|e| RateLimitError::Unavailable(e.to_string()))?;
        let [allowed, remaining, reset_us, retry_us] = reply[..] else {
            return Err(RateLimitError::Unavailable(format!(
                "unexpected script reply {reply:?}"
            )));
        };
        Ok(RateLimitDecision {
            allowed: allowed == 1,
            remaining: u32::try_from(remaining).unwrap_or(0),
            reset_after: micros(reset_us),
            retry_after: micros(retry_us),
        })
    }
}

/// Redis when it answers, this process's memory when it does not: the API keeps serving and
/// the switch is logged once each way.
pub struct ResilientRateLimitStore {
    redis: RedisRateLimitStore,
    fallback: InMemoryRateLimitStore,
    degraded: AtomicBool,
}

impl ResilientRateLimitStore {
    pub fn new(redis: RedisRateLimitStore) -> Self {
        Self {
            redis,
            fallback: InMemoryRateLimitStore::new(),
            degraded: AtomicBool::new(false),
        }
    }

    pub fn redis(&self) -> &RedisRateLimitStore {
        &self.redis
    }
}

#[async_trait]
impl RateLimitStore for ResilientRateLimitStore {
    async fn check(
        &self,
        key: &str,
        policy: &RateLimitPolicy,
    ) -> Result<RateLimitDecision, RateLimitError> {
        match self.redis.check(key, policy).await {
            Ok(decision) => {
                if self.degraded.swap(false, Ordering::Relaxed) {
                    tracing::info!("rate limiting is back on Redis");
                }
                Ok(decision)
            }
            Err(error) => {
                if !self.degraded.swap(true, Ordering::Relaxed) {
                    tracing::warn!(%error, "Redis unreachable: rate limiting falls back to in-process counting");
                }
                Ok(self.fallback.check_now(key, policy))
            }
        }
    }
}
