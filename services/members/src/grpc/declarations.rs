//! `probity.members.v1.DeclarationService`: asset and income declarations,
//! their receipt and the control steps after it. Obligation lists are in
//! [`super::obligation_lists`], asset changes and verification in
//! [`super::verification`].

use probity_platform::{
    ApiError, Call, Database, Violations,
    auth::Role,
    dates,
    pagination::PageRequest,
    resource::{check_current_etag, etag, new_id, parse_name},
    unary,
    write::Write,
};
use probity_proto::probity::members::v1::{
    ApproveObligationListRequest, AssetChange, CreateObligationListRequest, Declaration,
    DeclarationKind, DrawVerificationRequest, GetAssetChangeRequest, GetDeclarationRequest,
    GetObligationListRequest, GetVerificationDrawRequest, HandOverDeclarationRequest,
    ListAssetChangeFlagsRequest, ListAssetChangeFlagsResponse, ListDeclarationRulesRequest,
    ListDeclarationRulesResponse, ListDeclarationsRequest, ListDeclarationsResponse,
    ObligationList, PublishDeclarationRequest, RecordVerificationConclusionRequest,
    ResubmitDeclarationRequest, ReturnDeclarationRequest, SubmitDeclarationRequest,
    VerificationDraw, declaration_service_server::DeclarationService,
};
use sqlx::AnyConnection;
use tonic::{Request, Response, Status};

use super::access::{visible, writable_member, year_subtree};
use crate::{
    error::Result,
    rules::{
        deadlines::{RuleBook, day, deadlines},
        declarations::{self as rules, final_receipt, step_date},
        names::{member_name, org_name},
        years::validate_year,
    },
    store::declarations::{self as store, DeclarationRow, NewDeclaration},
};

/// `DeclarationService` over one database.
#[derive(Debug, Clone)]
pub struct Declarations {
    pub(super) db: Database,
}

fn opt_date(
    text: &Option<String>,
) -> Result<Option<probity_proto::google::r#type::Date>, ApiError> {
    text.as_deref().map(dates::sql_to_proto).transpose()
}

/// The wire form of a declaration, without its items and deadlines.
fn declaration(row: &DeclarationRow) -> Result<Declaration, ApiError> {
    Ok(Declaration {
        name: format!("declarations/{}", row.id),
        declarant: member_name(&row.member_id),
        organization: org_name(&row.organization_id),
        year: row.year as i32,
        kind: row.kind as i32,
        declared_as_of: opt_date(&row.declared_as_of)?,
        event_date: opt_date(&row.event_date)?,
        items: Vec::new(),
        increase_origin: row.increase_origin.clone(),
        total_assets_vnd: row.total_assets,
        contents_redacted: false,
        status: row.status as i32,
        received_date: opt_date(&row.received_date)?,
        returned_date: opt_date(&row.returned_date)?,
        return_reason: row.return_reason.clone().unwrap_or_default(),
        resubmitted_date: opt_date(&row.resubmitted_date)?,
        handed_over_date: opt_date(&row.handed_over_date)?,
        published_date: opt_date(&row.published_date)?,
        publication_place: row.publication_place.clone().unwrap_or_default(),
        deadlines: Vec::new(),
        verification: row.verification as i32,
        verification_findings: row.findings.clone().unwrap_or_default(),
        concluded_date: opt_date(&row.concluded_date)?,
        etag: etag(row.revision),
        create_time: Some(dates::timestamp(row.create_micros)),
    })
}

/// Fills in items (for the control role, else redacts) and deadlines:
/// every read and write response passes through here.
async fn complete(
    conn: &mut AnyConnection,
    call: &Call,
    mut d: Declaration,
    book: &RuleBook,
) -> Result<Declaration> {
    if call.caller.holds(Role::DeclarationControl) {
        d.items = store::items(conn, d.name.trim_start_matches("declarations/")).await?;
    } else {
        rules::redact(&mut d);
    }
    d.deadlines = deadlines(&d, book, call.today())?;
    Ok(d)
}

/// The id of a declaration from its name.
fn declaration_id(d: &Declaration) -> &str {
    d.name.trim_start_matches("declarations/")
}

