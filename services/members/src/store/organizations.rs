//! The organisation tree in storage: organisations and their dated
//! placements (parent and materialised path per period).
//!
//! A path is `/root-id/…/own-id/`. The subtree of an organisation on a date
//! is every placement in force that day whose path starts with its path: a
//! range scan `path >= prefix AND path < upper(prefix)`, never a walk.

use std::collections::HashMap;

use probity_platform::bulk::{IN_LIST_PARAMETERS, placeholders};
use probity_proto::probity::members::v1::OrganizationKind;
use sqlx::AnyConnection;

use crate::{
    error::{Error, Result},
    rules::{
        names::{lineage, org_name, upper},
        organizations::{NewOrganization, Placed, check_relocatable},
    },
};

/// The tables an organisation write changes whose statistics the planner
/// needs (PostgreSQL): a tree is built one organisation at a time, and
/// rosters planned while the placements still "had one row" read the whole
/// province for every window of 1,000 members.
pub const TREE_TABLES: &[&str] = &["organizations", "organization_placements"];

/// An organisation with one of its placements.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    /// Id.
    pub id: String,
    /// Unique code.
    pub code: String,
    /// Full name.
    pub display_name: String,
    /// Level (`OrganizationKind`).
    pub kind: i64,
    /// Established on.
    pub valid_from: String,
    /// Dissolved or merged on.
    pub valid_to: Option<String>,
    /// Merged into (id).
    pub merged_into: Option<String>,
    /// Revision, for the etag.
    pub revision: i64,
    /// Created (µs).
    pub create_micros: i64,
    /// Updated (µs).
    pub update_micros: i64,
    /// Parent id in this placement.
    pub parent_id: Option<String>,
    /// Path in this placement.
    pub path: String,
    /// Start of this placement.
    pub placed_from: String,
}

/// The columns [`OrgRow`] reads, for `FROM organizations o JOIN
/// organization_placements p ON p.org_id = o.id`.
pub const ORG_COLUMNS: &str = "o.id, o.code, o.display_name, o.kind, o.valid_from, o.valid_to, \
    o.merged_into, o.revision, o.create_micros, o.update_micros, p.parent_id, p.path, p.valid_from AS placed_from";

/// The join every organisation read starts from.
const ORG_TABLES: &str = "organizations o JOIN organization_placements p ON p.org_id = o.id";

/// SQL condition: placement (or period) `alias` in force on date `$param`.
pub fn in_force(alias: &str, param: usize) -> String {
    format!(
        "{alias}.valid_from <= ${param} AND ({alias}.valid_to IS NULL OR {alias}.valid_to > ${param})"
    )
}

/// SQL condition: placement `p` in the subtree whose path range is bound
/// as `$lo` (the subtree's path) and `$hi` (its upper bound), for lists in
/// tree order (`ORDER BY p.path, …`).
///
/// The bounds are hidden from PostgreSQL's planner (`(SELECT $n)` is
/// evaluated once, after planning). Seeing them, it estimated a national
/// district's range from the path histogram — paths of random ids, which
/// it interpolates badly — at 1 placement (actual 121), joined and sorted
/// all 10,390 members (28 – 88 ms); not seeing them, it takes its default
/// share and walks the path index with an incremental sort that stops
/// after the page (0.8 – 0.95 ms; `docs/benchmarks.md`, issue 13).
pub fn subtree_sql(lo: usize, hi: usize) -> String {
    format!("p.path >= (SELECT ${lo}) AND p.path < (SELECT ${hi})")
}

/// A position in a subtree list kept in tree order — organisations by
/// path, then rows by id — as page-token text `path\nid`. A page of such a
/// list walks the placements' path index and stops after the page,
/// whatever the subtree's size; in id order the whole subtree had to be
/// gathered and sorted for every page (`docs/benchmarks.md`, issue 13).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeKey {
    /// The organisation's path (empty: from the start).
    pub path: String,
    /// The row's id.
    pub id: String,
}

/// A row of a subtree list with the path of its organisation: what
/// [`TreeKey`] is made of.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InTree<T> {
    /// The row.
    #[sqlx(flatten)]
    pub row: T,
    /// Its organisation's path (selected `AS sort_path`).
    pub sort_path: String,
}

impl<T> InTree<T> {
    /// The row and its key, `id` being the row's id in the list's order.
    pub fn keyed(self, id: impl Fn(&T) -> &str) -> (T, String) {
        let key = TreeKey::text(&self.sort_path, id(&self.row));
        (self.row, key)
    }
}

