//! Classes in storage: the class row with its counts, presenters and
//! materials, read into a [`ClassRecord`], or its light [`ClassHead`].

use probity_platform::dates;
use probity_proto::probity::study::v1::ClassState;
use sqlx::AnyConnection;

use crate::{
    error::Result,
    rules::classes::{Fields, MaterialFields, PresenterFields},
};

#[derive(Debug, Clone, sqlx::FromRow)]
struct ClassRow {
    id: String,
    plan_id: String,
    org_id: String,
    org_lineage: String,
    title: String,
    start_micros: i64,
    end_micros: Option<i64>,
    class_date: String,
    format: i64,
    venue: String,
    online_link: String,
    make_up_for: Option<String>,
    excluded: i64,
    state: i64,
    head_count: i64,
    cancel_reason: String,
    revision: i64,
    create_micros: i64,
    update_micros: i64,
    recorded: i64,
    attended: i64,
    named: i64,
}

const COLUMNS: &str = "id, plan_id, org_id, org_lineage, title, start_micros, end_micros, class_date, format, venue, \
    online_link, make_up_for, excluded, state, head_count, cancel_reason, revision, create_micros, update_micros";

/// A stored class with what the service reasons about.
#[derive(Debug, Clone)]
pub struct ClassRecord {
    /// The class id.
    pub id: String,
    /// Its plan's id.
    pub plan_id: String,
    /// The organising organisation's id.
    pub org_id: String,
    /// Ids from the root down to the organising organisation, `/a/b/`.
    pub org_lineage: String,
    /// The class date (Vietnam).
    pub class_date: time::Date,
    /// Its state.
    pub state: ClassState,
    /// The class it makes up for (id).
    pub make_up_for: Option<String>,
    /// The fields a class is scheduled and updated with.
    pub fields: Fields,
    /// Non-members counted by head.
    pub head_count: i64,
    /// Why it was cancelled.
    pub cancel_reason: String,
    /// Members with attendance recorded.
    pub members_recorded: i64,
    /// … of whom attended.
    pub members_attended: i64,
    /// Named non-members.
    pub named_non_members: i64,
    /// Its revision, the etag's number.
    pub revision: i64,
    /// Created (µs).
    pub create_micros: i64,
    /// Updated (µs).
    pub update_micros: i64,
}

impl ClassRecord {
    /// The class's resource name.
    pub fn name(&self) -> String {
        format!("classes/{}", self.id)
    }

    /// The organiser's resource name.
    pub fn organization(&self) -> String {
        format!("organizations/{}", self.org_id)
    }

    /// The part of the record a change checks.
    pub fn head(&self) -> ClassHead {
        ClassHead {
            id: self.id.clone(),
            org_lineage: self.org_lineage.clone(),
            state: self.state,
            revision: self.revision,
        }
    }
}

/// Loads a class by id, with its counts (in the same statement: classes
/// are loaded by most calls).
pub async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<ClassRecord>> {
    let Some(row) = sqlx::query_as::<_, ClassRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, \
         (SELECT COUNT(*) FROM attendance a WHERE a.class_id = c.id) AS recorded, \
         (SELECT CAST(COALESCE(SUM(a.attended), 0) AS BIGINT) FROM attendance a WHERE a.class_id = c.id) AS attended, \
         (SELECT COUNT(*) FROM non_members n WHERE n.class_id = c.id) AS named \
         FROM classes c WHERE c.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let presenters: Vec<PresenterFields> = sqlx::query_as(
        "SELECT full_name, title, member_id FROM class_presenters WHERE class_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let materials: Vec<MaterialFields> = sqlx::query_as(
        "SELECT title, document_id, copies FROM class_materials WHERE class_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let class_date = dates::from_sql(&row.class_date)?;
    Ok(Some(ClassRecord {
        fields: Fields {
            title: row.title,
            start_micros: row.start_micros,
            end_micros: row.end_micros,
            class_date,
            format: probity_proto::probity::study::v1::ClassFormat::try_from(row.format as i32)
                .unwrap_or_default(),
            venue: row.venue,
            online_link: row.online_link,
            presenters,
            materials,
            excluded: row.excluded != 0,
        },
        id: row.id,
        plan_id: row.plan_id,
        org_id: row.org_id,
        org_lineage: row.org_lineage,
        class_date,
        state: ClassState::try_from(row.state as i32).unwrap_or(ClassState::Unspecified),
        make_up_for: row.make_up_for,
        head_count: row.head_count,
        cancel_reason: row.cancel_reason,
        members_recorded: row.recorded,
        members_attended: row.attended,
        named_non_members: row.named,
        revision: row.revision,
        create_micros: row.create_micros,
        update_micros: row.update_micros,
    }))
}

/// What a change to a class checks, read in one light statement (no
/// counts, presenters or materials): writes that only add to a class
/// (attendance, non-members, closing) take it inside their transaction.
#[derive(Debug, Clone)]
pub struct ClassHead {
    /// The class id.
    pub id: String,
    /// Ids from the root down to the organising organisation, `/a/b/`.
    pub org_lineage: String,
    /// Its state.
    pub state: ClassState,
    /// Its revision, the etag's number.
    pub revision: i64,
}

impl ClassHead {
    /// The class's resource name.
    pub fn name(&self) -> String {
        format!("classes/{}", self.id)
    }
}

/// Loads a class's [`ClassHead`] by id.
pub async fn head(conn: &mut AnyConnection, id: &str) -> Result<Option<ClassHead>> {
    let row: Option<(String, i64, i64)> =
        sqlx::query_as("SELECT org_lineage, state, revision FROM classes WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(|(org_lineage, state, revision)| ClassHead {
        id: id.to_string(),
        org_lineage,
        state: ClassState::try_from(state as i32).unwrap_or(ClassState::Unspecified),
        revision,
    }))
}

