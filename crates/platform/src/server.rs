//! Server bootstrap shared by every service and by `probity up`.
//!
//! A [`ServerBuilder`] collects services and their databases; serving it:
//! 1. starts listening at once, with health `NOT_SERVING` for the whole
//!    server and every service, and reflection (v1 and v1alpha) available;
//! 2. runs each database's migrations and pings it, starts its audit
//!    sealer, then reports `SERVING` and lets business calls through;
//! 3. on shutdown reports `NOT_SERVING`, keeps serving for a grace period so
//!    load balancers can notice, then stops accepting and drains in-flight
//!    calls for at most the drain deadline.

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use http::{Request, Response};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tonic::{body::Body, server::NamedService, service::RoutesBuilder};
use tonic_health::ServingStatus;

use crate::{
    auth::Verifier,
    clock::Clock,
    db::{Database, MigrationSet},
    gateway::GatewayLayer,
    pagination::PageKey,
    policy::{Policy, ServicePolicy},
    tls::ServerTls,
};

/// Business calls in progress at once by default: the best of the limits
/// `bench-overload` compared (`docs/benchmarks.md`, issue 12).
pub const DEFAULT_MAX_CALLS_IN_PROGRESS: usize = 64;

/// Settings shared by every server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// What verifies bearer tokens: public keys, issuers, audience,
    /// lifetime, revocations.
    pub verifier: Arc<Verifier>,
    /// Largest request or response message, in bytes (default 4 MiB).
    pub max_message_bytes: usize,
    /// How long to keep serving, reporting `NOT_SERVING`, after a shutdown
    /// signal and before refusing new connections (default 0).
    pub shutdown_grace: Duration,
    /// How long in-flight calls may run after that before they are cut off
    /// (default 10 s).
    pub drain_deadline: Duration,
    /// The error domain for the server's own refusals.
    pub error_domain: String,
    /// The clock every call reads "now" and "today" from (default: the
    /// system's).
    pub clock: Clock,
    /// The key that seals page tokens (default: a random one, so page
    /// tokens last as long as the process; replicas of one service share a
    /// key file so that a token from one opens on another).
    pub page_key: PageKey,
    /// How long a retried write is answered from its first response; older
    /// idempotency records are deleted (default 7 days).
    pub idempotency_retention: Duration,
    /// Business calls in progress at once; one more is refused at once with
    /// `RESOURCE_EXHAUSTED` (default 64: `docs/benchmarks.md`, issue 12).
    pub max_calls_in_progress: usize,
    /// How often changed trust files (token keys, revocations, TLS
    /// certificates) are read again (default 5 s).
    pub reload_interval: Duration,
    /// TLS (and, with a client CA, mutual TLS); unset: plaintext.
    pub tls: Option<Arc<ServerTls>>,
    /// Rates per agency, deadlines per class of method, stream limits.
    pub admission: crate::admission::Admission,
    /// The Ed25519 key that signs audit checkpoints (`GetAuditCheckpoint`);
    /// unset: checkpoints are refused with `NO_AUDIT_KEY`. Replicas of a
    /// service share it.
    pub audit_key: Option<Arc<crate::auth::Issuer>>,
    /// Where to serve `GET /metrics` (Prometheus' text format), when set.
    pub metrics_listen: Option<std::net::SocketAddr>,
}

impl ServerConfig {
    /// Defaults, verifying tokens with `verifier`.
    pub fn new(verifier: Arc<Verifier>) -> Self {
        Self {
            page_key: PageKey::generate(),
            idempotency_retention: crate::write::DEFAULT_IDEMPOTENCY_RETENTION,
            max_calls_in_progress: DEFAULT_MAX_CALLS_IN_PROGRESS,
            reload_interval: Duration::from_secs(5),
            tls: None,
            admission: crate::admission::Admission::default(),
            audit_key: None,
            metrics_listen: None,
            verifier,
            max_message_bytes: 4 * 1024 * 1024,
            shutdown_grace: Duration::ZERO,
            drain_deadline: Duration::from_secs(10),
            error_domain: "probity".into(),
            clock: Clock::system(),
        }
    }
}

