//! The organisation tree in storage: organisations and their dated
//! placements (parent and materialised path per period).
//!
//! A path is `/root-id/…/own-id/`. The subtree of an organisation on a date
//! is every placement in force that day whose path starts with its path: a
//! range scan `path >= prefix AND path < upper(prefix)`, never a walk.

use std::collections::HashMap;

use probity_platform::{ApiError, dates, resource::etag};
use probity_proto::probity::members::v1::{Organization, OrganizationKind};
use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::error::{Error, Result};

/// An organisation with one of its placements.
#[derive(Debug, Clone)]
pub struct OrgRow {
    /// Id.
    pub id: String,
    /// Unique code.
    pub code: String,
    /// Full name.
    pub display_name: String,
    /// Level.
    pub kind: OrganizationKind,
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

/// The columns [`OrgRow::from_row`] reads, for `FROM organizations o JOIN
/// organization_placements p ON p.org_id = o.id`.
pub const ORG_COLUMNS: &str = "o.id, o.code, o.display_name, o.kind, o.valid_from, o.valid_to, \
    o.merged_into, o.revision, o.create_micros, o.update_micros, p.parent_id, p.path, p.valid_from AS placed_from";

/// SQL condition: placement `p` in force on date `$N`.
pub fn in_force(alias: &str, param: usize) -> String {
    format!(
        "{alias}.valid_from <= ${param} AND ({alias}.valid_to IS NULL OR {alias}.valid_to > ${param})"
    )
}

impl OrgRow {
    /// Reads a row selected with [`ORG_COLUMNS`].
    pub fn from_row(row: &AnyRow) -> Result<Self> {
        let kind: i64 = row.try_get("kind")?;
        Ok(Self {
            id: row.try_get("id")?,
            code: row.try_get("code")?,
            display_name: row.try_get("display_name")?,
            kind: OrganizationKind::try_from(kind as i32).unwrap_or(OrganizationKind::Unspecified),
            valid_from: row.try_get("valid_from")?,
            valid_to: row.try_get("valid_to")?,
            merged_into: row.try_get("merged_into")?,
            revision: row.try_get("revision")?,
            create_micros: row.try_get("create_micros")?,
            update_micros: row.try_get("update_micros")?,
            parent_id: row.try_get("parent_id")?,
            path: row.try_get("path")?,
            placed_from: row.try_get("placed_from")?,
        })
    }

    /// Ids from the root down to and including this organisation.
    pub fn lineage(&self) -> impl Iterator<Item = &str> {
        lineage(&self.path)
    }

    /// The resource name.
    pub fn name(&self) -> String {
        org_name(&self.id)
    }

    /// The wire form.
    pub fn to_proto(&self) -> Result<Organization, ApiError> {
        let ancestors: Vec<String> = self
            .lineage()
            .filter(|id| *id != self.id)
            .map(org_name)
            .collect();
        Ok(Organization {
            name: self.name(),
            code: self.code.clone(),
            display_name: self.display_name.clone(),
            kind: self.kind as i32,
            parent: self.parent_id.as_deref().map(org_name).unwrap_or_default(),
            ancestors,
            valid_from: Some(dates::sql_to_proto(&self.valid_from)?),
            valid_to: self
                .valid_to
                .as_deref()
                .map(dates::sql_to_proto)
                .transpose()?,
            merged_into: self
                .merged_into
                .as_deref()
                .map(org_name)
                .unwrap_or_default(),
            etag: etag(self.revision),
            create_time: Some(dates::timestamp(self.create_micros)),
            update_time: Some(dates::timestamp(self.update_micros)),
        })
    }
}

/// `organizations/{id}`.
pub fn org_name(id: &str) -> String {
    format!("organizations/{id}")
}

/// The ids in a path, root first.
pub fn lineage(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// The smallest string greater than every path under `prefix`: the
/// platform's [`path_upper`](probity_platform::resource::path_upper).
pub use probity_platform::resource::path_upper as upper;

/// The rank of a level: a child's rank must be greater than its parent's.
pub fn rank(kind: OrganizationKind) -> u8 {
    match kind {
        OrganizationKind::Unspecified => 0,
        OrganizationKind::Province => 1,
        OrganizationKind::District | OrganizationKind::DirectCommittee => 2,
        OrganizationKind::Grassroots => 3,
        OrganizationKind::Partial => 4,
        OrganizationKind::Cell => 5,
    }
}

/// The organisation with its latest placement (the open one, or the last
/// one for a dissolved organisation).
pub async fn latest(conn: &mut AnyConnection, id: &str) -> Result<Option<OrgRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ORG_COLUMNS} FROM organizations o JOIN organization_placements p ON p.org_id = o.id \
         WHERE o.id = $1 ORDER BY p.valid_from DESC LIMIT 1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(OrgRow::from_row).transpose()
}

