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

mod imports {
    //! The bulk import leaves exactly what the row-by-row import it replaced left: the same
    //! counts and rows for files that repeat keys, change some rows, meet rows already there
    //! and differ only in case. `snapshots/imports.txt` was written by the row-by-row import
    //! (`UPDATE_SNAPSHOTS=1` rewrites it).

    use std::fmt::Write as _;

    use chrono::{TimeZone, Utc};
    use comanda_domain::orders::{Fulfillment, OrderStatus, PaymentMethod};
    use comanda_domain::phone::Phone;
    use comanda_domain::{StoreId, TenantId};
    use comanda_ports::imports::{
        CustomerRow, ImportRepository, OrderItemRow, OrderRow, ProductRow,
    };
    use comanda_ports::{Actor, StoreRepository, TenantRepository};
    use comanda_postgres::{PgImportRepository, PgStoreRepository, PgTenantRepository};
    use comanda_testkit::TestDatabase;

    use super::{database, new_store, new_tenant};
    use comanda_domain::tenancy::SubscriptionStatus;

    fn customer(
        line: u64,
        name: &str,
        phone: &str,
        email: Option<&str>,
        notes: &str,
    ) -> CustomerRow {
        CustomerRow {
            line,
            name: name.into(),
            phone: Phone::parse(phone).expect("phone"),
            email: email.map(str::to_owned),
            notes: notes.into(),
        }
    }

    fn product(
        line: u64,
        category: &str,
        name: &str,
        price_cents: i64,
        active: bool,
    ) -> ProductRow {
        ProductRow {
            line,
            category: category.into(),
            name: name.into(),
            description: format!("{name} da casa"),
            price_cents,
            is_active: active,
            track_stock: price_cents > 3000,
            pizza: None,
        }
    }

    fn order(
        line: u64,
        number: i64,
        store: StoreId,
        name: &str,
        phone: &str,
        items: &[(&str, i32, i64)],
    ) -> OrderRow {
        OrderRow {
            line,
            number,
            created_at: Utc
                .with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
                .single()
                .expect("time")
                + chrono::Duration::minutes(number),
            store_id: store,
            customer_name: name.into(),
            customer_phone: Phone::parse(phone).expect("phone"),
            status: if number % 3 == 0 {
                OrderStatus::Canceled
            } else {
                OrderStatus::Delivered
            },
            fulfillment: if number % 2 == 0 {
                Fulfillment::Pickup
            } else {
                Fulfillment::Delivery
            },
            payment_method: if number % 2 == 0 {
                PaymentMethod::Pix
            } else {
                PaymentMethod::Cash
            },
            items: items
                .iter()
                .map(|(name, quantity, price)| OrderItemRow {
                    product_name: (*name).into(),
                    quantity: *quantity,
                    unit_price_cents: *price,
                })
                .collect(),
            shipping_fee_cents: 500 * (number % 2),
            discount_cents: if number == 4 { 99_999 } else { 100 },
        }
    }

    /// Every row the imports wrote, without generated ids and clocks, in a stable order.
    async fn state(db: &TestDatabase, tenant: TenantId) -> String {
        let client = db.client().await;
        let queries: &[(&str, &str)] = &[
            (
                "customers",
                "SELECT name, phone, coalesce(email, '-'), notes, (created_at = updated_at)::text FROM customers WHERE tenant_id = $1::text::uuid ORDER BY phone",
            ),
            (
                "categories",
                "SELECT name, position::text, is_active::text FROM categories WHERE tenant_id = $1::text::uuid ORDER BY name",
            ),
            (
                "products",
                "SELECT c.name, p.name, p.description, p.price_cents::text, p.is_active::text, p.track_stock::text, (p.created_at = p.updated_at)::text FROM products p JOIN categories c ON c.tenant_id = p.tenant_id AND c.id = p.category_id WHERE p.tenant_id = $1::text::uuid ORDER BY c.name, p.name",
            ),
            (
                "orders",
                "SELECT o.number::text, c.phone, c.name, o.status, o.fulfillment, o.subtotal_cents::text, o.discount_cents::text, o.shipping_fee_cents::text, o.total_cents::text, o.created_at::text, o.updated_at::text, coalesce(o.customer_name, '-') FROM orders o JOIN customers c ON c.tenant_id = o.tenant_id AND c.id = o.customer_id WHERE o.tenant_id = $1::text::uuid ORDER BY o.number",
            ),
            (
                "items",
                "SELECT o.number::text, i.position::text, i.product_name, coalesce(i.product_id::text, '-'), i.quantity::text, i.unit_price_cents::text, i.line_total_cents::text FROM order_items i JOIN orders o ON o.tenant_id = i.tenant_id AND o.id = i.order_id WHERE i.tenant_id = $1::text::uuid ORDER BY o.number, i.position",
            ),
            (
                "payments",
                "SELECT o.number::text, p.method, p.status, p.amount_cents::text FROM order_payments p JOIN orders o ON o.tenant_id = p.tenant_id AND o.id = p.order_id WHERE p.tenant_id = $1::text::uuid ORDER BY o.number",
            ),
            (
                "history",
                "SELECT o.number::text, coalesce(h.from_status, '-'), h.to_status, coalesce(h.reason, '-'), h.created_at::text FROM order_status_history h JOIN orders o ON o.tenant_id = h.tenant_id AND o.id = h.order_id WHERE h.tenant_id = $1::text::uuid ORDER BY o.number, h.created_at",
            ),
            (
                "counter",
                "SELECT last_number::text FROM tenant_order_counters WHERE tenant_id = $1::text::uuid",
            ),
            (
                "audit",
                "SELECT action, after::text FROM audit_log WHERE tenant_id = $1::text::uuid AND action LIKE 'import.%' ORDER BY created_at, id",
            ),
            (
                "elsewhere",
                "SELECT (SELECT count(*) FROM order_deliveries WHERE tenant_id = $1::text::uuid)::text, (SELECT count(*) FROM stock_movements WHERE tenant_id = $1::text::uuid)::text, (SELECT count(*) FROM outbox WHERE tenant_id = $1::text::uuid)::text",
            ),
        ];
        let mut out = String::new();
        for (name, query) in queries {
            writeln!(out, "## {name}").expect("write");
            for row in client
                .query(*query, &[&tenant.to_string()])
                .await
                .expect(name)
            {
                let cells: Vec<String> = (0..row.len()).map(|i| row.get::<_, String>(i)).collect();
                writeln!(out, "{}", cells.join(" | ")).expect("write");
            }
        }
        out
    }

