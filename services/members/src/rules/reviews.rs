//! The rules of the annual review and classification: the order of its
//! steps, the grade cap for a member disciplined in the year, the quota of
//! "excellent" against "good", and what a rule version must say.

use probity_platform::{ApiError, Violations, dates};
use probity_proto::probity::members::v1::{
    ErrorReason, Grade, ReviewRule, ReviewRuleKind, ReviewStage, SubmitSelfAssessmentRequest,
};
use time::Date;

use super::years::validate_year;
use crate::error::{Error, Result};

/// Longest comment of a step.
pub const MAX_COMMENT: usize = probity_platform::limits::TEXT;

/// A grade in words, for messages.
pub fn grade_words(g: Grade) -> &'static str {
    match g {
        Grade::Unspecified => "no grade",
        Grade::Excellent => "excellent",
        Grade::Good => "good",
        Grade::Complete => "complete",
        Grade::Incomplete => "incomplete",
    }
}

/// A grade from a request; unset or unknown is a violation of `field`.
pub fn grade_of(field: &str, value: i32) -> Result<Grade, ApiError> {
    match Grade::try_from(value) {
        Ok(Grade::Unspecified) | Err(_) => Err(ApiError::invalid(
            field,
            "required: excellent, good, complete or incomplete",
        )),
        Ok(g) => Ok(g),
    }
}

/// `(member id, year)` from `members/{m}/reviews/{year}`.
pub fn parse_review_name(name: &str, today: Date) -> Result<(String, i32), ApiError> {
    let parts: Vec<&str> = name.split('/').collect();
    match parts.as_slice() {
        ["members", m, "reviews", y] if probity_platform::resource::is_id(m) => {
            let year: i32 = y
                .parse()
                .map_err(|_| ApiError::invalid("name", "the year must be a number"))?;
            validate_year("name", year, today)?;
            Ok((m.to_string(), year))
        }
        [] | [""] => Err(ApiError::invalid("name", "required")),
        _ => Err(ApiError::invalid(
            "name",
            "must be members/{member}/reviews/{year}",
        )),
    }
}

/// Checks a SubmitSelfAssessment request; returns the grade and the tidied
/// comment.
pub fn validate_self_assessment(
    req: &SubmitSelfAssessmentRequest,
    today: Date,
) -> Result<(Grade, String)> {
    let mut v = Violations::new();
    if let Err(ApiError::InvalidArgument(x)) = validate_year("year", req.year, today) {
        x.into_iter().for_each(|x| v.add(x.field, x.description));
    }
    let grade = grade_of("grade", req.grade)
        .map_err(|e| {
            if let ApiError::InvalidArgument(x) = e {
                x.into_iter().for_each(|x| v.add(x.field, x.description));
            }
        })
        .ok();
    let comment = probity_platform::text::tidy(&req.comment);
    v.check(
        comment.is_empty() || comment.chars().count() > MAX_COMMENT,
        "comment",
        "required, at most 4000 characters",
    );
    v.check(req.member.is_empty(), "member", "required");
    v.into_result()?;
    Ok((grade.unwrap_or(Grade::Unspecified), comment))
}

/// Why a review at `stage` (`None`: not opened) cannot take the step to
/// `wanted`, if it cannot.
pub fn stage_refusal(stage: Option<ReviewStage>, wanted: ReviewStage) -> Option<Error> {
    let missing = match (wanted, stage) {
        (ReviewStage::Proposed, None) | (ReviewStage::Decided, None) => {
            "the member's self-assessment"
        }
        (ReviewStage::Decided, Some(ReviewStage::SelfAssessed)) => "the cell's proposal",
        (_, Some(ReviewStage::Decided)) => {
            return Some(Error::refused(
                ErrorReason::ReviewDecided,
                "the review is decided; decisions are final",
            ));
        }
        (ReviewStage::Proposed, Some(ReviewStage::Proposed)) => {
            return Some(Error::refused(
                ErrorReason::AlreadyProposed,
                "the cell has already proposed a grade",
            ));
        }
        _ => return None,
    };
    Some(Error::refused(
        ErrorReason::ReviewStepMissing,
        format!("{missing} must come first"),
    ))
}

/// A decision is dated from 1 December of the year up to `today`; returns
/// it as stored.
pub fn check_decision_date(
    date: Option<&probity_proto::google::r#type::Date>,
    year: i32,
    today: Date,
) -> Result<String> {
    let date = dates::required("decision_date", date)?;
    let earliest = format!("{year:04}-12-01");
    if dates::to_sql(date) < earliest || date > today {
        return Err(ApiError::invalid(
            "decision_date",
            format!("must be between {earliest} and today"),
        )
        .into());
    }
    Ok(dates::to_sql(date))
}

