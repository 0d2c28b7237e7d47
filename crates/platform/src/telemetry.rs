//! Traces: OpenTelemetry spans exported over OTLP/gRPC when configured
//! (`--otlp-endpoint`), and W3C trace context (`traceparent`) carried
//! across services.
//!
//! Each call's `rpc` span (the gateway's) becomes a server span named by
//! its method, a child of the caller's `traceparent` when one came; a call
//! a service makes to another on behalf of its caller
//! ([`crate::client::on_behalf`]) carries the current span as the next
//! `traceparent`, so one trace runs through study or oversight into
//! members. Without an exporter no span is recorded, but a `traceparent`
//! that came in is still passed on unchanged, so a trace stays whole
//! across a service that does not export. Spans carry the method, code,
//! request id and agency — never a token or a record's content.

use std::collections::HashMap;

use opentelemetry::{
    Context,
    propagation::{Extractor, Injector, TextMapPropagator},
    trace::TracerProvider as _,
};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::{Resource, propagation::TraceContextPropagator, trace::SdkTracerProvider};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The W3C trace-context header.
pub const TRACEPARENT: &str = "traceparent";

/// Where to send spans, and as which service.
#[derive(Debug, Clone)]
pub struct Otlp {
    /// The collector's OTLP/gRPC endpoint, e.g. `http://127.0.0.1:4317`.
    pub endpoint: String,
    /// The `service.name` the spans carry (`probity-members`, …).
    pub service: String,
}

/// Keeps the exporter running; flushes and stops it when dropped.
#[derive(Debug)]
pub struct Tracing(SdkTracerProvider);

impl Drop for Tracing {
    fn drop(&mut self) {
        let _ = self.0.shutdown();
    }
}

/// A tracing layer exporting spans to `otlp`, and the guard that flushes
/// them. Must run inside the Tokio runtime (the exporter's channel lives
/// there).
pub fn layer<S>(
    otlp: &Otlp,
) -> Result<
    (
        tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::Tracer>,
        Tracing,
    ),
    String,
>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(otlp.endpoint.clone())
        .build()
        .map_err(|e| format!("OTLP exporter for {}: {e}", otlp.endpoint))?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder_empty()
                .with_service_name(otlp.service.clone())
                .build(),
        )
        .build();
    let tracer = provider.tracer("probity");
    Ok((
        tracing_opentelemetry::layer().with_tracer(tracer),
        Tracing(provider),
    ))
}

struct Headers<'a>(&'a http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Makes `span` a child of the trace context in `headers`, if any.
pub fn continue_trace(span: &tracing::Span, headers: &http::HeaderMap) {
    if headers.contains_key(TRACEPARENT) {
        let parent = TraceContextPropagator::new().extract(&Headers(headers));
        let _ = span.set_parent(parent);
    }
}

/// The `traceparent` of the current span, when spans are being recorded.
pub fn current_traceparent() -> Option<String> {
    let context: Context = tracing::Span::current().context();
    let mut fields: HashMap<String, String> = HashMap::new();
    struct Fields<'a>(&'a mut HashMap<String, String>);
    impl Injector for Fields<'_> {
        fn set(&mut self, key: &str, value: String) {
            self.0.insert(key.to_string(), value);
        }
    }
    TraceContextPropagator::new().inject_context(&context, &mut Fields(&mut fields));
    fields.remove(TRACEPARENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_an_exporter_there_is_no_span_context_to_pass_on() {
        assert_eq!(current_traceparent(), None);
        let mut headers = http::HeaderMap::new();
        headers.insert(
            TRACEPARENT,
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                .parse()
                .unwrap(),
        );
        // Without the layer, continuing a trace is a no-op, not an error.
        continue_trace(&tracing::info_span!("rpc"), &headers);
    }
}
