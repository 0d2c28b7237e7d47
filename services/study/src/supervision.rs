//! `probity.study.v1.SupervisionService`: visits by an inspecting
//! organisation to a unit of a plan's scope, with findings.

use probity_platform::{
    ApiError, Call, Database, Violations,
    auth::ROLE_WRITER,
    dates,
    pagination::PageRequest,
    resource::{new_id, parse_name},
    text, unary,
};
use probity_proto::probity::study::v1::{
    CreateSupervisionVisitRequest, GetSupervisionVisitRequest, ListSupervisionVisitsRequest,
    ListSupervisionVisitsResponse, SupervisionRating, SupervisionVisit,
    supervision_service_server::SupervisionService,
};
use sqlx::{AnyConnection, Row, any::AnyRow};
use tonic::{Request, Response, Status};

use crate::{error::Result, members::MembersPeer, plan_record};

const COLUMNS: &str = "id, plan_id, inspecting_id, inspected_id, visit_date, findings, recommendations, rating, \
    create_micros";

fn from_row(row: &AnyRow) -> Result<SupervisionVisit> {
    Ok(SupervisionVisit {
        name: format!("supervisionVisits/{}", row.try_get::<String, _>("id")?),
        plan: format!("plans/{}", row.try_get::<String, _>("plan_id")?),
        inspecting_organization: format!(
            "organizations/{}",
            row.try_get::<String, _>("inspecting_id")?
        ),
        inspected_organization: format!(
            "organizations/{}",
            row.try_get::<String, _>("inspected_id")?
        ),
        visit_date: Some(dates::sql_to_proto(
            &row.try_get::<String, _>("visit_date")?,
        )?),
        findings: row.try_get("findings")?,
        recommendations: row.try_get("recommendations")?,
        rating: row.try_get::<i64, _>("rating")? as i32,
        create_time: Some(dates::timestamp(row.try_get("create_micros")?)),
    })
}

async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<SupervisionVisit>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM supervision_visits WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// `SupervisionService` over one database and the members service.
#[derive(Debug, Clone)]
pub struct Supervision {
    db: Database,
    members: MembersPeer,
}

impl Supervision {
    /// The service.
    pub fn new(db: Database, members: MembersPeer) -> Self {
        Self { db, members }
    }

