//! `comanda`: operational tasks run against the database directly, reusing the services and
//! adapters of the server (never its HTTP API).

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use comanda_api::startup::{prepare_database, seed_service};
use comanda_api::telemetry;
use comanda_config::Settings;
use comanda_services::seed::SeedOutcome;

#[derive(Parser)]
#[command(
    name = "comanda",
    version,
    about = "Comanda operations (configuration from the environment, as the server)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the database if missing and apply pending migrations.
    Migrate,
    /// Create the demo tenant `demo` with its store; running it again changes nothing.
    Seed,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.server);
    match run(cli.command, &settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: &Settings) -> anyhow::Result<()> {
    match command {
        Command::Migrate => {
            prepare_database(settings).await?;
            println!("migrations applied");
        }
        Command::Seed => {
            prepare_database(settings).await?;
            let outcome = seed_service(settings)?
                .seed_demo()
                .await
                .context("seeding the demo tenant")?;
            match outcome {
                SeedOutcome::Created(tenant) => {
                    println!("demo tenant `{}` created ({})", tenant.slug, tenant.id)
                }
                SeedOutcome::AlreadyPresent(tenant) => {
                    println!(
                        "demo tenant `{}` already present ({}); nothing changed",
                        tenant.slug, tenant.id
                    )
                }
            }
        }
    }
    Ok(())
}
