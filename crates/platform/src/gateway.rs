//! The tower layer in front of every Probity server. For each call it:
//! - takes the `x-request-id` metadata (or makes one), echoes it back on the
//!   response and records it on a tracing span for the call;
//! - lets health and reflection through unauthenticated, and the methods
//!   open without a token ([`Access::Open`]) with an anonymous caller,
//!   rate-limited per source address;
//! - answers `UNAVAILABLE` until the server is ready (migrations done);
//! - verifies the bearer token and puts the [`Caller`] and [`CallInfo`] in
//!   the request extensions, or answers `UNAUTHENTICATED`;
//! - looks the method up in the server's [`Policy`] and answers
//!   `PERMISSION_DENIED` (`MISSING_ROLE`) when it has no rule (deny by
//!   default) or the caller lacks the rule's roles or, for a whole-tree
//!   method, the whole tree in scope. The rule goes into the [`CallInfo`]
//!   for the handler's scope check;
//! - admits at most a configured number of business calls at once: one more
//!   is refused at once (`RESOURCE_EXHAUSTED`, `OVERLOADED`, `RetryInfo`);
//! - writes one line per call at `info`, in the call's span: its gRPC code,
//!   duration and the caller's agency (health, reflection and the calls
//!   open without a token at `debug`, without an agency).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
};

use futures::future::BoxFuture;
use http::{HeaderValue, Request, Response};
use tonic::body::Body;
use tower::{Layer, Service};
use tracing::Instrument;

use std::collections::HashMap;

use crate::{
    admission::{Admission, MethodClass, Rates, classify},
    auth::{Caller, Verifier},
    call::CallInfo,
    clock::Clock,
    error::ApiError,
    pagination::PageKey,
    policy::{Access, Policy, Rule},
    server::ServerConfig,
    stream_limits::{ClientStreamLimits, DeadlineResponse, LimitedRequest},
};

/// The metadata key carrying the request id.
pub const REQUEST_ID: &str = "x-request-id";

/// Shared state of the gateway.
#[derive(Clone, Debug)]
pub struct GatewayLayer {
    verifier: Arc<Verifier>,
    ready: Arc<AtomicBool>,
    domain: Arc<str>,
    clock: Clock,
    policy: Arc<Policy>,
    page_key: PageKey,
    retention: std::time::Duration,
    calls: Arc<tokio::sync::Semaphore>,
    served: Arc<std::collections::HashSet<String>>,
    /// The headers of the `OVERLOADED` answer, made once.
    overloaded: Arc<http::HeaderMap>,
    tls: Option<Arc<crate::tls::ServerTls>>,
    admission: Arc<Admission>,
    classes: Arc<HashMap<String, MethodClass>>,
    rates: Arc<Rates>,
    metrics: Arc<crate::metrics::Metrics>,
}

/// How long a refused caller is told to wait when the server is full.
pub const OVERLOAD_RETRY: std::time::Duration = std::time::Duration::from_secs(1);

impl GatewayLayer {
    /// The gateway of a server configured by `config`: verifies tokens
    /// with its key against its clock, admits calls by `policy`, serves
    /// business calls only once `ready` is set, seals page tokens with its
    /// page key, answers retries for its retention, and admits at most its
    /// `max_calls_in_progress` business calls at once — one more is refused
    /// at once (`RESOURCE_EXHAUSTED`, `OVERLOADED`, with a `RetryInfo`),
    /// never queued. Its own refusals carry its error domain; every call
    /// gets its clock in the [`CallInfo`].
    ///
    /// A call to a service this server does not run (`served` lists those
    /// it does) is answered after authentication `UNIMPLEMENTED`
    /// (`SERVED_ELSEWHERE`) naming the services it runs: clients that probe
    /// several services learn which are here.
    pub fn new(
        ready: Arc<AtomicBool>,
        config: &ServerConfig,
        policy: Policy,
        served: &[&str],
        metrics: Arc<crate::metrics::Metrics>,
    ) -> Self {
        let classes = Arc::new(classify(&policy));
        Self {
            verifier: config.verifier.clone(),
            ready,
            domain: config.error_domain.as_str().into(),
            clock: config.clock.clone(),
            policy: Arc::new(policy),
            page_key: config.page_key.clone(),
            retention: config.idempotency_retention,
            calls: Arc::new(tokio::sync::Semaphore::new(config.max_calls_in_progress)),
            served: Arc::new(served.iter().map(|s| s.to_string()).collect()),
            overloaded: Arc::new(
                ApiError::Overloaded(OVERLOAD_RETRY)
                    .into_status(&config.error_domain)
                    .into_http::<Body>()
                    .headers()
                    .clone(),
            ),
            tls: config.tls.clone(),
            classes,
            rates: Arc::new(Rates::new(&config.admission)),
            admission: Arc::new(config.admission.clone()),
            metrics,
        }
    }
}

