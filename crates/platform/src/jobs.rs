//! Background jobs: work a service must do later or retry — an escalation
//! when a deadline passes, a call to another service from an outbox.
//!
//! - **Durable.** A job is a row of the service's `jobs` table, enqueued by
//!   [`Write::enqueue`] in the transaction of the write that makes it due:
//!   it exists exactly when that write committed. `(kind, key)` is unique,
//!   so the same job enqueued twice (a threshold crossed again, a retried
//!   request) is one job.
//! - **One runner per service**, across replicas: [`run`] first takes the
//!   service's lead — on PostgreSQL an advisory lock held on a connection of
//!   its own (another replica takes over when that connection ends); on
//!   SQLite, whose file one process serves, one runner per file in the
//!   process.
//! - **Retried with backoff**: a run that fails with [`JobError::Retry`] is
//!   tried again after [`backoff`] (1 s, doubling, at most an hour) until
//!   the handlers' attempt limit, then kept as `failed` with its last
//!   error; [`JobError::Fail`] fails it at once. Failed jobs stay visible
//!   ([`list`]) and can be put back ([`retry`]).
//! - **At least once.** A job's effect and its being marked done are not
//!   one transaction (an outbox job calls another service), so a runner
//!   stopped between the two runs it again: handlers make their effect
//!   idempotent by the job's key (a request id derived from it, a unique
//!   row).

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Connection};

use crate::{
    clock::Clock,
    db::{Backend, Database},
    error::ApiError,
    write::Write,
};

/// How often the runner looks for due jobs when nothing woke it.
pub const POLL: Duration = Duration::from_secs(1);

/// Most jobs taken in one pass.
pub const BATCH: i64 = 32;

/// Attempts before a job that keeps asking to be retried is failed, unless
/// the handlers say otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 10;

/// The first retry's delay; each further one doubles it.
pub const BACKOFF_BASE: Duration = Duration::from_secs(1);

/// The longest delay between two attempts.
pub const BACKOFF_MAX: Duration = Duration::from_secs(3600);

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for its time, or for a retry.
    Pending,
    /// Ran to completion.
    Done,
    /// Gave up: refused, or out of attempts; `last_error` says why.
    Failed,
}

impl JobState {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    /// The state stored as `text` (`None`: not a state).
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Done, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Job {
    /// Its number, in order of enqueueing.
    pub id: i64,
    /// What to do: the handler's name.
    pub kind: String,
    /// What it is about, unique within the kind.
    pub key: String,
    /// The handler's input.
    pub payload: Vec<u8>,
    /// Its [`JobState`], as text.
    pub state: String,
    /// Runs so far.
    pub attempts: i64,
    /// Not run before this time (µs).
    pub run_after_micros: i64,
    /// Why the last run failed (empty if it did not).
    pub last_error: String,
    /// Enqueued at (µs).
    pub created_micros: i64,
    /// Last changed at (µs).
    pub updated_micros: i64,
}

impl Job {
    /// Its state (`Failed` for text that is none, which only a hand edit
    /// could make).
    pub fn state(&self) -> JobState {
        JobState::parse(&self.state).unwrap_or(JobState::Failed)
    }
}

/// Why a run did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// Worth trying again later (the other service is down, a timeout).
    Retry(String),
    /// Will never succeed (the other service refused it): fail now.
    Fail(String),
}

/// Runs the jobs of one kind.
#[tonic::async_trait]
pub trait Handler: Send + Sync + 'static {
    /// Does `job`'s work. Called at least once per job, possibly again
    /// after a stop between the work and its being marked done: the work
    /// must be idempotent by `job.key`.
    async fn run(&self, db: &Database, job: &Job) -> Result<(), JobError>;
}

/// A service's handlers, by job kind.
#[derive(Clone)]
pub struct Handlers {
    by_kind: HashMap<String, Arc<dyn Handler>>,
    max_attempts: i64,
}

