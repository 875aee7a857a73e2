//! The `comanda` binary against a real database of its own, as an operator runs it.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use comanda_testkit::TestDatabase;

/// The binary with a clean environment: only the database and what `pg_dump` needs.
fn comanda(database_url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_comanda"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("LOG_FORMAT", "pretty")
        .env("RUST_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run comanda");
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin.unwrap_or_default().as_bytes())
            .expect("write stdin");
    }
    child.wait_with_output().expect("comanda finished")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_status(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

/// A file in a directory of the test's own.
fn file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("comanda-cli-{}", uuid_like()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write file");
    path
}

fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    )
}

async fn scalar(database: &TestDatabase, query: &str) -> i64 {
    database
        .client()
        .await
        .query_one(query, &[])
        .await
        .unwrap_or_else(|error| panic!("{query}: {error}"))
        .get(0)
}

async fn text(database: &TestDatabase, query: &str) -> String {
    database
        .client()
        .await
        .query_one(query, &[])
        .await
        .unwrap_or_else(|error| panic!("{query}: {error}"))
        .get(0)
}

/// A fingerprint of a table's rows, to prove a run changed nothing.
async fn fingerprint(database: &TestDatabase, table: &str) -> String {
    text(
        database,
        &format!(
            "SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {table} t"
        ),
    )
    .await
}

async fn seeded() -> TestDatabase {
    let database = TestDatabase::new().await;
    assert_status(&comanda(database.url(), &["seed"], None), 0);
    database
}

#[tokio::test]
async fn seed_creates_the_demo_tenant_with_plan_and_owner_and_twice_changes_nothing() {
    let database = TestDatabase::new().await;
    let first = comanda(database.url(), &["seed"], None);
    assert_status(&first, 0);
    assert!(
        stdout(&first).contains("dono@demo.comanda.dev / comanda-demo-2026"),
        "{}",
        stdout(&first)
    );
    let tables = [
        "tenants",
        "stores",
        "products",
        "users",
        "shipping_bands",
        "plans",
    ];
    let mut before = Vec::new();
    for table in tables {
        before.push(fingerprint(&database, table).await);
    }
    assert_status(&comanda(database.url(), &["seed"], None), 0);
    for (table, fingerprint_before) in tables.iter().zip(before) {
        assert_eq!(
            fingerprint(&database, table).await,
            fingerprint_before,
            "{table} changed"
        );
    }
    assert_eq!(
        scalar(&database, "SELECT count(*) FROM users WHERE role = 'owner'").await,
        1
    );
    assert_eq!(
        text(
            &database,
            "SELECT p.code FROM tenant_subscriptions s JOIN plans p ON p.id = s.plan_id"
        )
        .await,
        "demo"
    );
}

#[tokio::test]
async fn create_owner_reads_the_password_from_stdin_and_resets_an_existing_user() {
    let database = seeded().await;
    let url = database.url();
    let args = [
        "create-owner",
        "--tenant",
        "demo",
        "--email",
        "Gerente@Demo.com",
    ];
    let created = comanda(url, &args, Some("uma-senha-forte-1\n"));
    assert_status(&created, 0);
    assert!(stdout(&created).contains("created"));
    let hash = "SELECT password_hash FROM users WHERE email = 'gerente@demo.com' AND role = 'owner' AND is_active";
    let first_hash = text(&database, hash).await;
    assert!(first_hash.starts_with("$argon2id$"), "{first_hash}");

    // Demoted, switched off and signed in somewhere: the reset undoes all of it.
    database
        .client()
        .await
        .batch_execute(
            "UPDATE users SET role = 'operator', is_active = FALSE WHERE email = 'gerente@demo.com'; \
             INSERT INTO user_sessions (id, tenant_id, user_id, expires_at) \
             SELECT gen_random_uuid(), tenant_id, id, now() + interval '1 day' \
             FROM users WHERE email = 'gerente@demo.com';",
        )
        .await
        .expect("demote");
    let reset = comanda(url, &args, Some("outra-senha-forte-2\n"));
    assert_status(&reset, 0);
    assert!(stdout(&reset).contains("now an active owner"));
    assert_ne!(text(&database, hash).await, first_hash);
    assert_eq!(
        scalar(
            &database,
            "SELECT count(*) FROM user_sessions s JOIN users u ON u.id = s.user_id \
             WHERE u.email = 'gerente@demo.com' AND s.revoked_at IS NULL"
        )
        .await,
        0,
        "its sessions are revoked"
    );
    assert_eq!(scalar(&database, "SELECT count(*) FROM users").await, 2);

    for (args, input, why) in [
        (
            vec![
                "create-owner",
                "--tenant",
                "nao-existe",
                "--email",
                "a@b.com",
            ],
            "senha-forte-123\n",
            "no active tenant",
        ),
        (
            vec![
                "create-owner",
                "--tenant",
                "demo",
                "--email",
                "not-an-email",
            ],
            "senha-forte-123\n",
            "email",
        ),
        (
            vec!["create-owner", "--tenant", "demo", "--email", "c@d.com"],
            "",
            "no password",
        ),
        (
            vec!["create-owner", "--tenant", "demo", "--email", "c@d.com"],
            "curta\n",
            "password",
        ),
    ] {
        let refused = comanda(url, &args, Some(input));
        assert_status(&refused, 1);
        assert!(
            stderr(&refused).contains(why),
            "{why}: {}",
            stderr(&refused)
        );
    }
    assert_eq!(scalar(&database, "SELECT count(*) FROM users").await, 2);
}

