//! Wiring, in one place: settings → adapters → services → application state → HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, ResponseError, web};
use anyhow::Context;
use comanda_config::{RateLimitSettings, RoutingApi, Settings, StorageBackend, StorageSettings};
use comanda_crypto::{
    AesGcmSecretBox, Argon2PasswordHasher, HashingGate, HmacSignatureVerifier, HmacTrackingTokens,
    JwtAlgorithm, JwtTokenCodec, RandomOneTimeTokens,
};
use comanda_maps::{GoogleDistanceMatrix, GoogleRoutes, Nominatim, ViaCep};
use comanda_messaging::{
    EndpointPolicy, GraphWhatsAppClient, TelegramBotClient, VapidKeys, WebPushClient,
};
use comanda_pix::StandardPixApi;
use comanda_ports::media::MediaStorage;
use comanda_ports::messaging::PushClient;
use comanda_ports::payments::SecretBox;
use comanda_ports::shipping::DrivingDistance;
use comanda_ports::{
    Clock, DatabaseHealth, OneTimeTokens, PasswordHasher, RateLimitStore, SystemClock,
};
use comanda_postgres::{
    ConnectError, Database, DatabaseConfig, MigrationError, PgAuditRepository, PgBillingRepository,
    PgCampaignRepository, PgCatalogRepository, PgCentralRepository, PgConfigRepository,
    PgCustomerDataRepository, PgCustomerRepository, PgGroupRepository, PgInsightsRepository,
    PgInventoryRepository, PgMediaRepository, PgOnboardingRepository, PgOrderRepository,
    PgOutboxRepository, PgPaymentRepository, PgPlanRepository, PgPushSubscriptionRepository,
    PgSessionRepository, PgShippingRepository, PgSingletonLock, PgStoreRepository,
    PgTenantRepository, PgUserRepository, PgWhatsAppRepository,
};
use comanda_ratelimit::{InMemoryRateLimitStore, RedisRateLimitStore, ResilientRateLimitStore};
use comanda_services::address::AddressService;
use comanda_services::audit::AuditService;
use comanda_services::auth::{AuthPolicy, AuthService, SignupPolicy};
use comanda_services::billing::BillingService;
use comanda_services::campaigns::CampaignService;
use comanda_services::catalog::CatalogService;
use comanda_services::central::CentralService;
use comanda_services::checkout::{CheckoutPorts, CheckoutService};
use comanda_services::config::ConfigService;
use comanda_services::customer_data::CustomerDataService;
use comanda_services::customers::CustomerService;
use comanda_services::groups::GroupService;
use comanda_services::health::HealthService;
use comanda_services::housekeeping::Housekeeping;
use comanda_services::insights::InsightsService;
use comanda_services::inventory::InventoryService;
use comanda_services::media::MediaService;
use comanda_services::messaging::cleanup::MediaCleanup;
use comanda_services::messaging::dispatcher::{
    DispatchLimits, DispatcherPorts, OutboxDispatcher, RetryPolicy,
};
use comanda_services::messaging::push::PushService;
use comanda_services::messaging::whatsapp::WhatsAppService;
use comanda_services::messaging::{Channels, GlobalChannels};
use comanda_services::onboarding::OnboardingService;
use comanda_services::orders::OrderService;
use comanda_services::payments::{AfterPayment, PaymentService};
use comanda_services::seed::{SeedAccounts, SeedOutcome, SeedService};
use comanda_services::shipping::ShippingService;
use comanda_services::stores::StoreService;
use comanda_services::tenancy::TenancyService;
use comanda_services::users::UserService;
use comanda_storage::{ObjectMediaStorage, S3Config};
use utoipa_actix_web::AppExt;

use crate::catalog_cache::CatalogCache;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::middleware;
use crate::order_desk::OrderDesk;
use crate::routes;
use crate::state::AppState;
use crate::workers::Workers;

/// How long a request waits for a password-hashing slot before 503 `busy` (docs/operations.md#fairness-and-saturation).
const PASSWORD_HASHING_PATIENCE: Duration = Duration::from_secs(2);

/// How long in-flight requests get to finish after a stop signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The pool configuration the settings describe.
pub fn database_config(settings: &Settings) -> DatabaseConfig {
    DatabaseConfig {
        url: settings.database.url.expose().to_owned(),
        pool_size: settings.database.pool_size,
        wait_timeout: settings.database.pool_timeout,
        statement_timeout: settings.database.statement_timeout,
    }
}