impl Declarations {
    /// The service.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    async fn submit(&self, call: Call, req: SubmitDeclarationRequest) -> Result<Declaration> {
        let d = req.declaration.clone().unwrap_or_default();
        let mut v = Violations::new();
        let submission = rules::validate_submission(&mut v, &d, call.today());
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let book = store::rule_book(w.conn()).await?;
        let as_of = dates::to_sql(submission.as_of);
        let total = rules::validate_items(&mut v, "declaration.items", &d.items, &as_of, &book)?;
        v.into_result()?;
        let declarant =
            writable_member(w.conn(), &call, "declaration.declarant", &d.declarant).await?;
        if let Some(done) = Self::replay(&call, &mut w).await? {
            return Ok(done);
        }
        let id = new_id();
        let new = NewDeclaration {
            id: &id,
            member_id: &declarant.member.id,
            organization_id: &declarant.org.id,
            year: d.year,
            kind: submission.kind as i64,
            as_of: &as_of,
            event: submission.event.map(dates::to_sql),
            origin: d.increase_origin.trim(),
            total,
            received: submission.received.map(dates::to_sql),
        };
        store::insert(w.conn(), &new, &d.items, call.now_micros()).await?;
        Self::finish(&call, w, &id, &book).await
    }

    /// Loads a declaration the caller may see (the declarant's organisation
    /// is in scope); `NOT_FOUND` otherwise.
    pub(super) async fn for_caller(
        conn: &mut AnyConnection,
        call: &Call,
        name: &str,
    ) -> Result<Declaration> {
        let id = parse_name("name", name, "declarations")?;
        let row = store::load(conn, id)
            .await?
            .ok_or_else(|| ApiError::not_found(name))?;
        visible(conn, call, "name", &org_name(&row.organization_id))
            .await
            .map_err(|e| e.not_found_as(name))?;
        Ok(declaration(&row)?)
    }

    async fn get(&self, call: Call, req: GetDeclarationRequest) -> Result<Declaration> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let d = Self::for_caller(&mut conn, &call, &req.name).await?;
        let book = store::rule_book(&mut conn).await?;
        complete(&mut conn, &call, d, &book).await
    }

    async fn list(
        &self,
        call: Call,
        req: ListDeclarationsRequest,
    ) -> Result<ListDeclarationsResponse> {
        validate_year("year", req.year, call.today())?;
        let kind = DeclarationKind::try_from(req.kind)
            .map_err(|_| ApiError::invalid("kind", "unknown kind"))?;
        let page = PageRequest::parse(
            &call,
            req.page_size,
            &req.page_token,
            &format!("{};{};{}", req.organization, req.year, req.kind),
        )?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let Some((date, root)) = year_subtree(
            &mut conn,
            &call,
            "organization",
            &req.organization,
            req.year,
        )
        .await?
        else {
            return Ok(ListDeclarationsResponse::default());
        };
        let rows = store::list(
            &mut conn,
            &date,
            &root.path,
            req.year,
            kind as i64,
            page.after.as_deref().unwrap_or_default(),
            page.limit(),
        )
        .await?;
        let mut out = rows
            .into_iter()
            .map(|(row, key)| declaration(&row).map(|d| (d, key)))
            .collect::<Result<Vec<_>, _>>()?;
        let next_page_token = page.finish(&mut out, |(_, key)| key.clone());
        let book = store::rule_book(&mut conn).await?;
        let mut declarations = Vec::with_capacity(out.len());
        for (d, _) in out {
            declarations.push(complete(&mut conn, &call, d, &book).await?);
        }
        Ok(ListDeclarationsResponse {
            declarations,
            next_page_token,
        })
    }

    /// Opens a write for a process step on a declaration the caller may
    /// change; the declaration is returned as stored, with the rules.
    pub(super) async fn begin_step<M: prost::Message>(
        &self,
        call: &Call,
        request: &M,
        request_id: &str,
        name: &str,
    ) -> Result<(Write, Declaration, RuleBook)> {
        let mut w = self.db.begin_write(call, request_id, request).await?;
        let d = Self::for_caller(w.conn(), call, name).await?;
        let book = store::rule_book(w.conn()).await?;
        Ok((w, d, book))
    }

    /// Reloads declaration `id` after a change, audits and commits. The
    /// answer holds the declaration's items for the control role, so a
    /// retry is kept by name only and answered by [`replay`](Self::replay).
    pub(super) async fn finish(
        call: &Call,
        mut w: Write,
        id: &str,
        book: &RuleBook,
    ) -> Result<Declaration> {
        let row = store::load(w.conn(), id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("declarations/{id}")))?;
        let d = complete(w.conn(), call, declaration(&row)?, book).await?;
        w.commit_restricted(&d.name, &d).await?;
        Ok(d)
    }

    /// When the write is a retry (after the scope check): the declaration
    /// its first call changed, read again for this caller through the
    /// authorized path.
    pub(super) async fn replay(call: &Call, w: &mut Write) -> Result<Option<Declaration>> {
        let Some(name) = w.replayed_resource()? else {
            return Ok(None);
        };
        let d = Self::for_caller(w.conn(), call, &name).await?;
        let book = store::rule_book(w.conn()).await?;
        Ok(Some(complete(w.conn(), call, d, &book).await?))
    }

    async fn return_for_correction(
        &self,
        call: Call,
        req: ReturnDeclarationRequest,
    ) -> Result<Declaration> {
        let reason = req.reason.trim().to_string();
        let mut v = Violations::new();
        v.check(
            reason.is_empty() || reason.chars().count() > rules::MAX_TEXT,
            "reason",
            "required, at most 4000 characters",
        );
        let when = step_date(
            &mut v,
            "returned_date",
            req.returned_date.as_ref(),
            call.today(),
        );
        v.into_result()?;
        let when = when.unwrap_or_else(|| call.today());
        let (mut w, d, book) = self.begin_step(&call, &req, "", &req.name).await?;
        check_current_etag(&d.name, &req.etag, &d.etag)?;
        rules::check_returnable(&d)?;
        rules::after(when, &d.received_date, "returned_date", "received date")?;
        let id = declaration_id(&d).to_string();
        store::mark_returned(w.conn(), &id, &dates::to_sql(when), &reason).await?;
        Self::finish(&call, w, &id, &book).await
    }

    async fn resubmit(&self, call: Call, req: ResubmitDeclarationRequest) -> Result<Declaration> {
        let mut v = Violations::new();
        let when = step_date(
            &mut v,
            "resubmitted_date",
            req.resubmitted_date.as_ref(),
            call.today(),
        );
        v.check(
            req.increase_origin.chars().count() > rules::MAX_TEXT,
            "increase_origin",
            "at most 4000 characters",
        );
        let (mut w, d, book) = self.begin_step(&call, &req, "", &req.name).await?;
        let as_of = day(&d.declared_as_of)
            .map(dates::to_sql)
            .unwrap_or_default();
        let total = rules::validate_items(&mut v, "items", &req.items, &as_of, &book)?;
        v.into_result()?;
        check_current_etag(&req.name, &req.etag, &d.etag)?;
        rules::check_resubmittable(&d)?;
        let when = when.unwrap_or_else(|| call.today());
        rules::after(when, &d.returned_date, "resubmitted_date", "returned date")?;
        let id = declaration_id(&d).to_string();
        store::mark_resubmitted(
            w.conn(),
            &id,
            &dates::to_sql(when),
            req.increase_origin.trim(),
            total,
            &req.items,
        )
        .await?;
        Self::finish(&call, w, &id, &book).await
    }

    async fn hand_over(&self, call: Call, req: HandOverDeclarationRequest) -> Result<Declaration> {
        let mut v = Violations::new();
        let when = step_date(
            &mut v,
            "handed_over_date",
            req.handed_over_date.as_ref(),
            call.today(),
        );
        v.into_result()?;
        let when = when.unwrap_or_else(|| call.today());
        let (mut w, d, book) = self.begin_step(&call, &req, "", &req.name).await?;
        rules::check_hand_over(&d)?;
        rules::after(when, final_receipt(&d), "handed_over_date", "final receipt")?;
        let id = declaration_id(&d).to_string();
        store::mark_handed_over(w.conn(), &id, &dates::to_sql(when)).await?;
        Self::finish(&call, w, &id, &book).await
    }

    async fn publish(&self, call: Call, req: PublishDeclarationRequest) -> Result<Declaration> {
        let place = req.place.trim().to_string();
        let mut v = Violations::new();
        v.check(
            place.is_empty() || place.chars().count() > probity_platform::limits::LABEL,
            "place",
            "required, at most 300 characters",
        );
        let when = step_date(
            &mut v,
            "published_date",
            req.published_date.as_ref(),
            call.today(),
        );
        v.into_result()?;
        let when = when.unwrap_or_else(|| call.today());
        let (mut w, d, book) = self.begin_step(&call, &req, "", &req.name).await?;
        rules::check_publishable(&d)?;
        rules::after(when, final_receipt(&d), "published_date", "final receipt")?;
        let id = declaration_id(&d).to_string();
        store::mark_published(w.conn(), &id, &dates::to_sql(when), &place).await?;
        Self::finish(&call, w, &id, &book).await
    }
}