#[tokio::test]
async fn customers_import_reports_bad_rows_and_a_second_run_changes_nothing() {
    let database = seeded().await;
    let csv = "name,phone,email,notes\n\
               Ana Souza,(11) 98765-4321,ana@exemplo.com,prefere pix\n\
               Bruno,21 3333-4444,,\n\
               Carla,123,,\n\
               Davi,11 91234-5678,davi-sem-arroba,\n\
               Ana Souza,+55 11 98765-4321,ana@exemplo.com,prefere pix\n";
    let path = file("customers.csv", csv.as_bytes());
    let path = path.to_str().expect("path");
    let first = comanda(
        database.url(),
        &["import", "customers", path, "--tenant", "demo"],
        None,
    );
    assert_status(&first, 3);
    let out = stdout(&first);
    assert!(out.contains("line 4: phone: `123`"), "{out}");
    assert!(out.contains("line 5: email:"), "{out}");
    assert!(
        out.contains("customers: 5 rows, 2 created, 0 updated, 1 unchanged, 2 rejected"),
        "{out}"
    );
    assert_eq!(scalar(&database, "SELECT count(*) FROM customers").await, 2);
    assert_eq!(
        text(
            &database,
            "SELECT phone FROM customers WHERE name = 'Bruno'"
        )
        .await,
        "+552133334444"
    );

    let before = fingerprint(&database, "customers").await;
    let second = comanda(
        database.url(),
        &["import", "customers", path, "--tenant", "demo"],
        None,
    );
    assert_status(&second, 3);
    assert!(
        stdout(&second).contains("0 created, 0 updated, 3 unchanged"),
        "{}",
        stdout(&second)
    );
    assert_eq!(
        fingerprint(&database, "customers").await,
        before,
        "a second run changes nothing"
    );
    assert_eq!(
        scalar(
            &database,
            "SELECT count(*) FROM audit_log WHERE action = 'import.customers'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn malformed_files_are_refused_whole_and_change_nothing() {
    let database = seeded().await;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "missing.csv",
            b"name,email\nAna,ana@x.com\n".to_vec(),
            "missing column(s) phone",
        ),
        (
            "ragged.csv",
            b"name,phone\nAna,11987654321\nBia,11912345678,extra\n".to_vec(),
            "line 3",
        ),
        (
            "latin1.csv",
            b"name,phone\nJo\xe3o,11987654321\n".to_vec(),
            "not UTF-8",
        ),
        ("empty.csv", Vec::new(), "empty"),
        (
            "twice.csv",
            b"name,phone,phone\nAna,1,2\n".to_vec(),
            "appears twice",
        ),
    ];
    for (name, contents, why) in cases {
        let path = file(name, &contents);
        let output = comanda(
            database.url(),
            &[
                "import",
                "customers",
                path.to_str().expect("path"),
                "--tenant",
                "demo",
            ],
            None,
        );
        assert_status(&output, 1);
        assert!(stderr(&output).contains(why), "{name}: {}", stderr(&output));
    }
    let absent = comanda(
        database.url(),
        &["import", "customers", "/nao/existe.csv", "--tenant", "demo"],
        None,
    );
    assert_status(&absent, 1);
    assert_eq!(scalar(&database, "SELECT count(*) FROM customers").await, 0);
    assert_eq!(
        scalar(
            &database,
            "SELECT count(*) FROM audit_log WHERE action LIKE 'import.%'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn products_import_creates_categories_matches_by_name_and_updates_what_changed() {
    let database = seeded().await;
    let products_before = scalar(&database, "SELECT count(*) FROM products").await;
    // Semicolons and decimal commas, as a Brazilian spreadsheet saves them.
    let csv = "categoria;category;name;price;description;active;track_stock\n\
               x;Novidades;Esfiha de carne;6,50;assada;sim;não\n\
               x;novidades;Esfiha de queijo;R$ 7,00;;;\n\
               x;Novidades;Sem preço;;;;\n";
    let path = file("products.csv", csv.as_bytes());
    let path = path.to_str().expect("path");
    let first = comanda(
        database.url(),
        &["import", "products", path, "--tenant", "demo"],
        None,
    );
    assert_status(&first, 3);
    assert!(
        stdout(&first).contains("line 4: price: required"),
        "{}",
        stdout(&first)
    );
    assert_eq!(
        scalar(&database, "SELECT count(*) FROM products").await,
        products_before + 2
    );
    assert_eq!(
        scalar(
            &database,
            "SELECT count(*) FROM categories WHERE lower(name) = 'novidades'"
        )
        .await,
        1
    );
    assert_eq!(
        scalar(
            &database,
            "SELECT price_cents FROM products WHERE name = 'Esfiha de carne'"
        )
        .await,
        650
    );

    let again = comanda(
        database.url(),
        &["import", "products", path, "--tenant", "demo"],
        None,
    );
    assert!(
        stdout(&again).contains("0 created, 0 updated, 2 unchanged"),
        "{}",
        stdout(&again)
    );
    let cheaper = file(
        "cheaper.csv",
        "category,name,price\nNOVIDADES,esfiha de carne,5.90\n".as_bytes(),
    );
    let updated = comanda(
        database.url(),
        &[
            "import",
            "products",
            cheaper.to_str().expect("path"),
            "--tenant",
            "demo",
        ],
        None,
    );
    assert_status(&updated, 0);
    assert!(
        stdout(&updated).contains("0 created, 1 updated, 0 unchanged"),
        "{}",
        stdout(&updated)
    );
    assert_eq!(
        scalar(
            &database,
            "SELECT price_cents FROM products WHERE name = 'Esfiha de carne'"
        )
        .await,
        590
    );
}

#[tokio::test]
async fn orders_import_takes_each_order_whole_and_moves_the_counter_past_it() {
    let database = seeded().await;
    let header = "number,created_at,store,customer_name,customer_phone,status,fulfillment,payment_method,product,quantity,unit_price,shipping_fee,discount";
    let store = "Comanda Demo — Paulista";
    let csv = format!(
        "{header}\n\
         1001,2025-03-01 19:30,{store},Ana,11987654321,delivered,delivery,pix,Pizza Margherita,2,\"45,00\",\"8,00\",\"5,00\"\n\
         1001,2025-03-01 19:30,{store},Ana,11987654321,delivered,delivery,pix,Guaraná,1,\"7,00\",\"8,00\",\"5,00\"\n\
         1002,02/03/2025 12:00,{store},Bruno,21 99876-5432,picked_up,pickup,cash,X-Burger,1,\"30,00\",,\n\
         1003,2025-03-03 20:00,{store},Carla,11955554444,delivered,delivery,pix,Pizza,1,\"50,00\",,\n\
         1003,2025-03-03 20:00,{store},Carla,11955554444,delivered,delivery,pix,Coca,0,\"7,00\",,\n\
         1004,2025-03-03 21:00,Loja Fantasma,Davi,11944443333,delivered,delivery,pix,Pizza,1,\"50,00\",,\n"
    );
    let path = file("orders.csv", csv.as_bytes());
    let path = path.to_str().expect("path");
    let first = comanda(
        database.url(),
        &["import", "orders", path, "--tenant", "demo"],
        None,
    );
    assert_status(&first, 3);
    let out = stdout(&first);
    assert!(out.contains("line 6: quantity"), "{out}");
    assert!(
        out.contains("line 5: number 1003"),
        "the order's good line is refused too: {out}"
    );
    assert!(
        out.contains("line 7: store: no store named `Loja Fantasma`"),
        "{out}"
    );
    assert!(
        out.contains("orders: 6 rows, 2 created, 0 updated, 0 unchanged, 3 rejected"),
        "{out}"
    );

    assert_eq!(scalar(&database, "SELECT count(*) FROM orders").await, 2);
    assert_eq!(
        scalar(
            &database,
            "SELECT total_cents FROM orders WHERE number = 1001"
        )
        .await,
        2 * 4500 + 700 + 800 - 500
    );
    assert_eq!(scalar(&database, "SELECT count(*) FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.number = 1001").await, 2);
    assert_eq!(
        text(&database, "SELECT c.phone FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.number = 1002").await,
        "+5521998765432"
    );
    assert_eq!(
        text(&database, "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM orders WHERE number = 1001").await,
        "2025-03-01 22:30"
    );
    assert_eq!(
        scalar(&database, "SELECT last_number FROM tenant_order_counters").await,
        1002
    );
    assert_eq!(
        scalar(&database, "SELECT count(*) FROM outbox").await,
        0,
        "imports notify nobody"
    );

    let before = fingerprint(&database, "orders").await;
    let again = comanda(
        database.url(),
        &["import", "orders", path, "--tenant", "demo"],
        None,
    );
    assert!(
        stdout(&again).contains("0 created, 0 updated, 2 unchanged"),
        "{}",
        stdout(&again)
    );
    assert_eq!(fingerprint(&database, "orders").await, before);
}

#[tokio::test]
async fn normalize_phones_rewrites_what_it_can_and_merge_moves_orders_to_the_survivor() {
    let database = seeded().await;
    let client = database.client().await;
    client
        .batch_execute(
            "INSERT INTO customers (id, tenant_id, name, phone, created_at) \
             SELECT v.id::uuid, t.id, v.name, v.phone, now() - v.age * interval '1 day' \
             FROM tenants t, (VALUES \
               ('00000000-0000-7000-8000-00000000000a', 'Ana antiga', '11987654321', 10), \
               ('00000000-0000-7000-8000-00000000000b', 'Ana', '+5511987654321', 5), \
               ('00000000-0000-7000-8000-00000000000c', 'Bruno', '(21) 3333-4444', 4), \
               ('00000000-0000-7000-8000-00000000000d', 'Sem número', 'abc', 3)) \
               AS v(id, name, phone, age) \
             WHERE t.slug = 'demo'; \
             INSERT INTO orders (id, tenant_id, number, store_id, customer_id, status, fulfillment, \
                                 subtotal_cents, discount_cents, shipping_fee_cents, total_cents) \
             SELECT '00000000-0000-7000-8000-0000000000f1', t.id, 1, s.id, \
                    '00000000-0000-7000-8000-00000000000a', 'delivered', 'pickup', 1000, 0, 0, 1000 \
             FROM tenants t JOIN stores s ON s.tenant_id = t.id WHERE t.slug = 'demo';",
        )
        .await
        .expect("fixtures");

    let normalized = comanda(
        database.url(),
        &["normalize-phones", "--tenant", "demo"],
        None,
    );
    assert_status(&normalized, 0);
    let out = stdout(&normalized);
    assert!(out.contains("`(21) 3333-4444` → +552133334444"), "{out}");
    assert!(out.contains("`abc` (left as it is)"), "{out}");
    assert!(
        out.contains("`11987654321` is +5511987654321, which another customer has"),
        "{out}"
    );
    assert!(
        out.contains("phones: 1 rewritten, 1 already E.164, 1 unreadable, 1 conflicts"),
        "{out}"
    );
    assert_eq!(
        text(
            &database,
            "SELECT phone FROM customers WHERE id = '00000000-0000-7000-8000-00000000000c'"
        )
        .await,
        "+552133334444",
        "stored, not only printed"
    );
    assert_eq!(
        text(
            &database,
            "SELECT phone FROM customers WHERE id = '00000000-0000-7000-8000-00000000000d'"
        )
        .await,
        "abc"
    );

    let dry = comanda(
        database.url(),
        &["merge-customers", "--tenant", "demo", "--dry-run"],
        None,
    );
    assert_status(&dry, 0);
    assert!(
        stdout(&dry).contains(
            "keep 00000000-0000-7000-8000-00000000000b, merge 00000000-0000-7000-8000-00000000000a"
        ),
        "the one holding the normalized phone survives: {}",
        stdout(&dry)
    );
    assert_eq!(
        scalar(&database, "SELECT count(*) FROM customers").await,
        4,
        "a dry run changes nothing"
    );

    let merged = comanda(
        database.url(),
        &["merge-customers", "--tenant", "demo"],
        None,
    );
    assert_status(&merged, 0);
    assert!(
        stdout(&merged).contains("1 customers merged into 1"),
        "{}",
        stdout(&merged)
    );
    assert_eq!(scalar(&database, "SELECT count(*) FROM customers").await, 3);
    assert_eq!(
        text(
            &database,
            "SELECT customer_id::text FROM orders WHERE number = 1"
        )
        .await,
        "00000000-0000-7000-8000-00000000000b"
    );
    let again = comanda(database.url(), &["merge-customers"], None);
    assert!(
        stdout(&again).contains("0 customers merged into 0"),
        "{}",
        stdout(&again)
    );
}

#[tokio::test]
async fn backup_then_restore_into_a_fresh_database_gives_the_same_rows() {
    let database = seeded().await;
    let dump = file("comanda.dump", b"");
    let dump = dump.to_str().expect("path");
    assert_status(
        &comanda(database.url(), &["backup", "--output", dump], None),
        0,
    );

    let fresh_name = format!("comanda_restore_{}", uuid_like().replace('-', "_"));
    let fresh_url = format!(
        "{}/{fresh_name}",
        database.url().rsplit_once('/').expect("url").0
    );
    let restored = comanda(&fresh_url, &["restore", "--input", dump], None);
    assert_status(&restored, 0);
    let counts = "SELECT (SELECT count(*) FROM tenants) * 1000000 + (SELECT count(*) FROM products) * 1000 \
                  + (SELECT count(*) FROM users) * 100 + (SELECT count(*) FROM shipping_bands) \
                  + (SELECT count(*) FROM __diesel_schema_migrations) * 10";
    let original = scalar(&database, counts).await;
    let (client, connection) = tokio_postgres::connect(&fresh_url, tokio_postgres::NoTls)
        .await
        .expect("connect to the restored database");
    tokio::spawn(connection);
    let copy: i64 = client.query_one(counts, &[]).await.expect("counts").get(0);
    assert_eq!(copy, original);

    let refused = comanda(&fresh_url, &["restore", "--input", dump], None);
    assert_status(&refused, 1);
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));
    // Changed since the backup: a forced restore brings the backup's rows back.
    client
        .batch_execute("DELETE FROM shipping_bands; UPDATE products SET name = 'mudado'")
        .await
        .expect("change the copy");
    let forced = comanda(&fresh_url, &["restore", "--input", dump, "--force"], None);
    assert_status(&forced, 0);
    let renamed: i64 = client
        .query_one("SELECT count(*) FROM products WHERE name = 'mudado'", &[])
        .await
        .expect("names")
        .get(0);
    assert_eq!(renamed, 0, "the backup's names are back");
    let copy: i64 = client.query_one(counts, &[]).await.expect("counts").get(0);
    assert_eq!(
        copy, original,
        "a forced restore replaces, never duplicates"
    );
    drop(client);

    let (admin, connection) = tokio_postgres::connect(
        &comanda_testkit::admin_database_url(),
        tokio_postgres::NoTls,
    )
    .await
    .expect("admin");
    tokio::spawn(connection);
    admin
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS \"{fresh_name}\" WITH (FORCE)"
        ))
        .await
        .expect("drop the restored database");
}

