//! `probity.oversight.v1.InspectionService`: Party and State inspections,
//! and the cases and disciplinary decisions their findings produced.

use std::sync::Arc;

use probity_platform::{
    ApiError, Call, Database, dates,
    pagination::PageRequest,
    resource::{check_current_etag, etag, new_id, parse_name},
    unary,
};
use probity_proto::probity::oversight::v1::{
    AgencyKind, ConcludeInspectionRequest, CreateInspectionRequest, ErrorReason,
    GetInspectionRequest, Inspection, InspectionKind, ListInspectionsRequest,
    ListInspectionsResponse, inspection_service_server::InspectionService,
};
use sqlx::AnyConnection;
use tonic::{Request, Response, Status};

use super::access::authorize_org;
use crate::{
    error::{Error, Result},
    peers::{Members, ScopeView},
    rules::inspections::{self as rules, NewInspection, Subject},
    store::{
        agencies,
        inspections::{self as store, InspectionRow},
    },
};

/// The wire form of an inspection, with the cases and decisions naming it
/// that the caller's scope covers.
async fn inspection(
    conn: &mut AnyConnection,
    view: &ScopeView,
    row: &InspectionRow,
) -> Result<Inspection> {
    let cases = store::cases(conn, &row.id).await?;
    let decisions = store::decisions(conn, &row.id).await?;
    Ok(Inspection {
        name: format!("inspections/{}", row.id),
        kind: row.kind as i32,
        organization: format!("organizations/{}", row.org_id),
        conducting_agency: if row.conducting_agency_id.is_empty() {
            String::new()
        } else {
            format!("agencies/{}", row.conducting_agency_id)
        },
        subject: row.subject.clone(),
        subject_unit: row.subject_unit.clone(),
        sector: if row.sector.is_empty() {
            String::new()
        } else {
            format!("sectors/{}", row.sector)
        },
        plan_reference: row.plan_reference.clone(),
        decision_number: row.decision_number.clone(),
        period_start: Some(dates::sql_to_proto(&row.period_start)?),
        period_end: Some(dates::sql_to_proto(&row.period_end)?),
        start_date: Some(dates::sql_to_proto(&row.start_date)?),
        findings: row.findings.clone(),
        conclusion_date: row
            .conclusion_date
            .as_deref()
            .map(dates::sql_to_proto)
            .transpose()?,
        cases: cases
            .into_iter()
            .filter(|(_, org)| view.covers(org))
            .map(|(id, _)| format!("cases/{id}"))
            .collect(),
        decisions: decisions
            .into_iter()
            .filter(|(_, org)| view.covers(org))
            .map(|(id, _)| format!("disciplinaryDecisions/{id}"))
            .collect(),
        etag: etag(row.revision),
        create_time: Some(dates::timestamp(row.create_micros)),
    })
}

/// Loads the inspection named `name` (field `field`) whose organisation
/// the caller's scope covers today: `NOT_FOUND` otherwise.
pub async fn visible_inspection(
    conn: &mut AnyConnection,
    call: &Call,
    view: &ScopeView,
    field: &str,
    name: &str,
) -> Result<InspectionRow> {
    let id = parse_name(field, name, "inspections")?;
    let row = store::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    authorize_org(call, view, &row.org_id, name)?;
    Ok(row)
}

/// `InspectionService` over one database and the members service.
#[derive(Clone)]
pub struct Inspections {
    db: Database,
    members: Arc<dyn Members>,
}

impl std::fmt::Debug for Inspections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Inspections")
    }
}

impl Inspections {
    /// The service over `db`, calling `members`.
    pub fn new(db: Database, members: Arc<dyn Members>) -> Self {
        Self { db, members }
    }

    /// Checks a Party inspection's subject with members for the caller: an
    /// organisation inside the owner's subtree, or a member the caller may
    /// read.
    async fn check_subject(&self, call: &Call, new: &NewInspection, given: &str) -> Result<()> {
        match &new.subject {
            Subject::Organization(_) => {
                let org = self
                    .members
                    .organization(call, "inspection.subject", given)
                    .await?;
                if !org.lineage.contains(&new.org_id) {
                    return Err(ApiError::invalid(
                        "inspection.subject",
                        "must lie inside the inspection's organisation",
                    )
                    .into());
                }
            }
            Subject::Member(_) => {
                self.members
                    .member(call, "inspection.subject", given)
                    .await?;
            }
            Subject::Unit(_) => {}
        }
        Ok(())
    }

