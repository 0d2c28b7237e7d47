//! `probity.study.v1.ClassService`, the attendance part: members' statuses
//! (one call, or streamed in batches for classes of hundreds), and
//! non-member attendees, kept apart from members.
//!
//! Every member is checked against the organiser's roster on the class
//! date, taken from members once per call (exempt members included: they
//! may attend, they are just not expected).

use std::collections::HashMap;

use probity_platform::{
    ApiError, Call, Violations, bulk::insert_rows, dates, error::Violation,
    pagination::PageRequest, resource::parse_name, text,
};
use probity_proto::probity::study::v1::{
    AttendanceEntry, AttendanceRecord, ClassState, ListAttendanceRequest, ListAttendanceResponse,
    ListNonMemberAttendeesRequest, ListNonMemberAttendeesResponse, NonMemberAttendee,
    RecordAttendanceRequest, RecordAttendanceResponse, SetNonMemberAttendanceRequest,
    StreamAttendanceRequest, StreamAttendanceResponse, StudyClass,
};
use sqlx::{AnyConnection, Row};

use crate::{
    class_record::{self, ClassRecord},
    classes::{Classes, changeable, reload},
    error::{Error, Result},
    plan_record::{self, PlanRecord},
    snapshot::{self, Recount},
};

/// Most entries in one RecordAttendance call.
pub const MAX_UNARY_ENTRIES: usize = 100;
/// Most entries in one streamed batch.
pub const MAX_BATCH_ENTRIES: usize = 1000;
/// Most named non-members per class.
pub const MAX_NAMED_NON_MEMBERS: usize = 5000;

/// A checked entry, ready to store.
struct Checked {
    member_id: String,
    status: String,
    attended: bool,
    remark: String,
    org_id: String,
}

/// The organiser's roster on the class date: member id → organisation id.
type Roster = HashMap<String, String>;

