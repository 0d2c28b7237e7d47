//! The rules of learning reports: who writes one (attendees), when it is
//! due and when it is late, the plan's cut-off and the extensions past it,
//! evaluation and reopening.

use probity_platform::{ApiError, Violations, dates, resource::parse_name, text};
use probity_proto::{
    google::r#type::Date as ProtoDate,
    probity::study::v1::{ErrorReason, LearningReportState, ReportGrade},
};
use time::Date;

use crate::error::{Error, Result};

/// Longest report.
pub const MAX_CONTENT: usize = probity_platform::limits::REPORT;

/// A day from the request, defaulting to `today`, not after it.
pub fn day_or_today(v: &mut Violations, field: &str, d: Option<&ProtoDate>, today: Date) -> Date {
    match dates::from_proto(field, d) {
        Ok(Some(day)) if day > today => {
            v.add(field, "must not be in the future");
            today
        }
        Ok(Some(day)) => day,
        Ok(None) => today,
        Err(e) => {
            v.add(e.field, e.description);
            today
        }
    }
}

/// Checks a reason: present, at most 2000 characters; returns it tidied.
pub fn reason(v: &mut Violations, value: &str) -> String {
    let r = text::tidy(value);
    v.check(
        r.is_empty() || r.chars().count() > probity_platform::limits::REASON,
        "reason",
        "required, at most 2000 characters",
    );
    r
}

/// A submission, checked: the member's id, the content, the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// The member's id.
    pub member_id: String,
    /// The report, trimmed.
    pub content: String,
    /// The day it was submitted.
    pub submitted: Date,
}

/// Checks a SubmitLearningReport request's fields on `today`.
pub fn validate_submission(
    member: &str,
    content: &str,
    submitted_on: Option<&ProtoDate>,
    today: Date,
) -> Result<Submission> {
    let mut v = Violations::new();
    let member_id = parse_name("member", member, "members")
        .map_err(|_| v.add("member", "required, `members/{id}`"))
        .ok()
        .map(str::to_string);
    let content = content.trim().to_string();
    v.check(
        content.is_empty() || content.chars().count() > MAX_CONTENT,
        "content",
        "required, at most 100,000 characters",
    );
    let submitted = day_or_today(&mut v, "submitted_on", submitted_on, today);
    v.into_result()?;
    Ok(Submission {
        member_id: member_id.unwrap_or_default(),
        content,
        submitted,
    })
}

/// Refuses a report dated before its class.
pub fn check_after_class(submitted: Date, class_date: Date) -> Result<()> {
    if submitted < class_date {
        return Err(ApiError::invalid(
            "submitted_on",
            format!("must not be before the class ({class_date})"),
        )
        .into());
    }
    Ok(())
}

/// The due date of a member's report: the extension's date, or the class
/// date plus the plan's days; and whether it is extended.
pub fn due_date(class_date: Date, due_days: i64, extension: Option<Date>) -> (Date, bool) {
    match extension {
        Some(d) => (d, true),
        None => (
            probity_platform::dates::add_days(class_date, due_days),
            false,
        ),
    }
}

/// Refuses a report after the plan's cut-off unless an extension covers it.
pub fn check_cutoff(
    plan: &str,
    cutoff: Option<Date>,
    submitted: Date,
    due: Date,
    extended: bool,
) -> Result<()> {
    if let Some(cutoff) = cutoff
        && submitted > cutoff
        && !(extended && submitted <= due)
    {
        return Err(Error::state(
            ErrorReason::PastCutoff,
            format!("{plan} accepts no learning report after {cutoff} without an extension"),
        ));
    }
    Ok(())
}

/// Refuses a report by a member who did not attend the class: recorded
/// `(status, attended)`, or nothing recorded.
pub fn check_attended(member: &str, class: &str, recorded: Option<(&str, bool)>) -> Result<()> {
    match recorded {
        Some((_, true)) => Ok(()),
        Some((status, false)) => Err(Error::state(
            ErrorReason::NotAttended,
            format!(
                "{member} is recorded as {status:?} at {class}; only attendees write a learning report"
            ),
        )),
        None => Err(Error::state(
            ErrorReason::NotAttended,
            format!("{member} has no attendance at {class}; record it first"),
        )),
    }
}

