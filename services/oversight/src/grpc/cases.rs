//! `probity.oversight.v1.CaseService`: recording, reading and listing
//! cases. Their stages and clock are in `stages.rs`, the agencies' progress
//! reports in `progress.rs` (the same service).

use std::sync::Arc;

use probity_platform::{
    ApiError, Call, Database, dates,
    pagination::PageRequest,
    resource::{etag, new_id, parse_name},
    unary,
};
use probity_proto::probity::oversight::v1::{
    Case, CaseEventKind, CaseIntake, CaseStage, CaseSubject, CreateCaseRequest,
    CreateProgressReportRequest, ErrorReason, ExtendCaseDeadlineRequest, GetCaseRequest,
    ListCaseEventsRequest, ListCaseEventsResponse, ListCasesRequest, ListCasesResponse,
    ListProgressReportsRequest, ListProgressReportsResponse, MoveCaseRequest, ProgressReport,
    ResumeCaseRequest, SuspendCaseRequest, case_service_server::CaseService,
};
use time::Date;
use tonic::{Request, Response, Status};

use super::access::{authorize_org, visible_case};
use crate::{
    error::{Error, Result},
    peers::{Members, ScopeView},
    rules::{self, cases::NewCase, clock::StageClock},
    store::{
        agencies,
        case_parts::{self, IntakeRow, Parts, SubjectRow},
        cases::{self as store, CaseRow, Filter},
        events::{self, EventRow},
        inspections, limits,
    },
};

/// The wire form of a case as of `today` (which decides `overdue` and the
/// days of a running suspension).
pub fn case_of(row: &CaseRow, parts: &Parts, today: Date) -> Result<Case, ApiError> {
    let clock = row.clock()?;
    let day = |d: Option<Date>| d.map(dates::to_proto);
    Ok(Case {
        name: format!("cases/{}", row.id),
        code: row.code.clone(),
        title: row.title.clone(),
        kind: row.kind as i32,
        sector: format!("sectors/{}", row.sector),
        jurisdiction: format!("organizations/{}", row.jurisdiction_id),
        handling_agencies: parts
            .agency_ids
            .iter()
            .map(|id| format!("agencies/{id}"))
            .collect(),
        subjects: parts
            .subjects
            .iter()
            .map(|s| CaseSubject {
                member: if s.member_id.is_empty() {
                    String::new()
                } else {
                    format!("members/{}", s.member_id)
                },
                full_name: s.full_name.clone(),
                position: s.position.clone(),
            })
            .collect(),
        linked_cases: parts
            .linked_ids
            .iter()
            .map(|id| format!("cases/{id}"))
            .collect(),
        loss_vnd: row.loss_vnd,
        recovered_vnd: row.recovered_vnd,
        intakes: parts
            .intakes
            .iter()
            .map(|i| {
                Ok(CaseIntake {
                    origin: i.origin as i32,
                    origin_reference: i.origin_reference.clone(),
                    received_date: Some(dates::sql_to_proto(&i.received_date)?),
                    summary: i.summary.clone(),
                })
            })
            .collect::<Result<_, ApiError>>()?,
        stage: row.stage as i32,
        suspended_stage: row.suspended_stage as i32,
        stage_start_date: Some(dates::to_proto(clock.start)),
        stage_limit_days: row.stage_limit_days as i32,
        stage_limit_citation: row.stage_limit_citation.clone(),
        original_due_date: day(clock.original_due()),
        extended_due_date: day(clock.extended_due),
        due_date: day(clock.due()),
        suspended_days: clock.suspended_days_on(today) as i32,
        ever_suspended: row.ever_suspended != 0,
        overdue: clock.overdue(today),
        etag: etag(row.revision),
        create_time: Some(dates::timestamp(row.create_micros)),
        update_time: Some(dates::timestamp(row.update_micros)),
        inspection: if row.inspection_id.is_empty() {
            String::new()
        } else {
            format!("inspections/{}", row.inspection_id)
        },
    })
}

