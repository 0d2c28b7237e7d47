//! Statistics of whistleblower reports and of recommendations through the
//! real gRPC API, on every backend: rolled up to the children, every small
//! count withheld with its complement, rates withheld with their counts.

mod common;

use common::{World, backends, date, fields};
use probity_proto::probity::oversight::v1::{
    AccusedPerson, Count, CreateProtectionEntryRequest, CreateRecommendationRequest,
    CreateReportRequest, GetRecommendationStatisticsRequest, GetReportStatisticsRequest,
    ProtectionEntry, ProtectionEntryKind, Recommendation, RecommendationKind, RecommendationSource,
    Report, ReportCategory, ReportChannel, ReporterIdentity,
    protection_service_client::ProtectionServiceClient,
    recommendation_service_client::RecommendationServiceClient,
    report_service_client::ReportServiceClient, statistics_service_client::StatisticsServiceClient,
};
use tonic::Code;

fn shown(c: &Option<Count>) -> &str {
    &c.as_ref().unwrap().display
}

async fn report(world: &World, org: &str, named: bool) -> String {
    ReportServiceClient::new(world.officer(&["*"]))
        .create_report(CreateReportRequest {
            report: Some(Report {
                organization: org.into(),
                channel: ReportChannel::Mail as i32,
                category: ReportCategory::Denunciation as i32,
                content: "Lạm dụng chức vụ".into(),
                accused: vec![AccusedPerson {
                    display_name: "Lê Văn C".into(),
                    ..Default::default()
                }],
                received_date: date(2024, 3, 1),
                ..Default::default()
            }),
            reporter: named.then(|| ReporterIdentity {
                full_name: "Người tố cáo".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .report
        .unwrap()
        .name
}

#[tokio::test]
async fn report_statistics_withhold_small_counts_and_their_complements() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let mut named = String::new();
        for i in 0..7 {
            let name = report(&world, &world.district_a, i == 0).await;
            if i == 0 {
                named = name;
            }
        }
        for _ in 0..2 {
            report(&world, &world.district_b, false).await;
        }
        ProtectionServiceClient::new(world.caller(&["protection-officer"], &["*"]))
            .create_protection_entry(CreateProtectionEntryRequest {
                parent: named,
                entry: Some(ProtectionEntry {
                    kind: ProtectionEntryKind::Measure as i32,
                    date: date(2024, 3, 5),
                    text: "Giữ bí mật nơi cư trú".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap();
        let mut stats = StatisticsServiceClient::new(world.steering(&["*"]));
        let request = |threshold| GetReportStatisticsRequest {
            organization: world.province.clone(),
            from_date: date(2024, 1, 1),
            to_date: date(2024, 12, 31),
            threshold,
        };
        let got = stats
            .get_report_statistics(request(0))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got.threshold, 5);
        let total = got.total.unwrap();
        assert_eq!(shown(&total.received), "9", "{backend}");
        // 1 named is small; 8 anonymous would give it away (9 - 8).
        assert_eq!(shown(&total.named), "<5");
        assert_eq!(shown(&total.anonymous), "x");
        assert_eq!(shown(&total.protected), "<5");
        let [a, b] = [&got.children[0], &got.children[1]];
        assert_eq!(a.organization, world.district_a);
        // B's 2 is small; A's 7 would give it away (9 - 7).
        assert_eq!(shown(&b.received), "<5");
        assert_eq!(shown(&a.received), "x", "{backend}");
        assert!(!got.suppression_rule.is_empty());
        for c in [&total.received, &total.anonymous, &total.named] {
            let c = c.as_ref().unwrap();
            assert_eq!(c.value == 0, c.suppressed || c.display == "0");
        }
        // The threshold may be raised, never lowered.
        let raised = stats
            .get_report_statistics(request(10))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(shown(&raised.total.unwrap().received), "<10");
        let lowered = stats.get_report_statistics(request(2)).await.unwrap_err();
        assert_eq!(fields(&lowered), ["threshold"]);
        // Outside the caller's scope: as if it did not exist.
        let hidden = StatisticsServiceClient::new(world.steering(&[&world.district_b]))
            .get_report_statistics(GetReportStatisticsRequest {
                organization: world.district_a.clone(),
                ..request(0)
            })
            .await
            .unwrap_err();
        assert_eq!(hidden.code(), Code::NotFound, "{backend}");
    }
}

#[tokio::test]
async fn recommendation_rates_are_rolled_up_and_withheld_with_their_counts() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let mut recommendations = RecommendationServiceClient::new(world.officer(&["*"]));
        for (org, n) in [(&world.district_a, 6), (&world.district_b, 2)] {
            for i in 0..n {
                recommendations
                    .create_recommendation(CreateRecommendationRequest {
                        recommendation: Some(Recommendation {
                            source: RecommendationSource::StateAudit as i32,
                            source_document: "45/BC-KTNN".into(),
                            source_date: date(2024, 1, 15),
                            organization: org.clone(),
                            responsible_person: "Chủ tịch UBND".into(),
                            kind: RecommendationKind::RecoverAmount as i32,
                            content: format!("Thu hồi khoản chi sai {i}"),
                            recommended_vnd: 1_000_000,
                            due_date: date(2024, 3, 31),
                            ..Default::default()
                        }),
                        request_id: String::new(),
                    })
                    .await
                    .unwrap();
            }
        }
        let got = StatisticsServiceClient::new(world.steering(&["*"]))
            .get_recommendation_statistics(GetRecommendationStatisticsRequest {
                organization: world.province.clone(),
                from_date: date(2024, 1, 1),
                to_date: date(2024, 12, 31),
                threshold: 0,
            })
            .await
            .unwrap()
            .into_inner();
        let total = got.total.unwrap();
        assert_eq!(shown(&total.due), "8", "{backend}");
        assert_eq!(shown(&total.pending), "8");
        assert_eq!(
            shown(&total.overdue),
            "8",
            "due 2024-03-31, today 2024-04-10"
        );
        // None implemented: 0 is small, and so the rate made of it is withheld.
        let rate = total.rate_by_count.unwrap();
        assert!(rate.suppressed && rate.percent.is_empty());
        assert_eq!(total.amount_recommended.unwrap().vnd, 8_000_000);
        let by_amount = total.rate_by_amount.unwrap();
        assert_eq!(
            (by_amount.percent.as_str(), by_amount.suppressed),
            ("0.00", false)
        );
        let (a, b) = (&got.children[0], &got.children[1]);
        assert_eq!(shown(&b.due), "<5");
        assert_eq!(shown(&a.due), "x", "{backend}: the complement of B's");
        assert!(a.amount_recommended.as_ref().unwrap().suppressed);
        assert!(got.formula.contains("implemented in full / due"));
    }
}
