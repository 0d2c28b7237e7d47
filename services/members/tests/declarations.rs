//! DeclarationService through the generated client, on every backend.

mod common;

use common::*;
use probity_proto::{
    google::r#type::Date,
    probity::members::v1::{
        ApproveObligationListRequest, AssetCategory, CreateObligationListRequest, Declaration,
        DeclarationItem, DeclarationKind, DeclarationStep, DrawVerificationRequest,
        GetAssetChangeRequest, GetDeclarationRequest, GetVerificationDrawRequest,
        HandOverDeclarationRequest, ListAssetChangeFlagsRequest, ListDeclarationsRequest, Member,
        Obligation, PublishDeclarationRequest, RecordVerificationConclusionRequest,
        ResubmitDeclarationRequest, ReturnDeclarationRequest, SubmitDeclarationRequest, Timeliness,
        VerificationOutcome, declaration_service_client::DeclarationServiceClient,
        member_service_client::MemberServiceClient,
        organization_service_client::OrganizationServiceClient,
    },
};
use sha2::{Digest, Sha256};
use tonic::Code;

type Decls = DeclarationServiceClient<probity_platform::testing::Authed>;

fn item(category: AssetCategory, description: &str, value: i64) -> DeclarationItem {
    DeclarationItem {
        category: category as i32,
        description: description.into(),
        value_vnd: value,
    }
}

fn annual(
    m: &Member,
    year: i32,
    items: Vec<DeclarationItem>,
    received: Option<Date>,
) -> Declaration {
    Declaration {
        declarant: m.name.clone(),
        year,
        kind: DeclarationKind::Annual as i32,
        declared_as_of: date(year, 12, 1),
        items,
        received_date: received,
        ..Default::default()
    }
}

async fn submit(decls: &mut Decls, d: Declaration) -> Result<Declaration, tonic::Status> {
    decls
        .submit_declaration(SubmitDeclarationRequest {
            declaration: Some(d),
            request_id: String::new(),
        })
        .await
        .map(|r| r.into_inner())
}

fn house(value: i64) -> DeclarationItem {
    item(AssetCategory::Houses, "Nhà ở, phường 1", value)
}

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

/// The published algorithm, written again here from its description.
fn rerun(seed: &str, percent: u64, input: &[(String, bool)]) -> Vec<String> {
    let score = |m: &str| -> String {
        Sha256::digest(format!("{seed}\n{m}"))
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let mut ranked: Vec<(String, &(String, bool))> =
        input.iter().map(|c| (score(&c.0), c)).collect();
    ranked.sort();
    let n = ((input.len() as u64 * percent).div_ceil(100)).max(1) as usize;
    let mut out: Vec<&(String, bool)> = ranked.iter().take(n).map(|r| r.1).collect();
    if !out.iter().any(|c| c.1)
        && let Some(l) = ranked.iter().find(|r| r.1.1)
    {
        out.push(l.1);
    }
    out.into_iter().map(|c| c.0.clone()).collect()
}

#[tokio::test]
async fn the_draw_re_runs_from_its_seed_and_list() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let mut decls = DeclarationServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        let mut people = Vec::new();
        for i in 0..30 {
            let cell = if i % 2 == 0 { &t.a1 } else { &t.b1 };
            let m = member(
                &mut members,
                &cell.name,
                &format!("{}", 9_930_000 + i),
                &format!("Người {i}"),
                date(2012, 1, 1),
            )
            .await;
            submit(
                &mut decls,
                annual(
                    &m,
                    2025,
                    vec![house(100_000_000 + i as i64)],
                    date(2025, 12, 5),
                ),
            )
            .await
            .unwrap();
            people.push(m);
        }
        // The obligation list marks one leader; a member outside is refused.
        let outsider = member(
            &mut members,
            &t.b2.name,
            "9939999",
            "Ngoài",
            date(2012, 1, 1),
        )
        .await;
        let err = decls
            .create_obligation_list(CreateObligationListRequest {
                organization: t.district_a.name.clone(),
                year: 2025,
                obligations: vec![Obligation {
                    member: outsider.name.clone(),
                    leader: false,
                    position: String::new(),
                }],
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(details(&err).1, ["obligations[0].member"], "{backend}");
        let list = decls
            .create_obligation_list(CreateObligationListRequest {
                organization: t.province.name.clone(),
                year: 2025,
                obligations: people
                    .iter()
                    .enumerate()
                    .map(|(i, m)| Obligation {
                        member: m.name.clone(),
                        leader: i == 17,
                        position: if i == 17 {
                            "Bí thư".into()
                        } else {
                            String::new()
                        },
                    })
                    .collect(),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(list.obligations.len(), 30);
        decls
            .approve_obligation_list(ApproveObligationListRequest {
                name: list.name.clone(),
                etag: list.etag.clone(),
            })
            .await
            .unwrap();
        let err = decls
            .approve_obligation_list(ApproveObligationListRequest {
                name: list.name.clone(),
                etag: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(details(&err).0, "ALREADY_APPROVED");

        let drawn = decls
            .draw_verification(DrawVerificationRequest {
                organization: t.province.name.clone(),
                year: 2025,
                seed: "Tây Ninh 2025".into(),
                percent: 10,
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(drawn.candidates.len(), 30);
        assert!(drawn.selected.len() >= 3, "at least 10%");
        assert!(
            drawn.selected.contains(&people[17].name),
            "includes a leader"
        );
        let input: Vec<(String, bool)> = drawn
            .candidates
            .iter()
            .map(|c| (c.member.clone(), c.leader))
            .collect();
        let mut sorted = input.clone();
        sorted.sort();
        assert_eq!(input, sorted, "input in name order");
        assert_eq!(
            rerun(&drawn.seed, 10, &input),
            drawn.selected,
            "anyone can re-run it"
        );
        let digest: String = Sha256::digest(
            input
                .iter()
                .map(|(m, l)| format!("{m},{}\n", u8::from(*l)))
                .collect::<String>(),
        )
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
        assert_eq!(drawn.input_digest, digest);
        let stored = decls
            .get_verification_draw(GetVerificationDrawRequest {
                name: drawn.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(stored, drawn);

        let again = decls
            .draw_verification(DrawVerificationRequest {
                organization: t.province.name.clone(),
                year: 2025,
                seed: "another seed".into(),
                percent: 10,
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_ne!(
            again.selected, drawn.selected,
            "another seed, another selection"
        );
        assert_eq!(rerun("another seed", 10, &input), again.selected);

        let err = decls
            .draw_verification(DrawVerificationRequest {
                organization: t.province.name.clone(),
                year: 2025,
                percent: 5,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(details(&err).1, ["percent"]);
    }
}
