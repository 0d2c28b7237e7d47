//! The parts of a case kept in their own tables: intakes, subjects,
//! handling agencies and links to other cases.

use std::collections::HashMap;

use probity_platform::bulk::{IN_LIST_PARAMETERS, placeholders};
use sqlx::AnyConnection;

use crate::error::Result;

/// An intake as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IntakeRow {
    /// `CaseOrigin`.
    pub origin: i64,
    /// The source's reference.
    pub origin_reference: String,
    /// The day received (ISO).
    pub received_date: String,
    /// What it says.
    pub summary: String,
}

/// A subject as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SubjectRow {
    /// The member's id; empty for an outsider.
    pub member_id: String,
    /// Full name (a member's as members gave it when recorded).
    pub full_name: String,
    /// Position.
    pub position: String,
}

/// Everything of a case beside its row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parts {
    /// Intakes, first first.
    pub intakes: Vec<IntakeRow>,
    /// Subjects, in the order given.
    pub subjects: Vec<SubjectRow>,
    /// Handling agencies' ids, in the order added.
    pub agency_ids: Vec<String>,
    /// Linked cases' ids.
    pub linked_ids: Vec<String>,
}

/// Reads a case's parts.
pub async fn load(conn: &mut AnyConnection, case_id: &str) -> Result<Parts> {
    let intakes = sqlx::query_as(
        "SELECT origin, origin_reference, received_date, summary FROM case_intakes \
         WHERE case_id = $1 ORDER BY seq",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?;
    let subjects = sqlx::query_as(
        "SELECT member_id, full_name, position FROM case_subjects WHERE case_id = $1 ORDER BY seq",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?;
    let agencies: Vec<(String,)> =
        sqlx::query_as("SELECT agency_id FROM case_agencies WHERE case_id = $1 ORDER BY seq")
            .bind(case_id)
            .fetch_all(&mut *conn)
            .await?;
    let links: Vec<(String,)> =
        sqlx::query_as("SELECT other_id FROM case_links WHERE case_id = $1 ORDER BY other_id")
            .bind(case_id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(Parts {
        intakes,
        subjects,
        agency_ids: agencies.into_iter().map(|(id,)| id).collect(),
        linked_ids: links.into_iter().map(|(id,)| id).collect(),
    })
}

/// A part of some case, with the case's id.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Keyed<T> {
    case_id: String,
    #[sqlx(flatten)]
    part: T,
}

/// One column of a case's part, with the case's id.
#[derive(Debug, Clone, sqlx::FromRow)]
struct KeyedId {
    case_id: String,
    other: String,
}

/// Reads the parts of many cases at once: four queries per 120 cases
/// instead of four per case (a list page).
pub async fn load_many(conn: &mut AnyConnection, ids: &[String]) -> Result<HashMap<String, Parts>> {
    let mut out: HashMap<String, Parts> = ids
        .iter()
        .map(|id| (id.clone(), Parts::default()))
        .collect();
    for chunk in ids.chunks(IN_LIST_PARAMETERS) {
        let list = placeholders(1, chunk.len());
        let mut q = sqlx::query_as::<_, Keyed<IntakeRow>>(sqlx::AssertSqlSafe(format!(
            "SELECT case_id, origin, origin_reference, received_date, summary FROM case_intakes \
             WHERE case_id IN ({list}) ORDER BY case_id, seq"
        )));
        for id in chunk {
            q = q.bind(id);
        }
        let intakes = q.fetch_all(&mut *conn).await?;
        for k in intakes {
            out.entry(k.case_id).or_default().intakes.push(k.part);
        }
        let mut q = sqlx::query_as::<_, Keyed<SubjectRow>>(sqlx::AssertSqlSafe(format!(
            "SELECT case_id, member_id, full_name, position FROM case_subjects \
             WHERE case_id IN ({list}) ORDER BY case_id, seq"
        )));
        for id in chunk {
            q = q.bind(id);
        }
        for k in q.fetch_all(&mut *conn).await? {
            out.entry(k.case_id).or_default().subjects.push(k.part);
        }
        let mut q = sqlx::query_as::<_, KeyedId>(sqlx::AssertSqlSafe(format!(
            "SELECT case_id, agency_id AS other FROM case_agencies \
             WHERE case_id IN ({list}) ORDER BY case_id, seq"
        )));
        for id in chunk {
            q = q.bind(id);
        }
        for k in q.fetch_all(&mut *conn).await? {
            out.entry(k.case_id).or_default().agency_ids.push(k.other);
        }
        let mut q = sqlx::query_as::<_, KeyedId>(sqlx::AssertSqlSafe(format!(
            "SELECT case_id, other_id AS other FROM case_links \
             WHERE case_id IN ({list}) ORDER BY case_id, other_id"
        )));
        for id in chunk {
            q = q.bind(id);
        }
        for k in q.fetch_all(&mut *conn).await? {
            out.entry(k.case_id).or_default().linked_ids.push(k.other);
        }
    }
    Ok(out)
}

/// Adds an intake to a case, after its others.
pub async fn add_intake(conn: &mut AnyConnection, case_id: &str, i: &IntakeRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO case_intakes (case_id, seq, origin, origin_reference, received_date, summary) \
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5 FROM case_intakes WHERE case_id = $1",
    )
    .bind(case_id)
    .bind(i.origin)
    .bind(&i.origin_reference)
    .bind(&i.received_date)
    .bind(&i.summary)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a new case's subjects.
pub async fn insert_subjects(
    conn: &mut AnyConnection,
    case_id: &str,
    subjects: &[SubjectRow],
) -> Result<()> {
    for (seq, s) in subjects.iter().enumerate() {
        sqlx::query(
            "INSERT INTO case_subjects (case_id, seq, member_id, full_name, position) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(case_id)
        .bind(seq as i64 + 1)
        .bind(&s.member_id)
        .bind(&s.full_name)
        .bind(&s.position)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Adds handling agencies to a case, after those it has (`present`),
/// skipping those among them.
pub async fn add_agencies(
    conn: &mut AnyConnection,
    case_id: &str,
    present: &[String],
    agency_ids: &[String],
) -> Result<()> {
    let mut seq = present.len() as i64;
    for id in agency_ids.iter().filter(|id| !present.contains(id)) {
        seq += 1;
        sqlx::query("INSERT INTO case_agencies (case_id, seq, agency_id) VALUES ($1, $2, $3)")
            .bind(case_id)
            .bind(seq)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Links a case with others, both ways (a link already there stays).
pub async fn link(conn: &mut AnyConnection, case_id: &str, others: &[String]) -> Result<()> {
    for other in others {
        for (a, b) in [(case_id, other.as_str()), (other.as_str(), case_id)] {
            sqlx::query(
                "INSERT INTO case_links (case_id, other_id) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(a)
            .bind(b)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}