    #[tokio::test]
    async fn bulk_imports_leave_what_the_row_by_row_import_left() {
        assert_imports_match_the_snapshot(None).await;
    }

    /// Two rows per statement: what the file's earlier chunks wrote is met like earlier rows.
    #[tokio::test]
    async fn bulk_imports_in_small_chunks_leave_the_same() {
        assert_imports_match_the_snapshot(Some(2)).await;
    }

    async fn assert_imports_match_the_snapshot(chunk: Option<usize>) {
        let db = TestDatabase::new().await;
        let pool = database(db.url());
        let tenant = PgTenantRepository::new(pool.clone())
            .create(new_tenant("importa", SubscriptionStatus::Active))
            .await
            .expect("tenant")
            .id;
        let store = PgStoreRepository::new(pool.clone())
            .create(tenant, new_store("Centro"), None, &Actor::system())
            .await
            .expect("store")
            .id;
        let imports = match chunk {
            Some(rows) => PgImportRepository::with_chunk(pool, rows),
            None => PgImportRepository::new(pool),
        };
        let actor = Actor::system();
        let quiet = |_: usize| {};
        let mut report = String::new();

        let first_customers = [
            customer(2, "Ana", "11987650001", Some("ana@exemplo.com"), ""),
            customer(3, "Bruno", "11987650002", None, "portão azul"),
            customer(
                4,
                "Ana Maria",
                "(11) 98765-0001",
                Some("ana@exemplo.com"),
                "",
            ),
            customer(5, "Carla", "11987650003", None, ""),
        ];
        let second_customers = [
            customer(2, "Bruno", "11987650002", None, "portão azul"),
            customer(3, "Carla", "11987650003", Some("carla@exemplo.com"), ""),
            customer(4, "Davi", "11987650004", None, ""),
            customer(5, "Davi", "11987650004", None, ""),
            customer(6, "Davi Souza", "11987650004", None, "apto 12"),
        ];
        for rows in [&first_customers[..], &second_customers[..]] {
            let counts = imports
                .customers(tenant, rows, &actor, &quiet)
                .await
                .expect("customers");
            writeln!(report, "customers {counts:?}").expect("write");
        }

        let first_products = [
            product(2, "Pizzas", "Margherita", 4500, true),
            product(3, "pizzas", "Calabresa", 4200, true),
            product(4, "Bebidas", "Guaraná", 800, true),
            product(5, "PIZZAS", "margherita", 4700, true),
        ];
        let second_products = [
            product(2, "Pizzas", "MARGHERITA", 4700, true),
            product(3, "Pizzas", "Calabresa", 4200, false),
            product(4, "Bebidas", "Suco", 1000, true),
            product(5, "Sobremesas", "Pudim", 1500, true),
            product(6, "sobremesas", "Pudim", 1600, true),
        ];
        for rows in [&first_products[..], &second_products[..]] {
            let counts = imports
                .products(tenant, rows, &actor, &quiet)
                .await
                .expect("products");
            writeln!(report, "products {counts:?}").expect("write");
        }

        let first_orders = [
            order(
                2,
                1,
                store,
                "Ana",
                "11987650001",
                &[("Margherita", 1, 4700), ("Guaraná", 2, 800)],
            ),
            order(3, 2, store, "Eva", "11987650005", &[("Calabresa", 2, 4200)]),
            order(
                4,
                2,
                store,
                "Eva de novo",
                "11987650005",
                &[("Suco", 1, 1000)],
            ),
            order(5, 4, store, "Fábio", "11987650006", &[("Pudim", 1, 1500)]),
            order(
                6,
                3,
                store,
                "Fábio Lima",
                "11987650006",
                &[("Pudim", 3, 1500), ("Suco", 1, 1000)],
            ),
        ];
        let second_orders = [
            order(2, 2, store, "Eva", "11987650005", &[("Calabresa", 2, 4200)]),
            order(
                3,
                7,
                store,
                "Gil",
                "11987650007",
                &[("Margherita", 2, 4700)],
            ),
            order(4, 5, store, "Carla", "11987650003", &[("Guaraná", 1, 800)]),
        ];
        for rows in [&first_orders[..], &second_orders[..]] {
            let counts = imports
                .orders(tenant, rows, &actor, &quiet)
                .await
                .expect("orders");
            writeln!(report, "orders {counts:?}").expect("write");
        }
        report.push_str(&state(&db, tenant).await);

        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/imports.txt");
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots"))
                .expect("dir");
            std::fs::write(path, &report).expect("snapshot written");
        }
        let expected =
            std::fs::read_to_string(path).expect("snapshot (UPDATE_SNAPSHOTS=1 writes it)");
        assert_eq!(report, expected);
    }
}