/// A start-up failure that no retry mends: the configuration must change (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {variable}: {message}")]
pub struct ConfigurationProblem {
    pub variable: &'static str,
    pub message: String,
}

impl ConfigurationProblem {
    /// The configuration problem behind an error, if there is one in its chain.
    pub fn find(error: &anyhow::Error) -> Option<&Self> {
        error.chain().find_map(|cause| cause.downcast_ref::<Self>())
    }
}

/// A connection error naming `DATABASE_URL` when the URL's settings are at fault.
fn database_problem(error: ConnectError) -> anyhow::Error {
    match error {
        ConnectError::Configuration(message) => ConfigurationProblem {
            variable: "DATABASE_URL",
            message,
        }
        .into(),
        ConnectError::Unavailable(message) => {
            anyhow::anyhow!("the database is unavailable: {message}")
        }
    }
}

/// Creates the database when missing (best effort: a managed database may forbid it) and
/// applies pending migrations. Wrong TLS settings stop here, naming `DATABASE_URL`.
pub async fn prepare_database(settings: &Settings) -> anyhow::Result<()> {
    let url = settings.database.url.expose();
    match comanda_postgres::ensure_database_exists(url).await {
        Ok(true) => tracing::info!("database created"),
        Ok(false) => {}
        Err(ConnectError::Configuration(message)) => {
            return Err(database_problem(ConnectError::Configuration(message)));
        }
        Err(error) => {
            tracing::warn!(%error, "could not check or create the database; migrating anyway")
        }
    }
    let applied = match comanda_postgres::run_migrations(url).await {
        Ok(applied) => applied,
        Err(MigrationError::Connect(error)) => return Err(database_problem(error)),
        Err(error) => return Err(error).context("applying migrations"),
    };
    if !applied.is_empty() {
        tracing::info!(?applied, "migrations applied");
    }
    Ok(())
}

/// The pool over the configured database.
pub fn database(settings: &Settings) -> anyhow::Result<Database> {
    Database::connect(&database_config(settings)).map_err(database_problem)
}

/// The seeding service over this database.
pub fn seed_service(settings: &Settings) -> anyhow::Result<SeedService> {
    let database = database(settings)?;
    Ok(SeedService::new(
        Arc::new(PgTenantRepository::new(database.clone())),
        Arc::new(PgStoreRepository::new(database.clone())),
        Arc::new(PgCatalogRepository::new(database.clone())),
        Arc::new(PgShippingRepository::new(database.clone())),
        Arc::new(PgInventoryRepository::new(database.clone())),
        SeedAccounts {
            plans: Arc::new(PgPlanRepository::new(database.clone())),
            tenant_admin: Arc::new(PgCentralRepository::new(database.clone())),
            users: Arc::new(PgUserRepository::new(database)),
            hasher: Arc::new(Argon2PasswordHasher::new().context("preparing password hashing")?),
        },
    ))
}

/// Start-up data: the super-admin tenant when `SUPER_ADMIN_TENANT_SLUG` names one that does
/// not exist yet (docs/api.md#the-central-admin).
pub async fn ensure_startup_data(settings: &Settings) -> anyhow::Result<()> {
    if let Some(slug) = settings.tenancy.super_admin_tenant_slug.clone() {
        let outcome = seed_service(settings)?
            .ensure_super_admin_tenant(slug)
            .await
            .context("creating the super-admin tenant")?;
        if let SeedOutcome::Created(tenant) = outcome {
            tracing::info!(slug = %tenant.slug, "super-admin tenant created");
        }
    }
    Ok(())
}

/// Local disk (served at `/media`) or an S3-compatible bucket.
fn media_storage(settings: &StorageSettings) -> anyhow::Result<Arc<dyn MediaStorage>> {
    let storage = match settings.backend {
        StorageBackend::Local => ObjectMediaStorage::local(&settings.media_root, "/media"),
        StorageBackend::S3 => ObjectMediaStorage::s3(&S3Config {
            bucket: settings.s3_bucket.as_deref().unwrap_or_default(),
            region: &settings.s3_region,
            endpoint: settings
                .s3_endpoint_url
                .as_ref()
                .map(|url| url.as_str().trim_end_matches('/')),
            access_key_id: settings
                .s3_access_key_id
                .as_ref()
                .map(|secret| secret.expose()),
            secret_access_key: settings
                .s3_secret_access_key
                .as_ref()
                .map(|secret| secret.expose()),
            public_base_url: settings.s3_public_base_url.as_ref().map(|url| url.as_str()),
        }),
    };
    Ok(Arc::new(storage.map_err(|error| {
        anyhow::anyhow!("preparing media storage: {error}")
    })?))
}

