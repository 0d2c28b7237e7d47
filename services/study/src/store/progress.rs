//! The reads behind a plan's progress: figures per organisation of the
//! roster, the classes and non-members, the members still to attend, and
//! the warnings. Everything here reads study's own tables (the roster
//! snapshot included), so it keeps working while members is down.

use probity_platform::resource::path_upper;
use probity_proto::probity::study::v1::{ClassState, LearningReportState as S};
use sqlx::AnyConnection;

use crate::{error::Result, rules::progress::Node};

/// The plan's tree, in path order (parents before children).
pub async fn tree(conn: &mut AnyConnection, plan_id: &str) -> Result<Vec<Node>> {
    let rows: Vec<(String, Option<String>, String, i64, String)> = sqlx::query_as(
        "SELECT org_id, parent_id, path, depth, display_name FROM plan_orgs WHERE plan_id = $1 ORDER BY path",
    )
    .bind(plan_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, parent, path, depth, name)| Node {
            id,
            parent,
            path,
            depth,
            name,
            ..Node::default()
        })
        .collect())
}

/// The path of organisation `org_id` in the plan's tree, if it is there.
pub async fn path_of(
    conn: &mut AnyConnection,
    plan_id: &str,
    org_id: &str,
) -> Result<Option<String>> {
    let path: Option<(String,)> =
        sqlx::query_as("SELECT path FROM plan_orgs WHERE plan_id = $1 AND org_id = $2")
            .bind(plan_id)
            .bind(org_id)
            .fetch_optional(conn)
            .await?;
    Ok(path.map(|(p,)| p))
}

/// Eligible, attended and completed (on attendance alone) members of one
/// organisation of the roster.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberFigures {
    /// The organisation.
    pub org_id: String,
    /// Eligible members.
    pub eligible: i64,
    /// … who attended a counted class.
    pub attended: i64,
    /// … who attended `min_classes` counted classes.
    pub completed: i64,
}

/// Member figures per organisation of the roster, from the kept count of
/// counted classes attended (a covering index: no table lookups).
pub async fn member_figures(
    conn: &mut AnyConnection,
    plan_id: &str,
    min_classes: i64,
) -> Result<Vec<MemberFigures>> {
    Ok(sqlx::query_as(
        "SELECT org_id, COUNT(*) AS eligible, \
         CAST(SUM(CASE WHEN attended_classes >= 1 THEN 1 ELSE 0 END) AS BIGINT) AS attended, \
         CAST(SUM(CASE WHEN attended_classes >= $2 THEN 1 ELSE 0 END) AS BIGINT) AS completed \
         FROM plan_roster WHERE plan_id = $1 GROUP BY org_id",
    )
    .bind(plan_id)
    .bind(min_classes)
    .fetch_all(conn)
    .await?)
}

/// Reports of eligible members of one organisation of the roster.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportFigures {
    /// The organisation.
    pub org_id: String,
    /// Reports submitted (and evaluated since).
    pub submitted: i64,
    /// … late.
    pub late: i64,
    /// … accepted.
    pub accepted: i64,
    /// Members who completed with a submitted report.
    pub done_submitted: i64,
    /// Members who completed with an accepted report.
    pub done_accepted: i64,
}

