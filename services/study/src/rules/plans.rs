//! The rules of study plans: what a plan's fields may be (period, learning
//! reports and their cut-off, the completion rule, the attendance
//! statuses), and when an update is refused because classes or attendance
//! already depend on them.

use probity_platform::{
    ApiError, Violations, dates,
    resource::parse_name,
    symbol::{self, DocumentSymbol},
    text,
};
use probity_proto::probity::study::v1::{CreatePlanRequest, ErrorReason, Plan, ReportCondition};
use time::Date;

use super::statuses::{self, Status, default_statuses};
use crate::error::{Error, Result};

/// Longest title.
pub const MAX_TITLE: usize = probity_platform::limits::TITLE;
/// Most documents a plan names.
pub const MAX_DOCUMENTS: usize = probity_platform::limits::PLAN_DOCUMENTS;

/// A plan's settable fields, checked and normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct Fields {
    /// See the contract's `Plan`.
    pub title: String,
    /// See the contract's `Plan`.
    pub audience: String,
    /// See the contract's `Plan`.
    pub documents: Vec<String>,
    /// See the contract's `Plan`.
    pub period_start: Date,
    /// See the contract's `Plan`.
    pub period_end: Date,
    /// See the contract's `Plan`.
    pub report_required: bool,
    /// See the contract's `Plan`.
    pub report_due_days: i64,
    /// See the contract's `Plan`.
    pub report_cutoff: Option<Date>,
    /// See the contract's `Plan`.
    pub min_classes: i64,
    /// See the contract's `Plan`.
    pub report_condition: ReportCondition,
    /// See the contract's `Plan`.
    pub statuses: Vec<Status>,
    /// See the contract's `Plan`.
    pub unmarked_status: String,
}

impl Fields {
    /// Applies the `paths` of `p` over `self`, collecting violations.
    pub fn apply(&mut self, v: &mut Violations, p: &Plan, paths: &[&str]) {
        let has = |f: &str| paths.contains(&f);
        if has("title") {
            self.title = text::tidy(&p.title);
            v.check(
                self.title.is_empty() || self.title.chars().count() > MAX_TITLE,
                "plan.title",
                "required, at most 1000 characters",
            );
        }
        if has("audience") {
            self.audience = text::tidy(&p.audience);
            v.check(
                self.audience.chars().count() > probity_platform::limits::SHORT_TEXT,
                "plan.audience",
                "at most 500 characters",
            );
        }
        if has("documents") {
            self.documents.clear();
            if p.documents.is_empty() || p.documents.len() > MAX_DOCUMENTS {
                v.add("plan.documents", "one to 50 documents");
            }
            for (i, d) in p.documents.iter().enumerate() {
                match parse_name(&format!("plan.documents[{i}]"), d, "documents") {
                    Ok(id) if self.documents.iter().any(|x| x == id) => {
                        v.add(format!("plan.documents[{i}]"), "listed twice")
                    }
                    Ok(id) => self.documents.push(id.to_string()),
                    Err(ApiError::InvalidArgument(mut e)) => v.add(
                        e.remove(0).field,
                        "must be a document name, `documents/{id}`",
                    ),
                    Err(_) => {}
                }
            }
        }
        let mut date = |field: &str, value, target: &mut Date| {
            match dates::required(field, value) {
                Ok(d) => *target = d,
                Err(e) => v.add(e.field, e.description),
            };
        };
        if has("period_start") {
            date(
                "plan.period_start",
                p.period_start.as_ref(),
                &mut self.period_start,
            );
        }
        if has("period_end") {
            date(
                "plan.period_end",
                p.period_end.as_ref(),
                &mut self.period_end,
            );
        }
        v.check(
            self.period_end < self.period_start,
            "plan.period_end",
            "must not be before period_start",
        );
        if has("learning_report") {
            let r = p.learning_report.unwrap_or_default();
            self.report_required = r.required;
            self.report_due_days = i64::from(r.due_days);
            match dates::from_proto("plan.learning_report.cutoff_date", r.cutoff_date.as_ref()) {
                Ok(d) => self.report_cutoff = d,
                Err(e) => v.add(e.field, e.description),
            }
            if r.required {
                v.check(
                    !(1..=365).contains(&r.due_days),
                    "plan.learning_report.due_days",
                    "1 to 365 days when reports are required",
                );
            } else {
                v.check(
                    r.due_days != 0 || self.report_cutoff.is_some(),
                    "plan.learning_report",
                    "due_days and cutoff_date only apply when reports are required",
                );
            }
        }
        if let Some(cutoff) = self.report_cutoff {
            v.check(
                cutoff < self.period_start,
                "plan.learning_report.cutoff_date",
                "must not be before period_start",
            );
        }
        if has("completion_rule") {
            let c = p.completion_rule.unwrap_or_default();
            self.min_classes = match c.min_counted_classes {
                0 => 1,
                n => i64::from(n),
            };
            v.check(
                !(1..=100).contains(&self.min_classes),
                "plan.completion_rule.min_counted_classes",
                "1 to 100",
            );
            self.report_condition = match ReportCondition::try_from(c.report) {
                Ok(ReportCondition::Unspecified) | Err(_) => ReportCondition::Unspecified,
                Ok(other) => other,
            };
            if ReportCondition::try_from(c.report).is_err() {
                v.add("plan.completion_rule.report", "unknown condition");
            }
        }
        if self.report_condition == ReportCondition::Unspecified {
            self.report_condition = if self.report_required {
                ReportCondition::Accepted
            } else {
                ReportCondition::None
            };
        }
        v.check(
            !self.report_required && self.report_condition != ReportCondition::None,
            "plan.completion_rule.report",
            "a report condition needs learning reports to be required",
        );
        if has("attendance_statuses") {
            self.statuses = statuses::of(&p.attendance_statuses);
            statuses::check(v, &self.statuses);
        }
        if has("unmarked_status") || has("attendance_statuses") {
            self.unmarked_status = statuses::unmarked(
                &self.statuses,
                &self.unmarked_status,
                has("unmarked_status").then(|| p.unmarked_status.trim()),
            );
        }
        statuses::check_unmarked(v, &self.statuses, &self.unmarked_status);
    }
}