impl Default for Handlers {
    fn default() -> Self {
        Self {
            by_kind: HashMap::new(),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

impl std::fmt::Debug for Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handlers")
            .field("kinds", &self.by_kind.keys().collect::<Vec<_>>())
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

impl Handlers {
    /// No handlers yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs jobs of `kind` with `handler`.
    pub fn with(mut self, kind: &str, handler: impl Handler) -> Self {
        self.by_kind.insert(kind.to_string(), Arc::new(handler));
        self
    }

    /// Fails a job after `n` runs that asked to be retried (at least 1).
    pub fn max_attempts(mut self, n: i64) -> Self {
        self.max_attempts = n.max(1);
        self
    }
}

/// The delay before the next run of a job that has failed `attempts`
/// times: [`BACKOFF_BASE`] doubled per earlier failure, at most
/// [`BACKOFF_MAX`].
pub fn backoff(attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    BACKOFF_BASE
        .saturating_mul(1_u32 << doublings)
        .min(BACKOFF_MAX)
}

impl Write {
    /// Enqueues a job of `kind` about `key` with `payload`, not to run
    /// before `run_after_micros`, in this write's transaction. Returns
    /// whether it is new: a job of the same kind and key already enqueued
    /// (whatever its state) is left as it is.
    pub async fn enqueue(
        &mut self,
        kind: &str,
        key: &str,
        payload: &[u8],
        run_after_micros: i64,
    ) -> Result<bool, ApiError> {
        let now = self.call().now_micros();
        let done = sqlx::query(
            "INSERT INTO jobs (kind, key, payload, state, attempts, run_after_micros, last_error, \
             created_micros, updated_micros) VALUES ($1, $2, $3, $4, 0, $5, '', $6, $6) \
             ON CONFLICT (kind, key) DO NOTHING",
        )
        .bind(kind)
        .bind(key)
        .bind(payload)
        .bind(JobState::Pending.as_str())
        .bind(run_after_micros)
        .bind(now)
        .execute(self.conn())
        .await?;
        self.jobs_enqueued = true;
        Ok(done.rows_affected() == 1)
    }

    /// Puts failed job `id` back to run now, its attempts counted afresh,
    /// in this write's transaction (so the change is audited with it);
    /// returns whether it was failed. The runner is woken at commit.
    pub async fn retry_job(&mut self, id: i64) -> Result<bool, ApiError> {
        let now = self.call().now_micros();
        let done = sqlx::query(
            "UPDATE jobs SET state = $1, attempts = 0, run_after_micros = $2, updated_micros = $2 \
             WHERE id = $3 AND state = $4",
        )
        .bind(JobState::Pending.as_str())
        .bind(now)
        .bind(id)
        .bind(JobState::Failed.as_str())
        .execute(self.conn())
        .await?;
        self.jobs_enqueued |= done.rows_affected() == 1;
        Ok(done.rows_affected() == 1)
    }

    /// Job `id` as this write's transaction sees it.
    pub async fn job(&mut self, id: i64) -> Result<Option<Job>, ApiError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM jobs WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.conn())
        .await?)
    }
}

/// Schedules a job of `kind` about `key` outside any write: for a job that
/// schedules its successor (a daily scan), which changes no record and so
/// is not audited. Returns whether it is new (a job of the same kind and
/// key is left as it is).
pub async fn schedule(
    db: &Database,
    kind: &str,
    key: &str,
    run_after_micros: i64,
    now_micros: i64,
) -> Result<bool, ApiError> {
    let done = sqlx::query(
        "INSERT INTO jobs (kind, key, payload, state, attempts, run_after_micros, last_error, \
         created_micros, updated_micros) VALUES ($1, $2, $3, $4, 0, $5, '', $6, $6) \
         ON CONFLICT (kind, key) DO NOTHING",
    )
    .bind(kind)
    .bind(key)
    .bind(Vec::<u8>::new())
    .bind(JobState::Pending.as_str())
    .bind(run_after_micros)
    .bind(now_micros)
    .execute(db.pool())
    .await?;
    if done.rows_affected() == 1 {
        db.jobs_enqueued();
    }
    Ok(done.rows_affected() == 1)
}

