//! `probity.study.v1.DocumentService`: the documents studied and cited.

use probity_platform::{
    ApiError, Call, Database, Violations,
    auth::ROLE_WRITER,
    dates,
    pagination::PageRequest,
    resource::{check_current_etag, etag, new_id, parse_name},
    symbol::{self, DocumentKind as Parsed},
    text, unary,
};
use probity_proto::probity::study::v1::{
    CreateDocumentRequest, Document, DocumentKind, GetDocumentRequest, ListDocumentsRequest,
    ListDocumentsResponse, UpdateDocumentRequest, document_service_server::DocumentService,
};
use sqlx::{AnyConnection, Row, any::AnyRow};
use tonic::{Request, Response, Status};

use crate::error::{Error, Result};

const MAX_TITLE: usize = 1000;
const MAX_FIELD: usize = 200;

/// The wire kind of a parsed symbol's kind.
pub fn kind_of(parsed: Parsed) -> DocumentKind {
    match parsed {
        Parsed::Resolution => DocumentKind::Resolution,
        Parsed::Directive => DocumentKind::Directive,
        Parsed::Conclusion => DocumentKind::Conclusion,
        Parsed::Decision => DocumentKind::Decision,
        Parsed::Plan => DocumentKind::Plan,
        Parsed::Guidance => DocumentKind::Guidance,
        Parsed::Notice => DocumentKind::Notice,
        Parsed::Report => DocumentKind::Report,
        Parsed::Decree => DocumentKind::Decree,
        Parsed::Circular => DocumentKind::Circular,
        Parsed::Other => DocumentKind::Other,
    }
}

const COLUMNS: &str = "id, symbol, number, kind, kind_letters, issuer_code, issuing_body, issue_date, term, title, \
    revision, create_micros, update_micros";

fn from_row(row: &AnyRow) -> Result<Document> {
    let id: String = row.try_get("id")?;
    Ok(Document {
        name: format!("documents/{id}"),
        symbol: row.try_get("symbol")?,
        number: row.try_get::<i64, _>("number")? as i32,
        kind: row.try_get::<i64, _>("kind")? as i32,
        kind_letters: row.try_get("kind_letters")?,
        issuer_code: row.try_get("issuer_code")?,
        issuing_body: row.try_get("issuing_body")?,
        issue_date: Some(dates::sql_to_proto(
            &row.try_get::<String, _>("issue_date")?,
        )?),
        term: row.try_get("term")?,
        title: row.try_get("title")?,
        etag: etag(row.try_get("revision")?),
        create_time: Some(dates::timestamp(row.try_get("create_micros")?)),
        update_time: Some(dates::timestamp(row.try_get("update_micros")?)),
    })
}

