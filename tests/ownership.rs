//! Who owns a study record follows the organisation tree of the day of the
//! request, as members reports it (issue 11's first finding): after
//! organisation Bx moved from district B to district A, B no longer reads
//! or changes Bx's classes, attendance, progress or absentees, and A does.
//! Supervision visits are read only by the inspecting or inspected side.
//! Members and study run as two servers; on every backend.

use probity_e2e::Stack;
use probity_platform::{
    resource::parse_name,
    testing::{Authed, backends},
};
use probity_proto::probity::{
    members::v1::{
        CreateMemberRequest, Gender, Member, MoveOrganizationRequest, OrganizationKind,
        member_service_client::MemberServiceClient,
        organization_service_client::OrganizationServiceClient,
    },
    study::v1::{
        CancelClassRequest, CreateClassRequest, CreateSupervisionVisitRequest, GetClassRequest,
        GetPlanProgressRequest, GetSupervisionVisitRequest, ListAttendanceRequest,
        ListClassesRequest, ListPlanAbsenteesRequest, ListSupervisionVisitsRequest, Plan,
        SupervisionRating, SupervisionVisit, UpdateClassRequest,
        class_service_client::ClassServiceClient, plan_service_client::PlanServiceClient,
        supervision_service_client::SupervisionServiceClient,
    },
};
use requests::{class, date, plan_request};
use tonic::Code;

#[path = "../services/study/tests/common/requests.rs"]
mod requests;

/// TU → {A, B → Bx → BxC (two members)}.
struct Tree {
    province: String,
    a: String,
    b: String,
    bx: String,
    cell: String,
}

async fn tree(stack: &Stack) -> Tree {
    use OrganizationKind::*;
    let province = stack.org("", "TU", Province).await;
    let a = stack.org(&province, "A", District).await;
    let b = stack.org(&province, "B", District).await;
    let bx = stack.org(&b, "BX", Grassroots).await;
    let cell = stack.org(&bx, "BXC", Cell).await;
    let mut members = MemberServiceClient::new(stack.members_admin());
    for card in 0..2 {
        let member = Member {
            party_card_number: format!("{}", 91_000_000 + card),
            full_name: format!("Đảng viên {card}"),
            date_of_birth: date(1980, 1, 1),
            gender: Gender::Female as i32,
            organization: cell.clone(),
            admission_date: date(2010, 3, 1),
            ..Default::default()
        };
        members
            .create_member(CreateMemberRequest {
                member: Some(member),
                official_date: date(2011, 3, 1),
                request_id: String::new(),
            })
            .await
            .unwrap();
    }
    Tree {
        province,
        a,
        b,
        bx,
        cell,
    }
}

async fn province_plan(stack: &Stack, t: &Tree) -> Plan {
    let doc = stack.document().await;
    PlanServiceClient::new(stack.study_admin())
        .create_plan(plan_request(&t.province, vec![doc]))
        .await
        .unwrap()
        .into_inner()
}

fn id(name: &str) -> &str {
    parse_name("", name, "organizations").unwrap()
}

/// The codes a caller gets for each read and change of the class and of
/// Bx's figures, in a fixed order.
async fn answers(caller: Authed, plan: &Plan, t: &Tree, class_name: &str) -> Vec<Code> {
    let mut classes = ClassServiceClient::new(caller.clone());
    let mut plans = PlanServiceClient::new(caller);
    let code = |r: Result<(), tonic::Status>| r.err().map_or(Code::Ok, |s| s.code());
    let get = classes
        .get_class(GetClassRequest {
            name: class_name.into(),
        })
        .await
        .map(|_| ());
    let attendance = classes
        .list_attendance(ListAttendanceRequest {
            study_class: class_name.into(),
            ..Default::default()
        })
        .await
        .map(|_| ());
    let progress = plans
        .get_plan_progress(GetPlanProgressRequest {
            plan: plan.name.clone(),
            organization: t.bx.clone(),
            ..Default::default()
        })
        .await
        .map(|_| ());
    let absentees = plans
        .list_plan_absentees(ListPlanAbsenteesRequest {
            plan: plan.name.clone(),
            organization: t.bx.clone(),
            ..Default::default()
        })
        .await
        .map(|_| ());
    let mut renamed = class(&plan.name, &t.cell, "Đổi tên", (2017, 1, 8));
    renamed.name = class_name.into();
    let update = classes
        .update_class(UpdateClassRequest {
            study_class: Some(renamed),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["title".into()],
            }),
            request_id: String::new(),
        })
        .await
        .map(|_| ());
    vec![
        code(get),
        code(attendance),
        code(progress),
        code(absentees),
        code(update),
    ]
}