impl TreeKey {
    /// Reads a key written by [`text`](Self::text); empty text is the start.
    pub fn parse(text: &str) -> Self {
        let (path, id) = text.split_once('\n').unwrap_or(("", ""));
        Self {
            path: path.to_string(),
            id: id.to_string(),
        }
    }

    /// The key of the row `id` placed at `path`, as page-token text.
    pub fn text(path: &str, id: &str) -> String {
        format!("{path}\n{id}")
    }

    /// The SQL condition "after the key" for placements `p` and the row id
    /// `id_column`, the key's path and id bound as `$path_param` and
    /// `$id_param`; order the query by `p.path, {id_column}`. The path is
    /// hidden from the planner as in [`subtree_sql`].
    pub fn after_sql(id_column: &str, path_param: usize, id_param: usize) -> String {
        format!(
            "p.path >= (SELECT ${path_param}) AND (p.path > (SELECT ${path_param}) OR {id_column} > ${id_param})"
        )
    }
}

impl OrgRow {
    /// The level.
    pub fn kind(&self) -> OrganizationKind {
        OrganizationKind::try_from(self.kind as i32).unwrap_or(OrganizationKind::Unspecified)
    }

    /// Ids from the root down to and including this organisation.
    pub fn lineage(&self) -> impl Iterator<Item = &str> {
        lineage(&self.path)
    }

    /// The resource name.
    pub fn name(&self) -> String {
        org_name(&self.id)
    }

    /// The organisation as the tree rules see it.
    pub fn placed(&self) -> Placed<'_> {
        Placed {
            id: &self.id,
            kind: self.kind(),
            path: &self.path,
            parent_id: self.parent_id.as_deref(),
            placed_from: &self.placed_from,
            valid_to: self.valid_to.as_deref(),
        }
    }
}

/// The organisation with its latest placement (the open one, or the last
/// one for a dissolved organisation).
pub async fn latest(conn: &mut AnyConnection, id: &str) -> Result<Option<OrgRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORG_COLUMNS} FROM {ORG_TABLES} WHERE o.id = $1 ORDER BY p.valid_from DESC LIMIT 1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// A placement with the day it ended.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DatedPlacement {
    /// The organisation in this placement.
    #[sqlx(flatten)]
    pub org: OrgRow,
    /// The day the placement ended (`None`: still in force).
    pub placed_to: Option<String>,
}

impl DatedPlacement {
    /// Whether this placement was in force on `date` (`YYYY-MM-DD`).
    pub fn in_force_on(&self, date: &str) -> bool {
        self.org.placed_from.as_str() <= date
            && self.placed_to.as_deref().is_none_or(|to| to > date)
    }
}

/// Every placement of the organisation `id`, oldest first (empty: no such
/// organisation): its latest state and its placement on any date from one
/// read, for writes that check both.
pub async fn history(conn: &mut AnyConnection, id: &str) -> Result<Vec<DatedPlacement>> {
    Ok(placements(conn, &[id])
        .await?
        .remove(id)
        .unwrap_or_default())
}

/// Every placement of each of the organisations `ids`, oldest first; an
/// unknown id has no entry.
pub async fn placements(
    conn: &mut AnyConnection,
    ids: &[&str],
) -> Result<HashMap<String, Vec<DatedPlacement>>> {
    let mut out: HashMap<String, Vec<DatedPlacement>> = HashMap::new();
    for chunk in ids.chunks(IN_LIST_PARAMETERS) {
        let mut q = sqlx::query_as::<_, DatedPlacement>(sqlx::AssertSqlSafe(format!(
            "SELECT {ORG_COLUMNS}, p.valid_to AS placed_to FROM {ORG_TABLES} \
             WHERE o.id IN ({}) ORDER BY o.id, p.valid_from",
            placeholders(1, chunk.len())
        )));
        for id in chunk {
            q = q.bind(*id);
        }
        for row in q.fetch_all(&mut *conn).await? {
            out.entry(row.org.id.clone()).or_default().push(row);
        }
    }
    Ok(out)
}

/// The organisation with its placement on `date`, if it existed then.
pub async fn on_date(conn: &mut AnyConnection, id: &str, date: &str) -> Result<Option<OrgRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORG_COLUMNS} FROM {ORG_TABLES} WHERE o.id = $1 AND {}",
        in_force("p", 2)
    )))
    .bind(id)
    .bind(date)
    .fetch_optional(conn)
    .await?)
}

/// Like [`on_date`], but a missing organisation is an error naming it.
pub async fn require_on_date(conn: &mut AnyConnection, id: &str, date: &str) -> Result<OrgRow> {
    on_date(conn, id, date)
        .await?
        .ok_or_else(|| Error::NotInForce {
            what: org_name(id),
            date: date.to_string(),
        })
}

