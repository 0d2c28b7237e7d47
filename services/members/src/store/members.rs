//! Members in storage: the member row (identity, personal data, current
//! organisation and status), the list queries, the events list, and the
//! writing of new members with their first periods and events.
//!
//! A member admitted on A and made official on O gets the same history as
//! if both events had been recorded one after the other: a probationary
//! period from A to O and an official one from O, an `ADMITTED` event
//! (seq 1) and a `MADE_OFFICIAL` one (seq 2).

use std::collections::HashSet;

use probity_platform::{
    ApiError,
    bulk::{IN_LIST_PARAMETERS, insert_rows, placeholders},
    dates,
    resource::new_id,
    text,
};
use probity_proto::probity::members::v1::{MemberEventKind, MemberStatus};
use sqlx::AnyConnection;

use super::organizations::{InTree, TreeKey, in_force, subtree_sql};
use crate::{
    error::{Error, Result},
    rules::{members::ValidCreate, names::upper},
};

/// The tables a batch of new members fills (for the statistics refresh).
pub const BATCH_TABLES: &[&str] = &["members", "member_periods", "member_events"];

/// A member as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    /// Id.
    pub id: String,
    /// Party card number.
    pub party_card_number: String,
    /// Full name.
    pub full_name: String,
    /// Date of birth (ISO).
    pub date_of_birth: String,
    /// `Gender`.
    pub gender: i64,
    /// Current organisation id.
    pub organization_id: String,
    /// Current `MemberStatus`.
    pub status: i64,
    /// Admission date (ISO).
    pub admission_date: String,
    /// Made official on (ISO).
    pub official_date: Option<String>,
    /// Head of organisation position, or empty.
    pub head_position: String,
    /// Revision, for the etag.
    pub revision: i64,
    /// Created (µs).
    pub create_micros: i64,
    /// Updated (µs).
    pub update_micros: i64,
}

/// The columns [`MemberRow`] reads from `members m`.
pub const MEMBER_COLUMNS: &str = "m.id, m.party_card_number, m.full_name, m.date_of_birth, m.gender, m.organization_id, \
    m.status, m.admission_date, m.official_date, m.head_position, m.revision, m.create_micros, m.update_micros";

/// The statuses as a SQL list of integers, e.g. `1,2,3`. Built only from
/// the contract's enum values, so it is safe to splice into SQL.
pub fn status_list(statuses: &[MemberStatus]) -> String {
    statuses
        .iter()
        .map(|s| (*s as i32).to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The member with id `id`.
pub async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<MemberRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {MEMBER_COLUMNS} FROM members m WHERE m.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// The member's personal fields, as an update sets them.
pub struct Personal<'a> {
    /// Party card number.
    pub card: &'a str,
    /// Full name.
    pub full_name: &'a str,
    /// Date of birth (ISO).
    pub dob: &'a str,
    /// `Gender`.
    pub gender: i32,
    /// Head position.
    pub head_position: &'a str,
}

/// Sets a member's personal fields, with a new revision. A card number of
/// another member is [`Error::CardNumberTaken`].
pub async fn update(conn: &mut AnyConnection, id: &str, p: &Personal<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE members SET party_card_number = $1, full_name = $2, name_folded = $3, date_of_birth = $4, \
         gender = $5, head_position = $6, revision = revision + 1, update_micros = $7 WHERE id = $8",
    )
    .bind(p.card)
    .bind(p.full_name)
    .bind(text::fold(p.full_name))
    .bind(p.dob)
    .bind(i64::from(p.gender))
    .bind(p.head_position)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await
    .map_err(|e| {
        if probity_platform::error::is_unique_violation(&e) {
            Error::CardNumberTaken(p.card.to_string())
        } else {
            e.into()
        }
    })?;
    Ok(())
}

