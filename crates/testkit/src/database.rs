//! A fresh PostgreSQL database per test, cloned from a template migrated once per migration set.
//!
//! Cloning a template is a file copy on the server: far cheaper than migrating per test. The
//! template's name carries a hash of `migrations/`, so a changed migration builds a new one;
//! test processes running at once agree through an advisory lock.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::time::Duration;

use tokio::sync::OnceCell;
use tokio_postgres::{Client, NoTls};

const TEMPLATE_LOCK_KEY: i64 = 0x7465_6d70_6c61_7465; // "template"

/// The maintenance connection tests use to create and drop databases.
pub fn admin_database_url() -> String {
    std::env::var("COMANDA_TEST_ADMIN_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The throw-away CA that signed the test PostgreSQL's certificate (`scripts/services` makes
/// it), and another CA that signed nothing.
pub fn pg_test_ca(which: PgTestCa) -> String {
    let dir = std::env::var("COMANDA_TEST_PG_TLS_DIR")
        .unwrap_or_else(|_| "/var/lib/postgresql/comanda-test-tls".into());
    let file = match which {
        PgTestCa::Right => "ca.crt",
        PgTestCa::Other => "other-ca.crt",
    };
    let path = format!("{dir}/{file}");
    assert!(
        Path::new(&path).is_file(),
        "{path} is missing: run scripts/services (it turns TLS on for the test PostgreSQL)"
    );
    path
}

#[derive(Debug, Clone, Copy)]
pub enum PgTestCa {
    Right,
    Other,
}

/// A database's URL through `host`, with extra query parameters.
pub fn tls_url_for(database: &str, host: &str, params: &str) -> String {
    let url = url_for(database).replacen("127.0.0.1", host, 1);
    if params.is_empty() {
        url
    } else {
        format!("{url}?{params}")
    }
}

fn url_for(database: &str) -> String {
    let admin = admin_database_url();
    match admin.rfind('/') {
        Some(slash) => format!("{}/{database}", &admin[..slash]),
        None => admin,
    }
}

async fn admin_client() -> Client {
    let (client, connection) = tokio_postgres::connect(&admin_database_url(), NoTls)
        .await
        .expect("PostgreSQL must be reachable for the tests (COMANDA_TEST_ADMIN_DATABASE_URL)");
    tokio::spawn(connection);
    client
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn migrations_hash() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let mut files = Vec::new();
    collect_files(&root, &mut files);
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in files {
        file.strip_prefix(&root).unwrap_or(&file).hash(&mut hasher);
        std::fs::read(&file).unwrap_or_default().hash(&mut hasher);
    }
    format!("{:016x}", hasher.finish())
}

fn collect_files(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, files);
        } else {
            files.push(path);
        }
    }
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

async fn template_name() -> &'static str {
    TEMPLATE.get_or_init(build_template).await
}

async fn build_template() -> String {
    let name = format!("comanda_template_{}", migrations_hash());
    let admin = admin_client().await;
    admin
        .execute("SELECT pg_advisory_lock($1)", &[&TEMPLATE_LOCK_KEY])
        .await
        .expect("advisory lock");
    let ready = admin
        .query_opt(
            "SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate",
            &[&name],
        )
        .await
        .expect("query pg_database")
        .is_some();
    if !ready {
        // A template left half-built by an interrupted run, or older ones: start clean.
        let stale = admin
            .query(
                "SELECT datname FROM pg_database WHERE datname LIKE 'comanda\\_template\\_%'",
                &[],
            )
            .await
            .expect("list templates");
        for row in stale {
            let stale_name: String = row.get(0);
            let _ = admin
                .batch_execute(&format!(
                    "ALTER DATABASE {0} IS_TEMPLATE false; DROP DATABASE IF EXISTS {0} WITH (FORCE)",
                    quoted(&stale_name)
                ))
                .await;
        }
        admin
            .batch_execute(&format!("CREATE DATABASE {}", quoted(&name)))
            .await
            .expect("create template database");
        comanda_postgres::run_migrations(&url_for(&name))
            .await
            .expect("migrate the template");
        admin
            .batch_execute(&format!(
                "ALTER DATABASE {} IS_TEMPLATE true",
                quoted(&name)
            ))
            .await
            .expect("mark template");
    }
    admin
        .execute("SELECT pg_advisory_unlock($1)", &[&TEMPLATE_LOCK_KEY])
        .await
        .expect("advisory unlock");
    name
}

/// A migrated database of its own for one test; dropped when the value is dropped.
pub struct TestDatabase {
    name: String,
    url: String,
}

impl TestDatabase {
    pub async fn new() -> Self {
        let template = template_name().await;
        let name = format!("comanda_test_{}", uuid::Uuid::new_v4().simple());
        let admin = admin_client().await;
        let statement = format!(
            "CREATE DATABASE {} TEMPLATE {}",
            quoted(&name),
            quoted(template)
        );
        // The template may still show the migration's connection for a moment after it closed.
        let mut attempts = 0;
        loop {
            match admin.batch_execute(&statement).await {
                Ok(()) => break,
                Err(error) if attempts < 50 && error.to_string().contains("being accessed") => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("create test database: {error}"),
            }
        }
        Self {
            url: url_for(&name),
            name,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// This database's URL over TLS through `localhost` (the name in the test server's
    /// certificate), with these extra query parameters (`sslmode=...&sslrootcert=...`).
    pub fn tls_url(&self, params: &str) -> String {
        tls_url_for(&self.name, "localhost", params)
    }

    /// Drops the database now, cutting every connection: "the database went away".
    pub async fn drop_now(&self) {
        drop_database(&self.name).await;
    }

    /// Runs SQL against this database with a plain connection (for fixtures and checks).
    pub async fn client(&self) -> Client {
        let (client, connection) = tokio_postgres::connect(&self.url, NoTls)
            .await
            .expect("connect to the test database");
        tokio::spawn(connection);
        client
    }
}

async fn drop_database(name: &str) {
    let admin = admin_client().await;
    admin
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quoted(name)
        ))
        .await
        .expect("drop test database");
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async context: use a runtime of its own on a thread of its own.
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map(|runtime| runtime.block_on(drop_database(&name)))
        })
        .join();
        if dropped.is_err() {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}
