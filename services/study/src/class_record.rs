//! A class as stored, and the wire `StudyClass` made from it.

use probity_platform::{
    ApiError, Call, dates,
    resource::{etag, parse_name},
};
use probity_proto::probity::study::v1::{ClassState, Material, Presenter, StudyClass};
use sqlx::{AnyConnection, Row};
use time::Date;

use crate::{error::Result, members::lineage_ids};

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
    pub class_date: Date,
    /// Its state.
    pub state: ClassState,
    /// Its revision, the etag's number.
    pub revision: i64,
    /// The class as on the wire.
    pub class: StudyClass,
}

impl ClassRecord {
    /// The lineage as ids.
    pub fn lineage(&self) -> impl Iterator<Item = &str> {
        lineage_ids(&self.org_lineage)
    }

    /// `NOT_FOUND` unless the caller's scope covers the organiser.
    pub fn check_read(&self, call: &Call) -> Result<(), ApiError> {
        call.caller.check_read(self.lineage(), &self.class.name)
    }

    /// `PERMISSION_DENIED` unless the caller may write for the organiser.
    pub fn check_write(&self, call: &Call) -> Result<(), ApiError> {
        call.caller.check_write(self.lineage(), &self.class.name)
    }

    /// The part of the record a change checks.
    pub fn head(&self) -> ClassHead {
        ClassHead {
            id: self.id.clone(),
            plan_id: self.plan_id.clone(),
            org_lineage: self.org_lineage.clone(),
            state: self.state,
            revision: self.revision,
        }
    }
}

const COLUMNS: &str = "id, plan_id, org_id, org_lineage, title, start_micros, end_micros, class_date, format, venue, \
    online_link, make_up_for, excluded, state, head_count, cancel_reason, revision, create_micros, update_micros";

/// Loads a class by id, with its counts (in the same statement: classes
/// are loaded by most calls).
pub async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<ClassRecord>> {
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(format!(
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
    let presenters: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT full_name, title, member_id FROM class_presenters WHERE class_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let materials: Vec<(String, Option<String>, i64)> = sqlx::query_as(
        "SELECT title, document_id, copies FROM class_materials WHERE class_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let recorded: i64 = row.try_get("recorded")?;
    let attended: i64 = row.try_get("attended")?;
    let named: i64 = row.try_get("named")?;
    let class_date = dates::from_sql(&row.try_get::<String, _>("class_date")?)?;
    let state = ClassState::try_from(row.try_get::<i64, _>("state")? as i32)
        .unwrap_or(ClassState::Unspecified);
    let plan_id: String = row.try_get("plan_id")?;
    let org_id: String = row.try_get("org_id")?;
    let end: Option<i64> = row.try_get("end_micros")?;
    let make_up: Option<String> = row.try_get("make_up_for")?;
    let head_count: i64 = row.try_get("head_count")?;
    let revision: i64 = row.try_get("revision")?;
    Ok(Some(ClassRecord {
        id: id.to_string(),
        org_lineage: row.try_get("org_lineage")?,
        class_date,
        state,
        revision,
        class: StudyClass {
            name: format!("classes/{id}"),
            plan: format!("plans/{plan_id}"),
            organization: format!("organizations/{org_id}"),
            title: row.try_get("title")?,
            start_time: Some(dates::timestamp(row.try_get("start_micros")?)),
            end_time: end.map(dates::timestamp),
            class_date: Some(dates::to_proto(class_date)),
            format: row.try_get::<i64, _>("format")? as i32,
            venue: row.try_get("venue")?,
            online_link: row.try_get("online_link")?,
            presenters: presenters
                .into_iter()
                .map(|(full_name, position, member)| Presenter {
                    full_name,
                    position,
                    member: member.map(|m| format!("members/{m}")).unwrap_or_default(),
                })
                .collect(),
            materials: materials
                .into_iter()
                .map(|(title, document, copies)| Material {
                    title,
                    document: document
                        .map(|d| format!("documents/{d}"))
                        .unwrap_or_default(),
                    copies: copies as i32,
                })
                .collect(),
            make_up_for: make_up.map(|m| format!("classes/{m}")).unwrap_or_default(),
            excluded_from_rate: row.try_get::<i64, _>("excluded")? != 0,
            state: state as i32,
            members_recorded: recorded as i32,
            members_attended: attended as i32,
            non_members: (head_count + named) as i32,
            etag: etag(revision),
            create_time: Some(dates::timestamp(row.try_get("create_micros")?)),
            update_time: Some(dates::timestamp(row.try_get("update_micros")?)),
            cancel_reason: row.try_get("cancel_reason")?,
        },
        plan_id,
        org_id,
    }))
}

/// What a change to a class checks, read in one light statement (no
/// counts, presenters or materials): writes that only add to a class
/// (attendance, non-members, closing) take it inside their transaction.
#[derive(Debug, Clone)]
pub struct ClassHead {
    /// The class id.
    pub id: String,
    /// Its plan's id.
    pub plan_id: String,
    /// Ids from the root down to the organising organisation, `/a/b/`.
    pub org_lineage: String,
    /// Its state.
    pub state: ClassState,
    /// Its revision, the etag's number.
    pub revision: i64,
}

/// Loads a class's [`ClassHead`] by id.
pub async fn head(conn: &mut AnyConnection, id: &str) -> Result<Option<ClassHead>> {
    let row: Option<(String, String, i64, i64)> =
        sqlx::query_as("SELECT plan_id, org_lineage, state, revision FROM classes WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(
        row.map(|(plan_id, org_lineage, state, revision)| ClassHead {
            id: id.to_string(),
            plan_id,
            org_lineage,
            state: ClassState::try_from(state as i32).unwrap_or(ClassState::Unspecified),
            revision,
        }),
    )
}

/// Loads the class named `name` (in request field `field`) that the caller
/// may read: `NOT_FOUND` otherwise.
pub async fn visible(
    conn: &mut AnyConnection,
    call: &Call,
    field: &str,
    name: &str,
) -> Result<ClassRecord> {
    let id = parse_name(field, name, "classes")?;
    let class = load(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    class.check_read(call)?;
    Ok(class)
}
