//! Directives and urgings in storage.

use sqlx::AnyConnection;

use crate::error::Result;

/// A directive as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DirectiveRow {
    /// Id.
    pub id: String,
    /// The case's id.
    pub case_id: String,
    /// The agency's id.
    pub agency_id: String,
    /// What it is to do.
    pub content: String,
    /// Issued (ISO).
    pub issue_date: String,
    /// Due (ISO).
    pub due_date: String,
    /// Recorded (µs).
    pub create_micros: i64,
}

/// What an urging urges: a designated case's handling, or an overdue
/// recommendation. Each has its own table of the same columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    /// A designated case (`cases/{id}/urgings/{id}`).
    Case,
    /// A recommendation (`recommendations/{id}/urgings/{id}`).
    Recommendation,
}

impl Parent {
    /// The collection of its resource names.
    pub fn collection(self) -> &'static str {
        match self {
            Parent::Case => "cases",
            Parent::Recommendation => "recommendations",
        }
    }

    fn table(self) -> &'static str {
        match self {
            Parent::Case => "urgings",
            Parent::Recommendation => "recommendation_urgings",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Parent::Case => "case_id",
            Parent::Recommendation => "recommendation_id",
        }
    }

    /// The columns of [`UrgingRow`] to select.
    fn select(self) -> String {
        format!(
            "id, {} AS parent_id, agency_id, directive_id, content, urge_date, \
             requested_deadline, reply, reply_date, create_micros",
            self.column()
        )
    }
}

/// An urging as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UrgingRow {
    /// Id.
    pub id: String,
    /// The id of the case or recommendation it urges.
    pub parent_id: String,
    /// The agency's id.
    pub agency_id: String,
    /// The urged directive's id; empty when none.
    pub directive_id: String,
    /// What is asked.
    pub content: String,
    /// Sent (ISO).
    pub urge_date: String,
    /// The requested deadline (ISO).
    pub requested_deadline: String,
    /// The reply; empty until answered.
    pub reply: String,
    /// The reply's day (ISO).
    pub reply_date: Option<String>,
    /// Recorded (µs).
    pub create_micros: i64,
}

const DIRECTIVE_COLUMNS: &str =
    "id, case_id, agency_id, content, issue_date, due_date, create_micros";

/// Records a directive.
pub async fn insert_directive(conn: &mut AnyConnection, d: &DirectiveRow) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO directives ({DIRECTIVE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )))
    .bind(&d.id)
    .bind(&d.case_id)
    .bind(&d.agency_id)
    .bind(&d.content)
    .bind(&d.issue_date)
    .bind(&d.due_date)
    .bind(d.create_micros)
    .execute(conn)
    .await?;
    Ok(())
}

/// True when case `case_id` has directive `id`.
pub async fn has_directive(conn: &mut AnyConnection, case_id: &str, id: &str) -> Result<bool> {
    let found: Option<(String,)> =
        sqlx::query_as("SELECT id FROM directives WHERE case_id = $1 AND id = $2")
            .bind(case_id)
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// Directives of case `case_id` after id `after`, at most `limit`.
pub async fn directives(
    conn: &mut AnyConnection,
    case_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<DirectiveRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DIRECTIVE_COLUMNS} FROM directives WHERE case_id = $1 AND id > $2 \
         ORDER BY id LIMIT $3"
    )))
    .bind(case_id)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Records an urging of `parent`.
pub async fn insert_urging(conn: &mut AnyConnection, parent: Parent, u: &UrgingRow) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO {} (id, {}, agency_id, directive_id, content, urge_date, requested_deadline, \
         reply, reply_date, create_micros) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        parent.table(),
        parent.column()
    )))
    .bind(&u.id)
    .bind(&u.parent_id)
    .bind(&u.agency_id)
    .bind(&u.directive_id)
    .bind(&u.content)
    .bind(&u.urge_date)
    .bind(&u.requested_deadline)
    .bind(&u.reply)
    .bind(&u.reply_date)
    .bind(u.create_micros)
    .execute(conn)
    .await?;
    Ok(())
}

/// Urging `id` of `parent` `parent_id`.
pub async fn urging(
    conn: &mut AnyConnection,
    parent: Parent,
    parent_id: &str,
    id: &str,
) -> Result<Option<UrgingRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM {} WHERE {} = $1 AND id = $2",
        parent.select(),
        parent.table(),
        parent.column()
    )))
    .bind(parent_id)
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Records the reply to urging `id` of a `parent`.
pub async fn reply(
    conn: &mut AnyConnection,
    parent: Parent,
    id: &str,
    reply: &str,
    day: &str,
) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {} SET reply = $2, reply_date = $3 WHERE id = $1",
        parent.table()
    )))
    .bind(id)
    .bind(reply)
    .bind(day)
    .execute(conn)
    .await?;
    Ok(())
}

/// Urgings of `parent` `parent_id` after id `after`, at most `limit`.
pub async fn urgings(
    conn: &mut AnyConnection,
    parent: Parent,
    parent_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<UrgingRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM {} WHERE {} = $1 AND id > $2 ORDER BY id LIMIT $3",
        parent.select(),
        parent.table(),
        parent.column()
    )))
    .bind(parent_id)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
