//! Background jobs (`probity_platform::jobs`) on both backends: enqueued
//! only with the write that commits them, once per kind and key; run,
//! retried with backoff, failed and put back; one runner at a time across
//! two handles ("replicas") of one database.

use std::{
    borrow::Cow,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use probity_platform::{
    Call, Clock, Database,
    auth::{Caller, Claims},
    call::CallInfo,
    db::MigrationSet,
    jobs::{self, Handler, Handlers, Job, JobError, JobState},
    testing::{TestBackend, backends, fresh_database},
};
use sqlx::migrate::Migrator;

/// No tables beyond the platform's own.
static PLATFORM_ONLY: MigrationSet = MigrationSet {
    sqlite: Migrator {
        migrations: Cow::Borrowed(&[]),
        ..Migrator::DEFAULT
    },
    postgres: Migrator {
        migrations: Cow::Borrowed(&[]),
        ..Migrator::DEFAULT
    },
};

const START: i64 = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z

async fn database(backend: &TestBackend) -> (Database, Option<tempfile::TempDir>) {
    let (db, dir) = fresh_database(backend, "jobs").await;
    db.migrate(&PLATFORM_ONLY).await.expect("migrate");
    (db, dir)
}

fn call(clock: &Clock) -> Call {
    let caller = Caller::try_from(Claims::new("clerk", "agency", &[], &[], 0, 60)).unwrap();
    Call::from_parts(
        caller,
        CallInfo {
            method: "/probity.test.v1.Jobs/Enqueue".into(),
            request_id: "req-1".into(),
            authorization: None,
            deadline: None,
            clock: clock.clone(),
            rule: None,
            page_key: probity_platform::pagination::PageKey::generate(),
            idempotency_retention: probity_platform::write::DEFAULT_IDEMPOTENCY_RETENTION,
            traceparent: None,
        },
    )
}

/// Enqueues one job in its own committed write; whether it was new.
async fn enqueue(db: &Database, clock: &Clock, kind: &str, key: &str, after: i64) -> bool {
    let call = call(clock);
    let mut w = db.begin_write(&call, "", &()).await.expect("begin");
    let fresh = w
        .enqueue(kind, key, key.as_bytes(), after)
        .await
        .expect("enqueue");
    w.record(&format!("things/{key}"), &());
    w.commit_batch(&()).await.expect("commit");
    fresh
}

/// Succeeds, counting its runs and the most that ran at once.
#[derive(Default, Clone)]
struct Counting {
    runs: Arc<AtomicUsize>,
    running: Arc<AtomicUsize>,
    most_at_once: Arc<AtomicUsize>,
    keys: Arc<Mutex<Vec<String>>>,
}

#[tonic::async_trait]
impl Handler for Counting {
    async fn run(&self, _db: &Database, job: &Job) -> Result<(), JobError> {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_at_once.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(2)).await;
        self.keys.lock().unwrap().push(job.key.clone());
        self.runs.fetch_add(1, Ordering::SeqCst);
        self.running.fetch_sub(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Fails as told: `Retry` while fewer than `succeed_on` runs were made
/// (never succeeds when 0), or `Fail` when `refuse`.
struct Flaky {
    runs: AtomicUsize,
    succeed_on: usize,
    refuse: bool,
}

#[tonic::async_trait]
impl Handler for Flaky {
    async fn run(&self, _db: &Database, _job: &Job) -> Result<(), JobError> {
        let run = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
        if self.refuse {
            return Err(JobError::Fail(
                "refused: an event dated before a later one".into(),
            ));
        }
        if self.succeed_on == 0 || run < self.succeed_on {
            return Err(JobError::Retry(format!("unavailable (run {run})")));
        }
        Ok(())
    }
}

async fn only_job(db: &Database) -> Job {
    let all = jobs::list(db, None, 0, 10).await.unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    all.into_iter().next().unwrap()
}

#[tokio::test]
async fn a_job_exists_once_and_only_with_its_committed_write() {
    for backend in backends() {
        let (db, _dir) = database(&backend).await;
        let clock = Clock::fixed(START);
        assert!(enqueue(&db, &clock, "escalate", "case-1/30d", START).await);
        assert!(
            !enqueue(&db, &clock, "escalate", "case-1/30d", START).await,
            "{backend}: the same kind and key is one job"
        );
        assert!(enqueue(&db, &clock, "deliver", "case-1/30d", START).await);
        // A write that does not commit leaves no job.
        {
            let call = call(&clock);
            let mut w = db.begin_write(&call, "", &()).await.unwrap();
            assert!(
                w.enqueue("escalate", "case-2/30d", b"", START)
                    .await
                    .unwrap()
            );
        }
        let all = jobs::list(&db, None, 0, 10).await.unwrap();
        let keys: Vec<(&str, &str)> = all
            .iter()
            .map(|j| (j.kind.as_str(), j.key.as_str()))
            .collect();
        assert_eq!(
            keys,
            [("escalate", "case-1/30d"), ("deliver", "case-1/30d")],
            "{backend}"
        );
        assert!(all.iter().all(|j| j.state() == JobState::Pending));
        db.close().await;
    }
}

#[tokio::test]
async fn due_jobs_run_once_and_later_ones_wait_for_their_time() {
    for backend in backends() {
        let (db, _dir) = database(&backend).await;
        let clock = Clock::fixed(START);
        enqueue(&db, &clock, "count", "now", START).await;
        enqueue(&db, &clock, "count", "in-a-day", START + 86_400_000_000).await;
        let counting = Counting::default();
        let handlers = Handlers::new().with("count", counting.clone());
        assert_eq!(jobs::run_due(&db, &clock, &handlers).await.unwrap(), 1);
        assert_eq!(jobs::run_due(&db, &clock, &handlers).await.unwrap(), 0);
        assert_eq!(*counting.keys.lock().unwrap(), ["now"], "{backend}");
        clock.advance(86_400_000_000);
        assert_eq!(jobs::run_due(&db, &clock, &handlers).await.unwrap(), 1);
        let all = jobs::list(&db, Some(JobState::Done), 0, 10).await.unwrap();
        assert_eq!(all.len(), 2, "{backend}");
        assert!(
            all.iter()
                .all(|j| j.attempts == 1 && j.last_error.is_empty())
        );
        db.close().await;
    }
}

#[tokio::test]
async fn a_failing_job_is_retried_with_backoff_then_given_up_and_put_back() {
    for backend in backends() {
        let (db, _dir) = database(&backend).await;
        let clock = Clock::fixed(START);
        enqueue(&db, &clock, "deliver", "decision-1", START).await;
        let flaky = Arc::new(Flaky {
            runs: AtomicUsize::new(0),
            succeed_on: 0,
            refuse: false,
        });
        struct Shared(Arc<Flaky>);
        #[tonic::async_trait]
        impl Handler for Shared {
            async fn run(&self, db: &Database, job: &Job) -> Result<(), JobError> {
                self.0.run(db, job).await
            }
        }
        let handlers = Handlers::new()
            .with("deliver", Shared(flaky.clone()))
            .max_attempts(3);

        jobs::run_due(&db, &clock, &handlers).await.unwrap();
        let job = only_job(&db).await;
        assert_eq!(job.state(), JobState::Pending, "{backend}");
        assert_eq!((job.attempts, job.run_after_micros), (1, START + 1_000_000));
        assert_eq!(job.last_error, "unavailable (run 1)");
        // Not due again before its backoff: 1 s, then 2 s.
        clock.advance(999_999);
        assert_eq!(jobs::run_due(&db, &clock, &handlers).await.unwrap(), 0);
        clock.advance(1);
        assert_eq!(jobs::run_due(&db, &clock, &handlers).await.unwrap(), 1);
        assert_eq!(only_job(&db).await.run_after_micros, START + 3_000_000);
        clock.advance(2_000_000);
        jobs::run_due(&db, &clock, &handlers).await.unwrap();
        let job = only_job(&db).await;
        assert_eq!(job.state(), JobState::Failed, "{backend}");
        assert_eq!(job.attempts, 3);
        assert_eq!(
            job.last_error,
            "gave up after 3 attempts: unavailable (run 3)"
        );
        clock.advance(86_400_000_000);
        assert_eq!(jobs::run_due(&db, &clock, &handlers).await.unwrap(), 0);

        // Put back by hand, it runs again from a fresh count.
        assert!(jobs::retry(&db, job.id, clock.now_micros()).await.unwrap());
        assert!(!jobs::retry(&db, job.id, clock.now_micros()).await.unwrap());
        jobs::run_due(&db, &clock, &handlers).await.unwrap();
        assert_eq!(flaky.runs.load(Ordering::SeqCst), 4);
        assert_eq!(only_job(&db).await.attempts, 1);
        db.close().await;
    }
}

#[tokio::test]
async fn a_refused_job_or_one_without_a_handler_fails_at_once() {
    for backend in backends() {
        let (db, _dir) = database(&backend).await;
        let clock = Clock::fixed(START);
        enqueue(&db, &clock, "deliver", "decision-1", START).await;
        enqueue(&db, &clock, "unheard-of", "x", START).await;
        let handlers = Handlers::new().with(
            "deliver",
            Flaky {
                runs: AtomicUsize::new(0),
                succeed_on: 1,
                refuse: true,
            },
        );
        jobs::run_due(&db, &clock, &handlers).await.unwrap();
        let failed = jobs::list(&db, Some(JobState::Failed), 0, 10)
            .await
            .unwrap();
        let errors: Vec<&str> = failed.iter().map(|j| j.last_error.as_str()).collect();
        assert_eq!(
            errors,
            [
                "refused: an event dated before a later one",
                "no handler for jobs of kind \"unheard-of\""
            ],
            "{backend}"
        );
        assert!(failed.iter().all(|j| j.attempts == 1));
        // Pages by id.
        let first = jobs::list(&db, None, 0, 1).await.unwrap();
        let rest = jobs::list(&db, None, first[0].id, 10).await.unwrap();
        assert_eq!((first.len(), rest.len()), (1, 1));
        db.close().await;
    }
}

#[tokio::test]
async fn two_runners_over_one_database_never_run_at_once() {
    for backend in backends() {
        let (db, _dir) = database(&backend).await;
        // A second handle on the same database, as a second replica has.
        let url = match &backend {
            TestBackend::Sqlite => format!(
                "sqlite://{}/jobs.db",
                _dir.as_ref().unwrap().path().display()
            ),
            TestBackend::Postgres(url) => url.clone(),
        };
        let replica = Database::connect(&url, db.service(), 4).await.unwrap();
        let clock = Clock::fixed(START);
        for i in 0..40 {
            enqueue(&db, &clock, "count", &format!("k{i:02}"), START).await;
        }
        let counting = Counting::default();
        let handlers = Arc::new(Handlers::new().with("count", counting.clone()));
        let a = tokio::spawn(jobs::run(db.clone(), clock.clone(), handlers.clone()));
        let b = tokio::spawn(jobs::run(replica.clone(), clock.clone(), handlers.clone()));
        for _ in 0..500 {
            if counting.runs.load(Ordering::SeqCst) >= 40 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // One more poll's time, for a second runner that would run them again.
        tokio::time::sleep(Duration::from_millis(1200)).await;
        a.abort();
        b.abort();
        let mut keys = counting.keys.lock().unwrap().clone();
        assert_eq!(keys.len(), 40, "{backend}: each job ran once");
        keys.dedup();
        assert_eq!(keys.len(), 40, "{backend}");
        assert_eq!(
            counting.most_at_once.load(Ordering::SeqCst),
            1,
            "{backend}: one runner at a time"
        );
        assert_eq!(
            jobs::list(&db, Some(JobState::Done), 0, 100)
                .await
                .unwrap()
                .len(),
            40
        );
        replica.close().await;
        db.close().await;
    }
}
