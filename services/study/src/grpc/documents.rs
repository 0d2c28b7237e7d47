//! `probity.study.v1.DocumentService`: the documents studied and cited.

use probity_platform::{
    ApiError, Call, Database, Violations, dates,
    pagination::PageRequest,
    resource::{check_current_etag, etag, new_id, parse_name},
    symbol, text, unary,
};
use probity_proto::probity::study::v1::{
    CreateDocumentRequest, Document, DocumentKind, GetDocumentRequest, ListDocumentsRequest,
    ListDocumentsResponse, UpdateDocumentRequest, document_service_server::DocumentService,
};
use sqlx::AnyConnection;
use tonic::{Request, Response, Status};

use crate::{
    error::Result,
    rules::documents::{self as rules, kind_of},
    store::documents::{self as store, DocumentQuery, DocumentRow},
};

/// The wire form of a document.
pub fn document(row: &DocumentRow) -> Result<Document, ApiError> {
    Ok(Document {
        name: format!("documents/{}", row.id),
        symbol: row.symbol.clone(),
        number: row.number as i32,
        kind: row.kind as i32,
        kind_letters: row.kind_letters.clone(),
        issuer_code: row.issuer_code.clone(),
        issuing_body: row.issuing_body.clone(),
        issue_date: Some(dates::sql_to_proto(&row.issue_date)?),
        term: row.term.clone(),
        title: row.title.clone(),
        etag: etag(row.revision),
        create_time: Some(dates::timestamp(row.create_micros)),
        update_time: Some(dates::timestamp(row.update_micros)),
    })
}

/// The document with id `id` on the wire.
async fn reload(conn: &mut AnyConnection, id: &str, name: &str) -> Result<Document> {
    let row = store::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    Ok(document(&row)?)
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
        let d = req.document.clone().unwrap_or_default();
        let new = rules::validate_new(&d, call.today())?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<Document>()? {
            return Ok(done);
        }
        let now = call.now_micros();
        let row = DocumentRow {
            id: new_id(),
            symbol: new.symbol.canonical.clone(),
            number: i64::from(new.symbol.number),
            kind: kind_of(new.symbol.kind) as i64,
            kind_letters: new.symbol.kind_letters.clone(),
            issuer_code: new.symbol.issuer.clone(),
            issuing_body: text::tidy(&d.issuing_body),
            issue_date: dates::to_sql(new.issued),
            term: d.term.trim().to_uppercase(),
            title: text::tidy(&d.title),
            revision: 1,
            create_micros: now,
            update_micros: now,
        };
        store::insert(w.conn(), &row).await?;
        let created = reload(w.conn(), &row.id, "document").await?;
        w.commit(&created.name, &created).await?;
        Ok(created)
    }

    async fn get(&self, _call: Call, req: GetDocumentRequest) -> Result<Document> {
        let id = parse_name("name", &req.name, "documents")?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        reload(&mut conn, id, &req.name).await
    }

    async fn list(&self, call: Call, req: ListDocumentsRequest) -> Result<ListDocumentsResponse> {
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
            &call,
            req.page_size,
            &req.page_token,
            &format!("{symbol};{};{}", kind as i32, req.year),
        )?;
        // Newest first: keyset on (issue_date, id) descending.
        let after = page.after.clone().unwrap_or_default();
        let after = after.split_once('|').unwrap_or(("9999-12-31", "~"));
        let (from, to) = rules::year_range(req.year);
        let query = DocumentQuery {
            symbol: &symbol,
            kind: kind as i64,
            from: &from,
            to: &to,
            after,
        };
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let rows = store::list(&mut conn, &query, page.limit()).await?;
        let mut documents = rows.iter().map(document).collect::<Result<Vec<_>, _>>()?;
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
        let d = req.document.clone().unwrap_or_default();
        let paths =
            probity_platform::mask::paths(req.update_mask.as_ref(), &rules::UPDATABLE, |p| {
                rules::is_set(&d, p)
            })?;
        let mut v = Violations::new();
        rules::check_text(&mut v, &d, &paths, call.today());
        v.into_result()?;
        let id = parse_name("document.name", &d.name, "documents")?.to_string();
        let mut w = self.db.begin_write(&call, "", &req).await?;
        let mut row = store::load(w.conn(), &id)
            .await?
            .ok_or_else(|| ApiError::not_found(&d.name))?;
        check_current_etag(&d.name, &d.etag, &etag(row.revision))?;
        if paths.contains(&"title") {
            row.title = text::tidy(&d.title);
        }
        if paths.contains(&"issuing_body") {
            row.issuing_body = text::tidy(&d.issuing_body);
        }
        if paths.contains(&"term") {
            row.term = d.term.trim().to_uppercase();
        }
        if paths.contains(&"issue_date") {
            row.issue_date = dates::to_sql(
                dates::required("document.issue_date", d.issue_date.as_ref())
                    .map_err(ApiError::from)?,
            );
        }
        store::update(w.conn(), &row, call.now_micros()).await?;
        let updated = reload(w.conn(), &id, &d.name).await?;
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
