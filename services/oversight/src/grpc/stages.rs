//! `CaseService`'s stage methods: moving a case between stages, suspending
//! and resuming it, extending its deadline, and its history. Every change
//! is one transaction: the case's stage and clock, its history entry and
//! the audit entry.

use probity_platform::{
    ApiError, Call, Violations, dates, pagination::PageRequest, resource::check_current_etag,
    resource::etag, write::Write,
};
use probity_proto::probity::oversight::v1::{
    Case, CaseEvent, CaseEventKind, CaseKind, CaseStage, ErrorReason, ExtendCaseDeadlineRequest,
    ListCaseEventsRequest, ListCaseEventsResponse, MoveCaseRequest, ResumeCaseRequest,
    SuspendCaseRequest,
};

use super::{
    access::visible_case,
    cases::{Cases, actor, stage_of},
};
use crate::{
    error::{Error, Result},
    rules::{
        self,
        cases::ids,
        clock::{StageClock, effective_day},
        stages::{Decision, check_move, check_working, is_finished},
    },
    store::{
        agencies, case_parts,
        cases::{self as store, CaseRow},
        events::{self, EventRow},
        limits,
    },
};

/// The wire form of a history entry.
fn event(row: &EventRow) -> Result<CaseEvent, ApiError> {
    let day = |d: &Option<String>| d.as_deref().map(dates::sql_to_proto).transpose();
    Ok(CaseEvent {
        kind: row.kind as i32,
        from_stage: row.from_stage as i32,
        to_stage: row.to_stage as i32,
        effective_date: Some(dates::sql_to_proto(&row.effective_date)?),
        reason: row.reason.clone(),
        decision_number: row.decision_number.clone(),
        previous_due_date: day(&row.previous_due)?,
        new_due_date: day(&row.new_due)?,
        actor: row.actor.clone(),
        create_time: Some(dates::timestamp(row.create_micros)),
    })
}

/// A history entry of a change made by `call`.
fn entry(call: &Call, kind: CaseEventKind, from: i64, to: i64, on: time::Date) -> EventRow {
    EventRow {
        kind: kind as i64,
        from_stage: from,
        to_stage: to,
        effective_date: dates::to_sql(on),
        actor: actor(call),
        create_micros: call.now_micros(),
        ..Default::default()
    }
}

/// A change to a case, begun. Short-lived (returned and taken apart at
/// once), so the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
enum Change {
    /// A retry: the first call's answer.
    Replayed(Case),
    /// The write, and the case read in it.
    Open(Write, CaseRow),
}

impl Cases {
    /// Begins a change to case `name` for `call`: the caller's view of the
    /// tree taken before the write, the case read and scoped in it, a
    /// retry answered from the first call, the etag (when sent) checked.
    async fn begin_change<M: prost::Message>(
        &self,
        call: &Call,
        request_id: &str,
        req: &M,
        name: &str,
        sent_etag: &str,
    ) -> Result<Change> {
        let view = self.members.scope_view(call).await?;
        let mut w = self.db.begin_write(call, request_id, req).await?;
        let row = visible_case(w.conn(), call, &view, "name", name).await?;
        if let Some(done) = w.replayed::<Case>()? {
            return Ok(Change::Replayed(done));
        }
        check_current_etag(name, sent_etag, &etag(row.revision))?;
        Ok(Change::Open(w, row))
    }

    /// Saves a changed case with its history entry and answers it (the
    /// write is committed by the caller).
    async fn record(&self, w: &mut Write, row: &mut CaseRow, e: &EventRow) -> Result<Case> {
        let call = w.call().clone();
        row.update_micros = call.now_micros();
        store::save(w.conn(), row).await?;
        row.revision += 1;
        events::append(w.conn(), &row.id, e).await?;
        self.answer(w.conn(), &call, row).await
    }

    pub(super) async fn move_to(&self, call: Call, req: MoveCaseRequest) -> Result<Case> {
        let (mut w, mut row) = match self
            .begin_change(&call, &req.request_id, &req, &req.name, &req.etag)
            .await?
        {
            Change::Replayed(done) => return Ok(done),
            Change::Open(w, row) => (w, row),
        };
        let mut v = Violations::new();
        let to = CaseStage::try_from(req.stage).unwrap_or_default();
        v.check(
            matches!(to, CaseStage::Unspecified | CaseStage::Suspended),
            "stage",
            "required: the stage to move to (suspend with SuspendCase)",
        );
        let decision = Decision::check(&mut v, &req.reason, &req.decision_number, false);
        let added = ids(
            &mut v,
            "add_agencies",
            &req.add_agencies,
            "agencies",
            probity_platform::limits::CASE_AGENCIES,
        );
        let clock = row.clock()?;
        let on = effective_day(
            &mut v,
            "effective_date",
            req.effective_date.as_ref(),
            clock.start,
            call.today(),
        );
        v.into_result()?;
        let from = stage_of(&row);
        let kind = CaseKind::try_from(row.kind as i32).unwrap_or_default();
        let kind = check_move(&req.name, from, to, kind)?;
        let known = agencies::known(w.conn(), &added).await?;
        if let Some(i) = added.iter().position(|id| !known.contains(id)) {
            return Err(ApiError::invalid(
                format!("add_agencies[{i}]"),
                format!("agencies/{} is not registered", added[i]),
            )
            .into());
        }
        if is_finished(to) {
            row.finished_late = i64::from(clock.due().is_some_and(|due| on > due));
        }
        let book = limits::book(w.conn()).await?;
        let limit = rules::limits::limit(&book, to, on);
        row.set_clock(&StageClock::start(on, limit.days));
        row.stage_limit_citation = limit.citation;
        row.stage = to as i64;
        row.kind = kind as i64;
        row.suspended_stage = 0;
        let present = case_parts::load(w.conn(), &row.id).await?.agency_ids;
        case_parts::add_agencies(w.conn(), &row.id, &present, &added).await?;
        let mut e = entry(&call, CaseEventKind::Moved, from as i64, to as i64, on);
        e.reason = decision.reason;
        e.decision_number = decision.number;
        let moved = self.record(&mut w, &mut row, &e).await?;
        w.commit(&moved.name, &moved).await?;
        Ok(moved)
    }

