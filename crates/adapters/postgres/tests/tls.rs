//! Connections over TLS to the test PostgreSQL, which `scripts/services` serves with a
//! certificate for `localhost` signed by a throw-away CA (docs/deployment.md#production-checklist).

use std::time::Duration;

use comanda_ports::DatabaseHealth;
use comanda_postgres::{ConnectError, Database, DatabaseConfig, PgTarget};
use comanda_testkit::{PgTestCa, TestDatabase, pg_test_ca, tls_url_for};

/// Whether the connection this target opens is encrypted, as the server sees it.
async fn encrypted(url: &str) -> Result<bool, ConnectError> {
    let (client, connection) = PgTarget::parse(url)?.connect().await?;
    let driver = tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .expect("pg_stat_ssl answers");
    drop(client);
    driver.abort();
    Ok(row.get(0))
}

fn ca(which: PgTestCa) -> String {
    pg_test_ca(which)
}

#[tokio::test]
async fn each_sslmode_encrypts_as_libpq_does() {
    let db = TestDatabase::new().await;
    let right = ca(PgTestCa::Right);
    for (params, expected) in [
        ("sslmode=disable", false),
        ("", true),
        ("sslmode=prefer", true),
        ("sslmode=require", true),
        // `require` with a root certificate checks the chain, as libpq does.
        (
            &format!("sslmode=require&sslrootcert={right}") as &str,
            true,
        ),
        (&format!("sslmode=verify-ca&sslrootcert={right}"), true),
        (&format!("sslmode=verify-full&sslrootcert={right}"), true),
    ] {
        let url = db.tls_url(params);
        assert_eq!(
            encrypted(&url)
                .await
                .unwrap_or_else(|error| panic!("{params}: {error}")),
            expected,
            "{params}"
        );
    }
}

#[tokio::test]
async fn verify_full_refuses_another_ca_and_another_name() {
    let db = TestDatabase::new().await;
    let other = ca(PgTestCa::Other);
    let right = ca(PgTestCa::Right);
    let wrong_ca = db.tls_url(&format!("sslmode=verify-full&sslrootcert={other}"));
    let error = encrypted(&wrong_ca).await.expect_err("another CA");
    assert!(matches!(error, ConnectError::Configuration(_)), "{error:?}");
    assert!(error.to_string().contains("sslmode=verify-full"), "{error}");
    assert!(error.to_string().contains("UnknownIssuer"), "{error}");

    // The certificate names `localhost`, not 127.0.0.1.
    let wrong_host = tls_url_for(
        db.name(),
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={right}"),
    );
    let error = encrypted(&wrong_host).await.expect_err("another name");
    assert!(matches!(error, ConnectError::Configuration(_)), "{error:?}");
    assert!(error.to_string().contains("not valid for name"), "{error}");

    // verify-ca checks the chain only: the same host is fine, another CA is not.
    let chain_only = tls_url_for(
        db.name(),
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={right}"),
    );
    assert!(encrypted(&chain_only).await.expect("chain is enough"));
    let chain_other = tls_url_for(
        db.name(),
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={other}"),
    );
    assert!(matches!(
        encrypted(&chain_other).await,
        Err(ConnectError::Configuration(_))
    ));
}

#[tokio::test]
async fn the_pool_migrations_and_maintenance_all_go_over_tls() {
    let db = TestDatabase::new().await;
    let url = db.tls_url(&format!(
        "sslmode=verify-full&sslrootcert={}&application_name=comanda-tls-pool",
        ca(PgTestCa::Right)
    ));
    assert!(
        !comanda_postgres::ensure_database_exists(&url)
            .await
            .expect("checks over TLS"),
        "exists already"
    );
    assert!(comanda_postgres::count_tables(&url).await.expect("counts") > 0);
    comanda_postgres::run_migrations(&url)
        .await
        .expect("migrates over TLS");
    let pool = Database::connect(&DatabaseConfig {
        url: url.clone(),
        pool_size: 2,
        wait_timeout: Duration::from_secs(2),
        statement_timeout: Duration::from_secs(5),
    })
    .expect("pool");
    pool.ping().await.expect("pings over TLS");
    assert!(pool.schema_is_current().await.expect("reads migrations"));
    let plain = db.client().await;
    let row = plain
        .query_one(
            "SELECT count(*), bool_and(s.ssl) FROM pg_stat_activity a \
             JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = 'comanda-tls-pool'",
            &[],
        )
        .await
        .expect("pg_stat_ssl");
    let connections: i64 = row.get(0);
    let all_encrypted: Option<bool> = row.get(1);
    assert!(connections >= 1, "the pool's connection is open");
    assert_eq!(all_encrypted, Some(true));
}

#[tokio::test]
async fn a_wrong_ca_is_refused_when_the_pool_connects() {
    let db = TestDatabase::new().await;
    let pool = Database::connect(&DatabaseConfig {
        url: db.tls_url(&format!(
            "sslmode=verify-full&sslrootcert={}",
            ca(PgTestCa::Other)
        )),
        pool_size: 2,
        wait_timeout: Duration::from_secs(2),
        statement_timeout: Duration::from_secs(5),
    })
    .expect("built lazily");
    assert!(pool.ping().await.is_err());
    let error = comanda_postgres::run_migrations(&db.tls_url(&format!(
        "sslmode=verify-full&sslrootcert={}",
        ca(PgTestCa::Other)
    )))
    .await
    .expect_err("refused");
    assert!(
        matches!(
            error,
            comanda_postgres::MigrationError::Connect(ConnectError::Configuration(_))
        ),
        "{error:?}"
    );
}