/// Refuses a grade better than the cap of the rule in force for a member
/// disciplined in the year (`discipline`: the first decision's summary).
pub fn check_discipline_cap(
    member: &str,
    year: i32,
    grade: Grade,
    discipline: Option<&str>,
    rule: Option<&ReviewRule>,
) -> Result<()> {
    let (Some(summary), Some(rule)) = (discipline, rule) else {
        return Ok(());
    };
    if (grade as i32) < rule.cap {
        let cap = Grade::try_from(rule.cap).unwrap_or(Grade::Complete);
        return Err(Error::refused(
            ErrorReason::DisciplinedGradeCap,
            format!(
                "{member} was disciplined in {year} ({summary}); under the rule in force ({}) the grade may be at most {}",
                rule.citation,
                grade_words(cap)
            ),
        ));
    }
    Ok(())
}

/// Refuses one more "excellent" in `organization` when, with it, the
/// excellent grades would exceed the rule's share of the good ones.
/// `excellent` and `good` count the organisation's other decided reviews
/// of the year.
pub fn check_excellent_quota(
    organization: &str,
    year: i32,
    excellent: i64,
    good: i64,
    rule: &ReviewRule,
) -> Result<()> {
    let excellent = excellent + 1;
    if excellent * 100 > i64::from(rule.percent) * good {
        return Err(Error::refused(
            ErrorReason::ExcellentQuotaExceeded,
            format!(
                "{organization} would have {excellent} excellent against {good} good in {year}; the rule in force ({}) \
                 allows excellent up to {}% of good, i.e. at most {}",
                rule.citation,
                rule.percent,
                i64::from(rule.percent) * good / 100
            ),
        ));
    }
    Ok(())
}

/// A new rule version, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRule {
    /// Which rule.
    pub kind: ReviewRuleKind,
    /// The quota's share (quota rules), else 0.
    pub percent: i64,
    /// The cap (cap rules), else 0.
    pub cap: i64,
    /// From when it applies.
    pub valid_from: Date,
    /// The document that sets it.
    pub citation: String,
}

/// Longest citation of a rule's source, in characters.
pub const MAX_CITATION: usize = probity_platform::limits::TITLE;

/// Checks a new version of a review rule.
pub fn validate_rule(rule: &ReviewRule) -> Result<NewRule> {
    let mut v = Violations::new();
    let kind = ReviewRuleKind::try_from(rule.kind).unwrap_or(ReviewRuleKind::Unspecified);
    match kind {
        ReviewRuleKind::Unspecified => v.add("rule.kind", "required"),
        ReviewRuleKind::ExcellentQuota => v.check(
            !(0..=100).contains(&rule.percent),
            "rule.percent",
            "0 to 100",
        ),
        ReviewRuleKind::DisciplinedCap => v.check(
            grade_of("rule.cap", rule.cap).is_err(),
            "rule.cap",
            "required: a grade",
        ),
    }
    let from = dates::required("rule.valid_from", rule.valid_from.as_ref())
        .map_err(|e| v.add(e.field, e.description))
        .ok();
    v.check(
        rule.citation.trim().is_empty() || rule.citation.chars().count() > MAX_CITATION,
        "rule.citation",
        "required, at most 1000 characters",
    );
    v.into_result()?;
    Ok(NewRule {
        kind,
        percent: i64::from(if kind == ReviewRuleKind::ExcellentQuota {
            rule.percent
        } else {
            0
        }),
        cap: i64::from(if kind == ReviewRuleKind::DisciplinedCap {
            rule.cap
        } else {
            0
        }),
        valid_from: from.unwrap_or(Date::MIN),
        citation: rule.citation.trim().to_string(),
    })
}