async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<Document>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM documents WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Whether document `id` is recorded (plans and class materials refer to
/// documents by name).
pub async fn exists(conn: &mut AnyConnection, id: &str) -> Result<bool> {
    let found: Option<(String,)> = sqlx::query_as("SELECT id FROM documents WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// Checks the descriptive fields shared by create and update.
fn check_text(v: &mut Violations, d: &Document, paths: &[&str]) {
    if paths.contains(&"title") {
        let title = text::tidy(&d.title);
        v.check(
            title.is_empty() || title.chars().count() > MAX_TITLE,
            "document.title",
            "required, at most 1000 characters",
        );
    }
    v.check(
        d.issuing_body.chars().count() > MAX_FIELD,
        "document.issuing_body",
        "at most 200 characters",
    );
    v.check(
        d.term.chars().count() > 20,
        "document.term",
        "at most 20 characters",
    );
    if paths.contains(&"issue_date") {
        match dates::required("document.issue_date", d.issue_date.as_ref()) {
            Err(e) => v.add(e.field, e.description),
            Ok(date) if date > dates::today() => {
                v.add("document.issue_date", "must not be in the future")
            }
            Ok(_) => {}
        }
    }
}

/// `DocumentService` over one database.
#[derive(Debug, Clone)]
pub struct Documents {
    db: Database,
}

impl Documents {
    /// The service.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    async fn create(&self, call: Call, req: CreateDocumentRequest) -> Result<Document> {
        call.caller.require_role(ROLE_WRITER)?;
        let d = req.document.clone().unwrap_or_default();
        let mut v = Violations::new();
        let parsed = if d.symbol.trim().is_empty() {
            v.add("document.symbol", "required");
            None
        } else {
            symbol::parse(&d.symbol)
                .map_err(|e| v.add("document.symbol", e))
                .ok()
        };
        check_text(&mut v, &d, &["title", "issue_date"]);
        v.into_result()?;
        let parsed = parsed.ok_or_else(|| ApiError::invalid("document.symbol", "required"))?;
        let issued = dates::required("document.issue_date", d.issue_date.as_ref())
            .map_err(ApiError::from)?;
        if parsed.year.is_some_and(|y| y != issued.year()) {
            return Err(ApiError::invalid(
                "document.issue_date",
                format!("{} is dated in another year", parsed.canonical),
            )
            .into());
        }
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<Document>()? {
            return Ok(done);
        }
        let id = new_id();
        let now = dates::now_micros();
        sqlx::query(
            "INSERT INTO documents (id, symbol, number, kind, kind_letters, issuer_code, issuing_body, issue_date, term, \
             title, revision, create_micros, update_micros) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11)",
        )
        .bind(&id)
        .bind(&parsed.canonical)
        .bind(i64::from(parsed.number))
        .bind(kind_of(parsed.kind) as i64)
        .bind(&parsed.kind_letters)
        .bind(&parsed.issuer)
        .bind(text::tidy(&d.issuing_body))
        .bind(dates::to_sql(issued))
        .bind(d.term.trim().to_uppercase())
        .bind(text::tidy(&d.title))
        .bind(now)
        .execute(w.conn())
        .await
        .map_err(|e| {
            if probity_platform::error::is_unique_violation(&e) {
                Error::SymbolTaken(format!("document {}", parsed.canonical))
            } else {
                e.into()
            }
        })?;
        let created = load(w.conn(), &id)
            .await?
            .ok_or_else(|| ApiError::Internal("document vanished".into()))?;
        w.commit(&created.name, &created).await?;
        Ok(created)
    }

    async fn get(&self, _call: Call, req: GetDocumentRequest) -> Result<Document> {
        let id = parse_name("name", &req.name, "documents")?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        Ok(load(&mut conn, id)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?)
    }

    async fn list(&self, _call: Call, req: ListDocumentsRequest) -> Result<ListDocumentsResponse> {
        let mut v = Violations::new();
        let symbol = if req.symbol.trim().is_empty() {
            String::new()
        } else {
            symbol::parse(&req.symbol)
                .map(|s| s.canonical)
                .map_err(|e| v.add("symbol", e))
                .unwrap_or_default()
        };
        let kind = DocumentKind::try_from(req.kind)
            .map_err(|_| v.add("kind", "unknown kind"))
            .unwrap_or_default();
        v.check(
            req.year != 0 && !(1930..=9999).contains(&req.year),
            "year",
            "a year from 1930, or 0 for any",
        );
        v.into_result()?;
        let page = PageRequest::parse(
            req.page_size,
            &req.page_token,
            &format!("{symbol};{};{}", kind as i32, req.year),
        )?;
        // Newest first: keyset on (issue_date, id) descending.
        let after = page.after.clone().unwrap_or_default();
        let (after_date, after_id) = after.split_once('|').unwrap_or(("9999-12-31", "~"));
        let (from, to) = if req.year == 0 {
            ("0000-01-01".to_string(), "9999-12-31".to_string())
        } else {
            (
                format!("{:04}-01-01", req.year),
                format!("{:04}-12-31", req.year),
            )
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM documents WHERE ($1 = '' OR symbol = $1) AND ($2 = 0 OR kind = $2) \
             AND issue_date >= $3 AND issue_date <= $4 AND (issue_date < $5 OR (issue_date = $5 AND id < $6)) \
             ORDER BY issue_date DESC, id DESC LIMIT $7"
        )))
        .bind(&symbol)
        .bind(kind as i64)
        .bind(&from)
        .bind(&to)
        .bind(after_date)
        .bind(after_id)
        .bind(page.limit())
        .fetch_all(self.db.pool())
        .await?;
        let mut documents = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
        let next_page_token = page.finish(&mut documents, |d| {
            let date = d
                .issue_date
                .as_ref()
                .map(|x| format!("{:04}-{:02}-{:02}", x.year, x.month, x.day))
                .unwrap_or_default();
            format!("{date}|{}", d.name.trim_start_matches("documents/"))
        });
        Ok(ListDocumentsResponse {
            documents,
            next_page_token,
        })
    }

    async fn update(&self, call: Call, req: UpdateDocumentRequest) -> Result<Document> {
        call.caller.require_role(ROLE_WRITER)?;
        let d = req.document.clone().unwrap_or_default();
        let allowed = ["title", "issuing_body", "term", "issue_date"];
        let paths =
            probity_platform::mask::paths(req.update_mask.as_ref(), &allowed, |p| match p {
                "title" => !d.title.is_empty(),
                "issuing_body" => !d.issuing_body.is_empty(),
                "term" => !d.term.is_empty(),
                "issue_date" => d.issue_date.is_some(),
                _ => false,
            })?;
        let mut v = Violations::new();
        check_text(&mut v, &d, &paths);
        v.into_result()?;
        let id = parse_name("document.name", &d.name, "documents")?.to_string();
        let mut w = self.db.begin_write(&call, "", &req).await?;
        let current = load(w.conn(), &id)
            .await?
            .ok_or_else(|| ApiError::not_found(&d.name))?;
        check_current_etag(&d.name, &d.etag, &current.etag)?;
        let pick = |path: &str, new: String, old: &str| {
            if paths.contains(&path) {
                new
            } else {
                old.to_string()
            }
        };
        let issue_date = if paths.contains(&"issue_date") {
            dates::to_sql(
                dates::required("document.issue_date", d.issue_date.as_ref())
                    .map_err(ApiError::from)?,
            )
        } else {
            dates::to_sql(
                dates::required("issue_date", current.issue_date.as_ref())
                    .map_err(ApiError::from)?,
            )
        };
        sqlx::query(
            "UPDATE documents SET title = $1, issuing_body = $2, term = $3, issue_date = $4, revision = revision + 1, \
             update_micros = $5 WHERE id = $6",
        )
        .bind(pick("title", text::tidy(&d.title), &current.title))
        .bind(pick("issuing_body", text::tidy(&d.issuing_body), &current.issuing_body))
        .bind(pick("term", d.term.trim().to_uppercase(), &current.term))
        .bind(&issue_date)
        .bind(dates::now_micros())
        .bind(&id)
        .execute(w.conn())
        .await?;
        let updated = load(w.conn(), &id)
            .await?
            .ok_or_else(|| ApiError::not_found(&d.name))?;
        w.commit(&updated.name, &updated).await?;
        Ok(updated)
    }
}

#[tonic::async_trait]
impl DocumentService for Documents {
    async fn create_document(
        &self,
        r: Request<CreateDocumentRequest>,
    ) -> Result<Response<Document>, Status> {
        unary(r, |c, m| self.create(c, m)).await
    }
    async fn get_document(
        &self,
        r: Request<GetDocumentRequest>,
    ) -> Result<Response<Document>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
    async fn list_documents(
        &self,
        r: Request<ListDocumentsRequest>,
    ) -> Result<Response<ListDocumentsResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn update_document(
        &self,
        r: Request<UpdateDocumentRequest>,
    ) -> Result<Response<Document>, Status> {
        unary(r, |c, m| self.update(c, m)).await
    }
}