/// Root organisations in force on `date`, after path `after`, in path
/// order, at most `limit`.
pub async fn roots(
    conn: &mut AnyConnection,
    date: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<OrgRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORG_COLUMNS} FROM {ORG_TABLES} WHERE p.parent_id IS NULL AND {} AND p.path > $2 \
         ORDER BY p.path LIMIT $3",
        in_force("p", 1)
    )))
    .bind(date)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The organisations under path `prefix` (not itself) in force on `date`,
/// after path `after`, in path order, at most `limit`.
pub async fn subtree(
    conn: &mut AnyConnection,
    date: &str,
    prefix: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<OrgRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORG_COLUMNS} FROM {ORG_TABLES} WHERE p.path > $2 AND p.path < $3 AND {} AND p.path > $4 \
         ORDER BY p.path LIMIT $5",
        in_force("p", 1)
    )))
    .bind(date)
    .bind(prefix)
    .bind(upper(prefix))
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The organisations under path `prefix`, itself included, in force on
/// `date`, in path order.
pub async fn subtree_with_root(
    conn: &mut AnyConnection,
    date: &str,
    prefix: &str,
) -> Result<Vec<OrgRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORG_COLUMNS} FROM {ORG_TABLES} WHERE p.path >= $2 AND p.path < $3 AND {} ORDER BY p.path",
        in_force("p", 1)
    )))
    .bind(date)
    .bind(prefix)
    .bind(upper(prefix))
    .fetch_all(conn)
    .await?)
}

/// The children of `parent_id` in force on `date`, after path `after`, in
/// path order, at most `limit`.
pub async fn children(
    conn: &mut AnyConnection,
    date: &str,
    parent_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<OrgRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORG_COLUMNS} FROM {ORG_TABLES} WHERE p.parent_id = $2 AND {} AND p.path > $3 \
         ORDER BY p.path LIMIT $4",
        in_force("p", 1)
    )))
    .bind(date)
    .bind(parent_id)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Every child of `parent_id` in force on `date`.
pub async fn all_children(
    conn: &mut AnyConnection,
    date: &str,
    parent_id: &str,
) -> Result<Vec<OrgRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORG_COLUMNS} FROM {ORG_TABLES} WHERE p.parent_id = $2 AND {}",
        in_force("p", 1)
    )))
    .bind(date)
    .bind(parent_id)
    .fetch_all(conn)
    .await?)
}

/// How many placements are in force on `date` inside `prefix`'s subtree,
/// and in all.
pub async fn share_on(conn: &mut AnyConnection, date: &str, prefix: &str) -> Result<(i64, i64)> {
    let (inside, all): (Option<i64>, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT SUM(CASE WHEN p.path >= $2 AND p.path < $3 THEN 1 ELSE 0 END), COUNT(*) \
         FROM organization_placements p WHERE {}",
        in_force("p", 1)
    )))
    .bind(date)
    .bind(prefix)
    .bind(upper(prefix))
    .fetch_one(conn)
    .await?;
    Ok((inside.unwrap_or(0), all))
}

/// Inserts a new organisation and its first placement, at `path` under
/// `parent_id`, at `now`, and returns it as stored (revision 1), without
/// reading it back. A code already used is [`Error::CodeTaken`].
pub async fn insert(
    conn: &mut AnyConnection,
    id: &str,
    org: &NewOrganization,
    parent_id: Option<&str>,
    path: &str,
    now: i64,
) -> Result<OrgRow> {
    let valid_from = probity_platform::dates::to_sql(org.valid_from);
    sqlx::query(
        "INSERT INTO organizations (id, code, display_name, kind, valid_from, valid_to, merged_into, \
         revision, create_micros, update_micros) VALUES ($1, $2, $3, $4, $5, NULL, NULL, 1, $6, $6)",
    )
    .bind(id)
    .bind(&org.code)
    .bind(&org.display_name)
    .bind(org.kind as i64)
    .bind(&valid_from)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(|e| unique_code(e, &org.code))?;
    insert_placement(conn, id, parent_id, path, &valid_from).await?;
    Ok(OrgRow {
        id: id.to_string(),
        code: org.code.clone(),
        display_name: org.display_name.clone(),
        kind: org.kind as i64,
        placed_from: valid_from.clone(),
        valid_from,
        valid_to: None,
        merged_into: None,
        revision: 1,
        create_micros: now,
        update_micros: now,
        parent_id: parent_id.map(str::to_string),
        path: path.to_string(),
    })
}

