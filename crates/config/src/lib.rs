//! Settings (README.md#configuration): every environment variable of the original system, parsed and validated
//! once at start-up. Each problem is one line; secrets cannot be printed.

mod ip_range;
mod secret;

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use comanda_domain::tenancy::TenantSlug;
use url::Url;

pub use ip_range::IpRange;
pub use secret::Secret;

/// Secrets that sign or verify something must be at least this long.
pub const MIN_SECRET_LEN: usize = 32;

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub sessions: SessionSettings,
    pub billing: BillingSettings,
    pub order_tracking_secret: Secret,
    pub http: HttpSettings,
    pub rate_limit: RateLimitSettings,
    pub storage: StorageSettings,
    pub whatsapp: WhatsAppSettings,
    pub telegram: TelegramSettings,
    pub web_push: WebPushSettings,
    pub maps: MapsSettings,
    pub payments: PaymentSettings,
    pub tenancy: TenancySettings,
    pub server: ServerSettings,
    pub otel_exporter_otlp_endpoint: Option<Url>,
    pub workers: WorkerSettings,
    /// Values that were missing and generated for this run only (names, never values).
    pub generated_secrets: Vec<&'static str>,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: Secret,
    pub pool_size: usize,
    /// How long a request waits for a free connection before 503.
    pub pool_timeout: Duration,
    /// `statement_timeout` set on every new connection.
    pub statement_timeout: Duration,
}

/// HMAC algorithms for the session tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlgorithm {
    Hs256,
    Hs384,
    Hs512,
}

impl JwtAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::Hs384 => "HS384",
            Self::Hs512 => "HS512",
        }
    }
}

#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Signs new tokens.
    pub secret: Secret,
    /// Every key a token may be verified with: the current one first, then older ones.
    pub verification_secrets: Vec<Secret>,
    pub algorithm: JwtAlgorithm,
    /// `PASSWORD_HASHING_CONCURRENCY`: Argon2/bcrypt computations at once (default: CPU cores).
    pub password_hashing_concurrency: usize,
    /// `ALLOW_OPEN_SIGNUP`: the first user of a userless tenant may sign up without an invite
    /// (the original's behaviour, for moving over).
    pub allow_open_signup: bool,
}

#[derive(Debug, Clone)]
pub struct SessionSettings {
    pub access_token_expire: Duration,
    pub admin_session_expire: Duration,
    pub max_active_sessions: u32,
}

#[derive(Debug, Clone)]
pub struct BillingSettings {
    /// Every accepted webhook secret; empty means the webhooks refuse everything.
    pub webhook_secrets: Vec<Secret>,
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub cors_allowed_origins: Vec<String>,
    /// `None`: any `Host` is accepted.
    pub trusted_hosts: Option<Vec<String>>,
    /// Peers whose `X-Forwarded-For` is believed: addresses or CIDR ranges.
    pub trusted_proxies: Vec<IpRange>,
    /// `METRICS_TOKEN`: when set, `/metrics` needs `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret>,
}

#[derive(Debug, Clone)]
pub struct RateLimitSettings {
    pub enabled: bool,
    pub redis_url: Option<Secret>,
    pub key_prefix: String,
    pub per_ip_per_minute: u32,
    pub login_per_minute: u32,
    pub checkout_per_minute: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageBackend {
    Local,
    S3,
}

#[derive(Debug, Clone)]
pub struct StorageSettings {
    pub backend: StorageBackend,
    pub media_root: PathBuf,
    pub s3_bucket: Option<String>,
    pub s3_region: String,
    pub s3_endpoint_url: Option<Url>,
    pub s3_access_key_id: Option<Secret>,
    pub s3_secret_access_key: Option<Secret>,
    pub s3_public_base_url: Option<Url>,
}

#[derive(Debug, Clone)]
pub struct WhatsAppSettings {
    pub verify_token: Option<Secret>,
    pub app_secret: Option<Secret>,
    pub access_token: Option<Secret>,
    pub phone_number_id: Option<String>,
    pub api_base_url: Url,
    pub media_retention_days: u32,
}

/// The background work started with the server: the outbox dispatcher and the media clean-up.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// `BACKGROUND_WORKERS` (default on); off runs an API-only instance.
    pub enabled: bool,
    /// `OUTBOX_MAX_ATTEMPTS`: tries before a notification is dead.
    pub outbox_max_attempts: i32,
    /// `OUTBOX_RETRY_BASE_SECONDS`: the first retry's wait, doubled after each failure.
    pub outbox_retry_base: Duration,
    /// `OUTBOX_RETRY_MAX_SECONDS`: the longest wait between tries.
    pub outbox_retry_max: Duration,
    /// `OUTBOX_POLL_MS`: how often an idle dispatcher looks for due jobs.
    pub outbox_poll_interval: Duration,
    /// `OUTBOX_BATCH_SIZE`: jobs claimed at once.
    pub outbox_batch_size: i64,
    /// `OUTBOX_CONCURRENCY`: jobs of a batch sent at the same time.
    pub outbox_concurrency: usize,
    /// `OUTBOX_JOB_TIMEOUT_SECONDS`: the most one job may take; then it is retried later.
    pub outbox_job_timeout: Duration,
    /// `OUTBOX_RETENTION_DAYS`: sent and skipped jobs are deleted after this long.
    pub outbox_retention_days: u32,
    /// `WHATSAPP_MEDIA_CLEANUP_INTERVAL_SECONDS`.
    pub media_cleanup_interval: Duration,
}

