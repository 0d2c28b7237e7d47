//! `probity.members.v1.OrganizationService`: the Party organisation tree.

use probity_platform::{
    ApiError, Call, Database, dates,
    pagination::PageRequest,
    resource::{check_etag, etag, new_id, parse_name},
    unary,
};
use probity_proto::probity::members::v1::{
    CreateOrganizationRequest, GetOrganizationRequest, ListOrganizationsRequest,
    ListOrganizationsResponse, MergeOrganizationsRequest, MoveOrganizationRequest, Organization,
    UpdateOrganizationRequest, organization_service_server::OrganizationService,
};
use tonic::{Request, Response, Status};

use super::access::{check_writable, visible, writable};
use crate::{
    error::{Error, Result},
    rules::{
        names::org_name,
        organizations::{self as rules, check_merge, check_move, check_parent},
    },
    store::{
        history,
        organizations::{self as store, OrgRow, TREE_TABLES},
    },
};

/// The organisation service over one database.
#[derive(Debug, Clone)]
pub struct Organizations {
    db: Database,
}

/// The wire form of an organisation.
pub fn organization(row: &OrgRow) -> Result<Organization, ApiError> {
    let ancestors: Vec<String> = row
        .lineage()
        .filter(|id| *id != row.id)
        .map(org_name)
        .collect();
    Ok(Organization {
        name: row.name(),
        code: row.code.clone(),
        display_name: row.display_name.clone(),
        kind: row.kind as i32,
        parent: row.parent_id.as_deref().map(org_name).unwrap_or_default(),
        ancestors,
        valid_from: Some(dates::sql_to_proto(&row.valid_from)?),
        valid_to: row
            .valid_to
            .as_deref()
            .map(dates::sql_to_proto)
            .transpose()?,
        merged_into: row.merged_into.as_deref().map(org_name).unwrap_or_default(),
        etag: etag(row.revision),
        create_time: Some(dates::timestamp(row.create_micros)),
        update_time: Some(dates::timestamp(row.update_micros)),
    })
}