    async fn create(&self, call: Call, req: CreateInspectionRequest) -> Result<Inspection> {
        let given = req.inspection.clone().unwrap_or_default();
        let new = rules::validate(&given, call.today())?;
        let view = self.members.scope_view(&call).await?;
        let org = self
            .members
            .organization(&call, "inspection.organization", &given.organization)
            .await?;
        self.check_subject(&call, &new, &given.subject).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        authorize_org(&call, &view, &org.id, &given.organization)?;
        if let Some(done) = w.replayed::<Inspection>()? {
            return Ok(done);
        }
        if new.kind == InspectionKind::State {
            let conducting = agencies::load(w.conn(), &new.agency_id).await?;
            let inspects = conducting.is_some_and(|a| {
                a.kind == AgencyKind::Inspectorate as i64 || a.kind == AgencyKind::StateAudit as i64
            });
            if !inspects {
                return Err(ApiError::invalid(
                    "inspection.conducting_agency",
                    "a registered inspectorate or State Audit office",
                )
                .into());
            }
        }
        let row = InspectionRow {
            id: new_id(),
            kind: new.kind as i64,
            org_id: org.id.clone(),
            org_lineage: org.lineage_text(),
            conducting_agency_id: new.agency_id,
            subject: match &new.subject {
                Subject::Unit(_) => String::new(),
                _ => given.subject.clone(),
            },
            subject_unit: match new.subject {
                Subject::Unit(unit) => unit,
                _ => String::new(),
            },
            sector: new.sector,
            plan_reference: new.plan_reference,
            decision_number: new.decision_number,
            period_start: dates::to_sql(new.period.0),
            period_end: dates::to_sql(new.period.1),
            start_date: dates::to_sql(new.start),
            findings: String::new(),
            conclusion_date: None,
            revision: 1,
            create_micros: call.now_micros(),
        };
        store::insert(w.conn(), &row).await?;
        let created = inspection(w.conn(), &view, &row).await?;
        w.commit(&created.name, &created).await?;
        Ok(created)
    }

    async fn get(&self, call: Call, req: GetInspectionRequest) -> Result<Inspection> {
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let row = visible_inspection(&mut conn, &call, &view, "name", &req.name).await?;
        inspection(&mut conn, &view, &row).await
    }

    async fn list(
        &self,
        call: Call,
        req: ListInspectionsRequest,
    ) -> Result<ListInspectionsResponse> {
        let org_id = parse_name("organization", &req.organization, "organizations")?;
        let view = self.members.scope_view(&call).await?;
        authorize_org(&call, &view, org_id, &req.organization)?;
        let kind = InspectionKind::try_from(req.kind).unwrap_or_default();
        let page = PageRequest::parse(
            &call,
            req.page_size,
            &req.page_token,
            &format!("{org_id};{}", kind.as_str_name()),
        )?;
        let after = page.after.clone().unwrap_or_default();
        let after = after.split_once('|').unwrap_or(("", ""));
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let mut rows = store::list(&mut conn, org_id, kind as i64, after, page.limit()).await?;
        let next_page_token = page.finish(&mut rows, |r| format!("{}|{}", r.start_date, r.id));
        let mut inspections = Vec::new();
        for row in rows.iter().filter(|r| view.covers(&r.org_id)) {
            inspections.push(inspection(&mut conn, &view, row).await?);
        }
        Ok(ListInspectionsResponse {
            inspections,
            next_page_token,
        })
    }

    async fn conclude(&self, call: Call, req: ConcludeInspectionRequest) -> Result<Inspection> {
        let view = self.members.scope_view(&call).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let mut row = visible_inspection(w.conn(), &call, &view, "name", &req.name).await?;
        if let Some(done) = w.replayed::<Inspection>()? {
            return Ok(done);
        }
        check_current_etag(&req.name, &req.etag, &etag(row.revision))?;
        if row.conclusion_date.is_some() {
            return Err(Error::state(
                ErrorReason::InspectionConcluded,
                format!("{} is concluded already", req.name),
            ));
        }
        let (findings, day) = rules::conclusion(
            &req.findings,
            req.conclusion_date.as_ref(),
            dates::from_sql(&row.start_date)?,
            call.today(),
        )?;
        store::conclude(w.conn(), &row.id, &findings, &dates::to_sql(day)).await?;
        row.findings = findings;
        row.conclusion_date = Some(dates::to_sql(day));
        row.revision += 1;
        let concluded = inspection(w.conn(), &view, &row).await?;
        w.commit(&concluded.name, &concluded).await?;
        Ok(concluded)
    }
}

#[tonic::async_trait]
impl InspectionService for Inspections {
    async fn create_inspection(
        &self,
        r: Request<CreateInspectionRequest>,
    ) -> Result<Response<Inspection>, Status> {
        unary(r, |c, m| self.create(c, m)).await
    }
    async fn get_inspection(
        &self,
        r: Request<GetInspectionRequest>,
    ) -> Result<Response<Inspection>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
    async fn list_inspections(
        &self,
        r: Request<ListInspectionsRequest>,
    ) -> Result<Response<ListInspectionsResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn conclude_inspection(
        &self,
        r: Request<ConcludeInspectionRequest>,
    ) -> Result<Response<Inspection>, Status> {
        unary(r, |c, m| self.conclude(c, m)).await
    }
}