/// What a submission does with the member's existing report of the class:
/// write a new one, or resubmit a reopened one (`Some(its id)`).
pub fn resubmission<'a>(
    member: &str,
    class: &str,
    existing: Option<(&'a str, LearningReportState)>,
) -> Result<Option<&'a str>> {
    match existing {
        None => Ok(None),
        Some((id, LearningReportState::Reopened)) => Ok(Some(id)),
        Some((id, _)) => Err(Error::state(
            ErrorReason::ReportSubmitted,
            format!(
                "{member} already has a learning report for {class} (learningReports/{id}); reopen it to resubmit"
            ),
        )),
    }
}

/// An evaluation, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The grade.
    pub grade: ReportGrade,
    /// The comments, tidied.
    pub comments: String,
    /// The day of the evaluation.
    pub day: Date,
}

impl Evaluation {
    /// The report's state after it: rejected on a failing grade.
    pub fn state(&self) -> LearningReportState {
        if self.grade == ReportGrade::Fail {
            LearningReportState::Rejected
        } else {
            LearningReportState::Accepted
        }
    }
}

/// Checks an evaluation on `today`: a grade, comments (required to fail a
/// report), a day.
pub fn validate_evaluation(
    grade: i32,
    comments: &str,
    evaluated_on: Option<&ProtoDate>,
    today: Date,
) -> Result<Evaluation> {
    let mut v = Violations::new();
    let grade = ReportGrade::try_from(grade).unwrap_or(ReportGrade::Unspecified);
    v.check(
        grade == ReportGrade::Unspecified,
        "grade",
        "required: excellent, good, pass or fail",
    );
    let comments = text::tidy(comments);
    v.check(
        comments.chars().count() > probity_platform::limits::COMMENTS,
        "comments",
        "at most 5000 characters",
    );
    v.check(
        grade == ReportGrade::Fail && comments.is_empty(),
        "comments",
        "required with a failing grade: say what to improve",
    );
    let day = day_or_today(&mut v, "evaluated_on", evaluated_on, today);
    v.into_result()?;
    Ok(Evaluation {
        grade,
        comments,
        day,
    })
}

/// Only a submitted report is evaluated, on or after its submission.
pub fn check_evaluable(
    name: &str,
    state: LearningReportState,
    submitted: Date,
    day: Date,
) -> Result<()> {
    if state != LearningReportState::Submitted {
        return Err(Error::state(
            ErrorReason::ReportNotSubmitted,
            format!(
                "{name} is not waiting for evaluation; reopen it and have it resubmitted first"
            ),
        ));
    }
    if day < submitted {
        return Err(ApiError::invalid(
            "evaluated_on",
            format!("must not be before the submission ({submitted})"),
        )
        .into());
    }
    Ok(())
}

/// A report is reopened once.
pub fn check_reopenable(name: &str, state: LearningReportState) -> Result<()> {
    if state == LearningReportState::Reopened {
        return Err(Error::state(
            ErrorReason::ReportReopened,
            format!("{name} is already reopened"),
        ));
    }
    Ok(())
}

/// An extension, checked: the member's id, the reason, the new due date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// The member's id.
    pub member_id: String,
    /// Why, tidied.
    pub reason: String,
    /// The new due date.
    pub due: Date,
}

/// Checks a GrantReportExtension request's fields.
pub fn validate_extension(member: &str, why: &str, due: Option<&ProtoDate>) -> Result<Extension> {
    let mut v = Violations::new();
    let member_id = parse_name("member", member, "members")
        .map_err(|_| v.add("member", "required, `members/{id}`"))
        .ok()
        .map(str::to_string);
    let why = reason(&mut v, why);
    let due = dates::required("due_date", due)
        .map_err(|e| v.add(e.field, e.description))
        .ok();
    v.into_result()?;
    Ok(Extension {
        member_id: member_id.unwrap_or_default(),
        reason: why,
        due: due.unwrap_or(Date::MIN),
    })
}