    async fn create(
        &self,
        call: Call,
        req: CreateSupervisionVisitRequest,
    ) -> Result<SupervisionVisit> {
        call.caller.require_role(ROLE_WRITER)?;
        let s = req.visit.clone().unwrap_or_default();
        let plan = {
            let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
            plan_record::visible(&mut conn, &call, "visit.plan", &s.plan).await?
        };
        let mut v = Violations::new();
        for (field, value) in [
            ("visit.inspecting_organization", &s.inspecting_organization),
            ("visit.inspected_organization", &s.inspected_organization),
        ] {
            if parse_name(field, value, "organizations").is_err() {
                v.add(field, "required, `organizations/{id}`");
            }
        }
        let findings = text::tidy(&s.findings);
        v.check(
            findings.is_empty() || findings.chars().count() > 20_000,
            "visit.findings",
            "required, at most 20,000 characters",
        );
        let recommendations = text::tidy(&s.recommendations);
        v.check(
            recommendations.chars().count() > 20_000,
            "visit.recommendations",
            "at most 20,000 characters",
        );
        let rating =
            SupervisionRating::try_from(s.rating).unwrap_or(SupervisionRating::Unspecified);
        v.check(
            rating == SupervisionRating::Unspecified,
            "visit.rating",
            "required",
        );
        let day = match dates::required("visit.visit_date", s.visit_date.as_ref()) {
            Ok(d) if d > dates::today() => {
                v.add("visit.visit_date", "must not be in the future");
                d
            }
            Ok(d) if d < plan.issue_date => {
                v.add(
                    "visit.visit_date",
                    format!(
                        "must not be before the plan was issued ({})",
                        plan.issue_date
                    ),
                );
                d
            }
            Ok(d) => d,
            Err(e) => {
                v.add(e.field, e.description);
                time::Date::MIN
            }
        };
        v.into_result()?;
        let inspecting = self
            .members
            .organization(
                &call,
                "visit.inspecting_organization",
                &s.inspecting_organization,
            )
            .await?;
        let inspected = self
            .members
            .organization(
                &call,
                "visit.inspected_organization",
                &s.inspected_organization,
            )
            .await?;
        if !inspected.lineage.contains(&plan.scope_id) {
            return Err(ApiError::invalid(
                "visit.inspected_organization",
                format!(
                    "{} is outside the plan's scope {}",
                    s.inspected_organization, plan.plan.scope
                ),
            )
            .into());
        }
        call.caller.check_write(
            inspecting.lineage.iter().map(String::as_str),
            &s.inspecting_organization,
        )?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<SupervisionVisit>()? {
            return Ok(done);
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO supervision_visits (id, plan_id, inspecting_id, inspected_id, visit_date, findings, \
             recommendations, rating, create_micros) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(&plan.id)
        .bind(&inspecting.id)
        .bind(&inspected.id)
        .bind(dates::to_sql(day))
        .bind(&findings)
        .bind(&recommendations)
        .bind(rating as i64)
        .bind(dates::now_micros())
        .execute(w.conn())
        .await?;
        let created = load(w.conn(), &id)
            .await?
            .ok_or_else(|| ApiError::Internal("visit vanished".into()))?;
        w.commit(&created.name, &created).await?;
        Ok(created)
    }

    async fn get(&self, call: Call, req: GetSupervisionVisitRequest) -> Result<SupervisionVisit> {
        let id = parse_name("name", &req.name, "supervisionVisits")?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let visit = load(&mut conn, id)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?;
        plan_record::visible(&mut conn, &call, "name", &visit.plan)
            .await
            .map_err(|_| ApiError::not_found(&req.name))?;
        Ok(visit)
    }

    async fn list(
        &self,
        call: Call,
        req: ListSupervisionVisitsRequest,
    ) -> Result<ListSupervisionVisitsResponse> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let plan = plan_record::visible(&mut conn, &call, "plan", &req.plan).await?;
        let inspected = if req.inspected_organization.is_empty() {
            String::new()
        } else {
            parse_name(
                "inspected_organization",
                &req.inspected_organization,
                "organizations",
            )?
            .to_string()
        };
        let page = PageRequest::parse(
            req.page_size,
            &req.page_token,
            &format!("{};{inspected}", plan.id),
        )?;
        let after = page.after.clone().unwrap_or_default();
        let (after_date, after_id) = after.split_once('|').unwrap_or(("", ""));
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM supervision_visits WHERE plan_id = $1 AND ($2 = '' OR inspected_id = $2) \
             AND (visit_date > $3 OR (visit_date = $3 AND id > $4)) ORDER BY visit_date, id LIMIT $5"
        )))
        .bind(&plan.id)
        .bind(&inspected)
        .bind(after_date)
        .bind(after_id)
        .bind(page.limit())
        .fetch_all(&mut *conn)
        .await?;
        let mut visits = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
        let next_page_token = page.finish(&mut visits, |v| {
            let d = v.visit_date.unwrap_or_default();
            format!(
                "{:04}-{:02}-{:02}|{}",
                d.year,
                d.month,
                d.day,
                v.name.trim_start_matches("supervisionVisits/")
            )
        });
        Ok(ListSupervisionVisitsResponse {
            visits,
            next_page_token,
        })
    }
}

#[tonic::async_trait]
impl SupervisionService for Supervision {
    async fn create_supervision_visit(
        &self,
        r: Request<CreateSupervisionVisitRequest>,
    ) -> Result<Response<SupervisionVisit>, Status> {
        unary(r, |c, m| self.create(c, m)).await
    }
    async fn get_supervision_visit(
        &self,
        r: Request<GetSupervisionVisitRequest>,
    ) -> Result<Response<SupervisionVisit>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
    async fn list_supervision_visits(
        &self,
        r: Request<ListSupervisionVisitsRequest>,
    ) -> Result<Response<ListSupervisionVisitsResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
}
