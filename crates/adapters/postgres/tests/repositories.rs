//! The repositories against a real PostgreSQL database of their own.

use std::collections::BTreeSet;
use std::time::Duration;

use comanda_domain::opening_hours::{OpeningHours, TimeRange};
use comanda_domain::pagination::PageRequest;
use comanda_domain::store::{Address, DEFAULT_TIME_ZONE, NewStore};
use comanda_domain::tenancy::{Module, SubscriptionStatus, TenantSlug};
use comanda_ports::{
    Actor, DatabaseHealth, NewTenant, RepoError, StoreRepository, TenantRepository,
};
use comanda_postgres::{Database, DatabaseConfig, PgStoreRepository, PgTenantRepository};
use comanda_testkit::TestDatabase;

fn database(url: &str) -> Database {
    Database::connect(&DatabaseConfig {
        url: url.to_owned(),
        pool_size: 4,
        wait_timeout: Duration::from_secs(2),
        statement_timeout: Duration::from_secs(5),
    })
    .expect("pool builds")
}

fn new_tenant(slug: &str, status: SubscriptionStatus) -> NewTenant {
    NewTenant {
        slug: TenantSlug::parse(slug).expect("slug"),
        name: format!("Tenant {slug}"),
        subscription_status: status,
        modules: [Module::Orders, Module::Catalog].into_iter().collect(),
        users_limit: 3,
        stores_limit: 2,
    }
}

fn new_store(name: &str) -> NewStore {
    NewStore {
        name: name.to_owned(),
        phone: None,
        address: Address {
            cep: "01310-100".into(),
            street: "Avenida Paulista".into(),
            number: "1000".into(),
            complement: String::new(),
            district: "Bela Vista".into(),
            city: "São Paulo".into(),
            state: "SP".into(),
        },
        latitude: Some(-23.56),
        longitude: Some(-46.65),
        time_zone: DEFAULT_TIME_ZONE,
        opening_hours: OpeningHours::every_day(vec![
            TimeRange::new("11:00", "15:00").expect("range"),
            TimeRange::new("18:00", "02:00").expect("range"),
        ])
        .expect("week"),
        delivery_enabled: true,
        pickup_enabled: false,
        accepts_preorders: true,
        telegram_chat_id: None,
        free_shipping_above_cents: None,
        hide_unavailable_items: false,
    }
}

#[tokio::test]
async fn tenant_round_trip_by_id_and_slug() {
    let test_db = TestDatabase::new().await;
    let tenants = PgTenantRepository::new(database(test_db.url()));
    let created = tenants
        .create(new_tenant("pizzaria", SubscriptionStatus::Trialing))
        .await
        .expect("created");

    let by_slug = tenants
        .find_by_slug(&TenantSlug::parse("pizzaria").expect("slug"))
        .await
        .expect("query")
        .expect("found");
    let by_id = tenants
        .find_by_id(created.id)
        .await
        .expect("query")
        .expect("found");
    assert_eq!(by_slug, created);
    assert_eq!(by_id, created);
    assert_eq!(
        by_id.enabled_modules,
        [Module::Catalog, Module::Orders]
            .into_iter()
            .collect::<BTreeSet<_>>()
    );
    assert_eq!(by_id.subscription_status, SubscriptionStatus::Trialing);
}

