//! `probity`: runs Probity's services and talks to them.
//!
//! - `probity up`: every service in one process on one port, embedded
//!   SQLite under the data folder, development keys and tokens.
//! - `probity serve <service>`: one service alone (per-service deployment).
//! - `probity health`: exits 0 only when the server reports SERVING.
//! - `probity tls fingerprint|register|dev-client`: the agency table of
//!   client certificates.
//! - `probity keys init|rotate|trust`: the issuer key, trusted public keys.
//! - `probity import members|organizations FILE`: a clerk's spreadsheet
//!   through the public API, with a dry run and a per-row error report.
//! - `probity report issue|list|verify|render`: period reports with the
//!   provenance of every figure.
//! - `probity token issue|revoke`: mints a token with the issuer key;
//!   revokes one by its id.

mod audit;
mod config;
mod data_dir;
mod import;
mod keys;
mod progress;
mod report;
mod run;
mod tls;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: the services allocate many
/// small, short-lived values across threads (rows, messages), where
/// glibc's allocator showed as ~17 % of the seed load's samples under
/// `perf`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = config::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("probity: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("probity: {e:#}");
            ExitCode::from(2)
        }
    }
}