#[derive(Debug, Clone)]
pub struct TelegramSettings {
    pub bot_token: Option<Secret>,
    pub api_base_url: Url,
}

#[derive(Debug, Clone)]
pub struct WebPushSettings {
    pub vapid_public_key: Option<String>,
    pub vapid_private_key: Option<Secret>,
    pub subject: Option<String>,
    /// `WEB_PUSH_TEST_HOSTS`: `host` or `host:port` push endpoints allowed despite the SSRF
    /// checks (local push stubs in tests); empty in production.
    pub test_hosts: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct MapsSettings {
    pub google_maps_api_key: Option<Secret>,
    pub google_maps_base_url: Url,
    /// `GOOGLE_MAPS_ROUTING_API`: `routes` (default; the Routes API) or `distance_matrix` (the
    /// legacy API, for keys that still have it).
    pub routing_api: RoutingApi,
    /// `GOOGLE_ROUTES_BASE_URL` (default `https://routes.googleapis.com`).
    pub google_routes_base_url: Url,
    pub nominatim_base_url: Url,
    /// `NOMINATIM_CONTACT`: the e-mail in our `User-Agent`, as Nominatim's policy asks.
    pub nominatim_contact: Option<String>,
    /// `NOMINATIM_REQUESTS_PER_SECOND`: 1 for the public server whatever is set; a self-hosted
    /// one may allow more (default 1).
    pub nominatim_requests_per_second: u32,
    /// `CEP_LOOKUP_BASE_URL` (default ViaCEP, `https://viacep.com.br/ws`).
    pub cep_lookup_base_url: Url,
}

/// Which Google API gives driving distances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoutingApi {
    Routes,
    DistanceMatrix,
}

/// Online payment with PIX (docs/payments.md).
#[derive(Debug, Clone)]
pub struct PaymentSettings {
    /// `PAYMENT_SECRETS_KEY`: 32 bytes (64 hex digits or base64) that seal the PIX providers'
    /// secrets at rest; without it only static PIX keys can be set up.
    pub secrets_key: Option<Secret>,
    /// `PIX_EXPIRY_MINUTES` (default 15): an order unpaid for this long is cancelled.
    pub pix_expiry: Duration,
}

#[derive(Debug, Clone)]
pub struct TenancySettings {
    pub legacy_tenant_slug: Option<TenantSlug>,
    pub super_admin_tenant_slug: Option<TenantSlug>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// HTTP worker threads; `None` means one per CPU core.
    pub workers: Option<usize>,
    pub log_format: LogFormat,
    pub rust_log: String,
}

/// One thing wrong with the environment, printed as one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub variable: &'static str,
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.message)
    }
}

/// Everything wrong with the environment, one problem per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, problem) in self.problems.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "invalid configuration: {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/comanda";

/// What to do when `AUTH_SECRET` or `ORDER_TRACKING_SECRET` is missing (docs/deployment.md#production-checklist).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingSecrets {
    /// A deployment: refuse to start, naming each one (the default).
    Refuse,
    /// Development (`--dev`), or a tool that signs nothing: a random value for this run only.
    RandomForThisRun,
}

