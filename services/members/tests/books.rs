//! BookService and ManifestationService through the generated clients, on
//! every backend.

mod common;

use common::*;
use probity_proto::probity::members::v1::{
    ActionItemStatus, AddEntryCommentRequest, AssessmentPeriod, BookEntry, BookEntryKind as Kind,
    BookEntryState, CommitmentOutcome, CorrectBookEntryRequest, CreateBookEntryRequest,
    GetBookEntryRequest, GetBookRequest, GetManifestationStatisticsRequest,
    ListHeadsMissingCommitmentRequest, ListManifestationsRequest, ListPendingCommitmentsRequest,
    ListRegisterRequest, ManifestationGroup, RecordCommitmentResultRequest,
    SetActionItemStatusRequest, SubmitBookEntryRequest, UpdateBookEntryRequest,
    UpdateMemberRequest, book_service_client::BookServiceClient,
    manifestation_service_client::ManifestationServiceClient,
    member_service_client::MemberServiceClient,
    organization_service_client::OrganizationServiceClient,
};
use prost_types::FieldMask;
use tonic::Code;

const YEAR: i32 = 2025;

type Books = BookServiceClient<probity_platform::testing::Authed>;

fn entry(member: &str, kind: Kind, text: &str) -> BookEntry {
    BookEntry {
        member: member.into(),
        year: YEAR,
        kind: kind as i32,
        text: text.into(),
        ..Default::default()
    }
}

async fn create(books: &mut Books, e: BookEntry, submit: bool) -> BookEntry {
    books
        .create_book_entry(CreateBookEntryRequest {
            entry: Some(e),
            submit,
            request_id: String::new(),
        })
        .await
        .unwrap_or_else(|e| panic!("create entry: {e:?}"))
        .into_inner()
}

fn commitment(member: &str, text: &str) -> BookEntry {
    BookEntry {
        cited_documents: vec!["4-nq/tw".into(), "05-CT/TW".into()],
        manifestation_codes: vec!["ii-04".into(), "I-05".into()],
        ..entry(member, Kind::Commitment, text)
    }
}

