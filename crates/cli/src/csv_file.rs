//! Reading an import file whole before anything is written: a file that cannot be read as CSV
//! with the expected header is an error, and nothing changes.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, bail};
use comanda_services::imports::{CsvRecord, ImportKind};

/// Spreadsheets in Brazil often save with `;`: whichever the header uses more.
fn delimiter(header: &str) -> u8 {
    if header.matches(';').count() > header.matches(',').count() {
        b';'
    } else {
        b','
    }
}

pub fn read(path: &Path, kind: ImportKind) -> anyhow::Result<Vec<CsvRecord>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) => text,
        Err(error) => {
            let line = bytes[..error.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            bail!(
                "{}: line {line} is not UTF-8 (save the file as UTF-8 CSV)",
                path.display()
            );
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(header_line) = text.lines().find(|line| !line.trim().is_empty()) else {
        bail!("{}: the file is empty", path.display());
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(header_line))
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .with_context(|| format!("{}: reading the header", path.display()))?
        .iter()
        .map(|column| column.trim().to_lowercase())
        .collect();
    let mut seen = HashSet::new();
    if let Some(twice) = header.iter().find(|column| !seen.insert(column.as_str())) {
        bail!(
            "{}: the column `{twice}` appears twice in the header",
            path.display()
        );
    }
    let missing: Vec<&str> = kind
        .required_columns()
        .iter()
        .copied()
        .filter(|column| !header.iter().any(|present| present == column))
        .collect();
    if !missing.is_empty() {
        bail!(
            "{}: missing column(s) {} (a {} file needs {}; optional: {})",
            path.display(),
            missing.join(", "),
            kind.as_str(),
            kind.required_columns().join(", "),
            kind.optional_columns().join(", ")
        );
    }
    let mut records = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|error| {
            let line = error.position().map_or(0, csv::Position::line);
            anyhow::anyhow!("{}: line {line}: {error}", path.display())
        })?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let line = record.position().map_or(0, csv::Position::line);
        let fields: HashMap<String, String> = header
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_owned))
            .collect();
        records.push(CsvRecord { line, fields });
    }
    Ok(records)
}