/// Google's driving distances when a key is configured.
fn google_maps(settings: &Settings) -> anyhow::Result<Option<Arc<dyn DrivingDistance>>> {
    let Some(key) = &settings.maps.google_maps_api_key else {
        return Ok(None);
    };
    let google: Arc<dyn DrivingDistance> = match settings.maps.routing_api {
        RoutingApi::Routes => Arc::new(
            GoogleRoutes::new(settings.maps.google_routes_base_url.clone(), key.expose())
                .map_err(|error| anyhow::anyhow!("preparing the Routes API: {error}"))?,
        ),
        RoutingApi::DistanceMatrix => Arc::new(
            GoogleDistanceMatrix::new(settings.maps.google_maps_base_url.clone(), key.expose())
                .map_err(|error| anyhow::anyhow!("preparing Google Maps: {error}"))?,
        ),
    };
    Ok(Some(google))
}

/// The Web Push client when VAPID keys are configured; a public key that does not belong to the
/// private key stops start-up (browsers would subscribe with the wrong one).
fn web_push(settings: &Settings) -> anyhow::Result<Option<Arc<dyn PushClient>>> {
    let web_push = &settings.web_push;
    let Some(private_key) = &web_push.vapid_private_key else {
        return Ok(None);
    };
    let subject = web_push.subject.clone().unwrap_or_else(|| {
        tracing::warn!(
            "WEB_PUSH_SUBJECT is not set: push services may refuse pushes without a contact"
        );
        "mailto:webpush@comanda.invalid".into()
    });
    let keys = VapidKeys::from_private_key(private_key.expose(), &subject)
        .map_err(|error| anyhow::anyhow!("WEB_PUSH_VAPID_PRIVATE_KEY: {error}"))?;
    if let Some(public_key) = &web_push.vapid_public_key
        && public_key.trim().trim_end_matches('=') != keys.public_key()
    {
        anyhow::bail!(
            "WEB_PUSH_VAPID_PUBLIC_KEY is not the public key of WEB_PUSH_VAPID_PRIVATE_KEY"
        );
    }
    let policy = EndpointPolicy {
        test_hosts: web_push.test_hosts.clone(),
    };
    let client = WebPushClient::new(keys, policy)
        .map_err(|error| anyhow::anyhow!("preparing Web Push: {error}"))?;
    Ok(Some(Arc::new(client)))
}

fn jwt_algorithm(algorithm: comanda_config::JwtAlgorithm) -> JwtAlgorithm {
    match algorithm {
        comanda_config::JwtAlgorithm::Hs256 => JwtAlgorithm::Hs256,
        comanda_config::JwtAlgorithm::Hs384 => JwtAlgorithm::Hs384,
        comanda_config::JwtAlgorithm::Hs512 => JwtAlgorithm::Hs512,
    }
}

async fn build_rate_limits(settings: &RateLimitSettings) -> Option<Arc<dyn RateLimitStore>> {
    if !settings.enabled {
        return None;
    }
    let Some(url) = &settings.redis_url else {
        return Some(Arc::new(InMemoryRateLimitStore::new()));
    };
    match RedisRateLimitStore::connect(url.expose()) {
        Ok(redis) => {
            if !redis.wait_connected(Duration::from_millis(500)).await {
                tracing::warn!(
                    "Redis is not reachable yet: rate limits count in-process until it is"
                );
            }
            Some(Arc::new(ResilientRateLimitStore::new(redis)))
        }
        Err(error) => {
            tracing::warn!(%error, "Redis client could not be built: rate limits count in-process");
            Some(Arc::new(InMemoryRateLimitStore::new()))
        }
    }
}

