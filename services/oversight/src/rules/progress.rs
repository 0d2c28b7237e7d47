//! The rules of an agency's progress report on a case: one of the case's
//! handling agencies, a day between the case's receipt and today, a
//! summary, and the amount recovered since its previous report.

use probity_platform::{Violations, dates, limits, resource::parse_name, text};
use probity_proto::probity::oversight::v1::ProgressReport;
use time::Date;

use crate::error::Result;

/// A report, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReport {
    /// The agency's id.
    pub agency_id: String,
    /// The day of the report.
    pub day: Date,
    /// The summary, tidied.
    pub summary: String,
    /// Recovered since the previous report, VND.
    pub recovered_vnd: i64,
}

/// Checks a report on a case received on `received`, filed on `today`;
/// `handling` holds the case's handling agencies' ids.
pub fn validate(
    r: &ProgressReport,
    received: Date,
    today: Date,
    handling: &[String],
) -> Result<NewReport> {
    let mut v = Violations::new();
    let agency_id = match parse_name("report.agency", &r.agency, "agencies") {
        Ok(id) if handling.iter().any(|h| h == id) => id.to_string(),
        Ok(_) => {
            v.add(
                "report.agency",
                "not one of the case's handling agencies (add it with MoveCase's add_agencies)",
            );
            String::new()
        }
        Err(_) => {
            v.add("report.agency", "required, `agencies/{id}`");
            String::new()
        }
    };
    let day = match dates::required("report.report_date", r.report_date.as_ref()) {
        Ok(d) if d > today => {
            v.add("report.report_date", "must not be in the future");
            d
        }
        Ok(d) if d < received => {
            v.add(
                "report.report_date",
                format!("must not be before the case was received ({received})"),
            );
            d
        }
        Ok(d) => d,
        Err(e) => {
            v.add(e.field, e.description);
            today
        }
    };
    let summary = text::tidy(&r.summary);
    v.check(
        summary.is_empty() || summary.chars().count() > limits::FINDINGS,
        "report.summary",
        "required, at most 20,000 characters",
    );
    v.check(
        r.recovered_vnd < 0,
        "report.recovered_vnd",
        "must not be negative",
    );
    v.into_result()?;
    Ok(NewReport {
        agency_id,
        day,
        summary,
        recovered_vnd: r.recovered_vnd,
    })
}

#[cfg(test)]
mod tests {
    use probity_platform::ApiError;
    use time::macros::date;

    use super::*;

    fn report() -> ProgressReport {
        ProgressReport {
            agency: "agencies/a".into(),
            report_date: Some(dates::to_proto(date!(2024 - 04 - 01))),
            summary: "Đã thu hồi một phần".into(),
            recovered_vnd: 1_500_000_000,
            ..Default::default()
        }
    }

    fn check(r: &ProgressReport) -> Result<NewReport> {
        validate(
            r,
            date!(2024 - 03 - 01),
            date!(2024 - 04 - 10),
            &["a".to_string()],
        )
    }

    #[test]
    fn a_handling_agencys_report_passes() {
        assert_eq!(check(&report()).unwrap().recovered_vnd, 1_500_000_000);
    }

    #[test]
    fn an_agency_not_handling_the_case_may_not_report() {
        let mut r = report();
        r.agency = "agencies/b".into();
        let Err(e) = check(&r) else { panic!("refused") };
        let ApiError::InvalidArgument(found) = ApiError::from(e) else {
            panic!("violations")
        };
        assert_eq!(found[0].field, "report.agency");
    }

    #[test]
    fn a_report_before_the_case_or_a_negative_amount_is_refused() {
        let mut r = report();
        r.report_date = Some(dates::to_proto(date!(2024 - 02 - 01)));
        r.recovered_vnd = -5;
        let Err(e) = check(&r) else { panic!("refused") };
        let ApiError::InvalidArgument(found) = ApiError::from(e) else {
            panic!("violations")
        };
        assert_eq!(found.len(), 2);
    }
}
