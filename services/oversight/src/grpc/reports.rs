//! `probity.oversight.v1.ReportService`: whistleblower reports, their
//! decisions, the case they opened and their messages. A named reporter's
//! identity is sealed in the vault at intake and never leaves it here: not
//! in the report, the idempotency record (the request is stored for
//! retries with the identity blanked, the response without the receipt
//! code) or the audit log (which keeps a digest of the ciphertext).

use std::sync::Arc;

use probity_platform::{
    ApiError, Call, Database, dates,
    pagination::PageRequest,
    resource::{check_current_etag, new_id, parse_name},
    unary,
    write::Write,
};
use probity_proto::probity::oversight::v1::{
    CreateReportRequest, CreateReportResponse, DecideReportRequest, GetReportRequest,
    LinkReportToCaseRequest, ListReportMessagesRequest, ListReportMessagesResponse,
    ListReportsRequest, ListReportsResponse, MessageAuthor, PostReportMessageRequest, Report,
    ReportCategory, ReportDecision, ReportMessage, ReportOutcome, ReportStatus, ReporterIdentity,
    report_service_server::ReportService,
};
use tonic::{Request, Response, Status};

use super::{
    access::{authorize_org, visible_case},
    report_view::{self as view, check_not_expired, visible_report},
    retention::EXPIRE_JOB,
    vault::Vault,
};
use crate::{
    error::Result,
    peers::{Members, ScopeView},
    rules::{
        report_decisions as decisions,
        report_limits::{self, Step},
        reports as rules,
        sectors::Sectors,
    },
    store::{
        agencies,
        reports::{self as store, AccusedRow, MessageRow, ReportRow},
        vault as sealed,
    },
};

/// Where a change to a report stands once its write is open.
enum Change {
    /// A retry: the first call's answer.
    Replayed(Report),
    /// The write, the caller's scope and the report.
    Open(Write, Arc<ScopeView>, Box<ReportRow>),
}

/// `ReportService` over one database, the members service and the vault.
#[derive(Clone)]
pub struct Reports {
    db: Database,
    members: Arc<dyn Members>,
    vault: Vault,
}

impl std::fmt::Debug for Reports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reports")
    }
}

/// Who did something, for the records: subject and agency.
pub fn actor(call: &Call) -> String {
    format!("{} ({})", call.caller.subject, call.caller.agency)
}

/// The request as its idempotency record hashes it: the identity blanked
/// (only whether one was given counts), so no digest of it is stored.
fn without_identity(req: &CreateReportRequest) -> CreateReportRequest {
    CreateReportRequest {
        reporter: req.reporter.as_ref().map(|_| ReporterIdentity::default()),
        ..req.clone()
    }
}

impl Reports {
    /// The service over `db`, calling `members`, sealing with `vault`.
    pub fn new(db: Database, members: Arc<dyn Members>, vault: Vault) -> Self {
        Self { db, members, vault }
    }

    /// The accused, with members' names filled from members for the
    /// caller (a member the caller may not read is `NOT_FOUND`).
    async fn accused(&self, call: &Call, new: &rules::NewReport) -> Result<Vec<AccusedRow>> {
        let mut out = Vec::new();
        for (i, a) in new.accused.iter().enumerate() {
            let name = if a.member_id.is_empty() {
                a.name.clone()
            } else {
                let field = format!("report.accused[{i}].member");
                let member = self
                    .members
                    .member(call, &field, &format!("members/{}", a.member_id))
                    .await?;
                member.full_name
            };
            out.push(AccusedRow {
                member_id: a.member_id.clone(),
                name,
                position: a.position.clone(),
            });
        }
        Ok(out)
    }

