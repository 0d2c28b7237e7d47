//! `probity.members.v1.ReviewService`: annual review and classification.

use std::collections::HashMap;

use probity_platform::{
    ApiError, Call, Database, Violations,
    auth::ROLE_ADMIN,
    dates,
    pagination::PageRequest,
    resource::{check_etag, etag, new_id},
    unary,
};
use probity_proto::probity::members::v1::{
    BookEntryKind, CommitmentOutcome, CreateReviewRuleRequest, DecideGradeRequest,
    GetReviewEvidenceRequest, GetReviewRequest, GetReviewStatisticsRequest,
    GetReviewStatisticsResponse, Grade, ListReviewRulesRequest, ListReviewRulesResponse,
    ListReviewsRequest, ListReviewsResponse, OrganizationGrades, ProposeGradeRequest, Review,
    ReviewEvidence, ReviewRule, ReviewRuleKind, ReviewStage, ReviewStep,
    SubmitSelfAssessmentRequest, review_service_server::ReviewService,
};
use sqlx::{AnyConnection, Row, any::AnyRow};
use tonic::{Request, Response, Status};

use crate::{
    books::{ENTRY_COLUMNS, current_submitted, load_entries, reference_date, validate_year},
    error::Result,
    members::{member_name, visible_member, writable_member},
    organizations::subtree_on,
    peers::Peers,
    roster,
    tree::{self, in_force, org_name},
};

const MAX_COMMENT: usize = 4000;

/// `ReviewService` over one database and the other services.
#[derive(Debug, Clone)]
pub struct Reviews {
    db: Database,
    peers: Peers,
}

fn grade_words(g: Grade) -> &'static str {
    match g {
        Grade::Unspecified => "no grade",
        Grade::Excellent => "excellent",
        Grade::Good => "good",
        Grade::Complete => "complete",
        Grade::Incomplete => "incomplete",
    }
}

fn grade_of(field: &str, value: i32) -> Result<Grade, ApiError> {
    match Grade::try_from(value) {
        Ok(Grade::Unspecified) | Err(_) => Err(ApiError::invalid(
            field,
            "required: excellent, good, complete or incomplete",
        )),
        Ok(g) => Ok(g),
    }
}

/// `(member id, year)` from `members/{m}/reviews/{year}`.
fn parse_review_name(name: &str) -> Result<(String, i32), ApiError> {
    let parts: Vec<&str> = name.split('/').collect();
    match parts.as_slice() {
        ["members", m, "reviews", y] if probity_platform::resource::is_id(m) => {
            let year: i32 = y
                .parse()
                .map_err(|_| ApiError::invalid("name", "the year must be a number"))?;
            validate_year("name", year)?;
            Ok((m.to_string(), year))
        }
        [] | [""] => Err(ApiError::invalid("name", "required")),
        _ => Err(ApiError::invalid(
            "name",
            "must be members/{member}/reviews/{year}",
        )),
    }
}

const REVIEW_COLUMNS: &str = "r.member_id, r.year, r.organization_id, r.stage, r.self_grade, r.self_comment, \
    r.self_author, r.self_micros, r.proposed_grade, r.proposal_comment, r.proposal_author, r.proposal_micros, \
    r.decided_grade, r.decision_comment, r.decision_author, r.decision_micros, r.decision_date, r.revision";

fn step(
    row: &AnyRow,
    grade: &str,
    comment: &str,
    author: &str,
    micros: &str,
) -> Result<Option<ReviewStep>, sqlx::Error> {
    let g: Option<i64> = row.try_get(grade)?;
    let Some(g) = g else { return Ok(None) };
    Ok(Some(ReviewStep {
        grade: g as i32,
        comment: row
            .try_get::<Option<String>, _>(comment)?
            .unwrap_or_default(),
        author: row
            .try_get::<Option<String>, _>(author)?
            .unwrap_or_default(),
        time: row.try_get::<Option<i64>, _>(micros)?.map(dates::timestamp),
    }))
}

