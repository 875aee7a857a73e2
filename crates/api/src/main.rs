//! `comanda-server`: creates and migrates its database, then serves the API until stopped.

use std::process::ExitCode;

use comanda_api::startup::{Application, ensure_startup_data, prepare_database, seed_service};
use comanda_api::telemetry;
use comanda_config::Settings;

const USAGE: &str = "usage: comanda-server [--seed-demo]

Serves the Comanda API on HOST:PORT (default 0.0.0.0:8080). Configuration comes from the
environment (see README.md). Creates the database if missing and applies migrations first.

  --seed-demo   also create the demo tenant `demo` with a store (idempotent)";

#[tokio::main]
async fn main() -> ExitCode {
    let mut seed_demo = false;
    for argument in std::env::args().skip(1) {
        match argument.as_str() {
            "--seed-demo" => seed_demo = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument `{other}`\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }

    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let telemetry = telemetry::init(
        &settings.server,
        settings.otel_exporter_otlp_endpoint.as_ref(),
    );
    for name in &settings.generated_secrets {
        tracing::warn!(
            variable = name,
            "not set: using a random value for this run only (set it in any real deployment)"
        );
    }

    let code = match run(settings, seed_demo).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "server stopped with an error");
            ExitCode::FAILURE
        }
    };
    telemetry.shutdown().await;
    code
}

async fn run(settings: Settings, seed_demo: bool) -> anyhow::Result<()> {
    prepare_database(&settings).await?;
    ensure_startup_data(&settings).await?;
    if seed_demo {
        let outcome = seed_service(&settings)?.seed_demo().await?;
        tracing::info!(
            tenant = %outcome.tenant().slug,
            owner_email = comanda_services::seed::DEMO_OWNER_EMAIL,
            owner_password = comanda_services::seed::DEMO_OWNER_PASSWORD,
            "demo tenant ready: sign in with X-Tenant: demo"
        );
    }
    let application = Application::build(settings).await?;
    tracing::info!(port = application.port(), "listening");
    application.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}
