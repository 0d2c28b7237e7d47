//! Calling Probity services: a channel that sends a bearer token on every
//! call, for the CLI, the load generators and the tests.

use tonic::{
    metadata::{Ascii, MetadataValue},
    service::{Interceptor, interceptor::InterceptedService},
    transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity},
};

/// Adds `authorization: Bearer <token>` to every call.
#[derive(Clone)]
pub struct Bearer(MetadataValue<Ascii>);

impl Bearer {
    /// The interceptor for `token`; `None` when the token is not ASCII.
    pub fn new(token: &str) -> Option<Self> {
        format!("Bearer {}", token.trim()).parse().ok().map(Self)
    }
}

impl Interceptor for Bearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        request
            .metadata_mut()
            .insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// A channel that sends a token; give it to any generated client's `new`.
pub type Authed = InterceptedService<Channel, Bearer>;

/// Wraps `channel` so that every call carries `token`.
pub fn with_token(channel: Channel, token: &str) -> Option<Authed> {
    Bearer::new(token).map(|b| InterceptedService::new(channel, b))
}

/// What a client needs to call a TLS server: the CA that signed the
/// server's certificate and, for mutual TLS, its own certificate and key
/// (all PEM text).
#[derive(Debug, Clone, Default)]
pub struct ClientTls {
    /// CA certificates that may sign the server's certificate.
    pub ca: String,
    /// The client's certificate and private key, for mutual TLS.
    pub identity: Option<(String, String)>,
}

impl ClientTls {
    /// Reads the PEM files: `ca`, and `cert` with `key` when both are given.
    pub fn from_files(
        ca: &std::path::Path,
        cert: Option<&std::path::Path>,
        key: Option<&std::path::Path>,
    ) -> Result<Self, String> {
        let read = |p: &std::path::Path| {
            std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))
        };
        let identity = match (cert, key) {
            (Some(c), Some(k)) => Some((read(c)?, read(k)?)),
            (None, None) => None,
            _ => {
                return Err("a client certificate needs its key, and a key its certificate".into());
            }
        };
        Ok(Self {
            ca: read(ca)?,
            identity,
        })
    }
}

/// An endpoint for `url`: plaintext for `http://`, TLS for `https://`
/// (which needs `tls`). Connections use `TCP_NODELAY` and give up
/// connecting after 5 s.
pub fn endpoint(url: &str, tls: Option<&ClientTls>) -> Result<Endpoint, String> {
    let endpoint = Endpoint::from_shared(url.to_string())
        .map_err(|e| format!("bad URL {url:?}: {e}"))?
        .connect_timeout(std::time::Duration::from_secs(5))
        .tcp_nodelay(true);
    match (url.starts_with("https://"), tls) {
        (false, _) => Ok(endpoint),
        (true, None) => Err(format!(
            "{url} speaks TLS: give the CA that signed its certificate"
        )),
        (true, Some(tls)) => {
            let mut config = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&tls.ca));
            if let Some((cert, key)) = &tls.identity {
                config = config.identity(Identity::from_pem(cert, key));
            }
            endpoint
                .tls_config(config)
                .map_err(|e| format!("TLS settings for {url}: {e}"))
        }
    }
}

/// A request to another service made on behalf of `call`: it carries the
/// caller's token, request id and trace context, and a timeout that ends no later than
/// the caller's own deadline (at most `cap`).
pub fn on_behalf<T>(call: &crate::Call, message: T, cap: std::time::Duration) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(value) = call.authorization.as_deref().and_then(|a| a.parse().ok()) {
        request.metadata_mut().insert("authorization", value);
    }
    if let Ok(value) = call.request_id.parse() {
        request.metadata_mut().insert("x-request-id", value);
    }
    // The current span when spans are recorded, else what the caller sent.
    let traceparent = crate::telemetry::current_traceparent().or_else(|| call.traceparent.clone());
    if let Some(value) = traceparent.and_then(|t| t.parse().ok()) {
        request
            .metadata_mut()
            .insert(crate::telemetry::TRACEPARENT, value);
    }
    let timeout = call
        .deadline
        .map(|d| {
            d.saturating_duration_since(std::time::Instant::now())
                .min(cap)
        })
        .unwrap_or(cap);
    request.set_timeout(timeout);
    request
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::auth::{Caller, Claims};

    fn call(deadline: Option<Instant>) -> crate::Call {
        let caller = Caller::try_from(Claims::new("s", "a", &[], &[], 0, 60)).unwrap();
        crate::Call::from_parts(
            caller,
            crate::call::CallInfo {
                method: "/x.Y/Z".into(),
                request_id: "req-1".into(),
                authorization: Some("Bearer abc".into()),
                deadline,
                clock: crate::Clock::system(),
                rule: None,
                page_key: crate::pagination::PageKey::generate(),
                idempotency_retention: crate::write::DEFAULT_IDEMPOTENCY_RETENTION,
                traceparent: None,
            },
        )
    }

    fn timeout_of<T>(r: &tonic::Request<T>) -> Duration {
        let v = r.metadata().get("grpc-timeout").unwrap().to_str().unwrap();
        crate::call::parse_grpc_timeout(v).unwrap()
    }

    #[test]
    fn forwards_token_request_id_and_deadline() {
        let r = on_behalf(
            &call(Some(Instant::now() + Duration::from_secs(2))),
            (),
            Duration::from_secs(30),
        );
        assert_eq!(r.metadata().get("authorization").unwrap(), "Bearer abc");
        assert_eq!(r.metadata().get("x-request-id").unwrap(), "req-1");
        let t = timeout_of(&r);
        assert!(
            t <= Duration::from_secs(2) && t > Duration::from_secs(1),
            "{t:?}"
        );
        let r = on_behalf(&call(None), (), Duration::from_secs(30));
        assert_eq!(
            timeout_of(&r),
            Duration::from_secs(30),
            "no deadline: the cap"
        );
        let r = on_behalf(
            &call(Some(Instant::now() + Duration::from_secs(300))),
            (),
            Duration::from_secs(30),
        );
        assert_eq!(
            timeout_of(&r),
            Duration::from_secs(30),
            "the cap wins over a far deadline"
        );
    }

    #[test]
    fn without_spans_the_callers_traceparent_is_passed_on_unchanged() {
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let mut traced = call(None);
        traced.traceparent = Some(parent.into());
        let r = on_behalf(&traced, (), Duration::from_secs(30));
        assert_eq!(r.metadata().get("traceparent").unwrap(), parent);
        let r = on_behalf(&call(None), (), Duration::from_secs(30));
        assert!(r.metadata().get("traceparent").is_none());
    }
}