/// Where a member list looks.
pub enum Membership<'a> {
    /// Members of one organisation (by id).
    Organization(&'a str),
    /// Members of a subtree (by path).
    Subtree(&'a str),
}

/// One page of members on `date` with one of `statuses` whose folded name
/// matches `pattern`, after the key `after` (empty: from the start), each
/// with its key for the next page.
///
/// Members of one organisation come in id order (key: the id); members of
/// a subtree in tree order ([`TreeKey`]).
pub async fn list(
    conn: &mut AnyConnection,
    date: &str,
    membership: Membership<'_>,
    statuses: &[MemberStatus],
    pattern: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<(MemberRow, String)>> {
    let filters = format!(
        "{} AND mp.status IN ({}) AND m.name_folded LIKE $4 ESCAPE '\\'",
        in_force("mp", 1),
        status_list(statuses)
    );
    match membership {
        Membership::Organization(id) => {
            let rows: Vec<MemberRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {MEMBER_COLUMNS} FROM member_periods mp JOIN members m ON m.id = mp.member_id \
                 WHERE mp.organization_id = $2 AND {filters} AND m.id > $3 \
                 ORDER BY m.id LIMIT $5"
            )))
            .bind(date)
            .bind(id)
            .bind(after)
            .bind(pattern)
            .bind(limit)
            .fetch_all(conn)
            .await?;
            Ok(rows
                .into_iter()
                .map(|m| {
                    let key = m.id.clone();
                    (m, key)
                })
                .collect())
        }
        Membership::Subtree(path) => {
            let after = TreeKey::parse(after);
            let rows: Vec<InTree<MemberRow>> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {MEMBER_COLUMNS}, p.path AS sort_path FROM organization_placements p \
                 JOIN member_periods mp ON mp.organization_id = p.org_id \
                 JOIN members m ON m.id = mp.member_id \
                 WHERE {} AND {} AND {filters} AND {} \
                 ORDER BY p.path, m.id LIMIT $7",
                in_force("p", 1),
                subtree_sql(2, 3),
                TreeKey::after_sql("m.id", 5, 6),
            )))
            .bind(date)
            .bind(path)
            .bind(upper(path))
            .bind(pattern)
            .bind(&after.path)
            .bind(&after.id)
            .bind(limit)
            .fetch_all(conn)
            .await?;
            Ok(rows.into_iter().map(|r| r.keyed(|m| &m.id)).collect())
        }
    }
}

/// One event of a member's history.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    /// Id.
    pub id: String,
    /// Position in the member's history, from 1.
    pub seq: i64,
    /// `MemberEventKind`.
    pub kind: i64,
    /// Effective date (ISO).
    pub effective_date: String,
    /// Organisation before (none for the admission).
    pub from_org: Option<String>,
    /// Organisation after.
    pub to_org: String,
    /// `MemberStatus` before.
    pub from_status: i64,
    /// `MemberStatus` after.
    pub to_status: i64,
    /// Free text.
    pub note: String,
    /// Recorded (µs).
    pub create_micros: i64,
}

/// A page of a member's events after `after_seq`, oldest first.
pub async fn events(
    conn: &mut AnyConnection,
    member_id: &str,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<EventRow>> {
    Ok(sqlx::query_as(
        "SELECT id, seq, kind, effective_date, from_org, to_org, from_status, to_status, note, create_micros \
         FROM member_events WHERE member_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
    )
    .bind(member_id)
    .bind(after_seq)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Of `cards`, those recorded members already have.
pub async fn taken_cards(conn: &mut AnyConnection, cards: &[&str]) -> Result<HashSet<String>> {
    let mut taken = HashSet::new();
    for chunk in cards.chunks(IN_LIST_PARAMETERS) {
        let sql = format!(
            "SELECT party_card_number FROM members WHERE party_card_number IN ({})",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql));
        for card in chunk {
            q = q.bind(*card);
        }
        taken.extend(q.fetch_all(&mut *conn).await?.into_iter().map(|(c,)| c));
    }
    Ok(taken)
}

/// One new member, checked, to write.
pub struct NewMember<'a> {
    /// Its new id.
    pub id: String,
    /// The request.
    pub valid: &'a ValidCreate,
    /// The organisation's id.
    pub org: String,
}

impl NewMember<'_> {
    fn admitted(&self) -> String {
        dates::to_sql(self.valid.admitted)
    }

    fn official(&self) -> Option<String> {
        self.valid.official.map(dates::to_sql)
    }
}

