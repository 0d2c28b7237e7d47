//! A plan as stored: the row, its documents and attendance statuses, and
//! the wire `Plan` made from them. Shared by every part of the service that
//! works under a plan.

use probity_platform::{
    ApiError, Call, dates,
    resource::{etag, parse_name},
};
use probity_proto::probity::study::v1::{
    AttendanceStatusDefinition, CompletionRule, LearningReportRequirement, Plan, ReportCondition,
};
use sqlx::{AnyConnection, Row};
use time::Date;

use crate::{error::Result, members::lineage_ids};

/// One attendance status of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// The code, e.g. `present`.
    pub code: String,
    /// The label.
    pub label: String,
    /// Whether it counts as attended.
    pub attended: bool,
}

/// The statuses a plan gets when it names none.
pub fn default_statuses() -> Vec<Status> {
    [
        ("present", "Có mặt", true),
        ("late", "Đến muộn", true),
        ("excused", "Vắng có lý do", false),
        ("absent", "Vắng không lý do", false),
    ]
    .into_iter()
    .map(|(code, label, attended)| Status {
        code: code.into(),
        label: label.into(),
        attended,
    })
    .collect()
}

/// A stored plan with everything the service reasons about.
#[derive(Debug, Clone)]
pub struct PlanRecord {
    /// The plan's id.
    pub id: String,
    /// The scope's root organisation id.
    pub scope_id: String,
    /// Ids from the root of the tree down to and including the scope's
    /// root, stored as `/a/b/`.
    pub scope_lineage: String,
    /// The issue date.
    pub issue_date: Date,
    /// The period.
    pub period_start: Date,
    /// The period's last day.
    pub period_end: Date,
    /// The date of the eligible roster.
    pub reference_date: Date,
    /// Whether learning reports are required.
    pub report_required: bool,
    /// Days after a class a report is due.
    pub report_due_days: i64,
    /// No report after this day without an extension.
    pub report_cutoff: Option<Date>,
    /// Counted classes needed for completion.
    pub min_classes: i64,
    /// Report condition for completion.
    pub report_condition: ReportCondition,
    /// The attendance statuses.
    pub statuses: Vec<Status>,
    /// The status of unmarked expected members at closing.
    pub unmarked_status: String,
    /// The plan as on the wire.
    pub plan: Plan,
}

impl PlanRecord {
    /// The plan's resource name.
    pub fn name(&self) -> String {
        format!("plans/{}", self.id)
    }

    /// The status with `code`, if the plan has it.
    pub fn status(&self, code: &str) -> Option<&Status> {
        self.statuses.iter().find(|s| s.code == code)
    }

    /// The scope lineage as ids.
    pub fn lineage(&self) -> impl Iterator<Item = &str> {
        lineage_ids(&self.scope_lineage)
    }

    /// `NOT_FOUND` unless the caller may read the plan: their scope covers
    /// the plan's scope, or lies inside it (a cell reads the province's
    /// plan it carries out).
    pub async fn check_read(&self, conn: &mut AnyConnection, call: &Call) -> Result<()> {
        if call.caller.covers(self.lineage()) {
            return Ok(());
        }
        for root in call.caller.scope_roots() {
            let inside: Option<(String,)> =
                sqlx::query_as("SELECT org_id FROM plan_orgs WHERE plan_id = $1 AND org_id = $2")
                    .bind(&self.id)
                    .bind(root)
                    .fetch_optional(&mut *conn)
                    .await?;
            if inside.is_some() {
                return Ok(());
            }
        }
        Err(ApiError::not_found(&self.plan.name).into())
    }
}

const COLUMNS: &str = "id, symbol, issue_date, title, scope_id, scope_lineage, audience, period_start, period_end, \
    reference_date, report_required, report_due_days, report_cutoff, min_classes, report_condition, unmarked_status, \
    roster_micros, eligible, revision, create_micros, update_micros";

/// Loads a plan by id.
pub async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<PlanRecord>> {
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(format!(
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
    let statuses: Vec<Status> = statuses
        .into_iter()
        .map(|(code, label, attended)| Status {
            code,
            label,
            attended: attended != 0,
        })
        .collect();
    let date =
        |col: &str| -> Result<Date> { Ok(dates::from_sql(&row.try_get::<String, _>(col)?)?) };
    let cutoff: Option<String> = row.try_get("report_cutoff")?;
    let cutoff = cutoff.as_deref().map(dates::from_sql).transpose()?;
    let condition = ReportCondition::try_from(row.try_get::<i64, _>("report_condition")? as i32)
        .unwrap_or(ReportCondition::None);
    let scope_id: String = row.try_get("scope_id")?;
    let roster_micros: i64 = row.try_get("roster_micros")?;
    let record = PlanRecord {
        id: id.to_string(),
        scope_lineage: row.try_get("scope_lineage")?,
        issue_date: date("issue_date")?,
        period_start: date("period_start")?,
        period_end: date("period_end")?,
        reference_date: date("reference_date")?,
        report_required: row.try_get::<i64, _>("report_required")? != 0,
        report_due_days: row.try_get("report_due_days")?,
        report_cutoff: cutoff,
        min_classes: row.try_get("min_classes")?,
        report_condition: condition,
        unmarked_status: row.try_get("unmarked_status")?,
        plan: Plan {
            name: format!("plans/{id}"),
            symbol: row.try_get("symbol")?,
            issue_date: Some(dates::to_proto(date("issue_date")?)),
            title: row.try_get("title")?,
            documents: documents
                .into_iter()
                .map(|(d,)| format!("documents/{d}"))
                .collect(),
            scope: format!("organizations/{scope_id}"),
            audience: row.try_get("audience")?,
            period_start: Some(dates::to_proto(date("period_start")?)),
            period_end: Some(dates::to_proto(date("period_end")?)),
            reference_date: Some(dates::to_proto(date("reference_date")?)),
            learning_report: Some(LearningReportRequirement {
                required: row.try_get::<i64, _>("report_required")? != 0,
                due_days: row.try_get::<i64, _>("report_due_days")? as i32,
                cutoff_date: cutoff.map(dates::to_proto),
            }),
            completion_rule: Some(CompletionRule {
                min_counted_classes: row.try_get::<i64, _>("min_classes")? as i32,
                report: condition as i32,
            }),
            attendance_statuses: statuses
                .iter()
                .map(|s| AttendanceStatusDefinition {
                    code: s.code.clone(),
                    label: s.label.clone(),
                    counts_as_attended: s.attended,
                })
                .collect(),
            unmarked_status: row.try_get("unmarked_status")?,
            roster_time: (roster_micros > 0).then(|| dates::timestamp(roster_micros)),
            eligible_members: row.try_get::<i64, _>("eligible")? as i32,
            etag: etag(row.try_get("revision")?),
            create_time: Some(dates::timestamp(row.try_get("create_micros")?)),
            update_time: Some(dates::timestamp(row.try_get("update_micros")?)),
        },
        scope_id,
        statuses,
    };
    Ok(Some(record))
}

/// Loads the plan named `name` (in request field `field`) that the caller
/// may read: `NOT_FOUND` otherwise.
pub async fn visible(
    conn: &mut AnyConnection,
    call: &Call,
    field: &str,
    name: &str,
) -> Result<PlanRecord> {
    let id = parse_name(field, name, "plans")?;
    let plan = load(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    plan.check_read(conn, call).await?;
    Ok(plan)
}
