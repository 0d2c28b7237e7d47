//! Reviews and their dated rules in storage (the rules in the platform's
//! store of dated, cited rules, family [`RULE_FAMILY`]).

use probity_platform::dated_rules::{self, AddError, DatedRule};
use probity_proto::probity::members::v1::{Grade, ReviewRuleKind, ReviewStage};
use sqlx::AnyConnection;

use super::organizations::{InTree, TreeKey, in_force, subtree_sql};
use crate::{
    error::{Error, Result},
    rules::{names::upper, reviews::NewRule},
};

/// A review as stored: one row per member and year, with each step's
/// grade, comment, author and time.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReviewRow {
    /// The member's id.
    pub member_id: String,
    /// The year.
    pub year: i64,
    /// The member's organisation (at the decision, once decided).
    pub organization_id: String,
    /// `ReviewStage`.
    pub stage: i64,
    /// Self-assessed `Grade`.
    pub self_grade: Option<i64>,
    /// Self-assessment comment.
    pub self_comment: Option<String>,
    /// Who self-assessed.
    pub self_author: Option<String>,
    /// When (µs).
    pub self_micros: Option<i64>,
    /// Proposed `Grade`.
    pub proposed_grade: Option<i64>,
    /// The cell's comment.
    pub proposal_comment: Option<String>,
    /// Who proposed.
    pub proposal_author: Option<String>,
    /// When (µs).
    pub proposal_micros: Option<i64>,
    /// Decided `Grade`.
    pub decided_grade: Option<i64>,
    /// The decision's comment.
    pub decision_comment: Option<String>,
    /// Who decided.
    pub decision_author: Option<String>,
    /// When (µs).
    pub decision_micros: Option<i64>,
    /// The decision's date (ISO).
    pub decision_date: Option<String>,
    /// Revision, for the etag.
    pub revision: i64,
}

impl ReviewRow {
    /// The review's stage.
    pub fn stage(&self) -> ReviewStage {
        ReviewStage::try_from(self.stage as i32).unwrap_or(ReviewStage::Unspecified)
    }
}

const REVIEW_COLUMNS: &str = "r.member_id, r.year, r.organization_id, r.stage, r.self_grade, r.self_comment, \
    r.self_author, r.self_micros, r.proposed_grade, r.proposal_comment, r.proposal_author, r.proposal_micros, \
    r.decided_grade, r.decision_comment, r.decision_author, r.decision_micros, r.decision_date, r.revision";

/// The review of member `member_id` for `year`.
pub async fn load(
    conn: &mut AnyConnection,
    member_id: &str,
    year: i32,
) -> Result<Option<ReviewRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REVIEW_COLUMNS} FROM reviews r WHERE r.member_id = $1 AND r.year = $2"
    )))
    .bind(member_id)
    .bind(i64::from(year))
    .fetch_optional(conn)
    .await?)
}

/// One step of a review: who graded what, with which comment, when.
pub struct Step<'a> {
    /// The grade.
    pub grade: Grade,
    /// The comment, tidied.
    pub comment: &'a str,
    /// Who.
    pub author: &'a str,
    /// When (µs).
    pub micros: i64,
}

/// Opens the review of `member_id` for `year` with its self-assessment.
pub async fn open(
    conn: &mut AnyConnection,
    member_id: &str,
    year: i32,
    organization_id: &str,
    step: &Step<'_>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO reviews (member_id, year, organization_id, stage, self_grade, self_comment, self_author, \
         self_micros, revision) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)",
    )
    .bind(member_id)
    .bind(i64::from(year))
    .bind(organization_id)
    .bind(ReviewStage::SelfAssessed as i64)
    .bind(step.grade as i64)
    .bind(step.comment)
    .bind(step.author)
    .bind(step.micros)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the cell's proposal.
pub async fn propose(
    conn: &mut AnyConnection,
    member_id: &str,
    year: i32,
    step: &Step<'_>,
) -> Result<()> {
    sqlx::query(
        "UPDATE reviews SET stage = $1, proposed_grade = $2, proposal_comment = $3, proposal_author = $4, \
         proposal_micros = $5, revision = revision + 1 WHERE member_id = $6 AND year = $7",
    )
    .bind(ReviewStage::Proposed as i64)
    .bind(step.grade as i64)
    .bind(step.comment)
    .bind(step.author)
    .bind(step.micros)
    .bind(member_id)
    .bind(i64::from(year))
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the decision, dated `date`, in `organization_id`.
pub async fn decide(
    conn: &mut AnyConnection,
    member_id: &str,
    year: i32,
    step: &Step<'_>,
    date: &str,
    organization_id: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE reviews SET stage = $1, decided_grade = $2, decision_comment = $3, decision_author = $4, \
         decision_micros = $5, decision_date = $6, organization_id = $7, revision = revision + 1 \
         WHERE member_id = $8 AND year = $9",
    )
    .bind(ReviewStage::Decided as i64)
    .bind(step.grade as i64)
    .bind(step.comment)
    .bind(step.author)
    .bind(step.micros)
    .bind(date)
    .bind(organization_id)
    .bind(member_id)
    .bind(i64::from(year))
    .execute(conn)
    .await?;
    Ok(())
}

