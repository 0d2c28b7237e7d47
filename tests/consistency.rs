//! The consistency check across services (four servers), on every
//! backend: a clean world has no mismatch; then disagreements are planted
//! in each pair of services — a member moved out in members before the
//! plan's roster date, an attendee expelled before their class, an
//! expulsion members refused, a case subject members does not know — and
//! the check names each with both sides' values and where to fix it, on
//! demand; the report issued keeps their number.

use std::time::Duration;

use probity_e2e::Stack;
use probity_platform::testing::backends;
use probity_proto::probity::{
    members::v1::{self as m, OrganizationKind, member_service_client::MemberServiceClient},
    oversight::v1::{
        self as o, case_service_client::CaseServiceClient,
        discipline_service_client::DisciplineServiceClient,
    },
    reports::v1::{
        self as r, MismatchKind, consistency_service_client::ConsistencyServiceClient,
        period_report_service_client::PeriodReportServiceClient,
    },
    study::v1::{
        CreateClassRequest, RecordAttendanceRequest, class_service_client::ClassServiceClient,
        plan_service_client::PlanServiceClient,
    },
};
use requests::{class, date, entry, plan_request};

#[path = "../services/study/tests/common/requests.rs"]
mod requests;

/// The kinds of the mismatches found, sorted.
fn kinds(report: &r::ConsistencyReport) -> Vec<MismatchKind> {
    let mut out: Vec<MismatchKind> = report
        .mismatches
        .iter()
        .map(|m| MismatchKind::try_from(m.kind).unwrap())
        .collect();
    out.sort_by_key(|k| *k as i32);
    out
}