/// Fields a plan starts from before the request's values are applied.
pub fn blank() -> Fields {
    Fields {
        title: String::new(),
        audience: String::new(),
        documents: Vec::new(),
        period_start: Date::MIN,
        period_end: Date::MIN,
        report_required: false,
        report_due_days: 0,
        report_cutoff: None,
        min_classes: 1,
        report_condition: ReportCondition::Unspecified,
        statuses: default_statuses(),
        unmarked_status: statuses::ABSENT.into(),
    }
}

/// Every field UpdatePlan may change (and CreatePlan sets).
pub const SETTABLE: [&str; 9] = [
    "title",
    "audience",
    "documents",
    "period_start",
    "period_end",
    "learning_report",
    "completion_rule",
    "attendance_statuses",
    "unmarked_status",
];

/// Whether an UpdatePlan field is set in `p` (for a request without a
/// mask).
pub fn is_set(p: &Plan, field: &str) -> bool {
    match field {
        "title" => !p.title.is_empty(),
        "audience" => !p.audience.is_empty(),
        "documents" => !p.documents.is_empty(),
        "period_start" => p.period_start.is_some(),
        "period_end" => p.period_end.is_some(),
        "learning_report" => p.learning_report.is_some(),
        "completion_rule" => p.completion_rule.is_some(),
        "attendance_statuses" => !p.attendance_statuses.is_empty(),
        "unmarked_status" => !p.unmarked_status.is_empty(),
        _ => false,
    }
}

/// A CreatePlan request, checked.
#[derive(Debug, Clone)]
pub struct NewPlan {
    /// The parsed number-symbol.
    pub symbol: DocumentSymbol,
    /// The issue date.
    pub issued: Date,
    /// The settable fields.
    pub fields: Fields,
    /// The date of the eligible roster (default: the period's start).
    pub reference: Date,
}

