//! Plans in storage: the plan row, its documents and attendance statuses,
//! read together into a [`PlanRecord`].

use probity_platform::{dates, resource::etag};
use probity_proto::probity::study::v1::{ClassState, ReportCondition};
use sqlx::AnyConnection;
use time::Date;

use crate::{
    error::Result,
    rules::{plans::Fields, statuses::Status},
};

#[derive(Debug, Clone, sqlx::FromRow)]
struct PlanRow {
    id: String,
    symbol: String,
    issue_date: String,
    title: String,
    scope_id: String,
    audience: String,
    period_start: String,
    period_end: String,
    reference_date: String,
    report_required: i64,
    report_due_days: i64,
    report_cutoff: Option<String>,
    min_classes: i64,
    report_condition: i64,
    unmarked_status: String,
    roster_micros: i64,
    eligible: i64,
    revision: i64,
    create_micros: i64,
    update_micros: i64,
}

const COLUMNS: &str = "id, symbol, issue_date, title, scope_id, audience, period_start, period_end, \
    reference_date, report_required, report_due_days, report_cutoff, min_classes, report_condition, unmarked_status, \
    roster_micros, eligible, revision, create_micros, update_micros";

/// A stored plan with everything the service reasons about.
#[derive(Debug, Clone)]
pub struct PlanRecord {
    /// The plan's id.
    pub id: String,
    /// Its canonical number-symbol.
    pub symbol: String,
    /// The issue date.
    pub issue_date: Date,
    /// The scope's root organisation id.
    pub scope_id: String,
    /// The date of the eligible roster.
    pub reference_date: Date,
    /// The settable fields.
    pub fields: Fields,
    /// When the eligible roster was taken (µs); 0 for never.
    pub roster_micros: i64,
    /// Eligible members.
    pub eligible: i64,
    /// Revision, the etag's number.
    pub revision: i64,
    /// Created (µs).
    pub create_micros: i64,
    /// Updated (µs).
    pub update_micros: i64,
}

impl PlanRecord {
    /// The plan's resource name.
    pub fn name(&self) -> String {
        format!("plans/{}", self.id)
    }

    /// The scope's resource name.
    pub fn scope(&self) -> String {
        format!("organizations/{}", self.scope_id)
    }

    /// The plan's etag.
    pub fn etag(&self) -> String {
        etag(self.revision)
    }

    /// The status with `code`, if the plan has it.
    pub fn status(&self, code: &str) -> Option<&Status> {
        self.fields.statuses.iter().find(|s| s.code == code)
    }
}

/// Loads a plan by id.
pub async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<PlanRecord>> {
    let Some(row) = sqlx::query_as::<_, PlanRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM plans WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let documents: Vec<(String,)> = sqlx::query_as(
        "SELECT document_id FROM plan_documents WHERE plan_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let statuses: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT code, label, attended FROM plan_statuses WHERE plan_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(PlanRecord {
        issue_date: dates::from_sql(&row.issue_date)?,
        reference_date: dates::from_sql(&row.reference_date)?,
        fields: Fields {
            title: row.title,
            audience: row.audience,
            documents: documents.into_iter().map(|(d,)| d).collect(),
            period_start: dates::from_sql(&row.period_start)?,
            period_end: dates::from_sql(&row.period_end)?,
            report_required: row.report_required != 0,
            report_due_days: row.report_due_days,
            report_cutoff: row
                .report_cutoff
                .as_deref()
                .map(dates::from_sql)
                .transpose()?,
            min_classes: row.min_classes,
            report_condition: ReportCondition::try_from(row.report_condition as i32)
                .unwrap_or(ReportCondition::None),
            statuses: statuses
                .into_iter()
                .map(|(code, label, attended)| Status {
                    code,
                    label,
                    attended: attended != 0,
                })
                .collect(),
            unmarked_status: row.unmarked_status,
        },
        id: row.id,
        symbol: row.symbol,
        scope_id: row.scope_id,
        roster_micros: row.roster_micros,
        eligible: row.eligible,
        revision: row.revision,
        create_micros: row.create_micros,
        update_micros: row.update_micros,
    }))
}

/// A new plan's identity: what CreatePlan sets besides its fields.
pub struct NewPlanRow<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its canonical number-symbol.
    pub symbol: &'a str,
    /// The issue date.
    pub issue_date: Date,
    /// The scope's root organisation id.
    pub scope_id: &'a str,
    /// The scope's lineage, `/a/b/`.
    pub scope_lineage: &'a str,
    /// The date of the eligible roster.
    pub reference_date: Date,
    /// Eligible members.
    pub eligible: i64,
}

