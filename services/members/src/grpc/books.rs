//! `probity.members.v1.BookService`: the self-improvement and commitment
//! books.

use std::sync::Arc;

use probity_platform::{
    ApiError, Call, Database, Violations, dates,
    pagination::PageRequest,
    resource::{check_current_etag, etag, new_id},
    unary,
};
use probity_proto::probity::members::v1::{
    ActionItemStatus, AddEntryCommentRequest, Book, BookEntry, BookEntryKind as Kind,
    CommitmentResult, CorrectBookEntryRequest, CreateBookEntryRequest, EntryComment,
    GetBookEntryRequest, GetBookRequest, ListHeadsMissingCommitmentRequest,
    ListHeadsMissingCommitmentResponse, ListPendingCommitmentsRequest,
    ListPendingCommitmentsResponse, ListRegisterRequest, ListRegisterResponse,
    MissingHeadCommitment, RecordCommitmentResultRequest, SetActionItemStatusRequest,
    SubmitBookEntryRequest, UpdateBookEntryRequest, book_service_server::BookService,
};
use sqlx::AnyConnection;
use tonic::{Request, Response, Status};

use super::access::{self, year_subtree};
use crate::{
    error::{Error, Result},
    rules::{
        books::{self as rules, kind_of, parse_entry_name},
        manifestations::Catalogue,
        names::{member_id, member_name, org_name},
        years::validate_year,
    },
    store::{
        books::{self as store, EntryRecord, NewEntry, RegisterKey},
        organizations::OrgRow,
    },
};

/// `BookService` over one database.
#[derive(Debug, Clone)]
pub struct Books {
    db: Database,
    catalogue: Arc<Catalogue>,
}

/// The wire form of an entry.
pub fn entry(record: &EntryRecord) -> Result<BookEntry, ApiError> {
    let row = &record.row;
    let entry_name = |e: &str| format!("{}/bookEntries/{e}", member_name(&row.member_id));
    Ok(BookEntry {
        name: entry_name(&row.id),
        member: member_name(&row.member_id),
        year: row.year as i32,
        kind: row.kind as i32,
        state: row.state as i32,
        text: row.text.clone(),
        cited_documents: row
            .cited_documents
            .split('\n')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        manifestation_codes: record.codes.clone(),
        due_date: row
            .due_date
            .as_deref()
            .map(dates::sql_to_proto)
            .transpose()?,
        action_status: row.action_status as i32,
        period: row.period as i32,
        remedies: row.remedies.clone(),
        corrects: row
            .corrects_id
            .as_deref()
            .map(entry_name)
            .unwrap_or_default(),
        corrected_by: row
            .corrected_by_id
            .as_deref()
            .map(entry_name)
            .unwrap_or_default(),
        organization: org_name(&row.organization_id),
        comments: record
            .comments
            .iter()
            .map(|c| EntryComment {
                author: c.author.clone(),
                agency: c.agency.clone(),
                text: c.text.clone(),
                create_time: Some(dates::timestamp(c.create_micros)),
            })
            .collect(),
        result: record.result.as_ref().map(|r| CommitmentResult {
            outcome: r.outcome as i32,
            comment: r.comment.clone(),
            author: r.author.clone(),
            record_time: Some(dates::timestamp(r.record_micros)),
        }),
        author: row.author.clone(),
        etag: etag(row.revision),
        create_time: Some(dates::timestamp(row.create_micros)),
        submit_time: row.submit_micros.map(dates::timestamp),
    })
}

/// The wire form of several entries.
pub fn entries(records: &[EntryRecord]) -> Result<Vec<BookEntry>, ApiError> {
    records.iter().map(entry).collect()
}

/// A member, checked for the caller, with what entries need of them.
struct Owner {
    member_id: String,
    org: OrgRow,
    head_position: String,
}

async fn owner(
    conn: &mut AnyConnection,
    call: &Call,
    field: &str,
    member: &str,
    write: bool,
) -> Result<Owner> {
    let found = if write {
        access::writable_member(conn, call, field, member).await?
    } else {
        access::visible_member(conn, call, field, member).await?
    };
    Ok(Owner {
        member_id: found.member.id,
        org: found.org,
        head_position: found.member.head_position,
    })
}