impl GatewayLayer {
    /// The answer to a call refused for want of a place: the prepared
    /// status, with the call's request id when it brought one.
    fn overloaded<B>(&self, req: &Request<B>) -> Response<Body> {
        tracing::debug!(method = req.uri().path(), "refused: overloaded");
        let mut response = Response::new(Body::empty());
        *response.headers_mut() = (*self.overloaded).clone();
        if let Some(id) = req.headers().get(REQUEST_ID) {
            response.headers_mut().insert(REQUEST_ID, id.clone());
        }
        response
    }

    /// The caller, when the connection's client certificate (under mutual
    /// TLS) belongs to the caller's agency; and whether a Probity service
    /// forwards the call (its certificate is `*`).
    fn bound<B>(&self, req: &Request<B>, caller: Caller) -> Result<(Caller, bool), ApiError> {
        use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
        let Some(tls) = &self.tls else {
            return Ok((caller, false));
        };
        let certs = req
            .extensions()
            .get::<TlsConnectInfo<TcpConnectInfo>>()
            .and_then(|info| info.peer_certs());
        let cert = certs.as_ref().and_then(|c| c.first()).map(|c| c.as_ref());
        let holder = tls
            .admit(cert, &caller.agency)
            .map_err(|why| ApiError::Unauthenticated(why.into()))?;
        Ok((caller, holder == Some(crate::tls::Holder::Service)))
    }

    /// The refusal of a call to a service this server does not run.
    fn elsewhere(&self, path: &str) -> ApiError {
        let service = path.trim_start_matches('/').split('/').next().unwrap_or("");
        let mut here: Vec<&str> = self.served.iter().map(String::as_str).collect();
        here.sort_unstable();
        ApiError::ServedElsewhere(format!(
            "{service} is not served here; this server runs {}",
            here.join(", ")
        ))
    }

    /// True when this server runs the service of the method `path`.
    fn serves(&self, path: &str) -> bool {
        path.trim_start_matches('/')
            .split('/')
            .next()
            .is_some_and(|service| self.served.contains(service))
    }
}

impl<S> Layer<S> for GatewayLayer {
    type Service = Gateway<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Gateway {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`GatewayLayer`].
#[derive(Clone, Debug)]
pub struct Gateway<S> {
    inner: S,
    layer: GatewayLayer,
}

fn is_open(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.")
}

impl<S> Service<Request<Body>> for Gateway<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<Body>) -> Self::Future {
        // A business call holds one of the server's places until it is
        // answered; with none free it is refused now, not queued — and
        // cheaply (a prepared answer, no span, a debug line), since under
        // overload most calls are refused.
        let open = is_open(req.uri().path());
        let permit = if open {
            None
        } else {
            match self.layer.calls.clone().try_acquire_owned() {
                Ok(permit) => Some(permit),
                Err(_) => {
                    self.layer.metrics.shed();
                    let response = self.layer.overloaded(&req);
                    return Box::pin(async move { Ok(response) });
                }
            }
        };
        let request_id = req
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 128)
            .map(str::to_string)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let method = req.uri().path().to_string();
        let span = tracing::info_span!(
            "rpc",
            method = %method,
            request_id = %request_id,
            caller = tracing::field::Empty,
            "otel.name" = %method,
            "otel.kind" = "server",
        );
        crate::telemetry::continue_trace(&span, req.headers());
        let traceparent = req
            .headers()
            .get(crate::telemetry::TRACEPARENT)
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.len() <= 128)
            .map(str::to_string);

        let rule = self.layer.policy.get(&method).copied();
        let known = self.layer.classes.get(&method).copied();
        let class = known.unwrap_or(MethodClass::Read);
        // Metrics name methods of the contract only: a client cannot grow
        // the table by calling made-up paths.
        let metric_method = if known.is_some() {
            method.clone()
        } else {
            "unknown".to_string()
        };
        let in_flight = (!open).then(|| self.layer.metrics.in_flight());
        let metrics = self.layer.metrics.clone();
        let mut agency = String::new();
        let started = std::time::Instant::now();
        let refusal = if open {
            None
        } else if !self.layer.ready.load(Ordering::Acquire) {
            Some(ApiError::Unavailable(
                "server is starting or stopping".into(),
            ))
        } else if class == MethodClass::Open {
            // No token asked for or read: the caller is nobody in
            // particular, counted by source address (kept in memory only,
            // never logged or stored).
            req.extensions_mut().insert(Caller::anonymous());
            let source = source_address(&req);
            self.layer
                .rates
                .take(class, &source)
                .err()
                .map(|wait| ApiError::RateLimited(class.as_str(), wait))
        } else {
            match bearer(&req) {
                None => Some(ApiError::Unauthenticated(
                    "missing `authorization: Bearer <token>` metadata".into(),
                )),
                Some(token) => match self
                    .layer
                    .verifier
                    .verify(token, self.layer.clock.now_seconds())
                    .and_then(Caller::try_from)
                    .and_then(|caller| self.layer.bound(&req, caller))
                {
                    Ok((caller, forwarded)) => {
                        span.record("caller", caller.subject.as_str());
                        agency = caller.agency.clone();
                        // A service this server does not run is answered
                        // UNIMPLEMENTED naming those it runs, before its
                        // rule: a client that probes learns where it is.
                        let refusal = if !self.layer.serves(&method) {
                            Some(self.layer.elsewhere(&method))
                        } else {
                            admit(&method, rule.as_ref(), &caller).err()
                        }
                        .or_else(|| {
                            // A forwarded call was counted where it was made.
                            if forwarded {
                                return None;
                            }
                            let wait = self.layer.rates.take(class, &caller.agency).err()?;
                            Some(ApiError::RateLimited(class.as_str(), wait))
                        });
                        req.extensions_mut().insert(caller);
                        refusal
                    }
                    Err(e) => Some(e),
                },
            }
        };
        // A token sent to an open method is not forwarded anywhere.
        let authorization = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .filter(|_| class != MethodClass::Open)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        // The client's deadline, within its class's longest; the class's
        // when the client set none.
        let longest = self.layer.admission.of(class).deadline;
        let asked = req
            .headers()
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(crate::call::parse_grpc_timeout)
            .unwrap_or(longest);
        let deadline = std::time::Instant::now() + asked.min(longest);
        if class == MethodClass::Bulk && !open {
            let limits = ClientStreamLimits {
                idle: self.layer.admission.stream_idle,
                messages: self.layer.admission.stream_messages,
                bytes: self.layer.admission.stream_bytes,
            };
            let domain = self.layer.domain.clone();
            req = req.map(|body| Body::new(LimitedRequest::new(body, limits, domain)));
        }
        req.extensions_mut().insert(CallInfo {
            method,
            request_id: request_id.clone(),
            authorization,
            deadline: Some(deadline),
            clock: self.layer.clock.clone(),
            rule,
            page_key: self.layer.page_key.clone(),
            idempotency_retention: self.layer.retention,
            traceparent,
        });
        let header = HeaderValue::from_str(&request_id).ok();
        let domain = self.layer.domain.clone();
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(
            async move {
                let _permit = permit;
                let mut response = match refusal {
                    Some(err) => {
                        tracing::debug!(error = %err, "refused");
                        err.into_status(&domain).into_http::<Body>()
                    }
                    None if open => inner.call(req).await?,
                    None => match tokio::time::timeout_at(deadline.into(), inner.call(req)).await {
                        Ok(answer) => answer?,
                        Err(_) => ApiError::DeadlinePassed(format!(
                            "the call passed its deadline ({} ms)",
                            asked.min(longest).as_millis()
                        ))
                        .into_status(&domain)
                        .into_http::<Body>(),
                    },
                };
                if class == MethodClass::Stream && !open {
                    response =
                        response.map(|body| Body::new(DeadlineResponse::new(body, deadline)));
                }
                if let Some(value) = header {
                    response.headers_mut().insert(REQUEST_ID, value);
                }
                let code = call_code(&response);
                let elapsed = started.elapsed();
                let duration_ms = elapsed.as_secs_f64() * 1000.0;
                drop(in_flight);
                if !open {
                    metrics.record(&metric_method, code, elapsed);
                }
                if open {
                    tracing::debug!(code = ?code, duration_ms, "call");
                } else {
                    tracing::info!(code = ?code, duration_ms, agency = %agency, "call");
                }
                Ok(response)
            }
            .instrument(span),
        )
    }
}