/// An extension moves the due date later.
pub fn check_extends(due: Date, current: Date) -> Result<()> {
    if due <= current {
        return Err(ApiError::invalid(
            "due_date",
            format!("must be after the current due date ({current})"),
        )
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn a_report_is_due_days_after_its_class() {
        assert_eq!(
            due_date(date!(2016 - 12 - 10), 10, None),
            (date!(2016 - 12 - 20), false)
        );
    }

    #[test]
    fn an_extension_sets_the_due_date() {
        assert_eq!(
            due_date(date!(2016 - 12 - 10), 10, Some(date!(2017 - 03 - 25))),
            (date!(2017 - 03 - 25), true)
        );
    }

    #[test]
    fn after_the_cutoff_only_an_extension_lets_a_report_in() {
        let cutoff = Some(date!(2017 - 03 - 15));
        let day = date!(2017 - 03 - 20);
        assert!(check_cutoff("plans/p", cutoff, day, date!(2016 - 12 - 20), false).is_err());
        assert!(check_cutoff("plans/p", cutoff, day, date!(2017 - 03 - 25), true).is_ok());
        assert!(check_cutoff("plans/p", cutoff, day, date!(2017 - 03 - 18), true).is_err());
        assert!(check_cutoff("plans/p", None, day, date!(2016 - 12 - 20), false).is_ok());
    }

    #[test]
    fn only_attendees_write_a_report() {
        assert!(check_attended("members/a", "classes/c", Some(("present", true))).is_ok());
        let e = check_attended("members/a", "classes/c", Some(("absent", false))).unwrap_err();
        assert!(e.to_string().contains("\"absent\""));
        assert!(check_attended("members/a", "classes/c", None).is_err());
    }

    #[test]
    fn a_report_is_resubmitted_only_once_reopened() {
        assert_eq!(resubmission("m", "c", None).unwrap(), None);
        assert_eq!(
            resubmission("m", "c", Some(("r", LearningReportState::Reopened))).unwrap(),
            Some("r")
        );
        assert!(resubmission("m", "c", Some(("r", LearningReportState::Accepted))).is_err());
    }

    #[test]
    fn failing_a_report_needs_comments() {
        let today = date!(2017 - 01 - 01);
        assert!(validate_evaluation(ReportGrade::Fail as i32, "", None, today).is_err());
        let e = validate_evaluation(ReportGrade::Fail as i32, "Viết lại", None, today).unwrap();
        assert_eq!(e.state(), LearningReportState::Rejected);
        let e = validate_evaluation(ReportGrade::Good as i32, "", None, today).unwrap();
        assert_eq!(e.state(), LearningReportState::Accepted);
    }

    #[test]
    fn a_report_is_evaluated_once_submitted_and_not_before() {
        let s = date!(2016 - 12 - 18);
        assert!(check_evaluable("r", LearningReportState::Submitted, s, s).is_ok());
        assert!(
            check_evaluable(
                "r",
                LearningReportState::Submitted,
                s,
                date!(2016 - 12 - 17)
            )
            .is_err()
        );
        assert!(check_evaluable("r", LearningReportState::Accepted, s, s).is_err());
    }

    #[test]
    fn a_day_in_the_future_is_refused() {
        let mut v = Violations::new();
        let tomorrow = dates::to_proto(date!(2017 - 01 - 02));
        day_or_today(&mut v, "d", Some(&tomorrow), date!(2017 - 01 - 01));
        assert!(!v.is_empty());
    }

    #[test]
    fn an_extension_needs_a_reason_and_a_later_date() {
        assert!(validate_extension("members/a", " ", None).is_err());
        assert!(check_extends(date!(2017 - 03 - 25), date!(2016 - 12 - 20)).is_ok());
        assert!(check_extends(date!(2016 - 12 - 20), date!(2016 - 12 - 20)).is_err());
    }
}
