//! `probity.study.v1.ClassService`, the attendance part: members' statuses
//! (one call, or streamed in batches for classes of hundreds), and
//! non-member attendees, kept apart from members.
//!
//! Every member is checked against the organiser's roster on the class
//! date, taken from members once per call (exempt members included: they
//! may attend, they are just not expected).

use probity_platform::{ApiError, Call, dates, pagination::PageRequest};
use probity_proto::probity::study::v1::{
    AttendanceRecord, ClassState, ErrorReason, ListAttendanceRequest, ListAttendanceResponse,
    ListNonMemberAttendeesRequest, ListNonMemberAttendeesResponse, NonMemberAttendee,
    RecordAttendanceRequest, RecordAttendanceResponse, SetNonMemberAttendanceRequest,
    StreamAttendanceRequest, StreamAttendanceResponse, StudyClass,
};
use sqlx::AnyConnection;

use super::{
    access::{changeable, visible_class},
    classes::{Classes, plan_of, reload, study_class},
};
use crate::{
    error::{Error, Result},
    rules::{
        attendance::{self as rules, Checked, ClassAt, Roster},
        names::member_id,
    },
    store::{
        attendance::{self as store, RecordRow},
        classes::ClassRecord,
        plans::PlanRecord,
        rosters::{self, Recount},
    },
};
use probity_members_client::ScopeView;

/// The wire form of a member's attendance.
fn attendance_record(row: RecordRow) -> AttendanceRecord {
    AttendanceRecord {
        member: format!("members/{}", row.member_id),
        status: row.status,
        attended: row.attended != 0,
        remark: row.remark,
        organization: format!("organizations/{}", row.org_id),
        defaulted: row.defaulted != 0,
        update_time: Some(dates::timestamp(row.update_micros)),
    }
}

/// Stores checked rows and updates the members' counts of attended
/// classes.
async fn upsert(
    conn: &mut AnyConnection,
    class: &ClassRecord,
    rows: &[Checked],
    now: i64,
) -> Result<()> {
    store::upsert(conn, &class.id, rows, now).await?;
    let ids: Vec<String> = rows.iter().map(|r| r.member_id.clone()).collect();
    rosters::recount(conn, &class.plan_id, Recount::Members(&ids)).await
}

/// What a stream checks every batch against, taken with its first batch.
struct StreamState {
    class: ClassRecord,
    organization: String,
    plan: PlanRecord,
    roster: Roster,
}

impl StreamState {
    fn at(&self) -> ClassAt<'_> {
        ClassAt {
            organization: &self.organization,
            date: self.class.class_date,
        }
    }
}

