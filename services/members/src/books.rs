//! `probity.members.v1.BookService`: the self-improvement and commitment
//! books.

use std::{collections::HashMap, sync::Arc};

use probity_platform::{
    ApiError, Call, Database, Violations,
    bulk::placeholders,
    dates,
    pagination::PageRequest,
    resource::{check_current_etag, etag, new_id},
    symbol, unary,
};
use probity_proto::probity::members::v1::{
    ActionItemStatus, AddEntryCommentRequest, AssessmentPeriod, Book, BookEntry,
    BookEntryKind as Kind, BookEntryState as State, CommitmentOutcome, CommitmentResult,
    CorrectBookEntryRequest, CreateBookEntryRequest, EntryComment, GetBookEntryRequest,
    GetBookRequest, ListHeadsMissingCommitmentRequest, ListHeadsMissingCommitmentResponse,
    ListPendingCommitmentsRequest, ListPendingCommitmentsResponse, ListRegisterRequest,
    ListRegisterResponse, MissingHeadCommitment, RecordCommitmentResultRequest,
    SetActionItemStatusRequest, SubmitBookEntryRequest, UpdateBookEntryRequest,
    book_service_server::BookService,
};
use sqlx::{AnyConnection, Row, any::AnyRow};
use tonic::{Request, Response, Status};

use crate::{
    error::{Error, Result},
    manifestations::Catalogue,
    members::{member_name, visible_member, writable_member},
    organizations::subtree_on,
    roster::active_list,
    tree::{self, OrgRow, in_force, org_name},
};

/// First year of the books (in use since 08/2017).
pub const FIRST_YEAR: i32 = 2017;
const MAX_TEXT: usize = 4000;

/// SQL condition: entry `a` is submitted and not superseded by a correction.
pub fn current_submitted(a: &str) -> String {
    format!(
        "{a}.state = {} AND {a}.corrected_by_id IS NULL",
        State::Submitted as i32
    )
}

/// The date a year's registers read the tree at: the last day of the year,
/// or today while the year is not over.
pub fn reference_date(year: i32) -> String {
    let end = format!("{year:04}-12-31");
    let today = dates::to_sql(dates::today());
    if end < today { end } else { today }
}

/// A book year: from 2017 to next year.
pub fn validate_year(field: &str, year: i32) -> Result<(), ApiError> {
    let last = dates::today().year() + 1;
    if (FIRST_YEAR..=last).contains(&year) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            format!("must be {FIRST_YEAR} to {last} (the books are kept since 08/2017)"),
        ))
    }
}

fn is_commitment(kind: Kind) -> bool {
    matches!(kind, Kind::Commitment | Kind::HeadCommitment)
}

fn is_action_item(kind: Kind) -> bool {
    matches!(kind, Kind::ActionItem | Kind::HeadActionItem)
}

/// `(member id, entry id)` from `members/{m}/bookEntries/{e}`.
fn parse_entry_name<'a>(field: &str, name: &'a str) -> Result<(&'a str, &'a str), ApiError> {
    let parts: Vec<&str> = name.split('/').collect();
    match parts.as_slice() {
        ["members", m, "bookEntries", e]
            if probity_platform::resource::is_id(m) && probity_platform::resource::is_id(e) =>
        {
            Ok((m, e))
        }
        _ if name.is_empty() => Err(ApiError::invalid(field, "required")),
        _ => Err(ApiError::invalid(
            field,
            "must be members/{member}/bookEntries/{entry}",
        )),
    }
}

pub(crate) const ENTRY_COLUMNS: &str = "e.id, e.member_id, e.year, e.kind, e.state, e.text, e.cited_documents, e.due_date, \
    e.action_status, e.period, e.remedies, e.corrects_id, e.corrected_by_id, e.organization_id, e.author, \
    e.revision, e.create_micros, e.submit_micros";

