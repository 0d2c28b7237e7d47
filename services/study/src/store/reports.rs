//! Learning reports and their extensions in storage.

use probity_platform::dates;
use probity_proto::probity::study::v1::{LearningReportState, ReportGrade};
use sqlx::AnyConnection;
use time::Date;

use crate::error::Result;

/// A learning report as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportRow {
    /// Id.
    pub id: String,
    /// The plan's id.
    pub plan_id: String,
    /// The class written about.
    pub class_id: String,
    /// The member's id.
    pub member_id: String,
    /// The report.
    pub content: String,
    /// Submitted on (ISO).
    pub submitted_on: String,
    /// Due on (ISO).
    pub due_date: String,
    /// 1 when submitted after its due date.
    pub late: i64,
    /// `LearningReportState`.
    pub state: i64,
    /// `ReportGrade`.
    pub grade: i64,
    /// The evaluator's comments.
    pub comments: String,
    /// Who evaluated it.
    pub evaluator: String,
    /// Evaluated on (ISO).
    pub evaluated_on: Option<String>,
    /// Why it was reopened.
    pub reopen_reason: String,
    /// Revision, for the etag.
    pub revision: i64,
    /// Created (µs).
    pub create_micros: i64,
    /// Updated (µs).
    pub update_micros: i64,
}

impl ReportRow {
    /// The report's state.
    pub fn state(&self) -> LearningReportState {
        LearningReportState::try_from(self.state as i32).unwrap_or(LearningReportState::Unspecified)
    }
}

const COLUMNS: &str = "id, plan_id, class_id, member_id, content, submitted_on, due_date, late, state, grade, comments, \
    evaluator, evaluated_on, reopen_reason, revision, create_micros, update_micros";

/// The report with id `id`.
pub async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<ReportRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM reports WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// The report of member `member_id` about class `class_id`, if any.
pub async fn load_for(
    conn: &mut AnyConnection,
    class_id: &str,
    member_id: &str,
) -> Result<Option<ReportRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM reports WHERE class_id = $1 AND member_id = $2"
    )))
    .bind(class_id)
    .bind(member_id)
    .fetch_optional(conn)
    .await?)
}

/// The due date an extension gave `member_id`'s report about `class_id`.
pub async fn extension(
    conn: &mut AnyConnection,
    class_id: &str,
    member_id: &str,
) -> Result<Option<Date>> {
    let ext: Option<(String,)> = sqlx::query_as(
        "SELECT due_date FROM report_extensions WHERE class_id = $1 AND member_id = $2",
    )
    .bind(class_id)
    .bind(member_id)
    .fetch_optional(conn)
    .await?;
    Ok(ext.map(|(d,)| dates::from_sql(&d)).transpose()?)
}

/// A submission to store.
pub struct Submitted<'a> {
    /// The report.
    pub content: &'a str,
    /// Submitted on.
    pub on: Date,
    /// Due on.
    pub due: Date,
    /// Submitted after its due date.
    pub late: bool,
}

/// Records a new report of `member_id` about class `class_id` of plan
/// `plan_id`, at `now`.
pub async fn insert(
    conn: &mut AnyConnection,
    id: &str,
    (plan_id, class_id, member_id): (&str, &str, &str),
    s: &Submitted<'_>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO reports (id, plan_id, class_id, member_id, content, submitted_on, due_date, late, state, \
         grade, comments, evaluator, evaluated_on, reopen_reason, revision, create_micros, update_micros) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', '', NULL, '', 1, $11, $11)",
    )
    .bind(id)
    .bind(plan_id)
    .bind(class_id)
    .bind(member_id)
    .bind(s.content)
    .bind(dates::to_sql(s.on))
    .bind(dates::to_sql(s.due))
    .bind(i64::from(s.late))
    .bind(LearningReportState::Submitted as i64)
    .bind(ReportGrade::Unspecified as i64)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Resubmits a reopened report, clearing its evaluation.
pub async fn resubmit(
    conn: &mut AnyConnection,
    id: &str,
    s: &Submitted<'_>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE reports SET content = $1, submitted_on = $2, due_date = $3, late = $4, state = $5, grade = $6, \
         comments = '', evaluator = '', evaluated_on = NULL, revision = revision + 1, update_micros = $7 \
         WHERE id = $8",
    )
    .bind(s.content)
    .bind(dates::to_sql(s.on))
    .bind(dates::to_sql(s.due))
    .bind(i64::from(s.late))
    .bind(LearningReportState::Submitted as i64)
    .bind(ReportGrade::Unspecified as i64)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// An evaluation to store.
pub struct Evaluated<'a> {
    /// The report's state after it.
    pub state: LearningReportState,
    /// The grade.
    pub grade: ReportGrade,
    /// The comments.
    pub comments: &'a str,
    /// Who evaluated.
    pub evaluator: &'a str,
    /// On which day.
    pub on: Date,
}

/// Records an evaluation.
pub async fn evaluate(
    conn: &mut AnyConnection,
    id: &str,
    e: &Evaluated<'_>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE reports SET state = $1, grade = $2, comments = $3, evaluator = $4, evaluated_on = $5, \
         revision = revision + 1, update_micros = $6 WHERE id = $7",
    )
    .bind(e.state as i64)
    .bind(e.grade as i64)
    .bind(e.comments)
    .bind(e.evaluator)
    .bind(dates::to_sql(e.on))
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Reopens a report with `reason`, clearing its evaluation.
pub async fn reopen(conn: &mut AnyConnection, id: &str, reason: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE reports SET state = $1, grade = $2, comments = '', evaluator = '', evaluated_on = NULL, \
         reopen_reason = $3, revision = revision + 1, update_micros = $4 WHERE id = $5",
    )
    .bind(LearningReportState::Reopened as i64)
    .bind(ReportGrade::Unspecified as i64)
    .bind(reason)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Grants (or moves) an extension of `member_id`'s report about `class_id`.
pub async fn extend(
    conn: &mut AnyConnection,
    (class_id, member_id): (&str, &str),
    due: Date,
    reason: &str,
    granted_by: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO report_extensions (class_id, member_id, due_date, reason, granted_by, create_micros) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (class_id, member_id) DO UPDATE SET due_date = excluded.due_date, \
         reason = excluded.reason, granted_by = excluded.granted_by, create_micros = excluded.create_micros",
    )
    .bind(class_id)
    .bind(member_id)
    .bind(dates::to_sql(due))
    .bind(reason)
    .bind(granted_by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A report with its class's organiser lineage, for scope.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListedReport {
    /// The report.
    #[sqlx(flatten)]
    pub report: ReportRow,
    /// The class organiser's lineage.
    pub org_lineage: String,
}

/// One page of a plan's reports (optionally of one class and state) after
/// id `after`.
pub async fn list(
    conn: &mut AnyConnection,
    plan_id: &str,
    class_id: &str,
    state: LearningReportState,
    after: &str,
    limit: i64,
) -> Result<Vec<ListedReport>> {
    let columns = COLUMNS
        .split(", ")
        .map(|c| format!("r.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {columns}, c.org_lineage FROM reports r JOIN classes c ON c.id = r.class_id \
         WHERE r.plan_id = $1 AND ($2 = '' OR r.class_id = $2) AND ($3 = 0 OR r.state = $3) \
         AND r.id > $4 ORDER BY r.id LIMIT $5"
    )))
    .bind(plan_id)
    .bind(class_id)
    .bind(state as i64)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
