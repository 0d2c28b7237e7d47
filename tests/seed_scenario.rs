//! The seed scenario end to end: `probity demo seed-scenario`'s loader
//! records the province and the plan `31-KH/TU` through the public API of
//! members and study (separate servers), and the progress RPC gives the
//! source document's figures; then the period's inspections, cases and
//! discipline in oversight, read back through its API. On every backend.

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
    study::v1::{
        GetPlanProgressRequest, ListPlanAbsenteesRequest, ListPlansRequest, ProgressBreakdown,
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
    }
}
