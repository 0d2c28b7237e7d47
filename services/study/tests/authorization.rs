//! Issue 11's findings on the study service, each as a regression test
//! through the generated client (study against a fake members), on every
//! backend: the document register's keeper, and no oracle in a make-up
//! class's link to a class the caller may not see.

mod common;

use common::{Study, backends, date, reason, scenario};
use probity_proto::probity::study::v1::{
    CreateClassRequest, CreateDocumentRequest, Document, UpdateDocumentRequest,
    class_service_client::ClassServiceClient, document_service_client::DocumentServiceClient,
};
use tonic::Code;

fn document(symbol: &str) -> CreateDocumentRequest {
    CreateDocumentRequest {
        document: Some(Document {
            symbol: symbol.into(),
            issue_date: date(2016, 5, 15),
            title: "Chỉ thị về học tập và làm theo".into(),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

#[tokio::test]
async fn only_the_register_keeper_of_the_whole_tree_edits_documents() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let existing = scenario::document(&study).await;
        let district = study.world.district.rsplit('/').next().unwrap().to_string();
        for (roles, scope) in [
            (&["writer"][..], "*"),
            (&["document-registrar"][..], district.as_str()),
        ] {
            let mut docs = DocumentServiceClient::new(study.channel_as(roles, &[scope]));
            let err = docs
                .create_document(document("05-CT/TW"))
                .await
                .unwrap_err();
            assert_eq!(err.code(), Code::PermissionDenied, "{backend}: {roles:?}");
            assert_eq!(reason(&err), "MISSING_ROLE");
            let err = docs
                .update_document(UpdateDocumentRequest {
                    document: Some(Document {
                        title: "Sửa".into(),
                        ..existing.clone()
                    }),
                    update_mask: None,
                })
                .await
                .unwrap_err();
            assert_eq!(err.code(), Code::PermissionDenied, "{backend}: {roles:?}");
        }
        DocumentServiceClient::new(study.channel_as(&["document-registrar"], &["*"]))
            .create_document(document("05-CT/TW"))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_make_up_for_a_class_out_of_scope_is_answered_as_for_no_class() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let plan = scenario::plan(&study).await;
        let w = &study.world;
        let c1_class = scenario::schedule(
            &mut study.classes(),
            scenario::class(&plan.name, &w.c1, "Chi bộ C1", (2016, 12, 10)),
        )
        .await;
        let c2 = w.c2.rsplit('/').next().unwrap();
        let mut c2_writer = ClassServiceClient::new(study.channel_as(&["writer"], &[c2]));
        let attempt = |make_up_for: &str| {
            let mut c = scenario::class(&plan.name, &w.c2, "Học bù", (2016, 12, 20));
            c.make_up_for = make_up_for.to_string();
            CreateClassRequest {
                study_class: Some(c),
                request_id: String::new(),
            }
        };
        let hidden = c2_writer
            .create_class(attempt(&c1_class.name))
            .await
            .unwrap_err();
        let missing = c2_writer
            .create_class(attempt("classes/0000000000000000000000000000dead"))
            .await
            .unwrap_err();
        assert_eq!(hidden.code(), missing.code(), "{backend}");
        assert_eq!(
            hidden.message().replace(&c1_class.name, "X"),
            missing
                .message()
                .replace("classes/0000000000000000000000000000dead", "X"),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn warnings_as_of_the_calendars_first_day_are_no_fault() {
    use probity_proto::probity::study::v1::ListPlanWarningsRequest;
    for backend in backends() {
        let study = Study::start(&backend).await;
        let plan = scenario::plan(&study).await;
        for as_of in [date(1, 1, 1), date(9999, 12, 31)] {
            let answer = study
                .plans()
                .list_plan_warnings(ListPlanWarningsRequest {
                    plan: plan.name.clone(),
                    as_of,
                    ..Default::default()
                })
                .await;
            if let Err(e) = answer {
                assert!(
                    !matches!(e.code(), Code::Internal | Code::Unknown),
                    "{backend}: {as_of:?}: {e:?}"
                );
            }
        }
    }
}