/// The case `row` with its parts, as of the call's day.
pub async fn answer(conn: &mut sqlx::AnyConnection, call: &Call, row: &CaseRow) -> Result<Case> {
    let parts = case_parts::load(conn, &row.id).await?;
    Ok(case_of(row, &parts, call.today())?)
}

/// The stored stage of a case.
pub fn stage_of(row: &CaseRow) -> CaseStage {
    CaseStage::try_from(row.stage as i32).unwrap_or_default()
}

/// The cases `rows` with their parts (read together), as of the call's
/// day: a list page.
pub async fn answer_many(
    conn: &mut sqlx::AnyConnection,
    call: &Call,
    rows: &[&CaseRow],
) -> Result<Vec<Case>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut parts = case_parts::load_many(conn, &ids).await?;
    let today = call.today();
    rows.iter()
        .map(|r| Ok(case_of(r, &parts.remove(&r.id).unwrap_or_default(), today)?))
        .collect()
}

/// Who made a change, for a case's history.
pub fn actor(call: &Call) -> String {
    format!("{} ({})", call.caller.subject, call.caller.agency)
}

/// `CaseService` over one database and the members service.
#[derive(Clone)]
pub struct Cases {
    pub(super) db: Database,
    pub(super) members: Arc<dyn Members>,
}

impl std::fmt::Debug for Cases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cases")
    }
}

impl Cases {
    /// The service over `db`, calling `members`.
    pub fn new(db: Database, members: Arc<dyn Members>) -> Self {
        Self { db, members }
    }

    /// The case `row` with its parts, as of the call's day.
    pub(super) async fn answer(
        &self,
        conn: &mut sqlx::AnyConnection,
        call: &Call,
        row: &CaseRow,
    ) -> Result<Case> {
        answer(conn, call, row).await
    }

    /// The subjects as stored: each member's name read from members for
    /// the caller (a member they cannot see is a bad field).
    async fn subjects(&self, call: &Call, new: &NewCase) -> Result<Vec<SubjectRow>> {
        let mut out = Vec::new();
        for (i, s) in new.subjects.iter().enumerate() {
            let full_name = if s.member_id.is_empty() {
                s.full_name.clone()
            } else {
                let field = format!("case.subjects[{i}].member");
                let name = format!("members/{}", s.member_id);
                self.members.member(call, &field, &name).await?.full_name
            };
            out.push(SubjectRow {
                member_id: s.member_id.clone(),
                full_name,
                position: s.position.clone(),
            });
        }
        Ok(out)
    }

