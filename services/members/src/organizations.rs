//! `probity.members.v1.OrganizationService`: the Party organisation tree.

use probity_platform::{
    ApiError, Call, Database, Violations,
    auth::ROLE_ADMIN,
    dates,
    pagination::PageRequest,
    resource::{check_etag, new_id, parse_name},
    unary,
};
use probity_proto::probity::members::v1::{
    CreateOrganizationRequest, GetOrganizationRequest, ListOrganizationsRequest,
    ListOrganizationsResponse, MergeOrganizationsRequest, MoveOrganizationRequest, Organization,
    OrganizationKind, UpdateOrganizationRequest, organization_service_server::OrganizationService,
};
use sqlx::AnyConnection;
use tonic::{Request, Response, Status};

use crate::{
    error::{Error, Result},
    tree::{self, ORG_COLUMNS, OrgRow, in_force, org_name, rank},
};

/// The organisation service over one database.
#[derive(Debug, Clone)]
pub struct Organizations {
    db: Database,
}

impl Organizations {
    /// The service over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

const MAX_CODE: usize = 64;
const MAX_DISPLAY_NAME: usize = 300;

fn validate_code(v: &mut Violations, field: &str, code: &str) {
    if code.is_empty() {
        v.add(field, "required");
    } else if code.len() > MAX_CODE
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        v.add(
            field,
            format!("at most {MAX_CODE} characters: letters, digits, - _ . /"),
        );
    }
}

fn validate_display_name(v: &mut Violations, field: &str, name: &str) {
    if name.trim().is_empty() {
        v.add(field, "required");
    } else if name.chars().count() > MAX_DISPLAY_NAME {
        v.add(field, format!("at most {MAX_DISPLAY_NAME} characters"));
    }
}