/// Whether the policy lets `caller` call `method` at all: the method has a
/// rule, the caller holds one of its roles, and a whole-tree method is
/// called with the whole tree in scope. Decided from the token alone.
pub fn admit(method: &str, rule: Option<&Rule>, caller: &Caller) -> Result<(), ApiError> {
    let Some(rule) = rule else {
        return Err(ApiError::MissingRole(format!(
            "{method} is not open to any role"
        )));
    };
    if !caller.holds_any(rule.roles) {
        let roles: Vec<&str> = rule.roles.iter().map(|r| r.as_str()).collect();
        return Err(ApiError::MissingRole(format!(
            "{method} needs one of the roles: {}",
            roles.join(", ")
        )));
    }
    if rule.access == Access::WholeTree && !caller.sees_everything() {
        return Err(ApiError::MissingRole(format!(
            "{method} concerns the whole province and needs a token whose scope is the whole tree"
        )));
    }
    Ok(())
}

/// The gRPC code of a call's answer as far as its headers tell: a refusal
/// or a handler's error is answered "trailers-only", its `grpc-status` in
/// the headers; an answer without one is `OK` (a stream that fails later
/// says so in its trailers, which the call line does not wait for).
fn call_code<B>(response: &Response<B>) -> tonic::Code {
    response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map_or(tonic::Code::Ok, tonic::Code::from)
}

/// The address a call came from (without its port), for the per-source
/// rate of the methods open without a token; one shared bucket when the
/// transport does not say.
fn source_address<B>(req: &Request<B>) -> String {
    use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
    let tcp = req.extensions().get::<TcpConnectInfo>().or_else(|| {
        req.extensions()
            .get::<TlsConnectInfo<TcpConnectInfo>>()
            .map(|info| info.get_ref())
    });
    tcp.and_then(TcpConnectInfo::remote_addr)
        .map_or_else(|| "source:unknown".into(), |a| format!("source:{}", a.ip()))
}

fn bearer<B>(req: &Request<B>) -> Option<&str> {
    let value = req
        .headers()
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim())
}
