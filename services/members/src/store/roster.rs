//! The roster of a subtree on a date: every active member whose period
//! that day is in an organisation of the subtree, in member-id order,
//! read a batch at a time.

use futures::StreamExt;
use probity_platform::Database;
use probity_proto::probity::members::v1::MemberStatus;
use sqlx::AnyConnection;
use tokio_stream::wrappers::ReceiverStream;

use super::{
    members::status_list,
    organizations::{in_force, share_on},
};
use crate::{
    error::{Error, Result},
    rules::{lifecycle::ACTIVE, names::upper},
};

/// Rows fetched from the database per round trip while streaming a roster.
pub const ROSTER_BATCH: i64 = 1000;

/// A roster to stream: the subtree on a date, and how to read it.
#[derive(Debug, Clone)]
pub struct RosterQuery {
    as_of: String,
    prefix: String,
    upper: String,
    /// Walk all members in id order, a window of ids at a time, keeping
    /// those in the subtree (for a subtree with a large share of the
    /// organisations), rather than gather the subtree's members and sort
    /// them once, in one query whose rows are streamed as they come (for a
    /// small one). Either way the roster costs about its own size, where
    /// the other way round the province's roster re-sorted all 33,000
    /// members for each of its 34 batches — and a gathered roster read a
    /// batch at a time re-gathered the subtree for each batch (a national
    /// district's 10,390 members: 11 gatherings, 595 ms).
    ///
    /// Only SQLite walks, and only for a large share: there the walk
    /// streamed a 93,334-member province in 0.55 s against 1.14 s
    /// gathered, while PostgreSQL planned the walk's windows so badly
    /// (8.6 s) that gathering always wins there (0.31 s;
    /// `docs/benchmarks.md`, issue 13).
    members_first: bool,
    exclude_exempt: bool,
}

impl RosterQuery {
    /// The roster of the subtree at path `prefix` on `as_of`, read the way
    /// its share of the organisations in force that day calls for.
    pub async fn plan(
        conn: &mut AnyConnection,
        prefix: &str,
        as_of: &str,
        exclude_exempt: bool,
    ) -> Result<Self> {
        let (inside, all) = share_on(conn, as_of, prefix).await?;
        Ok(Self {
            as_of: as_of.to_string(),
            prefix: prefix.to_string(),
            upper: upper(prefix),
            members_first: conn.backend_name() == "SQLite" && inside * 4 >= all,
            exclude_exempt,
        })
    }
}

/// One member of a roster.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RosterRow {
    /// Member id.
    pub id: String,
    /// Full name.
    pub full_name: String,
    /// Party card number.
    pub party_card_number: String,
    /// The organisation on the date.
    pub organization_id: String,
    /// `MemberStatus` on the date.
    pub status: i64,
}

/// The two statements of a roster read: walking members, a bounded window
/// and the last, unbounded window; gathering, the one query (twice).
fn statements(q: &RosterQuery) -> (String, String) {
    let statuses: Vec<MemberStatus> = ACTIVE
        .into_iter()
        .filter(|s| !(q.exclude_exempt && *s == MemberStatus::Exempt))
        .collect();
    // The same rows either way; `CROSS JOIN` makes SQLite keep the written
    // order of tables (PostgreSQL plans it as an inner join).
    let conditions = format!(
        "mp.member_id = m.id AND {} AND mp.status IN ({}) \
         AND p.org_id = mp.organization_id AND {} AND p.path >= $2 AND p.path < $3 AND m.id > $4",
        in_force("mp", 1),
        status_list(&statuses),
        in_force("p", 1),
    );
    let columns = "m.id, m.full_name, m.party_card_number, mp.organization_id, mp.status";
    // Walking members: each query takes the next window of ROSTER_BATCH
    // member ids (`$5`, the window's last id, found first on the members'
    // key) and keeps those in the subtree, so no plan sorts more than a
    // window; the last window has no upper bound. Gathering: the subtree's
    // members, sorted once.
    if q.members_first {
        let tables = "members m CROSS JOIN member_periods mp CROSS JOIN organization_placements p";
        (
            // The window's bounds on the periods' key too: PostgreSQL then
            // reads the window's periods by that key, where it otherwise
            // read every period of the subtree for each window.
            format!(
                "SELECT {columns} FROM {tables} WHERE {conditions} AND m.id <= $5 \
                 AND mp.member_id > $4 AND mp.member_id <= $5 ORDER BY m.id"
            ),
            format!(
                "SELECT {columns} FROM {tables} WHERE {conditions} AND mp.member_id > $4 ORDER BY m.id"
            ),
        )
    } else {
        let tables = "organization_placements p CROSS JOIN member_periods mp CROSS JOIN members m";
        let sql = format!("SELECT {columns} FROM {tables} WHERE {conditions} ORDER BY m.id");
        (sql.clone(), sql)
    }
}

