//! Recording new members: what CreateMember and BatchCreateMembers write
//! for each member (the member row, its periods and its events), checked
//! row by row and written in multi-row statements.
//!
//! A member admitted on A and made official on O gets the same history as
//! if both events had been recorded one after the other: a probationary
//! period from A to O and an official one from O, an `ADMITTED` event
//! (seq 1) and a `MADE_OFFICIAL` one (seq 2).

use std::collections::HashSet;

use probity_platform::{
    ApiError, Call,
    bulk::{IN_LIST_PARAMETERS, insert_rows, placeholders},
    dates,
    resource::{etag, new_id, parse_name},
    text,
};
use probity_proto::probity::members::v1::{Member, MemberEventKind, MemberStatus};
use sqlx::AnyConnection;

use crate::{
    error::{Error, Result},
    members::{ValidCreate, member_name, member_org_kind_ok},
    organizations::check_writable,
    tree::{self, org_name},
};

/// A failure of the member at this index of the request.
pub(crate) type RowError = (usize, Error);

/// One member to insert, checked.
struct NewMember<'a> {
    id: String,
    valid: &'a ValidCreate,
    /// The organisation's id.
    org: String,
    admitted: String,
    official: Option<String>,
}

/// Checks and inserts `rows` inside a write, in order; `field(i)` is the
/// field path of row `i`'s member (`member`, `requests[3].member`). Every
/// row is checked before anything is written: the caller may write under
/// the organisation, which is in force today and existed, as a cell or
/// grassroots organisation, on the admission date; the party card number
/// is not taken (by a recorded member or an earlier row). The first
/// failing row is returned with its index.
pub(crate) async fn insert_members(
    conn: &mut AnyConnection,
    call: &Call,
    rows: &[ValidCreate],
    field: impl Fn(usize) -> String,
) -> std::result::Result<Vec<Member>, RowError> {
    let taken = taken_cards(conn, rows).await.map_err(|e| (0, e))?;
    let mut distinct: Vec<&str> = rows
        .iter()
        .filter_map(|v| parse_name("", &v.organization, "organizations").ok())
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    let placements = tree::placements(conn, &distinct)
        .await
        .map_err(|e| (0, e))?;
    let mut seen: HashSet<&str> = HashSet::with_capacity(rows.len());
    let mut checked = Vec::with_capacity(rows.len());
    for (i, v) in rows.iter().enumerate() {
        let admitted = dates::to_sql(v.admitted);
        let id = parse_name(
            &format!("{}.organization", field(i)),
            &v.organization,
            "organizations",
        )
        .map_err(|e| (i, e.into()))?;
        let history = placements.get(id).map(Vec::as_slice).unwrap_or(&[]);
        let latest = history.last().map(|(org, _)| org);
        check_writable(call, &v.organization, latest).map_err(|e| (i, e))?;
        if let Some(org) = latest.filter(|org| org.valid_to.is_some()) {
            return Err((
                i,
                Error::NotInForce {
                    what: org.name(),
                    date: "today".into(),
                },
            ));
        }
        let Some((org, _)) = history.iter().find(|(p, to)| {
            p.placed_from.as_str() <= admitted.as_str()
                && to.as_deref().is_none_or(|to| to > admitted.as_str())
        }) else {
            return Err((
                i,
                Error::NotInForce {
                    what: org_name(id),
                    date: admitted,
                },
            ));
        };
        if !member_org_kind_ok(org.kind) {
            return Err((
                i,
                Error::BadPlacement(format!(
                    "members are recorded in cells or grassroots organisations, not in a {:?} one",
                    org.kind
                )),
            ));
        }
        if taken.contains(&v.card) || !seen.insert(v.card.as_str()) {
            return Err((i, Error::CardNumberTaken(v.card.clone())));
        }
        checked.push(NewMember {
            id: new_id(),
            valid: v,
            org: org.id.clone(),
            admitted,
            official: v.official.map(dates::to_sql),
        });
    }
    let now = dates::now_micros();
    write_members(conn, &checked, now)
        .await
        .map_err(|e| (0, e))?;
    write_periods(conn, &checked).await.map_err(|e| (0, e))?;
    write_events(conn, &checked, now)
        .await
        .map_err(|e| (0, e))?;
    Ok(checked.iter().map(|m| to_proto(m, now)).collect())
}

/// The rows' card numbers that recorded members already have.
async fn taken_cards(conn: &mut AnyConnection, rows: &[ValidCreate]) -> Result<HashSet<String>> {
    let mut taken = HashSet::new();
    for chunk in rows.chunks(IN_LIST_PARAMETERS) {
        let sql = format!(
            "SELECT party_card_number FROM members WHERE party_card_number IN ({})",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql));
        for v in chunk {
            q = q.bind(&v.card);
        }
        taken.extend(q.fetch_all(&mut *conn).await?.into_iter().map(|(c,)| c));
    }
    Ok(taken)
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
                .bind(status(m) as i64)
                .bind(&m.admitted)
                .bind(m.official.as_deref())
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

/// The member's status once created.
fn status(m: &NewMember<'_>) -> MemberStatus {
    if m.official.is_some() {
        MemberStatus::Official
    } else {
        MemberStatus::Probationary
    }
}

async fn write_periods(conn: &mut AnyConnection, rows: &[NewMember<'_>]) -> Result<()> {
    let periods: Vec<(&NewMember<'_>, MemberStatus, &str, Option<&str>)> = rows
        .iter()
        .flat_map(|m| {
            let probationary = (
                m,
                MemberStatus::Probationary,
                m.admitted.as_str(),
                m.official.as_deref(),
            );
            let official = m
                .official
                .as_deref()
                .map(|o| (m, MemberStatus::Official, o, None));
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
                .bind(*from)
                .bind(*to)
        },
    )
    .await?;
    Ok(())
}

async fn write_events(conn: &mut AnyConnection, rows: &[NewMember<'_>], now: i64) -> Result<()> {
    // (member, seq, kind, date, from organisation, from status, to status)
    type Event<'a> = (
        &'a NewMember<'a>,
        i64,
        MemberEventKind,
        &'a str,
        Option<&'a str>,
        MemberStatus,
        MemberStatus,
    );
    let events: Vec<Event<'_>> = rows
        .iter()
        .flat_map(|m| {
            let admitted = (
                m,
                1,
                MemberEventKind::Admitted,
                m.admitted.as_str(),
                None,
                MemberStatus::Unspecified,
                MemberStatus::Probationary,
            );
            let official = m.official.as_deref().map(|o| {
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
                .bind(*date)
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

/// The created member as the API returns it.
fn to_proto(m: &NewMember<'_>, now: i64) -> Member {
    Member {
        name: member_name(&m.id),
        party_card_number: m.valid.card.clone(),
        full_name: m.valid.full_name.clone(),
        date_of_birth: Some(dates::to_proto(m.valid.dob)),
        gender: m.valid.gender,
        organization: org_name(&m.org),
        admission_date: Some(dates::to_proto(m.valid.admitted)),
        official_date: m.valid.official.map(dates::to_proto),
        status: status(m) as i32,
        head_position: m.valid.head_position.clone(),
        etag: etag(1),
        create_time: Some(dates::timestamp(now)),
        update_time: Some(dates::timestamp(now)),
    }
}
