//! Cases in storage: the case row with its stage and clock, the duplicate
//! keys of intakes, and the subtree list.

use probity_platform::{ApiError, dates};
use sqlx::AnyConnection;

use crate::{error::Result, rules::clock::StageClock};

/// A case as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseRow {
    /// Id.
    pub id: String,
    /// Code, in capitals.
    pub code: String,
    /// Title.
    pub title: String,
    /// `CaseKind`.
    pub kind: i64,
    /// The sector's code.
    pub sector: String,
    /// The jurisdiction organisation's id.
    pub jurisdiction_id: String,
    /// Its lineage (`/root/…/id/`) on the day the case was recorded.
    pub jurisdiction_lineage: String,
    /// Estimated loss, VND.
    pub loss_vnd: i64,
    /// Recovered so far, VND.
    pub recovered_vnd: i64,
    /// The first intake's day (ISO).
    pub received_date: String,
    /// `CaseStage`.
    pub stage: i64,
    /// While suspended: the `CaseStage` suspended in; else 0.
    pub suspended_stage: i64,
    /// The current stage's first day (ISO).
    pub stage_start: String,
    /// The stage's limit, days (0: none).
    pub stage_limit_days: i64,
    /// The limit's law article.
    pub stage_limit_citation: String,
    /// Days of ended suspensions in this stage.
    pub suspended_days: i64,
    /// While suspended: the first day (ISO).
    pub suspended_since: Option<String>,
    /// The original due date (ISO), moved by suspensions.
    pub original_due: Option<String>,
    /// The extended due date (ISO).
    pub extended_due: Option<String>,
    /// 1 once ever suspended.
    pub ever_suspended: i64,
    /// Revision, for the etag.
    pub revision: i64,
    /// Recorded (µs).
    pub create_micros: i64,
    /// Last changed (µs).
    pub update_micros: i64,
    /// The inspection that produced it; empty when none.
    pub inspection_id: String,
    /// 1 when finished after its last stage's due date.
    pub finished_late: i64,
}

impl CaseRow {
    /// The clock of the current stage, as stored.
    pub fn clock(&self) -> Result<StageClock, ApiError> {
        let day = |d: &Option<String>| d.as_deref().map(dates::from_sql).transpose();
        Ok(StageClock {
            start: dates::from_sql(&self.stage_start)?,
            limit_days: self.stage_limit_days,
            suspended_days: self.suspended_days,
            suspended_since: day(&self.suspended_since)?,
            extended_due: day(&self.extended_due)?,
        })
    }

    /// Stores `clock` as the current stage's clock.
    pub fn set_clock(&mut self, clock: &StageClock) {
        self.stage_start = dates::to_sql(clock.start);
        self.stage_limit_days = clock.limit_days;
        self.suspended_days = clock.suspended_days;
        self.suspended_since = clock.suspended_since.map(dates::to_sql);
        self.original_due = clock.original_due().map(dates::to_sql);
        self.extended_due = clock.extended_due.map(dates::to_sql);
    }
}

const COLUMNS: &str = "id, code, title, kind, sector, jurisdiction_id, jurisdiction_lineage, \
    loss_vnd, recovered_vnd, received_date, stage, suspended_stage, stage_start, \
    stage_limit_days, stage_limit_citation, suspended_days, suspended_since, original_due, \
    extended_due, ever_suspended, revision, create_micros, update_micros, inspection_id, finished_late";

