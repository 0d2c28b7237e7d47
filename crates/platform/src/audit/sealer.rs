//! The sealer: gives committed audit entries their place in the log.
//!
//! A pass ([`seal`]) is one transaction that locks the `audit_head` row —
//! so passes of several replicas of one service take turns, and no write
//! ever waits for it — reads the entries that can no longer be preceded by
//! one still in flight, appends them to `audit_log` numbered and chained
//! after the head, removes them from `audit_pending` and moves the head.
//!
//! "Can no longer be preceded": on PostgreSQL, entries whose transaction id
//! is below the oldest transaction id still running
//! (`txid_snapshot_xmin(txid_current_snapshot())`): those transactions have
//! all ended, so no other entry with a smaller id can still appear, while
//! an entry of a transaction still open waits for the next pass. On SQLite
//! one writer commits at a time, so every committed entry is final.
//!
//! Each server runs [`run`] per database: woken by every commit
//! ([`Database::audit_written`]) and at least every second, it seals in
//! passes of [`BATCH`] entries and logs a warning when the oldest unsealed
//! entry is older than [`LAG_WARNING`]. Listing, verifying and
//! checkpointing first [`catch_up`], so a reader sees every entry committed
//! before its call.

use std::time::Duration;

use sqlx::AnyConnection;

use super::{EntryFields, chain_hash};
use crate::{
    db::{Backend, Database},
    error::ApiError,
};

/// Most entries sealed in one pass (one transaction).
pub const BATCH: i64 = 2_000;

/// How long the sealer waits after being woken, so that one pass seals the
/// entries of many writes (and, on SQLite, costs one flush for all).
pub const GATHER: Duration = Duration::from_millis(20);

/// How often the sealer looks even when no write woke it (entries of
/// another replica, a transaction that ended late).
pub const TICK: Duration = Duration::from_secs(1);

/// The sealer's lag beyond which it logs a warning.
pub const LAG_WARNING: Duration = Duration::from_secs(30);

/// The sealed head: the last entry's sequence and hash.
pub async fn head(db: &Database) -> Result<(i64, String), ApiError> {
    Ok(
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(db.pool())
            .await?,
    )
}

/// One `audit_pending` row.
#[derive(sqlx::FromRow)]
struct PendingRow {
    id: i64,
    at_micros: i64,
    caller: String,
    agency: String,
    method: String,
    resource: String,
    request_id: String,
    change_digest: String,
}

/// The sealed entry made of a pending one.
struct Sealed {
    row: PendingRow,
    seq: i64,
    prev_hash: String,
    hash: String,
}

/// The transaction id below which every transaction has ended.
async fn horizon(conn: &mut AnyConnection, backend: Backend) -> Result<i64, ApiError> {
    Ok(match backend {
        Backend::Sqlite => i64::MAX,
        Backend::Postgres => {
            sqlx::query_scalar("SELECT txid_snapshot_xmin(txid_current_snapshot())")
                .fetch_one(conn)
                .await?
        }
    })
}