    pub(super) async fn suspend(&self, call: Call, req: SuspendCaseRequest) -> Result<Case> {
        let (mut w, mut row) = match self
            .begin_change(&call, &req.request_id, &req, &req.name, &req.etag)
            .await?
        {
            Change::Replayed(done) => return Ok(done),
            Change::Open(w, row) => (w, row),
        };
        let from = stage_of(&row);
        check_working(&req.name, from)?;
        let mut v = Violations::new();
        let decision = Decision::check(&mut v, &req.reason, &req.decision_number, false);
        let clock = row.clock()?;
        let on = effective_day(
            &mut v,
            "effective_date",
            req.effective_date.as_ref(),
            clock.start,
            call.today(),
        );
        v.into_result()?;
        row.set_clock(&clock.suspend(on));
        row.suspended_stage = from as i64;
        row.stage = CaseStage::Suspended as i64;
        row.ever_suspended = 1;
        let mut e = entry(
            &call,
            CaseEventKind::Suspended,
            from as i64,
            CaseStage::Suspended as i64,
            on,
        );
        e.reason = decision.reason;
        e.decision_number = decision.number;
        let suspended = self.record(&mut w, &mut row, &e).await?;
        w.commit(&suspended.name, &suspended).await?;
        Ok(suspended)
    }

    pub(super) async fn resume(&self, call: Call, req: ResumeCaseRequest) -> Result<Case> {
        let (mut w, mut row) = match self
            .begin_change(&call, &req.request_id, &req, &req.name, &req.etag)
            .await?
        {
            Change::Replayed(done) => return Ok(done),
            Change::Open(w, row) => (w, row),
        };
        let from = stage_of(&row);
        if is_finished(from) {
            check_working(&req.name, from)?;
        }
        let clock = row.clock()?;
        let Some(since) = clock
            .suspended_since
            .filter(|_| from == CaseStage::Suspended)
        else {
            return Err(Error::state(
                ErrorReason::CaseNotSuspended,
                format!("{} is not suspended", req.name),
            ));
        };
        let mut v = Violations::new();
        let decision = Decision::check(&mut v, &req.reason, &req.decision_number, false);
        let on = effective_day(
            &mut v,
            "effective_date",
            req.effective_date.as_ref(),
            since,
            call.today(),
        );
        v.into_result()?;
        let back = row.suspended_stage;
        row.set_clock(&clock.resume(on));
        row.stage = back;
        row.suspended_stage = 0;
        let mut e = entry(
            &call,
            CaseEventKind::Resumed,
            CaseStage::Suspended as i64,
            back,
            on,
        );
        e.reason = decision.reason;
        e.decision_number = decision.number;
        let resumed = self.record(&mut w, &mut row, &e).await?;
        w.commit(&resumed.name, &resumed).await?;
        Ok(resumed)
    }

    pub(super) async fn extend(&self, call: Call, req: ExtendCaseDeadlineRequest) -> Result<Case> {
        let (mut w, mut row) = match self
            .begin_change(&call, &req.request_id, &req, &req.name, &req.etag)
            .await?
        {
            Change::Replayed(done) => return Ok(done),
            Change::Open(w, row) => (w, row),
        };
        let stage = stage_of(&row);
        check_working(&req.name, stage)?;
        let mut v = Violations::new();
        let decision = Decision::check(&mut v, &req.reason, &req.decision_number, true);
        let to = match dates::required("due_date", req.due_date.as_ref()) {
            Ok(d) => Some(d),
            Err(e) => {
                v.add(e.field, e.description);
                None
            }
        };
        v.into_result()?;
        let clock = row.clock()?;
        let previous = clock.due();
        let extended = clock.extend(&req.name, "due_date", to.unwrap_or(time::Date::MIN))?;
        row.set_clock(&extended);
        let mut e = entry(
            &call,
            CaseEventKind::Extended,
            stage as i64,
            stage as i64,
            call.today(),
        );
        e.reason = decision.reason;
        e.decision_number = decision.number;
        e.previous_due = previous.map(dates::to_sql);
        e.new_due = extended.due().map(dates::to_sql);
        let answered = self.record(&mut w, &mut row, &e).await?;
        w.commit(&answered.name, &answered).await?;
        Ok(answered)
    }

    pub(super) async fn events(
        &self,
        call: Call,
        req: ListCaseEventsRequest,
    ) -> Result<ListCaseEventsResponse> {
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let row = visible_case(&mut conn, &call, &view, "parent", &req.parent).await?;
        let page = PageRequest::parse(&call, req.page_size, &req.page_token, &row.id)?;
        let after = page
            .after
            .as_deref()
            .map_or(0, |a| a.parse::<i64>().unwrap_or(0));
        let mut rows = events::list(&mut conn, &row.id, after, page.limit()).await?;
        let next_page_token = page.finish(&mut rows, |e| e.seq.to_string());
        Ok(ListCaseEventsResponse {
            events: rows.iter().map(event).collect::<Result<_, ApiError>>()?,
            next_page_token,
        })
    }
}