    async fn create(&self, call: Call, req: CreateReportRequest) -> Result<CreateReportResponse> {
        let given = req.report.clone().unwrap_or_default();
        let new = rules::validate(&given, call.today())?;
        let identity = req.reporter.as_ref().map(rules::identity).transpose()?;
        if !new.sector.is_empty() && Sectors::shipped().get(&new.sector).is_none() {
            return Err(ApiError::invalid("report.sector", "not a known sector").into());
        }
        let view = self.members.scope_view(&call).await?;
        let org = self
            .members
            .organization(&call, "report.organization", &given.organization)
            .await?;
        let accused = self.accused(&call, &new).await?;
        let receipt = self.vault.issue().await?;
        let mut w = self
            .db
            .begin_write(&call, &req.request_id, &without_identity(&req))
            .await?;
        authorize_org(&call, &view, &org.id, &given.organization)?;
        if let Some(done) = w.replayed::<CreateReportResponse>()? {
            return Ok(done);
        }
        if store::locator_taken(w.conn(), &receipt.locator).await? {
            return Err(ApiError::Unavailable(
                "a receipt code was drawn twice; nothing was recorded, retry".into(),
            )
            .into());
        }
        let (accept_due, accept_citation) =
            report_limits::due(new.category, Step::Accept, new.received);
        let (resolve_due, resolve_citation) =
            if rules::resolve_clock_starts_at_receipt(new.category) {
                report_limits::due(new.category, Step::Resolve, new.received)
            } else {
                (None, String::new())
            };
        let row = ReportRow {
            id: new_id(),
            org_id: org.id.clone(),
            org_lineage: org.lineage_text(),
            channel: new.channel as i64,
            category: new.category as i64,
            content: new.content.clone(),
            sector: new.sector.clone(),
            received_date: dates::to_sql(new.received),
            anonymous: i64::from(identity.is_none()),
            status: ReportStatus::Received as i64,
            outcome: ReportOutcome::Unspecified as i64,
            accept_due: accept_due.map(dates::to_sql),
            accept_citation,
            resolve_due: resolve_due.map(dates::to_sql),
            resolve_citation,
            decision_number: String::new(),
            decision_date: None,
            decision_note: String::new(),
            transfer_agency_id: String::new(),
            case_id: String::new(),
            retention_class: String::new(),
            expire_date: None,
            expired: 0,
            receipt_locator: receipt.locator.clone(),
            receipt_hash: receipt.hash.clone(),
            revision: 1,
            create_micros: call.now_micros(),
        };
        store::insert(w.conn(), &row, &accused).await?;
        let name = format!("reports/{}", row.id);
        if let Some(identity) = &identity {
            let resource = format!("{name}/identity");
            let sealed_identity = self.vault.seal(&resource, identity);
            sealed::insert(w.conn(), &row.id, &sealed_identity, call.now_micros()).await?;
            // The audit entry keeps a digest of the ciphertext only.
            w.record(&resource, &sealed_identity.ciphertext);
        }
        let report = view::report(w.conn(), &view, &row, call.today()).await?;
        let stored = CreateReportResponse {
            report: Some(report),
            receipt_code: String::new(),
        };
        w.commit(&name, &stored).await?;
        Ok(CreateReportResponse {
            receipt_code: receipt.code,
            ..stored
        })
    }

    async fn get(&self, call: Call, req: GetReportRequest) -> Result<Report> {
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let row = visible_report(&mut conn, &call, &view, "name", &req.name).await?;
        view::report(&mut conn, &view, &row, call.today()).await
    }