/// [`CaseRow`]'s columns of table alias `alias` (`c.id, c.code, …`), for
/// joins.
pub fn columns(alias: &str) -> String {
    COLUMNS
        .split(", ")
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The case with id `id`.
pub async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<CaseRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM cases WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// True when a case holds `code`.
pub async fn code_taken(conn: &mut AnyConnection, code: &str) -> Result<bool> {
    let found: Option<(String,)> = sqlx::query_as("SELECT id FROM cases WHERE code = $1")
        .bind(code)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// Records a case.
pub async fn insert(conn: &mut AnyConnection, c: &CaseRow) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO cases ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
         $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)"
    )))
    .bind(&c.id)
    .bind(&c.code)
    .bind(&c.title)
    .bind(c.kind)
    .bind(&c.sector)
    .bind(&c.jurisdiction_id)
    .bind(&c.jurisdiction_lineage)
    .bind(c.loss_vnd)
    .bind(c.recovered_vnd)
    .bind(&c.received_date)
    .bind(c.stage)
    .bind(c.suspended_stage)
    .bind(&c.stage_start)
    .bind(c.stage_limit_days)
    .bind(&c.stage_limit_citation)
    .bind(c.suspended_days)
    .bind(&c.suspended_since)
    .bind(&c.original_due)
    .bind(&c.extended_due)
    .bind(c.ever_suspended)
    .bind(c.revision)
    .bind(c.create_micros)
    .bind(c.update_micros)
    .bind(&c.inspection_id)
    .bind(c.finished_late)
    .execute(conn)
    .await?;
    Ok(())
}

/// Saves what changes in a case — kind, amounts, stage and clock —
/// with its revision bumped. The row was read in the same transaction;
/// `c.revision` is the revision read.
pub async fn save(conn: &mut AnyConnection, c: &CaseRow) -> Result<()> {
    sqlx::query(
        "UPDATE cases SET kind = $2, recovered_vnd = $3, stage = $4, suspended_stage = $5, \
         stage_start = $6, stage_limit_days = $7, stage_limit_citation = $8, \
         suspended_days = $9, suspended_since = $10, original_due = $11, extended_due = $12, \
         ever_suspended = $13, revision = $14, update_micros = $15, finished_late = $16 \
         WHERE id = $1",
    )
    .bind(&c.id)
    .bind(c.kind)
    .bind(c.recovered_vnd)
    .bind(c.stage)
    .bind(c.suspended_stage)
    .bind(&c.stage_start)
    .bind(c.stage_limit_days)
    .bind(&c.stage_limit_citation)
    .bind(c.suspended_days)
    .bind(&c.suspended_since)
    .bind(&c.original_due)
    .bind(&c.extended_due)
    .bind(c.ever_suspended)
    .bind(c.revision + 1)
    .bind(c.update_micros)
    .bind(c.finished_late)
    .execute(conn)
    .await?;
    Ok(())
}

/// The case an intake key belongs to, if any.
pub async fn by_intake_key(
    conn: &mut AnyConnection,
    jurisdiction_id: &str,
    origin: i64,
    reference_key: &str,
) -> Result<Option<String>> {
    let found: Option<(String,)> = sqlx::query_as(
        "SELECT case_id FROM intake_keys \
         WHERE jurisdiction_id = $1 AND origin = $2 AND reference_key = $3",
    )
    .bind(jurisdiction_id)
    .bind(origin)
    .bind(reference_key)
    .fetch_optional(conn)
    .await?;
    Ok(found.map(|(id,)| id))
}

/// Records an intake key for a case.
pub async fn insert_intake_key(
    conn: &mut AnyConnection,
    jurisdiction_id: &str,
    origin: i64,
    reference_key: &str,
    case_id: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO intake_keys (jurisdiction_id, origin, reference_key, case_id) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(jurisdiction_id)
    .bind(origin)
    .bind(reference_key)
    .bind(case_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A list's filter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Cases whose recorded jurisdiction lineage holds this organisation.
    pub org_id: String,
    /// `CaseStage`; 0: any.
    pub stage: i64,
    /// Sector code; empty: any.
    pub sector: String,
}

/// Cases of the filter before `(received_date, id)` (most recent first),
/// at most `limit`; `after` empty from the first.
pub async fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
    after: (&str, &str),
    limit: i64,
) -> Result<Vec<CaseRow>> {
    let (after_date, after_id) = after;
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM cases \
         WHERE jurisdiction_lineage LIKE $1 \
           AND ($2 = 0 OR stage = $2) AND ($3 = '' OR sector = $3) \
           AND ($4 = '' OR received_date < $4 OR (received_date = $4 AND id < $5)) \
         ORDER BY received_date DESC, id DESC LIMIT $6"
    )))
    .bind(format!("%/{}/%", filter.org_id))
    .bind(filter.stage)
    .bind(&filter.sector)
    .bind(after_date)
    .bind(after_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
