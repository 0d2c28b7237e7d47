//! Property tests: every validator of a request, fed arbitrary messages
//! (any text, any number, any date or instant including the calendar's
//! ends), answers without panicking and never with an internal error.

use probity_platform::ApiError;
use probity_platform::testing::strategies::{any_date, any_instant, any_text};
use probity_proto::probity::study::v1::{
    CompletionRule, CreatePlanRequest, Document, LearningReportRequirement, NonMemberAttendee,
    Plan, StudyClass, SupervisionVisit,
};
use proptest::prelude::*;
use time::macros::date;

use super::{classes, documents, plans, reports, supervision};
use crate::error::Error;

fn internal(e: &Error) -> bool {
    matches!(e, Error::Api(ApiError::Internal(_)))
}

fn today() -> time::Date {
    date!(2026 - 12 - 01)
}

fn any_plan() -> impl Strategy<Value = Plan> {
    (
        (any_text(), any_date(), any_text(), any_text()),
        (any_date(), any_date(), any_date()),
        (
            any::<bool>(),
            any::<i32>(),
            any_date(),
            any::<i32>(),
            any::<i32>(),
        ),
    )
        .prop_map(
            |(
                (symbol, issued, title, scope),
                (start, end, reference),
                (req, days, cutoff, min, cond),
            )| {
                Plan {
                    symbol,
                    issue_date: issued,
                    title,
                    scope,
                    period_start: start,
                    period_end: end,
                    reference_date: reference,
                    learning_report: Some(LearningReportRequirement {
                        required: req,
                        due_days: days,
                        cutoff_date: cutoff,
                    }),
                    completion_rule: Some(CompletionRule {
                        min_counted_classes: min,
                        report: cond,
                    }),
                    ..Default::default()
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_plan_is_checked_without_fault(plan in any_plan()) {
        let req = CreatePlanRequest { plan: Some(plan), request_id: String::new() };
        if let Err(e) = plans::validate_new(&req, today()) {
            prop_assert!(!internal(&e), "{e:?}");
        }
    }

    #[test]
    fn a_class_is_checked_without_fault(title in any_text(), start in any_instant(), end in any_instant(), format in any::<i32>(), make_up in any_text()) {
        let c = StudyClass { plan: "plans/p".into(), organization: "organizations/o".into(), title, start_time: start, end_time: end, format, make_up_for: make_up, ..Default::default() };
        if let Err(e) = classes::validate_new(&c, (date!(2016 - 11 - 01), date!(2017 - 06 - 30))) {
            prop_assert!(!internal(&e), "{e:?}");
        }
    }

    #[test]
    fn a_document_is_checked_without_fault(symbol in any_text(), issued in any_date(), title in any_text(), body in any_text()) {
        let d = Document { symbol, issue_date: issued, title, issuing_body: body, ..Default::default() };
        if let Err(e) = documents::validate_new(&d, today()) {
            prop_assert!(!internal(&e), "{e:?}");
        }
    }

    #[test]
    fn non_members_are_checked_without_fault(count in any::<i32>(), name in any_text(), id in any_text()) {
        let a = NonMemberAttendee { full_name: name, identity_number: id, note: String::new() };
        if let Err(e) = super::attendance::validate_non_members(count, &[a]) {
            prop_assert!(!internal(&e), "{e:?}");
        }
    }

    #[test]
    fn reports_are_checked_without_fault(member in any_text(), text in any_text(), on in any_date(), grade in any::<i32>()) {
        if let Err(e) = reports::validate_submission(&member, &text, on.as_ref(), today()) {
            prop_assert!(!internal(&e), "{e:?}");
        }
        if let Err(e) = reports::validate_evaluation(grade, &text, on.as_ref(), today()) {
            prop_assert!(!internal(&e), "{e:?}");
        }
        if let Err(e) = reports::validate_extension(&member, &text, on.as_ref()) {
            prop_assert!(!internal(&e), "{e:?}");
        }
        if let Some(d) = on.as_ref().and_then(|d| probity_platform::dates::from_proto("d", Some(d)).ok().flatten()) {
            let _ = reports::due_date(d, i64::from(grade), None);
        }
    }

    #[test]
    fn a_supervision_visit_is_checked_without_fault(on in any_date(), findings in any_text(), rating in any::<i32>()) {
        let s = SupervisionVisit { visit_date: on, findings, rating, ..Default::default() };
        if let Err(e) = supervision::validate(&s, date!(2016 - 11 - 01), today()) {
            prop_assert!(!internal(&e), "{e:?}");
        }
    }
}