    async fn list(&self, call: Call, req: ListReportsRequest) -> Result<ListReportsResponse> {
        let org_id = parse_name("organization", &req.organization, "organizations")?;
        let view = self.members.scope_view(&call).await?;
        authorize_org(&call, &view, org_id, &req.organization)?;
        let status = ReportStatus::try_from(req.status).unwrap_or_default();
        let page = PageRequest::parse(
            &call,
            req.page_size,
            &req.page_token,
            &format!("{org_id};{};{}", status.as_str_name(), req.overdue_only),
        )?;
        let after = page.after.clone().unwrap_or_default();
        let after = after.split_once('|').unwrap_or(("", ""));
        let today = dates::to_sql(call.today());
        let overdue_on = req.overdue_only.then_some(today.as_str());
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let mut rows = store::list(
            &mut conn,
            org_id,
            status as i64,
            overdue_on,
            after,
            page.limit(),
        )
        .await?;
        let next_page_token = page.finish(&mut rows, |r| format!("{}|{}", r.received_date, r.id));
        let mut reports = Vec::new();
        for row in rows.iter().filter(|r| view.covers(&r.org_id)) {
            reports.push(view::report(&mut conn, &view, row, call.today()).await?);
        }
        Ok(ListReportsResponse {
            reports,
            next_page_token,
        })
    }

    /// Opens the write of a change to report `name` (request `req`, its
    /// `request_id` and `etag`): the report as the caller may see it
    /// (`NOT_FOUND` otherwise), or the first answer of a retry; a stale
    /// etag is `ABORTED`.
    async fn begin_change<M: prost::Message>(
        &self,
        call: &Call,
        req: &M,
        (request_id, name, etag): (&str, &str, &str),
    ) -> Result<Change> {
        let view = self.members.scope_view(call).await?;
        let mut w = self.db.begin_write(call, request_id, req).await?;
        let row = visible_report(w.conn(), call, &view, "name", name).await?;
        if let Some(done) = w.replayed::<Report>()? {
            return Ok(Change::Replayed(done));
        }
        check_current_etag(name, etag, &probity_platform::resource::etag(row.revision))?;
        Ok(Change::Open(w, view, Box::new(row)))
    }

    async fn decide(&self, call: Call, req: DecideReportRequest) -> Result<Report> {
        let (mut w, view, mut row) = match self
            .begin_change(&call, &req, (&req.request_id, &req.name, &req.etag))
            .await?
        {
            Change::Replayed(done) => return Ok(done),
            Change::Open(w, view, row) => (w, view, *row),
        };
        let category = ReportCategory::try_from(row.category as i32).unwrap_or_default();
        let standing = decisions::Standing {
            status: ReportStatus::try_from(row.status as i32).unwrap_or_default(),
            received: dates::from_sql(&row.received_date)?,
            last_decision: row
                .decision_date
                .as_deref()
                .map(dates::from_sql)
                .transpose()?,
        };
        let decided = decisions::decide(
            &req.name,
            standing,
            ReportDecision::try_from(req.decision).unwrap_or_default(),
            req.decision_date.as_ref(),
            &req.decision_number,
            &req.note,
            &req.transfer_to,
            ReportOutcome::try_from(req.outcome).unwrap_or_default(),
            call.today(),
        )?;
        if decided.status == ReportStatus::Transferred
            && agencies::load(w.conn(), &decided.agency_id)
                .await?
                .is_none()
        {
            return Err(ApiError::invalid("transfer_to", "not a registered agency").into());
        }
        if decided.status == ReportStatus::Accepted
            && !rules::resolve_clock_starts_at_receipt(category)
        {
            let (due, citation) = report_limits::due(category, Step::Resolve, decided.date);
            row.resolve_due = due.map(dates::to_sql);
            row.resolve_citation = citation;
        }
        if decisions::is_finished(decided.status) {
            let (class, expire) =
                report_limits::retention(decided.status, decided.outcome, decided.date);
            row.retention_class = class;
            row.expire_date = Some(dates::to_sql(expire));
            w.enqueue(
                EXPIRE_JOB,
                &row.id,
                &[],
                probity_platform::clock::start_of_day(expire),
            )
            .await?;
        }
        row.status = decided.status as i64;
        row.outcome = decided.outcome as i64;
        row.decision_number = decided.number;
        row.decision_date = Some(dates::to_sql(decided.date));
        row.decision_note = decided.note;
        row.transfer_agency_id = decided.agency_id;
        row.revision += 1;
        store::save(w.conn(), &row).await?;
        let report = view::report(w.conn(), &view, &row, call.today()).await?;
        w.commit(&report.name, &report).await?;
        Ok(report)
    }