/// Reads an organisation's latest state and checks the caller may read it.
pub(crate) async fn visible(
    conn: &mut AnyConnection,
    call: &Call,
    field: &str,
    name: &str,
) -> Result<OrgRow> {
    let id = parse_name(field, name, "organizations")?;
    let org = tree::latest(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    call.caller.check_read(org.lineage(), name)?;
    Ok(org)
}

/// The root of a subtree query on `date`: checks the caller may read
/// `name`, then returns its placement on that date — `None` when it did not
/// exist then, so the query has no rows.
pub(crate) async fn subtree_on(
    conn: &mut AnyConnection,
    call: &Call,
    field: &str,
    name: &str,
    date: &str,
) -> Result<Option<OrgRow>> {
    let org = visible(conn, call, field, name).await?;
    tree::on_date(conn, &org.id, date).await
}

/// Like [`visible`], and checks the caller may write under it.
pub(crate) async fn writable(
    conn: &mut AnyConnection,
    call: &Call,
    field: &str,
    name: &str,
) -> Result<OrgRow> {
    let org = visible(conn, call, field, name).await?;
    call.caller.check_write(org.lineage(), name)?;
    Ok(org)
}

/// The checks of [`writable`] on an organisation `name` already loaded in
/// its latest state (`None`: there is none).
pub(crate) fn check_writable(call: &Call, name: &str, latest: Option<&OrgRow>) -> Result<()> {
    let org = latest.ok_or_else(|| ApiError::not_found(name))?;
    call.caller.check_read(org.lineage(), name)?;
    call.caller.check_write(org.lineage(), name)?;
    Ok(())
}

fn unique_code(err: sqlx::Error, code: &str) -> Error {
    if probity_platform::error::is_unique_violation(&err) {
        Error::CodeTaken(code.to_string())
    } else {
        err.into()
    }
}

/// The tables an organisation write changes whose statistics the planner
/// needs (PostgreSQL): a tree is built one organisation at a time, and
/// rosters planned while the placements still "had one row" read the whole
/// province for every window of 1,000 members.
const TREE_TABLES: &[&str] = &["organizations", "organization_placements"];

impl Organizations {
    async fn create(&self, call: Call, req: CreateOrganizationRequest) -> Result<Organization> {
        let org = req.organization.clone().unwrap_or_default();
        let mut v = Violations::new();
        validate_code(&mut v, "organization.code", &org.code);
        validate_display_name(&mut v, "organization.display_name", &org.display_name);
        let kind = OrganizationKind::try_from(org.kind).unwrap_or(OrganizationKind::Unspecified);
        v.check(
            kind == OrganizationKind::Unspecified,
            "organization.kind",
            "required",
        );
        let valid_from = dates::required("organization.valid_from", org.valid_from.as_ref())
            .map_err(|e| v.add(e.field, e.description))
            .ok();
        if !org.parent.is_empty()
            && parse_name("organization.parent", &org.parent, "organizations").is_err()
        {
            v.add("organization.parent", "must be organizations/{id}");
        }
        v.into_result()?;
        let valid_from = dates::to_sql(valid_from.unwrap_or_else(dates::today));

        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<Organization>()? {
            return Ok(done);
        }
        let id = new_id();
        let (parent_id, path) = if org.parent.is_empty() {
            call.caller.require_role(ROLE_ADMIN)?;
            (None, format!("/{id}/"))
        } else {
            let parent = writable(w.conn(), &call, "organization.parent", &org.parent).await?;
            let parent = tree::require_on_date(w.conn(), &parent.id, &valid_from).await?;
            if rank(kind) <= rank(parent.kind) || parent.kind == OrganizationKind::Cell {
                return Err(Error::BadPlacement(format!(
                    "a {kind:?} organisation cannot be placed under a {:?} one",
                    parent.kind
                )));
            }
            (Some(parent.id.clone()), format!("{}{id}/", parent.path))
        };
        let now = dates::now_micros();
        sqlx::query(
            "INSERT INTO organizations (id, code, display_name, kind, valid_from, valid_to, merged_into, \
             revision, create_micros, update_micros) VALUES ($1, $2, $3, $4, $5, NULL, NULL, 1, $6, $6)",
        )
        .bind(&id)
        .bind(&org.code)
        .bind(probity_platform::text::tidy(&org.display_name))
        .bind(kind as i64)
        .bind(&valid_from)
        .bind(now)
        .execute(w.conn())
        .await
        .map_err(|e| unique_code(e, &org.code))?;
        tree::insert_placement(w.conn(), &id, parent_id.as_deref(), &path, &valid_from).await?;
        let created = tree::latest(w.conn(), &id)
            .await?
            .ok_or_else(|| ApiError::Internal("row vanished".into()))?;
        let created = created.to_proto()?;
        w.commit(&created.name, &created).await?;
        self.db.refresh_statistics(TREE_TABLES);
        Ok(created)
    }

    async fn get(&self, call: Call, req: GetOrganizationRequest) -> Result<Organization> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        Ok(visible(&mut conn, &call, "name", &req.name)
            .await?
            .to_proto()?)
    }

    async fn list(
        &self,
        call: Call,
        req: ListOrganizationsRequest,
    ) -> Result<ListOrganizationsResponse> {
        let as_of = dates::to_sql(
            dates::from_proto("as_of", req.as_of.as_ref())?.unwrap_or_else(dates::today),
        );
        let query = format!(
            "parent={};subtree={};as_of={as_of}",
            req.parent, req.include_subtree
        );
        let page = PageRequest::parse(req.page_size, &req.page_token, &query)?;
        let after = page.after.clone().unwrap_or_default();
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let rows = if req.parent.is_empty() {
            if req.include_subtree {
                return Err(ApiError::invalid("include_subtree", "needs a parent").into());
            }
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ORG_COLUMNS} FROM organizations o JOIN organization_placements p ON p.org_id = o.id \
                 WHERE p.parent_id IS NULL AND {} AND p.path > $2 ORDER BY p.path LIMIT $3",
                in_force("p", 1)
            )))
            .bind(&as_of)
            .bind(&after)
            .bind(page.limit())
            .fetch_all(&mut *conn)
            .await?
        } else {
            let parent = visible(&mut conn, &call, "parent", &req.parent).await?;
            let Some(parent) = tree::on_date(&mut conn, &parent.id, &as_of).await? else {
                return Ok(ListOrganizationsResponse::default());
            };
            if req.include_subtree {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {ORG_COLUMNS} FROM organizations o JOIN organization_placements p ON p.org_id = o.id \
                     WHERE p.path > $2 AND p.path < $3 AND {} AND p.path > $4 ORDER BY p.path LIMIT $5",
                    in_force("p", 1)
                )))
                .bind(&as_of)
                .bind(&parent.path)
                .bind(tree::upper(&parent.path))
                .bind(&after)
                .bind(page.limit())
                .fetch_all(&mut *conn)
                .await?
            } else {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {ORG_COLUMNS} FROM organizations o JOIN organization_placements p ON p.org_id = o.id \
                     WHERE p.parent_id = $2 AND {} AND p.path > $3 ORDER BY p.path LIMIT $4",
                    in_force("p", 1)
                )))
                .bind(&as_of)
                .bind(&parent.id)
                .bind(&after)
                .bind(page.limit())
                .fetch_all(&mut *conn)
                .await?
            }
        };
        let mut orgs = rows
            .iter()
            .map(OrgRow::from_row)
            .collect::<Result<Vec<_>>>()?;
        orgs.retain(|o| call.caller.covers(o.lineage()));
        let next_page_token = page.finish(&mut orgs, |o| o.path.clone());
        Ok(ListOrganizationsResponse {
            organizations: orgs
                .iter()
                .map(OrgRow::to_proto)
                .collect::<Result<_, _>>()?,
            next_page_token,
        })
    }

    async fn update(&self, call: Call, req: UpdateOrganizationRequest) -> Result<Organization> {
        let org = req.organization.clone().unwrap_or_default();
        let paths = probity_platform::mask::paths(
            req.update_mask.as_ref(),
            &["code", "display_name"],
            |p| match p {
                "code" => !org.code.is_empty(),
                "display_name" => !org.display_name.is_empty(),
                _ => false,
            },
        )?;
        let mut v = Violations::new();
        if paths.contains(&"code") {
            validate_code(&mut v, "organization.code", &org.code);
        }
        if paths.contains(&"display_name") {
            validate_display_name(&mut v, "organization.display_name", &org.display_name);
        }
        v.into_result()?;
        let mut w = self.db.begin_write(&call, "", &req).await?;
        let current = writable(w.conn(), &call, "organization.name", &org.name).await?;
        check_etag(&org.name, &org.etag, current.revision)?;
        let code = if paths.contains(&"code") {
            org.code.clone()
        } else {
            current.code.clone()
        };
        let display_name = if paths.contains(&"display_name") {
            probity_platform::text::tidy(&org.display_name)
        } else {
            current.display_name.clone()
        };
        sqlx::query(
            "UPDATE organizations SET code = $1, display_name = $2, revision = revision + 1, update_micros = $3 \
             WHERE id = $4",
        )
        .bind(&code)
        .bind(&display_name)
        .bind(dates::now_micros())
        .bind(&current.id)
        .execute(w.conn())
        .await
        .map_err(|e| unique_code(e, &code))?;
        let updated = tree::latest(w.conn(), &current.id)
            .await?
            .ok_or_else(|| ApiError::not_found(&org.name))?;
        let updated = updated.to_proto()?;
        w.commit(&updated.name, &updated).await?;
        Ok(updated)
    }

    async fn move_org(&self, call: Call, req: MoveOrganizationRequest) -> Result<Organization> {
        let date = dates::to_sql(dates::required(
            "effective_date",
            req.effective_date.as_ref(),
        )?);
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<Organization>()? {
            return Ok(done);
        }
        let org = writable(w.conn(), &call, "name", &req.name).await?;
        check_etag(&req.name, &req.etag, org.revision)?;
        let parent = writable(w.conn(), &call, "new_parent", &req.new_parent).await?;
        let org = tree::require_on_date(w.conn(), &org.id, &date).await?;
        let parent = tree::require_on_date(w.conn(), &parent.id, &date).await?;
        if parent.path.starts_with(&org.path) {
            return Err(Error::BadPlacement(format!(
                "{} lies inside {}; an organisation cannot move under itself",
                parent.name(),
                org.name()
            )));
        }
        if rank(org.kind) <= rank(parent.kind) {
            return Err(Error::BadPlacement(format!(
                "a {:?} organisation cannot be placed under a {:?} one",
                org.kind, parent.kind
            )));
        }
        if org.parent_id.as_deref() == Some(parent.id.as_str()) {
            return Err(Error::BadPlacement(format!(
                "{} is already under {}",
                org.name(),
                parent.name()
            )));
        }
        tree::relocate(w.conn(), &org, &parent, &date).await?;
        bump(w.conn(), &org.id).await?;
        let moved = tree::latest(w.conn(), &org.id)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?;
        let moved = moved.to_proto()?;
        w.commit(&moved.name, &moved).await?;
        self.db.refresh_statistics(TREE_TABLES);
        Ok(moved)
    }

    async fn merge(&self, call: Call, req: MergeOrganizationsRequest) -> Result<Organization> {
        let date = dates::to_sql(dates::required(
            "effective_date",
            req.effective_date.as_ref(),
        )?);
        let mut v = Violations::new();
        v.check(
            req.sources.is_empty(),
            "sources",
            "at least one organisation to merge",
        );
        let mut seen = std::collections::HashSet::new();
        for (i, s) in req.sources.iter().enumerate() {
            if s == &req.target {
                v.add(format!("sources[{i}]"), "is the target itself");
            } else if !seen.insert(s) {
                v.add(format!("sources[{i}]"), "listed twice");
            }
        }
        v.into_result()?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<Organization>()? {
            return Ok(done);
        }
        let target = writable(w.conn(), &call, "target", &req.target).await?;
        let target = tree::require_on_date(w.conn(), &target.id, &date).await?;
        for (i, source_name) in req.sources.iter().enumerate() {
            let field = format!("sources[{i}]");
            let source = writable(w.conn(), &call, &field, source_name).await?;
            let source = tree::require_on_date(w.conn(), &source.id, &date).await?;
            if source.kind != target.kind {
                return Err(Error::BadPlacement(format!(
                    "{} is a {:?} organisation and {} a {:?} one; only organisations of one level merge",
                    source.name(),
                    source.kind,
                    target.name(),
                    target.kind
                )));
            }
            if target.path.starts_with(&source.path) {
                return Err(Error::BadPlacement(format!(
                    "{} lies inside {}",
                    target.name(),
                    source.name()
                )));
            }
            if source.valid_to.is_some() || source.placed_from.as_str() > date.as_str() {
                return Err(Error::OutOfOrder(format!(
                    "{} has a later change recorded",
                    source.name()
                )));
            }
            // Sub-organisations move under the target.
            let children = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ORG_COLUMNS} FROM organizations o JOIN organization_placements p ON p.org_id = o.id \
                 WHERE p.parent_id = $2 AND {}",
                in_force("p", 1)
            )))
            .bind(&date)
            .bind(&source.id)
            .fetch_all(w.conn())
            .await?;
            for child in children.iter().map(OrgRow::from_row) {
                tree::relocate(w.conn(), &child?, &target, &date).await?;
            }
            // Active members move to the target.
            crate::roster::transfer_all(
                w.conn(),
                &source.id,
                &target.id,
                &date,
                &format!("merged into {}", target.code),
            )
            .await?;
            // The source ends.
            tree::close_placement(w.conn(), &source.id, &source.placed_from, &date).await?;
            sqlx::query(
                "UPDATE organizations SET valid_to = $1, merged_into = $2, revision = revision + 1, update_micros = $3 \
                 WHERE id = $4",
            )
            .bind(&date)
            .bind(&target.id)
            .bind(dates::now_micros())
            .bind(&source.id)
            .execute(w.conn())
            .await?;
        }
        bump(w.conn(), &target.id).await?;
        let merged = tree::latest(w.conn(), &target.id)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.target))?;
        let merged = merged.to_proto()?;
        w.commit(&merged.name, &merged).await?;
        self.db.refresh_statistics(TREE_TABLES);
        Ok(merged)
    }
}

