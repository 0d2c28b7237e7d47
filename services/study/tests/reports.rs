//! Learning reports through the generated client, study alone against a
//! fake members service, on every backend.

mod common;

use common::{Study, backends, date, fields, reason, scenario};
use probity_proto::probity::study::v1::{
    EvaluateLearningReportRequest, GrantReportExtensionRequest, LearningReportState,
    ReopenLearningReportRequest, ReportGrade, StudyClass,
};
use tonic::Code;

/// The plan and its grassroots class of 10/12/2016 with c1[1], c1[2] and
/// c1[3] present and c1[4] absent.
async fn attended_class(study: &Study) -> StudyClass {
    let w = &study.world;
    let plan = scenario::plan(study).await;
    let class = scenario::schedule(
        &mut study.classes(),
        scenario::class(
            &plan.name,
            &w.grassroots,
            "Hội nghị quán triệt",
            (2016, 12, 10),
        ),
    )
    .await;
    scenario::record(
        study,
        &class.name,
        vec![
            scenario::entry(&w.c1_members[1], "present"),
            scenario::entry(&w.c1_members[2], "present"),
            scenario::entry(&w.c1_members[3], "present"),
            scenario::entry(&w.c1_members[4], "absent"),
        ],
    )
    .await;
    class
}

#[tokio::test]
async fn only_attendees_write_a_report() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let class = attended_class(&study).await;
        let err = study
            .reports()
            .submit_learning_report(scenario::submission(
                &study.world.c1_members[4],
                &class.name,
                date(2016, 12, 12),
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition, "{backend}");
        assert_eq!(reason(&err), "NOT_ATTENDED");
    }
}

#[tokio::test]
async fn a_report_is_due_days_after_its_class_and_late_after() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let w = &study.world;
        let class = attended_class(&study).await;
        let on_time = scenario::submit(
            &study,
            scenario::submission(&w.c1_members[1], &class.name, date(2016, 12, 15)),
        )
        .await;
        assert!(!on_time.late, "{backend}");
        assert_eq!(on_time.due_date, date(2016, 12, 20));
        let late = scenario::submit(
            &study,
            scenario::submission(&w.c1_members[2], &class.name, date(2016, 12, 28)),
        )
        .await;
        assert!(late.late, "{backend}");
    }
}

#[tokio::test]
async fn after_the_cutoff_only_an_extension_lets_a_report_in() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let w = &study.world;
        let class = attended_class(&study).await;
        let mut reports = study.reports();
        let err = reports
            .submit_learning_report(scenario::submission(
                &w.c1_members[3],
                &class.name,
                date(2017, 3, 20),
            ))
            .await
            .unwrap_err();
        assert_eq!(reason(&err), "PAST_CUTOFF", "{backend}: {err:?}");
        let extension = |why: &str| GrantReportExtensionRequest {
            study_class: class.name.clone(),
            member: w.c1_members[3].clone(),
            due_date: date(2017, 3, 25),
            reason: why.into(),
            request_id: String::new(),
        };
        let err = reports
            .grant_report_extension(extension(""))
            .await
            .unwrap_err();
        assert_eq!(fields(&err), vec!["reason".to_string()]);
        let ext = reports
            .grant_report_extension(extension("Điều trị tại bệnh viện"))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(ext.granted_by, "admin");
        let extended = scenario::submit(
            &study,
            scenario::submission(&w.c1_members[3], &class.name, date(2017, 3, 20)),
        )
        .await;
        assert!(!extended.late, "{backend}: within its extension");
    }
}

#[tokio::test]
async fn a_report_is_evaluated_failed_only_with_comments() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let w = &study.world;
        let class = attended_class(&study).await;
        let mut reports = study.reports();
        let on_time = scenario::submit(
            &study,
            scenario::submission(&w.c1_members[1], &class.name, date(2016, 12, 15)),
        )
        .await;
        let late = scenario::submit(
            &study,
            scenario::submission(&w.c1_members[2], &class.name, date(2016, 12, 28)),
        )
        .await;
        let accepted = reports
            .evaluate_learning_report(EvaluateLearningReportRequest {
                name: on_time.name.clone(),
                grade: ReportGrade::Good as i32,
                comments: "Nắm vững nội dung".into(),
                evaluated_on: date(2016, 12, 30),
                etag: on_time.etag.clone(),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            accepted.state,
            LearningReportState::Accepted as i32,
            "{backend}"
        );
        assert_eq!(accepted.evaluator, "admin");
        let err = reports
            .evaluate_learning_report(EvaluateLearningReportRequest {
                name: late.name.clone(),
                grade: ReportGrade::Fail as i32,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&err), vec!["comments".to_string()]);
    }
}

#[tokio::test]
async fn a_reopened_report_is_resubmitted_under_the_same_name() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let w = &study.world;
        let class = attended_class(&study).await;
        let mut reports = study.reports();
        let on_time = scenario::submit(
            &study,
            scenario::submission(&w.c1_members[1], &class.name, date(2016, 12, 15)),
        )
        .await;
        reports
            .evaluate_learning_report(EvaluateLearningReportRequest {
                name: on_time.name.clone(),
                grade: ReportGrade::Good as i32,
                evaluated_on: date(2016, 12, 30),
                ..Default::default()
            })
            .await
            .unwrap();
        let reopened = reports
            .reopen_learning_report(ReopenLearningReportRequest {
                name: on_time.name.clone(),
                reason: "Nộp nhầm bản".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            reopened.state,
            LearningReportState::Reopened as i32,
            "{backend}"
        );
        assert_eq!(reopened.reopen_reason, "Nộp nhầm bản");
        assert_eq!(reopened.grade, 0);
        let err = reports
            .reopen_learning_report(ReopenLearningReportRequest {
                name: on_time.name.clone(),
                reason: "Lần nữa".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(reason(&err), "REPORT_REOPENED");
        let resubmitted = scenario::submit(
            &study,
            scenario::submission(&w.c1_members[1], &class.name, date(2016, 12, 18)),
        )
        .await;
        assert_eq!(resubmitted.name, on_time.name);
        assert_eq!(resubmitted.state, LearningReportState::Submitted as i32);
        reports
            .evaluate_learning_report(EvaluateLearningReportRequest {
                name: resubmitted.name.clone(),
                grade: ReportGrade::Pass as i32,
                evaluated_on: date(2016, 12, 30),
                ..Default::default()
            })
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_second_report_about_one_class_is_refused() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let w = &study.world;
        let class = attended_class(&study).await;
        scenario::submit(
            &study,
            scenario::submission(&w.c1_members[1], &class.name, date(2016, 12, 15)),
        )
        .await;
        let err = study
            .reports()
            .submit_learning_report(scenario::submission(
                &w.c1_members[1],
                &class.name,
                date(2016, 12, 16),
            ))
            .await
            .unwrap_err();
        assert_eq!(reason(&err), "REPORT_SUBMITTED", "{backend}");
    }
}
