//! Log output: human-readable lines on standard error, filtered by an
//! `EnvFilter` directive such as `info` or `probity_members=debug`.

/// Installs the global subscriber. Fails when the directive is malformed
/// or a subscriber is already installed.
pub fn init(filter: &str) -> Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .map_err(|e| format!("bad log filter {filter:?}: {e}"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init()
        .map_err(|e| e.to_string())
}
