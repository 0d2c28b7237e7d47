//! The shared platform seen through the members service: authentication,
//! organisation scope, the audit chain, health, reflection, request ids,
//! database outages, and streaming a large roster.

mod common;

use std::time::Duration;

use common::*;
use futures::StreamExt;
use probity_platform::testing::{TestOptions, TestServer};
use probity_proto::probity::members::v1::{
    GetMemberRequest, GetOrganizationRequest, ListOrganizationsRequest, OrganizationKind,
    StreamRosterRequest, member_service_client::MemberServiceClient,
    organization_service_client::OrganizationServiceClient,
};
use tonic::Code;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

#[tokio::test]
async fn callers_see_and_change_only_their_subtree() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut admin = OrganizationServiceClient::new(server.admin());
        let mut admin_members = MemberServiceClient::new(server.admin());
        let t = tree(&mut admin).await;
        let outsider = member(
            &mut admin_members,
            &t.b1.name,
            "6000001",
            "Ngoài",
            date(2012, 1, 1),
        )
        .await;
        let insider = member(
            &mut admin_members,
            &t.a1.name,
            "6000002",
            "Trong",
            date(2012, 1, 1),
        )
        .await;

        let token = server.token("clerk-a", &["writer"], &[id_of(&t.district_a.name)]);
        let mut orgs = OrganizationServiceClient::new(server.with_token(&token));
        let mut members = MemberServiceClient::new(server.with_token(&token));

        // Reads inside the scope work; outside look like nothing is there.
        orgs.get_organization(GetOrganizationRequest {
            name: t.a1.name.clone(),
        })
        .await
        .unwrap();
        let err = orgs
            .get_organization(GetOrganizationRequest {
                name: t.b1.name.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{backend}");
        let err = members
            .get_member(GetMemberRequest {
                name: outsider.name.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound);
        members
            .get_member(GetMemberRequest {
                name: insider.name.clone(),
            })
            .await
            .unwrap();
        let roots = orgs
            .list_organizations(ListOrganizationsRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert!(
            roots.organizations.is_empty(),
            "the province is outside the scope"
        );

        // Writes outside the scope are refused.
        let err = orgs
            .create_organization(org_request(
                &t.district_b.name,
                "B3",
                OrganizationKind::Cell,
                date(2015, 1, 1),
            ))
            .await
            .unwrap_err();
        // The parent is invisible, so it is not found rather than denied.
        assert_eq!(err.code(), Code::NotFound);
        let err = members
            .create_member(member_request(
                &t.b1.name,
                "6000003",
                "Ngoài 2",
                date(2012, 1, 1),
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound);
        // A district clerk may see the district but not create roots.
        let err = orgs
            .create_organization(org_request(
                "",
                "ROOT2",
                OrganizationKind::Province,
                date(2015, 1, 1),
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied);
        assert_eq!(details(&err).0, "MISSING_ROLE");
        // A reader of the whole tree sees district B but cannot write there.
        let reader = server.token("reader-all", &["reader"], &["*"]);
        let mut read_only = OrganizationServiceClient::new(server.with_token(&reader));
        read_only
            .get_organization(GetOrganizationRequest {
                name: t.b1.name.clone(),
            })
            .await
            .unwrap();
        let err = read_only
            .create_organization(org_request(
                &t.district_b.name,
                "B4",
                OrganizationKind::Cell,
                date(2015, 1, 1),
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "a reader cannot write");
        // The clerk's own writes work.
        member(&mut members, &t.a2.name, "6000004", "Mới", date(2016, 1, 1)).await;

        // No token, a bad token, an expired one.
        let mut anonymous = OrganizationServiceClient::new(server.channel());
        let err = anonymous
            .get_organization(GetOrganizationRequest {
                name: t.a1.name.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated);
        let other_key = probity_platform::auth::Issuer::generate();
        let now = server.clock.now_seconds();
        let forged = other_key.sign(&probity_platform::auth::Claims::new(
            "x",
            "x",
            &["admin"],
            &["*"],
            now,
            3600,
        ));
        let mut forger = OrganizationServiceClient::new(server.with_token(&forged));
        let err = forger
            .get_organization(GetOrganizationRequest {
                name: t.a1.name.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated);
    }
}

#[tokio::test]
async fn health_is_not_serving_before_migrations_and_while_draining() {
    for backend in backends() {
        let (open, gate) = tokio::sync::oneshot::channel();
        let mut options = TestOptions::new(probity_members::SCHEMA);
        options.start_gate = Some(gate);
        options.shutdown_grace = Duration::from_millis(1500);
        let mut server = TestServer::start(&backend, options, probity_members::register).await;
        let mut health = HealthClient::new(server.channel());
        let check = |service: &str| HealthCheckRequest {
            service: service.into(),
        };
        let status = |r: tonic_health::pb::HealthCheckResponse| r.status();

        assert_eq!(
            status(health.check(check("")).await.unwrap().into_inner()),
            ServingStatus::NotServing,
            "{backend}"
        );
        let members_service = "probity.members.v1.MemberService";
        assert_eq!(
            status(
                health
                    .check(check(members_service))
                    .await
                    .unwrap()
                    .into_inner()
            ),
            ServingStatus::NotServing
        );
        // Business calls wait for readiness.
        let err = OrganizationServiceClient::new(server.admin())
            .list_organizations(ListOrganizationsRequest::default())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unavailable);
        assert!(err.message().contains("starting"), "{}", err.message());

        open.send(()).unwrap();
        server.wait_serving().await;
        assert_eq!(
            status(
                health
                    .check(check(members_service))
                    .await
                    .unwrap()
                    .into_inner()
            ),
            ServingStatus::Serving
        );

        server.server.begin_shutdown();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            status(health.check(check("")).await.unwrap().into_inner()),
            ServingStatus::NotServing
        );
        assert_eq!(
            status(
                health
                    .check(check(members_service))
                    .await
                    .unwrap()
                    .into_inner()
            ),
            ServingStatus::NotServing
        );
        tokio::time::timeout(Duration::from_secs(10), server.server.wait())
            .await
            .expect("stops")
            .unwrap();
    }
}

#[tokio::test]
async fn database_outage_is_unavailable_and_request_ids_are_echoed() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut request = tonic::Request::new(ListOrganizationsRequest::default());
        request
            .metadata_mut()
            .insert("x-request-id", "trace-me-42".parse().unwrap());
        let response = orgs.list_organizations(request).await.unwrap();
        assert_eq!(
            response.metadata().get("x-request-id").unwrap(),
            "trace-me-42",
            "{backend}"
        );
        let generated = orgs
            .list_organizations(ListOrganizationsRequest::default())
            .await
            .unwrap();
        assert!(!generated.metadata().get("x-request-id").unwrap().is_empty());

        server.db.close().await;
        let err = orgs
            .list_organizations(ListOrganizationsRequest::default())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unavailable, "{backend}");
        assert_eq!(details(&err).0, "BACKEND_UNAVAILABLE");
        assert!(err.message().contains("database"), "{}", err.message());
        assert!(!err.message().contains("sqlite") && !err.message().contains("postgres"));
        let err = orgs
            .create_organization(org_request(
                "",
                "Z",
                OrganizationKind::Province,
                date(2015, 1, 1),
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unavailable);
    }
}

#[tokio::test]
async fn reflection_answers_in_v1_and_v1alpha() {
    use tonic_reflection::pb::{v1, v1alpha};
    let server = start(&backends()[0]).await;
    let mut client = v1::server_reflection_client::ServerReflectionClient::new(server.channel());
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut stream = client
        .server_reflection_info(futures::stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        stream.next().await.unwrap().unwrap().message_response
    else {
        panic!("not a service list")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"probity.members.v1.MemberService".to_string()),
        "{names:?}"
    );
    assert!(names.contains(&"grpc.health.v1.Health".to_string()));
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("probity.study.") || n.starts_with("probity.oversight.")),
        "a members server advertises only the services it runs: {names:?}"
    );

    let mut old = v1alpha::server_reflection_client::ServerReflectionClient::new(server.channel());
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::FileContainingSymbol(
                "probity.members.v1.OrganizationService".into(),
            ),
        ),
    };
    let mut stream = old
        .server_reflection_info(futures::stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = stream
        .next()
        .await
        .unwrap()
        .unwrap()
        .message_response
        .unwrap();
    assert!(matches!(
        response,
        v1alpha::server_reflection_response::MessageResponse::FileDescriptorResponse(_)
    ));
}