/// Seals at most `limit` entries in one transaction; returns how many.
pub async fn seal(db: &Database, limit: i64) -> Result<usize, ApiError> {
    let _turn = db.writer_turn().await;
    let mut tx = db.begin_writing().await?;
    // The head row first: it makes passes take turns, across replicas too.
    let (mut seq, mut prev_hash): (i64, String) =
        sqlx::query_as("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut *tx)
            .await?;
    let below = horizon(&mut tx, db.backend()).await?;
    let rows: Vec<PendingRow> = sqlx::query_as(
        "SELECT id, at_micros, caller, agency, method, resource, request_id, change_digest \
         FROM audit_pending WHERE txid < $1 ORDER BY id LIMIT $2",
    )
    .bind(below)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let Some(last_id) = rows.last().map(|r| r.id) else {
        tx.rollback().await?;
        return Ok(0);
    };
    let sealed: Vec<Sealed> = rows
        .into_iter()
        .map(|row| {
            seq += 1;
            let hash = chain_hash(
                &prev_hash,
                &EntryFields {
                    seq,
                    at_micros: row.at_micros,
                    caller: &row.caller,
                    agency: &row.agency,
                    method: &row.method,
                    resource: &row.resource,
                    request_id: &row.request_id,
                    change_digest: &row.change_digest,
                },
            );
            Sealed {
                row,
                seq,
                prev_hash: std::mem::replace(&mut prev_hash, hash.clone()),
                hash,
            }
        })
        .collect();
    crate::bulk::insert_rows(
        &mut tx,
        "INSERT INTO audit_log (seq, at_micros, caller, agency, method, resource, request_id, \
         prev_hash, hash, change_digest) VALUES {values}",
        10,
        &sealed,
        |q, e| {
            q.bind(e.seq)
                .bind(e.row.at_micros)
                .bind(&e.row.caller)
                .bind(&e.row.agency)
                .bind(&e.row.method)
                .bind(&e.row.resource)
                .bind(&e.row.request_id)
                .bind(&e.prev_hash)
                .bind(&e.hash)
                .bind(&e.row.change_digest)
        },
    )
    .await?;
    // Exactly the rows read: those below the horizon up to the last id.
    sqlx::query("DELETE FROM audit_pending WHERE txid < $1 AND id <= $2")
        .bind(below)
        .bind(last_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&prev_hash)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(sealed.len())
}

/// Seals until no sealable entry is left; returns how many.
pub async fn seal_all(db: &Database) -> Result<usize, ApiError> {
    let mut total = 0;
    loop {
        let n = seal(db, BATCH).await?;
        total += n;
        if (n as i64) < BATCH {
            return Ok(total);
        }
    }
}

/// Seals until every entry committed before this call is sealed, or `wait`
/// has passed (a transaction still open elsewhere can hold sealing back on
/// PostgreSQL); then the caller answers with what is sealed.
pub async fn catch_up(db: &Database, wait: Duration) -> Result<(), ApiError> {
    let target: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM audit_pending")
        .fetch_one(db.pool())
        .await?;
    let Some(target) = target else {
        return Ok(());
    };
    let until = tokio::time::Instant::now() + wait;
    loop {
        seal_all(db).await?;
        let waiting: Option<i64> =
            sqlx::query_scalar("SELECT MIN(id) FROM audit_pending WHERE id <= $1")
                .bind(target)
                .fetch_one(db.pool())
                .await?;
        if waiting.is_none() || tokio::time::Instant::now() >= until {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// How far the sealer is behind: committed entries not sealed yet, and the
/// age of the oldest of them at `now_micros`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lag {
    /// Entries waiting.
    pub entries: i64,
    /// Age of the oldest waiting entry (zero when none waits).
    pub age: Duration,
}

/// The sealer's [`Lag`] now.
pub async fn lag(db: &Database, now_micros: i64) -> Result<Lag, ApiError> {
    let (entries, oldest): (i64, Option<i64>) =
        sqlx::query_as("SELECT COUNT(*), MIN(at_micros) FROM audit_pending")
            .fetch_one(db.pool())
            .await?;
    let age = oldest.map_or(0, |at| now_micros.saturating_sub(at).max(0));
    Ok(Lag {
        entries,
        age: Duration::from_micros(u64::try_from(age).unwrap_or(0)),
    })
}

/// The background sealer of one database, until the task is dropped.
pub async fn run(db: Database, clock: crate::clock::Clock) {
    let mut last_warning: Option<tokio::time::Instant> = None;
    loop {
        let woken = tokio::select! {
            _ = db.audit_wakeup() => true,
            _ = tokio::time::sleep(TICK) => false,
        };
        if woken {
            tokio::time::sleep(GATHER).await;
        }
        if let Err(e) = seal_all(&db).await {
            tracing::warn!(error = %e, "audit sealer: pass failed; retrying");
            tokio::time::sleep(TICK).await;
            continue;
        }
        if !woken {
            match lag(&db, clock.now_micros()).await {
                Ok(l) if l.age > LAG_WARNING => {
                    if last_warning.is_none_or(|t| t.elapsed() > LAG_WARNING) {
                        tracing::warn!(
                            entries = l.entries,
                            lag_seconds = l.age.as_secs(),
                            "audit sealer is behind (a long transaction open?)"
                        );
                        last_warning = Some(tokio::time::Instant::now());
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::debug!(error = %e, "audit sealer: lag not read"),
            }
        }
    }
}
