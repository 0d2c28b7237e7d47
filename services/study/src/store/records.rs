//! The reads behind a member's study record: attendance at the classes of
//! a year and the reports for them.

use probity_proto::probity::study::v1::ClassState;
use sqlx::AnyConnection;

use crate::error::Result;

/// A member's attendance at one class, with the class.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AttendanceRow {
    /// The class's id.
    pub class_id: String,
    /// Its plan's id.
    pub plan_id: String,
    /// Its title.
    pub title: String,
    /// Its day (ISO).
    pub class_date: String,
    /// The status recorded.
    pub status: String,
    /// 1 when the status counts as attended.
    pub attended: i64,
}

/// One of the member's reports.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReportRow {
    /// The report's id.
    pub id: String,
    /// Its class's id.
    pub class_id: String,
    /// Submitted (ISO).
    pub submitted_on: String,
    /// 1 when late.
    pub late: i64,
    /// `LearningReportState`.
    pub state: i64,
    /// `ReportGrade`.
    pub grade: i64,
}

/// Attendance recorded for member `member_id` at classes held from `from`
/// to before `to` (ISO), cancelled classes left out, by class date.
pub async fn attendance(
    conn: &mut AnyConnection,
    member_id: &str,
    (from, to): (&str, &str),
) -> Result<Vec<AttendanceRow>> {
    Ok(sqlx::query_as(
        "SELECT a.class_id, c.plan_id, c.title, c.class_date, a.status, a.attended \
         FROM attendance a JOIN classes c ON c.id = a.class_id \
         WHERE a.member_id = $1 AND c.class_date >= $2 AND c.class_date < $3 AND c.state <> $4 \
         ORDER BY c.class_date, a.class_id",
    )
    .bind(member_id)
    .bind(from)
    .bind(to)
    .bind(ClassState::Cancelled as i64)
    .fetch_all(conn)
    .await?)
}

/// Member `member_id`'s reports for classes held from `from` to before
/// `to` (ISO), by class date.
pub async fn reports(
    conn: &mut AnyConnection,
    member_id: &str,
    (from, to): (&str, &str),
) -> Result<Vec<ReportRow>> {
    Ok(sqlx::query_as(
        "SELECT r.id, r.class_id, r.submitted_on, r.late, r.state, r.grade \
         FROM reports r JOIN classes c ON c.id = r.class_id \
         WHERE r.member_id = $1 AND c.class_date >= $2 AND c.class_date < $3 \
         ORDER BY c.class_date, r.id",
    )
    .bind(member_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}
