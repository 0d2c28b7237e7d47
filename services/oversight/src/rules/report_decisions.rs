//! The decisions on a whistleblower report: which its status allows
//! (accept, not accept or transfer a received report; resolve an accepted
//! one), and the parts each needs.

use probity_platform::{Violations, dates, limits, resource::parse_name, symbol, text};
use probity_proto::probity::oversight::v1::{
    ErrorReason, ReportDecision, ReportOutcome, ReportStatus,
};
use time::Date;

use crate::error::{Error, Result};

/// True for a status after which nothing more is decided.
pub fn is_finished(status: ReportStatus) -> bool {
    matches!(
        status,
        ReportStatus::NotAccepted | ReportStatus::Transferred | ReportStatus::Resolved
    )
}

/// A decision, checked against the report's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    /// The status it leads to.
    pub status: ReportStatus,
    /// The day decided.
    pub date: Date,
    /// Its number-symbol, canonical.
    pub number: String,
    /// Reasons or findings.
    pub note: String,
    /// For a transfer: the agency's id.
    pub agency_id: String,
    /// For a resolution: the outcome.
    pub outcome: ReportOutcome,
}

/// What the report's clock stood at when the decision came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Where it stands.
    pub status: ReportStatus,
    /// The day received.
    pub received: Date,
    /// The last decision's day (acceptance), if any.
    pub last_decision: Option<Date>,
}

/// The decisions a status allows.
fn allowed(status: ReportStatus) -> &'static [ReportDecision] {
    match status {
        ReportStatus::Received => &[
            ReportDecision::Accept,
            ReportDecision::NotAccept,
            ReportDecision::Transfer,
        ],
        ReportStatus::Accepted => &[ReportDecision::Resolve],
        _ => &[],
    }
}

/// Checks a decision `decision` on report `name` standing as `standing`,
/// made on `date` (not before the report's last date, not after `today`).
#[allow(clippy::too_many_arguments)]
pub fn decide(
    name: &str,
    standing: Standing,
    decision: ReportDecision,
    date: Option<&probity_proto::google::r#type::Date>,
    number: &str,
    note: &str,
    transfer_to: &str,
    outcome: ReportOutcome,
    today: Date,
) -> Result<Decided> {
    let mut v = Violations::new();
    v.check(
        decision == ReportDecision::Unspecified,
        "decision",
        "required",
    );
    let earliest = standing.last_decision.unwrap_or(standing.received);
    let date = match dates::required("decision_date", date) {
        Ok(d) if d > today => {
            v.add("decision_date", "must not be in the future");
            d
        }
        Ok(d) if d < earliest => {
            v.add(
                "decision_date",
                "must not be before the report was received or its last decision",
            );
            d
        }
        Ok(d) => d,
        Err(e) => {
            v.add(e.field, e.description);
            today
        }
    };
    let number = match symbol::parse(number) {
        Ok(s) => s.canonical,
        Err(why) => {
            v.add("decision_number", why);
            String::new()
        }
    };
    let note = text::tidy(note);
    v.check(
        note.chars().count() > limits::TEXT,
        "note",
        "at most 4,000 characters",
    );
    v.check(
        note.is_empty()
            && matches!(
                decision,
                ReportDecision::NotAccept | ReportDecision::Resolve
            ),
        "note",
        "the reasons (not accepting) or the findings (resolving) are required",
    );
    let agency_id = if decision == ReportDecision::Transfer {
        match parse_name("transfer_to", transfer_to, "agencies") {
            Ok(id) => id.to_string(),
            Err(_) => {
                v.add("transfer_to", "required to transfer, `agencies/{id}`");
                String::new()
            }
        }
    } else {
        v.check(!transfer_to.is_empty(), "transfer_to", "only for TRANSFER");
        String::new()
    };
    let resolving = decision == ReportDecision::Resolve;
    v.check(
        resolving && outcome == ReportOutcome::Unspecified,
        "outcome",
        "required to resolve",
    );
    v.check(
        !resolving && outcome != ReportOutcome::Unspecified,
        "outcome",
        "only for RESOLVE",
    );
    v.into_result()?;
    if !allowed(standing.status).contains(&decision) {
        let names: Vec<&str> = allowed(standing.status)
            .iter()
            .map(|d| d.as_str_name())
            .collect();
        return Err(Error::state(
            ErrorReason::IllegalTransition,
            format!(
                "{name} is {}; the decisions it allows: {}",
                standing.status.as_str_name(),
                if names.is_empty() {
                    "none (it is finished)".to_string()
                } else {
                    names.join(", ")
                }
            ),
        ));
    }
    let status = match decision {
        ReportDecision::Accept => ReportStatus::Accepted,
        ReportDecision::NotAccept => ReportStatus::NotAccepted,
        ReportDecision::Transfer => ReportStatus::Transferred,
        _ => ReportStatus::Resolved,
    };
    Ok(Decided {
        status,
        date,
        number,
        note,
        agency_id,
        outcome,
    })
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    const TODAY: Date = date!(2024 - 04 - 10);

    fn fields(err: Error) -> Vec<String> {
        match err {
            Error::Api(probity_platform::ApiError::InvalidArgument(v)) => {
                v.into_iter().map(|v| v.field).collect()
            }
            other => panic!("{other:?}"),
        }
    }

    fn standing(status: ReportStatus) -> Standing {
        Standing {
            status,
            received: date!(2024 - 04 - 01),
            last_decision: None,
        }
    }

    #[test]
    fn a_received_report_is_accepted_and_an_accepted_one_resolved() {
        let day = Some(dates::to_proto(date!(2024 - 04 - 03)));
        let accepted = decide(
            "reports/1",
            standing(ReportStatus::Received),
            ReportDecision::Accept,
            day.as_ref(),
            "12/QĐ-UBKT",
            "",
            "",
            ReportOutcome::Unspecified,
            TODAY,
        )
        .unwrap();
        assert_eq!(accepted.status, ReportStatus::Accepted);
        let err = decide(
            "reports/1",
            standing(ReportStatus::Received),
            ReportDecision::Resolve,
            day.as_ref(),
            "13/QĐ-UBKT",
            "Tố cáo đúng một phần",
            "",
            ReportOutcome::PartlyFounded,
            TODAY,
        )
        .unwrap_err();
        assert!(err.to_string().contains("REPORT_DECISION_ACCEPT"), "{err}");
        let finished = decide(
            "reports/1",
            standing(ReportStatus::Resolved),
            ReportDecision::Resolve,
            day.as_ref(),
            "13/QĐ-UBKT",
            "x",
            "",
            ReportOutcome::Founded,
            TODAY,
        )
        .unwrap_err();
        assert!(finished.to_string().contains("finished"), "{finished}");
    }

    #[test]
    fn a_decision_needs_its_parts() {
        let err = decide(
            "reports/1",
            standing(ReportStatus::Received),
            ReportDecision::NotAccept,
            Some(&dates::to_proto(date!(2024 - 03 - 01))),
            "",
            "",
            "agencies/x",
            ReportOutcome::Founded,
            TODAY,
        )
        .unwrap_err();
        assert_eq!(
            fields(err),
            [
                "decision_date",
                "decision_number",
                "note",
                "transfer_to",
                "outcome"
            ]
        );
    }
}