/// Adapters, then services over them: the one place where the parts meet.
async fn build_state(settings: Arc<Settings>) -> anyhow::Result<AppState> {
    let database = database(&settings)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let tenants = Arc::new(PgTenantRepository::new(database.clone()));
    let users = Arc::new(PgUserRepository::new(database.clone()));
    let groups = Arc::new(PgGroupRepository::new(database.clone()));
    let plans = Arc::new(PgPlanRepository::new(database.clone()));
    let hasher: Arc<dyn PasswordHasher> = Arc::new(
        Argon2PasswordHasher::with_gate(HashingGate::new(
            settings.auth.password_hashing_concurrency,
            PASSWORD_HASHING_PATIENCE,
        ))
        .context("preparing password hashing")?,
    );
    let verification_secrets: Vec<&str> = settings
        .auth
        .verification_secrets
        .iter()
        .map(|secret| secret.expose())
        .collect();
    let tokens = Arc::new(
        JwtTokenCodec::new(
            jwt_algorithm(settings.auth.algorithm),
            &verification_secrets,
        )
        .context("preparing session tokens")?,
    );
    let billing_secrets: Vec<&str> = settings
        .billing
        .webhook_secrets
        .iter()
        .map(|secret| secret.expose())
        .collect();
    let auth_policy = AuthPolicy {
        token_ttl: settings.sessions.access_token_expire,
        session_ttl: settings.sessions.admin_session_expire,
        max_active_sessions: settings.sessions.max_active_sessions,
    };
    let database_health: Arc<dyn DatabaseHealth> = Arc::new(database.clone());
    let one_time_tokens: Arc<dyn OneTimeTokens> = Arc::new(RandomOneTimeTokens);
    let stores = StoreService::new(
        Arc::new(PgStoreRepository::new(database.clone())),
        clock.clone(),
    );
    let catalog = CatalogService::new(
        Arc::new(PgCatalogRepository::new(database.clone())),
        stores.clone(),
        clock.clone(),
    );
    let media_storage = media_storage(&settings.storage)?;
    let media_records = Arc::new(PgMediaRepository::new(database.clone()));
    let catalog_repository = Arc::new(PgCatalogRepository::new(database.clone()));
    let order_repository = Arc::new(PgOrderRepository::new(database.clone()));
    let config_repository = Arc::new(PgConfigRepository::new(database.clone()));
    let campaign_repository = Arc::new(PgCampaignRepository::new(database.clone()));
    let tracking = Arc::new(HmacTrackingTokens::new(
        settings.order_tracking_secret.expose(),
    ));
    let media = MediaService::new(
        media_storage.clone(),
        media_records.clone(),
        catalog.clone(),
        stores.clone(),
    );
    let shipping = ShippingService::new(
        Arc::new(PgShippingRepository::new(database.clone())),
        stores.clone(),
        google_maps(&settings)?,
        Arc::new(
            Nominatim::new(
                settings.maps.nominatim_base_url.clone(),
                settings.maps.nominatim_contact.as_deref(),
                settings.maps.nominatim_requests_per_second,
            )
            .map_err(|error| anyhow::anyhow!("preparing Nominatim: {error}"))?,
        ),
        clock.clone(),
    );
    let tenant_admin = Arc::new(PgCentralRepository::new(database.clone()));
    let conversations = Arc::new(PgWhatsAppRepository::new(database.clone()));
    let outbox = Arc::new(PgOutboxRepository::new(database.clone()));
    let subscriptions = Arc::new(PgPushSubscriptionRepository::new(database.clone()));
    let secret =
        |value: &Option<comanda_config::Secret>| value.as_ref().map(|s| s.expose().to_owned());
    let channels = Channels::new(
        tenants.clone(),
        tenant_admin.clone(),
        conversations.clone(),
        GlobalChannels {
            whatsapp_phone_number_id: settings.whatsapp.phone_number_id.clone(),
            whatsapp_access_token: secret(&settings.whatsapp.access_token),
            whatsapp_verify_token: secret(&settings.whatsapp.verify_token),
            telegram_bot_token: secret(&settings.telegram.bot_token),
            legacy_tenant: settings.tenancy.legacy_tenant_slug.clone(),
        },
    );
    let push_client = web_push(&settings)?;
    let app_secrets: Vec<&str> = settings
        .whatsapp
        .app_secret
        .iter()
        .map(|secret| secret.expose())
        .collect();
    let onboarding = OnboardingService::new(
        Arc::new(PgOnboardingRepository::new(database.clone())),
        channels.clone(),
    );
    let whatsapp = WhatsAppService::new(
        conversations.clone(),
        outbox.clone(),
        tenants.clone(),
        media_storage.clone(),
        Arc::new(HmacSignatureVerifier::new(&app_secrets)),
        channels.clone(),
        clock.clone(),
    );
    let housekeeping = Housekeeping::new(
        outbox.clone(),
        order_repository.clone(),
        clock.clone(),
        settings.workers.outbox_retention_days,
    );
    let payments = PaymentService::new(
        Arc::new(PgPaymentRepository::new(database.clone())),
        AfterPayment {
            orders: order_repository.clone(),
            config: config_repository.clone(),
        },
        Arc::new(StandardPixApi::new()),
        payment_secrets(&settings)?,
        clock.clone(),
        settings.payments.pix_expiry,
    );
    let dispatcher = OutboxDispatcher::new(
        DispatcherPorts {
            outbox,
            orders: order_repository.clone(),
            stores: Arc::new(PgStoreRepository::new(database.clone())),
            configs: config_repository.clone(),
            conversations: conversations.clone(),
            subscriptions: subscriptions.clone(),
            whatsapp: Arc::new(
                GraphWhatsAppClient::new(settings.whatsapp.api_base_url.clone())
                    .map_err(|error| anyhow::anyhow!("preparing WhatsApp: {error}"))?,
            ),
            telegram: Arc::new(
                TelegramBotClient::new(settings.telegram.api_base_url.clone())
                    .map_err(|error| anyhow::anyhow!("preparing Telegram: {error}"))?,
            ),
            push: push_client.clone(),
            storage: media_storage.clone(),
            tracking: tracking.clone(),
            clock: clock.clone(),
            payments: Some(payments.clone()),
        },
        channels,
        RetryPolicy {
            max_attempts: settings.workers.outbox_max_attempts,
            base_delay: settings.workers.outbox_retry_base,
            max_delay: settings.workers.outbox_retry_max,
        },
        DispatchLimits {
            batch_size: settings.workers.outbox_batch_size,
            concurrency: settings.workers.outbox_concurrency,
            job_timeout: settings.workers.outbox_job_timeout,
        },
    );
    let media_cleanup = MediaCleanup::new(
        conversations,
        media_storage.clone(),
        media_records.clone(),
        Arc::new(PgSingletonLock::new(database.clone())),
        clock.clone(),
        settings.whatsapp.media_retention_days,
    );
    let inventory_repository = Arc::new(PgInventoryRepository::new(database.clone()));
    let checkout = CheckoutService::new(
        stores.clone(),
        shipping.clone(),
        CheckoutPorts {
            catalog: catalog_repository,
            campaigns: campaign_repository.clone(),
            orders: order_repository.clone(),
            config: config_repository.clone(),
            inventory: inventory_repository.clone(),
            tracking: tracking.clone(),
            clock: clock.clone(),
            payments: payments.clone(),
        },
    );
    let metrics = Metrics::new().context("registering metrics")?;
    let address = AddressService::new(
        Arc::new(
            ViaCep::new(settings.maps.cep_lookup_base_url.clone())
                .map_err(|error| anyhow::anyhow!("preparing the CEP lookup: {error}"))?,
        ),
        clock.clone(),
    );
    Ok(AppState {
        address,
        payments,
        catalog_cache: CatalogCache::default(),
        whatsapp,
        onboarding,
        push: PushService::new(subscriptions, push_client),
        dispatcher,
        media_cleanup,
        housekeeping,
        checkout,
        desk: OrderDesk::new(
            OrderService::new(order_repository.clone(), tracking.clone()),
            metrics.order_desks(),
        ),
        orders: OrderService::new(order_repository, tracking),
        customers: CustomerService::new(Arc::new(PgCustomerRepository::new(database.clone()))),
        customer_data: CustomerDataService::new(
            Arc::new(PgCustomerDataRepository::new(database.clone())),
            media_storage.clone(),
            media_records.clone(),
        ),
        campaigns: CampaignService::new(campaign_repository, media_storage, media_records),
        inventory: InventoryService::new(inventory_repository),
        config: ConfigService::new(config_repository),
        insights: InsightsService::new(
            Arc::new(PgInsightsRepository::new(database.clone())),
            clock.clone(),
        ),
        tenancy: TenancyService::new(tenants.clone(), settings.tenancy.legacy_tenant_slug.clone()),
        catalog,
        media,
        shipping,
        serves_media: settings.storage.backend == StorageBackend::Local,
        stores,
        health: HealthService::new(database_health.clone()),
        auth: AuthService::new(
            users.clone(),
            Arc::new(PgSessionRepository::new(database.clone())),
            tenants,
            hasher.clone(),
            tokens,
            one_time_tokens.clone(),
            clock.clone(),
            auth_policy,
            SignupPolicy {
                open_signup: settings.auth.allow_open_signup,
                bootstrap_tenant: settings.tenancy.super_admin_tenant_slug.clone(),
            },
        ),
        users: UserService::new(users, groups.clone(), hasher.clone()),
        groups: GroupService::new(groups),
        audit: AuditService::new(Arc::new(PgAuditRepository::new(database.clone()))),
        central: CentralService::new(tenant_admin, plans.clone(), one_time_tokens, clock),
        billing: BillingService::new(
            Arc::new(PgBillingRepository::new(database)),
            plans,
            hasher,
            Arc::new(HmacSignatureVerifier::new(&billing_secrets)),
        ),
        database: database_health,
        rate_limits: build_rate_limits(&settings.rate_limit).await,
        metrics,
        settings,
    })
}

