//! Records the commit the binaries are built from, for `--version` and `comanda_build_info`.
//! `COMANDA_COMMIT` (the Dockerfile passes it) wins; else `git rev-parse`; else `unknown`.
//! Only a change of `COMANDA_COMMIT` re-runs this: incremental builds keep the commit of their
//! first build, release images pass it explicitly.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=COMANDA_COMMIT");
    println!("cargo:rerun-if-changed=build.rs");
    let commit = std::env::var("COMANDA_COMMIT")
        .ok()
        .filter(|commit| !commit.trim().is_empty())
        .or_else(|| {
            Command::new("git")
                .args(["rev-parse", "--short=12", "HEAD"])
                .output()
                .ok()
                .filter(|output| output.status.success())
                .and_then(|output| String::from_utf8(output.stdout).ok())
        })
        .map(|commit| commit.trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=COMANDA_COMMIT={commit}");
}