/// grpcurl and buf curl decode the details of an error status only when
/// reflection serves their types: `google.rpc.ErrorInfo` and `BadRequest`,
/// and the enums whose values are the reasons.
#[tokio::test]
async fn reflection_serves_the_error_details_and_the_reasons() {
    use tonic_reflection::pb::v1;
    let server = start(&backends()[0]).await;
    let mut client = v1::server_reflection_client::ServerReflectionClient::new(server.channel());
    for symbol in [
        "google.rpc.ErrorInfo",
        "google.rpc.BadRequest",
        "google.rpc.Status",
        "probity.common.v1.ErrorReason",
        "probity.members.v1.ErrorReason",
    ] {
        let request = v1::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(
                v1::server_reflection_request::MessageRequest::FileContainingSymbol(symbol.into()),
            ),
        };
        let mut stream = client
            .server_reflection_info(futures::stream::iter([request]))
            .await
            .unwrap()
            .into_inner();
        let response = stream.next().await.unwrap().unwrap().message_response;
        assert!(
            matches!(
                response,
                Some(v1::server_reflection_response::MessageResponse::FileDescriptorResponse(_))
            ),
            "{symbol}: {response:?}"
        );
    }
}

/// Loads `n` members straight into the tables (the API path is covered
/// elsewhere; this is about streaming), then streams them back.
#[tokio::test]
async fn streams_a_roster_of_a_hundred_thousand() {
    const N: usize = 100_000;
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        let cells = [
            id_of(&t.a1.name),
            id_of(&t.a2.name),
            id_of(&t.b1.name),
            id_of(&t.b2.name),
        ];
        let mut tx = server.db.pool().begin().await.unwrap();
        for chunk in (0..N).collect::<Vec<_>>().chunks(500) {
            let mut members = String::from(
                "INSERT INTO members (id, party_card_number, full_name, name_folded, date_of_birth, gender, \
                 organization_id, status, admission_date, official_date, head_position, revision, create_micros, update_micros) VALUES ",
            );
            let mut periods = String::from(
                "INSERT INTO member_periods (member_id, organization_id, status, valid_from, valid_to) VALUES ",
            );
            for (k, i) in chunk.iter().enumerate() {
                let sep = if k == 0 { "" } else { "," };
                let cell = cells[i % 4];
                members.push_str(&format!(
                    "{sep}('m{i:07}', '{:08}', 'Đảng viên {i}', 'dang vien {i}', '1980-01-01', 1, '{cell}', 2, '2010-01-01', NULL, '', 1, 0, 0)",
                    30_000_000 + i
                ));
                periods.push_str(&format!(
                    "{sep}('m{i:07}', '{cell}', 2, '2010-01-01', NULL)"
                ));
            }
            sqlx::query(sqlx::AssertSqlSafe(members))
                .execute(&mut *tx)
                .await
                .unwrap();
            sqlx::query(sqlx::AssertSqlSafe(periods))
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();

        let mut members = MemberServiceClient::new(server.admin());
        // The province and a district (3 of 7 organisations) are read by
        // walking members, a cell (1 of 7) through its organisation.
        for (org, expected) in [(&t.province, N), (&t.district_a, N / 2), (&t.a2, N / 4)] {
            let mut stream = members
                .stream_roster(StreamRosterRequest {
                    organization: org.name.clone(),
                    as_of: date(2020, 1, 1),
                    exclude_exempt: true,
                })
                .await
                .unwrap()
                .into_inner();
            let mut count = 0;
            let mut last = String::new();
            while let Some(item) = stream.next().await {
                let item = item.unwrap();
                assert!(item.member > last, "{backend}: in member order, no repeats");
                if org.name == t.a2.name {
                    assert_eq!(item.organization, t.a2.name, "{backend}");
                }
                last = item.member;
                count += 1;
            }
            assert_eq!(count, expected, "{backend}: {}", org.code);
        }
    }
}