fn entry_from_row(row: &AnyRow) -> Result<BookEntry> {
    let id: String = row.try_get("id")?;
    let member_id: String = row.try_get("member_id")?;
    let docs: String = row.try_get("cited_documents")?;
    let due: Option<String> = row.try_get("due_date")?;
    let corrects: Option<String> = row.try_get("corrects_id")?;
    let corrected_by: Option<String> = row.try_get("corrected_by_id")?;
    let submit: Option<i64> = row.try_get("submit_micros")?;
    let org: String = row.try_get("organization_id")?;
    let entry_name = |e: &str| format!("{}/bookEntries/{e}", member_name(&member_id));
    Ok(BookEntry {
        name: entry_name(&id),
        member: member_name(&member_id),
        year: row.try_get::<i64, _>("year")? as i32,
        kind: row.try_get::<i64, _>("kind")? as i32,
        state: row.try_get::<i64, _>("state")? as i32,
        text: row.try_get("text")?,
        cited_documents: docs
            .split('\n')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        manifestation_codes: Vec::new(),
        due_date: due.as_deref().map(dates::sql_to_proto).transpose()?,
        action_status: row.try_get::<i64, _>("action_status")? as i32,
        period: row.try_get::<i64, _>("period")? as i32,
        remedies: row.try_get("remedies")?,
        corrects: corrects.as_deref().map(entry_name).unwrap_or_default(),
        corrected_by: corrected_by.as_deref().map(entry_name).unwrap_or_default(),
        organization: org_name(&org),
        comments: Vec::new(),
        result: None,
        author: row.try_get("author")?,
        etag: etag(row.try_get("revision")?),
        create_time: Some(dates::timestamp(row.try_get("create_micros")?)),
        submit_time: submit.map(dates::timestamp),
    })
}

/// Loads entries by a query, then their codes, comments and results in
/// three more queries (not one per entry).
pub(crate) async fn load_entries(
    conn: &mut AnyConnection,
    rows: &[AnyRow],
) -> Result<Vec<BookEntry>> {
    let mut entries = rows
        .iter()
        .map(entry_from_row)
        .collect::<Result<Vec<_>>>()?;
    if entries.is_empty() {
        return Ok(entries);
    }
    let ids: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String, _>("id"))
        .collect::<Result<_, _>>()?;
    let index: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let list = placeholders(1, ids.len());
    let bind_all = |sql: String| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in &ids {
            q = q.bind(id.clone());
        }
        q
    };
    for row in bind_all(format!(
        "SELECT entry_id, code FROM book_entry_manifestations WHERE entry_id IN ({list}) ORDER BY code"
    ))
    .fetch_all(&mut *conn)
    .await?
    {
        let id: String = row.try_get("entry_id")?;
        entries[index[id.as_str()]].manifestation_codes.push(row.try_get("code")?);
    }
    for row in bind_all(format!(
        "SELECT entry_id, author, agency, text, create_micros FROM book_entry_comments \
         WHERE entry_id IN ({list}) ORDER BY create_micros, id"
    ))
    .fetch_all(&mut *conn)
    .await?
    {
        let id: String = row.try_get("entry_id")?;
        entries[index[id.as_str()]].comments.push(EntryComment {
            author: row.try_get("author")?,
            agency: row.try_get("agency")?,
            text: row.try_get("text")?,
            create_time: Some(dates::timestamp(row.try_get("create_micros")?)),
        });
    }
    for row in bind_all(format!(
        "SELECT entry_id, outcome, comment, author, record_micros FROM commitment_results WHERE entry_id IN ({list})"
    ))
    .fetch_all(&mut *conn)
    .await?
    {
        let id: String = row.try_get("entry_id")?;
        entries[index[id.as_str()]].result = Some(CommitmentResult {
            outcome: row.try_get::<i64, _>("outcome")? as i32,
            comment: row.try_get("comment")?,
            author: row.try_get("author")?,
            record_time: Some(dates::timestamp(row.try_get("record_micros")?)),
        });
    }
    Ok(entries)
}

async fn load_entry(
    conn: &mut AnyConnection,
    member_id: &str,
    entry_id: &str,
) -> Result<Option<BookEntry>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM book_entries e WHERE e.id = $1 AND e.member_id = $2"
    )))
    .bind(entry_id)
    .bind(member_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(load_entries(conn, &rows).await?.pop())
}

