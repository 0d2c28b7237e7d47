//! The agency registry in storage.

use sqlx::AnyConnection;

use crate::error::Result;

/// An agency as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgencyRow {
    /// Id.
    pub id: String,
    /// Code, in capitals.
    pub code: String,
    /// Name.
    pub display_name: String,
    /// `AgencyKind`.
    pub kind: i64,
    /// `AgencyLevel`.
    pub level: i64,
    /// Registered (µs).
    pub create_micros: i64,
}

const COLUMNS: &str = "id, code, display_name, kind, level, create_micros";

/// The agency with id `id`.
pub async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<AgencyRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM agencies WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// The ids among `ids` that are registered.
pub async fn known(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for id in ids {
        if load(conn, id).await?.is_some() {
            out.push(id.clone());
        }
    }
    Ok(out)
}

/// True when an agency holds `code`.
pub async fn code_taken(conn: &mut AnyConnection, code: &str) -> Result<bool> {
    let found: Option<(String,)> = sqlx::query_as("SELECT id FROM agencies WHERE code = $1")
        .bind(code)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// Registers an agency.
pub async fn insert(conn: &mut AnyConnection, a: &AgencyRow) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO agencies ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
    )))
    .bind(&a.id)
    .bind(&a.code)
    .bind(&a.display_name)
    .bind(a.kind)
    .bind(a.level)
    .bind(a.create_micros)
    .execute(conn)
    .await?;
    Ok(())
}

/// Agencies after code `after`, of `kind` (0: any), by code, at most
/// `limit`.
pub async fn list(
    conn: &mut AnyConnection,
    kind: i64,
    after: &str,
    limit: i64,
) -> Result<Vec<AgencyRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM agencies WHERE code > $1 AND ($2 = 0 OR kind = $2) \
         ORDER BY code LIMIT $3"
    )))
    .bind(after)
    .bind(kind)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
