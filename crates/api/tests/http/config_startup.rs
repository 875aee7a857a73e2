//! The server binary itself: refusing bad configuration, serving, stopping on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use comanda_testkit::TestDatabase;

use crate::support::TEST_SECRET;

fn server() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_comanda-server"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    command
}

#[test]
fn bad_configuration_stops_start_up_with_one_line_per_problem() {
    let output = server()
        .env("AUTH_SECRET", "too-short")
        .env("AUTH_ALGORITHM", "none")
        .env("DATABASE_URL", "mysql://root:hunter2@db/x")
        .env("STORAGE_BACKEND", "s3")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 5, "{stderr}");
    assert!(
        lines
            .iter()
            .all(|line| line.starts_with("invalid configuration: ")),
        "{stderr}"
    );
    assert!(stderr.contains("AUTH_SECRET: must be at least 32 characters"));
    assert!(stderr.contains("AUTH_ALGORITHM: unknown algorithm `none`"));
    assert!(stderr.contains("DATABASE_URL: is not a valid URL"));
    assert!(stderr.contains("S3_BUCKET: is required when STORAGE_BACKEND=s3"));
    assert!(stderr.contains("ORDER_TRACKING_SECRET: is not set"));
    assert!(!stderr.contains("hunter2"));
}

#[tokio::test]
async fn server_migrates_seeds_serves_and_stops_gracefully_on_sigterm() {
    let database = TestDatabase::new().await;
    let mut child = server()
        .arg("--seed-demo")
        .env("DATABASE_URL", database.url())
        .env("HOST", "127.0.0.1")
        .env("PORT", "0")
        .env("AUTH_SECRET", TEST_SECRET)
        .env("ORDER_TRACKING_SECRET", TEST_SECRET)
        .env("HTTP_WORKERS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    // The JSON log says which port it took.
    let port = tokio::task::spawn_blocking(move || {
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("log line");
            let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if event["message"] == "listening" {
                return event["port"].as_u64().expect("port");
            }
        }
        panic!("the server never said it was listening");
    })
    .await
    .expect("read log");

    let client = comanda_testkit::http_client();
    let stores: serde_json::Value = client
        .get(format!("http://127.0.0.1:{port}/stores"))
        .header("X-Tenant", "demo")
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        stores["total"], 1,
        "the demo tenant has its store: {stores}"
    );

    let pid = child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("exit status");
    assert!(status.success(), "graceful stop exits 0, got {status}");
    assert!(
        client
            .get(format!("http://127.0.0.1:{port}/health"))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .is_err(),
        "nothing listens after the stop"
    );
}

#[tokio::test]
async fn with_an_otlp_endpoint_request_spans_are_exported_as_traces() {
    let collector = comanda_testkit::StubServer::start(vec![comanda_testkit::StubResponse::json(
        200,
        serde_json::json!({}),
    )])
    .await;
    let database = TestDatabase::new().await;
    let mut child = server()
        .env("DATABASE_URL", database.url())
        .env("HOST", "127.0.0.1")
        .env("PORT", "0")
        .env("AUTH_SECRET", TEST_SECRET)
        .env("ORDER_TRACKING_SECRET", TEST_SECRET)
        .env("HTTP_WORKERS", "1")
        .env("BACKGROUND_WORKERS", "false")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.base_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let port = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let line = line.expect("log line");
            let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if event["message"] == "listening" {
                // Keep draining the log so the server never blocks on a full pipe.
                std::thread::spawn(move || lines.for_each(drop));
                return event["port"].as_u64().expect("port");
            }
        }
        panic!("the server never said it was listening");
    })
    .await
    .expect("read log");
    let client = comanda_testkit::http_client();
    let health = client
        .get(format!("http://127.0.0.1:{port}/health"))
        .send()
        .await
        .expect("sent");
    assert_eq!(health.status(), 200);
    assert!(
        collector.requests().is_empty(),
        "spans are batched, not sent one by one"
    );

    // Stopping flushes the batch.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("exit status");
    assert!(status.success(), "{status}");
    let exports = collector.requests();
    let export = exports
        .iter()
        .find(|request| request.path == "/v1/traces")
        .unwrap_or_else(|| panic!("no export reached the collector: {exports:?}"));
    assert_eq!(export.method, "POST");
    assert_eq!(
        export.header("content-type"),
        Some("application/x-protobuf")
    );
    let body = String::from_utf8_lossy(&export.body);
    assert!(
        body.contains("http.route") && body.contains("/health"),
        "the request span is in the export: {body:?}"
    );
    assert!(body.contains("comanda"), "the service is named");
}