/// The box that seals PIX providers' secrets, when `PAYMENT_SECRETS_KEY` is set.
fn payment_secrets(settings: &Settings) -> anyhow::Result<Option<Arc<dyn SecretBox>>> {
    let Some(key) = &settings.payments.secrets_key else {
        return Ok(None);
    };
    let secrets = AesGcmSecretBox::from_config(key.expose())
        .map_err(|error| anyhow::anyhow!("PAYMENT_SECRETS_KEY: {error}"))?;
    Ok(Some(Arc::new(secrets)))
}

/// The running HTTP server and what tests need to reach it.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    /// `None` when `BACKGROUND_WORKERS` is off.
    workers: Option<Workers>,
}

impl Application {
    /// Builds everything and binds `HOST:PORT` (port 0 picks a free port). Does not touch the
    /// database: the server starts, and `/health` says 503, while it is down.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let settings = Arc::new(settings);
        let state = build_state(settings.clone()).await?;
        // One listening connection per instance feeds every desk it serves.
        state.desk.start(
            comanda_postgres::listen(
                settings.database.url.expose(),
                crate::order_desk::EVENT_CHANNEL,
            )
            .map_err(|error| anyhow::anyhow!("listening for order events: {error}"))?,
        );

        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
            .with_context(|| {
                format!("binding {}:{}", settings.server.host, settings.server.port)
            })?;
        let port = listener.local_addr()?.port();
        let data = web::Data::new(state.clone());
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::QueryConfig::default().error_handler(|error, _| {
                    ApiError::validation(vec![crate::error::FieldError {
                        field: "query".into(),
                        message: error.to_string(),
                    }])
                    .into()
                }))
                .app_data(
                    web::PathConfig::default()
                        .error_handler(|_, _| ApiError::not_found("Not found").into()),
                )
                .app_data(
                    web::JsonConfig::default()
                        .limit(crate::extract::JSON_BODY_LIMIT)
                        .error_handler(|error, _| {
                            let status = error.status_code();
                            crate::error::canonical_error(status).into()
                        }),
                )
                .into_utoipa_app()
                .configure(routes::register)
                .into_app()
                .configure(routes::register_unlisted)
                .default_service(web::to(routes::not_found))
                // Outermost last: trusted host, CORS, security headers, request log, rate limit.
                .wrap(from_fn(middleware::error_shape))
                .wrap(from_fn(middleware::rate_limit))
                .wrap(from_fn(middleware::request_log))
                .wrap(from_fn(middleware::security_headers))
                .wrap(from_fn(middleware::cors))
                .wrap(from_fn(middleware::trusted_host))
        })
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs());
        if let Some(workers) = settings.server.workers {
            server = server.workers(workers);
        }
        let server = server.listen(listener)?.run();
        let workers = settings
            .workers
            .enabled
            .then(|| Workers::start(&state, &settings.workers));
        Ok(Self {
            port,
            server,
            state,
            workers,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting, lets in-flight requests finish (graceful) when asked.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until a stop signal (SIGINT, SIGTERM) or `handle().stop(..)`, then stops the
    /// background workers once their passes in progress finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        // Order desks stream forever: on a stop signal they are ended (they reconnect to
        // another instance with their `Last-Event-ID`) so the graceful stop need not wait.
        let desk = self.state.desk.clone();
        let closer = tokio::spawn(async move {
            stop_signal().await;
            desk.close_all();
        });
        let served = self.server.await;
        closer.abort();
        if let Some(workers) = self.workers {
            workers.shutdown().await;
        }
        served
    }
}

/// SIGINT or SIGTERM (the signals the server stops on).
async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut terminate) => {
                    terminate.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = interrupt => {}
            () = terminate => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