impl Classes {
    /// The class (writable, not cancelled) and its plan.
    async fn class_and_plan(
        &self,
        call: &Call,
        view: &ScopeView,
        field: &str,
        name: &str,
    ) -> Result<(ClassRecord, PlanRecord)> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let class = visible_class(&mut conn, call, view, field, name).await?;
        if class.state == ClassState::Cancelled {
            return Err(Error::state(
                ErrorReason::ClassCancelled,
                format!("{name} was cancelled; nothing can be recorded for it"),
            ));
        }
        let plan = plan_of(&mut conn, &class).await?;
        Ok((class, plan))
    }

    /// The organiser's roster on the class date, from members.
    async fn roster_of(&self, call: &Call, field: &str, class: &ClassRecord) -> Result<Roster> {
        let roster = self
            .members
            .roster(call, field, &class.organization(), class.class_date, false)
            .await?;
        Ok(roster
            .into_iter()
            .map(|m| (m.member_id, m.org_id))
            .collect())
    }

    /// RecordAttendance.
    pub(super) async fn record(
        &self,
        call: Call,
        req: RecordAttendanceRequest,
    ) -> Result<RecordAttendanceResponse> {
        rules::check_unary_count(req.entries.len())?;
        let view = self.members.scope_view(&call).await?;
        let (class, plan) = self
            .class_and_plan(&call, &view, "study_class", &req.study_class)
            .await?;
        let roster = self.roster_of(&call, "study_class", &class).await?;
        let organization = class.organization();
        let at = ClassAt {
            organization: &organization,
            date: class.class_date,
        };
        let rows = rules::check_entries(&req.entries, &plan.fields.statuses, at, &roster, "")
            .map_err(ApiError::InvalidArgument)?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<RecordAttendanceResponse>()? {
            return Ok(done);
        }
        changeable(w.conn(), &call, &view, &req.study_class, "").await?;
        upsert(w.conn(), &class, &rows, call.now_micros()).await?;
        let mut records = Vec::with_capacity(rows.len());
        for r in &rows {
            let row = store::record(w.conn(), &class.id, &r.member_id)
                .await?
                .ok_or_else(|| ApiError::Internal("attendance vanished".into()))?;
            records.push(attendance_record(row));
        }
        let response = RecordAttendanceResponse { records };
        w.commit(&format!("{}/attendance", class.name()), &response)
            .await?;
        Ok(response)
    }

    /// StreamAttendance: one transaction per batch.
    pub(super) async fn stream(
        &self,
        call: Call,
        mut batches: tonic::Streaming<StreamAttendanceRequest>,
    ) -> Result<StreamAttendanceResponse> {
        let view = self.members.scope_view(&call).await?;
        let mut state: Option<StreamState> = None;
        let mut done = 0_i32;
        let mut entries = 0_i32;
        while let Some(batch) = batches
            .message()
            .await
            .map_err(|s| ApiError::from_stream(&s))?
        {
            let k = done as usize;
            let prefix = format!("batches[{k}].");
            if state.is_none() {
                if batch.study_class.is_empty() {
                    return Err(ApiError::invalid(
                        "batches[0].study_class",
                        "required on the first message",
                    )
                    .into());
                }
                let (class, plan) = self
                    .class_and_plan(&call, &view, "batches[0].study_class", &batch.study_class)
                    .await?;
                let roster = self
                    .roster_of(&call, "batches[0].study_class", &class)
                    .await?;
                state = Some(StreamState {
                    organization: class.organization(),
                    class,
                    plan,
                    roster,
                });
            }
            let Some(s) = state.as_ref() else {
                return Err(ApiError::Internal("no class".into()).into());
            };
            let class_name = s.class.name();
            if !batch.study_class.is_empty() && batch.study_class != class_name {
                return Err(ApiError::InvalidArgument(vec![
                    probity_platform::error::Violation::new(
                        format!("{prefix}study_class"),
                        format!("one stream records one class, {class_name}"),
                    ),
                    rules::recorded_before(k, done),
                ])
                .into());
            }
            if batch.entries.is_empty() || batch.entries.len() > rules::MAX_BATCH_ENTRIES {
                return Err(ApiError::InvalidArgument(vec![
                    probity_platform::error::Violation::new(
                        format!("{prefix}entries"),
                        "one to 1000 entries per batch",
                    ),
                    rules::recorded_before(k, done),
                ])
                .into());
            }
            let rows = match rules::check_entries(
                &batch.entries,
                &s.plan.fields.statuses,
                s.at(),
                &s.roster,
                &prefix,
            ) {
                Ok(rows) => rows,
                Err(mut list) => {
                    list.push(rules::recorded_before(k, done));
                    return Err(ApiError::InvalidArgument(list).into());
                }
            };
            let mut w = self
                .db
                .begin_write(&call, &batch.request_id, &batch)
                .await?;
            if w.replayed::<StreamAttendanceResponse>()?.is_none() {
                changeable(w.conn(), &call, &view, &class_name, "").await?;
                upsert(w.conn(), &s.class, &rows, call.now_micros()).await?;
                let ack = StreamAttendanceResponse {
                    batches: 1,
                    entries: rows.len() as i32,
                    study_class: None,
                };
                w.commit(&format!("{class_name}/attendance"), &ack).await?;
            }
            done += 1;
            entries += batch.entries.len() as i32;
        }
        let Some(s) = state else {
            return Err(ApiError::invalid("batches", "the stream sent no batch").into());
        };
        // A class's attendance is the bulk write here; the recounts join it
        // with the plan's classes, which grow a row per call.
        self.db.refresh_statistics(&["attendance", "classes"]);
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let class = study_class(&reload(&mut conn, &s.class.id).await?);
        Ok(StreamAttendanceResponse {
            batches: done,
            entries,
            study_class: Some(class),
        })
    }

    /// ListAttendance.
    pub(super) async fn list_attendance(
        &self,
        call: Call,
        req: ListAttendanceRequest,
    ) -> Result<ListAttendanceResponse> {
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let class = visible_class(&mut conn, &call, &view, "study_class", &req.study_class).await?;
        let page = PageRequest::parse(
            &call,
            req.page_size,
            &req.page_token,
            &format!("{};{}", class.id, req.status),
        )?;
        let rows = store::list(
            &mut conn,
            &class.id,
            req.status.trim(),
            page.after.as_deref().unwrap_or(""),
            page.limit(),
        )
        .await?;
        let mut records: Vec<AttendanceRecord> = rows.into_iter().map(attendance_record).collect();
        let next_page_token = page.finish(&mut records, |r| member_id(&r.member).to_string());
        Ok(ListAttendanceResponse {
            records,
            next_page_token,
        })
    }

    /// SetNonMemberAttendance.
    pub(super) async fn set_non_members(
        &self,
        call: Call,
        req: SetNonMemberAttendanceRequest,
    ) -> Result<StudyClass> {
        let attendees = rules::validate_non_members(req.head_count, &req.attendees)?;
        let view = self.members.scope_view(&call).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let class = changeable(w.conn(), &call, &view, &req.study_class, "").await?;
        if let Some(done) = w.replayed::<StudyClass>()? {
            return Ok(done);
        }
        store::set_non_members(
            w.conn(),
            &class.id,
            req.head_count,
            &attendees,
            call.now_micros(),
        )
        .await?;
        let updated = study_class(&reload(w.conn(), &class.id).await?);
        w.commit(&format!("{}/nonMembers", updated.name), &updated)
            .await?;
        Ok(updated)
    }

    /// ListNonMemberAttendees.
    pub(super) async fn list_non_members(
        &self,
        call: Call,
        req: ListNonMemberAttendeesRequest,
    ) -> Result<ListNonMemberAttendeesResponse> {
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let class = visible_class(&mut conn, &call, &view, "study_class", &req.study_class).await?;
        let page = PageRequest::parse(&call, req.page_size, &req.page_token, &class.id)?;
        let after: i64 = page
            .after
            .as_deref()
            .and_then(|a| a.parse().ok())
            .unwrap_or(-1);
        let mut rows = store::non_members(&mut conn, &class.id, after, page.limit()).await?;
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