/// Checks `entries` against the plan's statuses and the roster; violations
/// are named `{prefix}entries[i].field`.
fn check_entries(
    entries: &[AttendanceEntry],
    plan: &PlanRecord,
    class: &ClassRecord,
    roster: &Roster,
    prefix: &str,
) -> std::result::Result<Vec<Checked>, Vec<Violation>> {
    let mut v = Violations::new();
    let mut rows = Vec::with_capacity(entries.len());
    let mut seen = std::collections::HashSet::new();
    for (i, e) in entries.iter().enumerate() {
        let field = |f: &str| format!("{prefix}entries[{i}].{f}");
        let member = match parse_name("", &e.member, "members") {
            Ok(id) => id,
            Err(_) => {
                v.add(field("member"), "must be `members/{id}`");
                continue;
            }
        };
        if !seen.insert(member) {
            v.add(field("member"), format!("{} is listed twice", e.member));
            continue;
        }
        let Some(org) = roster.get(member) else {
            v.add(
                field("member"),
                format!(
                    "{} was not a member of {} or its subtree on {}",
                    e.member, class.class.organization, class.class_date
                ),
            );
            continue;
        };
        let Some(status) = plan.status(e.status.trim()) else {
            v.add(
                field("status"),
                format!(
                    "{:?} is not a status of the plan; use one of: {}",
                    e.status,
                    plan.statuses
                        .iter()
                        .map(|s| s.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            continue;
        };
        let remark = text::tidy(&e.remark);
        if remark.chars().count() > 500 {
            v.add(field("remark"), "at most 500 characters");
            continue;
        }
        rows.push(Checked {
            member_id: member.to_string(),
            status: status.code.clone(),
            attended: status.attended,
            remark,
            org_id: org.clone(),
        });
    }
    match v.into_result() {
        Ok(()) => Ok(rows),
        Err(ApiError::InvalidArgument(list)) => Err(list),
        Err(_) => Err(Vec::new()),
    }
}

/// Stores rows (new status wins over an earlier one) and updates the
/// members' counts of attended classes.
async fn upsert(conn: &mut AnyConnection, class: &ClassRecord, rows: &[Checked]) -> Result<()> {
    let class_id = class.id.as_str();
    let now = dates::now_micros();
    insert_rows(
        conn,
        "INSERT INTO attendance (class_id, member_id, status, attended, remark, org_id, defaulted, update_micros) \
         VALUES {values} ON CONFLICT (class_id, member_id) DO UPDATE SET status = excluded.status, \
         attended = excluded.attended, remark = excluded.remark, org_id = excluded.org_id, defaulted = 0, \
         update_micros = excluded.update_micros",
        8,
        rows,
        |q, r| {
            q.bind(class_id)
                .bind(&r.member_id)
                .bind(&r.status)
                .bind(i64::from(r.attended))
                .bind(&r.remark)
                .bind(&r.org_id)
                .bind(0_i64)
                .bind(now)
        },
    )
    .await?;
    let ids: Vec<String> = rows.iter().map(|r| r.member_id.clone()).collect();
    snapshot::recount(conn, &class.plan_id, Recount::Members(&ids)).await
}

fn record_of(row: &sqlx::any::AnyRow) -> Result<AttendanceRecord> {
    Ok(AttendanceRecord {
        member: format!("members/{}", row.try_get::<String, _>("member_id")?),
        status: row.try_get("status")?,
        attended: row.try_get::<i64, _>("attended")? != 0,
        remark: row.try_get("remark")?,
        organization: format!("organizations/{}", row.try_get::<String, _>("org_id")?),
        defaulted: row.try_get::<i64, _>("defaulted")? != 0,
        update_time: Some(dates::timestamp(row.try_get("update_micros")?)),
    })
}

const RECORD_COLUMNS: &str =
    "member_id, status, attended, remark, org_id, defaulted, update_micros";

impl Classes {
    /// The class (writable, not cancelled) and its plan.
    async fn class_and_plan(
        &self,
        call: &Call,
        field: &str,
        name: &str,
    ) -> Result<(ClassRecord, PlanRecord)> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let class = class_record::visible(&mut conn, call, field, name).await?;
        class.check_write(call)?;
        if class.state == ClassState::Cancelled {
            return Err(Error::state(
                "CLASS_CANCELLED",
                format!("{name} was cancelled; nothing can be recorded for it"),
            ));
        }
        let plan = plan_record::load(&mut conn, &class.plan_id)
            .await?
            .ok_or_else(|| ApiError::Internal("class without plan".into()))?;
        Ok((class, plan))
    }

    /// The organiser's roster on the class date, from members.
    async fn roster_of(&self, call: &Call, field: &str, class: &ClassRecord) -> Result<Roster> {
        let roster = self
            .members
            .roster(
                call,
                field,
                &class.class.organization,
                class.class_date,
                false,
            )
            .await?;
        Ok(roster
            .into_iter()
            .map(|m| {
                (
                    m.member.trim_start_matches("members/").to_string(),
                    m.organization
                        .trim_start_matches("organizations/")
                        .to_string(),
                )
            })
            .collect())
    }

    /// RecordAttendance.
    pub async fn record(
        &self,
        call: Call,
        req: RecordAttendanceRequest,
    ) -> Result<RecordAttendanceResponse> {
        if req.entries.is_empty() || req.entries.len() > MAX_UNARY_ENTRIES {
            return Err(ApiError::invalid(
                "entries",
                "one to 100 entries; stream larger classes with StreamAttendance",
            )
            .into());
        }
        let (class, plan) = self
            .class_and_plan(&call, "study_class", &req.study_class)
            .await?;
        let roster = self.roster_of(&call, "study_class", &class).await?;
        let rows = check_entries(&req.entries, &plan, &class, &roster, "")
            .map_err(ApiError::InvalidArgument)?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<RecordAttendanceResponse>()? {
            return Ok(done);
        }
        changeable(w.conn(), &call, &req.study_class, "").await?;
        upsert(w.conn(), &class, &rows).await?;
        let mut records = Vec::with_capacity(rows.len());
        for r in &rows {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {RECORD_COLUMNS} FROM attendance WHERE class_id = $1 AND member_id = $2"
            )))
            .bind(&class.id)
            .bind(&r.member_id)
            .fetch_one(w.conn())
            .await?;
            records.push(record_of(&row)?);
        }
        let response = RecordAttendanceResponse { records };
        w.commit(&format!("{}/attendance", class.class.name), &response)
            .await?;
        Ok(response)
    }

    /// StreamAttendance: one transaction per batch.
    pub async fn stream(
        &self,
        call: Call,
        mut batches: tonic::Streaming<StreamAttendanceRequest>,
    ) -> Result<StreamAttendanceResponse> {
        let mut state: Option<(ClassRecord, PlanRecord, Roster)> = None;
        let mut done = 0_i32;
        let mut entries = 0_i32;
        while let Some(batch) = batches.message().await.map_err(|s| {
            ApiError::invalid("stream", format!("the stream broke: {}", s.message()))
        })? {
            let k = done as usize;
            let prefix = format!("batches[{k}].");
            let recorded_before = || {
                Violation::new(
                    format!("batches[{k}]"),
                    format!(
                        "batch {} was not recorded; the {done} batch(es) before it were",
                        k + 1
                    ),
                )
            };
            if state.is_none() {
                if batch.study_class.is_empty() {
                    return Err(ApiError::invalid(
                        "batches[0].study_class",
                        "required on the first message",
                    )
                    .into());
                }
                let (class, plan) = self
                    .class_and_plan(&call, "batches[0].study_class", &batch.study_class)
                    .await?;
                let roster = self
                    .roster_of(&call, "batches[0].study_class", &class)
                    .await?;
                state = Some((class, plan, roster));
            }
            let Some((class, plan, roster)) = state.as_ref() else {
                return Err(ApiError::Internal("no class".into()).into());
            };
            if !batch.study_class.is_empty() && batch.study_class != class.class.name {
                return Err(ApiError::InvalidArgument(vec![
                    Violation::new(
                        format!("{prefix}study_class"),
                        format!("one stream records one class, {}", class.class.name),
                    ),
                    recorded_before(),
                ])
                .into());
            }
            if batch.entries.is_empty() || batch.entries.len() > MAX_BATCH_ENTRIES {
                return Err(ApiError::InvalidArgument(vec![
                    Violation::new(format!("{prefix}entries"), "one to 1000 entries per batch"),
                    recorded_before(),
                ])
                .into());
            }
            let rows = match check_entries(&batch.entries, plan, class, roster, &prefix) {
                Ok(rows) => rows,
                Err(mut list) => {
                    list.push(recorded_before());
                    return Err(ApiError::InvalidArgument(list).into());
                }
            };
            let mut w = self
                .db
                .begin_write(&call, &batch.request_id, &batch)
                .await?;
            if w.replayed::<StreamAttendanceResponse>()?.is_none() {
                changeable(w.conn(), &call, &class.class.name, "").await?;
                upsert(w.conn(), class, &rows).await?;
                let ack = StreamAttendanceResponse {
                    batches: 1,
                    entries: rows.len() as i32,
                    study_class: None,
                };
                w.commit(&format!("{}/attendance", class.class.name), &ack)
                    .await?;
            }
            done += 1;
            entries += batch.entries.len() as i32;
        }
        let Some((class, _, _)) = state else {
            return Err(ApiError::invalid("batches", "the stream sent no batch").into());
        };
        // A class's attendance is the bulk write here; the recounts join it
        // with the plan's classes, which grow a row per call.
        self.db.refresh_statistics(&["attendance", "classes"]);
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let class = reload(&mut conn, &class.id).await?.class;
        Ok(StreamAttendanceResponse {
            batches: done,
            entries,
            study_class: Some(class),
        })
    }

    /// ListAttendance.
    pub async fn list_attendance(
        &self,
        call: Call,
        req: ListAttendanceRequest,
    ) -> Result<ListAttendanceResponse> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let class =
            class_record::visible(&mut conn, &call, "study_class", &req.study_class).await?;
        let page = PageRequest::parse(
            req.page_size,
            &req.page_token,
            &format!("{};{}", class.id, req.status),
        )?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RECORD_COLUMNS} FROM attendance WHERE class_id = $1 AND ($2 = '' OR status = $2) \
             AND member_id > $3 ORDER BY member_id LIMIT $4"
        )))
        .bind(&class.id)
        .bind(req.status.trim())
        .bind(page.after.as_deref().unwrap_or(""))
        .bind(page.limit())
        .fetch_all(&mut *conn)
        .await?;
        let mut records = rows.iter().map(record_of).collect::<Result<Vec<_>>>()?;
        let next_page_token = page.finish(&mut records, |r| {
            r.member.trim_start_matches("members/").to_string()
        });
        Ok(ListAttendanceResponse {
            records,
            next_page_token,
        })
    }

    /// SetNonMemberAttendance.
    pub async fn set_non_members(
        &self,
        call: Call,
        req: SetNonMemberAttendanceRequest,
    ) -> Result<StudyClass> {
        let mut v = Violations::new();
        v.check(
            !(0..=100_000).contains(&req.head_count),
            "head_count",
            "0 to 100,000",
        );
        v.check(
            req.attendees.len() > MAX_NAMED_NON_MEMBERS,
            "attendees",
            "at most 5,000 named attendees per class",
        );
        let mut ids = std::collections::HashSet::new();
        let mut attendees = Vec::with_capacity(req.attendees.len());
        for (i, a) in req.attendees.iter().enumerate() {
            let name = text::tidy(&a.full_name);
            v.check(
                name.is_empty() || name.chars().count() > 200,
                &format!("attendees[{i}].full_name"),
                "required, at most 200 characters",
            );
            let id = a.identity_number.trim().to_string();
            if !id.is_empty() {
                v.check(
                    !(id.len() == 9 || id.len() == 12) || !id.bytes().all(|b| b.is_ascii_digit()),
                    &format!("attendees[{i}].identity_number"),
                    "9 or 12 digits (CMND or CCCD)",
                );
                v.check(
                    !ids.insert(id.clone()),
                    &format!("attendees[{i}].identity_number"),
                    "listed twice in this class",
                );
            }
            let note = text::tidy(&a.note);
            v.check(
                note.chars().count() > 500,
                &format!("attendees[{i}].note"),
                "at most 500 characters",
            );
            attendees.push((name, id, note));
        }
        v.into_result()?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<StudyClass>()? {
            return Ok(done);
        }
        let class = changeable(w.conn(), &call, &req.study_class, "").await?;
        sqlx::query("DELETE FROM non_members WHERE class_id = $1")
            .bind(&class.id)
            .execute(w.conn())
            .await?;
        let positioned: Vec<(i64, &(String, String, String))> =
            (0_i64..).zip(attendees.iter()).collect();
        insert_rows(
            w.conn(),
            "INSERT INTO non_members (class_id, position, full_name, identity_number, note) VALUES {values}",
            5,
            &positioned,
            |q, (position, (name, id, note))| {
                q.bind(&class.id)
                    .bind(*position)
                    .bind(name)
                    .bind(id)
                    .bind(note)
            },
        )
        .await?;
        sqlx::query("UPDATE classes SET head_count = $1, revision = revision + 1, update_micros = $2 WHERE id = $3")
            .bind(i64::from(req.head_count))
            .bind(dates::now_micros())
            .bind(&class.id)
            .execute(w.conn())
            .await?;
        let updated = reload(w.conn(), &class.id).await?.class;
        w.commit(&format!("{}/nonMembers", updated.name), &updated)
            .await?;
        Ok(updated)
    }

    /// ListNonMemberAttendees.
    pub async fn list_non_members(
        &self,
        call: Call,
        req: ListNonMemberAttendeesRequest,
    ) -> Result<ListNonMemberAttendeesResponse> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let class =
            class_record::visible(&mut conn, &call, "study_class", &req.study_class).await?;
        let page = PageRequest::parse(req.page_size, &req.page_token, &class.id)?;
        let after: i64 = page
            .after
            .as_deref()
            .and_then(|a| a.parse().ok())
            .unwrap_or(-1);
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT position, full_name, identity_number, note FROM non_members WHERE class_id = $1 AND position > $2 \
             ORDER BY position LIMIT $3",
        )
        .bind(&class.id)
        .bind(after)
        .bind(page.limit())
        .fetch_all(&mut *conn)
        .await?;
        let mut rows = rows;
        let next_page_token = page.finish(&mut rows, |r| r.0.to_string());
        Ok(ListNonMemberAttendeesResponse {
            attendees: rows
                .into_iter()
                .map(|(_, full_name, identity_number, note)| NonMemberAttendee {
                    full_name,
                    identity_number,
                    note,
                })
                .collect(),
            next_page_token,
        })
    }
}