/// The content fields of an entry, validated for its kind.
struct Content {
    text: String,
    documents: Vec<String>,
    codes: Vec<String>,
    due_date: Option<String>,
    period: AssessmentPeriod,
    remedies: String,
}

fn validate_content(
    v: &mut Violations,
    prefix: &str,
    kind: Kind,
    e: &BookEntry,
    catalogue: &Catalogue,
) -> Content {
    let f = |name: &str| format!("{prefix}.{name}");
    let text = probity_platform::text::tidy(&e.text);
    if text.is_empty() {
        v.add(f("text"), "required");
    } else if text.chars().count() > MAX_TEXT {
        v.add(f("text"), format!("at most {MAX_TEXT} characters"));
    }
    let mut documents = Vec::new();
    for (i, d) in e.cited_documents.iter().enumerate() {
        match symbol::parse(d) {
            Ok(s) if !documents.contains(&s.canonical) => documents.push(s.canonical),
            Ok(_) => v.add(format!("{}[{i}]", f("cited_documents")), "listed twice"),
            Err(msg) => v.add(format!("{}[{i}]", f("cited_documents")), msg),
        }
    }
    if !documents.is_empty() && !is_commitment(kind) {
        v.add(f("cited_documents"), "only commitments cite documents");
    }
    let mut codes = Vec::new();
    for (i, c) in e.manifestation_codes.iter().enumerate() {
        let c = c.trim().to_uppercase();
        if !catalogue.contains(&c) {
            v.add(
                format!("{}[{i}]", f("manifestation_codes")),
                format!("{c:?} is not one of the 27 manifestations"),
            );
        } else if codes.contains(&c) {
            v.add(format!("{}[{i}]", f("manifestation_codes")), "listed twice");
        } else {
            codes.push(c);
        }
    }
    let cites_codes = is_commitment(kind) || kind == Kind::SelfAssessment;
    if !codes.is_empty() && !cites_codes {
        v.add(
            f("manifestation_codes"),
            "only commitments and self-assessments cite manifestations",
        );
    }
    let due_date = match dates::from_proto(&f("due_date"), e.due_date.as_ref()) {
        Ok(d) => d.map(dates::to_sql),
        Err(x) => {
            v.add(x.field, x.description);
            None
        }
    };
    if is_action_item(kind) {
        v.check(
            due_date.is_none() && e.due_date.is_none(),
            &f("due_date"),
            "required for action-plan items",
        );
    } else if due_date.is_some() {
        v.add(f("due_date"), "only action-plan items have a due date");
    }
    let period = AssessmentPeriod::try_from(e.period).unwrap_or(AssessmentPeriod::Unspecified);
    if kind == Kind::SelfAssessment {
        v.check(
            period == AssessmentPeriod::Unspecified,
            &f("period"),
            "required for self-assessments",
        );
    } else if period != AssessmentPeriod::Unspecified {
        v.add(f("period"), "only self-assessments cover a period");
    }
    let remedies = probity_platform::text::tidy(&e.remedies);
    if !remedies.is_empty() && kind != Kind::SelfAssessment {
        v.add(f("remedies"), "only self-assessments set remedies");
    }
    v.check(
        remedies.chars().count() > MAX_TEXT,
        &f("remedies"),
        "at most 4000 characters",
    );
    Content {
        text,
        documents,
        codes,
        due_date,
        period,
        remedies,
    }
}

/// `BookService` over one database.
#[derive(Debug, Clone)]
pub struct Books {
    db: Database,
    catalogue: Arc<Catalogue>,
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
    let (m, _, org) = if write {
        writable_member(conn, call, field, member).await?
    } else {
        visible_member(conn, call, field, member).await?
    };
    Ok(Owner {
        member_id: m.name.trim_start_matches("members/").to_string(),
        org,
        head_position: m.head_position,
    })
}