/// Checks a CreatePlan request on `today`.
pub fn validate_new(req: &CreatePlanRequest, today: Date) -> Result<NewPlan> {
    let p = req.plan.clone().unwrap_or_default();
    let mut v = Violations::new();
    let parsed = symbol::parse(&p.symbol)
        .map_err(|e| v.add("plan.symbol", e))
        .ok();
    let issued = dates::required("plan.issue_date", p.issue_date.as_ref())
        .map_err(|e| v.add(e.field, e.description))
        .ok();
    if issued.is_some_and(|d| d > today) {
        v.add("plan.issue_date", "must not be in the future");
    }
    let mut fields = blank();
    fields.apply(&mut v, &p, &SETTABLE);
    let reference = dates::from_proto("plan.reference_date", p.reference_date.as_ref())
        .map_err(|e| v.add(e.field, e.description))
        .ok()
        .flatten()
        .unwrap_or(fields.period_start);
    let scope = parse_name("plan.scope", &p.scope, "organizations")
        .map_err(|e| {
            if let ApiError::InvalidArgument(mut list) = e {
                let x = list.remove(0);
                v.add(x.field, x.description);
            }
        })
        .ok();
    v.into_result()?;
    let (Some(symbol), Some(issued), Some(_)) = (parsed, issued, scope) else {
        return Err(ApiError::Internal("validated fields missing".into()).into());
    };
    Ok(NewPlan {
        symbol,
        issued,
        fields,
        reference,
    })
}

/// Refuses to change a plan's statuses once `recorded` attendance records
/// were checked against them.
pub fn check_statuses_frozen(name: &str, changed: bool, recorded: i64) -> Result<()> {
    if changed && recorded > 0 {
        return Err(Error::state(
            ErrorReason::AttendanceRecorded,
            format!(
                "{name} already has {recorded} attendance records; its statuses can no longer change"
            ),
        ));
    }
    Ok(())
}

/// Refuses a period that would leave classes (held from `first` to `last`,
/// ISO) outside it.
pub fn check_period_holds_classes(
    name: &str,
    f: &Fields,
    classes: Option<(&str, &str)>,
) -> Result<()> {
    if let Some((first, last)) = classes
        && (first < dates::to_sql(f.period_start).as_str()
            || last > dates::to_sql(f.period_end).as_str())
    {
        return Err(Error::state(
            ErrorReason::ClassesOutsidePeriod,
            format!(
                "{name} has classes from {first} to {last}; the period must still contain them"
            ),
        ));
    }
    Ok(())
}

/// A plan list's year filter as an ISO date range.
pub fn year_range(year: i32) -> (String, String) {
    super::documents::year_range(year)
}

/// Checks a ListPlans request's scope and year; returns the scope's id
/// (empty for any).
pub fn validate_list(scope: &str, year: i32) -> Result<String> {
    let mut v = Violations::new();
    let scope = if scope.is_empty() {
        String::new()
    } else {
        parse_name("scope", scope, "organizations")
            .map(str::to_string)
            .map_err(|_| v.add("scope", "must be `organizations/{id}`"))
            .unwrap_or_default()
    };
    v.check(
        year != 0 && !(1930..=9999).contains(&year),
        "year",
        "a year from 1930, or 0 for any",
    );
    v.into_result()?;
    Ok(scope)
}

#[cfg(test)]
mod tests {
    use probity_proto::{
        google::r#type::Date as ProtoDate,
        probity::study::v1::{
            AttendanceStatusDefinition, CompletionRule, LearningReportRequirement,
        },
    };
    use time::macros::date;

    use super::*;

    fn day(y: i32, m: i32, d: i32) -> Option<ProtoDate> {
        Some(ProtoDate {
            year: y,
            month: m,
            day: d,
        })
    }

    fn plan() -> Plan {
        Plan {
            symbol: "31-KH/TU".into(),
            issue_date: day(2016, 11, 30),
            title: "Học tập Nghị quyết".into(),
            documents: vec!["documents/d1".into()],
            scope: "organizations/p".into(),
            period_start: day(2016, 12, 1),
            period_end: day(2017, 2, 28),
            ..Default::default()
        }
    }