    async fn create(&self, call: Call, req: CreateCaseRequest) -> Result<Case> {
        let given = req.r#case.clone().unwrap_or_default();
        let new = rules::cases::validate(&given, call.today())?;
        // Members first, before the write lock: the scope, the
        // jurisdiction, the subjects.
        let view = self.members.scope_view(&call).await?;
        let org = self
            .members
            .organization(&call, "case.jurisdiction", &given.jurisdiction)
            .await?;
        let subjects = self.subjects(&call, &new).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        authorize_org(&call, &view, &org.id, &given.jurisdiction)?;
        if let Some(done) = w.replayed::<Case>()? {
            return Ok(done);
        }
        check_references(w.conn(), &view, &new).await?;
        let intake = IntakeRow {
            origin: new.intake.origin as i64,
            origin_reference: new.intake.origin_reference.clone(),
            received_date: dates::to_sql(new.intake.received),
            summary: new.intake.summary.clone(),
        };
        let origin = new.intake.origin as i64;
        let key = &new.intake.reference_key;
        if !key.is_empty()
            && let Some(existing) = store::by_intake_key(w.conn(), &org.id, origin, key).await?
        {
            // A duplicate intake: linked to the case it repeats.
            let mut row = store::load(w.conn(), &existing)
                .await?
                .ok_or_else(|| ApiError::Internal(format!("intake of missing case {existing}")))?;
            case_parts::add_intake(w.conn(), &row.id, &intake).await?;
            case_parts::link(w.conn(), &row.id, &new.linked_ids).await?;
            let stage = row.stage;
            let event = EventRow {
                kind: CaseEventKind::IntakeLinked as i64,
                from_stage: stage,
                to_stage: stage,
                effective_date: intake.received_date.clone(),
                reason: format!("duplicate intake {}", intake.origin_reference),
                actor: actor(&call),
                create_micros: call.now_micros(),
                ..Default::default()
            };
            events::append(w.conn(), &row.id, &event).await?;
            row.update_micros = call.now_micros();
            store::save(w.conn(), &row).await?;
            row.revision += 1;
            let linked = self.answer(w.conn(), &call, &row).await?;
            w.commit(&linked.name, &linked).await?;
            return Ok(linked);
        }
        if store::code_taken(w.conn(), &new.code).await? {
            return Err(Error::taken(
                ErrorReason::CaseCodeTaken,
                format!("a case with code {} is already recorded", new.code),
            ));
        }
        let book = limits::book(w.conn()).await?;
        let received = new.intake.received;
        let limit = rules::limits::limit(&book, CaseStage::Received, received);
        let now = call.now_micros();
        let mut row = CaseRow {
            id: new_id(),
            code: new.code.clone(),
            title: new.title.clone(),
            kind: new.kind as i64,
            sector: new.sector.clone(),
            jurisdiction_id: org.id.clone(),
            jurisdiction_lineage: org.lineage_text(),
            loss_vnd: new.loss_vnd,
            recovered_vnd: 0,
            received_date: dates::to_sql(received),
            stage: CaseStage::Received as i64,
            suspended_stage: 0,
            stage_start: String::new(),
            stage_limit_days: limit.days,
            stage_limit_citation: limit.citation,
            suspended_days: 0,
            suspended_since: None,
            original_due: None,
            extended_due: None,
            ever_suspended: 0,
            revision: 1,
            create_micros: now,
            update_micros: now,
            inspection_id: new.inspection_id.clone(),
            finished_late: 0,
        };
        row.set_clock(&StageClock::start(received, limit.days));
        store::insert(w.conn(), &row).await?;
        if !key.is_empty() {
            store::insert_intake_key(w.conn(), &org.id, origin, key, &row.id).await?;
        }
        case_parts::add_intake(w.conn(), &row.id, &intake).await?;
        case_parts::insert_subjects(w.conn(), &row.id, &subjects).await?;
        case_parts::add_agencies(w.conn(), &row.id, &[], &new.agency_ids).await?;
        case_parts::link(w.conn(), &row.id, &new.linked_ids).await?;
        let event = EventRow {
            kind: CaseEventKind::Created as i64,
            to_stage: CaseStage::Received as i64,
            effective_date: row.received_date.clone(),
            actor: actor(&call),
            create_micros: now,
            ..Default::default()
        };
        events::append(w.conn(), &row.id, &event).await?;
        let created = self.answer(w.conn(), &call, &row).await?;
        w.commit(&created.name, &created).await?;
        Ok(created)
    }

    async fn get(&self, call: Call, req: GetCaseRequest) -> Result<Case> {
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let row = visible_case(&mut conn, &call, &view, "name", &req.name).await?;
        self.answer(&mut conn, &call, &row).await
    }

