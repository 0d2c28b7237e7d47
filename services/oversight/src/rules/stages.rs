//! The stages of a case and the legal moves between them: received →
//! verifying → inspecting (an incident) or investigating (a criminal case)
//! → prosecuting → on trial → enforcing → closed; dismissed from any stage
//! before trial; back from prosecution to investigation (further
//! investigation) and from trial to prosecution (returned file).
//! Suspension and resumption are their own methods, not moves.

use probity_platform::{Violations, limits, text};
use probity_proto::probity::oversight::v1::{CaseKind, CaseStage, ErrorReason};

use crate::error::{Error, Result};

use CaseStage::{
    Closed, Dismissed, Enforcing, Inspecting, Investigating, OnTrial, Prosecuting, Received,
    Suspended, Verifying,
};

/// The stages a case in `from` may move to, in the order of the process.
pub fn allowed(from: CaseStage) -> &'static [CaseStage] {
    match from {
        Received => &[Verifying, Inspecting, Investigating, Dismissed],
        Verifying => &[Inspecting, Investigating, Closed, Dismissed],
        Inspecting => &[Investigating, Closed, Dismissed],
        Investigating => &[Prosecuting, Dismissed],
        Prosecuting => &[Investigating, OnTrial, Dismissed],
        OnTrial => &[Prosecuting, Enforcing, Closed],
        Enforcing => &[Closed],
        _ => &[],
    }
}

/// True for a case nothing more can happen to.
pub fn is_finished(stage: CaseStage) -> bool {
    matches!(stage, Closed | Dismissed)
}

/// The stage's name for people: `on trial`.
pub fn label(stage: CaseStage) -> String {
    let prefix = CaseStage::Unspecified
        .as_str_name()
        .trim_end_matches("UNSPECIFIED");
    stage
        .as_str_name()
        .trim_start_matches(prefix)
        .to_ascii_lowercase()
        .replace('_', " ")
}

/// Refuses what no case in `stage` may undergo: finished (CASE_FINISHED)
/// or suspended (CASE_SUSPENDED).
pub fn check_working(name: &str, stage: CaseStage) -> Result<()> {
    if is_finished(stage) {
        return Err(Error::state(
            ErrorReason::CaseFinished,
            format!("{name} is {}; nothing more can change in it", label(stage)),
        ));
    }
    if stage == Suspended {
        return Err(Error::state(
            ErrorReason::CaseSuspended,
            format!("{name} is suspended; resume it first (ResumeCase)"),
        ));
    }
    Ok(())
}

/// Checks a move of case `name` from `from` to `to`, and returns the
/// case's kind after it: an incident becomes a criminal case when
/// proceedings open (INVESTIGATING).
pub fn check_move(name: &str, from: CaseStage, to: CaseStage, kind: CaseKind) -> Result<CaseKind> {
    check_working(name, from)?;
    let allowed = allowed(from);
    if !allowed.contains(&to) {
        let names: Vec<&str> = allowed.iter().map(|s| s.as_str_name()).collect();
        return Err(Error::state(
            ErrorReason::IllegalTransition,
            format!(
                "{name} cannot move from {} to {}; from {} it may move to: {}",
                from.as_str_name(),
                to.as_str_name(),
                from.as_str_name(),
                names.join(", ")
            ),
        ));
    }
    Ok(if to == Investigating {
        CaseKind::Criminal
    } else {
        kind
    })
}

/// The why of a change: a reason, and the decision's number-symbol.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decision {
    /// Why, tidied.
    pub reason: String,
    /// The decision's number-symbol, tidied (may be empty unless required).
    pub number: String,
}

impl Decision {
    /// Checks a reason (required) and a decision number (required when
    /// `number_required`), in request fields `reason` and
    /// `decision_number`.
    pub fn check(v: &mut Violations, reason: &str, number: &str, number_required: bool) -> Self {
        let reason = text::tidy(reason);
        v.check(
            reason.is_empty() || reason.chars().count() > limits::REASON,
            "reason",
            "required, at most 2,000 characters",
        );
        let number = text::tidy(number);
        v.check(
            (number_required && number.is_empty()) || number.chars().count() > limits::FIELD,
            "decision_number",
            if number_required {
                "required, at most 200 characters"
            } else {
                "at most 200 characters"
            },
        );
        Self { reason, number }
    }
}

#[cfg(test)]
mod tests {
    use probity_platform::ApiError;

    use super::*;

    #[test]
    fn an_extension_needs_its_decision_number_and_every_change_a_reason() {
        let mut v = Violations::new();
        Decision::check(&mut v, "  ", "", true);
        let Err(ApiError::InvalidArgument(found)) = v.into_result() else {
            panic!("refused")
        };
        let fields: Vec<&str> = found.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["reason", "decision_number"]);
    }

    #[test]
    fn a_received_case_moves_to_verification() {
        assert_eq!(
            check_move("cases/a", Received, Verifying, CaseKind::Incident).unwrap(),
            CaseKind::Incident
        );
    }

    #[test]
    fn an_illegal_move_is_refused_naming_the_allowed_ones() {
        let err = check_move("cases/a", Received, OnTrial, CaseKind::Incident).unwrap_err();
        let api = ApiError::from(err);
        assert_eq!(api.reason(), "ILLEGAL_TRANSITION");
        let text = api.to_string();
        assert!(text.contains("CASE_STAGE_VERIFYING"), "{text}");
        assert!(text.contains("CASE_STAGE_DISMISSED"), "{text}");
    }

    #[test]
    fn opening_an_investigation_makes_an_incident_a_criminal_case() {
        assert_eq!(
            check_move("cases/a", Inspecting, Investigating, CaseKind::Incident).unwrap(),
            CaseKind::Criminal
        );
    }

    #[test]
    fn a_file_returned_for_further_investigation_goes_back() {
        assert!(check_move("cases/a", Prosecuting, Investigating, CaseKind::Criminal).is_ok());
        assert!(check_move("cases/a", OnTrial, Prosecuting, CaseKind::Criminal).is_ok());
    }

    #[test]
    fn a_finished_case_cannot_move() {
        let api = ApiError::from(
            check_move("cases/a", Closed, Verifying, CaseKind::Incident).unwrap_err(),
        );
        assert_eq!(api.reason(), "CASE_FINISHED");
    }

    #[test]
    fn a_suspended_case_must_be_resumed_before_it_moves() {
        let api = ApiError::from(
            check_move("cases/a", Suspended, Verifying, CaseKind::Incident).unwrap_err(),
        );
        assert_eq!(api.reason(), "CASE_SUSPENDED");
    }

    #[test]
    fn no_stage_moves_to_suspended_or_to_itself() {
        for from in [
            Received,
            Verifying,
            Inspecting,
            Investigating,
            Prosecuting,
            OnTrial,
            Enforcing,
        ] {
            assert!(!allowed(from).contains(&Suspended), "{from:?}");
            assert!(!allowed(from).contains(&from), "{from:?}");
        }
    }

    #[test]
    fn every_working_stage_can_reach_an_end() {
        for from in [
            Received,
            Verifying,
            Inspecting,
            Investigating,
            Prosecuting,
            OnTrial,
            Enforcing,
        ] {
            let mut at = vec![from];
            let mut seen = std::collections::HashSet::new();
            while let Some(s) = at.pop() {
                if seen.insert(s) {
                    at.extend(allowed(s));
                }
            }
            assert!(seen.iter().any(|s| is_finished(*s)), "{from:?}");
        }
    }
}