/// Every placement of each of the organisations `ids`, oldest first, each
/// with the day it ended (`None`: still in force); an unknown id has no
/// entry.
pub async fn placements(
    conn: &mut AnyConnection,
    ids: &[&str],
) -> Result<HashMap<String, Vec<(OrgRow, Option<String>)>>> {
    let mut out: HashMap<String, Vec<(OrgRow, Option<String>)>> = HashMap::new();
    for chunk in ids.chunks(probity_platform::bulk::IN_LIST_PARAMETERS) {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ORG_COLUMNS}, p.valid_to AS placed_to FROM organizations o \
             JOIN organization_placements p ON p.org_id = o.id WHERE o.id IN ({}) ORDER BY o.id, p.valid_from",
            probity_platform::bulk::placeholders(1, chunk.len())
        )));
        for id in chunk {
            q = q.bind(*id);
        }
        for row in q.fetch_all(&mut *conn).await? {
            let org = OrgRow::from_row(&row)?;
            out.entry(org.id.clone())
                .or_default()
                .push((org, row.try_get("placed_to")?));
        }
    }
    Ok(out)
}

/// The organisation with its placement on `date`, if it existed then.
pub async fn on_date(conn: &mut AnyConnection, id: &str, date: &str) -> Result<Option<OrgRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ORG_COLUMNS} FROM organizations o JOIN organization_placements p ON p.org_id = o.id \
         WHERE o.id = $1 AND {}",
        in_force("p", 2)
    )))
    .bind(id)
    .bind(date)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(OrgRow::from_row).transpose()
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
    let rows = sqlx::query(
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
        let org_id: String = row.try_get("org_id")?;
        let parent_id: Option<String> = row.try_get("parent_id")?;
        let path: String = row.try_get("path")?;
        let valid_from: String = row.try_get("valid_from")?;
        let valid_to: Option<String> = row.try_get("valid_to")?;
        if valid_from.as_str() > date || valid_to.is_some() {
            return Err(Error::OutOfOrder(format!(
                "{} has a placement change on or after {date}; record changes in date order",
                org_name(&org_id)
            )));
        }
        let new_path = format!("{new_root_path}{}", &path[root.path.len()..]);
        let new_parent_id = if org_id == root.id {
            Some(new_parent.id.clone())
        } else {
            parent_id
        };
        let depth = lineage(&new_path).count() as i64;
        if valid_from == date {
            sqlx::query(
                "UPDATE organization_placements SET parent_id = $1, path = $2, depth = $3 \
                 WHERE org_id = $4 AND valid_from = $5",
            )
            .bind(new_parent_id)
            .bind(&new_path)
            .bind(depth)
            .bind(&org_id)
            .bind(&valid_from)
            .execute(&mut *conn)
            .await?;
        } else {
            close_placement(conn, &org_id, &valid_from, date).await?;
            insert_placement(conn, &org_id, new_parent_id.as_deref(), &new_path, date).await?;
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
mod tests {
    use super::*;

    #[test]
    fn upper_bounds_a_prefix() {
        let p = "/a/b/";
        let u = upper(p);
        assert!("/a/b/c/" < u.as_str() && "/a/b/" < u.as_str());
        assert!("/a/b0/" >= u.as_str());
        assert!(
            "/a/ba/" > u.as_str(),
            "siblings sharing a prefix are outside"
        );
        assert_eq!(lineage("/a/b/c/").collect::<Vec<_>>(), vec!["a", "b", "c"]);
    }
}