/// After organisation writes and a member batch, PostgreSQL's planner
/// statistics of the tree and member tables are refreshed in the
/// background (queries right after an import are otherwise planned for the
/// empty tables of before it).
#[tokio::test]
async fn statistics_are_refreshed_after_tree_writes_and_a_member_batch() {
    for backend in backends() {
        let server = start(&backend).await;
        if server.db.backend() != probity_platform::db::Backend::Postgres {
            continue;
        }
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        members
            .batch_create_members(
                probity_proto::probity::members::v1::BatchCreateMembersRequest {
                    requests: vec![member_request(
                        &t.a1.name,
                        "5550001",
                        "Lô thống kê",
                        date(2013, 1, 1),
                    )],
                    request_id: String::new(),
                    validate_only: false,
                },
            )
            .await
            .unwrap();
        let mut analyzed = false;
        for _ in 0..100 {
            let (n,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM pg_stat_user_tables WHERE schemaname = current_schema() \
                 AND relname IN ('organizations', 'organization_placements', 'members', 'member_periods', \
                 'member_events') AND last_analyze IS NOT NULL",
            )
            .fetch_one(server.db.pool())
            .await
            .unwrap();
            if n == 5 {
                analyzed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            analyzed,
            "{backend}: the two tree tables and the three member tables were analyzed"
        );
    }
}

#[tokio::test]
async fn a_service_this_server_does_not_run_is_named_with_those_it_runs() {
    use probity_proto::probity::oversight::v1::{
        ListSectorsRequest, reference_service_client::ReferenceServiceClient,
    };
    let server = start(&backends()[0]).await;
    let err = ReferenceServiceClient::new(server.admin())
        .list_sectors(ListSectorsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unimplemented);
    assert!(
        err.message()
            .contains("probity.oversight.v1.ReferenceService is not served here")
            && err.message().contains("probity.members.v1.MemberService"),
        "{}",
        err.message()
    );
    use tonic_types::StatusExt;
    assert_eq!(
        err.get_details_error_info().map(|i| i.reason),
        Some("SERVED_ELSEWHERE".to_string())
    );
}