/// The organisation with id `id` as it is now, on the wire.
async fn reload(conn: &mut sqlx::AnyConnection, id: &str, name: &str) -> Result<Organization> {
    let row = store::latest(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    Ok(organization(&row)?)
}

impl Organizations {
    /// The service over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    async fn create(&self, call: Call, req: CreateOrganizationRequest) -> Result<Organization> {
        let new = rules::validate_new(&req.organization.clone().unwrap_or_default())?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let id = new_id();
        let (parent_id, path) = match &new.parent {
            None => {
                rules::check_may_create_root(&call.caller)?;
                call.scoped();
                (None, format!("/{id}/"))
            }
            Some(parent) => {
                // One read gives the parent's current lineage, which the
                // caller's scope is checked on, and its placement on the
                // day the new organisation is established.
                let parent_id = parse_name("organization.parent", parent, "organizations")?;
                let history = store::history(w.conn(), parent_id).await?;
                check_writable(&call, parent, history.last().map(|p| &p.org))?;
                let on = dates::to_sql(new.valid_from);
                let placed = history.iter().find(|p| p.in_force_on(&on)).ok_or_else(|| {
                    Error::NotInForce {
                        what: parent.clone(),
                        date: on,
                    }
                })?;
                check_parent(new.kind, placed.org.kind())?;
                (
                    Some(placed.org.id.clone()),
                    format!("{}{id}/", placed.org.path),
                )
            }
        };
        if let Some(done) = w.replayed::<Organization>()? {
            return Ok(done);
        }
        let row = store::insert(
            w.conn(),
            &id,
            &new,
            parent_id.as_deref(),
            &path,
            call.now_micros(),
        )
        .await?;
        let created = organization(&row)?;
        w.commit(&created.name, &created).await?;
        probity_platform::tree::changed();
        self.db.refresh_statistics(TREE_TABLES);
        Ok(created)
    }

    async fn get(&self, call: Call, req: GetOrganizationRequest) -> Result<Organization> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        Ok(organization(
            &visible(&mut conn, &call, "name", &req.name).await?,
        )?)
    }

    async fn list(
        &self,
        call: Call,
        req: ListOrganizationsRequest,
    ) -> Result<ListOrganizationsResponse> {
        let as_of = dates::to_sql(
            dates::from_proto("as_of", req.as_of.as_ref())?.unwrap_or_else(|| call.today()),
        );
        let query = format!(
            "parent={};subtree={};as_of={as_of}",
            req.parent, req.include_subtree
        );
        let page = PageRequest::parse(&call, req.page_size, &req.page_token, &query)?;
        let after = page.after.clone().unwrap_or_default();
        let mut conn = self.db.read_conn(&call).await.map_err(ApiError::from)?;
        let mut orgs = if req.parent.is_empty() {
            if req.include_subtree {
                return Err(ApiError::invalid("include_subtree", "needs a parent").into());
            }
            store::roots(&mut conn, &as_of, &after, page.limit()).await?
        } else {
            let parent = visible(&mut conn, &call, "parent", &req.parent).await?;
            let Some(parent) = store::on_date(&mut conn, &parent.id, &as_of).await? else {
                return Ok(ListOrganizationsResponse::default());
            };
            if req.include_subtree {
                store::subtree(&mut conn, &as_of, &parent.path, &after, page.limit()).await?
            } else {
                store::children(&mut conn, &as_of, &parent.id, &after, page.limit()).await?
            }
        };
        let caller = call.scoped();
        orgs.retain(|o| caller.covers(o.lineage()));
        let next_page_token = page.finish(&mut orgs, |o| o.path.clone());
        Ok(ListOrganizationsResponse {
            organizations: orgs.iter().map(organization).collect::<Result<_, _>>()?,
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
        rules::validate_update(&org, &paths)?;
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
        store::rename(
            w.conn(),
            &current.id,
            &code,
            &display_name,
            call.now_micros(),
        )
        .await?;
        let updated = reload(w.conn(), &current.id, &org.name).await?;
        w.commit(&updated.name, &updated).await?;
        Ok(updated)
    }

    async fn move_org(&self, call: Call, req: MoveOrganizationRequest) -> Result<Organization> {
        let date = dates::to_sql(dates::required(
            "effective_date",
            req.effective_date.as_ref(),
        )?);
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let org = writable(w.conn(), &call, "name", &req.name).await?;
        if let Some(done) = w.replayed::<Organization>()? {
            return Ok(done);
        }
        check_etag(&req.name, &req.etag, org.revision)?;
        let parent = writable(w.conn(), &call, "new_parent", &req.new_parent).await?;
        let org = store::require_on_date(w.conn(), &org.id, &date).await?;
        let parent = store::require_on_date(w.conn(), &parent.id, &date).await?;
        check_move(&org.placed(), &parent.placed())?;
        store::relocate(w.conn(), &org, &parent, &date).await?;
        store::bump(w.conn(), &org.id, call.now_micros()).await?;
        let moved = reload(w.conn(), &org.id, &req.name).await?;
        w.commit(&moved.name, &moved).await?;
        probity_platform::tree::changed();
        self.db.refresh_statistics(TREE_TABLES);
        Ok(moved)
    }

    async fn merge(&self, call: Call, req: MergeOrganizationsRequest) -> Result<Organization> {
        let date = dates::to_sql(dates::required(
            "effective_date",
            req.effective_date.as_ref(),
        )?);
        rules::validate_merge_sources(&req.sources, &req.target)?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let now = call.now_micros();
        let target = writable(w.conn(), &call, "target", &req.target).await?;
        if let Some(done) = w.replayed::<Organization>()? {
            return Ok(done);
        }
        let target = store::require_on_date(w.conn(), &target.id, &date).await?;
        for (i, source_name) in req.sources.iter().enumerate() {
            let field = format!("sources[{i}]");
            let source = writable(w.conn(), &call, &field, source_name).await?;
            let source = store::require_on_date(w.conn(), &source.id, &date).await?;
            check_merge(&source.placed(), &target.placed(), &date)?;
            // Sub-organisations move under the target.
            for child in store::all_children(w.conn(), &date, &source.id).await? {
                store::relocate(w.conn(), &child, &target, &date).await?;
            }
            // Active members move to the target.
            history::transfer_all(
                w.conn(),
                &source.id,
                &target.id,
                &date,
                &format!("merged into {}", target.code),
                now,
            )
            .await?;
            // The source ends.
            store::close_placement(w.conn(), &source.id, &source.placed_from, &date).await?;
            store::end_merged(w.conn(), &source.id, &target.id, &date, now).await?;
        }
        store::bump(w.conn(), &target.id, now).await?;
        let merged = reload(w.conn(), &target.id, &req.target).await?;
        w.commit(&merged.name, &merged).await?;
        probity_platform::tree::changed();
        self.db.refresh_statistics(TREE_TABLES);
        Ok(merged)
    }
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
