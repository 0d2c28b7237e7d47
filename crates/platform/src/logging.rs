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
    init_with(filter, format, None).map(|_| ())
}

/// [`init_as`], also exporting spans to `otlp` when given
/// ([`crate::telemetry`]); keep the returned guard until the process ends
/// (dropping it flushes the last spans). Must run inside the Tokio runtime
/// when `otlp` is given.
pub fn init_with(
    filter: &str,
    format: LogFormat,
    otlp: Option<&crate::telemetry::Otlp>,
) -> Result<Option<crate::telemetry::Tracing>, String> {
    use tracing_subscriber::{layer::SubscriberExt, util::SubscriberInitExt};
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .map_err(|e| format!("bad log filter {filter:?}: {e}"))?;
    let text = (format == LogFormat::Text).then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
    });
    let json = (format == LogFormat::Json).then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
    });
    let registry = tracing_subscriber::registry().with(text).with(json);
    let (otel, guard) = match otlp {
        Some(otlp) => {
            let (layer, guard) = crate::telemetry::layer(otlp)?;
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    // The filter applies to spans as to lines: a call's `rpc` span is at
    // `info`, so it is exported whenever calls are logged.
    registry
        .with(otel)
        .with(filter)
        .try_init()
        .map_err(|e| e.to_string())?;
    Ok(guard)
}
