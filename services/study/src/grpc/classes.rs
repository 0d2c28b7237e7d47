//! `probity.study.v1.ClassService`: schedule, read, list, update, cancel,
//! close. Attendance and non-members are in [`super::attendance`].

use std::sync::Arc;

use probity_platform::{
    ApiError, Call, Database, Violations, dates,
    pagination::PageRequest,
    resource::{etag, new_id, parse_name},
    text, unary,
};
use probity_proto::probity::study::v1::{
    CancelClassRequest, ClassState, CloseClassRequest, CreateClassRequest, GetClassRequest,
    ListAttendanceRequest, ListAttendanceResponse, ListClassesRequest, ListClassesResponse,
    ListNonMemberAttendeesRequest, ListNonMemberAttendeesResponse, Material, Presenter,
    RecordAttendanceRequest, RecordAttendanceResponse, SetNonMemberAttendanceRequest,
    StreamAttendanceRequest, StreamAttendanceResponse, StudyClass, UpdateClassRequest,
    class_service_server::ClassService,
};
use sqlx::AnyConnection;
use tonic::{Request, Response, Status, Streaming};

use super::access::{changeable, check_change, for_change, owner_of, visible_class, visible_plan};
use crate::{
    error::Result,
    peers::Members,
    rules::{
        class_lifecycle as lifecycle,
        classes::{self as rules, Fields, Original, SETTABLE},
    },
    store::{
        attendance,
        classes::{self as store, ClassRecord, NewClassRow},
        documents,
        plans::{self as plans, PlanRecord},
        rosters::{self, Recount},
    },
};

/// `ClassService` over one database and the members service.
#[derive(Clone)]
pub struct Classes {
    pub(super) db: Database,
    pub(super) members: Arc<dyn Members>,
}

impl std::fmt::Debug for Classes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Classes")
    }
}

/// The wire form of a class.
pub fn study_class(c: &ClassRecord) -> StudyClass {
    let f = &c.fields;
    StudyClass {
        name: c.name(),
        plan: format!("plans/{}", c.plan_id),
        organization: c.organization(),
        title: f.title.clone(),
        start_time: Some(dates::timestamp(f.start_micros)),
        end_time: f.end_micros.map(dates::timestamp),
        class_date: Some(dates::to_proto(c.class_date)),
        format: f.format as i32,
        venue: f.venue.clone(),
        online_link: f.online_link.clone(),
        presenters: f
            .presenters
            .iter()
            .map(|(full_name, position, member)| Presenter {
                full_name: full_name.clone(),
                position: position.clone(),
                member: member
                    .as_ref()
                    .map(|m| format!("members/{m}"))
                    .unwrap_or_default(),
            })
            .collect(),
        materials: f
            .materials
            .iter()
            .map(|(title, document, copies)| Material {
                title: title.clone(),
                document: document
                    .as_ref()
                    .map(|d| format!("documents/{d}"))
                    .unwrap_or_default(),
                copies: *copies as i32,
            })
            .collect(),
        make_up_for: c
            .make_up_for
            .as_ref()
            .map(|m| format!("classes/{m}"))
            .unwrap_or_default(),
        excluded_from_rate: f.excluded,
        state: c.state as i32,
        members_recorded: c.members_recorded as i32,
        members_attended: c.members_attended as i32,
        non_members: (c.head_count + c.named_non_members) as i32,
        etag: etag(c.revision),
        create_time: Some(dates::timestamp(c.create_micros)),
        update_time: Some(dates::timestamp(c.update_micros)),
        cancel_reason: c.cancel_reason.clone(),
    }
}

/// Reloads a class inside a write.
pub(super) async fn reload(conn: &mut AnyConnection, id: &str) -> Result<ClassRecord> {
    store::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::Internal("class vanished".into()).into())
}

/// The plan a loaded class belongs to.
pub(super) async fn plan_of(conn: &mut AnyConnection, class: &ClassRecord) -> Result<PlanRecord> {
    plans::load(conn, &class.plan_id)
        .await?
        .ok_or_else(|| ApiError::Internal("class without plan".into()).into())
}

/// Refuses material documents this service does not hold.
async fn check_materials(conn: &mut AnyConnection, f: &Fields) -> Result<()> {
    let mut v = Violations::new();
    for (i, (_, doc, _)) in f.materials.iter().enumerate() {
        if let Some(doc) = doc {
            v.check(
                !documents::exists(conn, doc).await?,
                &format!("study_class.materials[{i}].document"),
                "no such document",
            );
        }
    }
    Ok(v.into_result()?)
}

impl Classes {
    /// The service over `db`, calling `members`.
    pub fn new(db: Database, members: Arc<dyn Members>) -> Self {
        Self { db, members }
    }

