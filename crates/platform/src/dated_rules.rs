//! Dated, cited rules: the thresholds, quotas, caps and time limits that
//! change by law. A rule is a `(family, kind)` — members' review rules,
//! declaration rules, oversight's stage limits — and each version of it a
//! value from a day on, with the document that sets it; the version in
//! force on a date is the latest one starting on or before it. Every
//! service keeps its rules in its own `dated_rules` table (a platform
//! migration) through this module, so a rule is looked up, listed and
//! added the same way everywhere.

use sqlx::AnyConnection;

use crate::error::{ApiError, is_unique_violation};

/// One version of a rule.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DatedRule {
    /// The family of rules (`review`, `declaration`, `case_stage`, …).
    pub family: String,
    /// Which rule of the family (the family's enum value).
    pub kind: i64,
    /// The first day it is in force (ISO `YYYY-MM-DD`).
    pub valid_from: String,
    /// Its value: a share in percent, a grade, days, an amount in VND —
    /// the family says which.
    pub value: i64,
    /// The document that sets it (a law's article, a decision).
    pub citation: String,
    /// Its id, unique in the family.
    pub id: String,
    /// When it was recorded (µs; 0 for versions shipped with the schema).
    pub create_micros: i64,
}

/// Every version of one family's rules, for pure lookups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleBook(pub Vec<DatedRule>);

impl RuleBook {
    /// The version of `kind` in force on `date` (ISO): the latest starting
    /// on or before it; `None` before its first version.
    pub fn in_force(&self, kind: i64, date: &str) -> Option<&DatedRule> {
        self.0
            .iter()
            .filter(|r| r.kind == kind && r.valid_from.as_str() <= date)
            .max_by(|a, b| a.valid_from.cmp(&b.valid_from))
    }

    /// The first version of `kind`.
    pub fn first(&self, kind: i64) -> Option<&DatedRule> {
        self.0
            .iter()
            .filter(|r| r.kind == kind)
            .min_by(|a, b| a.valid_from.cmp(&b.valid_from))
    }
}

/// The columns of [`DatedRule`].
const COLUMNS: &str = "family, kind, valid_from, value, citation, id, create_micros";

/// Every version of `family`'s rules, by kind and date.
pub async fn book(conn: &mut AnyConnection, family: &str) -> Result<RuleBook, ApiError> {
    Ok(RuleBook(
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM dated_rules WHERE family = $1 ORDER BY kind, valid_from"
        )))
        .bind(family)
        .fetch_all(conn)
        .await?,
    ))
}

/// The version of `family`'s rule `kind` in force on `date` (ISO).
pub async fn in_force(
    conn: &mut AnyConnection,
    family: &str,
    kind: i64,
    date: &str,
) -> Result<Option<DatedRule>, ApiError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM dated_rules WHERE family = $1 AND kind = $2 AND valid_from <= $3 \
         ORDER BY valid_from DESC LIMIT 1"
    )))
    .bind(family)
    .bind(kind)
    .bind(date)
    .fetch_optional(conn)
    .await?)
}

/// Why a version could not be added.
#[derive(Debug)]
pub enum AddError {
    /// A version of the same rule already starts that day.
    VersionExists,
    /// The database failed.
    Api(ApiError),
}

/// Adds a version of a rule.
pub async fn add(conn: &mut AnyConnection, rule: &DatedRule) -> Result<(), AddError> {
    sqlx::query(
        "INSERT INTO dated_rules (family, kind, valid_from, value, citation, id, create_micros) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&rule.family)
    .bind(rule.kind)
    .bind(&rule.valid_from)
    .bind(rule.value)
    .bind(&rule.citation)
    .bind(&rule.id)
    .bind(rule.create_micros)
    .execute(conn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AddError::VersionExists
        } else {
            AddError::Api(e.into())
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{DatedRule, RuleBook};

    fn rule(kind: i64, from: &str, value: i64) -> DatedRule {
        DatedRule {
            family: "declaration".into(),
            kind,
            valid_from: from.into(),
            value,
            citation: format!("rule {kind} from {from}"),
            id: format!("{kind}-{from}"),
            create_micros: 0,
        }
    }

    fn book() -> RuleBook {
        RuleBook(vec![
            rule(1, "2019-07-01", 50_000_000),
            rule(1, "2026-07-01", 150_000_000),
            rule(2, "2019-07-01", 7),
        ])
    }

    #[test]
    fn the_version_in_force_is_the_latest_started() {
        let b = book();
        assert_eq!(b.in_force(1, "2026-06-30").unwrap().value, 50_000_000);
        assert_eq!(b.in_force(1, "2026-07-01").unwrap().value, 150_000_000);
        assert_eq!(b.in_force(2, "2030-01-01").unwrap().value, 7);
    }

    #[test]
    fn before_the_first_version_none_is_in_force() {
        let b = book();
        assert!(b.in_force(1, "2019-06-30").is_none());
        assert_eq!(b.first(1).unwrap().valid_from, "2019-07-01");
        assert!(b.in_force(3, "2026-01-01").is_none());
        assert!(b.first(3).is_none());
    }
}