/// The columns of [`Job`].
const COLUMNS: &str = "id, kind, key, payload, state, attempts, run_after_micros, last_error, \
    created_micros, updated_micros";

/// Runs, once, the jobs due at the clock's now (at most [`BATCH`]), each
/// with its kind's handler, and records each outcome; returns how many
/// ran. Only the runner that holds the service's lead may call it ([`run`]
/// does); tests call it directly to step through time.
pub async fn run_due(db: &Database, clock: &Clock, handlers: &Handlers) -> Result<usize, ApiError> {
    let due: Vec<Job> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM jobs WHERE state = $1 AND run_after_micros <= $2 \
         ORDER BY run_after_micros, id LIMIT $3"
    )))
    .bind(JobState::Pending.as_str())
    .bind(clock.now_micros())
    .bind(BATCH)
    .fetch_all(db.pool())
    .await?;
    for job in &due {
        let outcome = match handlers.by_kind.get(&job.kind) {
            Some(handler) => handler.run(db, job).await,
            None => Err(JobError::Fail(format!(
                "no handler for jobs of kind {:?}",
                job.kind
            ))),
        };
        let now = clock.now_micros();
        let attempts = job.attempts + 1;
        let (state, run_after, error) = match outcome {
            Ok(()) => (JobState::Done, job.run_after_micros, String::new()),
            Err(JobError::Retry(e)) if attempts < handlers.max_attempts => {
                let delay = i64::try_from(backoff(attempts).as_micros()).unwrap_or(i64::MAX);
                (JobState::Pending, now.saturating_add(delay), e)
            }
            Err(JobError::Retry(e)) => (
                JobState::Failed,
                job.run_after_micros,
                format!("gave up after {attempts} attempts: {e}"),
            ),
            Err(JobError::Fail(e)) => (JobState::Failed, job.run_after_micros, e),
        };
        if let Some(e) = (!error.is_empty()).then_some(&error) {
            tracing::warn!(job = job.id, kind = %job.kind, attempts, state = state.as_str(), error = %e, "job run failed");
        }
        sqlx::query(
            "UPDATE jobs SET state = $1, attempts = $2, run_after_micros = $3, last_error = $4, \
             updated_micros = $5 WHERE id = $6",
        )
        .bind(state.as_str())
        .bind(attempts)
        .bind(run_after)
        .bind(&error)
        .bind(now)
        .bind(job.id)
        .execute(db.pool())
        .await?;
    }
    Ok(due.len())
}

/// The service's jobs after id `after` (0: from the first), in id order, at
/// most `limit`; only those in `state` when given.
pub async fn list(
    db: &Database,
    state: Option<JobState>,
    after: i64,
    limit: i64,
) -> Result<Vec<Job>, ApiError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM jobs WHERE id > $1 AND ($2 = '' OR state = $2) ORDER BY id LIMIT $3"
    )))
    .bind(after)
    .bind(state.map_or("", JobState::as_str))
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

/// One job by id.
pub async fn get(db: &Database, id: i64) -> Result<Option<Job>, ApiError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM jobs WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?)
}

/// Puts a failed job back to run at `now_micros`, its attempts counted
/// afresh; returns whether it was failed.
pub async fn retry(db: &Database, id: i64, now_micros: i64) -> Result<bool, ApiError> {
    let done = sqlx::query(
        "UPDATE jobs SET state = $1, attempts = 0, run_after_micros = $2, updated_micros = $2 \
         WHERE id = $3 AND state = $4",
    )
    .bind(JobState::Pending.as_str())
    .bind(now_micros)
    .bind(id)
    .bind(JobState::Failed.as_str())
    .execute(db.pool())
    .await?;
    if done.rows_affected() == 1 {
        db.jobs_enqueued();
    }
    Ok(done.rows_affected() == 1)
}