    async fn create(&self, call: Call, req: CreateClassRequest) -> Result<StudyClass> {
        let c = req.study_class.clone().unwrap_or_default();
        let view = self.members.scope_view(&call).await?;
        let plan = {
            let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
            visible_plan(&mut conn, &call, &view, "study_class.plan", &c.plan).await?
        };
        let period = (plan.fields.period_start, plan.fields.period_end);
        let new = rules::validate_new(&c, period)?;
        let f = &new.fields;
        {
            let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
            check_materials(&mut conn, f).await?;
            if let Some(m) = &new.make_up_for {
                // A class the caller may not see is answered as one that
                // does not exist.
                let original = store::load(&mut conn, m)
                    .await?
                    .filter(|o| view.covers(&o.org_id));
                rules::check_make_up(
                    &c.make_up_for,
                    original.as_ref().map(|o| Original {
                        plan_id: &o.plan_id,
                        state: o.state,
                        class_date: o.class_date,
                    }),
                    &plan.id,
                    f.class_date,
                )?;
            }
        }
        let org = self
            .members
            .organization(&call, "study_class.organization", &c.organization)
            .await?;
        rules::check_organizer(
            &c.organization,
            &org.lineage,
            org.exists_on(f.class_date),
            &plan.scope_id,
            &plan.scope(),
            f.class_date,
        )?;
        call.authorize(org.lineage(), &c.organization)?;

        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<StudyClass>()? {
            return Ok(done);
        }
        let id = new_id();
        let lineage = org.lineage_text();
        let row = NewClassRow {
            id: &id,
            plan_id: &plan.id,
            org_id: &org.id,
            org_lineage: &lineage,
            make_up_for: new.make_up_for.as_deref(),
        };
        store::insert(w.conn(), &row, f, call.now_micros()).await?;
        let created = study_class(&reload(w.conn(), &id).await?);
        w.commit(&created.name, &created).await?;
        Ok(created)
    }

    async fn get(&self, call: Call, req: GetClassRequest) -> Result<StudyClass> {
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        Ok(study_class(
            &visible_class(&mut conn, &call, &view, "name", &req.name).await?,
        ))
    }

    async fn list(&self, call: Call, req: ListClassesRequest) -> Result<ListClassesResponse> {
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let plan = visible_plan(&mut conn, &call, &view, "plan", &req.plan).await?;
        let org = if req.organization.is_empty() {
            String::new()
        } else {
            parse_name("organization", &req.organization, "organizations")?.to_string()
        };
        let page = PageRequest::parse(
            &call,
            req.page_size,
            &req.page_token,
            &format!("{};{org}", plan.id),
        )?;
        let after = page.after.clone().unwrap_or_default();
        let (after_start, after_id) = after
            .split_once('|')
            .map(|(s, i)| (s.parse::<i64>().unwrap_or(i64::MIN), i.to_string()))
            .unwrap_or((i64::MIN, String::new()));
        let mut rows = store::list(
            &mut conn,
            &plan.id,
            &org,
            (after_start, &after_id),
            page.limit(),
        )
        .await?;
        let next_page_token = page.finish(&mut rows, |(id, start, _)| format!("{start}|{id}"));
        let mut classes = Vec::new();
        for (id, _, lineage) in rows {
            if view.covers(owner_of(&lineage))
                && let Some(c) = store::load(&mut conn, &id).await?
            {
                classes.push(study_class(&c));
            }
        }
        Ok(ListClassesResponse {
            classes,
            next_page_token,
        })
    }

    async fn update(&self, call: Call, req: UpdateClassRequest) -> Result<StudyClass> {
        let c = req.study_class.clone().unwrap_or_default();
        let paths = probity_platform::mask::paths(req.update_mask.as_ref(), &SETTABLE, |f| {
            rules::is_set(&c, f)
        })?;
        let view = self.members.scope_view(&call).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        // Scope, then a retry's first answer, then the etag and state (which
        // the first call changed).
        let current = visible_class(w.conn(), &call, &view, "name", &c.name).await?;
        if let Some(done) = w.replayed::<StudyClass>()? {
            return Ok(done);
        }
        check_change(&call, &view, &current.head(), &c.etag)?;
        let plan = plan_of(w.conn(), &current).await?;
        // The merged class: current values, with the masked fields replaced.
        let merged = rules::merge(&study_class(&current), &c, &paths);
        let mut v = Violations::new();
        let f = rules::check(
            &mut v,
            &merged,
            (plan.fields.period_start, plan.fields.period_end),
        );
        v.into_result()?;
        let f = f.ok_or_else(|| ApiError::Internal("validated fields missing".into()))?;
        check_materials(w.conn(), &f).await?;
        lifecycle::check_date_change(
            &c.name,
            current.class_date,
            f.class_date,
            current.members_recorded as i32,
        )?;
        store::update(w.conn(), &current.id, &f, call.now_micros()).await?;
        if f.excluded != current.fields.excluded {
            rosters::recount(
                w.conn(),
                &current.plan_id,
                Recount::AttendeesOf(&current.id),
            )
            .await?;
        }
        let updated = study_class(&reload(w.conn(), &current.id).await?);
        w.commit(&updated.name, &updated).await?;
        Ok(updated)
    }