/// Entry `entry_id` of member `member_id`, on the wire.
async fn reload(
    conn: &mut AnyConnection,
    member_id: &str,
    entry_id: &str,
    name: &str,
) -> Result<BookEntry> {
    let record = store::load(conn, member_id, entry_id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    Ok(entry(&record)?)
}

/// Loads an entry for a change: checks the name, the caller's write scope
/// on its member, and the etag.
async fn entry_for_change(
    conn: &mut AnyConnection,
    call: &Call,
    name: &str,
    sent_etag: &str,
) -> Result<(BookEntry, Owner)> {
    let (member_id, entry_id) = parse_entry_name("name", name)?;
    let owner = owner(conn, call, "name", &member_name(member_id), true)
        .await
        .map_err(|e| e.not_found_as(name))?;
    let current = reload(conn, member_id, entry_id, name).await?;
    check_current_etag(name, sent_etag, &current.etag)?;
    Ok((current, owner))
}

/// The id of an entry from its name.
fn entry_id(entry: &BookEntry) -> &str {
    entry.name.rsplit('/').next().unwrap_or_default()
}

impl Books {
    /// The service.
    pub fn new(db: Database, catalogue: Arc<Catalogue>) -> Self {
        Self { db, catalogue }
    }

    async fn create(&self, call: Call, req: CreateBookEntryRequest) -> Result<BookEntry> {
        let e = req.entry.clone().unwrap_or_default();
        let mut v = Violations::new();
        let kind = kind_of(&e);
        v.check(kind == Kind::Unspecified, "entry.kind", "required");
        if let Err(ApiError::InvalidArgument(x)) = validate_year("entry.year", e.year, call.today())
        {
            x.into_iter().for_each(|x| v.add(x.field, x.description));
        }
        v.check(e.member.is_empty(), "entry.member", "required");
        let content = rules::validate_content(&mut v, "entry", kind, &e, &self.catalogue);
        v.into_result()?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let owner = owner(w.conn(), &call, "entry.member", &e.member, true).await?;
        if let Some(done) = w.replayed::<BookEntry>()? {
            return Ok(done);
        }
        rules::check_head(kind, &e.member, &owner.head_position)?;
        let id = new_id();
        let new = NewEntry {
            id: &id,
            member_id: &owner.member_id,
            organization_id: &owner.org.id,
            year: e.year,
            kind,
            submit: req.submit,
            corrects: None,
            author: &call.caller.subject,
        };
        store::insert(w.conn(), &new, &content, call.now_micros()).await?;
        let created = reload(w.conn(), &owner.member_id, &id, "entry").await?;
        w.commit(&created.name, &created).await?;
        Ok(created)
    }

    async fn get(&self, call: Call, req: GetBookEntryRequest) -> Result<BookEntry> {
        let (member_id, entry_id) = parse_entry_name("name", &req.name)?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        owner(&mut conn, &call, "name", &member_name(member_id), false)
            .await
            .map_err(|e| e.not_found_as(&req.name))?;
        reload(&mut conn, member_id, entry_id, &req.name).await
    }

    async fn update(&self, call: Call, req: UpdateBookEntryRequest) -> Result<BookEntry> {
        let e = req.entry.clone().unwrap_or_default();
        let paths =
            probity_platform::mask::paths(req.update_mask.as_ref(), &rules::UPDATABLE, |p| {
                rules::is_set(&e, p)
            })?;
        let mut w = self.db.begin_write(&call, "", &req).await?;
        let (current, _) = entry_for_change(w.conn(), &call, &e.name, &e.etag).await?;
        rules::require_draft(&current)?;
        let merged = rules::merge(&current, &e, &paths);
        let mut v = Violations::new();
        let content =
            rules::validate_content(&mut v, "entry", kind_of(&current), &merged, &self.catalogue);
        v.into_result()?;
        let id = entry_id(&current).to_string();
        store::update_content(w.conn(), &id, &content).await?;
        let updated = reload(w.conn(), member_id(&current.member), &id, &e.name).await?;
        w.commit(&updated.name, &updated).await?;
        Ok(updated)
    }

    async fn submit(&self, call: Call, req: SubmitBookEntryRequest) -> Result<BookEntry> {
        let mut w = self.db.begin_write(&call, "", &req).await?;
        let (current, _) = entry_for_change(w.conn(), &call, &req.name, &req.etag).await?;
        rules::check_submittable(&current)?;
        let id = entry_id(&current).to_string();
        store::submit(w.conn(), &id, call.now_micros()).await?;
        let submitted = reload(w.conn(), member_id(&current.member), &id, &req.name).await?;
        w.commit(&submitted.name, &submitted).await?;
        Ok(submitted)
    }

    async fn correct(&self, call: Call, req: CorrectBookEntryRequest) -> Result<BookEntry> {
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let (original, owner) = entry_for_change(w.conn(), &call, &req.name, "").await?;
        if let Some(done) = w.replayed::<BookEntry>()? {
            return Ok(done);
        }
        rules::require_submitted(&original, "correcting it (change the draft instead)")?;
        rules::require_current(&original)?;
        let kind = kind_of(&original);
        let mut v = Violations::new();
        let content = rules::validate_content(
            &mut v,
            "correction",
            kind,
            &req.correction.clone().unwrap_or_default(),
            &self.catalogue,
        );
        v.into_result()?;
        let original_id = entry_id(&original).to_string();
        let id = new_id();
        let new = NewEntry {
            id: &id,
            member_id: &owner.member_id,
            organization_id: &owner.org.id,
            year: original.year,
            kind,
            submit: true,
            corrects: Some(&original_id),
            author: &call.caller.subject,
        };
        store::insert(w.conn(), &new, &content, call.now_micros()).await?;
        store::mark_corrected(w.conn(), &original_id, &id).await?;
        let correction = reload(w.conn(), &owner.member_id, &id, "correction").await?;
        w.commit(&correction.name, &correction).await?;
        Ok(correction)
    }

    async fn comment(&self, call: Call, req: AddEntryCommentRequest) -> Result<BookEntry> {
        let text = rules::validate_comment(&req.text)?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let (current, owner) = entry_for_change(w.conn(), &call, &req.name, "").await?;
        if let Some(done) = w.replayed::<BookEntry>()? {
            return Ok(done);
        }
        rules::require_submitted(&current, "commenting")?;
        let id = entry_id(&current).to_string();
        store::add_comment(
            w.conn(),
            &id,
            &new_id(),
            &call.caller.subject,
            &call.caller.agency,
            &text,
            call.now_micros(),
        )
        .await?;
        let commented = reload(w.conn(), &owner.member_id, &id, &req.name).await?;
        w.commit(&commented.name, &commented).await?;
        Ok(commented)
    }

    async fn set_status(&self, call: Call, req: SetActionItemStatusRequest) -> Result<BookEntry> {
        let status =
            ActionItemStatus::try_from(req.status).unwrap_or(ActionItemStatus::Unspecified);
        if status == ActionItemStatus::Unspecified {
            return Err(ApiError::invalid("status", "required").into());
        }
        let mut w = self.db.begin_write(&call, "", &req).await?;
        let (current, owner) = entry_for_change(w.conn(), &call, &req.name, &req.etag).await?;
        rules::check_trackable(&current)?;
        let id = entry_id(&current).to_string();
        store::set_action_status(w.conn(), &id, status).await?;
        let tracked = reload(w.conn(), &owner.member_id, &id, &req.name).await?;
        w.commit(&tracked.name, &tracked).await?;
        Ok(tracked)
    }

    async fn record_result(
        &self,
        call: Call,
        req: RecordCommitmentResultRequest,
    ) -> Result<BookEntry> {
        let outcome = rules::validate_result(req.outcome, &req.comment)?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let (current, owner) = entry_for_change(w.conn(), &call, &req.name, "").await?;
        if let Some(done) = w.replayed::<BookEntry>()? {
            return Ok(done);
        }
        rules::check_result_recordable(&current)?;
        let id = entry_id(&current).to_string();
        store::record_result(
            w.conn(),
            &id,
            outcome,
            &probity_platform::text::tidy(&req.comment),
            &call.caller.subject,
            call.now_micros(),
        )
        .await?;
        let recorded = reload(w.conn(), &owner.member_id, &id, &req.name).await?;
        w.commit(&recorded.name, &recorded).await?;
        Ok(recorded)
    }

    async fn book(&self, call: Call, req: GetBookRequest) -> Result<Book> {
        validate_year("year", req.year, call.today())?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let owner = owner(&mut conn, &call, "member", &req.member, false).await?;
        let records = store::book(&mut conn, &owner.member_id, req.year, false).await?;
        Ok(Book {
            member: req.member,
            year: req.year,
            entries: entries(&records)?,
        })
    }

    /// Current submitted commitments of a year in a subtree, optionally only
    /// those without a result; one page.
    async fn commitments(
        &self,
        call: &Call,
        org: &str,
        year: i32,
        pending: bool,
        page_size: i32,
        token: &str,
    ) -> Result<(Vec<BookEntry>, String)> {
        validate_year("year", year, call.today())?;
        let page = PageRequest::parse(call, page_size, token, &format!("{org};{year};{pending}"))?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let Some((date, root)) = year_subtree(&mut conn, call, "organization", org, year).await?
        else {
            return Ok((Vec::new(), String::new()));
        };
        let after = RegisterKey::parse(page.after.as_deref().unwrap_or_default());
        let mut keyed = store::commitments(
            &mut conn,
            &date,
            &root.path,
            year,
            pending,
            &after,
            page.limit(),
        )
        .await?;
        let token = page.finish(&mut keyed, |(_, k)| k.text());
        let records: Vec<EntryRecord> = keyed.into_iter().map(|(e, _)| e).collect();
        Ok((entries(&records)?, token))
    }

    async fn heads_missing(
        &self,
        call: Call,
        req: ListHeadsMissingCommitmentRequest,
    ) -> Result<ListHeadsMissingCommitmentResponse> {
        validate_year("year", req.year, call.today())?;
        let page = PageRequest::parse(
            &call,
            req.page_size,
            &req.page_token,
            &format!("{};{}", req.organization, req.year),
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
            return Ok(ListHeadsMissingCommitmentResponse::default());
        };
        let rows = store::heads_missing(
            &mut conn,
            &date,
            &root.path,
            req.year,
            page.after.as_deref().unwrap_or_default(),
            page.limit(),
        )
        .await?;
        let mut heads: Vec<MissingHeadCommitment> = rows
            .into_iter()
            .map(|h| MissingHeadCommitment {
                member: member_name(&h.id),
                full_name: h.full_name,
                head_position: h.head_position,
                organization: org_name(&h.organization_id),
                missing_commitment: h.has_commitment == 0,
                missing_action_plan: h.has_plan == 0,
            })
            .collect();
        let next_page_token = page.finish(&mut heads, |h| member_id(&h.member).to_string());
        Ok(ListHeadsMissingCommitmentResponse {
            heads,
            next_page_token,
        })
    }
}

#[tonic::async_trait]
impl BookService for Books {
    async fn create_book_entry(
        &self,
        r: Request<CreateBookEntryRequest>,
    ) -> Result<Response<BookEntry>, Status> {
        unary(r, |c, m| self.create(c, m)).await
    }
    async fn get_book_entry(
        &self,
        r: Request<GetBookEntryRequest>,
    ) -> Result<Response<BookEntry>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
    async fn update_book_entry(
        &self,
        r: Request<UpdateBookEntryRequest>,
    ) -> Result<Response<BookEntry>, Status> {
        unary(r, |c, m| self.update(c, m)).await
    }
    async fn submit_book_entry(
        &self,
        r: Request<SubmitBookEntryRequest>,
    ) -> Result<Response<BookEntry>, Status> {
        unary(r, |c, m| self.submit(c, m)).await
    }
    async fn correct_book_entry(
        &self,
        r: Request<CorrectBookEntryRequest>,
    ) -> Result<Response<BookEntry>, Status> {
        unary(r, |c, m| self.correct(c, m)).await
    }
    async fn add_entry_comment(
        &self,
        r: Request<AddEntryCommentRequest>,
    ) -> Result<Response<BookEntry>, Status> {
        unary(r, |c, m| self.comment(c, m)).await
    }
    async fn set_action_item_status(
        &self,
        r: Request<SetActionItemStatusRequest>,
    ) -> Result<Response<BookEntry>, Status> {
        unary(r, |c, m| self.set_status(c, m)).await
    }
    async fn record_commitment_result(
        &self,
        r: Request<RecordCommitmentResultRequest>,
    ) -> Result<Response<BookEntry>, Status> {
        unary(r, |c, m| self.record_result(c, m)).await
    }
    async fn get_book(&self, r: Request<GetBookRequest>) -> Result<Response<Book>, Status> {
        unary(r, |c, m| self.book(c, m)).await
    }
    async fn list_register(
        &self,
        r: Request<ListRegisterRequest>,
    ) -> Result<Response<ListRegisterResponse>, Status> {
        unary(r, |c, m| async move {
            let (entries, next_page_token) = self
                .commitments(
                    &c,
                    &m.organization,
                    m.year,
                    false,
                    m.page_size,
                    &m.page_token,
                )
                .await?;
            Ok::<_, Error>(ListRegisterResponse {
                entries,
                next_page_token,
            })
        })
        .await
    }
    async fn list_pending_commitments(
        &self,
        r: Request<ListPendingCommitmentsRequest>,
    ) -> Result<Response<ListPendingCommitmentsResponse>, Status> {
        unary(r, |c, m| async move {
            let (entries, next_page_token) = self
                .commitments(
                    &c,
                    &m.organization,
                    m.year,
                    true,
                    m.page_size,
                    &m.page_token,
                )
                .await?;
            Ok::<_, Error>(ListPendingCommitmentsResponse {
                entries,
                next_page_token,
            })
        })
        .await
    }
    async fn list_heads_missing_commitment(
        &self,
        r: Request<ListHeadsMissingCommitmentRequest>,
    ) -> Result<Response<ListHeadsMissingCommitmentResponse>, Status> {
        unary(r, |c, m| self.heads_missing(c, m)).await
    }
}