fn review_from_row(row: &AnyRow) -> Result<Review> {
    let member: String = row.try_get("member_id")?;
    let year = row.try_get::<i64, _>("year")? as i32;
    let org: String = row.try_get("organization_id")?;
    let date: Option<String> = row.try_get("decision_date")?;
    Ok(Review {
        name: format!("members/{member}/reviews/{year}"),
        member: member_name(&member),
        year,
        organization: org_name(&org),
        stage: row.try_get::<i64, _>("stage")? as i32,
        self_assessment: step(
            row,
            "self_grade",
            "self_comment",
            "self_author",
            "self_micros",
        )?,
        proposal: step(
            row,
            "proposed_grade",
            "proposal_comment",
            "proposal_author",
            "proposal_micros",
        )?,
        decision: step(
            row,
            "decided_grade",
            "decision_comment",
            "decision_author",
            "decision_micros",
        )?,
        decision_date: date.as_deref().map(dates::sql_to_proto).transpose()?,
        etag: etag(row.try_get("revision")?),
    })
}

async fn load(
    conn: &mut AnyConnection,
    member_id: &str,
    year: i32,
) -> Result<Option<(Review, i64)>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {REVIEW_COLUMNS} FROM reviews r WHERE r.member_id = $1 AND r.year = $2"
    )))
    .bind(member_id)
    .bind(i64::from(year))
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok(Some((review_from_row(&row)?, row.try_get("revision")?))),
        None => Ok(None),
    }
}

/// The version of a rule in force on `date`.
async fn rule_on(
    conn: &mut AnyConnection,
    kind: ReviewRuleKind,
    date: &str,
) -> Result<Option<ReviewRule>> {
    let row = sqlx::query(
        "SELECT id, kind, percent, cap, valid_from, citation, create_micros FROM review_rules \
         WHERE kind = $1 AND valid_from <= $2 ORDER BY valid_from DESC LIMIT 1",
    )
    .bind(kind as i64)
    .bind(date)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(rule_from_row).transpose()
}

fn rule_from_row(row: &AnyRow) -> Result<ReviewRule> {
    let id: String = row.try_get("id")?;
    Ok(ReviewRule {
        name: format!("reviewRules/{id}"),
        kind: row.try_get::<i64, _>("kind")? as i32,
        percent: row.try_get::<i64, _>("percent")? as i32,
        cap: row.try_get::<i64, _>("cap")? as i32,
        valid_from: Some(dates::sql_to_proto(
            &row.try_get::<String, _>("valid_from")?,
        )?),
        citation: row.try_get("citation")?,
        create_time: Some(dates::timestamp(row.try_get("create_micros")?)),
    })
}

fn stage_refusal(review: Option<&Review>, wanted: ReviewStage) -> Option<ApiError> {
    let stage = review.map(|r| ReviewStage::try_from(r.stage).unwrap_or(ReviewStage::Unspecified));
    let missing = match (wanted, stage) {
        (ReviewStage::Proposed, None) | (ReviewStage::Decided, None) => {
            "the member's self-assessment"
        }
        (ReviewStage::Decided, Some(ReviewStage::SelfAssessed)) => "the cell's proposal",
        (_, Some(ReviewStage::Decided)) => {
            return Some(ApiError::precondition(
                "REVIEW_DECIDED",
                "the review is decided; decisions are final",
            ));
        }
        (ReviewStage::Proposed, Some(ReviewStage::Proposed)) => {
            return Some(ApiError::precondition(
                "ALREADY_PROPOSED",
                "the cell has already proposed a grade",
            ));
        }
        _ => return None,
    };
    Some(ApiError::precondition(
        "REVIEW_STEP_MISSING",
        format!("{missing} must come first"),
    ))
}

impl Reviews {
    /// The service.
    pub fn new(db: Database, peers: Peers) -> Self {
        Self { db, peers }
    }

