//! `comanda-server`: creates and migrates its database, then serves the API until stopped.

use std::process::ExitCode;

use comanda_api::startup::{
    Application, ConfigurationProblem, ensure_startup_data, prepare_database, seed_service,
};
use comanda_api::{build_info, telemetry};
use comanda_config::{MissingSecrets, Settings};

const USAGE: &str = "usage: comanda-server [--dev] [--seed-demo]

Serves the Comanda API on HOST:PORT (default 0.0.0.0:8080). Configuration comes from the
environment (see README.md). Creates the database if missing and applies migrations first.

  --dev         development: a missing AUTH_SECRET or ORDER_TRACKING_SECRET gets a random
                value for this run (a deployment refuses to start without them)
  --seed-demo   also create the demo tenant `demo` with a store (idempotent); implies --dev
  --version     print the version and the commit, and exit";

#[tokio::main]
async fn main() -> ExitCode {
    let mut seed_demo = false;
    let mut development = false;
    for argument in std::env::args().skip(1) {
        match argument.as_str() {
            "--seed-demo" => seed_demo = true,
            "--dev" => development = true,
            "-V" | "--version" => {
                println!("{}", build_info::describe("comanda-server"));
                return ExitCode::SUCCESS;
            }
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

    let missing_secrets = if development || seed_demo {
        MissingSecrets::RandomForThisRun
    } else {
        MissingSecrets::Refuse
    };
    let settings = match Settings::from_env(missing_secrets) {
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
            "development mode: not set, using a random value for this run only"
        );
    }
    if settings.auth.allow_open_signup {
        tracing::warn!(
            "ALLOW_OPEN_SIGNUP is on: the first user to sign up to a tenant without users becomes \
             its owner, without an invite (turn it off once tenants are moved over)"
        );
    }

    let code = match run(settings, seed_demo).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => match ConfigurationProblem::find(&error) {
            // One line, like the settings' own problems; the cause never holds a secret.
            Some(problem) => {
                eprintln!("{problem}");
                ExitCode::from(2)
            }
            None => {
                tracing::error!(error = format!("{error:#}"), "server stopped with an error");
                ExitCode::FAILURE
            }
        },
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
