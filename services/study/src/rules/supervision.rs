//! The rules of supervision visits: an inspecting organisation visits a
//! unit of the plan's scope, on a day between the plan's issue and today,
//! and records findings and a rating.

use probity_platform::{ApiError, Violations, dates, resource::parse_name, text};
use probity_proto::probity::study::v1::{SupervisionRating, SupervisionVisit};
use time::Date;

use crate::error::Result;

/// Longest findings or recommendations.
pub const MAX_TEXT: usize = probity_platform::limits::FINDINGS;

/// A visit, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVisit {
    /// The findings, tidied.
    pub findings: String,
    /// The recommendations, tidied.
    pub recommendations: String,
    /// The rating.
    pub rating: SupervisionRating,
    /// The day of the visit.
    pub day: Date,
}

/// Checks a visit of a plan issued on `issued`, on `today`.
pub fn validate(s: &SupervisionVisit, issued: Date, today: Date) -> Result<NewVisit> {
    let mut v = Violations::new();
    for (field, value) in [
        ("visit.inspecting_organization", &s.inspecting_organization),
        ("visit.inspected_organization", &s.inspected_organization),
    ] {
        if parse_name(field, value, "organizations").is_err() {
            v.add(field, "required, `organizations/{id}`");
        }
    }
    let findings = text::tidy(&s.findings);
    v.check(
        findings.is_empty() || findings.chars().count() > MAX_TEXT,
        "visit.findings",
        "required, at most 20,000 characters",
    );
    let recommendations = text::tidy(&s.recommendations);
    v.check(
        recommendations.chars().count() > MAX_TEXT,
        "visit.recommendations",
        "at most 20,000 characters",
    );
    let rating = SupervisionRating::try_from(s.rating).unwrap_or(SupervisionRating::Unspecified);
    v.check(
        rating == SupervisionRating::Unspecified,
        "visit.rating",
        "required",
    );
    let day = match dates::required("visit.visit_date", s.visit_date.as_ref()) {
        Ok(d) if d > today => {
            v.add("visit.visit_date", "must not be in the future");
            d
        }
        Ok(d) if d < issued => {
            v.add(
                "visit.visit_date",
                format!("must not be before the plan was issued ({issued})"),
            );
            d
        }
        Ok(d) => d,
        Err(e) => {
            v.add(e.field, e.description);
            Date::MIN
        }
    };
    v.into_result()?;
    Ok(NewVisit {
        findings,
        recommendations,
        rating,
        day,
    })
}

/// Refuses a visit to a unit outside the plan's scope.
pub fn check_inspected(name: &str, lineage: &[String], scope_id: &str, scope: &str) -> Result<()> {
    if !lineage.iter().any(|id| id == scope_id) {
        return Err(ApiError::invalid(
            "visit.inspected_organization",
            format!("{name} is outside the plan's scope {scope}"),
        )
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn visit() -> SupervisionVisit {
        SupervisionVisit {
            plan: "plans/p".into(),
            inspecting_organization: "organizations/p".into(),
            inspected_organization: "organizations/c1".into(),
            visit_date: Some(dates::to_proto(date!(2017 - 01 - 10))),
            findings: "Tổ chức học tập nghiêm túc".into(),
            rating: SupervisionRating::Good as i32,
            ..Default::default()
        }
    }

    #[test]
    fn a_visit_falls_between_the_plans_issue_and_today() {
        let issued = date!(2016 - 11 - 30);
        assert!(validate(&visit(), issued, date!(2017 - 01 - 10)).is_ok());
        assert!(validate(&visit(), issued, date!(2017 - 01 - 09)).is_err());
        assert!(validate(&visit(), date!(2017 - 01 - 11), date!(2017 - 02 - 01)).is_err());
    }

    #[test]
    fn a_visit_has_findings_and_a_rating() {
        let mut v = visit();
        v.findings.clear();
        v.rating = 0;
        let Err(crate::error::Error::Api(ApiError::InvalidArgument(list))) =
            validate(&v, date!(2016 - 11 - 30), date!(2017 - 02 - 01))
        else {
            panic!("violations")
        };
        let fields: Vec<_> = list.into_iter().map(|x| x.field).collect();
        assert_eq!(fields, vec!["visit.findings", "visit.rating"]);
    }

    #[test]
    fn the_inspected_unit_lies_in_the_plans_scope() {
        let lineage = vec!["p".to_string(), "c1".to_string()];
        assert!(check_inspected("organizations/c1", &lineage, "p", "organizations/p").is_ok());
        assert!(check_inspected("organizations/c1", &lineage, "q", "organizations/q").is_err());
    }
}