/// A new class's identity: what CreateClass sets besides its fields.
pub struct NewClassRow<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its plan's id.
    pub plan_id: &'a str,
    /// The organiser's id.
    pub org_id: &'a str,
    /// The organiser's lineage, `/a/b/`.
    pub org_lineage: &'a str,
    /// The class it makes up for.
    pub make_up_for: Option<&'a str>,
}

/// Schedules a class at `now`.
pub async fn insert(
    conn: &mut AnyConnection,
    c: &NewClassRow<'_>,
    f: &Fields,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO classes (id, plan_id, org_id, org_lineage, title, start_micros, end_micros, class_date, format, \
         venue, online_link, make_up_for, excluded, state, head_count, cancel_reason, revision, create_micros, \
         update_micros) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, '', 1, $15, $15)",
    )
    .bind(c.id)
    .bind(c.plan_id)
    .bind(c.org_id)
    .bind(c.org_lineage)
    .bind(&f.title)
    .bind(f.start_micros)
    .bind(f.end_micros)
    .bind(dates::to_sql(f.class_date))
    .bind(f.format as i64)
    .bind(&f.venue)
    .bind(&f.online_link)
    .bind(c.make_up_for)
    .bind(i64::from(f.excluded))
    .bind(ClassState::Scheduled as i64)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    store_lists(conn, c.id, f).await
}

/// Sets a class's fields, with a new revision.
pub async fn update(conn: &mut AnyConnection, id: &str, f: &Fields, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE classes SET title = $1, start_micros = $2, end_micros = $3, class_date = $4, format = $5, \
         venue = $6, online_link = $7, excluded = $8, revision = revision + 1, update_micros = $9 WHERE id = $10",
    )
    .bind(&f.title)
    .bind(f.start_micros)
    .bind(f.end_micros)
    .bind(dates::to_sql(f.class_date))
    .bind(f.format as i64)
    .bind(&f.venue)
    .bind(&f.online_link)
    .bind(i64::from(f.excluded))
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    store_lists(conn, id, f).await
}

/// Writes a class's presenters and materials (replacing any).
async fn store_lists(conn: &mut AnyConnection, id: &str, f: &Fields) -> Result<()> {
    for table in ["class_presenters", "class_materials"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE class_id = $1"
        )))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    for (i, (name, position, member)) in f.presenters.iter().enumerate() {
        sqlx::query(
            "INSERT INTO class_presenters (class_id, position, full_name, title, member_id) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(i as i64)
        .bind(name)
        .bind(position)
        .bind(member)
        .execute(&mut *conn)
        .await?;
    }
    for (i, (title, document, copies)) in f.materials.iter().enumerate() {
        sqlx::query(
            "INSERT INTO class_materials (class_id, position, title, document_id, copies) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(i as i64)
        .bind(title)
        .bind(document)
        .bind(copies)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Moves a class to `state`, with a new revision.
pub async fn set_state(
    conn: &mut AnyConnection,
    id: &str,
    state: ClassState,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE classes SET state = $1, revision = revision + 1, update_micros = $2 WHERE id = $3",
    )
    .bind(state as i64)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Cancels a class with `reason`, with a new revision.
pub async fn cancel(conn: &mut AnyConnection, id: &str, reason: &str, now: i64) -> Result<()> {
    set_state(conn, id, ClassState::Cancelled, now).await?;
    sqlx::query("UPDATE classes SET cancel_reason = $1 WHERE id = $2")
        .bind(reason)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// One page of a plan's classes (optionally of one organiser), in start
/// order after (start, id) `after`: `(id, start, lineage)`.
pub async fn list(
    conn: &mut AnyConnection,
    plan_id: &str,
    org_id: &str,
    after: (i64, &str),
    limit: i64,
) -> Result<Vec<(String, i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, start_micros, org_lineage FROM classes WHERE plan_id = $1 AND ($2 = '' OR org_id = $2) \
         AND (start_micros > $3 OR (start_micros = $3 AND id > $4)) ORDER BY start_micros, id LIMIT $5",
    )
    .bind(plan_id)
    .bind(org_id)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