    async fn cancel(&self, call: Call, req: CancelClassRequest) -> Result<StudyClass> {
        lifecycle::validate_reason(&req.reason, "reason")?;
        let view = self.members.scope_view(&call).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let current = visible_class(w.conn(), &call, &view, "name", &req.name).await?;
        if let Some(done) = w.replayed::<StudyClass>()? {
            return Ok(done);
        }
        check_change(&call, &view, &current.head(), &req.etag)?;
        lifecycle::check_cancellable(&req.name, current.state, current.members_attended as i32)?;
        store::cancel(
            w.conn(),
            &current.id,
            &text::tidy(&req.reason),
            call.now_micros(),
        )
        .await?;
        let updated = study_class(&reload(w.conn(), &current.id).await?);
        w.commit(&updated.name, &updated).await?;
        Ok(updated)
    }

    async fn close(&self, call: Call, req: CloseClassRequest) -> Result<StudyClass> {
        let view = self.members.scope_view(&call).await?;
        let (current, plan) = {
            let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
            let current = for_change(&mut conn, &call, &view, &req.name, &req.etag).await?;
            let plan = plan_of(&mut conn, &current).await?;
            (current, plan)
        };
        if current.state != ClassState::Scheduled {
            // A retry of the call that closed it gets that call's answer.
            if !req.request_id.is_empty() {
                let w = self.db.begin_write(&call, &req.request_id, &req).await?;
                if let Some(done) = w.replayed::<StudyClass>()? {
                    return Ok(done);
                }
            }
            lifecycle::check_open(&req.name, current.state)?;
        }
        let expected = self
            .members
            .roster(
                &call,
                "name",
                &current.organization(),
                current.class_date,
                true,
            )
            .await?;
        // A make-up class expects only those who missed the class it makes
        // up for.
        let missed = match &current.make_up_for {
            None => None,
            Some(original) => {
                let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
                Some(attendance::missed(&mut conn, original).await?)
            }
        };
        let expected = lifecycle::expected_at_closing(expected, missed.as_ref(), |m| &m.member_id);
        let status = plan
            .status(&plan.fields.unmarked_status)
            .cloned()
            .ok_or_else(|| ApiError::Internal("plan without its unmarked status".into()))?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<StudyClass>()? {
            return Ok(done);
        }
        let again = changeable(w.conn(), &call, &view, &req.name, &req.etag).await?;
        lifecycle::check_open(&req.name, again.state)?;
        let now = call.now_micros();
        attendance::give_defaults(
            w.conn(),
            &current.id,
            &expected,
            (&status.code, status.attended),
            now,
        )
        .await?;
        store::set_state(w.conn(), &current.id, ClassState::Closed, now).await?;
        let updated = study_class(&reload(w.conn(), &current.id).await?);
        w.commit(&updated.name, &updated).await?;
        Ok(updated)
    }
}

#[tonic::async_trait]
impl ClassService for Classes {
    async fn create_class(
        &self,
        r: Request<CreateClassRequest>,
    ) -> Result<Response<StudyClass>, Status> {
        unary(r, |c, m| self.create(c, m)).await
    }
    async fn get_class(&self, r: Request<GetClassRequest>) -> Result<Response<StudyClass>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
    async fn list_classes(
        &self,
        r: Request<ListClassesRequest>,
    ) -> Result<Response<ListClassesResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn update_class(
        &self,
        r: Request<UpdateClassRequest>,
    ) -> Result<Response<StudyClass>, Status> {
        unary(r, |c, m| self.update(c, m)).await
    }
    async fn cancel_class(
        &self,
        r: Request<CancelClassRequest>,
    ) -> Result<Response<StudyClass>, Status> {
        unary(r, |c, m| self.cancel(c, m)).await
    }
    async fn close_class(
        &self,
        r: Request<CloseClassRequest>,
    ) -> Result<Response<StudyClass>, Status> {
        unary(r, |c, m| self.close(c, m)).await
    }
    async fn record_attendance(
        &self,
        r: Request<RecordAttendanceRequest>,
    ) -> Result<Response<RecordAttendanceResponse>, Status> {
        unary(r, |c, m| self.record(c, m)).await
    }
    async fn stream_attendance(
        &self,
        r: Request<Streaming<StreamAttendanceRequest>>,
    ) -> Result<Response<StreamAttendanceResponse>, Status> {
        unary(r, |c: Call, s| self.stream(c, s)).await
    }
    async fn list_attendance(
        &self,
        r: Request<ListAttendanceRequest>,
    ) -> Result<Response<ListAttendanceResponse>, Status> {
        unary(r, |c, m| self.list_attendance(c, m)).await
    }
    async fn set_non_member_attendance(
        &self,
        r: Request<SetNonMemberAttendanceRequest>,
    ) -> Result<Response<StudyClass>, Status> {
        unary(r, |c, m| self.set_non_members(c, m)).await
    }
    async fn list_non_member_attendees(
        &self,
        r: Request<ListNonMemberAttendeesRequest>,
    ) -> Result<Response<ListNonMemberAttendeesResponse>, Status> {
        unary(r, |c, m| self.list_non_members(c, m)).await
    }
}
