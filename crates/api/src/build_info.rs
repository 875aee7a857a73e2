//! What this binary is: its version and the commit it was built from (see `build.rs`).

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const COMMIT: &str = env!("COMANDA_COMMIT");

/// `comanda-server 0.1.0 (commit 1a2b3c4d5e6f)`, what `--version` prints.
pub fn describe(binary: &str) -> String {
    format!("{binary} {VERSION} (commit {COMMIT})")
}

/// `0.1.0 (commit 1a2b3c4d5e6f)`, for clap's `--version` of `comanda`.
pub const CLI_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("COMANDA_COMMIT"),
    ")"
);