/// Why a server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A database could not be prepared.
    #[error(transparent)]
    Database(#[from] crate::db::DbError),
    /// The transport failed.
    #[error("server transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// A database did not answer after its migrations.
    #[error("database does not answer: {0}")]
    Ping(sqlx::Error),
    /// The descriptor sets for reflection could not be loaded.
    #[error("reflection descriptors: {0}")]
    Reflection(String),
    /// The metrics address could not be bound.
    #[error("metrics listener: {0}")]
    Bind(std::io::Error),
}

/// A task stopped when the server stops.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Collects the services of one server.
pub struct ServerBuilder {
    config: ServerConfig,
    routes: RoutesBuilder,
    names: Vec<&'static str>,
    databases: Vec<(Database, &'static MigrationSet)>,
    jobs: Vec<(Database, Arc<crate::jobs::Handlers>)>,
    start_gate: Option<oneshot::Receiver<()>>,
    policy: Policy,
}

impl ServerBuilder {
    /// An empty server with `config`.
    pub fn new(config: ServerConfig) -> Self {
        Self {
            config,
            routes: RoutesBuilder::default(),
            names: Vec::new(),
            databases: Vec::new(),
            jobs: Vec::new(),
            start_gate: None,
            policy: Policy::default(),
        }
    }

    /// The largest message size services should accept and send.
    pub fn max_message_bytes(&self) -> usize {
        self.config.max_message_bytes
    }

    /// The server's clock, for services that need "now" outside a call.
    pub fn clock(&self) -> &Clock {
        &self.config.clock
    }

    /// Adds a generated gRPC server; its health status follows the server's.
    pub fn add_service<S>(&mut self, service: S) -> &mut Self
    where
        S: tower::Service<Request<Body>, Response = Response<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.names.push(S::NAME);
        self.routes.add_service(service);
        self
    }

    /// Adds a service package's policy: the gateway admits a call only by
    /// the rule of its method (a method with no rule is refused to all).
    pub fn add_policy(&mut self, policy: &ServicePolicy) -> &mut Self {
        self.policy.add(policy);
        self
    }

    /// Adds a database whose migrations must run before the server is ready.
    pub fn add_database(&mut self, db: Database, migrations: &'static MigrationSet) -> &mut Self {
        self.databases.push((db, migrations));
        self
    }

    /// Runs `db`'s background jobs with `handlers` once the server is
    /// ready ([`crate::jobs::run`]: one runner per service across replicas),
    /// until serving ends.
    pub fn add_jobs(&mut self, db: Database, handlers: crate::jobs::Handlers) -> &mut Self {
        self.jobs.push((db, Arc::new(handlers)));
        self
    }

    /// Holds start-up (before migrations) until `gate` fires: lets tests
    /// and orchestrators observe the `NOT_SERVING` phase.
    pub fn hold_start_until(&mut self, gate: oneshot::Receiver<()>) -> &mut Self {
        self.start_gate = Some(gate);
        self
    }