    fn violations(p: Plan) -> Vec<String> {
        let req = CreatePlanRequest {
            plan: Some(p),
            ..Default::default()
        };
        match validate_new(&req, date!(2020 - 01 - 01)) {
            Ok(_) => Vec::new(),
            Err(Error::Api(ApiError::InvalidArgument(v))) => {
                v.into_iter().map(|x| x.field).collect()
            }
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn a_plan_defaults_to_four_statuses_and_absent() {
        let req = CreatePlanRequest {
            plan: Some(plan()),
            ..Default::default()
        };
        let new = validate_new(&req, date!(2020 - 01 - 01)).unwrap();
        assert_eq!(new.fields.statuses, default_statuses());
        assert_eq!(new.fields.unmarked_status, "absent");
        assert_eq!(new.reference, date!(2016 - 12 - 01), "the period's start");
    }

    #[test]
    fn a_plan_without_reports_completes_on_attendance() {
        let req = CreatePlanRequest {
            plan: Some(plan()),
            ..Default::default()
        };
        let f = validate_new(&req, date!(2020 - 01 - 01)).unwrap().fields;
        assert_eq!(f.report_condition, ReportCondition::None);
        assert_eq!(f.min_classes, 1);
    }

    #[test]
    fn a_plan_with_reports_completes_on_an_accepted_report() {
        let mut p = plan();
        p.learning_report = Some(LearningReportRequirement {
            required: true,
            due_days: 10,
            cutoff_date: None,
        });
        let req = CreatePlanRequest {
            plan: Some(p),
            ..Default::default()
        };
        let f = validate_new(&req, date!(2020 - 01 - 01)).unwrap().fields;
        assert_eq!(f.report_condition, ReportCondition::Accepted);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut p = plan();
        p.symbol = "31/TU".into();
        p.documents.clear();
        p.period_end = day(2016, 1, 1);
        assert_eq!(
            violations(p),
            vec!["plan.symbol", "plan.documents", "plan.period_end"]
        );
    }

    #[test]
    fn a_report_condition_needs_reports() {
        let mut p = plan();
        p.completion_rule = Some(CompletionRule {
            min_counted_classes: 1,
            report: ReportCondition::Submitted as i32,
        });
        assert_eq!(violations(p), vec!["plan.completion_rule.report"]);
    }

    #[test]
    fn the_cutoff_is_not_before_the_period() {
        let mut p = plan();
        p.learning_report = Some(LearningReportRequirement {
            required: true,
            due_days: 10,
            cutoff_date: day(2016, 11, 1),
        });
        assert_eq!(violations(p), vec!["plan.learning_report.cutoff_date"]);
    }

    #[test]
    fn statuses_need_one_that_counts_and_distinct_codes() {
        let mut p = plan();
        let status = |code: &str, attended| AttendanceStatusDefinition {
            code: code.into(),
            label: code.into(),
            counts_as_attended: attended,
        };
        p.attendance_statuses = vec![status("absent", false), status("absent", false)];
        assert_eq!(
            violations(p),
            vec![
                "plan.attendance_statuses[1].code",
                "plan.attendance_statuses"
            ]
        );
    }

    #[test]
    fn the_unmarked_status_must_not_count_as_attended() {
        let mut p = plan();
        p.unmarked_status = "present".into();
        assert_eq!(violations(p), vec!["plan.unmarked_status"]);
    }

    #[test]
    fn statuses_freeze_once_attendance_is_recorded() {
        assert!(check_statuses_frozen("plans/p", true, 3).is_err());
        assert!(check_statuses_frozen("plans/p", false, 3).is_ok());
        assert!(check_statuses_frozen("plans/p", true, 0).is_ok());
    }

    #[test]
    fn the_period_must_keep_its_classes() {
        let mut f = blank();
        f.period_start = date!(2016 - 12 - 01);
        f.period_end = date!(2017 - 02 - 28);
        assert!(
            check_period_holds_classes("plans/p", &f, Some(("2016-12-10", "2017-01-05"))).is_ok()
        );
        assert!(
            check_period_holds_classes("plans/p", &f, Some(("2016-11-30", "2017-01-05"))).is_err()
        );
        assert!(check_period_holds_classes("plans/p", &f, None).is_ok());
    }
}
