//! One member's study record (for members' review evidence), through the
//! real gRPC API on every backend, over the played scenario: the classes of
//! the year with the status recorded, the reports, and who may read it.

mod common;

use common::{Study, backends, fields, scenario::Played};
use probity_proto::probity::study::v1::{
    GetMemberStudyRecordRequest, LearningReportState,
    study_record_service_client::StudyRecordServiceClient,
};
use tonic::Code;

#[tokio::test]
async fn a_members_record_holds_the_years_classes_and_reports() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let played = Played::play(&study).await;
        let member = study.world.c1_members[1].clone();
        let mut records = StudyRecordServiceClient::new(study.server.admin());
        let in_2016 = records
            .get_member_study_record(GetMemberStudyRecordRequest {
                member: member.clone(),
                year: 2016,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(in_2016.attendances.len(), 1, "{backend}");
        assert_eq!(
            in_2016.attendances[0].study_class,
            played.grassroots_class.name
        );
        assert_eq!(in_2016.attendances[0].status, "present");
        assert_eq!(in_2016.classes_attended, 1);
        assert_eq!(in_2016.reports.len(), 1, "{backend}");
        assert_ne!(
            in_2016.reports[0].state,
            LearningReportState::Unspecified as i32
        );
        // The make-up of 2017 is 2017's.
        let in_2017 = records
            .get_member_study_record(GetMemberStudyRecordRequest {
                member: member.clone(),
                year: 2017,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(in_2017.attendances.len(), 1, "{backend}");
        assert_eq!(in_2017.attendances[0].study_class, played.makeup.name);
        let err = records
            .get_member_study_record(GetMemberStudyRecordRequest {
                member: member.clone(),
                year: 3000,
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["year"], "{backend}");
    }
}

#[tokio::test]
async fn a_member_outside_the_callers_scope_is_not_found() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        Played::play(&study).await;
        let other = study.world.other.clone();
        let err = StudyRecordServiceClient::new(study.channel_as(&["reader"], &[&other]))
            .get_member_study_record(GetMemberStudyRecordRequest {
                member: study.world.c1_members[1].clone(),
                year: 2016,
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{backend}");
    }
}
