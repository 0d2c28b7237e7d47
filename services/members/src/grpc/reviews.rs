//! `probity.members.v1.ReviewService`: annual review and classification.

use std::collections::HashMap;

use probity_platform::{
    ApiError, Call, Database, dates,
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
use sqlx::AnyConnection;
use tonic::{Request, Response, Status};

use super::{
    access::{visible_member, writable_member, year_subtree},
    books::entries,
};
use crate::{
    error::{Error, Result},
    peers::Peers,
    rules::{
        names::{member_name, org_name},
        reviews::{self as rules, grade_of, parse_review_name, stage_refusal},
        years::{reference_date, validate_year},
    },
    store::{
        books, history,
        organizations::{self, OrgRow},
        reviews::{self as store, ReviewRow, RuleRow, Step},
    },
};

/// `ReviewService` over one database and the other services.
#[derive(Debug, Clone)]
pub struct Reviews {
    db: Database,
    peers: Peers,
}

/// One step of a stored review on the wire; `None` when not taken.
fn step(
    grade: Option<i64>,
    comment: &Option<String>,
    author: &Option<String>,
    micros: Option<i64>,
) -> Option<ReviewStep> {
    Some(ReviewStep {
        grade: grade? as i32,
        comment: comment.clone().unwrap_or_default(),
        author: author.clone().unwrap_or_default(),
        time: micros.map(dates::timestamp),
    })
}

/// The wire form of a review.
pub fn review(row: &ReviewRow) -> Result<Review, ApiError> {
    Ok(Review {
        name: format!("members/{}/reviews/{}", row.member_id, row.year),
        member: member_name(&row.member_id),
        year: row.year as i32,
        organization: org_name(&row.organization_id),
        stage: row.stage as i32,
        self_assessment: step(
            row.self_grade,
            &row.self_comment,
            &row.self_author,
            row.self_micros,
        ),
        proposal: step(
            row.proposed_grade,
            &row.proposal_comment,
            &row.proposal_author,
            row.proposal_micros,
        ),
        decision: step(
            row.decided_grade,
            &row.decision_comment,
            &row.decision_author,
            row.decision_micros,
        ),
        decision_date: row
            .decision_date
            .as_deref()
            .map(dates::sql_to_proto)
            .transpose()?,
        etag: etag(row.revision),
    })
}

/// The wire form of a rule version.
fn rule(row: &RuleRow) -> Result<ReviewRule, ApiError> {
    Ok(ReviewRule {
        name: format!("reviewRules/{}", row.id),
        kind: row.kind as i32,
        percent: row.percent as i32,
        cap: row.cap as i32,
        valid_from: Some(dates::sql_to_proto(&row.valid_from)?),
        citation: row.citation.clone(),
        create_time: Some(dates::timestamp(row.create_micros)),
    })
}

/// The review of `member_id` for `year` as it is now, on the wire.
async fn reload(
    conn: &mut AnyConnection,
    member_id: &str,
    year: i32,
    name: &str,
) -> Result<Review> {
    let row = store::load(conn, member_id, year)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    Ok(review(&row)?)
}

/// A review about to take a step: its member and year, the stored review
/// if opened, and the member's organisation.
struct ForStep {
    member_id: String,
    year: i32,
    review: Option<ReviewRow>,
    org: OrgRow,
}

impl Reviews {
    /// The service.
    pub fn new(db: Database, peers: Peers) -> Self {
        Self { db, peers }
    }

    async fn self_assess(&self, call: Call, req: SubmitSelfAssessmentRequest) -> Result<Review> {
        let (grade, comment) = rules::validate_self_assessment(&req, call.today())?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let found = writable_member(w.conn(), &call, "member", &req.member).await?;
        if let Some(done) = w.replayed::<Review>()? {
            return Ok(done);
        }
        let member_id = found.member.id;
        let date = reference_date(req.year, call.today());
        if !history::active_on(w.conn(), &member_id, &date).await? {
            return Err(Error::refused(
                probity_proto::probity::members::v1::ErrorReason::NotAMemberThatYear,
                format!("{} was not an active member on {date}", req.member),
            ));
        }
        if store::load(w.conn(), &member_id, req.year).await?.is_some() {
            return Err(Error::refused(
                probity_proto::probity::members::v1::ErrorReason::AlreadySelfAssessed,
                format!("the {} review of {} is already open", req.year, req.member),
            ));
        }
        let step = Step {
            grade,
            comment: &comment,
            author: &call.caller.subject,
            micros: call.now_micros(),
        };
        store::open(w.conn(), &member_id, req.year, &found.org.id, &step).await?;
        let opened = reload(w.conn(), &member_id, req.year, "review").await?;
        w.commit(&opened.name, &opened).await?;
        Ok(opened)
    }

    /// Loads a review for a step: checks the name, scope and etag.
    async fn for_step(
        &self,
        conn: &mut AnyConnection,
        call: &Call,
        name: &str,
        sent: &str,
    ) -> Result<ForStep> {
        let (member_id, year) = parse_review_name(name, call.today())?;
        let org = writable_member(conn, call, "name", &member_name(&member_id))
            .await
            .map_err(|e| e.not_found_as(name))?
            .org;
        let review = store::load(conn, &member_id, year).await?;
        if let Some(r) = &review {
            check_etag(name, sent, r.revision)?;
        }
        Ok(ForStep {
            member_id,
            year,
            review,
            org,
        })
    }

    async fn propose(&self, call: Call, req: ProposeGradeRequest) -> Result<Review> {
        let grade = grade_of("grade", req.grade)?;
        let mut w = self.db.begin_write(&call, "", &req).await?;
        let s = self.for_step(w.conn(), &call, &req.name, &req.etag).await?;
        if let Some(refusal) = stage_refusal(
            s.review.as_ref().map(ReviewRow::stage),
            ReviewStage::Proposed,
        ) {
            return Err(refusal);
        }
        let comment = probity_platform::text::tidy(&req.comment);
        let step = Step {
            grade,
            comment: &comment,
            author: &call.caller.subject,
            micros: call.now_micros(),
        };
        store::propose(w.conn(), &s.member_id, s.year, &step).await?;
        let proposed = reload(w.conn(), &s.member_id, s.year, &req.name).await?;
        w.commit(&proposed.name, &proposed).await?;
        Ok(proposed)
    }

    async fn decide(&self, call: Call, req: DecideGradeRequest) -> Result<Review> {
        let grade = grade_of("grade", req.grade)?;
        let (_, year) = parse_review_name(&req.name, call.today())?;
        let date = rules::check_decision_date(req.decision_date.as_ref(), year, call.today())?;
        // Ask oversight before the transaction: no remote call holds the lock.
        let member = req
            .name
            .split("/reviews/")
            .next()
            .unwrap_or_default()
            .to_string();
        let decisions = self
            .peers
            .discipline
            .decisions(&call, &member, year)
            .await?;

        let mut w = self.db.begin_write(&call, "", &req).await?;
        let s = self.for_step(w.conn(), &call, &req.name, &req.etag).await?;
        if let Some(refusal) = stage_refusal(
            s.review.as_ref().map(ReviewRow::stage),
            ReviewStage::Decided,
        ) {
            return Err(refusal);
        }
        if let Some(r) = &s.review {
            rules::check_separate_decider(
                &call.caller.subject,
                r.proposal_author.as_deref(),
                r.self_author.as_deref(),
            )?;
        }
        let org_id = s.org.id;
        if let Some(first) = decisions.first() {
            let cap = store::rule_on(w.conn(), ReviewRuleKind::DisciplinedCap, &date).await?;
            let cap = cap.as_ref().map(rule).transpose()?;
            rules::check_discipline_cap(&member, year, grade, Some(&first.summary), cap.as_ref())?;
        }
        if grade == Grade::Excellent
            && let Some(quota) =
                store::rule_on(w.conn(), ReviewRuleKind::ExcellentQuota, &date).await?
        {
            let (excellent, good) =
                store::excellent_and_good(w.conn(), &org_id, year, &s.member_id).await?;
            rules::check_excellent_quota(
                &org_name(&org_id),
                year,
                excellent,
                good,
                &rule(&quota)?,
            )?;
        }
        let comment = probity_platform::text::tidy(&req.comment);
        let step = Step {
            grade,
            comment: &comment,
            author: &call.caller.subject,
            micros: call.now_micros(),
        };
        store::decide(w.conn(), &s.member_id, year, &step, &date, &org_id).await?;
        let decided = reload(w.conn(), &s.member_id, year, &req.name).await?;
        w.commit(&decided.name, &decided).await?;
        Ok(decided)
    }

    async fn get(&self, call: Call, req: GetReviewRequest) -> Result<Review> {
        let (member_id, year) = parse_review_name(&req.name, call.today())?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        visible_member(&mut conn, &call, "name", &member_name(&member_id))
            .await
            .map_err(|e| e.not_found_as(&req.name))?;
        reload(&mut conn, &member_id, year, &req.name).await
    }

    async fn list(&self, call: Call, req: ListReviewsRequest) -> Result<ListReviewsResponse> {
        validate_year("year", req.year, call.today())?;
        let grade_filter = match Grade::try_from(req.decided_grade) {
            Ok(Grade::Unspecified) => None,
            Ok(g) => Some(g),
            Err(_) => return Err(ApiError::invalid("decided_grade", "unknown grade").into()),
        };
        let page = PageRequest::parse(
            &call,
            req.page_size,
            &req.page_token,
            &format!("{};{};{:?}", req.organization, req.year, grade_filter),
        )?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let Some((date, root)) = year_subtree(
            &mut conn,
            &call,
            "organization",
            &req.organization,
            req.year,
        )
        .await?
        else {
            return Ok(ListReviewsResponse::default());
        };
        let rows = store::list(
            &mut conn,
            &date,
            &root.path,
            req.year,
            grade_filter,
            page.after.as_deref().unwrap_or_default(),
            page.limit(),
        )
        .await?;
        let mut reviews = rows
            .into_iter()
            .map(|(row, key)| review(&row).map(|r| (r, key)))
            .collect::<Result<Vec<_>, _>>()?;
        let next_page_token = page.finish(&mut reviews, |(_, key)| key.clone());
        Ok(ListReviewsResponse {
            reviews: reviews.into_iter().map(|(r, _)| r).collect(),
            next_page_token,
        })
    }

    async fn evidence(&self, call: Call, req: GetReviewEvidenceRequest) -> Result<ReviewEvidence> {
        validate_year("year", req.year, call.today())?;
        let (discipline, study) = tokio::try_join!(
            self.peers
                .discipline
                .decisions(&call, &req.member, req.year),
            self.peers.study.facts(&call, &req.member, req.year)
        )?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let member_id = visible_member(&mut conn, &call, "member", &req.member)
            .await?
            .member
            .id;
        let records = books::book(&mut conn, &member_id, req.year, true).await?;
        let mut evidence = ReviewEvidence {
            member: req.member.clone(),
            year: req.year,
            review: store::load(&mut conn, &member_id, req.year)
                .await?
                .as_ref()
                .map(review)
                .transpose()?,
            ..Default::default()
        };
        let entries = entries(&records)?;
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
        validate_year("year", req.year, call.today())?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let Some((date, root)) = year_subtree(
            &mut conn,
            &call,
            "organization",
            &req.organization,
            req.year,
        )
        .await?
        else {
            return Ok(GetReviewStatisticsResponse::default());
        };
        // The subtree on the reference date, in tree order.
        let orgs = organizations::subtree_with_root(&mut conn, &date, &root.path).await?;
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
        for (org, grade, n) in store::decided_counts(&mut conn, &date, &root.path, req.year).await?
        {
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
        let new = rules::validate_rule(&req.rule.clone().unwrap_or_default())?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<ReviewRule>()? {
            return Ok(done);
        }
        let row = store::insert_rule(w.conn(), &new_id(), &new, call.now_micros()).await?;
        let created = rule(&row)?;
        w.commit(&created.name, &created).await?;
        Ok(created)
    }

    async fn rules(
        &self,
        _call: Call,
        _req: ListReviewRulesRequest,
    ) -> Result<ListReviewRulesResponse> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        Ok(ListReviewRulesResponse {
            rules: store::rules(&mut conn)
                .await?
                .iter()
                .map(rule)
                .collect::<Result<_, _>>()?,
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
