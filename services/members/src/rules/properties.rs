//! Property tests: every validator of a request, fed arbitrary messages
//! (any text, any number, any date including the calendar's ends), answers
//! without panicking and never with an internal error — a bad request is
//! the caller's `INVALID_ARGUMENT` (or a refusal), not the server's fault.

use probity_platform::ApiError;
use probity_platform::testing::strategies::{any_date, any_text};
use probity_proto::probity::members::v1::{
    BookEntry, CreateMemberRequest, Declaration, DeclarationItem, DeclarationRuleKind, Member,
    Organization, RecordMemberEventRequest, ReviewRule, SubmitSelfAssessmentRequest,
};
use proptest::prelude::*;
use time::macros::date;

use probity_proto::probity::members::v1::BookEntryKind as Kind;

use super::{
    deadlines::{RuleBook, deadlines},
    declarations,
    manifestations::Catalogue,
    members, organizations, reviews, verification,
};
use crate::error::Error;

fn internal(e: &Error) -> bool {
    matches!(e, Error::Api(ApiError::Internal(_)))
}

fn today() -> time::Date {
    date!(2026 - 12 - 01)
}

/// Every declaration rule, in force from 2019-08-01.
fn book() -> RuleBook {
    use DeclarationRuleKind::*;
    RuleBook::of(
        [
            ValuablesThreshold,
            SupplementaryTrigger,
            FirstFilingDays,
            AppointmentFilingDays,
            ReturnDays,
            HandOverDays,
            PublicationWorkingDays,
        ]
        .into_iter()
        .map(|kind| (kind, "2019-08-01", 10, "NĐ 130/2020")),
    )
}

fn any_member() -> impl Strategy<Value = Member> {
    (
        any_text(),
        any_text(),
        any_date(),
        any_date(),
        any::<i32>(),
        any_text(),
    )
        .prop_map(|(card, name, dob, admitted, gender, org)| Member {
            party_card_number: card,
            full_name: name,
            date_of_birth: dob,
            admission_date: admitted,
            gender,
            organization: org,
            ..Default::default()
        })
}

fn any_declaration() -> impl Strategy<Value = Declaration> {
    let item =
        (any::<i32>(), any_text(), any::<i64>()).prop_map(|(category, description, value)| {
            DeclarationItem {
                category,
                description,
                value_vnd: value,
            }
        });
    (
        any::<i32>(),
        any::<i32>(),
        any_date(),
        any_date(),
        any_date(),
        proptest::collection::vec(item, 0..4),
        any::<i32>(),
    )
        .prop_map(
            |(year, kind, as_of, event, received, items, status)| Declaration {
                year,
                kind,
                declared_as_of: as_of,
                event_date: event,
                received_date: received,
                items,
                status,
                ..Default::default()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_new_member_is_checked_without_fault(member in any_member(), official in any_date()) {
        let req = CreateMemberRequest { member: Some(member), official_date: official, request_id: String::new() };
        if let Err(e) = members::validate_create(&req, "", today()) {
            prop_assert!(!internal(&e), "{e:?}");
        }
    }

    #[test]
    fn a_member_update_is_checked_without_fault(member in any_member()) {
        let paths = ["party_card_number", "full_name", "date_of_birth", "gender"];
        if let Err(e) = members::validate_update(&member, &paths) {
            prop_assert!(!internal(&e), "{e:?}");
        }
    }

    #[test]
    fn a_member_event_is_checked_without_fault(kind in any::<i32>(), on in any_date(), target in any_text()) {
        let req = RecordMemberEventRequest { kind, effective_date: on, target_organization: target, ..Default::default() };
        if let Err(e) = members::validate_event(&req, today()) {
            prop_assert!(!internal(&e), "{e:?}");
        }
    }

    #[test]
    fn an_organisation_is_checked_without_fault(code in any_text(), name in any_text(), kind in any::<i32>(), from in any_date()) {
        let org = Organization { code, display_name: name, kind, valid_from: from, ..Default::default() };
        if let Err(e) = organizations::validate_new(&org) {
            prop_assert!(!internal(&e), "{e:?}");
        }
    }

    #[test]
    fn a_declaration_and_its_deadlines_are_checked_without_fault(d in any_declaration()) {
        let mut v = probity_platform::Violations::new();
        let submission = declarations::validate_submission(&mut v, &d, today());
        let as_of = probity_platform::dates::to_sql(submission.as_of);
        let total = declarations::validate_items(&mut v, "declaration.items", &d.items, &as_of, &book());
        prop_assert!(total.is_ok(), "{total:?}");
        let due = deadlines(&d, &book(), today());
        prop_assert!(!matches!(due, Err(ApiError::Internal(_))), "{due:?}");
    }

    #[test]
    fn a_self_assessment_and_a_rule_are_checked_without_fault(year in any::<i32>(), grade in any::<i32>(), text in any_text(), from in any_date()) {
        let req = SubmitSelfAssessmentRequest { year, grade, comment: text.clone(), ..Default::default() };
        if let Err(e) = reviews::validate_self_assessment(&req, today()) {
            prop_assert!(!internal(&e), "{e:?}");
        }
        let rule = ReviewRule { kind: grade, percent: year, cap: grade, valid_from: from, citation: text, ..Default::default() };
        if let Err(e) = reviews::validate_rule(&rule) {
            prop_assert!(!internal(&e), "{e:?}");
        }
        let _ = reviews::parse_review_name(&format!("members/x/reviews/{year}"), today());
    }

    #[test]
    fn a_book_entry_is_checked_without_fault(text in any_text(), due in any_date(), codes in proptest::collection::vec(any_text(), 0..3)) {
        let entry = BookEntry { text, due_date: due, manifestation_codes: codes, cited_documents: vec!["04-NQ/TW".into()], ..Default::default() };
        let catalogue = Catalogue::shipped().unwrap();
        for kind in [Kind::Commitment, Kind::HeadActionItem, Kind::SelfAssessment] {
            let mut v = probity_platform::Violations::new();
            let _ = super::books::validate_content(&mut v, "entry", kind, &entry, &catalogue);
        }
    }

    #[test]
    fn a_draw_request_is_checked_without_fault(percent in any::<i32>(), seed in any_text(), reason in any_text()) {
        let _ = verification::validate_draw(percent, &seed, &reason);
    }
}
