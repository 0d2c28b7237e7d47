//! What the benchmark programs share: timing a call as the median of
//! several runs after a warm-up, and printing milliseconds.

use std::time::{Duration, Instant};

use anyhow::Result;

/// The median of `v` (which must not be empty).
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Runs `f` once to warm up, then `runs` times; returns the median time.
pub async fn time<F, Fut>(runs: usize, mut f: F) -> Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    f().await?;
    let mut times = Vec::with_capacity(runs.max(1));
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        f().await?;
        times.push(start.elapsed());
    }
    Ok(median(times))
}

/// A token of `issuer` for `sub` of agency `bench` holding `role` over
/// the whole tree, valid for the 12 hours servers allow by default.
pub fn token(issuer: &probity_platform::auth::Issuer, sub: &str, role: &str) -> String {
    let now = probity_platform::Clock::system().now_seconds();
    issuer.sign(&probity_platform::auth::Claims::new(
        sub,
        "bench",
        &[role],
        &["*"],
        now,
        12 * 3600,
    ))
}

/// `d` as `12.34 ms`.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// The members service served in this process for a benchmark: its
/// server, and the issuer whose tokens it trusts.
pub struct MembersServer {
    /// The running server (stops when dropped).
    pub server: probity_platform::server::RunningServer,
    /// Mints the benchmark's tokens.
    pub issuer: probity_platform::auth::Issuer,
}

/// Starts the members service over `url` (`schema` on PostgreSQL) with a
/// pool of `connections` (SQLite: `cache_kib` of page cache each), without
/// per-agency rates (the service's own throughput is measured) and with
/// `max_calls` in progress at most.
pub async fn start_members(
    url: &str,
    schema: &str,
    connections: u32,
    cache_kib: u32,
    max_calls: usize,
) -> Result<MembersServer> {
    use probity_platform::{
        Database,
        auth::{Issuer, TokenRules, Verifier},
        server::{ServerBuilder, ServerConfig},
    };
    let issuer = Issuer::generate();
    let db = Database::connect_with_cache(url, schema, connections, cache_kib)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut config = ServerConfig::new(std::sync::Arc::new(Verifier::trusting(
        &issuer,
        TokenRules::default(),
    )));
    config.admission = probity_platform::admission::Admission::default().without_rates();
    config.max_calls_in_progress = max_calls;
    let mut builder = ServerBuilder::new(config);
    probity_members::register(&mut builder, db)?;
    let server = builder.spawn("127.0.0.1:0".parse()?).await?;
    Ok(MembersServer { server, issuer })
}

/// Starts a service for a benchmark: `register` over a fresh pool of 8
/// connections to `url` (`schema` on PostgreSQL), trusting `key`'s tokens,
/// without per-agency rates (the service's own throughput is measured).
pub async fn start_service(
    key: &probity_platform::auth::Issuer,
    url: &str,
    schema: &str,
    register: impl FnOnce(
        &mut probity_platform::server::ServerBuilder,
        probity_platform::Database,
    ) -> Result<()>,
) -> Result<probity_platform::server::RunningServer> {
    use probity_platform::{
        Database,
        auth::{TokenRules, Verifier},
        server::{ServerBuilder, ServerConfig},
    };
    let db = Database::connect(url, schema, 8)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut config = ServerConfig::new(std::sync::Arc::new(Verifier::trusting(
        key,
        TokenRules::default(),
    )));
    config.admission = probity_platform::admission::Admission::default().without_rates();
    let mut builder = ServerBuilder::new(config);
    register(&mut builder, db)?;
    Ok(builder.spawn("127.0.0.1:0".parse()?).await?)
}
