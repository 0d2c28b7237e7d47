//! The seed scenario end to end: `probity demo seed-scenario`'s loader
//! records the province and the plan `31-KH/TU` through the public API of
//! members and study (separate servers), and the progress RPC gives the
//! source document's figures; then the period's inspections, cases and
//! discipline in oversight, read back through its API; then the province's
//! period report, issued through the reports service with the figures'
//! provenance, rendered in both languages, checked again, and checked
//! after a late correction. On every backend.

use probity_demo::{
    seed::{PLAN_SYMBOL, figures, seed_scenario},
    seed_oversight,
};
use probity_e2e::Stack;
use probity_platform::testing::backends;
use probity_proto::probity::{
    oversight::v1::{
        CaseStage, ListCasesRequest, ListMonitoredCasesRequest, ListReportsRequest,
        case_service_client::CaseServiceClient, monitoring_service_client::MonitoringServiceClient,
        report_service_client::ReportServiceClient,
    },
    reports::v1::{
        self as r, Figure, PeriodReport, period_report_service_client::PeriodReportServiceClient,
    },
    study::v1::{
        GetPlanProgressRequest, ListClassesRequest, ListNonMemberAttendeesRequest,
        ListPlanAbsenteesRequest, ListPlansRequest, ProgressBreakdown,
        SetNonMemberAttendanceRequest, class_service_client::ClassServiceClient,
        plan_service_client::PlanServiceClient,
    },
};