/// Report figures per organisation of the roster, with the members who
/// completed under each report condition.
pub async fn report_figures(
    conn: &mut AnyConnection,
    plan_id: &str,
    min_classes: i64,
) -> Result<Vec<ReportFigures>> {
    let (submitted, accepted, rejected) =
        (S::Submitted as i32, S::Accepted as i32, S::Rejected as i32);
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT r.org_id, \
         CAST(SUM(CASE WHEN p.state IN ({submitted}, {accepted}, {rejected}) THEN 1 ELSE 0 END) AS BIGINT) AS submitted, \
         CAST(SUM(CASE WHEN p.state IN ({submitted}, {accepted}, {rejected}) AND p.late = 1 THEN 1 ELSE 0 END) AS BIGINT) AS late, \
         CAST(SUM(CASE WHEN p.state = {accepted} THEN 1 ELSE 0 END) AS BIGINT) AS accepted, \
         COUNT(DISTINCT CASE WHEN p.state IN ({submitted}, {accepted}) AND r.attended_classes >= $2 THEN r.member_id END) AS done_submitted, \
         COUNT(DISTINCT CASE WHEN p.state = {accepted} AND r.attended_classes >= $2 THEN r.member_id END) AS done_accepted \
         FROM reports p JOIN plan_roster r ON r.plan_id = p.plan_id AND r.member_id = p.member_id \
         WHERE p.plan_id = $1 GROUP BY r.org_id"
    )))
    .bind(plan_id)
    .bind(min_classes)
    .fetch_all(conn)
    .await?)
}

/// A class as progress counts it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CountedClass {
    /// Its id.
    pub id: String,
    /// Its organiser's lineage.
    pub org_lineage: String,
    /// The class it makes up for.
    pub make_up_for: Option<String>,
    /// 1 when left out of the rate.
    pub excluded: i64,
    /// Non-members counted by head.
    pub head_count: i64,
}

/// The plan's classes not cancelled.
pub async fn classes(conn: &mut AnyConnection, plan_id: &str) -> Result<Vec<CountedClass>> {
    Ok(sqlx::query_as(
        "SELECT id, org_lineage, make_up_for, excluded, head_count FROM classes WHERE plan_id = $1 AND state <> $2",
    )
    .bind(plan_id)
    .bind(ClassState::Cancelled as i64)
    .fetch_all(conn)
    .await?)
}

/// Named non-members of the plan's classes not cancelled: `(class id,
/// identity number)`.
pub async fn named_non_members(
    conn: &mut AnyConnection,
    plan_id: &str,
) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT n.class_id, n.identity_number FROM non_members n JOIN classes c ON c.id = n.class_id \
         WHERE c.plan_id = $1 AND c.state <> $2",
    )
    .bind(plan_id)
    .bind(ClassState::Cancelled as i64)
    .fetch_all(conn)
    .await?)
}

/// Supervision visits per inspected organisation.
pub async fn visits(conn: &mut AnyConnection, plan_id: &str) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT inspected_id, COUNT(*) FROM supervision_visits WHERE plan_id = $1 GROUP BY inspected_id",
    )
    .bind(plan_id)
    .fetch_all(conn)
    .await?)
}

/// A member of the roster: id, full name, card number, organisation.
pub type RosterRow = (String, String, String, String);

/// Not attended any counted class of the plan (roster row `r`).
const NOT_ATTENDED: &str = "r.attended_classes = 0";

/// One page of the eligible members under `path` — only those who
/// attended no counted class when `absent_only` — after member id `after`.
pub async fn roster(
    conn: &mut AnyConnection,
    plan_id: &str,
    path: &str,
    absent_only: bool,
    after: &str,
    limit: i64,
) -> Result<Vec<RosterRow>> {
    let absent = if absent_only { NOT_ATTENDED } else { "1 = 1" };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT r.member_id, r.full_name, r.card, r.org_id FROM plan_roster r \
         JOIN plan_orgs o ON o.plan_id = r.plan_id AND o.org_id = r.org_id \
         WHERE r.plan_id = $1 AND o.path >= $2 AND o.path < $3 AND r.member_id > $4 AND {absent} \
         ORDER BY r.member_id LIMIT $5"
    )))
    .bind(plan_id)
    .bind(path)
    .bind(path_upper(path))
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// A member who missed every class they were expected at.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MissedAll {
    /// Member id.
    pub member_id: String,
    /// Full name.
    pub full_name: String,
    /// Card number.
    pub card: String,
    /// Organisation.
    pub org_id: String,
    /// Closed counted classes missed.
    pub missed: i64,
}

