//! The oversight part of the seed scenario: the province's inspections of
//! the period (State inspections in sectors prone to corruption, a Party
//! inspection), the cases their findings and the press produced, followed
//! from intake to their end — moves, a suspension, an extension, agencies'
//! reports and recovered amounts, a duplicate intake — the serious ones
//! designated for monitoring, and the disciplinary decisions that followed.
//! Everything through oversight's public API, with fixed request ids, so a
//! second run records nothing new.

use anyhow::Result;
use probity_platform::client::Authed;
use probity_proto::{
    google::r#type::Date,
    probity::{
        members::v1::{
            ListMembersRequest, ListOrganizationsRequest,
            member_service_client::MemberServiceClient,
            organization_service_client::OrganizationServiceClient,
        },
        oversight::v1::{
            self as o, agency_service_client::AgencyServiceClient,
            case_service_client::CaseServiceClient,
            discipline_service_client::DisciplineServiceClient,
            inspection_service_client::InspectionServiceClient,
            monitoring_service_client::MonitoringServiceClient,
            report_service_client::ReportServiceClient,
        },
    },
};

use crate::province::{date, status};

/// What the oversight seed recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OversightOutcome {
    /// Inspections recorded and concluded.
    pub inspections: usize,
    /// Cases recorded (a duplicate intake is not one).
    pub cases: usize,
    /// Of those, designated for monitoring.
    pub designated: usize,
    /// Of those, closed or dismissed.
    pub finished: usize,
    /// Disciplinary decisions.
    pub decisions: usize,
    /// Amounts recovered, VND, over all cases.
    pub recovered_vnd: i64,
    /// Whistleblower reports recorded (one named, its identity sealed).
    pub whistleblower_reports: usize,
}

/// The fixed request id of seed step `step`.
fn rid(step: &str) -> String {
    format!("seed-oversight-{step}")
}

/// The clients the seed uses.
struct Clients {
    agencies: AgencyServiceClient<Authed>,
    inspections: InspectionServiceClient<Authed>,
    cases: CaseServiceClient<Authed>,
    monitoring: MonitoringServiceClient<Authed>,
    discipline: DisciplineServiceClient<Authed>,
    reports: ReportServiceClient<Authed>,
}

impl Clients {
    async fn agency(&mut self, code: &str, name: &str, kind: o::AgencyKind) -> Result<String> {
        Ok(self
            .agencies
            .create_agency(o::CreateAgencyRequest {
                agency: Some(o::Agency {
                    code: code.into(),
                    display_name: name.into(),
                    kind: kind as i32,
                    level: o::AgencyLevel::Province as i32,
                    ..Default::default()
                }),
                request_id: rid(code),
            })
            .await
            .map_err(status("agency"))?
            .into_inner()
            .name)
    }

    /// Records and concludes an inspection.
    async fn inspection(
        &mut self,
        step: &str,
        i: o::Inspection,
        findings: &str,
        on: Option<Date>,
    ) -> Result<String> {
        let opened = self
            .inspections
            .create_inspection(o::CreateInspectionRequest {
                inspection: Some(i),
                request_id: rid(step),
            })
            .await
            .map_err(status("inspection"))?
            .into_inner();
        self.inspections
            .conclude_inspection(o::ConcludeInspectionRequest {
                name: opened.name.clone(),
                findings: findings.into(),
                conclusion_date: on,
                request_id: rid(&format!("{step}-concluded")),
                ..Default::default()
            })
            .await
            .map_err(status("conclusion"))?;
        Ok(opened.name)
    }