    async fn list(&self, call: Call, req: ListCasesRequest) -> Result<ListCasesResponse> {
        let org_id = parse_name("organization", &req.organization, "organizations")?;
        let view = self.members.scope_view(&call).await?;
        authorize_org(&call, &view, org_id, &req.organization)?;
        let stage = CaseStage::try_from(req.stage).unwrap_or(CaseStage::Unspecified);
        let sector = if req.sector.is_empty() {
            String::new()
        } else {
            parse_name("sector", &req.sector, "sectors")?.to_string()
        };
        let filter = Filter {
            org_id: org_id.to_string(),
            stage: stage as i64,
            sector,
        };
        let page = PageRequest::parse(
            &call,
            req.page_size,
            &req.page_token,
            &format!("{org_id};{};{}", filter.stage, filter.sector),
        )?;
        let after = page.after.clone().unwrap_or_default();
        let after = after.split_once('|').unwrap_or(("", ""));
        let mut conn = self.db.read_conn(&call).await.map_err(ApiError::from)?;
        let mut rows = store::list(&mut conn, &filter, after, page.limit()).await?;
        let next_page_token = page.finish(&mut rows, |r| format!("{}|{}", r.received_date, r.id));
        let visible: Vec<&CaseRow> = rows
            .iter()
            .filter(|r| view.covers(&r.jurisdiction_id))
            .collect();
        let cases = answer_many(&mut conn, &call, &visible).await?;
        Ok(ListCasesResponse {
            cases,
            next_page_token,
        })
    }
}

/// Checks what a new case refers to in oversight's own records: every
/// handling agency registered, every linked case one the caller may see.
async fn check_references(
    conn: &mut sqlx::AnyConnection,
    view: &ScopeView,
    new: &NewCase,
) -> Result<()> {
    let known = agencies::known(conn, &new.agency_ids).await?;
    let mut v = probity_platform::Violations::new();
    for (i, id) in new.agency_ids.iter().enumerate() {
        if !known.contains(id) {
            v.add(
                format!("case.handling_agencies[{i}]"),
                format!("agencies/{id} is not registered"),
            );
        }
    }
    if !new.inspection_id.is_empty() {
        let visible = inspections::load(conn, &new.inspection_id)
            .await?
            .is_some_and(|i| view.covers(&i.org_id));
        if !visible {
            v.add(
                "case.inspection",
                format!("inspections/{} not found", new.inspection_id),
            );
        }
    }
    for (i, id) in new.linked_ids.iter().enumerate() {
        let visible = match store::load(conn, id).await? {
            Some(other) => view.covers(&other.jurisdiction_id),
            None => false,
        };
        if !visible {
            v.add(
                format!("case.linked_cases[{i}]"),
                format!("cases/{id} not found"),
            );
        }
    }
    Ok(v.into_result()?)
}

#[tonic::async_trait]
impl CaseService for Cases {
    async fn create_case(&self, r: Request<CreateCaseRequest>) -> Result<Response<Case>, Status> {
        unary(r, |c, m| self.create(c, m)).await
    }
    async fn get_case(&self, r: Request<GetCaseRequest>) -> Result<Response<Case>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
    async fn list_cases(
        &self,
        r: Request<ListCasesRequest>,
    ) -> Result<Response<ListCasesResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn move_case(&self, r: Request<MoveCaseRequest>) -> Result<Response<Case>, Status> {
        unary(r, |c, m| self.move_to(c, m)).await
    }
    async fn suspend_case(&self, r: Request<SuspendCaseRequest>) -> Result<Response<Case>, Status> {
        unary(r, |c, m| self.suspend(c, m)).await
    }
    async fn resume_case(&self, r: Request<ResumeCaseRequest>) -> Result<Response<Case>, Status> {
        unary(r, |c, m| self.resume(c, m)).await
    }
    async fn extend_case_deadline(
        &self,
        r: Request<ExtendCaseDeadlineRequest>,
    ) -> Result<Response<Case>, Status> {
        unary(r, |c, m| self.extend(c, m)).await
    }
    async fn list_case_events(
        &self,
        r: Request<ListCaseEventsRequest>,
    ) -> Result<Response<ListCaseEventsResponse>, Status> {
        unary(r, |c, m| self.events(c, m)).await
    }
    async fn create_progress_report(
        &self,
        r: Request<CreateProgressReportRequest>,
    ) -> Result<Response<ProgressReport>, Status> {
        unary(r, |c, m| self.file_report(c, m)).await
    }
    async fn list_progress_reports(
        &self,
        r: Request<ListProgressReportsRequest>,
    ) -> Result<Response<ListProgressReportsResponse>, Status> {
        unary(r, |c, m| self.reports(c, m)).await
    }
}
