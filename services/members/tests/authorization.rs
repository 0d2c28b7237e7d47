//! Issue 11's findings on the members service, each as a regression test
//! through the generated client, on every backend: roles the policy now
//! requires, separation of duties, the audit log's scope, root
//! organisations, and idempotency keyed by agency and checked for scope
//! before a retry is answered.

mod common;

use common::{declarations::*, *};
use probity_proto::probity::members::v1::{
    DecideGradeRequest, GetAuditCheckpointRequest, GetOrganizationRequest,
    GetVerificationDrawRequest, Grade, HandOverDeclarationRequest, ListAuditEntriesRequest,
    OrganizationKind, ProposeGradeRequest, PublishDeclarationRequest, ReturnDeclarationRequest,
    SubmitSelfAssessmentRequest, audit_service_client::AuditServiceClient,
    declaration_service_client::DeclarationServiceClient,
    member_service_client::MemberServiceClient,
    organization_service_client::OrganizationServiceClient,
    review_service_client::ReviewServiceClient,
};
use tonic::Code;

/// `PERMISSION_DENIED` with reason `MISSING_ROLE`.
fn assert_missing_role(err: &tonic::Status, what: &str) {
    assert_eq!(err.code(), Code::PermissionDenied, "{what}: {err:?}");
    assert_eq!(details(err).0, "MISSING_ROLE", "{what}");
}

