//! Spawning the application for a test: its own database, port 0, settings built from
//! environment-style variables through the real configuration code.

use std::collections::{BTreeSet, HashMap};

use actix_web::dev::ServerHandle;
use comanda_api::Application;
use comanda_config::Settings;
use comanda_domain::TenantId;
use comanda_domain::opening_hours::{OpeningHours, TimeRange};
use comanda_domain::store::{Address, DEFAULT_TIME_ZONE, NewStore, Store};
use comanda_domain::tenancy::{Module, SubscriptionStatus, TenantRecord, TenantSlug};
use comanda_ports::{NewTenant, StoreRepository, TenantRepository};
use comanda_postgres::{Database, PgStoreRepository, PgTenantRepository};
use comanda_testkit::TestDatabase;

pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret-0001";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub database: Option<TestDatabase>,
    pub settings: Settings,
    /// The services the server runs on, for driving background work (`dispatcher.run_once()`).
    pub state: comanda_api::state::AppState,
    handle: ServerHandle,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // `stop` sends its command at once; the returned future only waits for completion.
        drop(self.handle.stop(false));
    }
}

fn base_vars(database_url: &str) -> HashMap<String, String> {
    let media_root = std::env::temp_dir().join(format!(
        "comanda-test-media-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let media_root = media_root.to_string_lossy().into_owned();
    [
        ("MEDIA_ROOT", media_root.as_str()),
        // Outside services are never called for real: tests that need them start stubs.
        ("NOMINATIM_BASE_URL", "http://127.0.0.1:1"),
        ("DATABASE_URL", database_url),
        ("DATABASE_POOL_SIZE", "4"),
        ("DATABASE_POOL_TIMEOUT_SECONDS", "2"),
        ("HOST", "127.0.0.1"),
        ("PORT", "0"),
        ("HTTP_WORKERS", "1"),
        ("AUTH_SECRET", TEST_SECRET),
        ("ORDER_TRACKING_SECRET", TEST_SECRET),
        // Tests run the outbox dispatcher and the clean-up themselves, one pass at a time.
        ("BACKGROUND_WORKERS", "false"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The app over a fresh database with default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// The app over a fresh database, with these variables on top of the defaults.
pub async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    let database = TestDatabase::new().await;
    let url = database.url().to_owned();
    spawn_app_on(&url, Some(database), vars).await
}

/// The app over a given database URL (shared, or unreachable on purpose).
pub async fn spawn_app_on(
    database_url: &str,
    database: Option<TestDatabase>,
    vars: &[(&str, &str)],
) -> TestApp {
    let mut all = base_vars(database_url);
    for (key, value) in vars {
        all.insert((*key).to_owned(), (*value).to_owned());
    }
    let settings = Settings::from_vars(&all).expect("test settings are valid");
    let application = Application::build(settings.clone())
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", application.port());
    let handle = application.handle();
    let state = application.state().clone();
    tokio::spawn(application.run_until_stopped());
    TestApp {
        address,
        client: comanda_testkit::http_client(),
        database,
        settings,
        state,
        handle,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_as(&self, tenant_slug: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("X-Tenant", tenant_slug)
            .send()
            .await
            .expect("request sent")
    }

    fn db(&self) -> Database {
        let database = self
            .database
            .as_ref()
            .expect("this app has a database of its own");
        Database::connect(&comanda_api::startup::database_config(&Settings {
            database: comanda_config::DatabaseSettings {
                url: comanda_config::Secret::new(database.url()),
                ..self.settings.database.clone()
            },
            ..self.settings.clone()
        }))
        .expect("pool")
    }

    pub async fn create_tenant(&self, slug: &str, status: SubscriptionStatus) -> TenantRecord {
        PgTenantRepository::new(self.db())
            .create(NewTenant {
                slug: TenantSlug::parse(slug).expect("slug"),
                name: format!("Loja {slug}"),
                subscription_status: status,
                modules: Module::ALL.into_iter().collect::<BTreeSet<_>>(),
                users_limit: 5,
                stores_limit: 5,
            })
            .await
            .expect("tenant created")
    }

    pub async fn create_store(&self, tenant: TenantId, name: &str, hours: OpeningHours) -> Store {
        PgStoreRepository::new(self.db())
            .create(
                tenant,
                new_store(name, hours),
                None,
                &comanda_ports::Actor::system(),
            )
            .await
            .expect("store created")
    }

    pub async fn sql(&self, statement: &str) {
        self.database
            .as_ref()
            .expect("database")
            .client()
            .await
            .batch_execute(statement)
            .await
            .expect("SQL runs");
    }
}

pub fn always_open() -> OpeningHours {
    OpeningHours::every_day(vec![TimeRange::new("00:00", "24:00").expect("range")]).expect("week")
}

pub fn never_open() -> OpeningHours {
    OpeningHours::default()
}

pub fn new_store(name: &str, hours: OpeningHours) -> NewStore {
    NewStore {
        name: name.to_owned(),
        phone: Some("+5511988887777".into()),
        address: Address {
            cep: "01310-100".into(),
            street: "Avenida Paulista".into(),
            number: "1578".into(),
            complement: String::new(),
            district: "Bela Vista".into(),
            city: "São Paulo".into(),
            state: "SP".into(),
        },
        latitude: Some(-23.5614),
        longitude: Some(-46.6559),
        time_zone: DEFAULT_TIME_ZONE,
        opening_hours: hours,
        delivery_enabled: true,
        pickup_enabled: true,
        accepts_preorders: false,
        telegram_chat_id: None,
        free_shipping_above_cents: None,
        hide_unavailable_items: false,
    }
}

pub async fn json(response: reqwest::Response) -> serde_json::Value {
    response.json().await.expect("a JSON body")
}

pub fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
}

/// A unique prefix so tests sharing one Redis never share counters.
pub fn unique_prefix() -> String {
    format!("comanda-test:{}", uuid::Uuid::new_v4().simple())
}

pub const OWNER_PASSWORD: &str = "senha-do-dono-123";

/// A signed-in user of a test tenant.
pub struct Session {
    pub token: String,
    pub tenant: TenantRecord,
    pub email: String,
}

impl TestApp {
    /// A tenant with every module and its owner signed in.
    pub async fn tenant_with_owner(&self, slug: &str) -> Session {
        let tenant = self.create_tenant(slug, SubscriptionStatus::Active).await;
        let email = format!("dono@{slug}.com.br");
        self.create_owner(tenant.id, &email).await;
        let token = self.login(slug, &email, OWNER_PASSWORD).await;
        Session {
            token,
            tenant,
            email,
        }
    }

    /// An owner with `OWNER_PASSWORD`, made as `comanda create-owner` makes one.
    pub async fn create_owner(&self, tenant: TenantId, email: &str) {
        self.state
            .users
            .ensure_owner(
                tenant,
                email,
                OWNER_PASSWORD,
                "Dono",
                &comanda_ports::Actor::system(),
            )
            .await
            .expect("owner created");
    }

    /// Logs in and answers the token (panics unless 200).
    pub async fn login(&self, slug: &str, email: &str, password: &str) -> String {
        let response = self.try_login(slug, email, password).await;
        assert_eq!(response.status(), 200, "login of {email}");
        json(response).await["access_token"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    pub async fn try_login(&self, slug: &str, email: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/auth/login"))
            .header("X-Tenant", slug)
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .expect("sent")
    }

    /// Creates a staff user through the API as `session` and logs them in.
    pub async fn staff(
        &self,
        session: &Session,
        email: &str,
        role: &str,
        group_ids: &[String],
    ) -> String {
        let response = self
            .send(
                session,
                reqwest::Method::POST,
                "/admin/users",
                Some(serde_json::json!({
                    "email": email, "password": "senha-da-equipe", "role": role, "group_ids": group_ids
                })),
            )
            .await;
        assert_eq!(response.status(), 201, "create {email}");
        self.login(session.tenant.slug.as_str(), email, "senha-da-equipe")
            .await
    }

    /// A request with a bearer token and an optional JSON body.
    pub async fn send(
        &self,
        session: &Session,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        self.send_token(&session.token, method, path, body).await
    }

    pub async fn send_token(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("sent")
    }

    /// Inserts a user directly with a given stored hash (users migrated from the original).
    pub async fn insert_user_with_hash(
        &self,
        tenant: TenantId,
        email: &str,
        hash: &str,
        role: &str,
    ) {
        self.database
            .as_ref()
            .expect("database")
            .client()
            .await
            .execute(
                "INSERT INTO users (id, tenant_id, email, password_hash, role) \
                 VALUES ($1::text::uuid, $2::text::uuid, $3, $4, $5)",
                &[
                    &uuid::Uuid::now_v7().to_string(),
                    &tenant.to_string(),
                    &email,
                    &hash,
                    &role,
                ],
            )
            .await
            .expect("insert user");
    }

    pub async fn scalar_i64(&self, query: &str) -> i64 {
        self.database
            .as_ref()
            .expect("database")
            .client()
            .await
            .query_one(query, &[])
            .await
            .expect("query")
            .get(0)
    }

    pub async fn scalar_text(&self, query: &str) -> String {
        self.database
            .as_ref()
            .expect("database")
            .client()
            .await
            .query_one(query, &[])
            .await
            .expect("query")
            .get(0)
    }
}
