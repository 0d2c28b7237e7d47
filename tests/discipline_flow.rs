//! Oversight and members wired together, each its own server: an
//! inspection's finding becoming a case, designated, escalated once and
//! urged, a disciplinary decision capping the member's
//! classification in members (and shown in the review's evidence), an
//! expulsion and a removal from post applied in members by oversight's
//! outbox — also when members was down at the decision, and refused
//! visibly when members' history forbids it — and a review decision
//! refused UNAVAILABLE while oversight is down. On every backend.

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use probity_e2e::{Stack, service_identity};
use probity_platform::{
    auth::Issuer,
    testing::{Authed, TestOptions, TestServer, backends},
};
use probity_proto::{
    google::r#type::Date,
    probity::{
        members::v1::{
            self as m, member_service_client::MemberServiceClient,
            review_service_client::ReviewServiceClient,
        },
        oversight::v1::{
            self as o, case_service_client::CaseServiceClient,
            discipline_service_client::DisciplineServiceClient,
            monitoring_service_client::MonitoringServiceClient,
        },
    },
};
use tokio::net::{TcpListener, TcpStream};
use tonic::Code;

const YEAR: i32 = 2025;

fn date(y: i32, mo: i32, d: i32) -> Option<Date> {
    Some(Date {
        year: y,
        month: mo,
        day: d,
    })
}

/// A TCP link to a server that can be cut and restored: members "down"
/// and "back" for oversight, without restarting it.
struct Link {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Link {
    async fn to(url: &str) -> Self {
        let target: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (up2, open2) = (up.clone(), open.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    continue;
                }
                let forward = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                open2.lock().unwrap().push(forward);
            }
        });
        Self { addr, up, open }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Cuts the link (and every connection through it) or restores it.
    fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            for c in self.open.lock().unwrap().drain(..) {
                c.abort();
            }
        }
    }
}

/// The province's tree in members: TU → HU → CS, and two members of CS.
struct People {
    province: String,
    district: String,
    an: String,
    binh: String,
}

