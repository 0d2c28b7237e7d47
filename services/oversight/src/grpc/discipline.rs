//! `probity.oversight.v1.DisciplineService`: disciplinary decisions on
//! members. A decision that changes something in members (an expulsion, a
//! removal from post) enqueues its delivery in the same transaction — the
//! outbox — and `delivery.rs` delivers it.

use std::sync::Arc;

use probity_platform::{
    ApiError, Call, Database, dates,
    pagination::PageRequest,
    resource::{new_id, parse_name},
    unary,
};
use probity_proto::probity::oversight::v1::{
    CreateDisciplinaryDecisionRequest, DisciplinaryDecision, GetDisciplinaryDecisionRequest,
    ListDisciplinaryDecisionsRequest, ListDisciplinaryDecisionsResponse, MembersEffect,
    discipline_service_server::DisciplineService,
};
use tonic::{Request, Response, Status};

use super::access::authorize_org;
use crate::{
    error::Result,
    peers::Members,
    rules::discipline::{self as rules, APPLY_JOB},
    store::{
        cases,
        discipline::{self as store, DecisionRow},
        inspections,
    },
};

/// The wire form of a decision.
pub fn decision(row: &DecisionRow) -> Result<DisciplinaryDecision, ApiError> {
    Ok(DisciplinaryDecision {
        name: format!("disciplinaryDecisions/{}", row.id),
        member: format!("members/{}", row.member_id),
        member_name: row.member_name.clone(),
        form: row.form as i32,
        deciding_organization: format!("organizations/{}", row.deciding_org_id),
        decision_number: row.decision_number.clone(),
        decision_date: Some(dates::sql_to_proto(&row.decision_date)?),
        effective_date: Some(dates::sql_to_proto(&row.effective_date)?),
        r#case: if row.case_id.is_empty() {
            String::new()
        } else {
            format!("cases/{}", row.case_id)
        },
        reason: row.reason.clone(),
        members_effect: row.members_effect as i32,
        members_effect_detail: row.members_effect_detail.clone(),
        create_time: Some(dates::timestamp(row.create_micros)),
        inspection: if row.inspection_id.is_empty() {
            String::new()
        } else {
            format!("inspections/{}", row.inspection_id)
        },
    })
}

/// `DisciplineService` over one database and the members service.
#[derive(Clone)]
pub struct Discipline {
    db: Database,
    members: Arc<dyn Members>,
}

impl std::fmt::Debug for Discipline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Discipline")
    }
}

impl Discipline {
    /// The service over `db`, calling `members`.
    pub fn new(db: Database, members: Arc<dyn Members>) -> Self {
        Self { db, members }
    }

