//! `comanda`: operational tasks run against the database directly, reusing the services and
//! adapters of the server (never its HTTP API).

mod backup;
mod csv_file;
mod progress;

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use comanda_api::startup::{ConfigurationProblem, prepare_database, seed_service};
use comanda_api::telemetry;
use comanda_config::{MissingSecrets, Settings};
use comanda_crypto::Argon2PasswordHasher;
use comanda_domain::TenantId;
use comanda_domain::tenancy::TenantSlug;
use comanda_ports::{Actor, TenantRepository};
use comanda_postgres::{
    Database, PgCustomerRepository, PgGroupRepository, PgImportRepository, PgStoreRepository,
    PgTenantRepository, PgUserRepository,
};
use comanda_services::customers::CustomerService;
use comanda_services::imports::{ImportKind, ImportService};
use comanda_services::seed::{DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, SeedOutcome};
use comanda_services::users::UserService;

/// Exit status when a file was imported but some of its rows were refused.
const EXIT_ROWS_REJECTED: u8 = 3;

#[derive(Parser)]
#[command(
    name = "comanda",
    version = comanda_api::build_info::CLI_VERSION,
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
    /// Create the demo tenant `demo` (plan, store, bands, menu, owner); running it again changes
    /// nothing.
    Seed,
    /// Create an owner, or make an existing user of the tenant an active owner with a new
    /// password. The password is read from standard input (first line), or asked for on a
    /// terminal.
    CreateOwner {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Import a CSV export (UTF-8, comma or semicolon separated, header on the first line).
    /// Valid rows are written in one transaction; refused rows are listed with their line.
    /// Exit status 3 when some rows were refused.
    Import {
        what: ImportWhat,
        file: PathBuf,
        #[arg(long)]
        tenant: String,
    },
    /// Rewrite stored customer phones to E.164 and report those that could not be.
    NormalizePhones {
        /// Only this tenant (all tenants when omitted).
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Merge customers of a tenant that share a normalized phone into the oldest one (or the
    /// one already holding the normalized phone): their orders move to it.
    MergeCustomers {
        #[arg(long)]
        tenant: Option<String>,
        /// Show the merges without doing them.
        #[arg(long)]
        dry_run: bool,
    },
    /// Dump the database with `pg_dump` (custom format).
    Backup {
        #[arg(long, short)]
        output: PathBuf,
    },
    /// Restore a dump with `pg_restore`; refuses a database that has tables unless `--force`
    /// (which replaces what the dump holds).
    Restore {
        #[arg(long, short)]
        input: PathBuf,
        #[arg(long)]
        force: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ImportWhat {
    Customers,
    Products,
    Orders,
}

impl From<ImportWhat> for ImportKind {
    fn from(what: ImportWhat) -> Self {
        match what {
            ImportWhat::Customers => Self::Customers,
            ImportWhat::Products => Self::Products,
            ImportWhat::Orders => Self::Orders,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The CLI signs nothing that outlives it: missing signing secrets are no problem here.
    let settings = match Settings::from_env(MissingSecrets::RandomForThisRun) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    // The CLI's work is short and local: logs only, no traces.
    let telemetry = telemetry::init(&settings.server, None);
    let code = match run(cli.command, &settings).await {
        Ok(code) => code,
        Err(error) => match ConfigurationProblem::find(&error) {
            Some(problem) => {
                eprintln!("{problem}");
                ExitCode::from(2)
            }
            None => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        },
    };
    telemetry.shutdown().await;
    code
}

fn database(settings: &Settings) -> anyhow::Result<Database> {
    comanda_api::startup::database(settings)
}

/// The active tenant with this slug.
async fn tenant(db: &Database, slug: &str) -> anyhow::Result<TenantId> {
    let slug = TenantSlug::parse(slug).map_err(|error| anyhow::anyhow!("--tenant: {error}"))?;
    PgTenantRepository::new(db.clone())
        .find_by_slug(&slug)
        .await
        .context("looking the tenant up")?
        .map(|tenant| tenant.id)
        .ok_or_else(|| anyhow::anyhow!("no active tenant `{slug}`"))
}

async fn optional_tenant(db: &Database, slug: Option<&str>) -> anyhow::Result<Option<TenantId>> {
    match slug {
        Some(slug) => Ok(Some(tenant(db, slug).await?)),
        None => Ok(None),
    }
}

/// A service's error as one line, naming each field at fault.
fn service_error(error: comanda_services::ServiceError) -> anyhow::Error {
    match error {
        comanda_services::ServiceError::Validation(problems) => anyhow::anyhow!(
            "{}",
            problems
                .iter()
                .map(|problem| format!("{}: {}", problem.field, problem.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::anyhow!("{other}"),
    }
}

/// The first line of standard input, or a hidden prompt on a terminal.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password("Password: ").context("reading the password");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

async fn run(command: Command, settings: &Settings) -> anyhow::Result<ExitCode> {
    let actor = Actor::system();
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
                    println!("demo tenant `{}` created ({})", tenant.slug, tenant.id);
                }
                SeedOutcome::AlreadyPresent(tenant) => println!(
                    "demo tenant `{}` already present ({}); nothing changed",
                    tenant.slug, tenant.id
                ),
            }
            println!(
                "owner: {DEMO_OWNER_EMAIL} / {DEMO_OWNER_PASSWORD} (send X-Tenant: demo; unless the password was changed since)"
            );
        }
        Command::CreateOwner {
            tenant: slug,
            email,
            name,
        } => {
            let db = database(settings)?;
            let tenant = tenant(&db, &slug).await?;
            let password = read_password()?;
            let users = UserService::new(
                Arc::new(PgUserRepository::new(db.clone())),
                Arc::new(PgGroupRepository::new(db)),
                Arc::new(Argon2PasswordHasher::new().context("preparing password hashing")?),
            );
            let (user, created) = users
                .ensure_owner(tenant, &email, &password, &name, &actor)
                .await
                .map_err(service_error)?;
            if created {
                println!("owner {} created in `{slug}` ({})", user.email, user.id);
            } else {
                println!(
                    "{} of `{slug}` is now an active owner with the new password; their sessions were ended",
                    user.email
                );
            }
        }
        Command::Import {
            what,
            file,
            tenant: slug,
        } => {
            let kind = ImportKind::from(what);
            // The whole file is read and checked before anything is written.
            let records = csv_file::read(&file, kind)?;
            let db = database(settings)?;
            let tenant = tenant(&db, &slug).await?;
            let service = ImportService::new(
                Arc::new(PgImportRepository::new(db.clone())),
                Arc::new(PgStoreRepository::new(db)),
            );
            let bar = progress::Progress::new(records.len());
            let report = service
                .import(tenant, kind, &records, &actor, &|done| bar.set(done))
                .await
                .map_err(|error| service_error(error).context("nothing was imported"))?;
            bar.finish();
            for rejected in &report.rejected {
                println!("line {}: {}", rejected.line, rejected.reason);
            }
            println!(
                "{}: {} rows, {} created, {} updated, {} unchanged, {} rejected",
                kind.as_str(),
                report.rows,
                report.counts.created,
                report.counts.updated,
                report.counts.unchanged,
                report.rejected.len()
            );
            if !report.rejected.is_empty() {
                return Ok(ExitCode::from(EXIT_ROWS_REJECTED));
            }
        }
        Command::NormalizePhones { tenant: slug } => {
            let db = database(settings)?;
            let tenant = optional_tenant(&db, slug.as_deref()).await?;
            let customers = CustomerService::new(Arc::new(PgCustomerRepository::new(db)));
            let report = customers
                .normalize_phones(tenant, &actor)
                .await
                .map_err(service_error)?;
            for (tenant, customer, from, to) in &report.rewritten {
                println!("rewritten: tenant {tenant} customer {customer}: `{from}` → {to}");
            }
            for (tenant, customer, phone) in &report.unparseable {
                println!(
                    "not a Brazilian number: tenant {tenant} customer {customer}: `{phone}` (left as it is)"
                );
            }
            for (tenant, customer, from, to) in &report.conflicts {
                println!(
                    "conflict: tenant {tenant} customer {customer}: `{from}` is {to}, which another customer has (run merge-customers)"
                );
            }
            println!(
                "phones: {} rewritten, {} already E.164, {} unreadable, {} conflicts",
                report.rewritten.len(),
                report.already,
                report.unparseable.len(),
                report.conflicts.len()
            );
        }
        Command::MergeCustomers {
            tenant: slug,
            dry_run,
        } => {
            let db = database(settings)?;
            let tenant = optional_tenant(&db, slug.as_deref()).await?;
            let customers = CustomerService::new(Arc::new(PgCustomerRepository::new(db)));
            let groups = customers
                .duplicate_groups(tenant)
                .await
                .map_err(service_error)?;
            for group in &groups {
                let merged: Vec<String> = group.merged.iter().map(ToString::to_string).collect();
                println!(
                    "tenant {} phone {}: keep {}, merge {}",
                    group.tenant,
                    group.phone,
                    group.survivor,
                    merged.join(", ")
                );
                if !dry_run {
                    customers
                        .merge_group(group, &actor)
                        .await
                        .map_err(|error| {
                            anyhow::anyhow!("merging into {}: {error}", group.survivor)
                        })?;
                }
            }
            let merged: usize = groups.iter().map(|group| group.merged.len()).sum();
            if dry_run {
                println!(
                    "dry run: {merged} customers would be merged into {} (nothing changed)",
                    groups.len()
                );
            } else {
                println!("{merged} customers merged into {}", groups.len());
            }
        }
        Command::Backup { output } => {
            backup::dump(settings.database.url.expose(), &output)?;
            println!("backup written to {}", output.display());
        }
        Command::Restore { input, force } => {
            backup::restore(settings.database.url.expose(), &input, force).await?;
            println!("restored {}", input.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