    async fn self_assess(&self, call: Call, req: SubmitSelfAssessmentRequest) -> Result<Review> {
        let mut v = Violations::new();
        if let Err(ApiError::InvalidArgument(x)) = validate_year("year", req.year) {
            x.into_iter().for_each(|x| v.add(x.field, x.description));
        }
        if let Err(ApiError::InvalidArgument(x)) = grade_of("grade", req.grade) {
            x.into_iter().for_each(|x| v.add(x.field, x.description));
        }
        let comment = probity_platform::text::tidy(&req.comment);
        v.check(
            comment.is_empty() || comment.chars().count() > MAX_COMMENT,
            "comment",
            "required, at most 4000 characters",
        );
        v.check(req.member.is_empty(), "member", "required");
        v.into_result()?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<Review>()? {
            return Ok(done);
        }
        let (member, _, org) = writable_member(w.conn(), &call, "member", &req.member).await?;
        let member_id = member.name.trim_start_matches("members/").to_string();
        let date = reference_date(req.year);
        let active = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT 1 FROM member_periods mp WHERE mp.member_id = $2 AND {} AND mp.status IN ({})",
            in_force("mp", 1),
            roster::active_list()
        )))
        .bind(&date)
        .bind(&member_id)
        .fetch_optional(w.conn())
        .await?;
        if active.is_none() {
            return Err(ApiError::precondition(
                "NOT_A_MEMBER_THAT_YEAR",
                format!("{} was not an active member on {date}", req.member),
            )
            .into());
        }
        if load(w.conn(), &member_id, req.year).await?.is_some() {
            return Err(ApiError::precondition(
                "ALREADY_SELF_ASSESSED",
                format!("the {} review of {} is already open", req.year, req.member),
            )
            .into());
        }
        sqlx::query(
            "INSERT INTO reviews (member_id, year, organization_id, stage, self_grade, self_comment, self_author, \
             self_micros, revision) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)",
        )
        .bind(&member_id)
        .bind(i64::from(req.year))
        .bind(&org.id)
        .bind(ReviewStage::SelfAssessed as i64)
        .bind(i64::from(req.grade))
        .bind(&comment)
        .bind(&call.caller.subject)
        .bind(dates::now_micros())
        .execute(w.conn())
        .await?;
        let (review, _) = load(w.conn(), &member_id, req.year)
            .await?
            .ok_or_else(|| ApiError::Internal("review vanished".into()))?;
        w.commit(&review.name, &review).await?;
        Ok(review)
    }

    /// Loads a review for a step: checks the name, scope and etag.
    async fn for_step(
        &self,
        conn: &mut AnyConnection,
        call: &Call,
        name: &str,
        sent: &str,
    ) -> Result<(String, i32, Option<(Review, i64)>, tree::OrgRow)> {
        let (member_id, year) = parse_review_name(name)?;
        let (_, _, org) = writable_member(conn, call, "name", &member_name(&member_id))
            .await
            .map_err(|e| e.not_found_as(name))?;
        let review = load(conn, &member_id, year).await?;
        if let Some((_, revision)) = &review {
            check_etag(name, sent, *revision)?;
        }
        Ok((member_id, year, review, org))
    }

    async fn propose(&self, call: Call, req: ProposeGradeRequest) -> Result<Review> {
        let grade = grade_of("grade", req.grade)?;
        let mut w = self.db.begin_write(&call, "", &req).await?;
        let (member_id, year, review, _) =
            self.for_step(w.conn(), &call, &req.name, &req.etag).await?;
        if let Some(refusal) = stage_refusal(review.as_ref().map(|r| &r.0), ReviewStage::Proposed) {
            return Err(refusal.into());
        }
        sqlx::query(
            "UPDATE reviews SET stage = $1, proposed_grade = $2, proposal_comment = $3, proposal_author = $4, \
             proposal_micros = $5, revision = revision + 1 WHERE member_id = $6 AND year = $7",
        )
        .bind(ReviewStage::Proposed as i64)
        .bind(grade as i64)
        .bind(probity_platform::text::tidy(&req.comment))
        .bind(&call.caller.subject)
        .bind(dates::now_micros())
        .bind(&member_id)
        .bind(i64::from(year))
        .execute(w.conn())
        .await?;
        let (review, _) = load(w.conn(), &member_id, year)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?;
        w.commit(&review.name, &review).await?;
        Ok(review)
    }

    async fn decide(&self, call: Call, req: DecideGradeRequest) -> Result<Review> {
        let grade = grade_of("grade", req.grade)?;
        let (_, year) = parse_review_name(&req.name)?;
        let date = dates::required("decision_date", req.decision_date.as_ref())?;
        let earliest = format!("{year:04}-12-01");
        if dates::to_sql(date) < earliest || date > dates::today() {
            return Err(ApiError::invalid(
                "decision_date",
                format!("must be between {earliest} and today"),
            )
            .into());
        }
        let date = dates::to_sql(date);
        // Ask oversight before the transaction: no remote call holds the lock.
        let member = req
            .name
            .split("/reviews/")
            .next()
            .unwrap_or_default()
            .to_string();
        let decisions = self.peers.discipline.decisions(&member, year).await?;

        let mut w = self.db.begin_write(&call, "", &req).await?;
        let (member_id, year, review, org) =
            self.for_step(w.conn(), &call, &req.name, &req.etag).await?;
        if let Some(refusal) = stage_refusal(review.as_ref().map(|r| &r.0), ReviewStage::Decided) {
            return Err(refusal.into());
        }
        let org_id = org.id;

        if !decisions.is_empty()
            && let Some(rule) = rule_on(w.conn(), ReviewRuleKind::DisciplinedCap, &date).await?
            && (grade as i32) < rule.cap
        {
            let cap = Grade::try_from(rule.cap).unwrap_or(Grade::Complete);
            return Err(ApiError::precondition(
                "DISCIPLINED_GRADE_CAP",
                format!(
                    "{member} was disciplined in {year} ({}); under the rule in force ({}) the grade may be at most {}",
                    decisions[0].summary,
                    rule.citation,
                    grade_words(cap)
                ),
            )
            .into());
        }
        if grade == Grade::Excellent
            && let Some(rule) = rule_on(w.conn(), ReviewRuleKind::ExcellentQuota, &date).await?
        {
            let counts = sqlx::query(
                "SELECT decided_grade, COUNT(*) AS n FROM reviews WHERE organization_id = $1 AND year = $2 \
                 AND member_id <> $3 AND decided_grade IN ($4, $5) GROUP BY decided_grade",
            )
            .bind(&org_id)
            .bind(i64::from(year))
            .bind(&member_id)
            .bind(Grade::Excellent as i64)
            .bind(Grade::Good as i64)
            .fetch_all(w.conn())
            .await?;
            let mut excellent = 1_i64;
            let mut good = 0_i64;
            for row in &counts {
                let g: i64 = row.try_get("decided_grade")?;
                let n: i64 = row.try_get("n")?;
                if g == Grade::Excellent as i64 {
                    excellent += n;
                } else {
                    good += n;
                }
            }
            if excellent * 100 > i64::from(rule.percent) * good {
                return Err(ApiError::precondition(
                    "EXCELLENT_QUOTA_EXCEEDED",
                    format!(
                        "{} would have {excellent} excellent against {good} good in {year}; the rule in force ({}) \
                         allows excellent up to {}% of good, i.e. at most {}",
                        org_name(&org_id),
                        rule.citation,
                        rule.percent,
                        i64::from(rule.percent) * good / 100
                    ),
                )
                .into());
            }
        }
        sqlx::query(
            "UPDATE reviews SET stage = $1, decided_grade = $2, decision_comment = $3, decision_author = $4, \
             decision_micros = $5, decision_date = $6, organization_id = $7, revision = revision + 1 \
             WHERE member_id = $8 AND year = $9",
        )
        .bind(ReviewStage::Decided as i64)
        .bind(grade as i64)
        .bind(probity_platform::text::tidy(&req.comment))
        .bind(&call.caller.subject)
        .bind(dates::now_micros())
        .bind(&date)
        .bind(&org_id)
        .bind(&member_id)
        .bind(i64::from(year))
        .execute(w.conn())
        .await?;
        let (review, _) = load(w.conn(), &member_id, year)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?;
        w.commit(&review.name, &review).await?;
        Ok(review)
    }

    async fn get(&self, call: Call, req: GetReviewRequest) -> Result<Review> {
        let (member_id, year) = parse_review_name(&req.name)?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        visible_member(&mut conn, &call, "name", &member_name(&member_id))
            .await
            .map_err(|e| e.not_found_as(&req.name))?;
        Ok(load(&mut conn, &member_id, year)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?
            .0)
    }

    async fn list(&self, call: Call, req: ListReviewsRequest) -> Result<ListReviewsResponse> {
        validate_year("year", req.year)?;
        let grade_filter = match Grade::try_from(req.decided_grade) {
            Ok(Grade::Unspecified) => None,
            Ok(g) => Some(g),
            Err(_) => return Err(ApiError::invalid("decided_grade", "unknown grade").into()),
        };
        let page = PageRequest::parse(
            req.page_size,
            &req.page_token,
            &format!("{};{};{:?}", req.organization, req.year, grade_filter),
        )?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let date = reference_date(req.year);
        let Some(root) =
            subtree_on(&mut conn, &call, "organization", &req.organization, &date).await?
        else {
            return Ok(ListReviewsResponse::default());
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {REVIEW_COLUMNS} FROM reviews r \
             JOIN organization_placements p ON p.org_id = r.organization_id AND {} \
             WHERE p.path >= $2 AND p.path < $3 AND r.year = $4 AND ($5 = 0 OR r.decided_grade = $5) \
             AND r.member_id > $6 ORDER BY r.member_id LIMIT $7",
            in_force("p", 1)
        )))
        .bind(&date)
        .bind(&root.path)
        .bind(tree::upper(&root.path))
        .bind(i64::from(req.year))
        .bind(grade_filter.map_or(0, |g| g as i64))
        .bind(page.after.clone().unwrap_or_default())
        .bind(page.limit())
        .fetch_all(&mut *conn)
        .await?;
        let mut reviews = rows
            .iter()
            .map(review_from_row)
            .collect::<Result<Vec<_>>>()?;
        let next_page_token = page.finish(&mut reviews, |r| {
            r.member.trim_start_matches("members/").to_string()
        });
        Ok(ListReviewsResponse {
            reviews,
            next_page_token,
        })
    }

    async fn evidence(&self, call: Call, req: GetReviewEvidenceRequest) -> Result<ReviewEvidence> {
        validate_year("year", req.year)?;
        let (discipline, study) = tokio::try_join!(
            self.peers.discipline.decisions(&req.member, req.year),
            self.peers.study.facts(&req.member, req.year)
        )?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let (member, _, _) = visible_member(&mut conn, &call, "member", &req.member).await?;
        let member_id = member.name.trim_start_matches("members/").to_string();
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS} FROM book_entries e WHERE e.member_id = $1 AND e.year = $2 AND {} ORDER BY e.id",
            current_submitted("e")
        )))
        .bind(&member_id)
        .bind(i64::from(req.year))
        .fetch_all(&mut *conn)
        .await?;
        let entries = load_entries(&mut conn, &rows).await?;
        let mut evidence = ReviewEvidence {
            member: req.member.clone(),
            year: req.year,
            review: load(&mut conn, &member_id, req.year).await?.map(|r| r.0),
            ..Default::default()
        };
        for e in &entries {
            if e.kind == BookEntryKind::Commitment as i32
                || e.kind == BookEntryKind::HeadCommitment as i32
            {
                match e
                    .result
                    .as_ref()
                    .map(|r| CommitmentOutcome::try_from(r.outcome))
                {
                    Some(Ok(CommitmentOutcome::Kept)) => evidence.commitments_kept += 1,
                    Some(Ok(CommitmentOutcome::PartlyKept)) => {
                        evidence.commitments_partly_kept += 1
                    }
                    Some(Ok(CommitmentOutcome::NotKept)) => evidence.commitments_not_kept += 1,
                    _ => evidence.commitments_pending += 1,
                }
            }
        }
        evidence.entries = entries;
        evidence.facts = study.into_iter().chain(discipline).collect();
        Ok(evidence)
    }

    async fn statistics(
        &self,
        call: Call,
        req: GetReviewStatisticsRequest,
    ) -> Result<GetReviewStatisticsResponse> {
        validate_year("year", req.year)?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let date = reference_date(req.year);
        let Some(root) =
            subtree_on(&mut conn, &call, "organization", &req.organization, &date).await?
        else {
            return Ok(GetReviewStatisticsResponse::default());
        };
        // The subtree on the reference date, in tree order.
        let orgs = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM organizations o JOIN organization_placements p ON p.org_id = o.id \
             WHERE p.path >= $2 AND p.path < $3 AND {} ORDER BY p.path",
            tree::ORG_COLUMNS,
            in_force("p", 1)
        )))
        .bind(&date)
        .bind(&root.path)
        .bind(tree::upper(&root.path))
        .fetch_all(&mut *conn)
        .await?;
        let orgs = orgs
            .iter()
            .map(tree::OrgRow::from_row)
            .collect::<Result<Vec<_>>>()?;
        let mut rows: Vec<OrganizationGrades> = orgs
            .iter()
            .map(|o| OrganizationGrades {
                organization: o.name(),
                code: o.code.clone(),
                parent: o.parent_id.as_deref().map(org_name).unwrap_or_default(),
                ..Default::default()
            })
            .collect();
        let index: HashMap<&str, usize> = orgs
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id.as_str(), i))
            .collect();
        // Own counts per organisation, then added to every ancestor in the
        // subtree: a parent is the sum of its children plus its own.
        let counts = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT r.organization_id, r.decided_grade, COUNT(*) AS n FROM reviews r \
             JOIN organization_placements p ON p.org_id = r.organization_id AND {} \
             WHERE p.path >= $2 AND p.path < $3 AND r.year = $4 AND r.decided_grade IS NOT NULL \
             GROUP BY r.organization_id, r.decided_grade",
            in_force("p", 1)
        )))
        .bind(&date)
        .bind(&root.path)
        .bind(tree::upper(&root.path))
        .bind(i64::from(req.year))
        .fetch_all(&mut *conn)
        .await?;
        for row in &counts {
            let org: String = row.try_get("organization_id")?;
            let grade: i64 = row.try_get("decided_grade")?;
            let n: i64 = row.try_get("n")?;
            let Some(&at) = index.get(org.as_str()) else {
                continue;
            };
            for ancestor in orgs[at].lineage().filter_map(|id| index.get(id).copied()) {
                let r = &mut rows[ancestor];
                match Grade::try_from(grade as i32) {
                    Ok(Grade::Excellent) => r.excellent += n,
                    Ok(Grade::Good) => r.good += n,
                    Ok(Grade::Complete) => r.complete += n,
                    Ok(Grade::Incomplete) => r.incomplete += n,
                    _ => continue,
                }
                r.total += n;
            }
        }
        Ok(GetReviewStatisticsResponse { rows })
    }

    async fn create_rule(&self, call: Call, req: CreateReviewRuleRequest) -> Result<ReviewRule> {
        call.caller.require_role(ROLE_ADMIN)?;
        let rule = req.rule.clone().unwrap_or_default();
        let mut v = Violations::new();
        let kind = ReviewRuleKind::try_from(rule.kind).unwrap_or(ReviewRuleKind::Unspecified);
        match kind {
            ReviewRuleKind::Unspecified => v.add("rule.kind", "required"),
            ReviewRuleKind::ExcellentQuota => v.check(
                !(0..=100).contains(&rule.percent),
                "rule.percent",
                "0 to 100",
            ),
            ReviewRuleKind::DisciplinedCap => v.check(
                grade_of("rule.cap", rule.cap).is_err(),
                "rule.cap",
                "required: a grade",
            ),
        }
        let from = dates::required("rule.valid_from", rule.valid_from.as_ref())
            .map_err(|e| v.add(e.field, e.description))
            .ok();
        v.check(rule.citation.trim().is_empty(), "rule.citation", "required");
        v.into_result()?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<ReviewRule>()? {
            return Ok(done);
        }
        let id = new_id();
        let from = dates::to_sql(from.unwrap_or_else(dates::today));
        sqlx::query(
            "INSERT INTO review_rules (id, kind, percent, cap, valid_from, citation, create_micros) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(kind as i64)
        .bind(i64::from(if kind == ReviewRuleKind::ExcellentQuota { rule.percent } else { 0 }))
        .bind(i64::from(if kind == ReviewRuleKind::DisciplinedCap { rule.cap } else { 0 }))
        .bind(&from)
        .bind(rule.citation.trim())
        .bind(dates::now_micros())
        .execute(w.conn())
        .await
        .map_err(|e| {
            if probity_platform::error::is_unique_violation(&e) {
                ApiError::AlreadyExists {
                    reason: "RULE_VERSION_EXISTS",
                    message: format!("a version of this rule already starts on {from}"),
                }
            } else {
                e.into()
            }
        })?;
        let row = sqlx::query("SELECT id, kind, percent, cap, valid_from, citation, create_micros FROM review_rules WHERE id = $1")
            .bind(&id)
            .fetch_one(w.conn())
            .await?;
        let created = rule_from_row(&row)?;
        w.commit(&created.name, &created).await?;
        Ok(created)
    }

    async fn rules(
        &self,
        _call: Call,
        _req: ListReviewRulesRequest,
    ) -> Result<ListReviewRulesResponse> {
        let rows = sqlx::query(
            "SELECT id, kind, percent, cap, valid_from, citation, create_micros FROM review_rules ORDER BY kind, valid_from",
        )
        .fetch_all(self.db.pool())
        .await?;
        Ok(ListReviewRulesResponse {
            rules: rows.iter().map(rule_from_row).collect::<Result<_>>()?,
        })
    }
}