    /// Records a whistleblower report (with its reporter's identity when
    /// named) and then each decision of `decisions` (decision, day,
    /// number, note, outcome); links it to `case` when given.
    async fn whistleblower_report(
        &mut self,
        step: &str,
        r: o::Report,
        reporter: Option<o::ReporterIdentity>,
        decisions: &[(o::ReportDecision, Date, &str, &str, o::ReportOutcome)],
        case: &str,
    ) -> Result<String> {
        let name = self
            .reports
            .create_report(o::CreateReportRequest {
                report: Some(r),
                reporter,
                request_id: rid(step),
            })
            .await
            .map_err(status("report"))?
            .into_inner()
            .report
            .map(|r| r.name)
            .unwrap_or_default();
        for (i, (decision, on, number, note, outcome)) in decisions.iter().enumerate() {
            self.reports
                .decide_report(o::DecideReportRequest {
                    name: name.clone(),
                    decision: *decision as i32,
                    decision_date: Some(*on),
                    decision_number: (*number).into(),
                    note: (*note).into(),
                    outcome: *outcome as i32,
                    request_id: rid(&format!("{step}-decision-{i}")),
                    ..Default::default()
                })
                .await
                .map_err(status("report decision"))?;
        }
        if !case.is_empty() {
            self.reports
                .link_report_to_case(o::LinkReportToCaseRequest {
                    name: name.clone(),
                    case: case.into(),
                    request_id: rid(&format!("{step}-case")),
                    ..Default::default()
                })
                .await
                .map_err(status("report link"))?;
        }
        Ok(name)
    }

    async fn case(&mut self, step: &str, c: o::Case) -> Result<o::Case> {
        Ok(self
            .cases
            .create_case(o::CreateCaseRequest {
                r#case: Some(c),
                request_id: rid(step),
            })
            .await
            .map_err(status("case"))?
            .into_inner())
    }

    /// Moves a case through `stages`, each (stage, day, reason, decision,
    /// agencies added).
    async fn moves(
        &mut self,
        case: &str,
        stages: &[(o::CaseStage, Date, &str, &str, Vec<String>)],
    ) -> Result<()> {
        for (stage, on, why, decision, agencies) in stages {
            self.cases
                .move_case(o::MoveCaseRequest {
                    name: case.into(),
                    stage: *stage as i32,
                    effective_date: Some(*on),
                    reason: (*why).into(),
                    decision_number: (*decision).into(),
                    add_agencies: agencies.clone(),
                    request_id: rid(&format!(
                        "{case}-to-{}-{}-{}-{}",
                        *stage as i32, on.year, on.month, on.day
                    )),
                    ..Default::default()
                })
                .await
                .map_err(status("move"))?;
        }
        Ok(())
    }

    async fn designate(
        &mut self,
        case: &str,
        on: Date,
        criteria: &[o::DesignationCriterion],
        why: &str,
    ) -> Result<()> {
        self.monitoring
            .designate_case(o::DesignateCaseRequest {
                parent: case.into(),
                designation: Some(o::Designation {
                    designated_by: o::DesignatingBody::SteeringCommittee as i32,
                    decision_number: format!("{}-QĐ/BCĐ", on.month),
                    decision_date: Some(on),
                    criteria: criteria.iter().map(|c| *c as i32).collect(),
                    reason: why.into(),
                    ..Default::default()
                }),
                request_id: rid(&format!("{case}-designated")),
            })
            .await
            .map_err(status("designation"))?;
        Ok(())
    }

    async fn report(
        &mut self,
        case: &str,
        step: &str,
        agency: &str,
        on: Date,
        summary: &str,
        recovered: i64,
    ) -> Result<()> {
        self.cases
            .create_progress_report(o::CreateProgressReportRequest {
                parent: case.into(),
                report: Some(o::ProgressReport {
                    agency: agency.into(),
                    report_date: Some(on),
                    summary: summary.into(),
                    recovered_vnd: recovered,
                    ..Default::default()
                }),
                request_id: rid(step),
            })
            .await
            .map_err(status("progress report"))?;
        Ok(())
    }

    async fn decision(&mut self, step: &str, d: o::DisciplinaryDecision) -> Result<()> {
        self.discipline
            .create_disciplinary_decision(o::CreateDisciplinaryDecisionRequest {
                decision: Some(d),
                request_id: rid(step),
            })
            .await
            .map_err(status("disciplinary decision"))?;
        Ok(())
    }
}

fn day(y: i32, m: i32, d: i32) -> Date {
    date(y, m, d).unwrap_or_default()
}

fn intake(
    origin: o::CaseOrigin,
    reference: &str,
    received: Date,
    summary: &str,
) -> Vec<o::CaseIntake> {
    vec![o::CaseIntake {
        origin: origin as i32,
        origin_reference: reference.into(),
        received_date: Some(received),
        summary: summary.into(),
    }]
}