/// The lead of a service's jobs, held while it lives.
enum Lead {
    /// PostgreSQL: the connection holding the advisory lock.
    Postgres(AnyConnection),
    /// SQLite: this process's claim on the database file.
    Sqlite(String),
}

/// SQLite files whose jobs a runner of this process leads.
fn sqlite_leads() -> &'static Mutex<HashSet<String>> {
    static LEADS: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    LEADS.get_or_init(Default::default)
}

impl Drop for Lead {
    fn drop(&mut self) {
        if let Lead::Sqlite(file) = self {
            sqlite_leads()
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(file);
        }
    }
}

/// The advisory lock key of `service`'s jobs: the first 8 bytes of a
/// SHA-256 of its name, so services sharing a PostgreSQL do not collide.
fn lock_key(service: &str) -> i64 {
    let digest = Sha256::digest(format!("probity.jobs.{service}"));
    i64::from_be_bytes(digest[..8].try_into().unwrap_or([0; 8]))
}

impl Lead {
    /// Takes the lead of `db`'s jobs, or `None` while another runner has it.
    async fn take(db: &Database) -> Result<Option<Lead>, ApiError> {
        match db.backend() {
            Backend::Postgres => {
                let mut conn = db.pool().acquire().await?.detach();
                let (held,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)")
                    .bind(lock_key(db.service()))
                    .fetch_one(&mut conn)
                    .await?;
                Ok(held.then_some(Lead::Postgres(conn)))
            }
            Backend::Sqlite => {
                let (_, _, file): (i64, String, String) = sqlx::query_as("PRAGMA database_list")
                    .fetch_one(db.pool())
                    .await?;
                let fresh = sqlite_leads()
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(file.clone());
                Ok(fresh.then_some(Lead::Sqlite(file)))
            }
        }
    }

    /// Whether the lead is still held (PostgreSQL: its connection lives).
    async fn holds(&mut self) -> bool {
        match self {
            Lead::Postgres(conn) => conn.ping().await.is_ok(),
            Lead::Sqlite(_) => true,
        }
    }
}

/// Runs `db`'s jobs with `handlers` for as long as the task lives: takes
/// the service's lead (waiting while another replica holds it), then runs
/// what is due whenever a write enqueues a job and at least every
/// [`POLL`]. A database error is logged and tried again at the next poll.
pub async fn run(db: Database, clock: Clock, handlers: Arc<Handlers>) {
    loop {
        let mut lead = match Lead::take(&db).await {
            Ok(Some(lead)) => lead,
            Ok(None) => {
                tokio::time::sleep(POLL).await;
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "taking the lead of background jobs failed");
                tokio::time::sleep(POLL).await;
                continue;
            }
        };
        tracing::debug!(service = db.service(), "leading background jobs");
        while lead.holds().await {
            match run_due(&db, &clock, &handlers).await {
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "running background jobs failed"),
            }
            let _ = tokio::time::timeout(POLL, db.jobs_wakeup()).await;
        }
        tracing::warn!(service = db.service(), "lost the lead of background jobs");
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{BACKOFF_MAX, JobState, backoff, lock_key};

    #[test]
    fn backoff_doubles_from_a_second_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(5), Duration::from_secs(16));
        assert_eq!(backoff(13), BACKOFF_MAX);
        assert_eq!(backoff(i64::MAX), BACKOFF_MAX);
        assert_eq!(backoff(0), Duration::from_secs(1));
    }

    #[test]
    fn states_read_back_what_they_wrote() {
        for s in [JobState::Pending, JobState::Done, JobState::Failed] {
            assert_eq!(JobState::parse(s.as_str()), Some(s));
        }
        assert_eq!(JobState::parse("running"), None);
    }

    #[test]
    fn each_service_has_its_own_lock() {
        assert_ne!(lock_key("oversight"), lock_key("members"));
        assert_eq!(lock_key("oversight"), lock_key("oversight"));
    }
}
