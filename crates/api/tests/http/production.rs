//! The server binary as an operator deploys it (docs/deployment.md#production-checklist): secrets required, TLS to a managed
//! PostgreSQL and Redis, one clear line for a bad TLS setting, version, library logs.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use comanda_testkit::{PgTestCa, TestDatabase, pg_test_ca, tls_url_for};

use crate::support::TEST_SECRET;

fn server() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_comanda-server"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOST", "127.0.0.1")
        .env("PORT", "0")
        .env("HTTP_WORKERS", "1")
        .env("BACKGROUND_WORKERS", "false");
    command
}

fn with_secrets(command: &mut Command) -> &mut Command {
    command
        .env("AUTH_SECRET", TEST_SECRET)
        .env("ORDER_TRACKING_SECRET", TEST_SECRET)
}

/// A running server: its port and every line it has logged so far.
struct Running {
    child: Child,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl Running {
    async fn start(command: &mut Command) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        let stdout = child.stdout.take().expect("stdout");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (port_sender, port_receiver) = tokio::sync::oneshot::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            let mut port_sender = Some(port_sender);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Ok(event) = serde_json::from_str::<serde_json::Value>(&line)
                    && event["message"] == "listening"
                    && let (Some(sender), Some(port)) = (port_sender.take(), event["port"].as_u64())
                {
                    let _ = sender.send(port);
                }
                lines.lock().expect("log lock").push(line);
            }
        });
        let port = tokio::time::timeout(Duration::from_secs(20), port_receiver)
            .await
            .expect("the server says it listens within 20 s")
            .expect("a port");
        Self {
            child,
            port: u16::try_from(port).expect("a port number"),
            log,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn logged(&self) -> Vec<serde_json::Value> {
        self.log
            .lock()
            .expect("log lock")
            .iter()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_deployment_without_signing_secrets_refuses_to_start_naming_each() {
    let output = server()
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/none")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].starts_with("invalid configuration: AUTH_SECRET: is not set"));
    assert!(lines[1].starts_with("invalid configuration: ORDER_TRACKING_SECRET: is not set"));
}

#[tokio::test]
async fn development_mode_starts_without_secrets_and_says_so() {
    let database = TestDatabase::new().await;
    let running = Running::start(server().arg("--dev").env("DATABASE_URL", database.url())).await;
    let health = comanda_testkit::http_client()
        .get(running.url("/health"))
        .send()
        .await
        .expect("sent");
    assert_eq!(health.status(), 200);
    let warned: Vec<String> = running
        .logged()
        .iter()
        .filter(|event| event["level"] == "WARN")
        .filter_map(|event| event["variable"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(warned, vec!["AUTH_SECRET", "ORDER_TRACKING_SECRET"]);
}

#[test]
fn both_binaries_print_their_version_and_commit() {
    let output = server().arg("--version").output().expect("runs");
    assert!(output.status.success());
    let printed = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        printed.trim(),
        format!(
            "comanda-server {} (commit {})",
            comanda_api::build_info::VERSION,
            comanda_api::build_info::COMMIT
        )
    );
}

#[tokio::test]
async fn a_refused_database_certificate_stops_start_up_with_one_line_naming_database_url() {
    let database = TestDatabase::new().await;
    let right = pg_test_ca(PgTestCa::Right);
    let other = pg_test_ca(PgTestCa::Other);
    let with_password = |host: &str, params: &str| {
        tls_url_for(database.name(), host, params).replacen("postgres@", "postgres:hunter2@", 1)
    };
    let cases = [
        (
            with_password(
                "localhost",
                &format!("sslmode=verify-full&sslrootcert={other}"),
            ),
            "UnknownIssuer",
        ),
        (
            with_password(
                "127.0.0.1",
                &format!("sslmode=verify-full&sslrootcert={right}"),
            ),
            "not valid for name",
        ),
        (
            with_password(
                "localhost",
                "sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
            ),
            "sslrootcert `/nonexistent/ca.pem`",
        ),
        (
            with_password("localhost", "sslmode=sometimes"),
            "sslmode `sometimes`",
        ),
    ];
    for (url, reason) in cases {
        let output = with_secrets(&mut server())
            .env("DATABASE_URL", &url)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{reason}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        assert!(
            lines[0].starts_with("invalid configuration: DATABASE_URL: "),
            "{stderr}"
        );
        assert!(lines[0].contains(reason), "{reason}: {stderr}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(!stderr.contains("hunter2") && !stdout.contains("hunter2"));
    }
}

#[tokio::test]
async fn the_server_runs_on_verified_tls_and_library_log_records_reach_its_json_log() {
    let database = TestDatabase::new().await;
    let url = database.tls_url(&format!(
        "sslmode=verify-full&sslrootcert={}&application_name=comanda-tls-server",
        pg_test_ca(PgTestCa::Right)
    ));
    let running = Running::start(
        with_secrets(&mut server())
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "info,rustls=debug"),
    )
    .await;
    let client = comanda_testkit::http_client();
    let ready = client
        .get(running.url("/readyz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(ready.status(), 200);

    let row = database
        .client()
        .await
        .query_one(
            "SELECT count(*), bool_and(s.ssl) FROM pg_stat_activity a JOIN pg_stat_ssl s \
             USING (pid) WHERE a.application_name = 'comanda-tls-server'",
            &[],
        )
        .await
        .expect("pg_stat_ssl");
    let connections: i64 = row.get(0);
    let encrypted: Option<bool> = row.get(1);
    assert!(connections >= 1, "the server holds a connection");
    assert_eq!(
        encrypted,
        Some(true),
        "every connection of the server is TLS"
    );

    // rustls logs through the `log` crate: the bridge brings its records into our JSON log.
    let from_rustls = running.logged().into_iter().find(|event| {
        event["target"]
            .as_str()
            .or_else(|| event["log.target"].as_str())
            .is_some_and(|target| target.starts_with("rustls"))
    });
    assert!(
        from_rustls.is_some(),
        "no rustls record in {:?}",
        running.log.lock().expect("log lock")
    );
}

#[tokio::test]
async fn rediss_shares_rate_limits_over_tls() {
    let database = TestDatabase::new().await;
    let prefix = format!("comanda:tls-test:{}", uuid::Uuid::new_v4().simple());
    let start = || {
        let mut command = server();
        with_secrets(&mut command)
            .env("DATABASE_URL", database.url())
            .env("REDIS_URL", "rediss://localhost:6380/0")
            // A private CA, as OpenSSL's tools take it.
            .env("SSL_CERT_FILE", pg_test_ca(PgTestCa::Right))
            .env("RATE_LIMIT_PER_MINUTE", "1")
            .env("RATE_LIMIT_KEY_PREFIX", &prefix);
        command
    };
    let first = Running::start(&mut start()).await;
    let second = Running::start(&mut start()).await;
    let client = comanda_testkit::http_client();
    let path = "/stores";
    let on_first = client
        .get(first.url(path))
        .header("X-Tenant", "nenhum")
        .send()
        .await
        .expect("sent");
    assert_ne!(on_first.status(), 429);
    let on_second = client
        .get(second.url(path))
        .header("X-Tenant", "nenhum")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        on_second.status(),
        429,
        "the second instance sees the first's count through Redis over TLS"
    );
    let fallback_warned = first
        .logged()
        .iter()
        .chain(second.logged().iter())
        .any(|event| {
            event["message"]
                .as_str()
                .is_some_and(|message| message.contains("in-process"))
        });
    assert!(!fallback_warned, "Redis was reached over TLS");
}

#[tokio::test]
async fn an_incoming_traceparent_continues_into_the_exported_trace_and_outbound_calls() {
    use comanda_testkit::{StubResponse, StubServer};
    let collector = StubServer::start(vec![StubResponse::json(200, serde_json::json!({}))]).await;
    let nominatim = StubServer::start(vec![StubResponse::json(
        200,
        serde_json::json!([{"lat": "-23.5614", "lon": "-46.6559"}]),
    )])
    .await;
    let database = TestDatabase::new().await;
    let mut running = Running::start(
        server()
            .arg("--seed-demo")
            .env("DATABASE_URL", database.url())
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.base_url)
            .env("NOMINATIM_BASE_URL", &nominatim.base_url),
    )
    .await;
    let client = comanda_testkit::http_client();
    let stores: serde_json::Value = client
        .get(running.url("/stores"))
        .header("X-Tenant", "demo")
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    let store_id = stores["items"][0]["id"].as_str().expect("the demo store");
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let quote = client
        .post(running.url("/shipping/quote"))
        .header("X-Tenant", "demo")
        .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
        .json(&serde_json::json!({
            "store_id": store_id,
            "address": {"cep": "01310-200", "street": "Avenida Paulista", "number": "1000",
                        "district": "Bela Vista", "city": "São Paulo", "state": "SP"}
        }))
        .send()
        .await
        .expect("sent");
    assert_eq!(quote.status(), 200, "{:?}", quote.text().await);

    let geocoding = nominatim.requests();
    let outbound = geocoding
        .first()
        .and_then(|request| request.header("traceparent"))
        .expect("the geocoding call carries a traceparent");
    assert!(
        outbound.starts_with(&format!("00-{trace_id}-")),
        "same trace, our span: {outbound}"
    );
    assert!(
        !outbound.contains("00f067aa0ba902b7"),
        "a child span, not the caller's"
    );

    // Stopping flushes the batch; the request's span is exported under the caller's trace.
    let stopped = Command::new("kill")
        .args(["-TERM", &running.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(stopped.success());
    let _ = running.child.wait();
    let trace_bytes: Vec<u8> = (0..16)
        .map(|index| u8::from_str_radix(&trace_id[index * 2..index * 2 + 2], 16).expect("hex"))
        .collect();
    let exported = collector
        .requests()
        .into_iter()
        .filter(|request| request.path == "/v1/traces")
        .any(|request| request.body.windows(16).any(|window| window == trace_bytes));
    assert!(exported, "a span of the incoming trace was exported");
}
