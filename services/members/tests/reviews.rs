//! ReviewService through the generated client, on every backend.

mod common;

use std::sync::Arc;

use common::*;
use probity_members::peers::{DisciplineRecords, NoRecords, Peers};
use probity_platform::{
    ApiError,
    testing::{TestOptions, TestServer},
};
use probity_proto::probity::members::v1::{
    BookEntry, BookEntryKind, CommitmentOutcome, CreateBookEntryRequest, CreateReviewRuleRequest,
    DecideGradeRequest, EvidenceFact, GetReviewEvidenceRequest, GetReviewRequest,
    GetReviewStatisticsRequest, Grade, ListReviewRulesRequest, ListReviewsRequest, Member,
    ProposeGradeRequest, RecordCommitmentResultRequest, ReviewRule, ReviewRuleKind, ReviewStage,
    SubmitSelfAssessmentRequest, book_service_client::BookServiceClient,
    member_service_client::MemberServiceClient,
    organization_service_client::OrganizationServiceClient,
    review_service_client::ReviewServiceClient,
};
use tonic::Code;

const YEAR: i32 = 2025;

/// The review desk: the admin who self-assesses (for the member) and
/// proposes, and the committee, another person, who decides.
struct Reviews {
    clerk: ReviewServiceClient<probity_platform::testing::Authed>,
    committee: ReviewServiceClient<probity_platform::testing::Authed>,
}

impl Reviews {
    fn new(server: &TestServer) -> Self {
        Self {
            clerk: ReviewServiceClient::new(server.admin()),
            committee: ReviewServiceClient::new(server.committee()),
        }
    }
}

impl std::ops::Deref for Reviews {
    type Target = ReviewServiceClient<probity_platform::testing::Authed>;
    fn deref(&self) -> &Self::Target {
        &self.clerk
    }
}

impl std::ops::DerefMut for Reviews {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.clerk
    }
}

fn review_name(m: &Member) -> String {
    format!("{}/reviews/{YEAR}", m.name)
}

async fn self_assess(
    reviews: &mut Reviews,
    m: &Member,
    grade: Grade,
) -> Result<probity_proto::probity::members::v1::Review, tonic::Status> {
    reviews
        .submit_self_assessment(SubmitSelfAssessmentRequest {
            member: m.name.clone(),
            year: YEAR,
            grade: grade as i32,
            comment: "Tự đánh giá".into(),
            request_id: String::new(),
        })
        .await
        .map(|r| r.into_inner())
}