    async fn link(&self, call: Call, req: LinkReportToCaseRequest) -> Result<Report> {
        let (mut w, view, mut row) = match self
            .begin_change(&call, &req, (&req.request_id, &req.name, &req.etag))
            .await?
        {
            Change::Replayed(done) => return Ok(done),
            Change::Open(w, view, row) => (w, view, *row),
        };
        let case = visible_case(w.conn(), &call, &view, "case", &req.case).await?;
        row.case_id = case.id;
        row.revision += 1;
        store::save(w.conn(), &row).await?;
        let report = view::report(w.conn(), &view, &row, call.today()).await?;
        w.commit(&report.name, &report).await?;
        Ok(report)
    }

    async fn post_message(
        &self,
        call: Call,
        req: PostReportMessageRequest,
    ) -> Result<ReportMessage> {
        let given = req.message.clone().unwrap_or_default();
        let text = rules::message_text("message.text", &given.text)?;
        let view = self.members.scope_view(&call).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let row = visible_report(w.conn(), &call, &view, "parent", &req.parent).await?;
        if let Some(done) = w.replayed::<ReportMessage>()? {
            return Ok(done);
        }
        check_not_expired(&row, &req.parent)?;
        let mut message = MessageRow {
            report_id: row.id.clone(),
            seq: 0,
            author: MessageAuthor::Officer as i64,
            internal: i64::from(given.internal),
            text,
            author_subject: actor(&call),
            create_micros: call.now_micros(),
        };
        message.seq = store::add_message(w.conn(), &message).await?;
        let posted = view::message(&message);
        w.commit(&posted.name, &posted).await?;
        Ok(posted)
    }

    async fn list_messages(
        &self,
        call: Call,
        req: ListReportMessagesRequest,
    ) -> Result<ListReportMessagesResponse> {
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let row = visible_report(&mut conn, &call, &view, "parent", &req.parent).await?;
        let page = PageRequest::parse(&call, req.page_size, &req.page_token, &row.id)?;
        let after: i64 = page.after.as_deref().unwrap_or("0").parse().unwrap_or(0);
        let mut rows = store::messages(&mut conn, &row.id, false, after, page.limit()).await?;
        let next_page_token = page.finish(&mut rows, |m| m.seq.to_string());
        Ok(ListReportMessagesResponse {
            messages: rows.iter().map(view::message).collect(),
            next_page_token,
        })
    }
}

#[tonic::async_trait]
impl ReportService for Reports {
    async fn create_report(
        &self,
        r: Request<CreateReportRequest>,
    ) -> Result<Response<CreateReportResponse>, Status> {
        unary(r, |c, m| self.create(c, m)).await
    }
    async fn get_report(&self, r: Request<GetReportRequest>) -> Result<Response<Report>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
    async fn list_reports(
        &self,
        r: Request<ListReportsRequest>,
    ) -> Result<Response<ListReportsResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn decide_report(
        &self,
        r: Request<DecideReportRequest>,
    ) -> Result<Response<Report>, Status> {
        unary(r, |c, m| self.decide(c, m)).await
    }
    async fn link_report_to_case(
        &self,
        r: Request<LinkReportToCaseRequest>,
    ) -> Result<Response<Report>, Status> {
        unary(r, |c, m| self.link(c, m)).await
    }
    async fn post_report_message(
        &self,
        r: Request<PostReportMessageRequest>,
    ) -> Result<Response<ReportMessage>, Status> {
        unary(r, |c, m| self.post_message(c, m)).await
    }
    async fn list_report_messages(
        &self,
        r: Request<ListReportMessagesRequest>,
    ) -> Result<Response<ListReportMessagesResponse>, Status> {
        unary(r, |c, m| self.list_messages(c, m)).await
    }
}
