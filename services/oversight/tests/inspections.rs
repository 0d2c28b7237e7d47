//! Inspections through the real gRPC API against a real members server, on
//! every backend: Party and State kept apart, findings leading to cases and
//! decisions that the inspection lists and that name it back, scope.

mod common;

use common::{World, backends, date, fields, reason};
use probity_proto::probity::oversight::v1::{
    Agency, AgencyKind, AgencyLevel, ConcludeInspectionRequest, CreateAgencyRequest,
    CreateDisciplinaryDecisionRequest, CreateInspectionRequest, DisciplinaryDecision,
    DisciplineForm, GetCaseRequest, GetInspectionRequest, Inspection, InspectionKind,
    ListInspectionsRequest, discipline_service_client::DisciplineServiceClient,
    inspection_service_client::InspectionServiceClient,
};
use tonic::Code;

async fn inspectorate(world: &World) -> String {
    world
        .agencies()
        .create_agency(CreateAgencyRequest {
            agency: Some(Agency {
                code: "TTT".into(),
                display_name: "Thanh tra tỉnh".into(),
                kind: AgencyKind::Inspectorate as i32,
                level: AgencyLevel::Province as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name
}

fn state_inspection(world: &World, agency: &str) -> Inspection {
    Inspection {
        kind: InspectionKind::State as i32,
        organization: world.district_a.clone(),
        conducting_agency: agency.into(),
        subject_unit: "Phòng Tài nguyên và Môi trường huyện A".into(),
        sector: "sectors/land".into(),
        plan_reference: "05/KH-TTT".into(),
        decision_number: "12/QĐ-TTT".into(),
        period_start: date(2022, 1, 1),
        period_end: date(2023, 12, 31),
        start_date: date(2024, 2, 1),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_state_inspections_findings_lead_to_a_case_and_a_decision_both_ways() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let agency = inspectorate(&world).await;
        let mut inspections = InspectionServiceClient::new(world.officer(&[&world.district_a]));
        let opened = inspections
            .create_inspection(CreateInspectionRequest {
                inspection: Some(state_inspection(&world, &agency)),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let concluded = inspections
            .conclude_inspection(ConcludeInspectionRequest {
                name: opened.name.clone(),
                findings: "Giao đất trái thẩm quyền 12 ha".into(),
                etag: opened.etag.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(concluded.conclusion_date, date(2024, 4, 10), "{backend}");
        let err = inspections
            .conclude_inspection(ConcludeInspectionRequest {
                name: opened.name.clone(),
                findings: "again".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(reason(&err), "INSPECTION_CONCLUDED", "{backend}");
        // A case from its findings, and a decision.
        let mut case = world.case_in_a("VA-1", "KL 12/KL-TTT");
        case.inspection = opened.name.clone();
        let case = world.create(case).await.unwrap();
        assert_eq!(case.inspection, opened.name);
        let decision = DisciplineServiceClient::new(world.officer(&[&world.district_a]))
            .create_disciplinary_decision(CreateDisciplinaryDecisionRequest {
                decision: Some(DisciplinaryDecision {
                    member: world.member_a.clone(),
                    form: DisciplineForm::Reprimand as i32,
                    deciding_organization: world.district_a.clone(),
                    decision_number: "07-QĐ/UBKT".into(),
                    decision_date: date(2024, 4, 5),
                    effective_date: date(2024, 4, 5),
                    inspection: opened.name.clone(),
                    reason: "Thiếu trách nhiệm".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let read = inspections
            .get_inspection(GetInspectionRequest {
                name: opened.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(read.cases, std::slice::from_ref(&case.name), "{backend}");
        assert_eq!(read.decisions, std::slice::from_ref(&decision.name));
        let back = world
            .cases(world.officer(&["*"]))
            .get_case(GetCaseRequest {
                name: case.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(back.inspection, opened.name, "{backend}");
        assert_eq!(decision.inspection, opened.name);
    }
}

#[tokio::test]
async fn party_and_state_inspections_are_kept_apart() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let agency = inspectorate(&world).await;
        let mut inspections = InspectionServiceClient::new(world.officer(&["*"]));
        // A State inspection outside a sector prone to corruption, or by an
        // agency that does not inspect, is refused.
        let mut outside = state_inspection(&world, &agency);
        outside.sector = "sectors/agriculture".into();
        let err = inspections
            .create_inspection(CreateInspectionRequest {
                inspection: Some(outside),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["inspection.sector"], "{backend}");
        let err = inspections
            .create_inspection(CreateInspectionRequest {
                inspection: Some(state_inspection(&world, &world.police)),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["inspection.conducting_agency"], "{backend}");
        // A Party inspection of a member, and one of an organisation
        // outside its owner's subtree.
        let party = Inspection {
            kind: InspectionKind::Party as i32,
            organization: world.district_a.clone(),
            subject: world.member_a.clone(),
            decision_number: "03-QĐ/UBKTHU".into(),
            period_start: date(2023, 1, 1),
            period_end: date(2023, 12, 31),
            start_date: date(2024, 3, 1),
            ..Default::default()
        };
        inspections
            .create_inspection(CreateInspectionRequest {
                inspection: Some(party.clone()),
                request_id: String::new(),
            })
            .await
            .unwrap();
        let mut elsewhere = party.clone();
        elsewhere.subject = world.district_b.clone();
        let err = inspections
            .create_inspection(CreateInspectionRequest {
                inspection: Some(elsewhere),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["inspection.subject"], "{backend}");
        inspections
            .create_inspection(CreateInspectionRequest {
                inspection: Some(state_inspection(&world, &agency)),
                request_id: String::new(),
            })
            .await
            .unwrap();
        let list = |kind: InspectionKind| {
            let mut client = inspections.clone();
            let org = world.province.clone();
            async move {
                client
                    .list_inspections(ListInspectionsRequest {
                        organization: org,
                        kind: kind as i32,
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .into_inner()
                    .inspections
                    .into_iter()
                    .map(|i| i.kind)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            list(InspectionKind::Party).await,
            [InspectionKind::Party as i32],
            "{backend}"
        );
        assert_eq!(
            list(InspectionKind::State).await,
            [InspectionKind::State as i32]
        );
        assert_eq!(list(InspectionKind::Unspecified).await.len(), 2);
    }
}

#[tokio::test]
async fn another_districts_officer_sees_no_inspection_of_ours() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let agency = inspectorate(&world).await;
        let opened = InspectionServiceClient::new(world.officer(&["*"]))
            .create_inspection(CreateInspectionRequest {
                inspection: Some(state_inspection(&world, &agency)),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let mut b = InspectionServiceClient::new(world.officer(&[&world.district_b]));
        let err = b
            .get_inspection(GetInspectionRequest {
                name: opened.name.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{backend}");
        let err = b
            .conclude_inspection(ConcludeInspectionRequest {
                name: opened.name.clone(),
                findings: "x".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{backend}");
        // Nor may B's officer cite it in a case of its own.
        let mut case = world.case_in_a("VB-1", "x");
        case.jurisdiction = world.district_b.clone();
        case.subjects.remove(0);
        case.inspection = opened.name.clone();
        let err = world
            .cases(world.officer(&[&world.district_b]))
            .create_case(probity_proto::probity::oversight::v1::CreateCaseRequest {
                r#case: Some(case),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["case.inspection"], "{backend}");
    }
}
