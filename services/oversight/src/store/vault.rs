//! The identity vault's rows (sealed identities: ciphertext, wrapped record
//! key, the KEK's id — never a readable identity) and the protection
//! files' entries.

use probity_platform::vault::Sealed;
use sqlx::AnyConnection;

use crate::error::Result;

#[derive(sqlx::FromRow)]
struct SealedRow {
    report_id: String,
    kek_id: String,
    wrapped_key: Vec<u8>,
    ciphertext: Vec<u8>,
}

impl SealedRow {
    fn sealed(self) -> (String, Sealed) {
        (
            self.report_id,
            Sealed {
                kek_id: self.kek_id,
                wrapped_key: self.wrapped_key,
                ciphertext: self.ciphertext,
            },
        )
    }
}

/// Stores report `report_id`'s sealed identity.
pub async fn insert(
    conn: &mut AnyConnection,
    report_id: &str,
    sealed: &Sealed,
    now_micros: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO reporter_identities (report_id, kek_id, wrapped_key, ciphertext, create_micros) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(report_id)
    .bind(&sealed.kek_id)
    .bind(&sealed.wrapped_key)
    .bind(&sealed.ciphertext)
    .bind(now_micros)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Report `report_id`'s sealed identity, if it has one.
pub async fn load(conn: &mut AnyConnection, report_id: &str) -> Result<Option<Sealed>> {
    let row: Option<SealedRow> = sqlx::query_as(
        "SELECT report_id, kek_id, wrapped_key, ciphertext FROM reporter_identities \
         WHERE report_id = $1",
    )
    .bind(report_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.sealed().1))
}

/// True when report `report_id` has a sealed identity.
pub async fn exists(conn: &mut AnyConnection, report_id: &str) -> Result<bool> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT report_id FROM reporter_identities WHERE report_id = $1")
            .bind(report_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.is_some())
}

/// Up to `limit` sealed identities not under KEK `current`, after report
/// id `after`.
pub async fn not_under(
    conn: &mut AnyConnection,
    current: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<(String, Sealed)>> {
    let rows: Vec<SealedRow> = sqlx::query_as(
        "SELECT report_id, kek_id, wrapped_key, ciphertext FROM reporter_identities \
         WHERE kek_id <> $1 AND report_id > $2 ORDER BY report_id LIMIT $3",
    )
    .bind(current)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(SealedRow::sealed).collect())
}

/// How many sealed identities are under KEK `kek_id`.
pub async fn count_under(conn: &mut AnyConnection, kek_id: &str) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM reporter_identities WHERE kek_id = $1")
        .bind(kek_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(n)
}

/// Replaces report `report_id`'s wrapped key (the ciphertext is unchanged).
pub async fn rewrap(conn: &mut AnyConnection, report_id: &str, sealed: &Sealed) -> Result<()> {
    sqlx::query(
        "UPDATE reporter_identities SET kek_id = $2, wrapped_key = $3 WHERE report_id = $1",
    )
    .bind(report_id)
    .bind(&sealed.kek_id)
    .bind(&sealed.wrapped_key)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Destroys report `report_id`'s sealed identity.
pub async fn destroy(conn: &mut AnyConnection, report_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM reporter_identities WHERE report_id = $1")
        .bind(report_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A protection file entry, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryRow {
    /// The report's id.
    pub report_id: String,
    /// Its number in the file, from 1.
    pub seq: i64,
    /// A `ProtectionEntryKind`.
    pub kind: i64,
    /// ISO day.
    pub day: String,
    /// What was asked, decided, complained of; a reveal's reason.
    pub text: String,
    /// Who recorded it (subject and agency).
    pub recorded_by: String,
    /// When (µs).
    pub create_micros: i64,
}

/// Stores an entry as the next of its report's file; returns its number.
pub async fn add_entry(conn: &mut AnyConnection, e: &EntryRow) -> Result<i64> {
    let (next,): (i64,) = sqlx::query_as(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM protection_entries WHERE report_id = $1",
    )
    .bind(&e.report_id)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO protection_entries (report_id, seq, kind, day, text, recorded_by, \
         create_micros) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&e.report_id)
    .bind(next)
    .bind(e.kind)
    .bind(&e.day)
    .bind(&e.text)
    .bind(&e.recorded_by)
    .bind(e.create_micros)
    .execute(&mut *conn)
    .await?;
    Ok(next)
}

/// Report `report_id`'s protection file, oldest first.
pub async fn entries(conn: &mut AnyConnection, report_id: &str) -> Result<Vec<EntryRow>> {
    Ok(sqlx::query_as(
        "SELECT report_id, seq, kind, day, text, recorded_by, create_micros \
         FROM protection_entries WHERE report_id = $1 ORDER BY seq",
    )
    .bind(report_id)
    .fetch_all(&mut *conn)
    .await?)
}