#[test]
fn version_names_the_release_and_its_commit() {
    let output = comanda("postgres://postgres@127.0.0.1:1/none", &["--version"], None);
    assert_status(&output, 0);
    assert_eq!(
        stdout(&output).trim(),
        format!("comanda {}", comanda_api::build_info::CLI_VERSION)
    );
    assert!(stdout(&output).contains("(commit "));
}

#[tokio::test]
async fn migrate_over_verified_tls_and_a_refused_certificate_is_one_line_exit_2() {
    let database = TestDatabase::new().await;
    let url = database.tls_url(&format!(
        "sslmode=verify-full&sslrootcert={}",
        comanda_testkit::pg_test_ca(comanda_testkit::PgTestCa::Right)
    ));
    assert_status(&comanda(&url, &["migrate"], None), 0);
    let refused = database.tls_url(&format!(
        "sslmode=verify-full&sslrootcert={}",
        comanda_testkit::pg_test_ca(comanda_testkit::PgTestCa::Other)
    ));
    let output = comanda(&refused, &["migrate"], None);
    assert_status(&output, 2);
    assert!(
        stderr(&output)
            .starts_with("invalid configuration: DATABASE_URL: TLS with the database failed"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn a_pizza_menu_imports_with_its_sizes_flavours_and_prices_and_a_second_run_changes_nothing()
{
    let database = seeded().await;
    let csv = "category,name,price,kind,sizes,flavor_of,prices\n\
               Pizzas da casa,Pizza da casa,0,pizza,Média:6:2|Grande:8:3,,\n\
               Sabores da casa,Calabresa,0,,,pizza da casa,\"Média=42|Grande=54,90\"\n\
               Sabores da casa,Margherita,0,,,Pizza da casa,\"média=44|GRANDE=56,01\"\n\
               Sabores da casa,Atum,0,,,Pizza da casa,Média=40\n\
               Sabores da casa,Lula,0,pizza,Média:6:5,,\n"
        .to_owned();
    let path = file("pizzas.csv", csv.as_bytes());
    let path = path.to_str().expect("path");
    let first = comanda(
        database.url(),
        &["import", "products", path, "--tenant", "demo"],
        None,
    );
    // Atum has no price for Grande: the whole file is refused and nothing is written.
    assert!(!first.status.success(), "{}", stdout(&first));
    assert!(
        String::from_utf8_lossy(&first.stderr).contains("Grande")
            || stdout(&first).contains("Grande"),
        "{} {}",
        stdout(&first),
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(
        scalar(&database, "SELECT count(*) FROM pizza_sizes").await,
        3,
        "only the demo pizza's"
    );

    let fixed = csv.replace(
        "Sabores da casa,Atum,0,,,Pizza da casa,Média=40\n",
        "Sabores da casa,Atum,0,,,Pizza da casa,Média=40|Grande=50\n",
    );
    let path = file("pizzas-fixed.csv", fixed.as_bytes());
    let path = path.to_str().expect("path");
    let imported = comanda(
        database.url(),
        &["import", "products", path, "--tenant", "demo"],
        None,
    );
    // Lula's five flavours per pizza is a bad row; the rest is written.
    assert_status(&imported, 3);
    assert!(
        stdout(&imported).contains("line 6: sizes"),
        "{}",
        stdout(&imported)
    );
    assert_eq!(
        scalar(&database, "SELECT count(*) FROM pizza_sizes s JOIN products p ON p.tenant_id = s.tenant_id AND p.id = s.product_id WHERE p.name = 'Pizza da casa' AND p.kind = 'pizza'").await,
        2
    );
    assert_eq!(
        scalar(&database, "SELECT f.price_cents FROM flavor_prices f JOIN products p ON p.tenant_id = f.tenant_id AND p.id = f.product_id JOIN pizza_sizes s ON s.tenant_id = f.tenant_id AND s.id = f.size_id WHERE p.name = 'Margherita' AND p.category_id = (SELECT id FROM categories WHERE name = 'Sabores da casa') AND s.name = 'Grande'").await,
        5601
    );
    assert_eq!(
        scalar(&database, "SELECT count(*) FROM categories c JOIN products p ON p.tenant_id = c.tenant_id AND p.id = c.flavors_for WHERE c.name = 'Sabores da casa' AND p.name = 'Pizza da casa'").await,
        1
    );
    let version = scalar(
        &database,
        "SELECT cache_version FROM tenants WHERE slug = 'demo'",
    )
    .await;
    let again = comanda(
        database.url(),
        &["import", "products", path, "--tenant", "demo"],
        None,
    );
    assert!(
        stdout(&again).contains("0 created, 0 updated, 4 unchanged"),
        "{}",
        stdout(&again)
    );
    assert_eq!(
        scalar(
            &database,
            "SELECT cache_version FROM tenants WHERE slug = 'demo'"
        )
        .await,
        version,
        "a second run writes nothing"
    );

    // A size renamed in the file keeps the others' ids and their flavours' prices.
    let renamed = fixed.replace("Média:6:2|Grande:8:3", "Média:6:2|Gigante:12:4");
    let path = file("pizzas-renamed.csv", renamed.as_bytes());
    let path = path.to_str().expect("path");
    let changed = comanda(
        database.url(),
        &["import", "products", path, "--tenant", "demo"],
        None,
    );
    assert!(
        !changed.status.success(),
        "flavours still priced for Grande: {}",
        stdout(&changed)
    );
}