async fn propose(
    reviews: &mut Reviews,
    m: &Member,
    grade: Grade,
) -> Result<probity_proto::probity::members::v1::Review, tonic::Status> {
    reviews
        .propose_grade(ProposeGradeRequest {
            name: review_name(m),
            grade: grade as i32,
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner())
}

async fn decide(
    reviews: &mut Reviews,
    m: &Member,
    grade: Grade,
    day: i32,
) -> Result<probity_proto::probity::members::v1::Review, tonic::Status> {
    reviews
        .committee
        .decide_grade(DecideGradeRequest {
            name: review_name(m),
            grade: grade as i32,
            comment: "Quyết định".into(),
            decision_date: date(YEAR, 12, day),
            etag: String::new(),
        })
        .await
        .map(|r| r.into_inner())
}

async fn full_review(
    reviews: &mut Reviews,
    m: &Member,
    grade: Grade,
    day: i32,
) -> Result<probity_proto::probity::members::v1::Review, tonic::Status> {
    self_assess(reviews, m, grade).await?;
    propose(reviews, m, grade).await?;
    decide(reviews, m, grade, day).await
}

#[tokio::test]
async fn steps_come_in_order() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let mut reviews = Reviews::new(&server);
        let t = tree(&mut orgs).await;
        let m = member(&mut members, &t.a1.name, "9500001", "An", date(2012, 1, 1)).await;

        let err = propose(&mut reviews, &m, Grade::Good).await.unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition, "{backend}");
        assert_eq!(details(&err).0, "REVIEW_STEP_MISSING");
        assert!(
            err.message().contains("self-assessment"),
            "{}",
            err.message()
        );

        let opened = self_assess(&mut reviews, &m, Grade::Good).await.unwrap();
        assert_eq!(opened.stage, ReviewStage::SelfAssessed as i32);
        let err = decide(&mut reviews, &m, Grade::Good, 20).await.unwrap_err();
        assert_eq!(details(&err).0, "REVIEW_STEP_MISSING");
        assert!(err.message().contains("proposal"), "{}", err.message());

        propose(&mut reviews, &m, Grade::Good).await.unwrap();
        let decided = decide(&mut reviews, &m, Grade::Complete, 20).await.unwrap();
        assert_eq!(decided.stage, ReviewStage::Decided as i32);
        assert_eq!(
            decided.self_assessment.as_ref().unwrap().grade,
            Grade::Good as i32
        );
        assert_eq!(
            decided.decision.as_ref().unwrap().grade,
            Grade::Complete as i32
        );
        assert_eq!(decided.decision_date, date(YEAR, 12, 20));
        let err = decide(&mut reviews, &m, Grade::Good, 21).await.unwrap_err();
        assert_eq!(details(&err).0, "REVIEW_DECIDED");
        let got = reviews
            .get_review(GetReviewRequest {
                name: review_name(&m),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got, decided);

        // A decision dated before December of the year is refused.
        let other = member(
            &mut members,
            &t.a1.name,
            "9500002",
            "Bình",
            date(2012, 1, 1),
        )
        .await;
        self_assess(&mut reviews, &other, Grade::Good)
            .await
            .unwrap();
        propose(&mut reviews, &other, Grade::Good).await.unwrap();
        let err = reviews
            .committee
            .decide_grade(DecideGradeRequest {
                name: review_name(&other),
                grade: Grade::Good as i32,
                decision_date: date(YEAR, 6, 1),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(details(&err).1, ["decision_date"]);
    }
}

#[tokio::test]
async fn the_excellent_quota_is_enforced_by_the_rule_in_force() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let mut reviews = Reviews::new(&server);
        let t = tree(&mut orgs).await;
        let mut cell = Vec::new();
        for i in 0..8 {
            cell.push(
                member(
                    &mut members,
                    &t.a1.name,
                    &format!("{}", 9_600_000 + i),
                    &format!("M{i}"),
                    date(2012, 1, 1),
                )
                .await,
            );
        }
        for m in &cell[..5] {
            full_review(&mut reviews, m, Grade::Good, 15).await.unwrap();
        }
        // 1 excellent against 5 good: 20%, allowed.
        full_review(&mut reviews, &cell[5], Grade::Excellent, 15)
            .await
            .unwrap();
        // A second would be 40%.
        self_assess(&mut reviews, &cell[6], Grade::Excellent)
            .await
            .unwrap();
        propose(&mut reviews, &cell[6], Grade::Excellent)
            .await
            .unwrap();
        let err = decide(&mut reviews, &cell[6], Grade::Excellent, 15)
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition, "{backend}");
        assert_eq!(details(&err).0, "EXCELLENT_QUOTA_EXCEEDED");
        assert!(
            err.message().contains("2 excellent against 5 good"),
            "{}",
            err.message()
        );
        assert!(
            err.message().contains("20%") && err.message().contains("at most 1"),
            "{}",
            err.message()
        );
        let still = reviews
            .get_review(GetReviewRequest {
                name: review_name(&cell[6]),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(still.stage, ReviewStage::Proposed as i32, "nothing changed");

        // A new version of the rule, from 20 December: 40%.
        let rule = reviews
            .create_review_rule(CreateReviewRuleRequest {
                rule: Some(ReviewRule {
                    kind: ReviewRuleKind::ExcellentQuota as i32,
                    percent: 40,
                    valid_from: date(YEAR, 12, 20),
                    citation: "Quyết định của Ban Thường vụ (thử nghiệm)".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(rule.percent, 40);
        let rules = reviews
            .list_review_rules(ListReviewRulesRequest {})
            .await
            .unwrap()
            .into_inner()
            .rules;
        assert_eq!(rules.len(), 3);
        // Decided on the 19th, the old rule applies; on the 20th, the new.
        let err = decide(&mut reviews, &cell[6], Grade::Excellent, 19)
            .await
            .unwrap_err();
        assert_eq!(details(&err).0, "EXCELLENT_QUOTA_EXCEEDED");
        decide(&mut reviews, &cell[6], Grade::Excellent, 20)
            .await
            .unwrap();

        // Only admins change rules.
        let writer = server.token("w", &["writer"], &["*"]);
        let err = ReviewServiceClient::new(server.with_token(&writer))
            .create_review_rule(CreateReviewRuleRequest {
                rule: Some(rule),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied);

        let excellent = reviews
            .list_reviews(ListReviewsRequest {
                organization: t.province.name.clone(),
                year: YEAR,
                decided_grade: Grade::Excellent as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .reviews;
        assert_eq!(excellent.len(), 2);
    }
}

/// Oversight as a test double: the member named in the slot was
/// reprimanded in the year (the slot is filled once the member exists).
struct Reprimanded(Arc<std::sync::Mutex<String>>);

#[tonic::async_trait]
impl DisciplineRecords for Reprimanded {
    async fn decisions(
        &self,
        _call: &probity_platform::Call,
        member: &str,
        year: i32,
    ) -> Result<Vec<EvidenceFact>, ApiError> {
        let reprimanded = *self.0.lock().unwrap() == member && year == YEAR;
        Ok(if reprimanded {
            vec![EvidenceFact {
                source: "oversight".into(),
                kind: "DISCIPLINE".into(),
                summary: "reprimand (khiển trách)".into(),
                resource: "cases/c1/decisions/d1".into(),
                date: date(YEAR, 5, 4),
            }]
        } else {
            Vec::new()
        })
    }
}

#[tokio::test]
async fn a_disciplined_member_is_capped_and_the_evidence_shows_why() {
    for backend in backends() {
        let slot = Arc::new(std::sync::Mutex::new(String::new()));
        let peers = Peers {
            discipline: Arc::new(Reprimanded(slot.clone())),
            study: Arc::new(NoRecords),
        };
        let server = TestServer::start(
            &backend,
            TestOptions::new(probity_members::SCHEMA),
            |b, db| probity_members::register_with(b, db, peers),
        )
        .await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let mut reviews = Reviews::new(&server);
        let mut books = BookServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        let m = member(&mut members, &t.a1.name, "9700001", "An", date(2012, 1, 1)).await;
        *slot.lock().unwrap() = m.name.clone();

        self_assess(&mut reviews, &m, Grade::Good).await.unwrap();
        propose(&mut reviews, &m, Grade::Good).await.unwrap();
        let err = decide(&mut reviews, &m, Grade::Good, 15).await.unwrap_err();
        assert_eq!(details(&err).0, "DISCIPLINED_GRADE_CAP", "{backend}");
        assert!(
            err.message().contains("at most complete") && err.message().contains("reprimand"),
            "{}",
            err.message()
        );
        decide(&mut reviews, &m, Grade::Complete, 15).await.unwrap();

        // Evidence: book entries, commitment results, and the decision.
        let commitment = books
            .create_book_entry(CreateBookEntryRequest {
                entry: Some(BookEntry {
                    member: m.name.clone(),
                    year: YEAR,
                    kind: BookEntryKind::Commitment as i32,
                    text: "Cam kết".into(),
                    ..Default::default()
                }),
                submit: true,
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        books
            .record_commitment_result(RecordCommitmentResultRequest {
                name: commitment.name.clone(),
                outcome: CommitmentOutcome::NotKept as i32,
                comment: String::new(),
                request_id: String::new(),
            })
            .await
            .unwrap();
        let evidence = reviews
            .get_review_evidence(GetReviewEvidenceRequest {
                member: m.name.clone(),
                year: YEAR,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(evidence.entries.len(), 1);
        assert_eq!(
            (evidence.commitments_not_kept, evidence.commitments_pending),
            (1, 0)
        );
        assert_eq!(evidence.facts.len(), 1);
        assert_eq!(evidence.facts[0].kind, "DISCIPLINE");
        assert_eq!(
            evidence.review.unwrap().decision.unwrap().grade,
            Grade::Complete as i32
        );
    }
}

#[tokio::test]
async fn statistics_roll_up_the_tree() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let mut reviews = Reviews::new(&server);
        let t = tree(&mut orgs).await;
        let plan = [
            (&t.a1, Grade::Good, 5),
            (&t.a1, Grade::Excellent, 1),
            (&t.a2, Grade::Complete, 2),
            (&t.b1, Grade::Good, 3),
            (&t.b2, Grade::Incomplete, 1),
        ];
        let mut n = 0;
        for (cell, grade, count) in plan {
            for _ in 0..count {
                n += 1;
                let m = member(
                    &mut members,
                    &cell.name,
                    &format!("{}", 9_800_000 + n),
                    &format!("M{n}"),
                    date(2012, 1, 1),
                )
                .await;
                full_review(&mut reviews, &m, grade, 28).await.unwrap();
            }
        }
        let rows = reviews
            .get_review_statistics(GetReviewStatisticsRequest {
                organization: t.province.name.clone(),
                year: YEAR,
            })
            .await
            .unwrap()
            .into_inner()
            .rows;
        assert_eq!(rows.len(), 7, "{backend}");
        assert_eq!(rows[0].organization, t.province.name, "root first");
        let row = |code: &str| rows.iter().find(|r| r.code == code).unwrap().clone();
        let tu = row("TU");
        assert_eq!(
            (tu.excellent, tu.good, tu.complete, tu.incomplete, tu.total),
            (1, 8, 2, 1, 12)
        );
        let a = row("HU-A");
        assert_eq!((a.excellent, a.good, a.complete, a.total), (1, 5, 2, 8));
        // Every parent equals the sum of its children (no member sits
        // directly in a district or the province here).
        for parent in &rows {
            let children: Vec<_> = rows
                .iter()
                .filter(|r| r.parent == parent.organization)
                .collect();
            if !children.is_empty() {
                assert_eq!(
                    parent.total,
                    children.iter().map(|c| c.total).sum::<i64>(),
                    "{}",
                    parent.code
                );
                assert_eq!(
                    parent.good,
                    children.iter().map(|c| c.good).sum::<i64>(),
                    "{}",
                    parent.code
                );
            }
        }
    }
}