/// Writes new members with their periods and events, each in multi-row
/// statements, at `now`.
pub async fn insert_new(conn: &mut AnyConnection, rows: &[NewMember<'_>], now: i64) -> Result<()> {
    write_members(conn, rows, now).await?;
    write_periods(conn, rows).await?;
    write_events(conn, rows, now).await
}

async fn write_members(conn: &mut AnyConnection, rows: &[NewMember<'_>], now: i64) -> Result<()> {
    insert_rows(
        conn,
        "INSERT INTO members (id, party_card_number, full_name, name_folded, date_of_birth, gender, \
         organization_id, status, admission_date, official_date, head_position, revision, create_micros, \
         update_micros) VALUES {values}",
        14,
        rows,
        |q, m| {
            q.bind(&m.id)
                .bind(&m.valid.card)
                .bind(&m.valid.full_name)
                .bind(text::fold(&m.valid.full_name))
                .bind(dates::to_sql(m.valid.dob))
                .bind(i64::from(m.valid.gender))
                .bind(&m.org)
                .bind(m.valid.status() as i64)
                .bind(m.admitted())
                .bind(m.official())
                .bind(&m.valid.head_position)
                .bind(1_i64)
                .bind(now)
                .bind(now)
        },
    )
    .await
    .map_err(|e| {
        if probity_platform::error::is_unique_violation(&e) {
            ApiError::Internal(format!("a member row collided: {e}")).into()
        } else {
            Error::from(e)
        }
    })?;
    Ok(())
}

async fn write_periods(conn: &mut AnyConnection, rows: &[NewMember<'_>]) -> Result<()> {
    // (member, status, from, to)
    let periods: Vec<(&NewMember<'_>, MemberStatus, String, Option<String>)> = rows
        .iter()
        .flat_map(|m| {
            let probationary = (m, MemberStatus::Probationary, m.admitted(), m.official());
            let official = m.official().map(|o| (m, MemberStatus::Official, o, None));
            std::iter::once(probationary).chain(official)
        })
        .collect();
    insert_rows(
        conn,
        "INSERT INTO member_periods (member_id, organization_id, status, valid_from, valid_to) VALUES {values}",
        5,
        &periods,
        |q, (m, status, from, to)| {
            q.bind(&m.id)
                .bind(&m.org)
                .bind(*status as i64)
                .bind(from)
                .bind(to)
        },
    )
    .await?;
    Ok(())
}

/// A new member's event: (member, seq, kind, date, from organisation,
/// from status, to status).
type NewEvent<'a> = (
    &'a NewMember<'a>,
    i64,
    MemberEventKind,
    String,
    Option<&'a str>,
    MemberStatus,
    MemberStatus,
);

async fn write_events(conn: &mut AnyConnection, rows: &[NewMember<'_>], now: i64) -> Result<()> {
    let events: Vec<NewEvent<'_>> = rows
        .iter()
        .flat_map(|m| {
            let admitted = (
                m,
                1,
                MemberEventKind::Admitted,
                m.admitted(),
                None,
                MemberStatus::Unspecified,
                MemberStatus::Probationary,
            );
            let official = m.official().map(|o| {
                (
                    m,
                    2,
                    MemberEventKind::MadeOfficial,
                    o,
                    Some(m.org.as_str()),
                    MemberStatus::Probationary,
                    MemberStatus::Official,
                )
            });
            std::iter::once(admitted).chain(official)
        })
        .collect();
    insert_rows(
        conn,
        "INSERT INTO member_events (id, member_id, seq, kind, effective_date, from_org, to_org, \
         from_status, to_status, note, create_micros) VALUES {values}",
        11,
        &events,
        |q, (m, seq, kind, date, from_org, from_status, to_status)| {
            q.bind(new_id())
                .bind(&m.id)
                .bind(*seq)
                .bind(*kind as i64)
                .bind(date)
                .bind(*from_org)
                .bind(&m.org)
                .bind(*from_status as i64)
                .bind(*to_status as i64)
                .bind("")
                .bind(now)
        },
    )
    .await?;
    Ok(())
}