/// The last member id of the window of [`ROSTER_BATCH`] ids after `after`;
/// `None` when fewer remain.
async fn window_end(db: &Database, after: &str) -> Result<Option<String>> {
    let last: Option<(String,)> =
        sqlx::query_as("SELECT id FROM members WHERE id > $1 ORDER BY id LIMIT 1 OFFSET $2")
            .bind(after)
            .bind(ROSTER_BATCH - 1)
            .fetch_optional(db.pool())
            .await?;
    Ok(last.map(|(id,)| id))
}

/// Streams the roster in member-id order through a bounded channel —
/// walking members, one window query at a time; gathering, one query
/// whose rows are read as the reader takes them — so memory stays
/// constant whatever the roster's size, and a reader that goes away stops
/// the reading.
pub fn stream(db: Database, q: RosterQuery) -> ReceiverStream<Result<RosterRow>> {
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    let (sql, tail_sql) = statements(&q);
    tokio::spawn(async move {
        if !q.members_first {
            gather(&db, &q, &sql, &tx).await;
            return;
        }
        let mut after = String::new();
        loop {
            let window = if q.members_first {
                match window_end(&db, &after).await {
                    Ok(w) => w,
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                }
            } else {
                None
            };
            let statement = if window.is_some() { &sql } else { &tail_sql };
            let query = sqlx::query_as::<_, RosterRow>(sqlx::AssertSqlSafe(statement.clone()))
                .bind(&q.as_of)
                .bind(&q.prefix)
                .bind(&q.upper)
                .bind(&after);
            let query = match &window {
                Some(last) => query.bind(last.clone()),
                None => query,
            };
            let rows = match query.fetch_all(db.pool()).await {
                Ok(rows) => rows,
                Err(e) => {
                    let _ = tx.send(Err(Error::from(e))).await;
                    return;
                }
            };
            let done = window.is_none();
            for row in rows {
                after = row.id.clone();
                if tx.send(Ok(row)).await.is_err() {
                    return;
                }
            }
            if done {
                return;
            }
            if let Some(last) = window {
                after = last;
            }
        }
    });
    ReceiverStream::new(rx)
}

/// Sends the gathered roster of `q` (statement `sql`) to `tx`, row by row
/// as the database returns them, on a connection of its own; stops when
/// the reader goes away.
async fn gather(
    db: &Database,
    q: &RosterQuery,
    sql: &str,
    tx: &tokio::sync::mpsc::Sender<Result<RosterRow>>,
) {
    let mut conn = match db.pool().acquire().await {
        Ok(conn) => conn,
        Err(e) => {
            let _ = tx.send(Err(Error::from(e))).await;
            return;
        }
    };
    let mut rows = sqlx::query_as::<_, RosterRow>(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(&q.as_of)
        .bind(&q.prefix)
        .bind(&q.upper)
        .bind("")
        .fetch(&mut *conn);
    while let Some(row) = rows.next().await {
        let failed = row.is_err();
        if tx.send(row.map_err(Error::from)).await.is_err() || failed {
            return;
        }
    }
}