    /// Serves on `listener` until `shutdown` completes.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let Self {
            config,
            mut routes,
            names,
            databases,
            jobs,
            start_gate,
            policy,
        } = self;
        let (reporter, health) = tonic_health::server::health_reporter();
        reporter
            .set_service_status("", ServingStatus::NotServing)
            .await;
        for name in &names {
            reporter
                .set_service_status(*name, ServingStatus::NotServing)
                .await;
        }
        routes.add_service(health);
        // Reflection holds the whole contract (so a client resolves every
        // message type) but advertises only the services this server runs,
        // and health: a client listing services learns what is here.
        let reflection = || {
            names.iter().fold(
                tonic_reflection::server::Builder::configure()
                    .register_encoded_file_descriptor_set(probity_proto::FILE_DESCRIPTOR_SET)
                    .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                    .with_service_name("grpc.health.v1.Health"),
                |builder, name| builder.with_service_name(*name),
            )
        };
        routes.add_service(reflection().build_v1().map_err(|e| {
            tracing::error!(error = %e, "reflection descriptors");
            ServeError::Ping(sqlx::Error::Protocol(
                "reflection descriptors are invalid".into(),
            ))
        })?);
        if let Ok(v1alpha) = reflection().build_v1alpha() {
            routes.add_service(v1alpha);
        }

        let ready = Arc::new(AtomicBool::new(false));
        let metrics = Arc::new(crate::metrics::Metrics::default());
        let _metrics_server = match config.metrics_listen {
            None => None,
            Some(addr) => {
                let listener = TcpListener::bind(addr).await.map_err(ServeError::Bind)?;
                tracing::info!(addr = %addr, "metrics on http://{addr}/metrics");
                let task = tokio::spawn(crate::metrics::serve(
                    listener,
                    metrics.clone(),
                    databases.iter().map(|(db, _)| db.clone()).collect(),
                    config.clock.clone(),
                ));
                Some(AbortOnDrop(task))
            }
        };
        let gateway = GatewayLayer::new(ready.clone(), &config, policy, &names, metrics);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let router = tonic::transport::Server::builder()
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .http2_keepalive_timeout(Some(Duration::from_secs(10)))
            .max_concurrent_streams(Some(config.admission.streams_per_connection))
            .layer(gateway)
            .add_routes(routes.routes());
        // TCP_NODELAY on every accepted socket: without it a response that
        // spans several segments waits on the peer's delayed ACK (about 40 ms
        // a call). The builder's own setting does not apply to a listener we
        // bound ourselves.
        let stopped = async {
            let _ = stop_rx.await;
        };
        let (mut transport, _accepting) = match &config.tls {
            None => {
                let incoming =
                    tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
                let serving = router.serve_with_incoming_shutdown(incoming, stopped);
                (tokio::spawn(serving), None)
            }
            Some(tls) => {
                let (incoming, accepting) = crate::tls::incoming(listener, tls.clone());
                let serving = router.serve_with_incoming_shutdown(incoming, stopped);
                (tokio::spawn(serving), Some(accepting))
            }
        };

        // Start-up: migrations, then SERVING. A shutdown during start-up
        // or a failed migration stops the server.
        let start = async {
            if let Some(gate) = start_gate {
                let _ = gate.await;
            }
            for (db, set) in &databases {
                db.migrate(set).await?;
                db.ping().await.map_err(ServeError::Ping)?;
            }
            purge_idempotency(&databases, &config.clock, config.idempotency_retention).await;
            Ok::<(), ServeError>(())
        };
        tokio::pin!(shutdown);
        let started = tokio::select! {
            r = start => Some(r),
            _ = &mut shutdown => None,
        };
        // One audit sealer per database (and a job runner per database
        // with jobs), stopped when serving ends.
        let mut sealers = tokio::task::JoinSet::new();
        if let Some(Ok(())) = &started {
            for (db, _) in &databases {
                db.set_audit_key(config.audit_key.clone());
                sealers.spawn(crate::audit::sealer::run(db.clone(), config.clock.clone()));
            }
            // Background jobs, on the same footing: stopped before the
            // databases close.
            for (db, handlers) in &jobs {
                sealers.spawn(crate::jobs::run(
                    db.clone(),
                    config.clock.clone(),
                    handlers.clone(),
                ));
            }
        }
        match started {
            Some(Ok(())) => {
                ready.store(true, Ordering::Release);
                reporter
                    .set_service_status("", ServingStatus::Serving)
                    .await;
                for name in &names {
                    reporter
                        .set_service_status(*name, ServingStatus::Serving)
                        .await;
                }
                tracing::info!(services = ?names, "serving");
                let mut hourly = tokio::time::interval(PURGE_INTERVAL);
                hourly.tick().await;
                let mut reload = tokio::time::interval(config.reload_interval);
                reload.tick().await;
                loop {
                    tokio::select! {
                        _ = &mut shutdown => break,
                        r = &mut transport => return flatten(r),
                        _ = hourly.tick() => {
                            purge_idempotency(&databases, &config.clock, config.idempotency_retention).await;
                        }
                        _ = reload.tick() => reload_trust(&config),
                    }
                }
            }
            Some(Err(e)) => {
                let _ = stop_tx.send(());
                let _ = transport.await;
                return Err(e);
            }
            None => {}
        }

        // Shutdown: NOT_SERVING first, a grace period, then drain.
        tracing::info!("shutting down: draining");
        reporter
            .set_service_status("", ServingStatus::NotServing)
            .await;
        for name in &names {
            reporter
                .set_service_status(*name, ServingStatus::NotServing)
                .await;
        }
        tokio::time::sleep(config.shutdown_grace).await;
        ready.store(false, Ordering::Release);
        let _ = stop_tx.send(());
        let result = match tokio::time::timeout(config.drain_deadline, &mut transport).await {
            Ok(r) => flatten(r),
            Err(_) => {
                tracing::warn!("drain deadline passed; cutting off in-flight calls");
                transport.abort();
                Ok(())
            }
        };
        sealers.shutdown().await;
        for (db, _) in &databases {
            // What the last calls committed, sealed before closing.
            if let Err(e) = crate::audit::sealer::seal_all(db).await {
                tracing::warn!(error = %e, "audit entries left for the next start to seal");
            }
            db.close().await;
        }
        tracing::info!("stopped");
        result
    }

    /// Binds `addr` and serves in a background task; for tests and
    /// `probity up`. The returned handle stops the server.
    pub async fn spawn(self, addr: SocketAddr) -> std::io::Result<RunningServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(self.serve(listener, async {
            let _ = rx.await;
        }));
        Ok(RunningServer {
            addr,
            stop: Some(tx),
            task,
        })
    }
}