#[tonic::async_trait]
impl DeclarationService for Declarations {
    async fn create_obligation_list(
        &self,
        r: Request<CreateObligationListRequest>,
    ) -> Result<Response<ObligationList>, Status> {
        unary(r, |c, m| self.create_list(c, m)).await
    }
    async fn get_obligation_list(
        &self,
        r: Request<GetObligationListRequest>,
    ) -> Result<Response<ObligationList>, Status> {
        unary(r, |c, m| self.get_list(c, m)).await
    }
    async fn approve_obligation_list(
        &self,
        r: Request<ApproveObligationListRequest>,
    ) -> Result<Response<ObligationList>, Status> {
        unary(r, |c, m| self.approve_list(c, m)).await
    }
    async fn submit_declaration(
        &self,
        r: Request<SubmitDeclarationRequest>,
    ) -> Result<Response<Declaration>, Status> {
        unary(r, |c, m| self.submit(c, m)).await
    }
    async fn get_declaration(
        &self,
        r: Request<GetDeclarationRequest>,
    ) -> Result<Response<Declaration>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
    async fn list_declarations(
        &self,
        r: Request<ListDeclarationsRequest>,
    ) -> Result<Response<ListDeclarationsResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn return_declaration(
        &self,
        r: Request<ReturnDeclarationRequest>,
    ) -> Result<Response<Declaration>, Status> {
        unary(r, |c, m| self.return_for_correction(c, m)).await
    }
    async fn resubmit_declaration(
        &self,
        r: Request<ResubmitDeclarationRequest>,
    ) -> Result<Response<Declaration>, Status> {
        unary(r, |c, m| self.resubmit(c, m)).await
    }
    async fn hand_over_declaration(
        &self,
        r: Request<HandOverDeclarationRequest>,
    ) -> Result<Response<Declaration>, Status> {
        unary(r, |c, m| self.hand_over(c, m)).await
    }
    async fn publish_declaration(
        &self,
        r: Request<PublishDeclarationRequest>,
    ) -> Result<Response<Declaration>, Status> {
        unary(r, |c, m| self.publish(c, m)).await
    }
    async fn get_asset_change(
        &self,
        r: Request<GetAssetChangeRequest>,
    ) -> Result<Response<AssetChange>, Status> {
        unary(r, |c, m| self.change(c, m)).await
    }
    async fn list_asset_change_flags(
        &self,
        r: Request<ListAssetChangeFlagsRequest>,
    ) -> Result<Response<ListAssetChangeFlagsResponse>, Status> {
        unary(r, |c, m| self.flags(c, m)).await
    }
    async fn draw_verification(
        &self,
        r: Request<DrawVerificationRequest>,
    ) -> Result<Response<VerificationDraw>, Status> {
        unary(r, |c, m| self.draw(c, m)).await
    }
    async fn get_verification_draw(
        &self,
        r: Request<GetVerificationDrawRequest>,
    ) -> Result<Response<VerificationDraw>, Status> {
        unary(r, |c, m| self.get_draw(c, m)).await
    }
    async fn record_verification_conclusion(
        &self,
        r: Request<RecordVerificationConclusionRequest>,
    ) -> Result<Response<Declaration>, Status> {
        unary(r, |c, m| self.conclude(c, m)).await
    }
    async fn list_declaration_rules(
        &self,
        r: Request<ListDeclarationRulesRequest>,
    ) -> Result<Response<ListDeclarationRulesResponse>, Status> {
        unary(r, |c, m| self.rules(c, m)).await
    }
}
