//! The database: one code path over SQLite (embedded default) and
//! PostgreSQL (production), chosen by the URL.
//!
//! Queries go through sqlx's `Any` driver with portable types only (text,
//! 64-bit integers, bytes): ids are text, dates are ISO text, times are
//! integer microseconds. SQL uses `$N` placeholders, `RETURNING` and
//! `ON CONFLICT`, which both backends understand, so every business rule and
//! almost every statement is written once. Only migrations are written per
//! backend (see `docs/architecture.md`).

use std::{borrow::Cow, path::Path, str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    AnyPool, Executor,
    any::{AnyConnectOptions, AnyPoolOptions},
    migrate::{Migration, Migrator},
};

/// Which database engine a [`Database`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite: a file per service, WAL, `synchronous=FULL`.
    Sqlite,
    /// PostgreSQL: one schema per service.
    Postgres,
}

/// A service's migrations, one directory of SQL files per backend
/// (`migrations/sqlite`, `migrations/postgres`), embedded at build time by
/// [`migration_set!`](crate::migration_set). A file's name is its version
/// and description (`0100_organizations_members.sql`); every file of the
/// directory runs, in version order, once.
#[derive(Debug)]
pub struct MigrationSet {
    /// Steps for SQLite.
    pub sqlite: Migrator,
    /// Steps for PostgreSQL.
    pub postgres: Migrator,
}

impl MigrationSet {
    /// The steps for `backend`.
    pub fn for_backend(&self, backend: Backend) -> &Migrator {
        match backend {
            Backend::Sqlite => &self.sqlite,
            Backend::Postgres => &self.postgres,
        }
    }
}

/// Why the database could not be opened or prepared.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL or schema name is not usable.
    #[error("database configuration: {0}")]
    Config(String),
    /// The server or file could not be reached or opened.
    #[error("cannot open database {url}: {source}")]
    Connect {
        /// The URL without its password.
        url: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A connection pool to one service's database.
#[derive(Debug, Clone)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
    /// SQLite's one writer at a time, taken before a write transaction
    /// begins (see [`Database::begin_write`]); unused on PostgreSQL.
    writer: Arc<tokio::sync::Mutex<()>>,
    /// PostgreSQL statistics refresh: the tables waiting for one, and
    /// whether one is running (see [`Database::refresh_statistics`]).
    statistics: Arc<std::sync::Mutex<Statistics>>,
    /// The service's name (its schema): what its audit checkpoints name.
    service: Arc<str>,
    /// What the audit sealer of this database shares with its writers.
    audit: Arc<AuditShared>,
    /// A standby that list and statistics reads may use
    /// ([`crate::replica`]).
    replica: Option<Arc<crate::replica::ReadReplica>>,
}

/// What writes share per database with the audit sealer, checkpoints and
/// the job runner.
#[derive(Debug, Default)]
struct AuditShared {
    /// Woken by every committed write (see [`Database::audit_written`]).
    written: tokio::sync::Notify,
    /// The key that signs audit checkpoints, if the server has one.
    key: std::sync::RwLock<Option<Arc<crate::auth::Issuer>>>,
    /// Woken by every committed write that enqueued a background job
    /// (see [`Database::jobs_enqueued`]).
    jobs: tokio::sync::Notify,
}

/// The least time between two rounds of [`Database::refresh_statistics`]:
/// tables asked for meanwhile wait for the next round.
pub const STATISTICS_INTERVAL: Duration = Duration::from_secs(1);

/// The state of the background statistics refresh.
#[derive(Debug, Default)]
struct Statistics {
    running: bool,
    pending: Vec<&'static str>,
}

/// Platform tables every service has: the audit log and the idempotency
/// records. Their versions (1..=99) come before any service's own.
static PLATFORM: MigrationSet = MigrationSet {
    sqlite: sqlx::migrate!("migrations/sqlite"),
    postgres: sqlx::migrate!("migrations/postgres"),
};

/// SQLite's page cache per connection unless configured otherwise, in
/// KiB: with `probity serve`'s 8 connections, at most 32 MiB a service
/// (`docs/benchmarks.md`, issue 13: 16 MiB a connection made 300 MB
/// resident under write load, and lists were no faster).
pub const DEFAULT_SQLITE_CACHE_KIB: u32 = 4 * 1024;

impl Database {
    /// Opens the database at `url`: `sqlite://path/to/file.db` (created if
    /// missing, with its folder) or `postgres://…`, where `schema` is the
    /// service's own schema, created if missing. SQLite connections get
    /// [`DEFAULT_SQLITE_CACHE_KIB`] of page cache each.
    pub async fn connect(url: &str, schema: &str, max_connections: u32) -> Result<Self, DbError> {
        Self::connect_with_cache(url, schema, max_connections, DEFAULT_SQLITE_CACHE_KIB).await
    }

