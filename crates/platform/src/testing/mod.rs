//! Test harness shared by every service's tests: starts a server in-process
//! on an ephemeral loopback port over a fresh database, and mints tokens.
//!
//! [`backends`] lists the databases to run on: always a temporary SQLite
//! file, and PostgreSQL too when `PROBITY_TEST_POSTGRES_URL` is set (each
//! test gets its own schema there). [`schema`] compares what a service's
//! migrations make on the two.

pub mod schema;
pub mod strategies;

use std::{sync::Arc, time::Duration};

use tonic::transport::Channel;

use crate::{
    Database,
    auth::{Claims, Issuer, ROLE_ADMIN, TokenRules, Verifier},
    clock::Clock,
    server::{RunningServer, ServerBuilder, ServerConfig},
};

/// A database a test runs on.
#[derive(Debug, Clone)]
pub enum TestBackend {
    /// A temporary SQLite file.
    Sqlite,
    /// A fresh schema in the PostgreSQL at this URL.
    Postgres(String),
}

impl std::fmt::Display for TestBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite => f.write_str("sqlite"),
            Self::Postgres(_) => f.write_str("postgres"),
        }
    }
}

/// SQLite, plus PostgreSQL when `PROBITY_TEST_POSTGRES_URL` is set.
pub fn backends() -> Vec<TestBackend> {
    let mut out = vec![TestBackend::Sqlite];
    if let Ok(url) = std::env::var("PROBITY_TEST_POSTGRES_URL")
        && !url.is_empty()
    {
        out.push(TestBackend::Postgres(url));
    }
    out
}

/// A fresh, empty database on `backend` for service schema `schema`, and
/// the folder that holds it (SQLite) to keep alive.
pub async fn fresh_database(
    backend: &TestBackend,
    schema: &str,
) -> (Database, Option<tempfile::TempDir>) {
    match backend {
        TestBackend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}/{schema}.db", dir.path().display());
            (
                Database::connect(&url, schema, 4)
                    .await
                    .expect("open sqlite"),
                Some(dir),
            )
        }
        TestBackend::Postgres(url) => {
            let unique = format!("{schema}_t{}", &crate::resource::new_id()[20..]);
            (
                Database::connect(url, &unique, 4)
                    .await
                    .expect("open postgres"),
                None,
            )
        }
    }
}

pub use crate::client::{Authed, Bearer, ClientTls};

/// Writes `text` to `path` and moves its modification time 2 s ahead, so
/// that a server rereading files on change sees a rewrite made within the
/// same clock tick as the last one.
pub fn write_later(path: &std::path::Path, text: &str) {
    std::fs::write(path, text).expect("write");
    let later = std::time::SystemTime::now() + Duration::from_secs(2);
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(later))
        .expect("set the modification time");
}

/// A running test server.
pub struct TestServer {
    /// The server.
    pub server: RunningServer,
    /// The issuer whose tokens it trusts: mints test tokens.
    pub issuer: Issuer,
    /// The database it serves (for tests that reach behind the API).
    pub db: Database,
    /// Which backend.
    pub backend: TestBackend,
    /// The server's clock (fixed when the options asked for one).
    pub clock: Clock,
    /// What the harness's own channels present under TLS.
    pub client_tls: Option<ClientTls>,
    /// The key that signs the server's audit checkpoints, if any.
    pub audit_key: Option<Issuer>,
    _dir: Option<tempfile::TempDir>,
}

/// TLS for a test server: its files, and what the harness's own channels
/// trust and present.
#[derive(Debug, Clone)]
pub struct TestTls {
    /// The server's certificate, key, client CA and agency table.
    pub files: crate::tls::TlsFiles,
    /// The CA and client certificate of the harness's channels.
    pub client: ClientTls,
}

/// How to start a test server.
pub struct TestOptions {
    /// The service schema (PostgreSQL) / file stem (SQLite).
    pub schema: &'static str,
    /// A gate that holds start-up before migrations.
    pub start_gate: Option<tokio::sync::oneshot::Receiver<()>>,
    /// Grace period after shutdown.
    pub shutdown_grace: Duration,
    /// The token issuer; unset: a new one. Servers that stand for one
    /// deployment trust one issuer, so that one token works on all of them.
    pub issuer: Option<Issuer>,
    /// What verifies tokens; unset: one trusting the issuer's key alone.
    pub verifier: Option<Arc<Verifier>>,
    /// How often trust files are read again; unset: the default.
    pub reload_interval: Option<Duration>,
    /// The server's clock; unset: the system's.
    pub clock: Option<Clock>,
    /// Business calls in progress at once; unset: the default.
    pub max_calls_in_progress: Option<usize>,
    /// TLS; unset: plaintext.
    pub tls: Option<TestTls>,
    /// Rates, deadlines and stream limits; unset: the defaults.
    pub admission: Option<crate::admission::Admission>,
    /// The key that signs audit checkpoints: unset, a new one;
    /// `Some(None)`, none (checkpoints are refused).
    pub audit_key: Option<Option<Issuer>>,
    /// A database to serve instead of a fresh one: a second replica of a
    /// service over the first one's database.
    pub database: Option<Database>,
}