/// Reads changed trust files again; a failure keeps the last good trust
/// and is logged.
fn reload_trust(config: &ServerConfig) {
    match config.verifier.reload() {
        Ok(true) => tracing::info!("token keys or revocations reloaded"),
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "token trust not reloaded; the last good one stays"),
    }
    match config.tls.as_ref().map(|tls| tls.reload()) {
        Some(Ok(true)) => tracing::info!("TLS certificates or agency table reloaded"),
        Some(Err(e)) => {
            tracing::warn!(error = %e, "TLS settings not reloaded; the last good ones stay")
        }
        _ => {}
    }
}

/// How often expired idempotency records are deleted while serving.
const PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// Deletes the idempotency records older than `retention` in every
/// database; a failure is logged and left to the next round.
async fn purge_idempotency(
    databases: &[(Database, &'static MigrationSet)],
    clock: &Clock,
    retention: Duration,
) {
    for (db, _) in databases {
        match crate::write::purge_idempotency(db, clock.now_micros(), retention).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "expired idempotency records"),
            Err(e) => tracing::warn!(error = %e, "idempotency purge failed"),
        }
    }
}

fn flatten(
    r: Result<Result<(), tonic::transport::Error>, tokio::task::JoinError>,
) -> Result<(), ServeError> {
    match r {
        Ok(inner) => inner.map_err(ServeError::from),
        Err(join) => {
            tracing::error!(error = %join, "server task failed");
            Ok(())
        }
    }
}

/// A server running in a background task.
pub struct RunningServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServeError>>,
}

impl RunningServer {
    /// `http://ADDR`, for clients (`https://` is theirs to write when the
    /// server speaks TLS).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Starts the shutdown sequence without waiting for it.
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    /// Shuts down and waits until the server has stopped.
    pub async fn shutdown(mut self) -> Result<(), ServeError> {
        self.begin_shutdown();
        self.wait().await
    }

    /// Waits until the server stops by itself (or was told to).
    pub async fn wait(self) -> Result<(), ServeError> {
        match self.task.await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "server task failed");
                Ok(())
            }
        }
    }
}

/// Adds generated gRPC servers to a [`ServerBuilder`], each with the
/// builder's message size limits in both directions:
///
/// ```ignore
/// probity_platform::add_services!(server, [
///     OrganizationServiceServer::new(organizations),
///     MemberServiceServer::new(members),
/// ]);
/// ```
#[macro_export]
macro_rules! add_services {
    ($server:expr, [$($service:expr),* $(,)?]) => {{
        let server: &mut $crate::server::ServerBuilder = $server;
        let limit = server.max_message_bytes();
        $(server.add_service(
            $service
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit),
        );)*
    }};
}

/// Resolves when the process gets Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
