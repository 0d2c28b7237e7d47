//! The province generator against a real server, at small scale.

use probity_demo::{ProvinceSpec, generate_province, record_year};
use probity_platform::testing::{TestOptions, TestServer, backends};
use probity_proto::probity::members::v1::{
    GetReviewStatisticsRequest, ListHeadsMissingCommitmentRequest, ListRegisterRequest,
    StreamRosterRequest, book_service_client::BookServiceClient,
    member_service_client::MemberServiceClient, review_service_client::ReviewServiceClient,
};

#[tokio::test]
async fn generates_a_province_and_its_year() {
    for backend in backends() {
        let server = TestServer::start(
            &backend,
            TestOptions::new(probity_members::SCHEMA),
            probity_members::register,
        )
        .await;
        let spec = ProvinceSpec {
            districts: 2,
            grassroots_per_district: 2,
            cells_per_grassroots: 3,
            members: 300,
            concurrency: 8,
            ..ProvinceSpec::default()
        };
        let province = generate_province(server.admin(), &spec).await.unwrap();
        assert_eq!(
            (
                province.districts.len(),
                province.grassroots.len(),
                province.cells.len()
            ),
            (2, 4, 12),
            "{backend}"
        );
        assert_eq!(province.members.len(), 300);
        assert_eq!(
            province.members.iter().filter(|m| m.head).count(),
            12,
            "one head per cell"
        );

        let mut roster = MemberServiceClient::new(server.admin())
            .stream_roster(StreamRosterRequest {
                organization: province.province.clone(),
                as_of: None,
                exclude_exempt: true,
            })
            .await
            .unwrap()
            .into_inner();
        let mut n = 0;
        while let Some(m) = roster.message().await.unwrap() {
            assert!(!m.member.is_empty());
            n += 1;
        }
        assert_eq!(n, 300);

        let activity = record_year(
            server.admin(),
            server.committee(),
            &province,
            2025,
            spec.seed,
            spec.concurrency,
        )
        .await
        .unwrap();
        assert_eq!(activity.book_entries, 300 * 2 + 12);
        assert_eq!(activity.reviews, 300);
        let rows = ReviewServiceClient::new(server.admin())
            .get_review_statistics(GetReviewStatisticsRequest {
                organization: province.province.clone(),
                year: 2025,
            })
            .await
            .unwrap()
            .into_inner()
            .rows;
        assert_eq!(
            rows[0].total, 300,
            "every review decided, rolled up to the province"
        );
        let register = BookServiceClient::new(server.admin())
            .list_register(ListRegisterRequest {
                organization: province.province.clone(),
                year: 2025,
                page_size: 1000,
                page_token: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            register.entries.len(),
            300 + 12,
            "commitments and heads' commitments"
        );
        let missing = BookServiceClient::new(server.admin())
            .list_heads_missing_commitment(ListHeadsMissingCommitmentRequest {
                organization: province.province.clone(),
                year: 2025,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .heads;
        assert_eq!(
            missing.len(),
            12,
            "heads registered a commitment but no action plan"
        );
        assert!(
            missing
                .iter()
                .all(|h| !h.missing_commitment && h.missing_action_plan)
        );
    }
}