async fn people(stack: &Stack) -> People {
    use m::OrganizationKind::*;
    let tu = stack.org("", "TU", Province).await;
    let district = stack.org(&tu, "HU", District).await;
    let cs = stack.org(&district, "CS", Grassroots).await;
    let mut members = MemberServiceClient::new(stack.members_admin());
    let mut person = async |card: &str, name: &str| {
        members
            .create_member(m::CreateMemberRequest {
                member: Some(m::Member {
                    party_card_number: card.into(),
                    full_name: name.into(),
                    date_of_birth: date(1970, 1, 1),
                    gender: m::Gender::Male as i32,
                    organization: cs.clone(),
                    admission_date: date(2000, 3, 1),
                    head_position: "Bí thư chi bộ".into(),
                    ..Default::default()
                }),
                official_date: date(2001, 3, 1),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .name
    };
    let an = person("92000011", "Nguyễn Văn An").await;
    let binh = person("92000012", "Lê Thị Bình").await;
    People {
        province: tu,
        district,
        an,
        binh,
    }
}

fn decision(
    member: &str,
    org: &str,
    form: o::DisciplineForm,
    effective: (i32, i32, i32),
) -> o::CreateDisciplinaryDecisionRequest {
    o::CreateDisciplinaryDecisionRequest {
        decision: Some(o::DisciplinaryDecision {
            member: member.into(),
            form: form as i32,
            deciding_organization: org.into(),
            decision_number: "45-QĐ/UBKT".into(),
            decision_date: date(effective.0, effective.1, effective.2),
            effective_date: date(effective.0, effective.1, effective.2),
            reason: "Vi phạm quy định về quản lý đất đai".into(),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

/// Waits (up to 15 s) for the decision's effect in members to be `want`.
async fn effect(
    discipline: &mut DisciplineServiceClient<Authed>,
    name: &str,
    want: o::MembersEffect,
) -> o::DisciplinaryDecision {
    for _ in 0..150 {
        let d = discipline
            .get_disciplinary_decision(o::GetDisciplinaryDecisionRequest { name: name.into() })
            .await
            .unwrap()
            .into_inner();
        if d.members_effect == want as i32 {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{name} did not become {want:?} in 15 s");
}

async fn member_now(members: &TestServer, name: &str) -> m::Member {
    MemberServiceClient::new(members.admin())
        .get_member(m::GetMemberRequest { name: name.into() })
        .await
        .unwrap()
        .into_inner()
}

/// Self-assessed and proposed GOOD; the committee's decision is returned.
async fn review(
    members: &TestServer,
    member: &str,
    grade: m::Grade,
) -> Result<m::Review, tonic::Status> {
    let mut clerk = ReviewServiceClient::new(members.admin());
    let name = format!("{member}/reviews/{YEAR}");
    if clerk
        .get_review(m::GetReviewRequest { name: name.clone() })
        .await
        .is_err()
    {
        clerk
            .submit_self_assessment(m::SubmitSelfAssessmentRequest {
                member: member.into(),
                year: YEAR,
                grade: m::Grade::Good as i32,
                comment: "Tự đánh giá".into(),
                request_id: String::new(),
            })
            .await
            .unwrap();
        clerk
            .propose_grade(m::ProposeGradeRequest {
                name: name.clone(),
                grade: m::Grade::Good as i32,
                ..Default::default()
            })
            .await
            .unwrap();
    }
    ReviewServiceClient::new(members.committee())
        .decide_grade(m::DecideGradeRequest {
            name,
            grade: grade as i32,
            comment: "Quyết định".into(),
            decision_date: date(YEAR, 12, 20),
            etag: String::new(),
        })
        .await
        .map(|r| r.into_inner())
}

#[tokio::test]
async fn a_followed_case_ends_in_discipline_that_members_applies() {
    for backend in backends() {
        let stack = Stack::start(&backend).await;
        let p = people(&stack).await;
        let admin = stack.oversight_admin();
        // A case about An, designated, escalated once as overdue.
        let police = stack
            .agency("CSDT", "Cơ quan CSĐT", o::AgencyKind::Investigation)
            .await;
        // An inspection of the district's land administration finds it.
        let inspectorate = stack
            .agency("TT-T", "Thanh tra tỉnh", o::AgencyKind::Inspectorate)
            .await;
        let mut inspections =
            o::inspection_service_client::InspectionServiceClient::new(admin.clone());
        let inspection = inspections
            .create_inspection(o::CreateInspectionRequest {
                inspection: Some(o::Inspection {
                    kind: o::InspectionKind::State as i32,
                    organization: p.district.clone(),
                    conducting_agency: inspectorate,
                    subject_unit: "Phòng Tài nguyên và Môi trường".into(),
                    sector: "sectors/land".into(),
                    decision_number: "12/QĐ-TT".into(),
                    period_start: date(2023, 1, 1),
                    period_end: date(2024, 12, 31),
                    start_date: date(2025, 1, 15),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        inspections
            .conclude_inspection(o::ConcludeInspectionRequest {
                name: inspection.name.clone(),
                findings: "Giao đất trái thẩm quyền".into(),
                conclusion_date: date(2025, 2, 20),
                ..Default::default()
            })
            .await
            .unwrap();
        let case = CaseServiceClient::new(admin.clone())
            .create_case(o::CreateCaseRequest {
                r#case: Some(o::Case {
                    inspection: inspection.name.clone(),
                    code: "VV-2025-01".into(),
                    title: "Sai phạm giao đất".into(),
                    kind: o::CaseKind::Incident as i32,
                    sector: "sectors/land".into(),
                    jurisdiction: p.district.clone(),
                    handling_agencies: vec![police.clone()],
                    subjects: vec![o::CaseSubject {
                        member: p.an.clone(),
                        ..Default::default()
                    }],
                    intakes: vec![o::CaseIntake {
                        origin: o::CaseOrigin::Inspection as i32,
                        origin_reference: "KL 12/KL-UBKT".into(),
                        received_date: date(2025, 3, 1),
                        summary: "Kết luận kiểm tra".into(),
                    }],
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(case.subjects[0].full_name, "Nguyễn Văn An", "{backend}");
        let mut monitoring = MonitoringServiceClient::new(admin.clone());
        monitoring
            .designate_case(o::DesignateCaseRequest {
                parent: case.name.clone(),
                designation: Some(o::Designation {
                    designated_by: o::DesignatingBody::StandingCommittee as i32,
                    decision_number: "05-QĐ/TU".into(),
                    decision_date: date(2025, 4, 1),
                    criteria: vec![o::DesignationCriterion::PublicConcern as i32],
                    reason: "Dư luận quan tâm".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap();
        let mut escalated = Vec::new();
        for _ in 0..100 {
            escalated = monitoring
                .list_escalations(o::ListEscalationsRequest {
                    parent: case.name.clone(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
                .escalations;
            if !escalated.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(escalated.len(), 1, "{backend}");
        assert_eq!(escalated[0].escalated_to, p.province, "{backend}");
        // Overdue: the committee urges the police, who answer.
        let urged = monitoring
            .create_urging(o::CreateUrgingRequest {
                parent: case.name.clone(),
                urging: Some(o::Urging {
                    agency: police.clone(),
                    content: "Đề nghị khẩn trương xác minh, báo cáo".into(),
                    requested_deadline: date(2099, 1, 1),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            urged.state,
            o::UrgingState::AwaitingReply as i32,
            "{backend}"
        );
        // A warning for An: no change in members, but his grade is capped.
        let mut discipline = DisciplineServiceClient::new(admin.clone());
        let mut warning = decision(&p.an, &p.district, o::DisciplineForm::Warning, (2025, 6, 1));
        warning.decision.as_mut().unwrap().r#case = case.name.clone();
        warning.decision.as_mut().unwrap().inspection = inspection.name.clone();
        let warned = discipline
            .create_disciplinary_decision(warning)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            warned.members_effect,
            o::MembersEffect::None as i32,
            "{backend}"
        );
        let err = review(&stack.members, &p.an, m::Grade::Good)
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition, "{backend}: {err:?}");
        assert!(err.message().contains("Cảnh cáo"), "{}", err.message());
        review(&stack.members, &p.an, m::Grade::Complete)
            .await
            .unwrap();
        let evidence = ReviewServiceClient::new(stack.members_admin())
            .get_review_evidence(m::GetReviewEvidenceRequest {
                member: p.an.clone(),
                year: YEAR,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(evidence.facts.len(), 1, "{backend}");
        assert_eq!(evidence.facts[0].source, "oversight");
        assert_eq!(evidence.facts[0].resource, warned.name);
        // The inspection lists what its findings produced.
        let traced = inspections
            .get_inspection(o::GetInspectionRequest {
                name: inspection.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(traced.cases, std::slice::from_ref(&case.name), "{backend}");
        assert_eq!(traced.decisions, std::slice::from_ref(&warned.name));
        // Removed from post: An's head position is cleared in members.
        let removed = discipline
            .create_disciplinary_decision(decision(
                &p.an,
                &p.district,
                o::DisciplineForm::RemovalFromPost,
                (2025, 7, 1),
            ))
            .await
            .unwrap()
            .into_inner();
        effect(&mut discipline, &removed.name, o::MembersEffect::Applied).await;
        assert_eq!(
            member_now(&stack.members, &p.an).await.head_position,
            "",
            "{backend}"
        );
        // Bình expelled: her status in members is EXPELLED.
        let expelled = discipline
            .create_disciplinary_decision(decision(
                &p.binh,
                &p.district,
                o::DisciplineForm::Expulsion,
                (2025, 8, 1),
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(expelled.members_effect, o::MembersEffect::Pending as i32);
        effect(&mut discipline, &expelled.name, o::MembersEffect::Applied).await;
        assert_eq!(
            member_now(&stack.members, &p.binh).await.status,
            m::MemberStatus::Expelled as i32,
            "{backend}"
        );
    }
}

#[tokio::test]
async fn an_expulsion_made_while_members_is_down_is_applied_when_it_is_back() {
    for backend in backends() {
        // Oversight's deliveries go through a link that can be cut.
        let key = Issuer::generate();
        let mut options = TestOptions::new(probity_members::SCHEMA);
        options.issuer = Some(key.clone());
        let members = TestServer::start(&backend, options, probity_members::register).await;
        let link = Link::to(&members.url()).await;
        let service = service_identity(&members, &link.url());
        let stack = Stack::start_beside(&backend, members, key, Some(service)).await;
        let p = people(&stack).await;
        let mut discipline = DisciplineServiceClient::new(stack.oversight_admin());
        link.set_up(false);
        let expelled = discipline
            .create_disciplinary_decision(decision(
                &p.binh,
                &p.district,
                o::DisciplineForm::Expulsion,
                (2025, 8, 1),
            ))
            .await
            .unwrap()
            .into_inner();
        // The delivery was tried and failed: the job says why, the
        // decision is still pending.
        let mut tried = false;
        for _ in 0..100 {
            let jobs = o::job_service_client::JobServiceClient::new(stack.oversight_admin())
                .list_jobs(o::ListJobsRequest::default())
                .await
                .unwrap()
                .into_inner()
                .jobs;
            let job = jobs.iter().find(|j| expelled.name.ends_with(&j.key));
            if job.is_some_and(|j| j.attempts >= 1 && !j.last_error.is_empty()) {
                tried = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(tried, "{backend}: a failed delivery attempt");
        let pending = effect(&mut discipline, &expelled.name, o::MembersEffect::Pending).await;
        assert_eq!(pending.members_effect, o::MembersEffect::Pending as i32);
        assert_eq!(
            member_now(&stack.members, &p.binh).await.status,
            m::MemberStatus::Official as i32,
            "{backend}: not applied while members is unreachable"
        );
        link.set_up(true);
        effect(&mut discipline, &expelled.name, o::MembersEffect::Applied).await;
        assert_eq!(
            member_now(&stack.members, &p.binh).await.status,
            m::MemberStatus::Expelled as i32,
            "{backend}"
        );
        // An expulsion dated before a later event in members is refused
        // there, and the refusal is shown on the decision.
        MemberServiceClient::new(stack.members_admin())
            .record_member_event(m::RecordMemberEventRequest {
                member: p.an.clone(),
                kind: m::MemberEventKind::Exempted as i32,
                effective_date: date(2025, 9, 1),
                ..Default::default()
            })
            .await
            .unwrap();
        let refused = discipline
            .create_disciplinary_decision(decision(
                &p.an,
                &p.district,
                o::DisciplineForm::Expulsion,
                (2025, 8, 15),
            ))
            .await
            .unwrap()
            .into_inner();
        let refused = effect(&mut discipline, &refused.name, o::MembersEffect::Refused).await;
        assert!(!refused.members_effect_detail.is_empty(), "{backend}");
    }
}

#[tokio::test]
async fn with_oversight_down_a_review_decision_is_unavailable_never_undisciplined() {
    for backend in backends() {
        let stack = Stack::start(&backend).await;
        let p = people(&stack).await;
        let Stack {
            members, oversight, ..
        } = stack;
        oversight.server.shutdown().await.unwrap();
        let err = review(&members, &p.an, m::Grade::Good).await.unwrap_err();
        assert_eq!(err.code(), Code::Unavailable, "{backend}: {err:?}");
        assert!(err.message().contains("oversight"), "{}", err.message());
    }
}