/// Sets an organisation's code and name, with a new revision.
pub async fn rename(
    conn: &mut AnyConnection,
    id: &str,
    code: &str,
    display_name: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE organizations SET code = $1, display_name = $2, revision = revision + 1, update_micros = $3 \
         WHERE id = $4",
    )
    .bind(code)
    .bind(display_name)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await
    .map_err(|e| unique_code(e, code))?;
    Ok(())
}

/// Marks an organisation changed: new etag, new update time.
pub async fn bump(conn: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE organizations SET revision = revision + 1, update_micros = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends organisation `id` on `date`, merged into `target_id`.
pub async fn end_merged(
    conn: &mut AnyConnection,
    id: &str,
    target_id: &str,
    date: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE organizations SET valid_to = $1, merged_into = $2, revision = revision + 1, update_micros = $3 \
         WHERE id = $4",
    )
    .bind(date)
    .bind(target_id)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

fn unique_code(err: sqlx::Error, code: &str) -> Error {
    if probity_platform::error::is_unique_violation(&err) {
        Error::CodeTaken(code.to_string())
    } else {
        err.into()
    }
}

/// One placement of the subtree being moved.
#[derive(Debug, sqlx::FromRow)]
struct SubtreePlacement {
    org_id: String,
    parent_id: Option<String>,
    path: String,
    valid_from: String,
    valid_to: Option<String>,
}

/// Re-roots the subtree of `root` (its open placement) under `new_parent`
/// from `date` on: every open placement in the subtree is closed on `date`
/// and reopened with the new path. Refused when any placement in the
/// subtree starts after `date` or ends after it (a later change exists).
pub async fn relocate(
    conn: &mut AnyConnection,
    root: &OrgRow,
    new_parent: &OrgRow,
    date: &str,
) -> Result<()> {
    let rows: Vec<SubtreePlacement> = sqlx::query_as(
        "SELECT org_id, parent_id, path, valid_from, valid_to FROM organization_placements \
         WHERE path >= $1 AND path < $2 AND (valid_to IS NULL OR valid_to > $3) ORDER BY path",
    )
    .bind(&root.path)
    .bind(upper(&root.path))
    .bind(date)
    .fetch_all(&mut *conn)
    .await?;
    let new_root_path = format!("{}{}/", new_parent.path, root.id);
    for row in &rows {
        check_relocatable(&row.org_id, &row.valid_from, row.valid_to.is_some(), date)?;
        let new_path = format!("{new_root_path}{}", &row.path[root.path.len()..]);
        let new_parent_id = if row.org_id == root.id {
            Some(new_parent.id.clone())
        } else {
            row.parent_id.clone()
        };
        if row.valid_from == date {
            sqlx::query(
                "UPDATE organization_placements SET parent_id = $1, path = $2, depth = $3 \
                 WHERE org_id = $4 AND valid_from = $5",
            )
            .bind(new_parent_id)
            .bind(&new_path)
            .bind(lineage(&new_path).count() as i64)
            .bind(&row.org_id)
            .bind(&row.valid_from)
            .execute(&mut *conn)
            .await?;
        } else {
            close_placement(conn, &row.org_id, &row.valid_from, date).await?;
            insert_placement(conn, &row.org_id, new_parent_id.as_deref(), &new_path, date).await?;
        }
    }
    Ok(())
}

/// Ends a placement on `date`.
pub async fn close_placement(
    conn: &mut AnyConnection,
    org_id: &str,
    valid_from: &str,
    date: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE organization_placements SET valid_to = $1 WHERE org_id = $2 AND valid_from = $3",
    )
    .bind(date)
    .bind(org_id)
    .bind(valid_from)
    .execute(conn)
    .await?;
    Ok(())
}

/// Opens a placement from `date`.
pub async fn insert_placement(
    conn: &mut AnyConnection,
    org_id: &str,
    parent_id: Option<&str>,
    path: &str,
    date: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO organization_placements (org_id, parent_id, path, depth, valid_from, valid_to) \
         VALUES ($1, $2, $3, $4, $5, NULL)",
    )
    .bind(org_id)
    .bind(parent_id)
    .bind(path)
    .bind(lineage(path).count() as i64)
    .bind(date)
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tree_key_tests {
    use super::TreeKey;

    #[test]
    fn a_tree_key_reads_back_what_it_wrote() {
        let text = TreeKey::text("/a/b/", "0190");
        assert_eq!(
            TreeKey::parse(&text),
            TreeKey {
                path: "/a/b/".into(),
                id: "0190".into()
            }
        );
        assert_eq!(TreeKey::parse(""), TreeKey::default());
        assert_eq!(
            TreeKey::after_sql("m.id", 5, 6),
            "p.path >= (SELECT $5) AND (p.path > (SELECT $5) OR m.id > $6)"
        );
    }
}
