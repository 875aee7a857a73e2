//! `comanda backup` and `comanda restore`: `pg_dump` / `pg_restore` in custom format. They get
//! `DATABASE_URL` as it is (libpq reads its `sslmode`, `sslrootcert` and every other parameter
//! itself), but for the password, which goes in `PGPASSWORD` so it never shows in a process
//! list.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

/// The URL to hand to libpq (without its password) and the password, percent-decoded exactly
/// as libpq would (`+` stays `+`).
fn connection(database_url: &str) -> anyhow::Result<(String, Option<String>)> {
    let mut url = url::Url::parse(database_url).context("DATABASE_URL is not a URL")?;
    let password = match url.password() {
        Some(raw) => {
            Some(percent_decode(raw).context("DATABASE_URL: the password is not valid UTF-8")?)
        }
        None => None,
    };
    if password.is_some() {
        url.set_password(None)
            .map_err(|()| anyhow::anyhow!("DATABASE_URL: cannot take the password out"))?;
    }
    Ok((url.to_string(), password))
}

fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[index], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                index += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8(decoded).ok()
}

/// `--dbname=<url>` and `PGPASSWORD` for a client tool.
fn connect_to(command: &mut Command, database_url: &str) -> anyhow::Result<()> {
    let (url, password) = connection(database_url)?;
    command.arg(format!("--dbname={url}"));
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    Ok(())
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
        .arg(output);
    connect_to(&mut command, database_url)?;
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
    let mut command = Command::new("pg_restore");
    command.args([
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
    ]);
    connect_to(&mut command, database_url)?;
    if force {
        command.args(["--clean", "--if-exists"]);
    }
    command.arg(input);
    run(command, "pg_restore")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_goes_as_it_is_and_the_password_decoded_exactly() {
        let (url, password) = connection(
            "postgres://app:p+w%25d%40x@db.example.com:6432/comanda?sslmode=verify-full&sslrootcert=/ca.pem",
        )
        .expect("parses");
        assert_eq!(password.as_deref(), Some("p+w%d@x"));
        assert_eq!(
            url,
            "postgres://app@db.example.com:6432/comanda?sslmode=verify-full&sslrootcert=/ca.pem"
        );
        let (url, password) = connection("postgres://postgres@127.0.0.1/x").expect("parses");
        assert_eq!(
            (url.as_str(), password),
            ("postgres://postgres@127.0.0.1/x", None)
        );
    }
}