/// One page of the eligible members under `path` who attended no counted
/// class though expected at closed ones, after member id `after`.
pub async fn missed_all(
    conn: &mut AnyConnection,
    plan_id: &str,
    path: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<MissedAll>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT r.member_id, r.full_name, r.card, r.org_id, COUNT(*) AS missed FROM plan_roster r \
         JOIN plan_orgs o ON o.plan_id = r.plan_id AND o.org_id = r.org_id \
         JOIN attendance x ON x.member_id = r.member_id JOIN classes k ON k.id = x.class_id \
         WHERE r.plan_id = $1 AND k.plan_id = $1 AND k.excluded = 0 AND k.state = {} \
         AND o.path >= $2 AND o.path < $3 AND r.member_id > $4 AND {NOT_ATTENDED} \
         GROUP BY r.member_id, r.full_name, r.card, r.org_id ORDER BY r.member_id LIMIT $5",
        ClassState::Closed as i32
    )))
    .bind(plan_id)
    .bind(path)
    .bind(path_upper(path))
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// A member whose learning report is overdue.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Overdue {
    /// Member id.
    pub member_id: String,
    /// Full name.
    pub full_name: String,
    /// Card number.
    pub card: String,
    /// Organisation.
    pub org_id: String,
    /// The first counted class attended (ISO).
    pub first_date: String,
    /// The latest extension granted (ISO).
    pub extended: Option<String>,
}

/// One page of the eligible members under `path` without a report for
/// the plan: due from the first counted class they attended (class date
/// before `limit_date`), or by the latest extension (before `as_of`);
/// after member id `after`.
pub async fn overdue(
    conn: &mut AnyConnection,
    plan_id: &str,
    path: &str,
    (limit_date, as_of): (&str, &str),
    after: &str,
    limit: i64,
) -> Result<Vec<Overdue>> {
    let (submitted, accepted, rejected) =
        (S::Submitted as i32, S::Accepted as i32, S::Rejected as i32);
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT r.member_id, r.full_name, r.card, r.org_id, MIN(k.class_date) AS first_date, \
         MAX(e.due_date) AS extended FROM plan_roster r \
         JOIN plan_orgs o ON o.plan_id = r.plan_id AND o.org_id = r.org_id \
         JOIN attendance x ON x.member_id = r.member_id JOIN classes k ON k.id = x.class_id \
         LEFT JOIN report_extensions e ON e.class_id = k.id AND e.member_id = r.member_id \
         WHERE r.plan_id = $1 AND k.plan_id = $1 AND k.state <> {} AND k.excluded = 0 AND x.attended = 1 \
         AND o.path >= $2 AND o.path < $3 AND r.member_id > $6 \
         AND NOT EXISTS (SELECT 1 FROM reports p WHERE p.plan_id = $1 AND p.member_id = r.member_id \
           AND p.state IN ({submitted}, {accepted}, {rejected})) \
         GROUP BY r.member_id, r.full_name, r.card, r.org_id \
         HAVING (MAX(e.due_date) IS NULL AND MIN(k.class_date) < $4) OR MAX(e.due_date) < $5 \
         ORDER BY r.member_id LIMIT $7",
        ClassState::Cancelled as i32
    )))
    .bind(plan_id)
    .bind(path)
    .bind(path_upper(path))
    .bind(limit_date)
    .bind(as_of)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The first counted class on `date` that `member_id` attended in the plan.
pub async fn class_attended_on(
    conn: &mut AnyConnection,
    plan_id: &str,
    member_id: &str,
    date: &str,
) -> Result<String> {
    let (class_id,): (String,) = sqlx::query_as(
        "SELECT k.id FROM attendance x JOIN classes k ON k.id = x.class_id WHERE x.member_id = $1 \
         AND k.plan_id = $2 AND k.class_date = $3 AND x.attended = 1 ORDER BY k.id LIMIT 1",
    )
    .bind(member_id)
    .bind(plan_id)
    .bind(date)
    .fetch_one(conn)
    .await?;
    Ok(class_id)
}
