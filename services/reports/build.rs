//! Rebuilds when a migration is added: `sqlx::migrate!` embeds the files of
//! `migrations/` at build time but cannot tell Cargo to watch the folder.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