#[tokio::test]
async fn planted_disagreements_are_found_with_both_sides_and_none_in_a_clean_world() {
    for backend in backends() {
        let stack = Stack::start(&backend).await;
        let tu = stack.org("", "TU", OrganizationKind::Province).await;
        let district = stack.org(&tu, "H1", OrganizationKind::District).await;
        let grassroots = stack
            .org(&district, "G1", OrganizationKind::Grassroots)
            .await;
        let cell = stack.org(&grassroots, "C1", OrganizationKind::Cell).await;
        let mut people = MemberServiceClient::new(stack.members_admin());
        let mut members = Vec::new();
        for i in 0..4 {
            members.push(
                people
                    .create_member(m::CreateMemberRequest {
                        member: Some(m::Member {
                            party_card_number: format!("9300000{i}"),
                            full_name: format!("Đảng viên {i}"),
                            date_of_birth: date(1980, 1, 1 + i),
                            gender: m::Gender::Male as i32,
                            organization: cell.clone(),
                            admission_date: date(2010, 3, 1),
                            ..Default::default()
                        }),
                        official_date: date(2011, 3, 1),
                        request_id: String::new(),
                    })
                    .await
                    .unwrap()
                    .into_inner()
                    .name,
            );
        }
        let doc = stack.document().await;
        let plan = PlanServiceClient::new(stack.study_admin())
            .create_plan(plan_request(&tu, vec![doc]))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(plan.eligible_members, 4, "{backend}");
        let mut classes = ClassServiceClient::new(stack.study_admin());
        let held = classes
            .create_class(CreateClassRequest {
                study_class: Some(class(&plan.name, &cell, "Hội nghị chi bộ", (2016, 12, 10))),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        classes
            .record_attendance(RecordAttendanceRequest {
                study_class: held.name.clone(),
                entries: members.iter().map(|m| entry(m, "present")).collect(),
                request_id: String::new(),
            })
            .await
            .unwrap();

        let mut check = ConsistencyServiceClient::new(stack.reports_admin());
        let request = r::CheckConsistencyRequest {
            organization: tu.clone(),
            ..Default::default()
        };
        let clean = check
            .check_consistency(request.clone())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(clean.mismatch_count, 0, "{backend}: {clean:#?}");
        assert_eq!(clean.checks[0].items_checked, 8, "both rosters of 4");

        // Members: the first moved out before the roster date, the second
        // expelled before the class it attended.
        let event = |member: &str, kind: m::MemberEventKind, day| m::RecordMemberEventRequest {
            member: member.to_string(),
            kind: kind as i32,
            effective_date: day,
            note: "Quyết định".into(),
            ..Default::default()
        };
        people
            .record_member_event(event(
                &members[0],
                m::MemberEventKind::TransferredOut,
                date(2016, 11, 1),
            ))
            .await
            .unwrap();
        people
            .record_member_event(event(
                &members[1],
                m::MemberEventKind::Expelled,
                date(2016, 12, 5),
            ))
            .await
            .unwrap();
        // Oversight: an expulsion dated before the member's latest event,
        // which members refuses; a case naming the third member.
        people
            .record_member_event(event(
                &members[3],
                m::MemberEventKind::Exempted,
                date(2020, 1, 1),
            ))
            .await
            .unwrap();
        let mut discipline = DisciplineServiceClient::new(stack.oversight_admin());
        let decision = discipline
            .create_disciplinary_decision(o::CreateDisciplinaryDecisionRequest {
                decision: Some(o::DisciplinaryDecision {
                    member: members[3].clone(),
                    form: o::DisciplineForm::Expulsion as i32,
                    deciding_organization: district.clone(),
                    decision_number: "07-QĐ/UBKT".into(),
                    decision_date: date(2019, 6, 1),
                    effective_date: date(2019, 6, 1),
                    reason: "Vi phạm nghiêm trọng".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let mut effect = decision.members_effect;
        for _ in 0..200 {
            if effect != o::MembersEffect::Pending as i32 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            effect = discipline
                .get_disciplinary_decision(o::GetDisciplinaryDecisionRequest {
                    name: decision.name.clone(),
                })
                .await
                .unwrap()
                .into_inner()
                .members_effect;
        }
        assert_eq!(effect, o::MembersEffect::Refused as i32, "{backend}");
        let agency = stack
            .agency("CSDT", "Cơ quan điều tra", o::AgencyKind::Investigation)
            .await;
        let case = CaseServiceClient::new(stack.oversight_admin())
            .create_case(o::CreateCaseRequest {
                r#case: Some(o::Case {
                    code: "VV-1".into(),
                    title: "Sai phạm đất đai".into(),
                    kind: o::CaseKind::Incident as i32,
                    sector: "sectors/land".into(),
                    jurisdiction: district.clone(),
                    handling_agencies: vec![agency],
                    subjects: vec![o::CaseSubject {
                        member: members[2].clone(),
                        position: "Cán bộ địa chính".into(),
                        ..Default::default()
                    }],
                    intakes: vec![o::CaseIntake {
                        origin: o::CaseOrigin::Denunciation as i32,
                        origin_reference: "Đơn 1".into(),
                        received_date: date(2020, 3, 1),
                        summary: "Tố cáo giao đất".into(),
                    }],
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        // A subject members never had, planted behind oversight's API.
        let mut conn = stack.oversight.db.pool().acquire().await.unwrap();
        sqlx::query("UPDATE case_subjects SET member_id = 'ghost' WHERE member_id <> ''")
            .execute(&mut *conn)
            .await
            .unwrap();
        drop(conn);

        let found = check.check_consistency(request).await.unwrap().into_inner();
        assert_eq!(
            kinds(&found),
            [
                MismatchKind::RosterMemberElsewhere,
                MismatchKind::RosterSize,
                MismatchKind::AttendeeExpelled,
                MismatchKind::DisciplineStatus,
                MismatchKind::CaseSubjectUnknown,
            ],
            "{backend}: {found:#?}"
        );
        let of = |kind: MismatchKind| {
            found
                .mismatches
                .iter()
                .find(|m| m.kind == kind as i32)
                .unwrap()
        };
        let moved = of(MismatchKind::RosterMemberElsewhere);
        assert_eq!(moved.subject, members[0]);
        assert_eq!(moved.left.as_ref().unwrap().value, cell, "study's side");
        assert!(
            moved
                .right
                .as_ref()
                .unwrap()
                .value
                .contains("transferred out"),
            "members' side: {moved:?}"
        );
        assert!(moved.fix.contains("RefreshPlanRoster"), "{}", moved.fix);
        let expelled = of(MismatchKind::AttendeeExpelled);
        assert_eq!(expelled.subject, members[1]);
        assert!(expelled.description.contains(&held.name));
        assert!(
            expelled
                .right
                .as_ref()
                .unwrap()
                .value
                .contains("2016-12-05")
        );
        let refused = of(MismatchKind::DisciplineStatus);
        assert_eq!(refused.subject, decision.name);
        assert_eq!(refused.right.as_ref().unwrap().value, "exempt");
        let ghost = of(MismatchKind::CaseSubjectUnknown);
        assert_eq!(ghost.subject, case.name);
        assert_eq!(ghost.right.as_ref().unwrap().value, "not found");

        // Issuing a report runs the same check and keeps its outcome.
        let report = PeriodReportServiceClient::new(stack.reports_admin())
            .issue_report(r::IssueReportRequest {
                organization: tu.clone(),
                period_start: date(2016, 1, 1),
                period_end: date(2021, 12, 31),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let at_issue = report.consistency.unwrap();
        assert_eq!(at_issue.mismatch_count, 5, "{backend}");
        assert!(
            at_issue.mismatches.is_empty(),
            "{backend}: the report keeps the count, not the details its readers may not see"
        );
    }
}
