//! Declarations in storage: the declaration row with its control dates,
//! its items, the dated rules, and the reads across a subtree.

use probity_proto::probity::members::v1::{
    DeclarationItem, DeclarationStatus, VerificationOutcome,
};
use sqlx::AnyConnection;

use super::organizations::{InTree, TreeKey, in_force, subtree_sql};
use crate::{
    error::Result,
    rules::{
        deadlines::{RULE_FAMILY, RuleBook},
        declarations::Filed,
        names::upper,
    },
};

/// A declaration as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeclarationRow {
    /// Id.
    pub id: String,
    /// The declarant's member id.
    pub member_id: String,
    /// The declarant's organisation at filing.
    pub organization_id: String,
    /// The year.
    pub year: i64,
    /// `DeclarationKind`.
    pub kind: i64,
    /// Assets declared as of (ISO).
    pub declared_as_of: Option<String>,
    /// The event of a first or appointment declaration (ISO).
    pub event_date: Option<String>,
    /// The explained origin of an increase.
    pub increase_origin: String,
    /// Total assets (VND).
    pub total_assets: i64,
    /// `DeclarationStatus`.
    pub status: i64,
    /// Received on (ISO).
    pub received_date: Option<String>,
    /// Returned for correction on (ISO).
    pub returned_date: Option<String>,
    /// Why it was returned.
    pub return_reason: Option<String>,
    /// Resubmitted on (ISO).
    pub resubmitted_date: Option<String>,
    /// Handed over on (ISO).
    pub handed_over_date: Option<String>,
    /// Published on (ISO).
    pub published_date: Option<String>,
    /// Where it was published.
    pub publication_place: Option<String>,
    /// `VerificationOutcome`.
    pub verification: i64,
    /// Verification findings.
    pub findings: Option<String>,
    /// Concluded on (ISO).
    pub concluded_date: Option<String>,
    /// Revision, for the etag.
    pub revision: i64,
    /// Created (µs).
    pub create_micros: i64,
}

const DECLARATION_COLUMNS: &str = "d.id, d.member_id, d.organization_id, d.year, d.kind, d.declared_as_of, d.event_date, \
    d.increase_origin, d.total_assets, d.status, d.received_date, d.returned_date, d.return_reason, d.resubmitted_date, \
    d.handed_over_date, d.published_date, d.publication_place, d.verification, d.findings, d.concluded_date, \
    d.revision, d.create_micros";

/// The declaration with id `id`.
pub async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<DeclarationRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DECLARATION_COLUMNS} FROM declarations d WHERE d.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// A declaration's items, in their order.
pub async fn items(conn: &mut AnyConnection, id: &str) -> Result<Vec<DeclarationItem>> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT category, description, value_vnd FROM declaration_items WHERE declaration_id = $1 ORDER BY seq",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(category, description, value_vnd)| DeclarationItem {
            category: category as i32,
            description,
            value_vnd,
        })
        .collect())
}

/// Replaces a declaration's items.
pub async fn replace_items(
    conn: &mut AnyConnection,
    id: &str,
    items: &[DeclarationItem],
) -> Result<()> {
    sqlx::query("DELETE FROM declaration_items WHERE declaration_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for (seq, item) in items.iter().enumerate() {
        sqlx::query(
            "INSERT INTO declaration_items (declaration_id, seq, category, description, value_vnd) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(seq as i64)
        .bind(i64::from(item.category))
        .bind(item.description.trim())
        .bind(item.value_vnd)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A received declaration to record.
pub struct NewDeclaration<'a> {
    /// Its id.
    pub id: &'a str,
    /// The declarant.
    pub member_id: &'a str,
    /// The declarant's organisation.
    pub organization_id: &'a str,
    /// The year.
    pub year: i32,
    /// `DeclarationKind`.
    pub kind: i64,
    /// Declared as of (ISO).
    pub as_of: &'a str,
    /// The event (ISO).
    pub event: Option<String>,
    /// The explained origin of an increase.
    pub origin: &'a str,
    /// Total assets.
    pub total: i64,
    /// Received on (ISO).
    pub received: Option<String>,
}

/// Records a received declaration with its items at `now`.
pub async fn insert(
    conn: &mut AnyConnection,
    d: &NewDeclaration<'_>,
    items: &[DeclarationItem],
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO declarations (id, member_id, organization_id, year, kind, declared_as_of, event_date, increase_origin, \
         total_assets, status, received_date, verification, revision, create_micros) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13)",
    )
    .bind(d.id)
    .bind(d.member_id)
    .bind(d.organization_id)
    .bind(i64::from(d.year))
    .bind(d.kind)
    .bind(d.as_of)
    .bind(d.event.clone())
    .bind(d.origin)
    .bind(d.total)
    .bind(DeclarationStatus::Received as i64)
    .bind(d.received.clone())
    .bind(VerificationOutcome::Unspecified as i64)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    replace_items(conn, d.id, items).await
}

/// Returns a declaration for correction on `date`, with `reason`.
pub async fn mark_returned(
    conn: &mut AnyConnection,
    id: &str,
    date: &str,
    reason: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE declarations SET status = $1, returned_date = $2, return_reason = $3, revision = revision + 1 WHERE id = $4",
    )
    .bind(DeclarationStatus::Returned as i64)
    .bind(date)
    .bind(reason)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a corrected declaration, received again on `date`.