#[tokio::test]
async fn the_seed_scenario_reproduces_the_source_figures() {
    for backend in backends() {
        let stack = Stack::start(&backend).await;
        let outcome = seed_scenario(stack.members_admin(), stack.study_admin())
            .await
            .unwrap_or_else(|e| panic!("{backend}: {e:#}"));
        let mut plans = PlanServiceClient::new(stack.study_admin());
        let listed = plans
            .list_plans(ListPlansRequest::default())
            .await
            .unwrap()
            .into_inner()
            .plans;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].symbol, PLAN_SYMBOL);
        let progress = plans
            .get_plan_progress(GetPlanProgressRequest {
                plan: outcome.plan.clone(),
                breakdown: ProgressBreakdown::Children as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let total = progress.total.clone().unwrap();
        let rate = total.attendance.clone().unwrap();
        assert_eq!(total.classes_held, figures::CLASSES, "{backend}");
        assert_eq!(rate.numerator, figures::ATTENDED, "{backend}");
        assert_eq!(rate.denominator, figures::ELIGIBLE, "{backend}");
        assert_eq!(rate.percent, figures::PERCENT, "{backend}");
        assert_eq!(total.non_members, figures::NON_MEMBERS, "{backend}");
        assert_eq!(total.make_up_classes, 8);
        assert_eq!(
            total.counted_classes,
            figures::CLASSES - 9,
            "briefings do not count"
        );
        assert_eq!(total.supervision_visits, 12);
        assert!(total.reports_submitted > 200, "{total:?}");
        assert!(total.reports_accepted > 0 && total.reports_late > 0);

        // The districts add up to the province, member by member.
        assert_eq!(progress.breakdown.len(), 9);
        let sum = |f: fn(&probity_proto::probity::study::v1::OrganizationProgress) -> i64| {
            progress.breakdown.iter().map(f).sum::<i64>()
        };
        assert_eq!(
            sum(|o| o.attendance.as_ref().unwrap().numerator),
            figures::ATTENDED
        );
        assert_eq!(
            sum(|o| o.attendance.as_ref().unwrap().denominator),
            figures::ELIGIBLE
        );
        assert_eq!(
            sum(|o| i64::from(o.classes_held)),
            i64::from(figures::CLASSES)
        );

        // The members still to attend: eligible minus attended.
        let mut absentees = 0;
        let mut token = String::new();
        loop {
            let page = plans
                .list_plan_absentees(ListPlanAbsenteesRequest {
                    plan: outcome.plan.clone(),
                    page_size: 1000,
                    page_token: token,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            absentees += page.members.len() as i64;
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(
            absentees,
            figures::ELIGIBLE - figures::ATTENDED,
            "{backend}"
        );

        // The period's oversight records, read back.
        let cases = seed_oversight(
            stack.members_admin(),
            stack.oversight_admin(),
            &outcome.province,
        )
        .await
        .unwrap_or_else(|e| panic!("{backend}: oversight: {e:#}"));
        let monitored = MonitoringServiceClient::new(stack.oversight_admin())
            .list_monitored_cases(ListMonitoredCasesRequest {
                organization: outcome.province.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .cases;
        assert_eq!(monitored.len(), cases.designated, "{backend}");
        let all = CaseServiceClient::new(stack.oversight_admin())
            .list_cases(ListCasesRequest {
                organization: outcome.province.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .cases;
        assert_eq!(
            all.len(),
            cases.cases,
            "{backend}: the duplicate intake is linked"
        );
        let finished = all
            .iter()
            .filter(|c| {
                c.stage == CaseStage::Closed as i32 || c.stage == CaseStage::Dismissed as i32
            })
            .count();
        assert_eq!(finished, cases.finished);
        assert_eq!(
            all.iter().map(|c| c.recovered_vnd).sum::<i64>(),
            cases.recovered_vnd
        );
        assert!(all.iter().any(|c| c.ever_suspended));
        assert!(all.iter().any(|c| c.intakes.len() == 2));
        let reports = ReportServiceClient::new(stack.oversight_admin())
            .list_reports(ListReportsRequest {
                organization: outcome.province.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .reports;
        assert_eq!(reports.len(), cases.whistleblower_reports, "{backend}");
        assert!(
            reports
                .iter()
                .any(|r| r.identity_sealed && !r.case.is_empty()),
            "{backend}: the named denunciation opened the land incident"
        );

        // A second run over the same data records nothing new.
        let again = seed_scenario(stack.members_admin(), stack.study_admin())
            .await
            .unwrap_or_else(|e| panic!("{backend}: second run: {e:#}"));
        assert_eq!(again.plan, outcome.plan);
        let cases_again = seed_oversight(
            stack.members_admin(),
            stack.oversight_admin(),
            &outcome.province,
        )
        .await
        .unwrap_or_else(|e| panic!("{backend}: oversight, second run: {e:#}"));
        assert_eq!(cases_again, cases);
        let all_again = CaseServiceClient::new(stack.oversight_admin())
            .list_cases(ListCasesRequest {
                organization: outcome.province.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .cases;
        assert_eq!(all_again, all, "{backend}");
        let reports_again = ReportServiceClient::new(stack.oversight_admin())
            .list_reports(ListReportsRequest {
                organization: outcome.province.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .reports;
        // The same reports, by name: their contents may have changed in
        // between, as the retention job tombstones a report whose
        // retention ended (the not-accepted one of 2021 ends in 2026).
        let names = |list: &[probity_proto::probity::oversight::v1::Report]| {
            let mut names: Vec<String> = list.iter().map(|r| r.name.clone()).collect();
            names.sort();
            names
        };
        assert_eq!(
            names(&reports_again),
            names(&reports),
            "{backend}: no report recorded twice"
        );
        let after = plans
            .get_plan_progress(GetPlanProgressRequest {
                plan: outcome.plan.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .total
            .unwrap();
        assert_eq!(after, total, "{backend}");

        period_report(&stack, &outcome, &backend.to_string()).await;
    }
}

/// The figure `key` of `report`.
fn figure<'a>(report: &'a PeriodReport, key: &str) -> &'a Figure {
    report
        .sections
        .iter()
        .flat_map(|s| &s.figures)
        .find(|f| f.key == key)
        .unwrap_or_else(|| panic!("no figure {key}"))
}

/// The province's period report: the source document's figures with their
/// provenance, in Vietnamese and English, recorded in the audit log,
/// unchanged when checked again, and a late correction named by input.
async fn period_report(stack: &Stack, outcome: &probity_demo::seed::SeedOutcome, backend: &str) {
    let mut reports = PeriodReportServiceClient::new(stack.reports_admin());
    let request = probity_demo::seed::period_report_request(&outcome.province);
    let report = reports
        .issue_report(request.clone())
        .await
        .unwrap_or_else(|e| panic!("{backend}: issue: {e:?}"))
        .into_inner();
    let plan = format!("plan/{}", outcome.plan);
    assert_eq!(figure(&report, "study/plans").value, 1, "{backend}");
    assert_eq!(
        figure(&report, &format!("{plan}/classes_held")).value,
        i64::from(figures::CLASSES)
    );
    let attendance = figure(&report, &format!("{plan}/attendance"));
    assert_eq!(
        (
            attendance.numerator,
            attendance.denominator,
            attendance.percent.as_str()
        ),
        (figures::ATTENDED, figures::ELIGIBLE, figures::PERCENT),
        "{backend}"
    );
    // Attendance by district, drawn as the section's chart, adds up.
    let section = report.sections.iter().find(|s| s.key == plan).unwrap();
    assert_eq!(section.breakdown.len(), 9, "{backend}");
    assert_eq!(
        section.breakdown.iter().map(|f| f.numerator).sum::<i64>(),
        figures::ATTENDED
    );
    let non_members = figure(&report, &format!("{plan}/non_members"));
    assert_eq!(non_members.value, figures::NON_MEMBERS);
    // Every figure says where it came from.
    let p = attendance.provenance.clone().unwrap();
    assert_eq!(
        (p.service.as_str(), p.method.as_str(), p.field.as_str()),
        (
            "probity.study.v1.PlanService",
            "GetPlanProgress",
            "total.attendance"
        )
    );
    assert!(p.request.contains(&outcome.plan), "{}", p.request);
    assert_eq!(p.as_of, request.as_of);
    assert_eq!(p.input_digest.len(), 64);
    assert_eq!(
        report.inputs[p.input as usize].digest, p.input_digest,
        "the figure's input is in the report's inputs"
    );
    let rules: Vec<&str> = p.rules.iter().map(|r| r.rule.as_str()).collect();
    assert!(
        rules.contains(&"completion_rule") && rules.contains(&"rounding"),
        "{rules:?}"
    );
    for f in report.sections.iter().flat_map(|s| &s.figures) {
        let p = f.provenance.as_ref().unwrap();
        assert!(!p.service.is_empty() && p.input_digest.len() == 64, "{f:?}");
    }
    // Counted by the reports service from oversight's list, and published
    // by the same rule: the period's three decisions are a small count.
    let decisions = figure(&report, "discipline/total");
    assert!(decisions.suppressed, "{backend}: {decisions:?}");
    assert_eq!(
        decisions.provenance.as_ref().unwrap().method,
        "ListDisciplinaryDecisions"
    );
    assert!(report.sections.iter().any(|s| s.key == "declarations/2021"));
    let cases = figure(&report, "cases/designated");
    assert!(
        cases.suppressed && cases.suppressed_display == "<5",
        "small counts stay suppressed: {cases:?}"
    );
    assert_eq!(report.digest.len(), 64);
    // The consistency check run at issue finds nothing in the scenario.
    let consistency = report.consistency.clone().unwrap();
    assert_eq!(
        consistency.mismatch_count, 0,
        "{backend}: {:#?}",
        consistency.mismatches
    );
    assert_eq!(
        consistency.checks[0].items_checked,
        2 * figures::ELIGIBLE,
        "{backend}: both rosters compared"
    );

    // Recorded in the reports service's audit log.
    let entries = r::audit_service_client::AuditServiceClient::new(stack.reports_admin())
        .list_audit_entries(r::ListAuditEntriesRequest {
            resource: report.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert_eq!(entries.len(), 1, "{backend}");

    // The same request id again: the report first issued.
    let again = reports.issue_report(request).await.unwrap().into_inner();
    assert_eq!(again, report, "{backend}");

    // Both languages, each with its own way of writing numbers.
    let html = |language: r::Language| {
        let mut reports = reports.clone();
        let name = report.name.clone();
        async move {
            let rendered = reports
                .render_report(r::RenderReportRequest {
                    name,
                    language: language as i32,
                    format: r::RenderFormat::Html as i32,
                })
                .await
                .unwrap()
                .into_inner();
            String::from_utf8(rendered.content).unwrap()
        }
    };
    let vi = html(r::Language::Vi).await;
    assert!(vi.contains("<svg"), "{backend}: the chart is drawn");
    for text in [
        "317 lớp",
        "32.560/32.986",
        "98,71 %",
        "5.873 quần chúng",
        "30/06/2016",
    ] {
        assert!(vi.contains(text), "{backend}: Vietnamese lacks {text:?}");
    }
    let en = html(r::Language::En).await;
    for text in [
        "317 classes",
        "32,560/32,986",
        "98.71 %",
        "5,873 non-members",
        "30 June 2016",
    ] {
        assert!(en.contains(text), "{backend}: English lacks {text:?}");
    }
    assert!(en.contains(&report.digest));

    // Checked again: nothing changed.
    let checked = reports
        .verify_report(r::VerifyReportRequest {
            name: report.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        checked.digest_intact && checked.figures_unchanged,
        "{backend}: {checked:?}"
    );

    // A late correction: one more non-member counted by head at a class
    // (its named attendees sent again as they are).
    let mut classes = ClassServiceClient::new(stack.study_admin());
    let class = classes
        .list_classes(ListClassesRequest {
            plan: outcome.plan.clone(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .classes
        .into_iter()
        .find(|c| c.non_members > 0)
        .expect("a class with non-members");
    let mut named = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = classes
            .list_non_member_attendees(ListNonMemberAttendeesRequest {
                study_class: class.name.clone(),
                page_size: 1000,
                page_token,
            })
            .await
            .unwrap()
            .into_inner();
        named.extend(page.attendees);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let head_count = class.non_members - named.len() as i32;
    classes
        .set_non_member_attendance(SetNonMemberAttendanceRequest {
            study_class: class.name.clone(),
            head_count: head_count + 1,
            attendees: named,
            ..Default::default()
        })
        .await
        .unwrap();
    let checked = reports
        .verify_report(r::VerifyReportRequest {
            name: report.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(checked.digest_intact && !checked.figures_unchanged);
    let changed: Vec<&r::FigureCheck> = checked
        .figures
        .iter()
        .filter(|f| f.outcome != r::FigureCheckOutcome::Same as i32)
        .collect();
    assert_eq!(changed.len(), 1, "{backend}: {changed:#?}");
    assert_eq!(changed[0].key, format!("{plan}/non_members"));
    assert_eq!(changed[0].outcome, r::FigureCheckOutcome::Changed as i32);
    assert_eq!(
        changed[0].current.as_ref().unwrap().value,
        figures::NON_MEMBERS + 1
    );
    let cause = &changed[0].cause;
    assert!(
        cause.contains("GetPlanProgress")
            && cause.contains("total.non_members")
            && cause.contains("5874"),
        "{backend}: {cause}"
    );
    assert_eq!(
        checked.inputs.iter().filter(|i| i.changed).count(),
        1,
        "{backend}: only the plan's progress answers differently"
    );
}
