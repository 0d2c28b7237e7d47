//! DeclarationService through the generated client, on every backend.

mod common;

use common::{declarations::*, *};
use probity_proto::probity::members::v1::{
    AssetCategory, Declaration, DeclarationKind, DeclarationStep, GetAssetChangeRequest,
    GetDeclarationRequest, HandOverDeclarationRequest, ListAssetChangeFlagsRequest,
    ListDeclarationsRequest, PublishDeclarationRequest, RecordVerificationConclusionRequest,
    ResubmitDeclarationRequest, ReturnDeclarationRequest, Timeliness, VerificationOutcome,
    declaration_service_client::DeclarationServiceClient,
    member_service_client::MemberServiceClient,
    organization_service_client::OrganizationServiceClient,
};
use tonic::Code;

#[tokio::test]
async fn thresholds_are_judged_by_the_rule_in_force_on_the_date() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let mut decls = DeclarationServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        let m = member(
            &mut members,
            &t.a1.name,
            "9900001",
            "Lê Văn Tám",
            date(2012, 1, 1),
        )
        .await;
        let car = || {
            item(
                AssetCategory::VehiclesValuables,
                "Ô tô 70A-123.45",
                100_000_000,
            )
        };

        // 2025: valuables from 50 million — a 100 million car is declared.
        let d2025 = submit(
            &mut decls,
            annual(
                &m,
                2025,
                vec![house(800_000_000), car()],
                date(2025, 12, 10),
            ),
        )
        .await
        .unwrap();
        assert_eq!(d2025.total_assets_vnd, 900_000_000, "{backend}");
        // A first declaration in August 2026: valuables from 150 million.
        let first = Declaration {
            declarant: m.name.clone(),
            year: 2026,
            kind: DeclarationKind::First as i32,
            declared_as_of: date(2026, 8, 1),
            event_date: date(2026, 7, 25),
            items: vec![house(800_000_000), car()],
            received_date: date(2026, 8, 3),
            ..Default::default()
        };
        let err = submit(&mut decls, first.clone()).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(details(&err).1, ["declaration.items[1].value_vnd"]);
        assert!(
            err.message().contains("150.000.000 VND"),
            "{}",
            err.message()
        );

        // The supplementary trigger: 300 million in 2025, 1 billion from
        // 1 July 2026.
        let d2024 = submit(
            &mut decls,
            annual(&m, 2024, vec![house(500_000_000)], date(2024, 12, 10)),
        )
        .await
        .unwrap();
        let change = decls
            .get_asset_change(GetAssetChangeRequest {
                declarant: m.name.clone(),
                year: 2025,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(change.previous_declaration, d2024.name);
        assert_eq!(
            (change.change_vnd, change.threshold_vnd),
            (400_000_000, 300_000_000)
        );
        assert!(change.flagged);
        assert!(
            change.reason.contains("400.000.000 VND") && change.reason.contains("300.000.000 VND"),
            "{}",
            change.reason
        );
        assert!(
            change.reason.contains("36/2018/QH14"),
            "names the rule: {}",
            change.reason
        );

        let mut first = first;
        first.items = vec![house(1_500_000_000)];
        submit(&mut decls, first).await.unwrap();
        let change = decls
            .get_asset_change(GetAssetChangeRequest {
                declarant: m.name.clone(),
                year: 2026,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            (change.change_vnd, change.threshold_vnd),
            (600_000_000, 1_000_000_000)
        );
        assert!(!change.flagged, "under the 2026 threshold");

        // An explained increase is not flagged; the list shows the flagged only.
        let other = member(
            &mut members,
            &t.a2.name,
            "9900002",
            "Phan Thị Chín",
            date(2012, 1, 1),
        )
        .await;
        submit(
            &mut decls,
            annual(&other, 2024, vec![house(100_000_000)], date(2024, 12, 10)),
        )
        .await
        .unwrap();
        let mut explained = annual(&other, 2025, vec![house(900_000_000)], date(2025, 12, 10));
        explained.increase_origin = "Thừa kế nhà của cha mẹ".into();
        submit(&mut decls, explained).await.unwrap();
        let flags = decls
            .list_asset_change_flags(ListAssetChangeFlagsRequest {
                organization: t.province.name.clone(),
                year: 2025,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .changes;
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].declarant, m.name);
    }
}

#[tokio::test]
async fn deadlines_are_computed_from_the_dates() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let mut decls = DeclarationServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        let m = member(&mut members, &t.a1.name, "9910001", "An", date(2012, 1, 1)).await;
        let d = submit(
            &mut decls,
            annual(&m, 2025, vec![house(100_000_000)], date(2025, 12, 1)),
        )
        .await
        .unwrap();
        let step = |d: &Declaration, s: DeclarationStep| {
            d.deadlines.iter().find(|x| x.step == s as i32).cloned()
        };
        assert_eq!(
            step(&d, DeclarationStep::Filing).unwrap().timeliness,
            Timeliness::OnTime as i32,
            "{backend}"
        );

        // Returned on the 10th: more than 7 days after receipt on the 1st.
        let returned = decls
            .return_declaration(ReturnDeclarationRequest {
                name: d.name.clone(),
                returned_date: date(2025, 12, 10),
                reason: "Thiếu mục thu nhập".into(),
                etag: d.etag.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        let r = step(&returned, DeclarationStep::Return).unwrap();
        assert_eq!(
            (r.due_date, r.timeliness),
            (date(2025, 12, 8), Timeliness::Late as i32)
        );
        assert!(
            step(&returned, DeclarationStep::HandOver).is_none(),
            "no hand-over clock while awaiting correction"
        );
        // A returned declaration cannot be handed over.
        let err = decls
            .hand_over_declaration(HandOverDeclarationRequest {
                name: d.name.clone(),
                handed_over_date: date(2025, 12, 11),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition);

        // Corrected on Friday the 12th: hand-over due in 20 days, publication
        // in 5 working days (Friday the 19th).
        let fixed = decls
            .resubmit_declaration(ResubmitDeclarationRequest {
                name: d.name.clone(),
                items: vec![
                    house(100_000_000),
                    item(AssetCategory::Income, "Lương", 240_000_000),
                ],
                increase_origin: String::new(),
                resubmitted_date: date(2025, 12, 12),
                etag: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            fixed.total_assets_vnd, 100_000_000,
            "income is not an asset"
        );
        let handed = decls
            .hand_over_declaration(HandOverDeclarationRequest {
                name: d.name.clone(),
                handed_over_date: date(2025, 12, 20),
            })
            .await
            .unwrap()
            .into_inner();
        let h = step(&handed, DeclarationStep::HandOver).unwrap();
        assert_eq!(
            (h.due_date, h.timeliness),
            (date(2026, 1, 1), Timeliness::OnTime as i32)
        );
        let published = decls
            .publish_declaration(PublishDeclarationRequest {
                name: d.name.clone(),
                published_date: date(2025, 12, 22),
                place: "Niêm yết tại trụ sở".into(),
            })
            .await
            .unwrap()
            .into_inner();
        let p = step(&published, DeclarationStep::Publication).unwrap();
        assert_eq!(
            (p.due_date, p.timeliness),
            (date(2025, 12, 19), Timeliness::Late as i32)
        );
        assert!(!p.citation.is_empty());

        // A late filing.
        let late = submit(
            &mut decls,
            annual(
                &member(
                    &mut members,
                    &t.a1.name,
                    "9910002",
                    "Bình",
                    date(2012, 1, 1),
                )
                .await,
                2025,
                vec![],
                date(2026, 1, 5),
            ),
        )
        .await
        .unwrap();
        assert_eq!(
            step(&late, DeclarationStep::Filing).unwrap().timeliness,
            Timeliness::Late as i32
        );

        // The conclusion of a verification.
        let concluded = decls
            .record_verification_conclusion(RecordVerificationConclusionRequest {
                name: d.name.clone(),
                outcome: VerificationOutcome::NotHonest as i32,
                findings: "Không kê khai một thửa đất".into(),
                concluded_date: date(2026, 3, 1),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            concluded.verification,
            VerificationOutcome::NotHonest as i32
        );
    }
}

#[tokio::test]
async fn callers_without_the_control_role_see_no_values() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let mut decls = DeclarationServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        let m = member(&mut members, &t.a1.name, "9920001", "An", date(2012, 1, 1)).await;
        let d = submit(
            &mut decls,
            annual(&m, 2025, vec![house(700_000_000)], date(2025, 12, 1)),
        )
        .await
        .unwrap();
        assert_eq!(d.items.len(), 1);
        assert!(!d.contents_redacted);

        let reader = server.token("clerk", &["writer"], &["*"]);
        let mut plain = DeclarationServiceClient::new(server.with_token(&reader));
        let seen = plain
            .get_declaration(GetDeclarationRequest {
                name: d.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(seen.contents_redacted, "{backend}");
        assert!(seen.items.is_empty());
        assert_eq!(seen.total_assets_vnd, 0);
        assert_eq!(
            seen.received_date,
            date(2025, 12, 1),
            "status and dates are visible"
        );
        let listed = plain
            .list_declarations(ListDeclarationsRequest {
                organization: t.province.name.clone(),
                year: 2025,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .declarations;
        assert_eq!(listed.len(), 1);
        assert!(listed[0].items.is_empty() && listed[0].contents_redacted);
        let err = plain
            .get_asset_change(GetAssetChangeRequest {
                declarant: m.name.clone(),
                year: 2025,
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied);
        let err = submit(
            &mut plain,
            annual(&m, 2025, vec![house(1)], date(2025, 12, 1)),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied);

        let control = server.token("controller", &["writer", "declaration-control"], &["*"]);
        let seen = DeclarationServiceClient::new(server.with_token(&control))
            .get_declaration(GetDeclarationRequest {
                name: d.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(seen.items, d.items);
        assert_eq!(seen.total_assets_vnd, 700_000_000);
    }
}