/// How many other members of `organization_id` are decided excellent and
/// good in `year`: `(excellent, good)`.
pub async fn excellent_and_good(
    conn: &mut AnyConnection,
    organization_id: &str,
    year: i32,
    except_member: &str,
) -> Result<(i64, i64)> {
    let counts: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT decided_grade, COUNT(*) AS n FROM reviews WHERE organization_id = $1 AND year = $2 \
         AND member_id <> $3 AND decided_grade IN ($4, $5) GROUP BY decided_grade",
    )
    .bind(organization_id)
    .bind(i64::from(year))
    .bind(except_member)
    .bind(Grade::Excellent as i64)
    .bind(Grade::Good as i64)
    .fetch_all(conn)
    .await?;
    let mut out = (0, 0);
    for (grade, n) in counts {
        if grade == Grade::Excellent as i64 {
            out.0 += n;
        } else {
            out.1 += n;
        }
    }
    Ok(out)
}

/// One page of the reviews of `year` in the subtree at `prefix` on `date`,
/// optionally of one decided grade, in tree order after the key `after`
/// ([`TreeKey`] over the member id), each with its key.
pub async fn list(
    conn: &mut AnyConnection,
    date: &str,
    prefix: &str,
    year: i32,
    decided: Option<Grade>,
    after: &str,
    limit: i64,
) -> Result<Vec<(ReviewRow, String)>> {
    let after = TreeKey::parse(after);
    let rows: Vec<InTree<ReviewRow>> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REVIEW_COLUMNS}, p.path AS sort_path FROM reviews r \
         JOIN organization_placements p ON p.org_id = r.organization_id AND {} \
         WHERE {} AND r.year = $4 AND ($5 = 0 OR r.decided_grade = $5) \
         AND {} ORDER BY p.path, r.member_id LIMIT $8",
        in_force("p", 1),
        subtree_sql(2, 3),
        TreeKey::after_sql("r.member_id", 6, 7),
    )))
    .bind(date)
    .bind(prefix)
    .bind(upper(prefix))
    .bind(i64::from(year))
    .bind(decided.map_or(0, |g| g as i64))
    .bind(&after.path)
    .bind(&after.id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| r.keyed(|r| &r.member_id))
        .collect())
}

/// Decided reviews of `year` per organisation and grade in the subtree at
/// `prefix` on `date`: `(organisation id, grade, count)`.
pub async fn decided_counts(
    conn: &mut AnyConnection,
    date: &str,
    prefix: &str,
    year: i32,
) -> Result<Vec<(String, i64, i64)>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT r.organization_id, r.decided_grade, COUNT(*) AS n FROM reviews r \
         JOIN organization_placements p ON p.org_id = r.organization_id AND {} \
         WHERE p.path >= $2 AND p.path < $3 AND r.year = $4 AND r.decided_grade IS NOT NULL \
         GROUP BY r.organization_id, r.decided_grade",
        in_force("p", 1)
    )))
    .bind(date)
    .bind(prefix)
    .bind(upper(prefix))
    .bind(i64::from(year))
    .fetch_all(conn)
    .await?)
}

/// A version of a review rule as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RuleRow {
    /// Id.
    pub id: String,
    /// `ReviewRuleKind`.
    pub kind: i64,
    /// A quota's share.
    pub percent: i64,
    /// A cap's `Grade`.
    pub cap: i64,
    /// From when it applies (ISO).
    pub valid_from: String,
    /// The document that sets it.
    pub citation: String,
    /// Recorded (µs).
    pub create_micros: i64,
}

/// The family of review rules in the platform's rule store.
pub const RULE_FAMILY: &str = "review";

impl From<DatedRule> for RuleRow {
    fn from(r: DatedRule) -> Self {
        let quota = r.kind == ReviewRuleKind::ExcellentQuota as i64;
        Self {
            id: r.id,
            kind: r.kind,
            percent: if quota { r.value } else { 0 },
            cap: if quota { 0 } else { r.value },
            valid_from: r.valid_from,
            citation: r.citation,
            create_micros: r.create_micros,
        }
    }
}

/// The version of a rule in force on `date`.
pub async fn rule_on(
    conn: &mut AnyConnection,
    kind: ReviewRuleKind,
    date: &str,
) -> Result<Option<RuleRow>> {
    Ok(dated_rules::in_force(conn, RULE_FAMILY, kind as i64, date)
        .await?
        .map(RuleRow::from))
}

/// Every version of every rule, by kind and date.
pub async fn rules(conn: &mut AnyConnection) -> Result<Vec<RuleRow>> {
    Ok(dated_rules::book(conn, RULE_FAMILY)
        .await?
        .0
        .into_iter()
        .map(RuleRow::from)
        .collect())
}

/// Adds a rule version; another version of the same rule starting the
/// same day is `RULE_VERSION_EXISTS`.
pub async fn insert_rule(
    conn: &mut AnyConnection,
    id: &str,
    rule: &NewRule,
    now: i64,
) -> Result<RuleRow> {
    let from = probity_platform::dates::to_sql(rule.valid_from);
    let row = DatedRule {
        family: RULE_FAMILY.into(),
        kind: rule.kind as i64,
        valid_from: from.clone(),
        value: if rule.kind == ReviewRuleKind::ExcellentQuota {
            rule.percent
        } else {
            rule.cap
        },
        citation: rule.citation.clone(),
        id: id.to_string(),
        create_micros: now,
    };
    dated_rules::add(conn, &row).await.map_err(|e| match e {
        AddError::VersionExists => Error::exists(
            probity_proto::probity::members::v1::ErrorReason::RuleVersionExists,
            format!("a version of this rule already starts on {from}"),
        ),
        AddError::Api(e) => e.into(),
    })?;
    Ok(row.into())
}