/// Separation of duties: whoever proposed the grade, or wrote the
/// self-assessment, may not decide it. `decider` and the authors are token
/// subjects.
pub fn check_separate_decider(
    decider: &str,
    proposal_author: Option<&str>,
    self_author: Option<&str>,
) -> Result<(), Error> {
    if proposal_author == Some(decider) || self_author == Some(decider) {
        return Err(Error::refused(
            ErrorReason::SamePersonDecides,
            format!("{decider} took an earlier step of this review and may not decide it"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn quota(percent: i32) -> ReviewRule {
        ReviewRule {
            kind: ReviewRuleKind::ExcellentQuota as i32,
            percent,
            citation: "Hướng dẫn 27-HD/BTCTW".into(),
            ..Default::default()
        }
    }

    fn cap(grade: Grade) -> ReviewRule {
        ReviewRule {
            kind: ReviewRuleKind::DisciplinedCap as i32,
            cap: grade as i32,
            citation: "Quy định 132-QĐ/TW".into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_steps_come_in_order() {
        assert!(stage_refusal(None, ReviewStage::Proposed).is_some());
        assert!(stage_refusal(Some(ReviewStage::SelfAssessed), ReviewStage::Proposed).is_none());
        assert!(stage_refusal(Some(ReviewStage::SelfAssessed), ReviewStage::Decided).is_some());
        assert!(stage_refusal(Some(ReviewStage::Proposed), ReviewStage::Decided).is_none());
    }

    #[test]
    fn a_decision_is_final() {
        let e = stage_refusal(Some(ReviewStage::Decided), ReviewStage::Decided).unwrap();
        assert_eq!(
            ApiError::from(e).reason(),
            ErrorReason::ReviewDecided.as_str_name()
        );
    }

    #[test]
    fn the_cell_proposes_once() {
        let e = stage_refusal(Some(ReviewStage::Proposed), ReviewStage::Proposed).unwrap();
        assert_eq!(
            ApiError::from(e).reason(),
            ErrorReason::AlreadyProposed.as_str_name()
        );
    }

    #[test]
    fn excellent_may_be_at_most_the_share_of_good() {
        // 20 % of 10 good allows 2 excellent: the second is accepted, the
        // third refused.
        assert!(check_excellent_quota("o", 2020, 1, 10, &quota(20)).is_ok());
        let e = check_excellent_quota("o", 2020, 2, 10, &quota(20)).unwrap_err();
        assert!(e.to_string().contains("at most 2"), "{e}");
    }

    #[test]
    fn without_good_grades_no_excellent_is_allowed() {
        assert!(check_excellent_quota("o", 2020, 0, 0, &quota(20)).is_err());
    }

    #[test]
    fn a_disciplined_member_is_capped() {
        let rule = cap(Grade::Complete);
        assert!(
            check_discipline_cap("m", 2020, Grade::Good, Some("Khiển trách"), Some(&rule)).is_err()
        );
        assert!(
            check_discipline_cap("m", 2020, Grade::Complete, Some("Khiển trách"), Some(&rule))
                .is_ok()
        );
    }

    #[test]
    fn an_undisciplined_member_is_not_capped() {
        let rule = cap(Grade::Complete);
        assert!(check_discipline_cap("m", 2020, Grade::Excellent, None, Some(&rule)).is_ok());
    }

    #[test]
    fn a_decision_falls_between_december_and_today() {
        let day = |m, d| {
            Some(probity_proto::google::r#type::Date {
                year: 2020,
                month: m,
                day: d,
            })
        };
        let today = date!(2021 - 01 - 10);
        assert!(check_decision_date(day(11, 30).as_ref(), 2020, today).is_err());
        assert_eq!(
            check_decision_date(day(12, 1).as_ref(), 2020, today).unwrap(),
            "2020-12-01"
        );
        assert!(check_decision_date(day(12, 1).as_ref(), 2020, date!(2020 - 11 - 30)).is_err());
    }

    #[test]
    fn review_names_hold_the_member_and_the_year() {
        let today = date!(2021 - 01 - 10);
        assert_eq!(
            parse_review_name("members/m1/reviews/2020", today).unwrap(),
            ("m1".to_string(), 2020)
        );
        assert!(parse_review_name("members/m1/reviews/x", today).is_err());
        assert!(parse_review_name("members/m1/reviews/2016", today).is_err());
    }

    #[test]
    fn a_rule_keeps_only_its_own_value() {
        let mut rule = quota(20);
        rule.cap = 3;
        rule.valid_from = Some(probity_proto::google::r#type::Date {
            year: 2020,
            month: 1,
            day: 1,
        });
        let new = validate_rule(&rule).unwrap();
        assert_eq!((new.percent, new.cap), (20, 0));
        rule.percent = 120;
        assert!(validate_rule(&rule).is_err());
    }

    #[test]
    fn the_proposer_may_not_decide() {
        let refused = check_separate_decider("clerk", Some("clerk"), Some("member")).unwrap_err();
        assert!(format!("{refused}").contains("may not decide"));
    }

    #[test]
    fn the_self_assessor_may_not_decide() {
        assert!(check_separate_decider("member", Some("clerk"), Some("member")).is_err());
    }

    #[test]
    fn someone_else_decides() {
        assert!(check_separate_decider("committee", Some("clerk"), Some("member")).is_ok());
    }

    #[test]
    fn a_rule_citation_has_a_length_limit() {
        let rule = ReviewRule {
            kind: ReviewRuleKind::ExcellentQuota as i32,
            percent: 20,
            valid_from: probity_proto::google::r#type::Date {
                year: 2026,
                month: 1,
                day: 1,
            }
            .into(),
            citation: "x".repeat(MAX_CITATION + 1),
            ..Default::default()
        };
        assert!(validate_rule(&rule).is_err());
    }
}