/// Marks an organisation changed: new etag, new update time.
async fn bump(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query(
        "UPDATE organizations SET revision = revision + 1, update_micros = $1 WHERE id = $2",
    )
    .bind(dates::now_micros())
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

#[tonic::async_trait]
impl OrganizationService for Organizations {
    async fn create_organization(
        &self,
        r: Request<CreateOrganizationRequest>,
    ) -> Result<Response<Organization>, Status> {
        unary(r, |c, m| self.create(c, m)).await
    }
    async fn get_organization(
        &self,
        r: Request<GetOrganizationRequest>,
    ) -> Result<Response<Organization>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
    async fn list_organizations(
        &self,
        r: Request<ListOrganizationsRequest>,
    ) -> Result<Response<ListOrganizationsResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn update_organization(
        &self,
        r: Request<UpdateOrganizationRequest>,
    ) -> Result<Response<Organization>, Status> {
        unary(r, |c, m| self.update(c, m)).await
    }
    async fn move_organization(
        &self,
        r: Request<MoveOrganizationRequest>,
    ) -> Result<Response<Organization>, Status> {
        unary(r, |c, m| self.move_org(c, m)).await
    }
    async fn merge_organizations(
        &self,
        r: Request<MergeOrganizationsRequest>,
    ) -> Result<Response<Organization>, Status> {
        unary(r, |c, m| self.merge(c, m)).await
    }
}

/// The resource name of an organisation id (re-exported for other modules).
pub fn name_of(id: &str) -> String {
    org_name(id)
}