#[tokio::test]
async fn duplicate_slug_is_a_conflict_and_writes_nothing() {
    let test_db = TestDatabase::new().await;
    let tenants = PgTenantRepository::new(database(test_db.url()));
    tenants
        .create(new_tenant("dup", SubscriptionStatus::Active))
        .await
        .expect("first");
    let error = tenants
        .create(new_tenant("dup", SubscriptionStatus::Active))
        .await
        .expect_err("second");
    assert!(
        matches!(error, RepoError::Conflict(ref what) if what == "tenant_slug"),
        "{error:?}"
    );
    let count: i64 = test_db
        .client()
        .await
        .query_one("SELECT count(*) FROM tenant_subscriptions", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(count, 1, "the failed create left no subscription behind");
}

#[tokio::test]
async fn inactive_tenant_is_not_found() {
    let test_db = TestDatabase::new().await;
    let tenants = PgTenantRepository::new(database(test_db.url()));
    let created = tenants
        .create(new_tenant("closed", SubscriptionStatus::Active))
        .await
        .expect("created");
    test_db
        .client()
        .await
        .execute("UPDATE tenants SET is_active = false", &[])
        .await
        .expect("deactivate");
    assert_eq!(tenants.find_by_id(created.id).await.expect("query"), None);
}

#[tokio::test]
async fn stores_are_listed_per_tenant_only() {
    let test_db = TestDatabase::new().await;
    let db = database(test_db.url());
    let tenants = PgTenantRepository::new(db.clone());
    let stores = PgStoreRepository::new(db);
    let mine = tenants
        .create(new_tenant("mine", SubscriptionStatus::Active))
        .await
        .expect("tenant");
    let theirs = tenants
        .create(new_tenant("theirs", SubscriptionStatus::Active))
        .await
        .expect("tenant");
    let created = stores
        .create(mine.id, new_store("Centro"), None, &Actor::system())
        .await
        .expect("store");
    stores
        .create(theirs.id, new_store("Deles"), None, &Actor::system())
        .await
        .expect("store");

    let page = stores
        .list_active(mine.id, PageRequest::default())
        .await
        .expect("list");
    assert_eq!(page.total, 1);
    assert_eq!(page.items, vec![created.clone()]);
    assert_eq!(page.items[0].opening_hours, new_store("x").opening_hours);
}

#[tokio::test]
async fn store_pages_respect_limit_and_offset() {
    let test_db = TestDatabase::new().await;
    let db = database(test_db.url());
    let tenant = PgTenantRepository::new(db.clone())
        .create(new_tenant("paged", SubscriptionStatus::Active))
        .await
        .expect("tenant");
    let stores = PgStoreRepository::new(db);
    for name in ["A", "B", "C"] {
        stores
            .create(tenant.id, new_store(name), None, &Actor::system())
            .await
            .expect("store");
    }
    let page = stores
        .list_active(tenant.id, PageRequest::new(Some(2), Some(1)).expect("page"))
        .await
        .expect("list");
    assert_eq!(page.total, 3);
    let names: Vec<_> = page.items.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["B", "C"]);
}

#[tokio::test]
async fn unreachable_database_is_unavailable() {
    let db = database("postgres://postgres@127.0.0.1:1/nothing");
    let error = db.ping().await.expect_err("nothing listens on port 1");
    assert!(matches!(error, RepoError::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn dropped_database_is_unavailable_for_open_pools() {
    let test_db = TestDatabase::new().await;
    let db = database(test_db.url());
    db.ping().await.expect("up");
    test_db.drop_now().await;
    let error = db.ping().await.expect_err("gone");
    assert!(matches!(error, RepoError::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn migrations_are_idempotent() {
    let test_db = TestDatabase::new().await;
    let applied = comanda_postgres::run_migrations(test_db.url())
        .await
        .expect("migrate");
    assert!(
        applied.is_empty(),
        "the template was already migrated: {applied:?}"
    );
}

#[tokio::test]
async fn ensure_database_creates_a_missing_database_once() {
    let name = format!("comanda_ensure_{}", uuid_suffix());
    let admin = comanda_testkit::admin_database_url();
    let url = format!("{}/{name}", &admin[..admin.rfind('/').expect("slash")]);
    assert!(
        comanda_postgres::ensure_database_exists(&url)
            .await
            .expect("creates")
    );
    assert!(
        !comanda_postgres::ensure_database_exists(&url)
            .await
            .expect("exists")
    );
    let (client, connection) = tokio_postgres_connect(&admin).await;
    client
        .batch_execute(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .await
        .expect("clean up");
    connection.abort();
}

fn uuid_suffix() -> String {
    format!("{}", std::process::id())
        + &format!(
            "{:x}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("time")
                .as_nanos()
        )
}

async fn tokio_postgres_connect(
    url: &str,
) -> (tokio_postgres::Client, tokio::task::JoinHandle<()>) {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    let handle = tokio::spawn(async move {
        let _ = connection.await;
    });
    (client, handle)
}