impl TestOptions {
    /// Defaults for `schema`.
    pub fn new(schema: &'static str) -> Self {
        Self {
            schema,
            start_gate: None,
            shutdown_grace: Duration::ZERO,
            issuer: None,
            verifier: None,
            reload_interval: None,
            clock: None,
            max_calls_in_progress: None,
            tls: None,
            admission: None,
            audit_key: None,
            database: None,
        }
    }
}

impl TestServer {
    /// Starts a server over a fresh database; `register` adds the service.
    pub async fn start<E: std::fmt::Debug>(
        backend: &TestBackend,
        options: TestOptions,
        register: impl FnOnce(&mut ServerBuilder, Database) -> Result<(), E>,
    ) -> Self {
        let issuer = options.issuer.clone().unwrap_or_else(Issuer::generate);
        let verifier = options
            .verifier
            .clone()
            .unwrap_or_else(|| Arc::new(Verifier::trusting(&issuer, TokenRules::default())));
        let (db, dir) = match &options.database {
            Some(db) => (db.clone(), None),
            None => fresh_database(backend, options.schema).await,
        };
        let clock = options.clock.clone().unwrap_or_default();
        let mut config = ServerConfig::new(verifier);
        if let Some(every) = options.reload_interval {
            config.reload_interval = every;
        }
        config.clock = clock.clone();
        config.shutdown_grace = options.shutdown_grace;
        config.drain_deadline = Duration::from_secs(5);
        if let Some(n) = options.max_calls_in_progress {
            config.max_calls_in_progress = n;
        }
        if let Some(admission) = &options.admission {
            config.admission = admission.clone();
        }
        if let Some(tls) = &options.tls {
            let server_tls = crate::tls::ServerTls::load(tls.files.clone()).expect("TLS files");
            config.tls = Some(Arc::new(server_tls));
        }
        let audit_key = options
            .audit_key
            .clone()
            .unwrap_or_else(|| Some(Issuer::generate()));
        config.audit_key = audit_key.clone().map(Arc::new);
        let mut builder = ServerBuilder::new(config);
        register(&mut builder, db.clone()).expect("service set-up");
        let waiting = options.start_gate.is_some();
        if let Some(gate) = options.start_gate {
            builder.hold_start_until(gate);
        }
        let server = builder
            .spawn("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("bind");
        let me = Self {
            server,
            issuer,
            db,
            backend: backend.clone(),
            clock,
            client_tls: options.tls.map(|t| t.client),
            audit_key,
            _dir: dir,
        };
        if !waiting {
            me.wait_serving().await;
        }
        me
    }

    /// The folder of its SQLite database (none for PostgreSQL or a
    /// replica over another server's database): for tests that read the
    /// files themselves.
    pub fn data_dir(&self) -> Option<&std::path::Path> {
        self._dir.as_ref().map(|d| d.path())
    }

    /// Waits (up to 30 s) until health reports SERVING.
    pub async fn wait_serving(&self) {
        use tonic_health::pb::{
            HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
        };
        let mut client = HealthClient::new(self.channel());
        for _ in 0..600 {
            let request = HealthCheckRequest {
                service: String::new(),
            };
            if let Ok(r) = client.check(request).await
                && r.into_inner().status() == ServingStatus::Serving
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server did not become SERVING");
    }

    /// The server's URL: `https://` under TLS.
    pub fn url(&self) -> String {
        match self.client_tls {
            Some(_) => format!("https://{}", self.server.addr),
            None => self.server.url(),
        }
    }

    /// A channel to the server without a token (with the harness's client
    /// certificate under TLS).
    pub fn channel(&self) -> Channel {
        crate::client::endpoint(&self.url(), self.client_tls.as_ref())
            .expect("endpoint")
            .connect_lazy()
    }

    /// A channel that sends `token`.
    pub fn with_token(&self, token: &str) -> Authed {
        crate::client::with_token(self.channel(), token).expect("ascii token")
    }

    /// A token for `sub` with `roles` and `scope`: organisation names, or
    /// ids (made into names here, for brevity), or `*`.
    pub fn token(&self, sub: &str, roles: &[&str], scope: &[&str]) -> String {
        self.token_of_agency("test-agency", sub, roles, scope)
    }

    /// [`token`](Self::token) of another agency than the default one.
    pub fn token_of_agency(
        &self,
        agency: &str,
        sub: &str,
        roles: &[&str],
        scope: &[&str],
    ) -> String {
        let names: Vec<String> = scope
            .iter()
            .map(|s| {
                if *s == "*" || s.contains('/') {
                    s.to_string()
                } else {
                    format!("organizations/{s}")
                }
            })
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let now = self.clock.now_seconds();
        self.issuer
            .sign(&Claims::new(sub, agency, roles, &names, now, 3600))
    }

    /// A channel with an admin token over the whole tree.
    pub fn admin(&self) -> Authed {
        self.with_token(&self.token("admin", &[ROLE_ADMIN], &["*"]))
    }

    /// A channel of the review committee over the whole tree: decides the
    /// grades the admin proposed (another person, another role).
    pub fn committee(&self) -> Authed {
        let role = crate::policy::Role::ReviewCommittee.as_str();
        self.with_token(&self.token("committee", &[role], &["*"]))
    }
}