#[tokio::test]
async fn reading_needs_a_role_that_reads() {
    for backend in backends() {
        let server = start(&backend).await;
        let t = tree(&mut OrganizationServiceClient::new(server.admin())).await;
        for roles in [
            &[][..],
            &["auditor"],
            &["declaration-control"],
            &["nonsense"],
        ] {
            let token = server.token("x", roles, &["*"]);
            let err = OrganizationServiceClient::new(server.with_token(&token))
                .get_organization(GetOrganizationRequest {
                    name: t.a1.name.clone(),
                })
                .await
                .unwrap_err();
            assert_missing_role(&err, &format!("{backend}: roles {roles:?}"));
        }
        let reader = server.token("r", &["reader"], &["*"]);
        OrganizationServiceClient::new(server.with_token(&reader))
            .get_organization(GetOrganizationRequest {
                name: t.a1.name.clone(),
            })
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_audit_log_needs_an_auditor_of_the_whole_tree() {
    for backend in backends() {
        let server = start(&backend).await;
        let t = tree(&mut OrganizationServiceClient::new(server.admin())).await;
        let scoped = server.token("aud-a", &["auditor"], &[id_of(&t.district_a.name)]);
        let err = AuditServiceClient::new(server.with_token(&scoped))
            .list_audit_entries(ListAuditEntriesRequest::default())
            .await
            .unwrap_err();
        assert_missing_role(&err, &format!("{backend}: scoped auditor"));
        let err = AuditServiceClient::new(server.with_token(&scoped))
            .get_audit_checkpoint(GetAuditCheckpointRequest {})
            .await
            .unwrap_err();
        assert_missing_role(&err, &format!("{backend}: scoped auditor's checkpoint"));
        let whole = server.token("aud", &["auditor"], &["*"]);
        let entries = AuditServiceClient::new(server.with_token(&whole))
            .list_audit_entries(ListAuditEntriesRequest::default())
            .await
            .unwrap()
            .into_inner()
            .entries;
        assert_eq!(entries.len(), 7, "{backend}: the tree's seven creates");
    }
}

#[tokio::test]
async fn an_admin_of_a_subtree_creates_no_root() {
    for backend in backends() {
        let server = start(&backend).await;
        let t = tree(&mut OrganizationServiceClient::new(server.admin())).await;
        let admin_a = server.token("adm-a", &["admin"], &[id_of(&t.district_a.name)]);
        let err = OrganizationServiceClient::new(server.with_token(&admin_a))
            .create_organization(org_request(
                "",
                "ROOT2",
                OrganizationKind::Province,
                date(2015, 1, 1),
            ))
            .await
            .unwrap_err();
        assert_missing_role(&err, &format!("{backend}: subtree admin"));
    }
}

#[tokio::test]
async fn declaration_control_steps_need_the_control_role() {
    for backend in backends() {
        let server = start(&backend).await;
        let t = tree(&mut OrganizationServiceClient::new(server.admin())).await;
        let m = member(
            &mut MemberServiceClient::new(server.admin()),
            &t.a1.name,
            "7100001",
            "Khai",
            date(2010, 1, 1),
        )
        .await;
        let d = submit(
            &mut DeclarationServiceClient::new(server.admin()),
            annual(&m, 2025, vec![house(1_000_000_000)], date(2025, 12, 5)),
        )
        .await
        .unwrap();
        let writer = server.token("w", &["writer"], &["*"]);
        let mut decls = DeclarationServiceClient::new(server.with_token(&writer));
        let err = decls
            .return_declaration(ReturnDeclarationRequest {
                name: d.name.clone(),
                returned_date: date(2025, 12, 10),
                reason: "Thiếu".into(),
                etag: String::new(),
            })
            .await
            .unwrap_err();
        assert_missing_role(&err, &format!("{backend}: return"));
        let err = decls
            .hand_over_declaration(HandOverDeclarationRequest {
                name: d.name.clone(),
                handed_over_date: date(2025, 12, 11),
            })
            .await
            .unwrap_err();
        assert_missing_role(&err, &format!("{backend}: hand over"));
        let err = decls
            .publish_declaration(PublishDeclarationRequest {
                name: d.name.clone(),
                published_date: date(2025, 12, 12),
                place: "Bảng tin".into(),
            })
            .await
            .unwrap_err();
        assert_missing_role(&err, &format!("{backend}: publish"));
        let nobody = server.token("n", &[], &["*"]);
        let err = DeclarationServiceClient::new(server.with_token(&nobody))
            .get_verification_draw(GetVerificationDrawRequest {
                name: "verificationDraws/x".into(),
            })
            .await
            .unwrap_err();
        assert_missing_role(&err, &format!("{backend}: draw without a role"));
    }
}

#[tokio::test]
async fn whoever_proposed_a_grade_may_not_decide_it() {
    for backend in backends() {
        let server = start(&backend).await;
        let t = tree(&mut OrganizationServiceClient::new(server.admin())).await;
        let m = member(
            &mut MemberServiceClient::new(server.admin()),
            &t.a1.name,
            "7200001",
            "Xét",
            date(2010, 1, 1),
        )
        .await;
        let both = server.token("clerk", &["writer", "review-committee"], &["*"]);
        let mut reviews = ReviewServiceClient::new(server.with_token(&both));
        reviews
            .submit_self_assessment(SubmitSelfAssessmentRequest {
                member: m.name.clone(),
                year: 2025,
                grade: Grade::Good as i32,
                comment: "Tự đánh giá".into(),
                request_id: String::new(),
            })
            .await
            .unwrap();
        let name = format!("{}/reviews/2025", m.name);
        reviews
            .propose_grade(ProposeGradeRequest {
                name: name.clone(),
                grade: Grade::Good as i32,
                ..Default::default()
            })
            .await
            .unwrap();
        let decision = DecideGradeRequest {
            name,
            grade: Grade::Good as i32,
            decision_date: date(2025, 12, 20),
            ..Default::default()
        };
        let err = reviews.decide_grade(decision.clone()).await.unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition, "{backend}");
        assert_eq!(details(&err).0, "SAME_PERSON_DECIDES");
        // A writer alone may not decide at all; the committee, another
        // person, does.
        let writer = server.token("other-writer", &["writer"], &["*"]);
        let err = ReviewServiceClient::new(server.with_token(&writer))
            .decide_grade(decision.clone())
            .await
            .unwrap_err();
        assert_missing_role(&err, &format!("{backend}: writer decides"));
        ReviewServiceClient::new(server.committee())
            .decide_grade(decision)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_retry_is_answered_only_to_its_agency_and_within_scope() {
    for backend in backends() {
        let server = start(&backend).await;
        let t = tree(&mut OrganizationServiceClient::new(server.admin())).await;
        let mut request = org_request(
            &t.district_a.name,
            "A-X",
            OrganizationKind::Cell,
            date(2015, 1, 1),
        );
        request.request_id = "retry-1".into();
        let district_a = [id_of(&t.district_a.name)];
        let first = server.token("clerk", &["writer"], &district_a);
        let created = OrganizationServiceClient::new(server.with_token(&first))
            .create_organization(request.clone())
            .await
            .unwrap()
            .into_inner();
        // The same subject and key from another agency is not a retry of
        // the first agency's call: the code is taken, so it is refused.
        let other_agency =
            server.token_of_agency("other-agency", "clerk", &["writer"], &district_a);
        let err = OrganizationServiceClient::new(server.with_token(&other_agency))
            .create_organization(request.clone())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::AlreadyExists, "{backend}: {err:?}");
        // The same caller, now scoped to district B, gets no replay.
        let moved = server.token("clerk", &["writer"], &[id_of(&t.district_b.name)]);
        let err = OrganizationServiceClient::new(server.with_token(&moved))
            .create_organization(request.clone())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{backend}: {err:?}");
        // Within scope the retry still returns the first result.
        let again = OrganizationServiceClient::new(server.with_token(&first))
            .create_organization(request)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(again.name, created.name);
    }
}

#[tokio::test]
async fn a_page_token_is_sealed_and_serves_only_its_caller_and_list() {
    use probity_proto::probity::members::v1::ListOrganizationsRequest;
    for backend in backends() {
        let server = start(&backend).await;
        let t = tree(&mut OrganizationServiceClient::new(server.admin())).await;
        let list = |token: &str| ListOrganizationsRequest {
            parent: t.province.name.clone(),
            include_subtree: true,
            page_size: 2,
            page_token: token.into(),
            ..Default::default()
        };
        let reader = server.token("r", &["reader"], &["*"]);
        let mut orgs = OrganizationServiceClient::new(server.with_token(&reader));
        let first = orgs
            .list_organizations(list(""))
            .await
            .unwrap()
            .into_inner();
        let token = first.next_page_token;
        assert!(!token.is_empty(), "{backend}");
        // Nothing of the rows shows through: no id, no path.
        for o in &first.organizations {
            assert!(!token.contains(id_of(&o.name)), "{backend}");
        }
        orgs.list_organizations(list(&token)).await.unwrap();
        // Another caller, another list, or an altered token: refused.
        let other = server.token("other", &["reader"], &["*"]);
        let err = OrganizationServiceClient::new(server.with_token(&other))
            .list_organizations(list(&token))
            .await
            .unwrap_err();
        assert_eq!(details(&err).1, ["page_token"], "{backend}: other caller");
        let mut children = list(&token);
        children.include_subtree = false;
        let err = orgs.list_organizations(children).await.unwrap_err();
        assert_eq!(details(&err).1, ["page_token"], "{backend}: other list");
        let mut altered = token.clone().into_bytes();
        altered[5] = if altered[5] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        let err = orgs.list_organizations(list(&altered)).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{backend}: altered");
    }
}

#[tokio::test]
async fn a_retry_after_the_retention_is_a_new_request() {
    use probity_platform::{
        Clock,
        testing::{TestOptions, TestServer},
    };
    for backend in backends() {
        let clock = Clock::on(time::macros::date!(2026 - 01 - 05));
        let mut options = TestOptions::new(probity_members::SCHEMA);
        options.clock = Some(clock.clone());
        let server = TestServer::start(&backend, options, probity_members::register).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        let mut request = org_request(
            &t.district_a.name,
            "A-R",
            OrganizationKind::Cell,
            date(2015, 1, 1),
        );
        request.request_id = "kept-a-week".into();
        let first = orgs
            .create_organization(request.clone())
            .await
            .unwrap()
            .into_inner();
        // Tokens last an hour: a fresh one after each jump of the clock.
        clock.advance(6 * 24 * 3600 * 1_000_000);
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let again = orgs
            .create_organization(request.clone())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(again, first, "{backend}: within 7 days, the first answer");
        clock.advance(2 * 24 * 3600 * 1_000_000);
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let err = orgs.create_organization(request).await.unwrap_err();
        assert_eq!(
            err.code(),
            Code::AlreadyExists,
            "{backend}: a new request after 7 days"
        );
    }
}

/// A proper answer: the result, or a refusal of the request as it is.
fn answered<T>(answer: &Result<T, tonic::Status>) -> bool {
    answer
        .as_ref()
        .map_or_else(|e| e.code() == Code::InvalidArgument, |_| true)
}

#[tokio::test]
async fn crafted_input_is_refused_or_answered_never_a_fault() {
    use probity_proto::probity::members::v1::DeclarationKind;
    for backend in backends() {
        let server = start(&backend).await;
        let t = tree(&mut OrganizationServiceClient::new(server.admin())).await;
        let mut members = MemberServiceClient::new(server.admin());
        let m = member(&mut members, &t.a1.name, "7300001", "Đầu", date(2010, 1, 1)).await;
        // A first declaration whose event is the calendar's last day: its
        // filing deadline lies past the calendar (the handler panicked).
        let mut d = annual(&m, 2025, vec![house(1)], date(2025, 12, 5));
        d.kind = DeclarationKind::First as i32;
        d.event_date = date(9999, 12, 31);
        let mut decls = DeclarationServiceClient::new(server.admin());
        let answer = submit(&mut decls, d).await;
        assert!(answered(&answer), "{backend}: {answer:?}");
        // A declaration dated before the first recorded rules (2019): the
        // rules in force were looked up as a fault of the data.
        let old = annual(&m, 2015, vec![house(1)], date(2015, 12, 5));
        let answer = submit(&mut decls, old).await;
        assert!(answered(&answer), "{backend}: {answer:?}");
        // Bidirectional overrides and control characters in a name.
        for name in ["Nguyễn \u{202E}nA", "An\u{0}", "An\nBình"] {
            let err = members
                .create_member(member_request(
                    &t.a1.name,
                    "7300002",
                    name,
                    date(2010, 1, 1),
                ))
                .await
                .unwrap_err();
            assert_eq!(details(&err).1, ["member.full_name"], "{backend}: {name:?}");
        }
    }
}

#[tokio::test]
async fn a_declarations_retry_record_keeps_no_contents() {
    for backend in backends() {
        let server = start(&backend).await;
        let t = tree(&mut OrganizationServiceClient::new(server.admin())).await;
        let m = member(
            &mut MemberServiceClient::new(server.admin()),
            &t.a1.name,
            "7400001",
            "Kín",
            date(2010, 1, 1),
        )
        .await;
        let secret = "Nhà ở số 7 phố Bí Mật";
        let request = probity_proto::probity::members::v1::SubmitDeclarationRequest {
            declaration: Some(annual(
                &m,
                2025,
                vec![item(
                    probity_proto::probity::members::v1::AssetCategory::Houses,
                    secret,
                    2_000_000_000,
                )],
                date(2025, 12, 5),
            )),
            request_id: "decl-retry-1".into(),
        };
        let mut decls = DeclarationServiceClient::new(server.admin());
        let first = decls
            .submit_declaration(request.clone())
            .await
            .unwrap()
            .into_inner();
        let again = decls
            .submit_declaration(request)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            again, first,
            "{backend}: the retry answers as the first call"
        );
        assert_eq!(again.items[0].description, secret);
        let rows: Vec<(Vec<u8>, String)> =
            sqlx::query_as("SELECT response, resource FROM idempotency")
                .fetch_all(server.db.pool())
                .await
                .unwrap();
        assert_eq!(rows.len(), 1, "{backend}");
        assert!(rows[0].0.is_empty(), "{backend}: no response kept");
        assert_eq!(rows[0].1, first.name);
    }
}