pub async fn mark_resubmitted(
    conn: &mut AnyConnection,
    id: &str,
    date: &str,
    origin: &str,
    total: i64,
    items: &[DeclarationItem],
) -> Result<()> {
    sqlx::query(
        "UPDATE declarations SET status = $1, resubmitted_date = $2, increase_origin = $3, total_assets = $4, \
         revision = revision + 1 WHERE id = $5",
    )
    .bind(DeclarationStatus::Resubmitted as i64)
    .bind(date)
    .bind(origin)
    .bind(total)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    replace_items(conn, id, items).await
}

/// Records the hand-over on `date`.
pub async fn mark_handed_over(conn: &mut AnyConnection, id: &str, date: &str) -> Result<()> {
    sqlx::query(
        "UPDATE declarations SET status = $1, handed_over_date = $2, revision = revision + 1 WHERE id = $3",
    )
    .bind(DeclarationStatus::HandedOver as i64)
    .bind(date)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the publication on `date` at `place`.
pub async fn mark_published(
    conn: &mut AnyConnection,
    id: &str,
    date: &str,
    place: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE declarations SET published_date = $1, publication_place = $2, revision = revision + 1 WHERE id = $3",
    )
    .bind(date)
    .bind(place)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the verification conclusion on `date`.
pub async fn conclude(
    conn: &mut AnyConnection,
    id: &str,
    outcome: VerificationOutcome,
    findings: &str,
    date: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE declarations SET verification = $1, findings = $2, concluded_date = $3, revision = revision + 1 WHERE id = $4",
    )
    .bind(outcome as i64)
    .bind(findings)
    .bind(date)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// One page of the declarations of `year` (optionally of one kind) in the
/// subtree at `prefix` on `date`, in tree order after the key `after`
/// ([`TreeKey`] over the declaration id), each with its key.
pub async fn list(
    conn: &mut AnyConnection,
    date: &str,
    prefix: &str,
    year: i32,
    kind: i64,
    after: &str,
    limit: i64,
) -> Result<Vec<(DeclarationRow, String)>> {
    let after = TreeKey::parse(after);
    let rows: Vec<InTree<DeclarationRow>> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DECLARATION_COLUMNS}, p.path AS sort_path FROM declarations d \
         JOIN organization_placements p ON p.org_id = d.organization_id AND {} \
         WHERE {} AND d.year = $4 AND ($5 = 0 OR d.kind = $5) AND {} \
         ORDER BY p.path, d.id LIMIT $8",
        in_force("p", 1),
        subtree_sql(2, 3),
        TreeKey::after_sql("d.id", 6, 7),
    )))
    .bind(date)
    .bind(prefix)
    .bind(upper(prefix))
    .bind(i64::from(year))
    .bind(kind)
    .bind(&after.path)
    .bind(&after.id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.keyed(|d| &d.id)).collect())
}

/// Declarants per query while scanning for flagged changes.
pub const DECLARANT_BATCH: usize = 500;

/// The next [`DECLARANT_BATCH`] declarants of `year` in the subtree at
/// `prefix` on `date`, after member id `after`, in id order.
pub async fn declarants(
    conn: &mut AnyConnection,
    date: &str,
    prefix: &str,
    year: i32,
    after: &str,
) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT d.member_id FROM declarations d \
         JOIN organization_placements p ON p.org_id = d.organization_id AND {} \
         WHERE p.path >= $2 AND p.path < $3 AND d.year = $4 AND d.member_id > $5 \
         ORDER BY d.member_id LIMIT {DECLARANT_BATCH}",
        in_force("p", 1)
    )))
    .bind(date)
    .bind(prefix)
    .bind(upper(prefix))
    .bind(i64::from(year))
    .bind(after)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(m,)| m).collect())
}

#[derive(sqlx::FromRow)]
struct FiledRow {
    id: String,
    year: i64,
    declared_as_of: String,
    total_assets: i64,
    increase_origin: String,
}

/// The latest valid (not returned) declaration of `member_id` in `year`,
/// and the latest one before that year.
pub async fn filed_pair(
    conn: &mut AnyConnection,
    member_id: &str,
    year: i32,
) -> Result<(Option<Filed>, Option<Filed>)> {
    let rows: Vec<FiledRow> = sqlx::query_as(
        "SELECT id, year, declared_as_of, total_assets, increase_origin FROM declarations \
         WHERE member_id = $1 AND year <= $2 AND status <> $3 ORDER BY declared_as_of DESC, id DESC",
    )
    .bind(member_id)
    .bind(i64::from(year))
    .bind(DeclarationStatus::Returned as i64)
    .fetch_all(conn)
    .await?;
    let mut current = None;
    let mut previous = None;
    for row in rows {
        let y = row.year as i32;
        let filed = Filed {
            id: row.id,
            as_of: row.declared_as_of,
            total: row.total_assets,
            origin: row.increase_origin,
        };
        if y == year && current.is_none() {
            current = Some(filed);
        } else if y < year && previous.is_none() {
            previous = Some(filed);
        }
    }
    Ok((current, previous))
}

/// Every version of the declaration rules, by kind and date.
pub async fn rule_book(conn: &mut AnyConnection) -> Result<RuleBook> {
    Ok(RuleBook(
        probity_platform::dated_rules::book(conn, RULE_FAMILY).await?,
    ))
}
