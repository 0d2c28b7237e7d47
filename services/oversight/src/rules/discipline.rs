//! The rules of disciplinary decisions: the fields checked, what each form
//! changes in members, the request id a delivery to members carries (the
//! same for every retry, so members answers a retry from its first
//! result), and what members' answer means for the decision.

use probity_platform::{Violations, dates, limits, resource::parse_name, text};
use probity_proto::probity::oversight::v1::{DisciplinaryDecision, DisciplineForm, MembersEffect};
use time::Date;

use crate::error::Result;

/// The kind of the jobs that apply a decision in members.
pub const APPLY_JOB: &str = "discipline.apply";

/// A decision, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDecision {
    /// The member's id.
    pub member_id: String,
    /// The form.
    pub form: DisciplineForm,
    /// The deciding organisation's id.
    pub deciding_org_id: String,
    /// The decision's number-symbol.
    pub decision_number: String,
    /// The decision's date.
    pub decision_date: Date,
    /// The day it takes effect.
    pub effective_date: Date,
    /// The case's id; empty when none.
    pub case_id: String,
    /// Why.
    pub reason: String,
    /// The inspection's id; empty when none.
    pub inspection_id: String,
}

/// Checks a decision recorded on `today`.
pub fn validate(d: &DisciplinaryDecision, today: Date) -> Result<NewDecision> {
    let mut v = Violations::new();
    let member_id = match parse_name("decision.member", &d.member, "members") {
        Ok(id) => id.to_string(),
        Err(_) => {
            v.add("decision.member", "required, `members/{id}`");
            String::new()
        }
    };
    let form = DisciplineForm::try_from(d.form).unwrap_or_default();
    v.check(
        form == DisciplineForm::Unspecified,
        "decision.form",
        "required",
    );
    let deciding_org_id = match parse_name(
        "decision.deciding_organization",
        &d.deciding_organization,
        "organizations",
    ) {
        Ok(id) => id.to_string(),
        Err(_) => {
            v.add(
                "decision.deciding_organization",
                "required, `organizations/{id}`",
            );
            String::new()
        }
    };
    let decision_number = text::tidy(&d.decision_number);
    v.check(
        decision_number.is_empty() || decision_number.chars().count() > limits::FIELD,
        "decision.decision_number",
        "required, at most 200 characters",
    );
    let decision_date = match dates::required("decision.decision_date", d.decision_date.as_ref()) {
        Ok(day) if day > today => {
            v.add("decision.decision_date", "must not be in the future");
            day
        }
        Ok(day) => day,
        Err(e) => {
            v.add(e.field, e.description);
            today
        }
    };
    let effective_date = match dates::required("decision.effective_date", d.effective_date.as_ref())
    {
        Ok(day) if day < decision_date => {
            v.add(
                "decision.effective_date",
                "must not be before the decision's date",
            );
            day
        }
        Ok(day) => day,
        Err(e) => {
            v.add(e.field, e.description);
            today
        }
    };
    let case_id = if d.r#case.is_empty() {
        String::new()
    } else {
        match parse_name("decision.case", &d.r#case, "cases") {
            Ok(id) => id.to_string(),
            Err(_) => {
                v.add("decision.case", "must be `cases/{id}`");
                String::new()
            }
        }
    };
    let reason = text::tidy(&d.reason);
    v.check(
        reason.is_empty() || reason.chars().count() > limits::REASON,
        "decision.reason",
        "required, at most 2,000 characters",
    );
    let inspection_id = if d.inspection.is_empty() {
        String::new()
    } else {
        match parse_name("decision.inspection", &d.inspection, "inspections") {
            Ok(id) => id.to_string(),
            Err(_) => {
                v.add("decision.inspection", "must be `inspections/{id}`");
                String::new()
            }
        }
    };
    v.into_result()?;
    Ok(NewDecision {
        member_id,
        form,
        deciding_org_id,
        decision_number,
        decision_date,
        effective_date,
        case_id,
        reason,
        inspection_id,
    })
}

/// What a decision of `form` has to do in members, at first.
pub fn initial_effect(form: DisciplineForm) -> MembersEffect {
    match form {
        DisciplineForm::RemovalFromPost | DisciplineForm::Expulsion => MembersEffect::Pending,
        _ => MembersEffect::None,
    }
}

/// The request id of decision `id`'s delivery to members: every retry the
/// same, so members answers a retry from the first call's result.
pub fn request_id(id: &str) -> String {
    format!("discipline-{id}")
}

/// The note members records with the event.
pub fn note(decision_number: &str, form: DisciplineForm) -> String {
    let what = match form {
        DisciplineForm::Expulsion => "khai trừ",
        DisciplineForm::RemovalFromPost => "cách chức",
        DisciplineForm::Warning => "cảnh cáo",
        _ => "khiển trách",
    };
    format!("Quyết định {decision_number}: {what}")
}

#[cfg(test)]
mod tests {
    use probity_platform::ApiError;
    use time::macros::date;

    use super::*;

    fn decision() -> DisciplinaryDecision {
        DisciplinaryDecision {
            member: "members/m1".into(),
            form: DisciplineForm::Warning as i32,
            deciding_organization: "organizations/tu".into(),
            decision_number: "45-QĐ/UBKTTU".into(),
            decision_date: Some(dates::to_proto(date!(2024 - 04 - 01))),
            effective_date: Some(dates::to_proto(date!(2024 - 04 - 01))),
            reason: "Vi phạm quy định".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_decision_passes() {
        let d = validate(&decision(), date!(2024 - 04 - 10)).unwrap();
        assert_eq!(d.member_id, "m1");
        assert!(d.case_id.is_empty());
    }

    #[test]
    fn a_decision_taking_effect_before_it_was_made_is_refused() {
        let mut d = decision();
        d.effective_date = Some(dates::to_proto(date!(2024 - 03 - 01)));
        let Err(e) = validate(&d, date!(2024 - 04 - 10)) else {
            panic!("refused")
        };
        let ApiError::InvalidArgument(v) = ApiError::from(e) else {
            panic!("violations")
        };
        assert_eq!(v[0].field, "decision.effective_date");
    }

    #[test]
    fn only_expulsion_and_removal_from_post_change_members() {
        assert_eq!(
            initial_effect(DisciplineForm::Expulsion),
            MembersEffect::Pending
        );
        assert_eq!(
            initial_effect(DisciplineForm::RemovalFromPost),
            MembersEffect::Pending
        );
        assert_eq!(initial_effect(DisciplineForm::Warning), MembersEffect::None);
        assert_eq!(
            initial_effect(DisciplineForm::Reprimand),
            MembersEffect::None
        );
    }

    #[test]
    fn a_delivery_carries_the_same_request_id_on_every_retry() {
        assert_eq!(request_id("abc"), request_id("abc"));
        assert_ne!(request_id("abc"), request_id("abd"));
    }
}
