//! Log output on standard error, filtered by an `EnvFilter` directive such
//! as `info` or `probity_members=debug`: human-readable lines, coloured
//! only when standard error is a terminal, or one JSON object a line for a
//! log collector. The gateway writes one line per call at `info` (method,
//! gRPC code, duration, request id, the caller's agency — never a token or
//! a record's content).

use std::io::IsTerminal;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (colour only on a terminal).
    #[default]
    Text,
    /// One JSON object a line: `timestamp`, `level`, `target`, the event's
    /// fields flattened, and the call's span (`method`, `request_id`,
    /// `caller`) under `span`.
    Json,
}

/// Installs the global subscriber writing text. Fails when the directive
/// is malformed or a subscriber is already installed.
pub fn init(filter: &str) -> Result<(), String> {
    init_as(filter, LogFormat::Text)
}

/// Installs the global subscriber writing `format`. Fails when the
/// directive is malformed or a subscriber is already installed.
pub fn init_as(filter: &str, format: LogFormat) -> Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .map_err(|e| format!("bad log filter {filter:?}: {e}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    }
    .map_err(|e| e.to_string())
}