/// Loads the oversight part of the scenario over the province `province`
/// already in members (its districts and a few members are read through
/// members' API).
pub async fn seed_oversight(
    members: Authed,
    oversight: Authed,
    province: &str,
) -> Result<OversightOutcome> {
    use o::{CaseKind::*, CaseOrigin as Origin, CaseStage::*, DesignationCriterion as Why};
    let districts = OrganizationServiceClient::new(members.clone())
        .list_organizations(ListOrganizationsRequest {
            parent: province.into(),
            page_size: 3,
            ..Default::default()
        })
        .await
        .map_err(status("districts"))?
        .into_inner()
        .organizations
        .into_iter()
        .map(|o| o.name)
        .collect::<Vec<_>>();
    let people = MemberServiceClient::new(members)
        .list_members(ListMembersRequest {
            organization: districts.first().cloned().unwrap_or_default(),
            include_subtree: true,
            page_size: 3,
            ..Default::default()
        })
        .await
        .map_err(status("members"))?
        .into_inner()
        .members
        .into_iter()
        .map(|m| m.name)
        .collect::<Vec<_>>();
    let (Some(d0), Some(d1), Some(d2)) = (districts.first(), districts.get(1), districts.get(2))
    else {
        anyhow::bail!("the province needs three districts");
    };
    let (Some(m0), Some(m1), Some(m2)) = (people.first(), people.get(1), people.get(2)) else {
        anyhow::bail!("the first district needs three members");
    };
    let mut c = Clients {
        agencies: AgencyServiceClient::new(oversight.clone()),
        inspections: InspectionServiceClient::new(oversight.clone()),
        cases: CaseServiceClient::new(oversight.clone()),
        monitoring: MonitoringServiceClient::new(oversight.clone()),
        discipline: DisciplineServiceClient::new(oversight.clone()),
        reports: ReportServiceClient::new(oversight),
    };
    let police = c
        .agency(
            "CSDT-CAT",
            "Cơ quan Cảnh sát điều tra Công an tỉnh",
            o::AgencyKind::Investigation,
        )
        .await?;
    let procuracy = c
        .agency(
            "VKSND-T",
            "Viện kiểm sát nhân dân tỉnh",
            o::AgencyKind::Procuracy,
        )
        .await?;
    let court = c
        .agency("TAND-T", "Tòa án nhân dân tỉnh", o::AgencyKind::Court)
        .await?;
    let inspectorate = c
        .agency("TT-T", "Thanh tra tỉnh", o::AgencyKind::Inspectorate)
        .await?;
    let audit = c
        .agency(
            "KTNN-KV",
            "Kiểm toán Nhà nước khu vực",
            o::AgencyKind::StateAudit,
        )
        .await?;
    let enforcement = c
        .agency(
            "CTHADS-T",
            "Cục Thi hành án dân sự tỉnh",
            o::AgencyKind::JudgmentEnforcement,
        )
        .await?;
    let mut outcome = OversightOutcome::default();

    // Inspections of the period.
    let state = |agency: &str,
                 org: &str,
                 sector: &str,
                 unit: &str,
                 plan: &str,
                 decision: &str,
                 start: Date| o::Inspection {
        kind: o::InspectionKind::State as i32,
        organization: org.into(),
        conducting_agency: agency.into(),
        subject_unit: unit.into(),
        sector: sector.into(),
        plan_reference: plan.into(),
        decision_number: decision.into(),
        period_start: date(start.year - 2, 1, 1),
        period_end: date(start.year - 1, 12, 31),
        start_date: Some(start),
        ..Default::default()
    };
    let land = c
        .inspection(
            "inspection-land",
            state(
                &inspectorate,
                d0,
                "sectors/land",
                "UBND huyện và Phòng Tài nguyên và Môi trường",
                "01/KH-TT 2017",
                "15/QĐ-TT",
                day(2017, 3, 1),
            ),
            "Giao đất, cho thuê đất không qua đấu giá 12,5 ha; thu hồi 8,2 tỷ đồng.",
            date(2017, 5, 15),
        )
        .await?;
    let works = c
        .inspection(
            "inspection-construction",
            state(
                &audit,
                d1,
                "sectors/construction",
                "Ban Quản lý dự án đầu tư xây dựng huyện",
                "KH kiểm toán 2018",
                "120/QĐ-KTNN",
                day(2018, 4, 1),
            ),
            "Nghiệm thu, thanh toán khối lượng không đúng thực tế 21 tỷ đồng.",
            date(2018, 6, 20),
        )
        .await?;
    let budget = c
        .inspection(
            "inspection-budget",
            state(
                &inspectorate,
                d2,
                "sectors/budget-finance",
                "Phòng Tài chính – Kế hoạch huyện",
                "01/KH-TT 2019",
                "22/QĐ-TT",
                day(2019, 5, 1),
            ),
            "Chi sai chế độ 1,4 tỷ đồng; đề nghị thu hồi và kiểm điểm trách nhiệm.",
            date(2019, 7, 15),
        )
        .await?;
    let party = c
        .inspection(
            "inspection-party",
            o::Inspection {
                kind: o::InspectionKind::Party as i32,
                organization: province.into(),
                subject: m0.clone(),
                plan_reference: "05-KH/UBKTTU".into(),
                decision_number: "31-QĐ/UBKTTU".into(),
                period_start: date(2017, 1, 1),
                period_end: date(2018, 12, 31),
                start_date: date(2019, 9, 1),
                ..Default::default()
            },
            "Vi phạm quy định về quản lý đất đai khi giữ chức vụ; đề nghị kỷ luật.",
            date(2019, 10, 30),
        )
        .await?;
    outcome.inspections = 4;

    // Cases from the findings and the press, followed to their end.
    let subject = |member: &str| o::CaseSubject {
        member: member.into(),
        ..Default::default()
    };
    let outsider = |name: &str, position: &str| o::CaseSubject {
        full_name: name.into(),
        position: position.into(),
        ..Default::default()
    };
    let land_incident = c
        .case(
            "case-1",
            o::Case {
                code: "VV-2017-01".into(),
                title: "Sai phạm trong giao đất, cho thuê đất".into(),
                kind: Incident as i32,
                sector: "sectors/land".into(),
                jurisdiction: d0.clone(),
                handling_agencies: vec![inspectorate.clone()],
                subjects: vec![subject(m1)],
                intakes: intake(
                    Origin::Inspection,
                    "KL 15/KL-TT",
                    day(2017, 5, 20),
                    "Kết luận thanh tra đất đai",
                ),
                inspection: land.clone(),
                loss_vnd: 8_200_000_000,
                ..Default::default()
            },
        )
        .await?;
    c.moves(
        &land_incident.name,
        &[
            (Verifying, day(2017, 5, 25), "Xác minh", "", vec![]),
            (
                Inspecting,
                day(2017, 6, 1),
                "Kiểm tra trách nhiệm",
                "20/QĐ-TT",
                vec![],
            ),
        ],
    )
    .await?;
    c.report(
        &land_incident.name,
        "report-1",
        &inspectorate,
        day(2017, 7, 5),
        "Đã thu hồi về ngân sách",
        8_200_000_000,
    )
    .await?;
    c.moves(
        &land_incident.name,
        &[(
            Closed,
            day(2017, 7, 10),
            "Đã xử lý kỷ luật, thu hồi tiền",
            "",
            vec![],
        )],
    )
    .await?;

    let land_crime = c
        .case(
            "case-2",
            o::Case {
                code: "VA-2017-02".into(),
                title: "Lợi dụng chức vụ, quyền hạn trong giao đất".into(),
                kind: Incident as i32,
                sector: "sectors/land".into(),
                jurisdiction: d0.clone(),
                handling_agencies: vec![police.clone()],
                subjects: vec![outsider(
                    "Trần Văn Hùng",
                    "Nguyên Trưởng phòng Tài nguyên và Môi trường",
                )],
                intakes: intake(
                    Origin::Inspection,
                    "KN 16/KN-TT",
                    day(2017, 6, 1),
                    "Kiến nghị khởi tố",
                ),
                inspection: land.clone(),
                loss_vnd: 15_600_000_000,
                ..Default::default()
            },
        )
        .await?;
    c.designate(
        &land_crime.name,
        day(2017, 7, 1),
        &[Why::Serious, Why::PublicConcern],
        "Thiệt hại lớn, dư luận quan tâm",
    )
    .await?;
    c.moves(
        &land_crime.name,
        &[
            (Verifying, day(2017, 6, 5), "Xác minh tin báo", "", vec![]),
            (
                Investigating,
                day(2017, 6, 20),
                "Khởi tố vụ án",
                "05/QĐ-CSĐT",
                vec![],
            ),
        ],
    )
    .await?;
    c.cases
        .extend_case_deadline(o::ExtendCaseDeadlineRequest {
            name: land_crime.name.clone(),
            due_date: date(2018, 1, 15),
            reason: "Vụ án phức tạp, cần giám định".into(),
            decision_number: "12/QĐ-VKS".into(),
            request_id: rid("case-2-extended"),
            ..Default::default()
        })
        .await
        .map_err(status("extension"))?;
    c.moves(
        &land_crime.name,
        &[
            (
                Prosecuting,
                day(2017, 12, 1),
                "Kết thúc điều tra, đề nghị truy tố",
                "09/KLĐT",
                vec![procuracy.clone()],
            ),
            (
                OnTrial,
                day(2017, 12, 25),
                "Truy tố",
                "03/CT-VKS",
                vec![court.clone()],
            ),
            (
                Enforcing,
                day(2018, 3, 10),
                "Bản án sơ thẩm có hiệu lực",
                "15/2018/HS-ST",
                vec![enforcement.clone()],
            ),
        ],
    )
    .await?;
    c.report(
        &land_crime.name,
        "report-2",
        &enforcement,
        day(2018, 12, 15),
        "Thu hồi tài sản theo bản án",
        12_300_000_000,
    )
    .await?;
    c.moves(
        &land_crime.name,
        &[(Closed, day(2018, 12, 20), "Thi hành án xong", "", vec![])],
    )
    .await?;

    let works_crime = c
        .case(
            "case-3",
            o::Case {
                code: "VA-2018-03".into(),
                title: "Vi phạm quy định về đầu tư công trình xây dựng".into(),
                kind: Incident as i32,
                sector: "sectors/construction".into(),
                jurisdiction: d1.clone(),
                handling_agencies: vec![police.clone()],
                subjects: vec![outsider("Phạm Minh Tuấn", "Giám đốc Ban Quản lý dự án")],
                intakes: intake(
                    Origin::Audit,
                    "BC 45/BC-KTNN",
                    day(2018, 7, 1),
                    "Báo cáo kiểm toán",
                ),
                inspection: works.clone(),
                loss_vnd: 21_000_000_000,
                ..Default::default()
            },
        )
        .await?;
    c.designate(
        &works_crime.name,
        day(2018, 9, 1),
        &[Why::Complex],
        "Nhiều đối tượng, cần giám định",
    )
    .await?;
    c.moves(
        &works_crime.name,
        &[
            (Verifying, day(2018, 7, 5), "Xác minh", "", vec![]),
            (
                Investigating,
                day(2018, 8, 1),
                "Khởi tố vụ án",
                "11/QĐ-CSĐT",
                vec![],
            ),
        ],
    )
    .await?;
    c.cases
        .suspend_case(o::SuspendCaseRequest {
            name: works_crime.name.clone(),
            effective_date: date(2018, 10, 1),
            reason: "Chờ kết luận giám định".into(),
            decision_number: "02/QĐ-TĐC".into(),
            request_id: rid("case-3-suspended"),
            ..Default::default()
        })
        .await
        .map_err(status("suspension"))?;
    c.cases
        .resume_case(o::ResumeCaseRequest {
            name: works_crime.name.clone(),
            effective_date: date(2018, 11, 15),
            reason: "Đã có kết luận giám định".into(),
            request_id: rid("case-3-resumed"),
            ..Default::default()
        })
        .await
        .map_err(status("resumption"))?;
    c.moves(
        &works_crime.name,
        &[
            (
                Prosecuting,
                day(2019, 2, 1),
                "Đề nghị truy tố",
                "04/KLĐT",
                vec![procuracy.clone()],
            ),
            (
                OnTrial,
                day(2019, 3, 1),
                "Truy tố",
                "07/CT-VKS",
                vec![court.clone()],
            ),
            (
                Enforcing,
                day(2019, 6, 1),
                "Bản án có hiệu lực",
                "22/2019/HS-ST",
                vec![enforcement.clone()],
            ),
        ],
    )
    .await?;
    c.report(
        &works_crime.name,
        "report-3",
        &enforcement,
        day(2019, 12, 1),
        "Thu hồi một phần",
        9_500_000_000,
    )
    .await?;

    let press = o::Case {
        code: "VV-2019-04".into(),
        title: "Phản ánh chi sai chế độ".into(),
        kind: Incident as i32,
        sector: "sectors/budget-finance".into(),
        jurisdiction: d2.clone(),
        handling_agencies: vec![inspectorate.clone()],
        subjects: vec![outsider("Lê Thị Hoa", "Kế toán trưởng")],
        intakes: intake(
            Origin::Press,
            "Báo Tây Ninh 12/7/2019",
            day(2019, 7, 20),
            "Bài báo phản ánh",
        ),
        inspection: budget.clone(),
        loss_vnd: 1_400_000_000,
        ..Default::default()
    };
    let press_case = c.case("case-4", press.clone()).await?;
    // The same article sent again: linked, not recorded twice.
    let mut again = press;
    again.code = "VV-2019-05".into();
    again.intakes = intake(
        Origin::Press,
        "báo tây ninh 12/7/2019",
        day(2019, 7, 22),
        "Đơn kèm bài báo",
    );
    c.case("case-4-again", again).await?;
    c.moves(
        &press_case.name,
        &[
            (Verifying, day(2019, 7, 25), "Xác minh", "", vec![]),
            (
                Dismissed,
                day(2019, 9, 1),
                "Đã thu hồi, không có dấu hiệu tội phạm",
                "30/TB-TT",
                vec![],
            ),
        ],
    )
    .await?;

    let declaration = c
        .case(
            "case-5",
            o::Case {
                code: "VA-2020-05".into(),
                title: "Kê khai tài sản không trung thực, nhận hối lộ".into(),
                kind: Incident as i32,
                sector: "sectors/health".into(),
                jurisdiction: province.into(),
                handling_agencies: vec![police.clone()],
                subjects: vec![outsider("Nguyễn Văn Bình", "Nguyên Giám đốc bệnh viện")],
                intakes: intake(
                    Origin::AssetDeclaration,
                    "KL xác minh 03/KL-TT",
                    day(2020, 3, 1),
                    "Kết luận xác minh tài sản",
                ),
                loss_vnd: 3_000_000_000,
                ..Default::default()
            },
        )
        .await?;
    c.designate(
        &declaration.name,
        day(2020, 4, 1),
        &[Why::PublicConcern],
        "Dư luận quan tâm",
    )
    .await?;
    c.moves(
        &declaration.name,
        &[
            (Verifying, day(2020, 3, 5), "Xác minh", "", vec![]),
            (
                Investigating,
                day(2020, 4, 15),
                "Khởi tố vụ án",
                "03/QĐ-ANĐT",
                vec![],
            ),
            (
                Prosecuting,
                day(2020, 9, 1),
                "Đề nghị truy tố",
                "08/KLĐT",
                vec![procuracy.clone()],
            ),
            (
                OnTrial,
                day(2020, 10, 1),
                "Truy tố",
                "11/CT-VKS",
                vec![court.clone()],
            ),
        ],
    )
    .await?;
    c.report(
        &declaration.name,
        "report-5",
        &police,
        day(2020, 6, 1),
        "Bị can tự nguyện nộp lại",
        3_000_000_000,
    )
    .await?;
    c.moves(
        &declaration.name,
        &[(
            Closed,
            day(2021, 1, 15),
            "Bản án có hiệu lực, đã nộp lại tiền",
            "02/2021/HS-ST",
            vec![],
        )],
    )
    .await?;
    outcome.cases = 5;
    outcome.designated = 3;
    outcome.finished = 4;
    outcome.recovered_vnd = 8_200_000_000 + 12_300_000_000 + 9_500_000_000 + 3_000_000_000;

    // Discipline that followed.
    let decision = |member: &str,
                    form: o::DisciplineForm,
                    number: &str,
                    on: Date,
                    case: &str,
                    inspection: &str,
                    why: &str| o::DisciplinaryDecision {
        member: member.into(),
        form: form as i32,
        deciding_organization: province.into(),
        decision_number: number.into(),
        decision_date: Some(on),
        effective_date: Some(on),
        r#case: case.into(),
        inspection: inspection.into(),
        reason: why.into(),
        ..Default::default()
    };
    c.decision(
        "decision-1",
        decision(
            m1,
            o::DisciplineForm::Reprimand,
            "12-QĐ/UBKTTU",
            day(2017, 7, 5),
            &land_incident.name,
            &land,
            "Thiếu trách nhiệm trong quản lý đất đai",
        ),
    )
    .await?;
    c.decision(
        "decision-2",
        decision(
            m2,
            o::DisciplineForm::Warning,
            "40-QĐ/UBKTTU",
            day(2019, 8, 10),
            "",
            &budget,
            "Buông lỏng quản lý tài chính",
        ),
    )
    .await?;
    c.decision(
        "decision-3",
        decision(
            m0,
            o::DisciplineForm::Warning,
            "55-QĐ/UBKTTU",
            day(2019, 11, 5),
            "",
            &party,
            "Vi phạm quy định về quản lý đất đai",
        ),
    )
    .await?;
    outcome.decisions = 3;

    // Whistleblower reports (Directive 27-CT/TW): the denunciation that
    // opened the land incident, named and its identity sealed; an
    // anonymous reflection online, awaiting a decision; a petition not
    // accepted.
    use o::{ReportDecision as D, ReportOutcome as R};
    let received =
        |channel: o::ReportChannel, category: o::ReportCategory, text: &str, on| o::Report {
            organization: province.into(),
            channel: channel as i32,
            category: category as i32,
            content: text.into(),
            accused: vec![o::AccusedPerson {
                display_name: "Lãnh đạo UBND xã".into(),
                position: "Chủ tịch UBND xã".into(),
                ..Default::default()
            }],
            sector: "sectors/land".into(),
            received_date: Some(on),
            ..Default::default()
        };
    c.whistleblower_report(
        "report-1",
        received(
            o::ReportChannel::Mail,
            o::ReportCategory::Denunciation,
            "Tố cáo việc giao đất sai đối tượng tại xã",
            day(2019, 3, 4),
        ),
        Some(o::ReporterIdentity {
            full_name: "Người tố cáo (danh tính được niêm phong)".into(),
            ..Default::default()
        }),
        &[
            (
                D::Accept,
                day(2019, 3, 8),
                "03/TB-UBKTTU",
                "",
                R::Unspecified,
            ),
            (
                D::Resolve,
                day(2019, 4, 5),
                "07/KL-UBKTTU",
                "Tố cáo đúng; chuyển xử lý trong vụ việc",
                R::Founded,
            ),
        ],
        &land_incident.name,
    )
    .await?;
    c.whistleblower_report(
        "report-2",
        received(
            o::ReportChannel::Online,
            o::ReportCategory::Reflection,
            "Phản ánh việc thu phí không đúng quy định",
            day(2021, 5, 10),
        ),
        None,
        &[],
        "",
    )
    .await?;
    c.whistleblower_report(
        "report-3",
        received(
            o::ReportChannel::InPerson,
            o::ReportCategory::Petition,
            "Kiến nghị xem xét lại quyết định thu hồi đất đã giải quyết",
            day(2021, 6, 1),
        ),
        None,
        &[(
            D::NotAccept,
            day(2021, 6, 7),
            "12/TB-UBKTTU",
            "Đã được giải quyết bằng quyết định có hiệu lực",
            R::Unspecified,
        )],
        "",
    )
    .await?;
    outcome.whistleblower_reports = 3;
    Ok(outcome)
}