async fn listed(caller: Authed, plan: &Plan) -> usize {
    ClassServiceClient::new(caller)
        .list_classes(ListClassesRequest {
            plan: plan.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .classes
        .len()
}

#[tokio::test]
async fn ownership_follows_the_organisation_after_a_move() {
    for backend in backends() {
        let stack = Stack::start(&backend).await;
        let t = tree(&stack).await;
        let plan = province_plan(&stack, &t).await;
        let b_writer = stack.study_as(&["writer"], &[id(&t.b)]);
        let a_writer = stack.study_as(&["writer"], &[id(&t.a)]);
        let created = ClassServiceClient::new(b_writer.clone())
            .create_class(CreateClassRequest {
                study_class: Some(class(&plan.name, &t.cell, "Chi bộ BXC", (2017, 1, 8))),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let ok = vec![Code::Ok; 5];
        let hidden = vec![Code::NotFound; 5];
        assert_eq!(
            answers(b_writer.clone(), &plan, &t, &created.name).await,
            ok
        );
        assert_eq!(
            answers(a_writer.clone(), &plan, &t, &created.name).await,
            hidden
        );
        assert_eq!(listed(b_writer.clone(), &plan).await, 1);
        assert_eq!(listed(a_writer.clone(), &plan).await, 0);

        OrganizationServiceClient::new(stack.members_admin())
            .move_organization(MoveOrganizationRequest {
                name: t.bx.clone(),
                new_parent: t.a.clone(),
                effective_date: date(2020, 1, 1),
                ..Default::default()
            })
            .await
            .unwrap();

        assert_eq!(
            answers(b_writer.clone(), &plan, &t, &created.name).await,
            hidden,
            "{backend}: the old owner"
        );
        assert_eq!(
            answers(a_writer.clone(), &plan, &t, &created.name).await,
            ok,
            "{backend}: the new owner"
        );
        assert_eq!(listed(b_writer.clone(), &plan).await, 0);
        assert_eq!(listed(a_writer.clone(), &plan).await, 1);
        let err = ClassServiceClient::new(b_writer)
            .cancel_class(CancelClassRequest {
                name: created.name.clone(),
                reason: "Không còn thuộc B".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Code::NotFound,
            "{backend}: cancel by the old owner"
        );
    }
}

#[tokio::test]
async fn a_supervision_visit_is_read_by_its_two_sides_only() {
    for backend in backends() {
        let stack = Stack::start(&backend).await;
        let t = tree(&stack).await;
        let plan = province_plan(&stack, &t).await;
        let visit = SupervisionServiceClient::new(stack.study_as(&["writer"], &[id(&t.b)]))
            .create_supervision_visit(CreateSupervisionVisitRequest {
                visit: Some(SupervisionVisit {
                    plan: plan.name.clone(),
                    inspecting_organization: t.b.clone(),
                    inspected_organization: t.cell.clone(),
                    visit_date: date(2017, 2, 1),
                    findings: "Chi bộ chưa nộp bản thu hoạch".into(),
                    rating: SupervisionRating::Shortcomings as i32,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        for (scope, seen) in [(id(&t.a), false), (id(&t.b), true), (id(&t.cell), true)] {
            let mut visits = SupervisionServiceClient::new(stack.study_as(&["reader"], &[scope]));
            let got = visits
                .get_supervision_visit(GetSupervisionVisitRequest {
                    name: visit.name.clone(),
                })
                .await;
            assert_eq!(got.is_ok(), seen, "{backend}: get as {scope}");
            if let Err(e) = got {
                assert_eq!(e.code(), Code::NotFound);
            }
            let listed = visits
                .list_supervision_visits(ListSupervisionVisitsRequest {
                    plan: plan.name.clone(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
                .visits;
            assert_eq!(
                listed.len(),
                usize::from(seen),
                "{backend}: list as {scope}"
            );
        }
    }
}