    /// Like [`connect`](Self::connect), with `sqlite_cache_kib` of page
    /// cache per SQLite connection (unused on PostgreSQL, whose cache is the
    /// server's): the bound on what the pool keeps in memory is
    /// `max_connections × sqlite_cache_kib`.
    pub async fn connect_with_cache(
        url: &str,
        schema: &str,
        max_connections: u32,
        sqlite_cache_kib: u32,
    ) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(DbError::Config(format!(
                "unsupported database URL {:?}: use sqlite://FILE or postgres://…",
                redact(url)
            )));
        };
        if !schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            || !schema.starts_with(|c: char| c.is_ascii_lowercase())
        {
            return Err(DbError::Config(format!(
                "schema name {schema:?} must be lower-case letters, digits and _"
            )));
        }
        let url = match backend {
            Backend::Sqlite => sqlite_url(url)?,
            Backend::Postgres => url.to_string(),
        };
        let options =
            AnyConnectOptions::from_str(&url).map_err(|e| DbError::Config(e.to_string()))?;
        let connect_err = |source| DbError::Connect {
            url: redact(&url),
            source,
        };
        if backend == Backend::Postgres {
            let pool = AnyPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options.clone())
                .await
                .map_err(connect_err)?;
            // Created only when missing: a deployment that gives each
            // service a role owning its schema, and no CREATE on the
            // database, still starts.
            let (exists,): (bool,) =
                sqlx::query_as("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
                    .bind(schema)
                    .fetch_one(&pool)
                    .await
                    .map_err(connect_err)?;
            if !exists {
                pool.execute(sqlx::AssertSqlSafe(format!(
                    "CREATE SCHEMA IF NOT EXISTS \"{schema}\""
                )))
                .await
                .map_err(connect_err)?;
            }
            pool.close().await;
        }
        let service: Arc<str> = Arc::from(schema);
        let schema = schema.to_string();
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(5))
            .test_before_acquire(false)
            .after_connect(move |conn, _meta| {
                let statements = match backend {
                    Backend::Sqlite => format!(
                        "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                         PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                         PRAGMA cache_size = -{sqlite_cache_kib};"
                    ),
                    Backend::Postgres => format!("SET search_path TO \"{schema}\""),
                };
                Box::pin(async move {
                    conn.execute(sqlx::AssertSqlSafe(statements)).await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(connect_err)?;
        Ok(Self {
            pool,
            backend,
            writer: Arc::default(),
            statistics: Arc::default(),
            service,
            audit: Arc::default(),
            replica: None,
        })
    }

    /// Runs the platform's and the service's migrations that have not run
    /// yet, in version order.
    pub async fn migrate(&self, set: &MigrationSet) -> Result<(), DbError> {
        let migrations: Vec<Migration> = PLATFORM
            .for_backend(self.backend)
            .iter()
            .chain(set.for_backend(self.backend).iter())
            .cloned()
            .collect();
        let migrator = Migrator {
            migrations: Cow::Owned(migrations),
            ..Migrator::DEFAULT
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        self.pool.execute("SELECT 1").await.map(|_| ())
    }

    /// The connection pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The read replica, when one was given.
    pub fn replica(&self) -> Option<&crate::replica::ReadReplica> {
        self.replica.as_deref()
    }

    pub(crate) fn set_replica(&mut self, replica: Arc<crate::replica::ReadReplica>) {
        self.replica = Some(replica);
    }

    /// Waits for this process's turn to write, on SQLite: it allows one
    /// writer at a time, and a connection that finds the database locked
    /// polls it with sleeps (the busy handler), which under concurrent
    /// writes cost more time than the writes. Queued on a fair async lock
    /// instead, writers take turns without sleeping. `None` on PostgreSQL,
    /// where writers queue on the audit-chain row's lock.
    pub(crate) async fn writer_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match self.backend {
            Backend::Sqlite => Some(self.writer.clone().lock_owned().await),
            Backend::Postgres => None,
        }
    }

    /// Begins a transaction that will write, after
    /// [`writer_turn`](Self::writer_turn). On SQLite it is `BEGIN IMMEDIATE`, taking the
    /// write lock at once: a transaction that read first and wrote later
    /// would be refused at once ("database is locked", no waiting) while
    /// another connection still held the lock — as one does for a moment
    /// after an abandoned write, whose rollback runs after its turn has
    /// passed on.
    pub(crate) async fn begin_writing(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// The service this database belongs to (its schema name).
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Tells the audit sealer that a write with entries has committed.
    pub(crate) fn audit_written(&self) {
        self.audit.written.notify_one();
    }

    /// Completes at the next [`audit_written`](Self::audit_written) (or at
    /// once if one came since the last wait).
    pub(crate) async fn audit_wakeup(&self) {
        self.audit.written.notified().await
    }

    /// Tells the job runner that a committed write enqueued a job.
    pub(crate) fn jobs_enqueued(&self) {
        self.audit.jobs.notify_one();
    }

    /// Completes at the next [`jobs_enqueued`](Self::jobs_enqueued) (or at
    /// once if one came since the last wait).
    pub(crate) async fn jobs_wakeup(&self) {
        self.audit.jobs.notified().await
    }

    /// Sets the key that signs this database's audit checkpoints.
    pub fn set_audit_key(&self, key: Option<Arc<crate::auth::Issuer>>) {
        *self.audit.key.write().unwrap_or_else(|e| e.into_inner()) = key;
    }

    /// The key that signs audit checkpoints, if one is set.
    pub(crate) fn audit_key(&self) -> Option<Arc<crate::auth::Issuer>> {
        self.audit
            .key
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Call after a bulk write has committed (an import, a plan's roster):
    /// on PostgreSQL, refreshes the planner's statistics of `tables` with
    /// `ANALYZE`, in the background and one refresh at a time per database
    /// (tables asked for meanwhile are refreshed by the next round).
    /// Autovacuum does the same, but up to a minute later: queries right
    /// after an import were planned for the empty tables of before it (a
    /// roster of 33,000 members sorted whole for every batch, a recount
    /// scanning the whole plan for 120 members). Rounds start at least
    /// [`STATISTICS_INTERVAL`] apart. Nothing on SQLite, whose planner does
    /// not use collected statistics here.
    pub fn refresh_statistics(&self, tables: &[&'static str]) {
        if self.backend != Backend::Postgres || tables.is_empty() {
            return;
        }
        {
            let mut state = lock(&self.statistics);
            for t in tables {
                if !state.pending.contains(t) {
                    state.pending.push(t);
                }
            }
            if state.running {
                return;
            }
            state.running = true;
        }
        let pool = self.pool.clone();
        let statistics = self.statistics.clone();
        tokio::spawn(async move {
            loop {
                let tables = {
                    let mut state = lock(&statistics);
                    if state.pending.is_empty() {
                        state.running = false;
                        return;
                    }
                    std::mem::take(&mut state.pending)
                };
                let sql = format!("ANALYZE {}", tables.join(", "));
                if let Err(e) = pool.execute(sqlx::AssertSqlSafe(sql)).await {
                    tracing::warn!(error = %e, ?tables, "refreshing statistics failed");
                }
                // Writes that come one at a time (organisations) would
                // otherwise keep a refresh running all along.
                tokio::time::sleep(STATISTICS_INTERVAL).await;
            }
        });
    }

    /// The backend behind this database.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Locks the statistics state; a panic elsewhere while holding it leaves
/// nothing half-done, so a poisoned lock is taken as is.
fn lock(m: &std::sync::Mutex<Statistics>) -> std::sync::MutexGuard<'_, Statistics> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Normalises a SQLite URL: makes its folder and asks for the file to be
/// created if missing.
fn sqlite_url(url: &str) -> Result<String, DbError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" {
        return Err(DbError::Config(
            "SQLite needs a file (sqlite://data/members.db); in-memory databases are not durable"
                .into(),
        ));
    }
    if let Some(parent) = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|e| {
            DbError::Config(format!("cannot create folder {}: {e}", parent.display()))
        })?;
    }
    let mut query = query.to_string();
    if !query.split('&').any(|kv| kv.starts_with("mode=")) {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str("mode=rwc");
    }
    Ok(format!("sqlite://{path}?{query}"))
}

/// The URL with any password replaced, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// A service's [`MigrationSet`]: every SQL file of the invoking crate's
/// `migrations/sqlite` and `migrations/postgres` folders, embedded with
/// sqlx's `migrate!`. The crate's build script must say
/// `cargo:rerun-if-changed=migrations`, so that a new file is picked up.
///
/// ```ignore
/// pub static MIGRATIONS: MigrationSet = probity_platform::migration_set!();
/// ```
#[macro_export]
macro_rules! migration_set {
    () => {
        $crate::db::MigrationSet {
            sqlite: ::sqlx::migrate!("migrations/sqlite"),
            postgres: ::sqlx::migrate!("migrations/postgres"),
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("sqlite://data/x.db"), "sqlite://data/x.db");
    }

    #[test]
    fn sqlite_urls_create_files() {
        let dir = std::env::temp_dir().join(format!("probity-url-{}", std::process::id()));
        let url = format!("sqlite://{}/m.db", dir.display());
        assert!(sqlite_url(&url).unwrap().ends_with("m.db?mode=rwc"));
        assert!(dir.exists());
        assert!(sqlite_url("sqlite::memory:").is_err());
    }
}
