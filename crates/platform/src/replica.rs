//! Reads from a PostgreSQL streaming replica (`--read-database-url`).
//!
//! A service may be given a hot standby of its database; list, progress
//! and statistics reads then go there ([`Database::read_conn`]), every
//! write and every other read to the primary. A monitor compares, ten
//! times a second, the standby's replayed WAL position with the positions
//! the primary had reached: the standby is used only while it has replayed
//! everything the primary had written `max_lag` ago, and taken out of use
//! at once when it cannot be reached, stops replaying or is promoted —
//! reads then go to the primary, and no caller sees an error. A caller's
//! own writes: after a write through this server, that caller's reads go
//! to the primary for `max_lag`, so a caller reads its writes without
//! waiting for the standby (across several replicas of a service behind a
//! balancer, another server's standby reads are at most `max_lag` old).

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Arc, Mutex, Weak,
        atomic::{AtomicBool, AtomicI64, Ordering},
    },
    time::{Duration, Instant},
};

use sqlx::{AnyPool, any::AnyPoolOptions, pool::PoolConnection};

use crate::{Call, db::Database};

/// How often the monitor compares the standby with the primary.
const TICK: Duration = Duration::from_millis(100);
/// How long a monitor query or a standby connection may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// A standby of a service's database and whether it may be read now.
#[derive(Debug)]
pub struct ReadReplica {
    pool: AnyPool,
    max_lag: Duration,
    usable: AtomicBool,
    /// Bytes of WAL the standby is behind the primary's position of
    /// `max_lag` ago (negative: ahead of it), for metrics.
    behind: AtomicI64,
    /// Reads the standby has served.
    reads: AtomicI64,
    /// Callers who wrote through this server, and when.
    writers: Mutex<HashMap<String, Instant>>,
}

impl ReadReplica {
    /// Whether reads may go to the standby now.
    pub fn usable(&self) -> bool {
        self.usable.load(Ordering::Relaxed)
    }

    /// WAL bytes behind (see the field).
    pub fn behind_bytes(&self) -> i64 {
        self.behind.load(Ordering::Relaxed)
    }

    /// Reads the standby has served so far.
    pub fn reads(&self) -> i64 {
        self.reads.load(Ordering::Relaxed)
    }

    fn wrote_recently(&self, who: &str) -> bool {
        let writers = self.writers.lock().expect("writers lock");
        writers
            .get(who)
            .is_some_and(|at| at.elapsed() < self.max_lag)
    }

    fn note_write(&self, who: String) {
        let mut writers = self.writers.lock().expect("writers lock");
        if writers.len() > 10_000 {
            let max_lag = self.max_lag;
            writers.retain(|_, at| at.elapsed() < max_lag);
        }
        writers.insert(who, Instant::now());
    }
}

fn caller_key(call: &Call) -> String {
    format!("{}\u{1f}{}", call.caller.agency, call.caller.subject)
}

impl Database {
    /// This database with reads going to the standby at `url` (PostgreSQL,
    /// the same schema) while it is within `max_lag` of the primary.
    pub async fn with_read_replica(
        mut self,
        url: &str,
        max_lag: Duration,
        max_connections: u32,
    ) -> Result<Self, crate::db::DbError> {
        if self.backend() != crate::db::Backend::Postgres || !url.starts_with("postgres") {
            return Err(crate::db::DbError::Config(
                "a read replica needs PostgreSQL for both the primary and the standby".into(),
            ));
        }
        let schema = self.service().to_string();
        let options: sqlx::any::AnyConnectOptions = url
            .parse()
            .map_err(|e: sqlx::Error| crate::db::DbError::Config(e.to_string()))?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(PROBE_TIMEOUT)
            .after_connect(move |conn, _meta| {
                let statement = format!("SET search_path TO \"{schema}\"");
                Box::pin(async move {
                    sqlx::Executor::execute(conn, sqlx::AssertSqlSafe(statement)).await?;
                    Ok(())
                })
            })
            .connect_lazy_with(options);
        let replica = Arc::new(ReadReplica {
            pool,
            max_lag,
            usable: AtomicBool::new(false),
            behind: AtomicI64::new(0),
            reads: AtomicI64::new(0),
            writers: Mutex::default(),
        });
        tokio::spawn(monitor(self.pool().clone(), Arc::downgrade(&replica)));
        self.set_replica(replica);
        Ok(self)
    }

    /// A connection for a read that may be a little stale (lists,
    /// progress, statistics): the standby's when it is usable and `call`'s
    /// caller has not written through this server within the lag bound,
    /// else the primary's. A standby that cannot give a connection is
    /// taken out of use and the primary answers.
    pub async fn read_conn(&self, call: &Call) -> Result<PoolConnection<sqlx::Any>, sqlx::Error> {
        if let Some(replica) = self.replica()
            && replica.usable()
            && !replica.wrote_recently(&caller_key(call))
        {
            match replica.pool.acquire().await {
                Ok(conn) => {
                    replica.reads.fetch_add(1, Ordering::Relaxed);
                    return Ok(conn);
                }
                Err(e) => {
                    replica.usable.store(false, Ordering::Relaxed);
                    tracing::warn!(error = %e, "read replica unreachable: reading from the primary");
                }
            }
        }
        self.pool().acquire().await
    }

    /// Notes that `call`'s caller wrote: its reads go to the primary for
    /// the lag bound.
    pub(crate) fn note_write(&self, call: &Call) {
        if let Some(replica) = self.replica() {
            replica.note_write(caller_key(call));
        }
    }
}

/// Compares the standby with the primary every [`TICK`] while the
/// replica is alive.
async fn monitor(primary: AnyPool, replica: Weak<ReadReplica>) {
    let mut positions: VecDeque<(Instant, String)> = VecDeque::new();
    let mut was_usable = false;
    loop {
        tokio::time::sleep(TICK).await;
        let Some(replica) = replica.upgrade() else {
            return;
        };
        let now = Instant::now();
        let position: Result<Result<(String,), _>, _> = tokio::time::timeout(
            PROBE_TIMEOUT,
            sqlx::query_as("SELECT CAST(pg_current_wal_lsn() AS TEXT)").fetch_one(&primary),
        )
        .await;
        if let Ok(Ok((lsn,))) = position {
            positions.push_back((now, lsn));
        }
        // Keep the newest position at least `max_lag` old, and the newer.
        while positions.len() > 1 && now.duration_since(positions[1].0) >= replica.max_lag {
            positions.pop_front();
        }
        let Some((_, target)) = positions.front().cloned() else {
            continue;
        };
        let state: Result<Result<(bool, i64), _>, _> = tokio::time::timeout(
            PROBE_TIMEOUT,
            sqlx::query_as(
                "SELECT pg_is_in_recovery(), \
                 CAST(COALESCE(pg_wal_lsn_diff(CAST($1 AS pg_lsn), pg_last_wal_replay_lsn()), 0) AS BIGINT)",
            )
            .bind(&target)
            .fetch_one(&replica.pool),
        )
        .await;
        let usable = match state {
            Ok(Ok((in_recovery, behind))) => {
                replica.behind.store(behind, Ordering::Relaxed);
                in_recovery && behind <= 0
            }
            _ => false,
        };
        replica.usable.store(usable, Ordering::Relaxed);
        if usable != was_usable {
            if usable {
                tracing::info!("read replica in use");
            } else {
                tracing::warn!(
                    "read replica out of use (unreachable, not a standby, or behind the primary by more than the lag bound): reading from the primary"
                );
            }
            was_usable = usable;
        }
    }
}