#[tonic::async_trait]
impl ReviewService for Reviews {
    async fn submit_self_assessment(
        &self,
        r: Request<SubmitSelfAssessmentRequest>,
    ) -> Result<Response<Review>, Status> {
        unary(r, |c, m| self.self_assess(c, m)).await
    }
    async fn propose_grade(
        &self,
        r: Request<ProposeGradeRequest>,
    ) -> Result<Response<Review>, Status> {
        unary(r, |c, m| self.propose(c, m)).await
    }
    async fn decide_grade(
        &self,
        r: Request<DecideGradeRequest>,
    ) -> Result<Response<Review>, Status> {
        unary(r, |c, m| self.decide(c, m)).await
    }
    async fn get_review(&self, r: Request<GetReviewRequest>) -> Result<Response<Review>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
    async fn list_reviews(
        &self,
        r: Request<ListReviewsRequest>,
    ) -> Result<Response<ListReviewsResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn get_review_evidence(
        &self,
        r: Request<GetReviewEvidenceRequest>,
    ) -> Result<Response<ReviewEvidence>, Status> {
        unary(r, |c, m| self.evidence(c, m)).await
    }
    async fn get_review_statistics(
        &self,
        r: Request<GetReviewStatisticsRequest>,
    ) -> Result<Response<GetReviewStatisticsResponse>, Status> {
        unary(r, |c, m| self.statistics(c, m)).await
    }
    async fn list_review_rules(
        &self,
        r: Request<ListReviewRulesRequest>,
    ) -> Result<Response<ListReviewRulesResponse>, Status> {
        unary(r, |c, m| self.rules(c, m)).await
    }
    async fn create_review_rule(
        &self,
        r: Request<CreateReviewRuleRequest>,
    ) -> Result<Response<ReviewRule>, Status> {
        unary(r, |c, m| self.create_rule(c, m)).await
    }
}