#[tokio::test]
async fn drafts_change_submitted_entries_are_corrected() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let mut books = BookServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        let m = member(
            &mut members,
            &t.a1.name,
            "9100001",
            "Nguyễn Văn An",
            date(2012, 1, 1),
        )
        .await;

        let draft = create(
            &mut books,
            commitment(&m.name, "Không nhận quà biếu"),
            false,
        )
        .await;
        assert_eq!(draft.state, BookEntryState::Draft as i32, "{backend}");
        assert_eq!(
            draft.cited_documents,
            ["04-NQ/TW", "05-CT/TW"],
            "canonical symbols"
        );
        assert_eq!(draft.manifestation_codes, ["I-05", "II-04"]);
        assert_eq!(draft.organization, t.a1.name);

        let mut changed = draft.clone();
        changed.text = "Không nhận quà biếu dưới mọi hình thức".into();
        let updated = books
            .update_book_entry(UpdateBookEntryRequest {
                entry: Some(changed.clone()),
                update_mask: Some(FieldMask {
                    paths: vec!["text".into()],
                }),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(updated.text, "Không nhận quà biếu dưới mọi hình thức");
        let submitted = books
            .submit_book_entry(SubmitBookEntryRequest {
                name: draft.name.clone(),
                etag: updated.etag.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(submitted.state, BookEntryState::Submitted as i32);
        assert!(submitted.submit_time.is_some());

        // A submitted entry cannot be edited.
        changed.etag = String::new();
        let err = books
            .update_book_entry(UpdateBookEntryRequest {
                entry: Some(changed),
                update_mask: Some(FieldMask {
                    paths: vec!["text".into()],
                }),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(details(&err).0, "ENTRY_SUBMITTED");

        // Its correction is a new entry, linked both ways.
        let correction = books
            .correct_book_entry(CorrectBookEntryRequest {
                name: submitted.name.clone(),
                correction: Some(commitment("", "Không nhận quà biếu; công khai tài sản")),
                request_id: "fix-1".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(correction.corrects, submitted.name);
        assert_eq!(correction.state, BookEntryState::Submitted as i32);
        let original = books
            .get_book_entry(GetBookEntryRequest {
                name: submitted.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(original.corrected_by, correction.name);
        assert_eq!(
            original.text, "Không nhận quà biếu dưới mọi hình thức",
            "kept as submitted"
        );
        let err = books
            .correct_book_entry(CorrectBookEntryRequest {
                name: submitted.name.clone(),
                correction: Some(commitment("", "again")),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(details(&err).0, "ENTRY_SUPERSEDED");

        // The cell comments, then records the year-end result once.
        let commented = books
            .add_entry_comment(AddEntryCommentRequest {
                name: correction.name.clone(),
                text: "Chi bộ ghi nhận".into(),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(commented.comments.len(), 1);
        assert_eq!(commented.comments[0].author, "admin");
        let record = |name: &str, outcome: CommitmentOutcome| RecordCommitmentResultRequest {
            name: name.into(),
            outcome: outcome as i32,
            comment: "Thực hiện tốt".into(),
            request_id: String::new(),
        };
        let done = books
            .record_commitment_result(record(&correction.name, CommitmentOutcome::Kept))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(done.result.unwrap().outcome, CommitmentOutcome::Kept as i32);
        let err = books
            .record_commitment_result(record(&correction.name, CommitmentOutcome::NotKept))
            .await
            .unwrap_err();
        assert_eq!(details(&err).0, "RESULT_ALREADY_RECORDED");
        let err = books
            .record_commitment_result(record(&submitted.name, CommitmentOutcome::Kept))
            .await
            .unwrap_err();
        assert_eq!(details(&err).0, "ENTRY_SUPERSEDED");

        let book = books
            .get_book(GetBookRequest {
                member: m.name.clone(),
                year: YEAR,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(book.entries.len(), 2);
        assert_eq!(book.entries[0].name, submitted.name, "oldest first");
    }
}

#[tokio::test]
async fn entries_are_validated_for_their_kind() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let mut books = BookServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        let m = member(
            &mut members,
            &t.a1.name,
            "9200001",
            "Trần Thị Bình",
            date(2012, 1, 1),
        )
        .await;
        let try_create = |e: BookEntry| CreateBookEntryRequest {
            entry: Some(e),
            submit: true,
            request_id: String::new(),
        };

        let mut bad = commitment(&m.name, "x");
        bad.cited_documents = vec!["NQ 4".into()];
        bad.manifestation_codes = vec!["IV-01".into()];
        bad.year = 2016;
        let err = books.create_book_entry(try_create(bad)).await.unwrap_err();
        let (_, mut fields) = details(&err);
        fields.sort();
        assert_eq!(
            fields,
            [
                "entry.cited_documents[0]",
                "entry.manifestation_codes[0]",
                "entry.year"
            ],
            "{backend}"
        );

        let err = books
            .create_book_entry(try_create(entry(
                &m.name,
                Kind::ActionItem,
                "Đọc nghị quyết",
            )))
            .await
            .unwrap_err();
        assert_eq!(details(&err).1, ["entry.due_date"]);
        let err = books
            .create_book_entry(try_create(entry(
                &m.name,
                Kind::SelfAssessment,
                "Tự đánh giá",
            )))
            .await
            .unwrap_err();
        assert_eq!(details(&err).1, ["entry.period"]);
        let mut goal = entry(&m.name, Kind::Goal, "Mục tiêu");
        goal.cited_documents = vec!["04-NQ/TW".into()];
        let err = books.create_book_entry(try_create(goal)).await.unwrap_err();
        assert_eq!(details(&err).1, ["entry.cited_documents"]);

        // A head's commitment needs a head.
        let err = books
            .create_book_entry(try_create(entry(&m.name, Kind::HeadCommitment, "x")))
            .await
            .unwrap_err();
        assert_eq!(details(&err).0, "NOT_A_HEAD");

        // Nothing was written.
        let book = books
            .get_book(GetBookRequest {
                member: m.name.clone(),
                year: YEAR,
            })
            .await
            .unwrap()
            .into_inner();
        assert!(book.entries.is_empty());

        // Action items track progress once submitted.
        let mut item = entry(&m.name, Kind::ActionItem, "Đọc nghị quyết");
        item.due_date = date(2025, 6, 30);
        let item = create(&mut books, item, true).await;
        assert_eq!(item.action_status, ActionItemStatus::Planned as i32);
        let item = books
            .set_action_item_status(SetActionItemStatusRequest {
                name: item.name.clone(),
                status: ActionItemStatus::Done as i32,
                etag: item.etag.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(item.action_status, ActionItemStatus::Done as i32);
    }
}

#[tokio::test]
async fn registers_pending_commitments_and_missing_heads() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let mut books = BookServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        let an = member(&mut members, &t.a1.name, "9300001", "An", date(2012, 1, 1)).await;
        let binh = member(
            &mut members,
            &t.a2.name,
            "9300002",
            "Bình",
            date(2012, 1, 1),
        )
        .await;
        let cuong = member(
            &mut members,
            &t.b1.name,
            "9300003",
            "Cường",
            date(2012, 1, 1),
        )
        .await;
        let mut kept = Vec::new();
        for (m, n) in [(&an, 3), (&binh, 2), (&cuong, 4)] {
            for i in 0..n {
                kept.push(
                    create(
                        &mut books,
                        commitment(&m.name, &format!("Cam kết {i}")),
                        true,
                    )
                    .await,
                );
            }
        }
        create(
            &mut books,
            commitment(&an.name, "draft, not in the register"),
            false,
        )
        .await;
        books
            .record_commitment_result(RecordCommitmentResultRequest {
                name: kept[0].name.clone(),
                outcome: CommitmentOutcome::PartlyKept as i32,
                comment: String::new(),
                request_id: String::new(),
            })
            .await
            .unwrap();

        let mut names = Vec::new();
        let mut token = String::new();
        loop {
            let page = books
                .list_register(ListRegisterRequest {
                    organization: t.district_a.name.clone(),
                    year: YEAR,
                    page_size: 2,
                    page_token: token,
                })
                .await
                .unwrap()
                .into_inner();
            names.extend(page.entries.into_iter().map(|e| e.name));
            token = page.next_page_token;
            if token.is_empty() {
                break;
            }
        }
        assert_eq!(
            names.len(),
            5,
            "{backend}: An's 3 and Bình's 2, no drafts, not district B"
        );
        let whole = books
            .list_register(ListRegisterRequest {
                organization: t.province.name.clone(),
                year: YEAR,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .entries;
        assert_eq!(whole.len(), 9);
        assert_eq!(whole.iter().filter(|e| e.result.is_some()).count(), 1);
        let pending = books
            .list_pending_commitments(ListPendingCommitmentsRequest {
                organization: t.province.name.clone(),
                year: YEAR,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .entries;
        assert_eq!(pending.len(), 8);
        assert!(pending.iter().all(|e| e.name != kept[0].name));

        // Heads: An becomes head of cell A1.
        let mut head = an.clone();
        head.head_position = "Bí thư chi bộ".into();
        members
            .update_member(UpdateMemberRequest {
                member: Some(head),
                update_mask: Some(FieldMask {
                    paths: vec!["head_position".into()],
                }),
            })
            .await
            .unwrap();
        let missing = |books: &mut Books| {
            let request = ListHeadsMissingCommitmentRequest {
                organization: t.province.name.clone(),
                year: YEAR,
                ..Default::default()
            };
            let mut books = books.clone();
            async move {
                books
                    .list_heads_missing_commitment(request)
                    .await
                    .unwrap()
                    .into_inner()
                    .heads
            }
        };
        let heads = missing(&mut books).await;
        assert_eq!(heads.len(), 1);
        assert_eq!(
            (heads[0].missing_commitment, heads[0].missing_action_plan),
            (true, true)
        );
        assert_eq!(heads[0].head_position, "Bí thư chi bộ");
        create(
            &mut books,
            entry(&an.name, Kind::HeadCommitment, "Gương mẫu"),
            true,
        )
        .await;
        let heads = missing(&mut books).await;
        assert_eq!(
            (heads[0].missing_commitment, heads[0].missing_action_plan),
            (false, true)
        );
        let mut plan = entry(&an.name, Kind::HeadActionItem, "Kiểm tra chi bộ");
        plan.due_date = date(2025, 9, 1);
        create(&mut books, plan, true).await;
        assert!(missing(&mut books).await.is_empty());
    }
}

#[tokio::test]
async fn manifestations_are_listed_and_counted() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let mut books = BookServiceClient::new(server.admin());
        let mut manifestations = ManifestationServiceClient::new(server.admin());
        let all = manifestations
            .list_manifestations(ListManifestationsRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(all.manifestations.len(), 27, "{backend}");
        assert_eq!(all.source, "04-NQ/TW");
        let ethics = manifestations
            .list_manifestations(ListManifestationsRequest {
                group: ManifestationGroup::EthicsLifestyle as i32,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(ethics.manifestations.len(), 9);
        assert!(
            ethics
                .manifestations
                .iter()
                .all(|m| m.code.starts_with("II-"))
        );

        let t = tree(&mut orgs).await;
        let an = member(&mut members, &t.a1.name, "9400001", "An", date(2012, 1, 1)).await;
        let binh = member(
            &mut members,
            &t.b1.name,
            "9400002",
            "Bình",
            date(2012, 1, 1),
        )
        .await;
        for m in [&an, &binh] {
            let mut assessment = entry(&m.name, Kind::SelfAssessment, "Tự nhận thấy còn nể nang");
            assessment.period = AssessmentPeriod::H1 as i32;
            assessment.manifestation_codes = vec!["I-05".into()];
            assessment.remedies = "Mạnh dạn phê bình".into();
            create(&mut books, assessment, true).await;
        }
        create(&mut books, commitment(&an.name, "x"), true).await;
        let counts = manifestations
            .get_manifestation_statistics(GetManifestationStatisticsRequest {
                organization: t.province.name.clone(),
                year: YEAR,
            })
            .await
            .unwrap()
            .into_inner()
            .counts;
        assert_eq!(counts.len(), 27);
        let of = |code: &str| counts.iter().find(|c| c.code == code).unwrap().clone();
        assert_eq!(
            (of("I-05").self_assessments, of("I-05").commitments),
            (2, 1)
        );
        assert_eq!(
            (of("II-04").self_assessments, of("II-04").commitments),
            (0, 1)
        );
        let district_a = manifestations
            .get_manifestation_statistics(GetManifestationStatisticsRequest {
                organization: t.district_a.name.clone(),
                year: YEAR,
            })
            .await
            .unwrap()
            .into_inner()
            .counts;
        assert_eq!(
            district_a
                .iter()
                .find(|c| c.code == "I-05")
                .unwrap()
                .self_assessments,
            1
        );
        let err = manifestations
            .get_manifestation_statistics(GetManifestationStatisticsRequest {
                organization: t.province.name.clone(),
                year: 2016,
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
    }
}