impl Settings {
    /// Reads the process environment. The only place Comanda reads it.
    pub fn from_env(missing_secrets: MissingSecrets) -> Result<Self, ConfigError> {
        let vars: HashMap<String, String> = std::env::vars().collect();
        Self::from_vars_with(&vars, missing_secrets)
    }

    /// Builds settings from a map of variables (the environment, or a test's), as a deployment
    /// would: the signing secrets must be set.
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Self::from_vars_with(vars, MissingSecrets::Refuse)
    }

    pub fn from_vars_with(
        vars: &HashMap<String, String>,
        missing_secrets: MissingSecrets,
    ) -> Result<Self, ConfigError> {
        let mut reader = Reader {
            vars,
            missing_secrets,
            problems: Vec::new(),
            generated: Vec::new(),
        };
        let settings = reader.read();
        if reader.problems.is_empty() {
            Ok(settings)
        } else {
            Err(ConfigError {
                problems: reader.problems,
            })
        }
    }
}

struct Reader<'a> {
    vars: &'a HashMap<String, String>,
    missing_secrets: MissingSecrets,
    problems: Vec<ConfigProblem>,
    generated: Vec<&'static str>,
}

impl Reader<'_> {
    fn read(&mut self) -> Settings {
        let database = DatabaseSettings {
            url: Secret::new(
                self.url("DATABASE_URL", &["postgres", "postgresql"])
                    .map_or_else(|| DEFAULT_DATABASE_URL.to_owned(), |url| url.to_string()),
            ),
            pool_size: self.number("DATABASE_POOL_SIZE", 10, 2, 1000),
            pool_timeout: Duration::from_secs(self.number(
                "DATABASE_POOL_TIMEOUT_SECONDS",
                5,
                1,
                300,
            )),
            statement_timeout: Duration::from_millis(self.number(
                "DATABASE_STATEMENT_TIMEOUT_MS",
                15_000,
                100,
                3_600_000,
            )),
        };

        let auth_secret = self.required_secret_or_generated("AUTH_SECRET");
        let mut verification_secrets = vec![auth_secret.clone()];
        verification_secrets.extend(self.secret("AUTH_SECRET_PREVIOUS"));
        verification_secrets.extend(self.secret_list("AUTH_SECRETS"));
        let algorithm = match self.text("AUTH_ALGORITHM").as_deref() {
            None | Some("HS256") => JwtAlgorithm::Hs256,
            Some("HS384") => JwtAlgorithm::Hs384,
            Some("HS512") => JwtAlgorithm::Hs512,
            Some(other) => {
                self.problem(
                    "AUTH_ALGORITHM",
                    format!("unknown algorithm `{other}` (use HS256, HS384 or HS512)"),
                );
                JwtAlgorithm::Hs256
            }
        };
        let auth = AuthSettings {
            secret: auth_secret,
            verification_secrets,
            algorithm,
            password_hashing_concurrency: self.number(
                "PASSWORD_HASHING_CONCURRENCY",
                std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
                1,
                1024,
            ),
            allow_open_signup: self.flag("ALLOW_OPEN_SIGNUP", false),
        };

        let sessions = SessionSettings {
            access_token_expire: Duration::from_secs(
                60 * self.number("ACCESS_TOKEN_EXPIRE_MINUTES", 60, 1, 525_600),
            ),
            admin_session_expire: Duration::from_secs(
                60 * self.number("ADMIN_SESSION_EXPIRE_MINUTES", 720, 1, 525_600),
            ),
            max_active_sessions: self.number("MAX_ACTIVE_SESSIONS", 5, 1, 1000),
        };

        let mut webhook_secrets: Vec<Secret> =
            self.secret("BILLING_WEBHOOK_SECRET").into_iter().collect();
        webhook_secrets.extend(self.secret_list("BILLING_WEBHOOK_SECRETS"));
        let billing = BillingSettings { webhook_secrets };

        let order_tracking_secret = self.required_secret_or_generated("ORDER_TRACKING_SECRET");

        let http = HttpSettings {
            cors_allowed_origins: self.origins("CORS_ALLOWED_ORIGINS"),
            trusted_hosts: self.list("TRUSTED_HOSTS").map(|hosts| {
                hosts
                    .into_iter()
                    .map(|host| host.to_ascii_lowercase())
                    .collect()
            }),
            trusted_proxies: self.ip_list("TRUSTED_PROXIES"),
            metrics_token: self.text("METRICS_TOKEN").map(Secret::new),
        };

        let redis_url = self
            .url("RATE_LIMIT_REDIS_URL", &["redis", "rediss"])
            .or_else(|| self.url("REDIS_URL", &["redis", "rediss"]))
            .map(|url| Secret::new(url.to_string()));
        let rate_limit = RateLimitSettings {
            enabled: self.flag("RATE_LIMIT_ENABLED", true),
            redis_url,
            key_prefix: self
                .text("RATE_LIMIT_KEY_PREFIX")
                .unwrap_or_else(|| "comanda:rl".into()),
            per_ip_per_minute: self.number("RATE_LIMIT_PER_MINUTE", 300, 1, 1_000_000),
            login_per_minute: self.number("RATE_LIMIT_LOGIN_PER_MINUTE", 10, 1, 1_000_000),
            checkout_per_minute: self.number("RATE_LIMIT_CHECKOUT_PER_MINUTE", 30, 1, 1_000_000),
        };

        let backend = match self.text("STORAGE_BACKEND").as_deref() {
            None | Some("local") => StorageBackend::Local,
            Some("s3") => StorageBackend::S3,
            Some(other) => {
                self.problem(
                    "STORAGE_BACKEND",
                    format!("unknown backend `{other}` (use local or s3)"),
                );
                StorageBackend::Local
            }
        };
        let s3_bucket = self.text("S3_BUCKET");
        if backend == StorageBackend::S3 && s3_bucket.is_none() {
            self.problem("S3_BUCKET", "is required when STORAGE_BACKEND=s3".into());
        }
        let storage = StorageSettings {
            backend,
            media_root: PathBuf::from(self.text("MEDIA_ROOT").unwrap_or_else(|| "./media".into())),
            s3_bucket,
            s3_region: self.text("S3_REGION").unwrap_or_else(|| "us-east-1".into()),
            s3_endpoint_url: self.url("S3_ENDPOINT_URL", &["http", "https"]),
            s3_access_key_id: self.text("S3_ACCESS_KEY_ID").map(Secret::new),
            s3_secret_access_key: self.text("S3_SECRET_ACCESS_KEY").map(Secret::new),
            s3_public_base_url: self.url("S3_PUBLIC_BASE_URL", &["http", "https"]),
        };

        let whatsapp = WhatsAppSettings {
            verify_token: self.text("WHATSAPP_VERIFY_TOKEN").map(Secret::new),
            app_secret: self.secret("WHATSAPP_APP_SECRET"),
            access_token: self.text("WHATSAPP_ACCESS_TOKEN").map(Secret::new),
            phone_number_id: self.text("WHATSAPP_PHONE_NUMBER_ID"),
            api_base_url: self.url_or("WHATSAPP_API_BASE_URL", "https://graph.facebook.com/v21.0"),
            media_retention_days: self.number("WHATSAPP_MEDIA_RETENTION_DAYS", 90, 1, 3650),
        };

        let telegram = TelegramSettings {
            bot_token: self.text("TELEGRAM_BOT_TOKEN").map(Secret::new),
            api_base_url: self.url_or("TELEGRAM_API_BASE_URL", "https://api.telegram.org"),
        };

        let subject = self.text("WEB_PUSH_SUBJECT");
        if let Some(subject) = &subject
            && !(subject.starts_with("mailto:") || subject.starts_with("https://"))
        {
            self.problem("WEB_PUSH_SUBJECT", "must be a mailto: or https: URL".into());
        }
        let web_push = WebPushSettings {
            vapid_public_key: self.text("WEB_PUSH_VAPID_PUBLIC_KEY"),
            vapid_private_key: self.text("WEB_PUSH_VAPID_PRIVATE_KEY").map(Secret::new),
            subject,
            test_hosts: self
                .list("WEB_PUSH_TEST_HOSTS")
                .unwrap_or_default()
                .into_iter()
                .map(|host| host.to_ascii_lowercase())
                .collect(),
        };

        let workers = WorkerSettings {
            enabled: self.flag("BACKGROUND_WORKERS", true),
            outbox_max_attempts: self.number("OUTBOX_MAX_ATTEMPTS", 8, 1, 100),
            outbox_retry_base: Duration::from_secs(self.number(
                "OUTBOX_RETRY_BASE_SECONDS",
                30,
                0,
                86_400,
            )),
            outbox_retry_max: Duration::from_secs(self.number(
                "OUTBOX_RETRY_MAX_SECONDS",
                3600,
                0,
                7 * 86_400,
            )),
            outbox_poll_interval: Duration::from_millis(self.number(
                "OUTBOX_POLL_MS",
                1000,
                10,
                60_000,
            )),
            outbox_batch_size: self.number("OUTBOX_BATCH_SIZE", 20, 1, 1000),
            outbox_concurrency: self.number("OUTBOX_CONCURRENCY", 8, 1, 256),
            outbox_job_timeout: Duration::from_secs(self.number(
                "OUTBOX_JOB_TIMEOUT_SECONDS",
                15,
                1,
                240,
            )),
            outbox_retention_days: self.number("OUTBOX_RETENTION_DAYS", 30, 1, 3650),
            media_cleanup_interval: Duration::from_secs(self.number(
                "WHATSAPP_MEDIA_CLEANUP_INTERVAL_SECONDS",
                3600,
                1,
                7 * 86_400,
            )),
        };

        let maps = MapsSettings {
            google_maps_api_key: self.text("GOOGLE_MAPS_API_KEY").map(Secret::new),
            google_maps_base_url: self
                .url_or("GOOGLE_MAPS_BASE_URL", "https://maps.googleapis.com"),
            routing_api: match self.text("GOOGLE_MAPS_ROUTING_API").as_deref() {
                // A deployment that points GOOGLE_MAPS_BASE_URL somewhere (and not the Routes
                // API's) set up the Distance Matrix: it keeps it unless it says otherwise.
                None if self.text("GOOGLE_MAPS_BASE_URL").is_some()
                    && self.text("GOOGLE_ROUTES_BASE_URL").is_none() =>
                {
                    RoutingApi::DistanceMatrix
                }
                None | Some("routes") => RoutingApi::Routes,
                Some("distance_matrix") => RoutingApi::DistanceMatrix,
                Some(other) => {
                    self.problem(
                        "GOOGLE_MAPS_ROUTING_API",
                        format!("unknown API `{other}` (use routes or distance_matrix)"),
                    );
                    RoutingApi::Routes
                }
            },
            google_routes_base_url: self
                .url_or("GOOGLE_ROUTES_BASE_URL", "https://routes.googleapis.com"),
            nominatim_base_url: self
                .url_or("NOMINATIM_BASE_URL", "https://nominatim.openstreetmap.org"),
            nominatim_contact: self.text("NOMINATIM_CONTACT"),
            nominatim_requests_per_second: self.number("NOMINATIM_REQUESTS_PER_SECOND", 1, 1, 1000),
            cep_lookup_base_url: self.url_or("CEP_LOOKUP_BASE_URL", "https://viacep.com.br/ws"),
        };

        let payments = PaymentSettings {
            secrets_key: self.text("PAYMENT_SECRETS_KEY").map(Secret::new),
            pix_expiry: Duration::from_secs(
                60 * self.number::<u64>("PIX_EXPIRY_MINUTES", 15, 1, 24 * 60),
            ),
        };

        let tenancy = TenancySettings {
            legacy_tenant_slug: self.slug("LEGACY_TENANT_SLUG"),
            super_admin_tenant_slug: self.slug("SUPER_ADMIN_TENANT_SLUG"),
        };

        let log_format = match self.text("LOG_FORMAT").as_deref() {
            None | Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(other) => {
                self.problem(
                    "LOG_FORMAT",
                    format!("unknown format `{other}` (use json or pretty)"),
                );
                LogFormat::Json
            }
        };
        let server = ServerSettings {
            host: self.text("HOST").unwrap_or_else(|| "0.0.0.0".into()),
            port: self.number("PORT", 8080, 0, u16::MAX),
            workers: self
                .text("HTTP_WORKERS")
                .map(|_| self.number("HTTP_WORKERS", 1, 1, 256)),
            log_format,
            rust_log: self.text("RUST_LOG").unwrap_or_else(|| "info".into()),
        };

        let otel_exporter_otlp_endpoint =
            self.url("OTEL_EXPORTER_OTLP_ENDPOINT", &["http", "https"]);

        Settings {
            database,
            auth,
            sessions,
            billing,
            order_tracking_secret,
            http,
            rate_limit,
            storage,
            whatsapp,
            telegram,
            web_push,
            maps,
            payments,
            tenancy,
            server,
            otel_exporter_otlp_endpoint,
            workers,
            generated_secrets: std::mem::take(&mut self.generated),
        }
    }

    fn problem(&mut self, variable: &'static str, message: String) {
        self.problems.push(ConfigProblem { variable, message });
    }

    /// A non-blank value, trimmed.
    fn text(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    }

    fn list(&self, name: &str) -> Option<Vec<String>> {
        self.text(name).map(|raw| {
            raw.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(str::to_owned)
                .collect()
        })
    }

    fn number<T>(&mut self, name: &'static str, default: T, min: T, max: T) -> T
    where
        T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
    {
        let Some(raw) = self.text(name) else {
            return default;
        };
        match raw.parse::<T>() {
            Ok(value) if value >= min && value <= max => value,
            _ => {
                self.problem(
                    name,
                    format!("`{raw}` is not a whole number from {min} to {max}"),
                );
                default
            }
        }
    }

    fn flag(&mut self, name: &'static str, default: bool) -> bool {
        match self
            .text(name)
            .map(|raw| raw.to_ascii_lowercase())
            .as_deref()
        {
            None => default,
            Some("1" | "true" | "yes" | "on") => true,
            Some("0" | "false" | "no" | "off") => false,
            Some(other) => {
                self.problem(name, format!("`{other}` is not true or false"));
                default
            }
        }
    }

    fn url(&mut self, name: &'static str, schemes: &[&str]) -> Option<Url> {
        let raw = self.text(name)?;
        match Url::parse(&raw) {
            Ok(url) if schemes.contains(&url.scheme()) && url.has_host() => Some(url),
            // The value may hold a password: never echo it.
            _ => {
                self.problem(
                    name,
                    format!("is not a valid URL (expected {})", schemes.join(" or ")),
                );
                None
            }
        }
    }

    fn url_or(&mut self, name: &'static str, default: &str) -> Url {
        self.url(name, &["http", "https"])
            .or_else(|| Url::parse(default).ok())
            .unwrap_or_else(|| Url::parse("http://invalid.invalid").expect("static URL parses"))
    }

    fn secret(&mut self, name: &'static str) -> Option<Secret> {
        let value = self.text(name)?;
        if value.chars().count() < MIN_SECRET_LEN {
            self.problem(
                name,
                format!("must be at least {MIN_SECRET_LEN} characters"),
            );
            return None;
        }
        Some(Secret::new(value))
    }

    fn secret_list(&mut self, name: &'static str) -> Vec<Secret> {
        let Some(values) = self.list(name) else {
            return Vec::new();
        };
        let short = values
            .iter()
            .filter(|v| v.chars().count() < MIN_SECRET_LEN)
            .count();
        if short > 0 {
            self.problem(
                name,
                format!("{short} of its keys are shorter than {MIN_SECRET_LEN} characters"),
            );
        }
        values
            .into_iter()
            .filter(|v| v.chars().count() >= MIN_SECRET_LEN)
            .map(Secret::new)
            .collect()
    }

    /// A secret that must exist. When unset, a deployment refuses to start; development gets a
    /// random one for this run only (tokens signed with it die with the process).
    fn required_secret_or_generated(&mut self, name: &'static str) -> Secret {
        if let Some(secret) = self.secret(name) {
            return secret;
        }
        if self.text(name).is_none() {
            match self.missing_secrets {
                MissingSecrets::Refuse => self.problem(
                    name,
                    format!(
                        "is not set: it must be the same on every instance and across restarts \
                         (at least {MIN_SECRET_LEN} characters; `--dev` uses a random one for a \
                         local try)"
                    ),
                ),
                MissingSecrets::RandomForThisRun => self.generated.push(name),
            }
        }
        Secret::random()
    }

    fn origins(&mut self, name: &'static str) -> Vec<String> {
        let Some(values) = self.list(name) else {
            return vec![
                "http://localhost:3000".into(),
                "http://localhost:5173".into(),
            ];
        };
        let mut origins = Vec::new();
        for value in values {
            if value == "*" {
                self.problem(
                    name,
                    "`*` cannot be used with credentials: list the origins".into(),
                );
                continue;
            }
            match Url::parse(&value) {
                Ok(url)
                    if matches!(url.scheme(), "http" | "https")
                        && url.has_host()
                        && url.path() == "/" =>
                {
                    origins.push(url.origin().ascii_serialization());
                }
                _ => self.problem(
                    name,
                    format!("`{value}` is not an origin like https://shop.example.com"),
                ),
            }
        }
        origins
    }

    fn ip_list(&mut self, name: &'static str) -> Vec<IpRange> {
        let mut ranges = Vec::new();
        for value in self.list(name).unwrap_or_default() {
            match value.parse::<IpRange>() {
                Ok(range) => ranges.push(range),
                Err(()) => self.problem(
                    name,
                    format!("`{value}` is not an IP address or CIDR range"),
                ),
            }
        }
        ranges
    }

    fn slug(&mut self, name: &'static str) -> Option<TenantSlug> {
        let raw = self.text(name)?;
        match TenantSlug::parse(&raw) {
            Ok(slug) => Some(slug),
            Err(error) => {
                self.problem(name, format!("`{raw}`: {error}"));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD_SECRET: &str = "0123456789abcdef0123456789abcdef";

    /// Exactly these variables.
    fn raw_vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// These variables over a deployment's required secrets.
    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let mut all = raw_vars(&[
            ("AUTH_SECRET", GOOD_SECRET),
            ("ORDER_TRACKING_SECRET", GOOD_SECRET),
        ]);
        all.extend(raw_vars(pairs));
        all
    }

    fn problems(pairs: &[(&str, &str)]) -> Vec<String> {
        Settings::from_vars(&vars(pairs))
            .expect_err("should be refused")
            .problems
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_deployment_without_signing_secrets_is_refused_naming_each() {
        let refused = |pairs: &[(&str, &str)]| -> Vec<String> {
            Settings::from_vars(&raw_vars(pairs))
                .expect_err("should be refused")
                .problems
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        let lines = refused(&[]);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].starts_with("AUTH_SECRET: is not set"), "{lines:?}");
        assert!(lines[1].starts_with("ORDER_TRACKING_SECRET: is not set"));
        assert_eq!(
            refused(&[("AUTH_SECRET", GOOD_SECRET)]),
            vec![lines[1].clone()]
        );
    }

    #[test]
    fn empty_environment_gives_local_defaults_in_development() {
        let settings = Settings::from_vars_with(&HashMap::new(), MissingSecrets::RandomForThisRun)
            .expect("defaults are valid");
        assert_eq!(settings.database.url.expose(), DEFAULT_DATABASE_URL);
        assert_eq!(settings.server.port, 8080);
        assert_eq!(settings.auth.algorithm, JwtAlgorithm::Hs256);
        assert_eq!(settings.storage.backend, StorageBackend::Local);
        assert_eq!(settings.sessions.max_active_sessions, 5);
        assert!(!settings.auth.allow_open_signup);
        assert!(settings.http.trusted_hosts.is_none());
        assert!(settings.rate_limit.redis_url.is_none());
        assert_eq!(
            settings.generated_secrets,
            vec!["AUTH_SECRET", "ORDER_TRACKING_SECRET"]
        );
        assert!(settings.auth.secret.expose().len() >= MIN_SECRET_LEN);
    }

    #[test]
    fn short_secrets_are_refused_one_line_each() {
        let lines = problems(&[
            ("AUTH_SECRET", "short"),
            ("BILLING_WEBHOOK_SECRET", "also-short"),
            ("ORDER_TRACKING_SECRET", "tiny"),
            ("WHATSAPP_APP_SECRET", "nope"),
        ]);
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("AUTH_SECRET: must be at least 32"))
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("BILLING_WEBHOOK_SECRET:"))
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("ORDER_TRACKING_SECRET:"))
        );
        assert!(lines.iter().any(|l| l.starts_with("WHATSAPP_APP_SECRET:")));
    }

    #[test]
    fn a_short_key_in_a_secret_list_is_refused() {
        let lines = problems(&[("AUTH_SECRETS", &format!("{GOOD_SECRET},short"))]);
        assert_eq!(
            lines,
            vec!["AUTH_SECRETS: 1 of its keys are shorter than 32 characters"]
        );
    }

    #[test]
    fn unknown_algorithm_is_refused() {
        let lines = problems(&[("AUTH_ALGORITHM", "none")]);
        assert_eq!(
            lines,
            vec!["AUTH_ALGORITHM: unknown algorithm `none` (use HS256, HS384 or HS512)"]
        );
        assert_eq!(problems(&[("AUTH_ALGORITHM", "RS256")]).len(), 1);
    }

    #[test]
    fn malformed_urls_are_refused_without_echoing_them() {
        let lines = problems(&[
            ("DATABASE_URL", "mysql://user:hunter2@db/x"),
            ("GOOGLE_MAPS_BASE_URL", "not a url"),
            ("REDIS_URL", "http://cache"),
        ]);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines.iter().all(|line| !line.contains("hunter2")));
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("DATABASE_URL: is not a valid URL"))
        );
    }

    #[test]
    fn s3_backend_needs_a_bucket() {
        assert_eq!(
            problems(&[("STORAGE_BACKEND", "s3")]),
            vec!["S3_BUCKET: is required when STORAGE_BACKEND=s3"]
        );
        let settings =
            Settings::from_vars(&vars(&[("STORAGE_BACKEND", "s3"), ("S3_BUCKET", "media")]))
                .expect("valid");
        assert_eq!(settings.storage.backend, StorageBackend::S3);
    }

    #[test]
    fn all_problems_are_reported_together() {
        let error = Settings::from_vars(&vars(&[
            ("PORT", "eighty"),
            ("LOG_FORMAT", "xml"),
            ("STORAGE_BACKEND", "ftp"),
            ("LEGACY_TENANT_SLUG", "Bad Slug"),
            ("CORS_ALLOWED_ORIGINS", "*"),
        ]))
        .expect_err("refused");
        assert_eq!(error.problems.len(), 5, "{error}");
        assert_eq!(error.to_string().lines().count(), 5);
    }

    #[test]
    fn secret_lists_and_previous_secret_are_all_accepted_for_verification() {
        let previous = "previous-secret-previous-secret-previous";
        let other = "other-key-other-key-other-key-other-key";
        let settings = Settings::from_vars(&vars(&[
            ("AUTH_SECRET", GOOD_SECRET),
            ("AUTH_SECRET_PREVIOUS", previous),
            ("AUTH_SECRETS", &format!(" {other} , ")),
        ]))
        .expect("valid");
        let keys: Vec<&str> = settings
            .auth
            .verification_secrets
            .iter()
            .map(Secret::expose)
            .collect();
        assert_eq!(keys, vec![GOOD_SECRET, previous, other]);
        assert!(settings.generated_secrets.is_empty());
    }

    #[test]
    fn redis_url_prefers_the_rate_limit_variable() {
        let settings = Settings::from_vars(&vars(&[
            ("RATE_LIMIT_REDIS_URL", "redis://127.0.0.1:6379/1"),
            ("REDIS_URL", "redis://127.0.0.1:6379/2"),
        ]))
        .expect("valid");
        assert_eq!(
            settings.rate_limit.redis_url.as_ref().map(Secret::expose),
            Some("redis://127.0.0.1:6379/1")
        );
    }

    #[test]
    fn origins_and_hosts_are_normalized() {
        let settings = Settings::from_vars(&vars(&[
            (
                "CORS_ALLOWED_ORIGINS",
                "https://Loja.Example.com, http://localhost:3000",
            ),
            ("TRUSTED_HOSTS", "API.example.com,*.example.com"),
        ]))
        .expect("valid");
        assert_eq!(
            settings.http.cors_allowed_origins,
            vec!["https://loja.example.com", "http://localhost:3000"]
        );
        assert_eq!(
            settings.http.trusted_hosts,
            Some(vec![
                "api.example.com".to_owned(),
                "*.example.com".to_owned()
            ])
        );
    }

    #[test]
    fn settings_debug_output_never_shows_secrets() {
        let settings = Settings::from_vars(&vars(&[
            ("AUTH_SECRET", GOOD_SECRET),
            (
                "DATABASE_URL",
                "postgres://app:hunter2hunter2@db:5432/comanda",
            ),
            ("GOOGLE_MAPS_API_KEY", "AIzaSyMapsKeyMapsKey"),
        ]))
        .expect("valid");
        let printed = format!("{settings:?}");
        assert!(!printed.contains(GOOD_SECRET));
        assert!(!printed.contains("hunter2"));
        assert!(!printed.contains("AIzaSyMapsKey"));
    }
}
