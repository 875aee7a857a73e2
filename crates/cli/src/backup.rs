//! `comanda backup` and `comanda restore`: `pg_dump` / `pg_restore` in custom format. The
//! connection goes to them through `PG*` variables, so the password never shows in a process
//! list.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

/// `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE` (and `sslmode`) from the URL.
fn connection_env(database_url: &str) -> anyhow::Result<Vec<(&'static str, String)>> {
    let url = url::Url::parse(database_url).context("DATABASE_URL is not a URL")?;
    let decode = |raw: &str| {
        url::form_urlencoded::parse(format!("v={raw}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default()
    };
    let mut env = vec![("PGDATABASE", decode(url.path().trim_start_matches('/')))];
    if let Some(host) = url.host_str() {
        env.push((
            "PGHOST",
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
        ));
    }
    if let Some(port) = url.port() {
        env.push(("PGPORT", port.to_string()));
    }
    if !url.username().is_empty() {
        env.push(("PGUSER", decode(url.username())));
    }
    if let Some(password) = url.password() {
        env.push(("PGPASSWORD", decode(password)));
    }
    for (key, value) in url.query_pairs() {
        if key == "sslmode" {
            env.push(("PGSSLMODE", value.into_owned()));
        }
    }
    Ok(env)
}

fn run(mut command: Command, what: &str) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("starting {what} (is the PostgreSQL client installed?)"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

pub fn dump(database_url: &str, output: &Path) -> anyhow::Result<()> {
    let mut command = Command::new("pg_dump");
    command
        .args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
        .arg(output)
        .envs(connection_env(database_url)?);
    run(command, "pg_dump")
}

pub async fn restore(database_url: &str, input: &Path, force: bool) -> anyhow::Result<()> {
    if !input.is_file() {
        bail!("{}: no such file", input.display());
    }
    comanda_postgres::ensure_database_exists(database_url)
        .await
        .map_err(|error| anyhow::anyhow!("preparing the database: {error}"))?;
    let tables = comanda_postgres::count_tables(database_url)
        .await
        .map_err(|error| anyhow::anyhow!("looking into the database: {error}"))?;
    if tables > 0 && !force {
        bail!(
            "the database already has {tables} tables: restore into an empty database, or pass --force to replace what the dump holds"
        );
    }
    let env = connection_env(database_url)?;
    let database = env
        .iter()
        .find(|(key, _)| *key == "PGDATABASE")
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    let mut command = Command::new("pg_restore");
    command
        .args([
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
        ])
        .arg(format!("--dbname={database}"));
    if force {
        command.args(["--clean", "--if-exists"]);
    }
    command.arg(input).envs(env);
    run(command, "pg_restore")
}