/// Records a new plan with its fields at `now` (its roster taken now).
/// A symbol already recorded is `SymbolTaken`.
pub async fn insert(
    conn: &mut AnyConnection,
    p: &NewPlanRow<'_>,
    f: &Fields,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO plans (id, symbol, issue_date, title, scope_id, scope_lineage, audience, period_start, \
         period_end, reference_date, report_required, report_due_days, report_cutoff, min_classes, \
         report_condition, unmarked_status, roster_micros, eligible, revision, create_micros, update_micros) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 1, $17, $17)",
    )
    .bind(p.id)
    .bind(p.symbol)
    .bind(dates::to_sql(p.issue_date))
    .bind(&f.title)
    .bind(p.scope_id)
    .bind(p.scope_lineage)
    .bind(&f.audience)
    .bind(dates::to_sql(f.period_start))
    .bind(dates::to_sql(f.period_end))
    .bind(dates::to_sql(p.reference_date))
    .bind(i64::from(f.report_required))
    .bind(f.report_due_days)
    .bind(f.report_cutoff.map(dates::to_sql))
    .bind(f.min_classes)
    .bind(f.report_condition as i64)
    .bind(&f.unmarked_status)
    .bind(now)
    .bind(p.eligible)
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        if probity_platform::error::is_unique_violation(&e) {
            crate::error::Error::SymbolTaken(format!("plan {}", p.symbol))
        } else {
            e.into()
        }
    })?;
    store_lists(conn, p.id, f).await
}

/// Sets a plan's fields, with a new revision.
pub async fn update(conn: &mut AnyConnection, id: &str, f: &Fields, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE plans SET title = $1, audience = $2, period_start = $3, period_end = $4, report_required = $5, \
         report_due_days = $6, report_cutoff = $7, min_classes = $8, report_condition = $9, \
         unmarked_status = $10, revision = revision + 1, update_micros = $11 WHERE id = $12",
    )
    .bind(&f.title)
    .bind(&f.audience)
    .bind(dates::to_sql(f.period_start))
    .bind(dates::to_sql(f.period_end))
    .bind(i64::from(f.report_required))
    .bind(f.report_due_days)
    .bind(f.report_cutoff.map(dates::to_sql))
    .bind(f.min_classes)
    .bind(f.report_condition as i64)
    .bind(&f.unmarked_status)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    store_lists(conn, id, f).await
}

/// Records that the plan's roster was taken again at `now`.
pub async fn roster_taken(
    conn: &mut AnyConnection,
    id: &str,
    eligible: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE plans SET roster_micros = $1, eligible = $2, revision = revision + 1, update_micros = $1 WHERE id = $3",
    )
    .bind(now)
    .bind(eligible)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes a plan's documents and statuses (replacing any).
async fn store_lists(conn: &mut AnyConnection, id: &str, f: &Fields) -> Result<()> {
    sqlx::query("DELETE FROM plan_documents WHERE plan_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM plan_statuses WHERE plan_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for (i, d) in f.documents.iter().enumerate() {
        sqlx::query(
            "INSERT INTO plan_documents (plan_id, position, document_id) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(i as i64)
        .bind(d)
        .execute(&mut *conn)
        .await?;
    }
    for (i, s) in f.statuses.iter().enumerate() {
        sqlx::query(
            "INSERT INTO plan_statuses (plan_id, position, code, label, attended) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(i as i64)
        .bind(&s.code)
        .bind(&s.label)
        .bind(i64::from(s.attended))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// How many attendance records the plan's classes have.
pub async fn attendance_count(conn: &mut AnyConnection, id: &str) -> Result<i64> {
    let (recorded,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM attendance a JOIN classes c ON c.id = a.class_id WHERE c.plan_id = $1",
    )
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok(recorded)
}

/// The first and last dates of the plan's classes not cancelled.
pub async fn class_span(conn: &mut AnyConnection, id: &str) -> Result<Option<(String, String)>> {
    let (first, last): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT MIN(class_date), MAX(class_date) FROM classes WHERE plan_id = $1 AND state <> $2",
    )
    .bind(id)
    .bind(ClassState::Cancelled as i64)
    .fetch_one(conn)
    .await?;
    Ok(first.zip(last))
}

/// One page of plan ids, newest first: of scope `scope_id` (empty for
/// any), issued from `from` to `to`, after (issue date, id) `after`.
pub async fn list(
    conn: &mut AnyConnection,
    scope_id: &str,
    (from, to): (&str, &str),
    after: (&str, &str),
    limit: i64,
) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, issue_date FROM plans WHERE ($1 = '' OR scope_id = $1) \
         AND issue_date >= $2 AND issue_date <= $3 AND (issue_date < $4 OR (issue_date = $4 AND id < $5)) \
         ORDER BY issue_date DESC, id DESC LIMIT $6",
    )
    .bind(scope_id)
    .bind(from)
    .bind(to)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