    async fn create(
        &self,
        call: Call,
        req: CreateDisciplinaryDecisionRequest,
    ) -> Result<DisciplinaryDecision> {
        let given = req.decision.clone().unwrap_or_default();
        let new = rules::validate(&given, call.today())?;
        // Members first, before the write lock.
        let view = self.members.scope_view(&call).await?;
        let member = self
            .members
            .member(&call, "decision.member", &given.member)
            .await?;
        let org = self
            .members
            .organization(
                &call,
                "decision.deciding_organization",
                &given.deciding_organization,
            )
            .await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        authorize_org(&call, &view, &org.id, &given.deciding_organization)?;
        if let Some(done) = w.replayed::<DisciplinaryDecision>()? {
            return Ok(done);
        }
        if !new.case_id.is_empty() {
            let visible = cases::load(w.conn(), &new.case_id)
                .await?
                .is_some_and(|c| view.covers(&c.jurisdiction_id));
            if !visible {
                return Err(ApiError::invalid(
                    "decision.case",
                    format!("{} not found", given.r#case),
                )
                .into());
            }
        }
        if !new.inspection_id.is_empty() {
            let visible = inspections::load(w.conn(), &new.inspection_id)
                .await?
                .is_some_and(|i| view.covers(&i.org_id));
            if !visible {
                return Err(ApiError::invalid(
                    "decision.inspection",
                    format!("{} not found", given.inspection),
                )
                .into());
            }
        }
        let effect = rules::initial_effect(new.form);
        let now = call.now_micros();
        let row = DecisionRow {
            id: new_id(),
            member_id: member.id,
            member_name: member.full_name,
            form: new.form as i64,
            deciding_org_id: org.id,
            decision_number: new.decision_number,
            decision_date: dates::to_sql(new.decision_date),
            effective_date: dates::to_sql(new.effective_date),
            case_id: new.case_id,
            reason: new.reason,
            members_effect: effect as i64,
            members_effect_detail: String::new(),
            create_micros: now,
            update_micros: now,
            inspection_id: new.inspection_id,
        };
        store::insert(w.conn(), &row).await?;
        if effect == MembersEffect::Pending {
            w.enqueue(APPLY_JOB, &row.id, row.id.as_bytes(), now)
                .await?;
        }
        let created = decision(&row)?;
        w.commit(&created.name, &created).await?;
        Ok(created)
    }

    async fn get(
        &self,
        call: Call,
        req: GetDisciplinaryDecisionRequest,
    ) -> Result<DisciplinaryDecision> {
        let id = parse_name("name", &req.name, "disciplinaryDecisions")?;
        let view = self.members.scope_view(&call).await?;
        let row = {
            let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
            store::load(&mut conn, id).await?
        }
        .ok_or_else(|| ApiError::not_found(&req.name))?;
        if view.covers(&row.deciding_org_id) {
            authorize_org(&call, &view, &row.deciding_org_id, &req.name)?;
        } else {
            // Else: readable by whoever may read the member in members.
            self.members
                .member(&call, "name", &format!("members/{}", row.member_id))
                .await
                .map_err(|_| ApiError::not_found(&req.name))?;
            call.scoped();
        }
        Ok(decision(&row)?)
    }

    async fn list(
        &self,
        call: Call,
        req: ListDisciplinaryDecisionsRequest,
    ) -> Result<ListDisciplinaryDecisionsResponse> {
        let (from, to) = if req.year == 0 {
            ("0000-01-01".to_string(), "9999-12-31".to_string())
        } else {
            (
                format!("{:04}-01-01", req.year),
                format!("{:04}-01-01", req.year + 1),
            )
        };
        let page = PageRequest::parse(
            &call,
            req.page_size,
            &req.page_token,
            &format!("{};{};{}", req.member, req.organization, req.year),
        )?;
        let after = page.after.clone().unwrap_or_default();
        let after = after.split_once('|').unwrap_or(("", ""));
        let mut rows = match (req.member.is_empty(), req.organization.is_empty()) {
            (false, true) => {
                // Whoever may read the member in members reads their
                // decisions; a member they may not read is not found, as one
                // that does not exist.
                parse_name("member", &req.member, "members")?;
                let member = match self.members.member(&call, "member", &req.member).await {
                    Err(probity_members_client::MembersError::Api(ApiError::InvalidArgument(
                        _,
                    ))) => {
                        return Err(ApiError::not_found(&req.member).into());
                    }
                    other => other?,
                };
                call.scoped();
                let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
                store::of_member(&mut conn, &member.id, (&from, &to), after, page.limit()).await?
            }
            (true, false) => {
                // The deciding organisations of the subtree, on today's tree.
                let org_id = parse_name("organization", &req.organization, "organizations")?;
                let view = self.members.scope_view(&call).await?;
                authorize_org(&call, &view, org_id, &req.organization)?;
                let mut ids = vec![org_id.to_string()];
                ids.extend(
                    self.members
                        .subtree(&call, "organization", &req.organization, call.today())
                        .await?
                        .into_iter()
                        .map(|o| o.id),
                );
                let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
                store::of_organizations(&mut conn, &ids, (&from, &to), after, page.limit()).await?
            }
            _ => {
                return Err(ApiError::invalid(
                    "member",
                    "give the member or the organization, one of them",
                )
                .into());
            }
        };
        let next_page_token = page.finish(&mut rows, |r| format!("{}|{}", r.effective_date, r.id));
        Ok(ListDisciplinaryDecisionsResponse {
            decisions: rows.iter().map(decision).collect::<Result<_, ApiError>>()?,
            next_page_token,
        })
    }
}

#[tonic::async_trait]
impl DisciplineService for Discipline {
    async fn create_disciplinary_decision(
        &self,
        r: Request<CreateDisciplinaryDecisionRequest>,
    ) -> Result<Response<DisciplinaryDecision>, Status> {
        unary(r, |c, m| self.create(c, m)).await
    }
    async fn get_disciplinary_decision(
        &self,
        r: Request<GetDisciplinaryDecisionRequest>,
    ) -> Result<Response<DisciplinaryDecision>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
    async fn list_disciplinary_decisions(
        &self,
        r: Request<ListDisciplinaryDecisionsRequest>,
    ) -> Result<Response<ListDisciplinaryDecisionsResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
}
