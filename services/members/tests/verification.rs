//! The verification draw through the generated client, on every backend:
//! re-run by anyone from its published seed and list.

mod common;

use common::{declarations::*, *};
use probity_proto::probity::members::v1::{
    ApproveObligationListRequest, CreateObligationListRequest, DrawVerificationRequest,
    GetVerificationDrawRequest, Obligation, declaration_service_client::DeclarationServiceClient,
    member_service_client::MemberServiceClient,
    organization_service_client::OrganizationServiceClient,
};
use sha2::{Digest, Sha256};
use tonic::Code;

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

        let draw_request = |reason: &str| DrawVerificationRequest {
            organization: t.province.name.clone(),
            year: 2025,
            percent: 10,
            redraw_reason: reason.into(),
            ..Default::default()
        };
        #[allow(deprecated)]
        let err = decls
            .draw_verification(DrawVerificationRequest {
                seed: "Tây Ninh 2025".into(),
                ..draw_request("")
            })
            .await
            .unwrap_err();
        assert_eq!(details(&err).1, ["seed"], "nobody chooses the seed");
        let drawn = decls
            .draw_verification(draw_request(""))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(drawn.attempt, 1);
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
        let hex = |text: String| -> String {
            Sha256::digest(text)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        let committed = |attempt: i32| {
            hex(format!(
                "probity-verification-draw/v1\n{}\n2025\n{attempt}\n{digest}\n",
                t.province.name
            ))
        };
        assert_eq!(drawn.seed, committed(1), "the seed is fixed by the input");
        let stored = decls
            .get_verification_draw(GetVerificationDrawRequest {
                name: drawn.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(stored, drawn);

        // One draw per organisation and year: another needs a reason, is a
        // new attempt with its own committed seed, and keeps the first.
        let err = decls.draw_verification(draw_request("")).await.unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(details(&err).0, "ALREADY_DRAWN");
        let again = decls
            .draw_verification(draw_request("Bổ sung bản kê khai nộp muộn"))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(again.attempt, 2);
        assert_eq!(again.redraw_reason, "Bổ sung bản kê khai nộp muộn");
        assert_eq!(again.seed, committed(2));
        assert_eq!(rerun(&again.seed, 10, &input), again.selected);
        let first = decls
            .get_verification_draw(GetVerificationDrawRequest {
                name: drawn.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(first, drawn, "the first draw stays on record");

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