async fn write_content(conn: &mut AnyConnection, entry_id: &str, c: &Content) -> Result<()> {
    sqlx::query("DELETE FROM book_entry_manifestations WHERE entry_id = $1")
        .bind(entry_id)
        .execute(&mut *conn)
        .await?;
    for code in &c.codes {
        sqlx::query("INSERT INTO book_entry_manifestations (entry_id, code) VALUES ($1, $2)")
            .bind(entry_id)
            .bind(code)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
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
    let entry = load_entry(conn, member_id, entry_id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    check_current_etag(name, sent_etag, &entry.etag)?;
    Ok((entry, owner))
}

fn require_submitted(entry: &BookEntry, doing: &str) -> Result<()> {
    if entry.state != State::Submitted as i32 {
        return Err(ApiError::precondition(
            "ENTRY_NOT_SUBMITTED",
            format!("{} is a draft; submit it before {doing}", entry.name),
        )
        .into());
    }
    Ok(())
}

fn require_current(entry: &BookEntry) -> Result<()> {
    if !entry.corrected_by.is_empty() {
        return Err(ApiError::precondition(
            "ENTRY_SUPERSEDED",
            format!(
                "{} was corrected by {}; act on the correction",
                entry.name, entry.corrected_by
            ),
        )
        .into());
    }
    Ok(())
}

async fn bump(conn: &mut AnyConnection, entry_id: &str) -> Result<()> {
    sqlx::query("UPDATE book_entries SET revision = revision + 1 WHERE id = $1")
        .bind(entry_id)
        .execute(conn)
        .await?;
    Ok(())
}

fn entry_id(entry: &BookEntry) -> &str {
    entry.name.rsplit('/').next().unwrap_or_default()
}

impl Books {
    /// The service.
    pub fn new(db: Database, catalogue: Arc<Catalogue>) -> Self {
        Self { db, catalogue }
    }

    /// Inserts a new entry; shared by create and correct.
    #[allow(clippy::too_many_arguments)]
    async fn insert(
        conn: &mut AnyConnection,
        call: &Call,
        owner: &Owner,
        year: i32,
        kind: Kind,
        content: &Content,
        submit: bool,
        corrects: Option<&str>,
    ) -> Result<String> {
        let id = new_id();
        let now = dates::now_micros();
        let action = if is_action_item(kind) {
            ActionItemStatus::Planned
        } else {
            ActionItemStatus::Unspecified
        };
        let state = if submit {
            State::Submitted
        } else {
            State::Draft
        };
        sqlx::query(
            "INSERT INTO book_entries (id, member_id, year, kind, state, text, cited_documents, due_date, action_status, \
             period, remedies, corrects_id, corrected_by_id, organization_id, author, revision, create_micros, submit_micros) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, $13, $14, 1, $15, $16)",
        )
        .bind(&id)
        .bind(&owner.member_id)
        .bind(i64::from(year))
        .bind(kind as i64)
        .bind(state as i64)
        .bind(&content.text)
        .bind(content.documents.join("\n"))
        .bind(content.due_date.clone())
        .bind(action as i64)
        .bind(content.period as i64)
        .bind(&content.remedies)
        .bind(corrects)
        .bind(&owner.org.id)
        .bind(&call.caller.subject)
        .bind(now)
        .bind(submit.then_some(now))
        .execute(&mut *conn)
        .await?;
        write_content(conn, &id, content).await?;
        Ok(id)
    }

    async fn create(&self, call: Call, req: CreateBookEntryRequest) -> Result<BookEntry> {
        let e = req.entry.clone().unwrap_or_default();
        let mut v = Violations::new();
        let kind = Kind::try_from(e.kind).unwrap_or(Kind::Unspecified);
        v.check(kind == Kind::Unspecified, "entry.kind", "required");
        if let Err(ApiError::InvalidArgument(x)) = validate_year("entry.year", e.year) {
            x.into_iter().for_each(|x| v.add(x.field, x.description));
        }
        v.check(e.member.is_empty(), "entry.member", "required");
        let content = validate_content(&mut v, "entry", kind, &e, &self.catalogue);
        v.into_result()?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<BookEntry>()? {
            return Ok(done);
        }
        let owner = owner(w.conn(), &call, "entry.member", &e.member, true).await?;
        if matches!(kind, Kind::HeadCommitment | Kind::HeadActionItem)
            && owner.head_position.is_empty()
        {
            return Err(ApiError::precondition(
                "NOT_A_HEAD",
                format!(
                    "{} is not marked as head of an organisation; set head_position first",
                    e.member
                ),
            )
            .into());
        }
        let id = Self::insert(
            w.conn(),
            &call,
            &owner,
            e.year,
            kind,
            &content,
            req.submit,
            None,
        )
        .await?;
        let created = load_entry(w.conn(), &owner.member_id, &id)
            .await?
            .ok_or_else(|| ApiError::Internal("entry vanished".into()))?;
        w.commit(&created.name, &created).await?;
        Ok(created)
    }

    async fn get(&self, call: Call, req: GetBookEntryRequest) -> Result<BookEntry> {
        let (member_id, entry_id) = parse_entry_name("name", &req.name)?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        owner(&mut conn, &call, "name", &member_name(member_id), false)
            .await
            .map_err(|e| e.not_found_as(&req.name))?;
        Ok(load_entry(&mut conn, member_id, entry_id)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?)
    }

    async fn update(&self, call: Call, req: UpdateBookEntryRequest) -> Result<BookEntry> {
        let e = req.entry.clone().unwrap_or_default();
        let allowed = [
            "text",
            "cited_documents",
            "manifestation_codes",
            "due_date",
            "period",
            "remedies",
        ];
        let paths =
            probity_platform::mask::paths(req.update_mask.as_ref(), &allowed, |p| match p {
                "text" => !e.text.is_empty(),
                "cited_documents" => !e.cited_documents.is_empty(),
                "manifestation_codes" => !e.manifestation_codes.is_empty(),
                "due_date" => e.due_date.is_some(),
                "period" => e.period != 0,
                "remedies" => !e.remedies.is_empty(),
                _ => false,
            })?;
        let mut w = self.db.begin_write(&call, "", &req).await?;
        let (current, _owner) = entry_for_change(w.conn(), &call, &e.name, &e.etag).await?;
        if current.state != State::Draft as i32 {
            return Err(ApiError::precondition(
                "ENTRY_SUBMITTED",
                format!("{} is submitted and cannot be changed; record a correction with CorrectBookEntry", e.name),
            )
            .into());
        }
        let mut merged = current.clone();
        for p in &paths {
            match *p {
                "text" => merged.text = e.text.clone(),
                "cited_documents" => merged.cited_documents = e.cited_documents.clone(),
                "manifestation_codes" => merged.manifestation_codes = e.manifestation_codes.clone(),
                "due_date" => merged.due_date = e.due_date,
                "period" => merged.period = e.period,
                _ => merged.remedies = e.remedies.clone(),
            }
        }
        let kind = Kind::try_from(current.kind).unwrap_or(Kind::Unspecified);
        let mut v = Violations::new();
        let content = validate_content(&mut v, "entry", kind, &merged, &self.catalogue);
        v.into_result()?;
        let id = entry_id(&current).to_string();
        sqlx::query(
            "UPDATE book_entries SET text = $1, cited_documents = $2, due_date = $3, period = $4, remedies = $5, \
             revision = revision + 1 WHERE id = $6",
        )
        .bind(&content.text)
        .bind(content.documents.join("\n"))
        .bind(content.due_date.clone())
        .bind(content.period as i64)
        .bind(&content.remedies)
        .bind(&id)
        .execute(w.conn())
        .await?;
        write_content(w.conn(), &id, &content).await?;
        let member_id = current.member.trim_start_matches("members/");
        let updated = load_entry(w.conn(), member_id, &id)
            .await?
            .ok_or_else(|| ApiError::not_found(&e.name))?;
        w.commit(&updated.name, &updated).await?;
        Ok(updated)
    }

    async fn submit(&self, call: Call, req: SubmitBookEntryRequest) -> Result<BookEntry> {
        let mut w = self.db.begin_write(&call, "", &req).await?;
        let (current, _) = entry_for_change(w.conn(), &call, &req.name, &req.etag).await?;
        if current.state == State::Submitted as i32 {
            return Err(ApiError::precondition(
                "ENTRY_SUBMITTED",
                format!("{} is already submitted", req.name),
            )
            .into());
        }
        let id = entry_id(&current).to_string();
        sqlx::query("UPDATE book_entries SET state = $1, submit_micros = $2, revision = revision + 1 WHERE id = $3")
            .bind(State::Submitted as i64)
            .bind(dates::now_micros())
            .bind(&id)
            .execute(w.conn())
            .await?;
        let submitted = load_entry(w.conn(), current.member.trim_start_matches("members/"), &id)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?;
        w.commit(&submitted.name, &submitted).await?;
        Ok(submitted)
    }

    async fn correct(&self, call: Call, req: CorrectBookEntryRequest) -> Result<BookEntry> {
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<BookEntry>()? {
            return Ok(done);
        }
        let (original, owner) = entry_for_change(w.conn(), &call, &req.name, "").await?;
        require_submitted(&original, "correcting it (change the draft instead)")?;
        require_current(&original)?;
        let kind = Kind::try_from(original.kind).unwrap_or(Kind::Unspecified);
        let mut v = Violations::new();
        let content = validate_content(
            &mut v,
            "correction",
            kind,
            &req.correction.clone().unwrap_or_default(),
            &self.catalogue,
        );
        v.into_result()?;
        let original_id = entry_id(&original).to_string();
        let id = Self::insert(
            w.conn(),
            &call,
            &owner,
            original.year,
            kind,
            &content,
            true,
            Some(&original_id),
        )
        .await?;
        sqlx::query(
            "UPDATE book_entries SET corrected_by_id = $1, revision = revision + 1 WHERE id = $2",
        )
        .bind(&id)
        .bind(&original_id)
        .execute(w.conn())
        .await?;
        let correction = load_entry(w.conn(), &owner.member_id, &id)
            .await?
            .ok_or_else(|| ApiError::Internal("entry vanished".into()))?;
        w.commit(&correction.name, &correction).await?;
        Ok(correction)
    }

    async fn comment(&self, call: Call, req: AddEntryCommentRequest) -> Result<BookEntry> {
        let text = probity_platform::text::tidy(&req.text);
        if text.is_empty() || text.chars().count() > MAX_TEXT {
            return Err(ApiError::invalid("text", "required, at most 4000 characters").into());
        }
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<BookEntry>()? {
            return Ok(done);
        }
        let (entry, owner) = entry_for_change(w.conn(), &call, &req.name, "").await?;
        require_submitted(&entry, "commenting")?;
        let id = entry_id(&entry).to_string();
        sqlx::query(
            "INSERT INTO book_entry_comments (id, entry_id, author, agency, text, create_micros) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id())
        .bind(&id)
        .bind(&call.caller.subject)
        .bind(&call.caller.agency)
        .bind(&text)
        .bind(dates::now_micros())
        .execute(w.conn())
        .await?;
        bump(w.conn(), &id).await?;
        let entry = load_entry(w.conn(), &owner.member_id, &id)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?;
        w.commit(&entry.name, &entry).await?;
        Ok(entry)
    }

    async fn set_status(&self, call: Call, req: SetActionItemStatusRequest) -> Result<BookEntry> {
        let status =
            ActionItemStatus::try_from(req.status).unwrap_or(ActionItemStatus::Unspecified);
        if status == ActionItemStatus::Unspecified {
            return Err(ApiError::invalid("status", "required").into());
        }
        let mut w = self.db.begin_write(&call, "", &req).await?;
        let (entry, owner) = entry_for_change(w.conn(), &call, &req.name, &req.etag).await?;
        if !is_action_item(Kind::try_from(entry.kind).unwrap_or(Kind::Unspecified)) {
            return Err(ApiError::precondition(
                "NOT_AN_ACTION_ITEM",
                format!("{} is not an action-plan item", req.name),
            )
            .into());
        }
        require_submitted(&entry, "tracking it")?;
        require_current(&entry)?;
        let id = entry_id(&entry).to_string();
        sqlx::query(
            "UPDATE book_entries SET action_status = $1, revision = revision + 1 WHERE id = $2",
        )
        .bind(status as i64)
        .bind(&id)
        .execute(w.conn())
        .await?;
        let entry = load_entry(w.conn(), &owner.member_id, &id)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?;
        w.commit(&entry.name, &entry).await?;
        Ok(entry)
    }

    async fn record_result(
        &self,
        call: Call,
        req: RecordCommitmentResultRequest,
    ) -> Result<BookEntry> {
        let outcome =
            CommitmentOutcome::try_from(req.outcome).unwrap_or(CommitmentOutcome::Unspecified);
        let mut v = Violations::new();
        v.check(
            outcome == CommitmentOutcome::Unspecified,
            "outcome",
            "required",
        );
        v.check(
            req.comment.chars().count() > MAX_TEXT,
            "comment",
            "at most 4000 characters",
        );
        v.into_result()?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<BookEntry>()? {
            return Ok(done);
        }
        let (entry, owner) = entry_for_change(w.conn(), &call, &req.name, "").await?;
        if !is_commitment(Kind::try_from(entry.kind).unwrap_or(Kind::Unspecified)) {
            return Err(ApiError::precondition(
                "NOT_A_COMMITMENT",
                format!("{} is not a commitment", req.name),
            )
            .into());
        }
        require_submitted(&entry, "recording its result")?;
        require_current(&entry)?;
        if entry.result.is_some() {
            return Err(ApiError::precondition(
                "RESULT_ALREADY_RECORDED",
                format!("{} already has its year-end result", req.name),
            )
            .into());
        }
        let id = entry_id(&entry).to_string();
        sqlx::query(
            "INSERT INTO commitment_results (entry_id, outcome, comment, author, record_micros) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(outcome as i64)
        .bind(probity_platform::text::tidy(&req.comment))
        .bind(&call.caller.subject)
        .bind(dates::now_micros())
        .execute(w.conn())
        .await?;
        bump(w.conn(), &id).await?;
        let entry = load_entry(w.conn(), &owner.member_id, &id)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?;
        w.commit(&entry.name, &entry).await?;
        Ok(entry)
    }

    async fn book(&self, call: Call, req: GetBookRequest) -> Result<Book> {
        validate_year("year", req.year)?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let owner = owner(&mut conn, &call, "member", &req.member, false).await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS} FROM book_entries e WHERE e.member_id = $1 AND e.year = $2 ORDER BY e.id"
        )))
        .bind(&owner.member_id)
        .bind(i64::from(req.year))
        .fetch_all(&mut *conn)
        .await?;
        Ok(Book {
            member: req.member,
            year: req.year,
            entries: load_entries(&mut conn, &rows).await?,
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
        validate_year("year", year)?;
        let page = PageRequest::parse(page_size, token, &format!("{org};{year};{pending}"))?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let date = reference_date(year);
        let Some(root) = subtree_on(&mut conn, call, "organization", org, &date).await? else {
            return Ok((Vec::new(), String::new()));
        };
        let pending_clause = if pending {
            "AND NOT EXISTS (SELECT 1 FROM commitment_results r WHERE r.entry_id = e.id)"
        } else {
            ""
        };
        // Register order: organisations in tree order, then kind, then id.
        // The keyset is (path, kind, id), so a page walks the path index
        // and stops, whatever the subtree's size.
        let after = page.after.clone().unwrap_or_default();
        let mut key = after.splitn(3, '\n');
        let (after_path, after_kind, after_id) = (
            key.next().unwrap_or_default().to_string(),
            key.next().and_then(|k| k.parse::<i64>().ok()).unwrap_or(-1),
            key.next().unwrap_or_default().to_string(),
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS}, p.path AS sort_path FROM book_entries e \
             JOIN organization_placements p ON p.org_id = e.organization_id AND {} \
             WHERE p.path >= $2 AND p.path < $3 AND e.year = $4 AND e.kind IN ({}, {}) AND {} {pending_clause} \
             AND p.path >= $5 AND (p.path > $5 OR e.kind > $6 OR (e.kind = $6 AND e.id > $7)) \
             ORDER BY p.path, e.kind, e.id LIMIT $8",
            in_force("p", 1),
            Kind::Commitment as i32,
            Kind::HeadCommitment as i32,
            current_submitted("e"),
        )))
        .bind(&date)
        .bind(&root.path)
        .bind(tree::upper(&root.path))
        .bind(i64::from(year))
        .bind(&after_path)
        .bind(after_kind)
        .bind(&after_id)
        .bind(page.limit())
        .fetch_all(&mut *conn)
        .await?;
        let keys = rows
            .iter()
            .map(|r| {
                Ok(format!(
                    "{}\n{}\n{}",
                    r.try_get::<String, _>("sort_path")?,
                    r.try_get::<i64, _>("kind")?,
                    r.try_get::<String, _>("id")?
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let entries = load_entries(&mut conn, &rows).await?;
        let mut keyed: Vec<(BookEntry, String)> = entries.into_iter().zip(keys).collect();
        let token = page.finish(&mut keyed, |(_, k)| k.clone());
        let entries = keyed.into_iter().map(|(e, _)| e).collect();
        Ok((entries, token))
    }

    async fn heads_missing(
        &self,
        call: Call,
        req: ListHeadsMissingCommitmentRequest,
    ) -> Result<ListHeadsMissingCommitmentResponse> {
        validate_year("year", req.year)?;
        let page = PageRequest::parse(
            req.page_size,
            &req.page_token,
            &format!("{};{}", req.organization, req.year),
        )?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let date = reference_date(req.year);
        let Some(root) =
            subtree_on(&mut conn, &call, "organization", &req.organization, &date).await?
        else {
            return Ok(ListHeadsMissingCommitmentResponse::default());
        };
        let has = |kind: Kind| {
            format!(
                "EXISTS (SELECT 1 FROM book_entries e WHERE e.member_id = m.id AND e.year = $4 AND e.kind = {} AND {})",
                kind as i32,
                current_submitted("e")
            )
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT m.id, m.full_name, m.head_position, mp.organization_id, {} AS has_commitment, {} AS has_plan \
             FROM members m \
             JOIN member_periods mp ON mp.member_id = m.id AND {} AND mp.status IN ({}) \
             JOIN organization_placements p ON p.org_id = mp.organization_id AND {} \
             WHERE m.head_position <> '' AND p.path >= $2 AND p.path < $3 AND m.id > $5 \
             AND NOT ({} AND {}) ORDER BY m.id LIMIT $6",
            has(Kind::HeadCommitment),
            has(Kind::HeadActionItem),
            in_force("mp", 1),
            active_list(),
            in_force("p", 1),
            has(Kind::HeadCommitment),
            has(Kind::HeadActionItem),
        )))
        .bind(&date)
        .bind(&root.path)
        .bind(tree::upper(&root.path))
        .bind(i64::from(req.year))
        .bind(page.after.clone().unwrap_or_default())
        .bind(page.limit())
        .fetch_all(&mut *conn)
        .await?;
        let mut heads = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get("id")?;
            let org: String = row.try_get("organization_id")?;
            heads.push(MissingHeadCommitment {
                member: member_name(&id),
                full_name: row.try_get("full_name")?,
                head_position: row.try_get("head_position")?,
                organization: org_name(&org),
                missing_commitment: !truthy(row, "has_commitment")?,
                missing_action_plan: !truthy(row, "has_plan")?,
            });
        }
        let next_page_token = page.finish(&mut heads, |h| {
            h.member.trim_start_matches("members/").to_string()
        });
        Ok(ListHeadsMissingCommitmentResponse {
            heads,
            next_page_token,
        })
    }
}

/// Reads a SQL boolean expression's result, which is an integer on SQLite
/// and a boolean on PostgreSQL.
fn truthy(row: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    match row.try_get::<bool, _>(column) {
        Ok(b) => Ok(b),
        Err(_) => Ok(row.try_get::<i64, _>(column)? != 0),
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
