//! The document registry in storage.

use sqlx::AnyConnection;

use crate::error::{Error, Result};

/// A document as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentRow {
    /// Id.
    pub id: String,
    /// Canonical number-symbol.
    pub symbol: String,
    /// Its number.
    pub number: i64,
    /// `DocumentKind`.
    pub kind: i64,
    /// The kind's letters as written (`NQ`, `KH`).
    pub kind_letters: String,
    /// The issuer's code (`TW`, `TU`).
    pub issuer_code: String,
    /// The issuing body.
    pub issuing_body: String,
    /// Issue date (ISO).
    pub issue_date: String,
    /// The term (`XII`).
    pub term: String,
    /// Title.
    pub title: String,
    /// Revision, for the etag.
    pub revision: i64,
    /// Created (µs).
    pub create_micros: i64,
    /// Updated (µs).
    pub update_micros: i64,
}

const COLUMNS: &str = "id, symbol, number, kind, kind_letters, issuer_code, issuing_body, issue_date, term, title, \
    revision, create_micros, update_micros";

/// The document with id `id`.
pub async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<DocumentRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM documents WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
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

/// Records a document; its symbol already recorded is
/// [`Error::SymbolTaken`].
pub async fn insert(conn: &mut AnyConnection, d: &DocumentRow) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO documents ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    )))
    .bind(&d.id)
    .bind(&d.symbol)
    .bind(d.number)
    .bind(d.kind)
    .bind(&d.kind_letters)
    .bind(&d.issuer_code)
    .bind(&d.issuing_body)
    .bind(&d.issue_date)
    .bind(&d.term)
    .bind(&d.title)
    .bind(d.revision)
    .bind(d.create_micros)
    .bind(d.update_micros)
    .execute(conn)
    .await
    .map_err(|e| {
        if probity_platform::error::is_unique_violation(&e) {
            Error::SymbolTaken(format!("document {}", d.symbol))
        } else {
            e.into()
        }
    })?;
    Ok(())
}

/// Sets a document's descriptive fields, with a new revision.
pub async fn update(conn: &mut AnyConnection, d: &DocumentRow, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE documents SET title = $1, issuing_body = $2, term = $3, issue_date = $4, revision = revision + 1, \
         update_micros = $5 WHERE id = $6",
    )
    .bind(&d.title)
    .bind(&d.issuing_body)
    .bind(&d.term)
    .bind(&d.issue_date)
    .bind(now)
    .bind(&d.id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A document list's filters and position.
pub struct DocumentQuery<'a> {
    /// Canonical symbol, or empty.
    pub symbol: &'a str,
    /// `DocumentKind`, or 0.
    pub kind: i64,
    /// First issue date (ISO).
    pub from: &'a str,
    /// Last issue date (ISO).
    pub to: &'a str,
    /// After this (issue date, id), newest first.
    pub after: (&'a str, &'a str),
}

/// One page of documents, newest first.
pub async fn list(
    conn: &mut AnyConnection,
    q: &DocumentQuery<'_>,
    limit: i64,
) -> Result<Vec<DocumentRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM documents WHERE ($1 = '' OR symbol = $1) AND ($2 = 0 OR kind = $2) \
         AND issue_date >= $3 AND issue_date <= $4 AND (issue_date < $5 OR (issue_date = $5 AND id < $6)) \
         ORDER BY issue_date DESC, id DESC LIMIT $7"
    )))
    .bind(q.symbol)
    .bind(q.kind)
    .bind(q.from)
    .bind(q.to)
    .bind(q.after.0)
    .bind(q.after.1)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
