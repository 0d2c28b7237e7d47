//! The rules of inspections, Party and State kept apart: a Party
//! inspection is conducted by the committee's inspection commission of an
//! organisation or a member; a State inspection by an inspectorate (or the
//! State Audit) of a named unit in a sector prone to corruption. Both have
//! an opening decision, a period inspected and a start; a conclusion
//! records the findings once.

use probity_platform::{Violations, dates, limits, resource::parse_name, text};
use probity_proto::probity::oversight::v1::{Inspection, InspectionKind};
use time::Date;

use crate::{
    error::Result,
    rules::{agencies::display_name, sectors::Sectors},
};

/// What a Party inspection inspects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// An organisation, by id.
    Organization(String),
    /// A member, by id.
    Member(String),
    /// A State agency or unit, by name (State inspections).
    Unit(String),
}

/// An inspection, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInspection {
    /// Party or State.
    pub kind: InspectionKind,
    /// The owning organisation's id.
    pub org_id: String,
    /// The conducting agency's id (State); empty for Party.
    pub agency_id: String,
    /// What is inspected.
    pub subject: Subject,
    /// The sector's code (may be empty for a Party inspection).
    pub sector: String,
    /// The plan's number-symbol; empty when unplanned.
    pub plan_reference: String,
    /// The opening decision's number-symbol.
    pub decision_number: String,
    /// The period inspected.
    pub period: (Date, Date),
    /// The first day.
    pub start: Date,
}

fn date(
    v: &mut Violations,
    field: &str,
    given: Option<&probity_proto::google::r#type::Date>,
) -> Date {
    match dates::required(field, given) {
        Ok(d) => d,
        Err(e) => {
            v.add(e.field, e.description);
            Date::MIN
        }
    }
}

/// Checks an inspection recorded on `today`.
pub fn validate(i: &Inspection, today: Date) -> Result<NewInspection> {
    let mut v = Violations::new();
    let kind = InspectionKind::try_from(i.kind).unwrap_or_default();
    v.check(
        kind == InspectionKind::Unspecified,
        "inspection.kind",
        "required",
    );
    let org_id = match parse_name("inspection.organization", &i.organization, "organizations") {
        Ok(id) => id.to_string(),
        Err(_) => {
            v.add("inspection.organization", "required, `organizations/{id}`");
            String::new()
        }
    };
    let sector = if i.sector.is_empty() {
        String::new()
    } else {
        match parse_name("inspection.sector", &i.sector, "sectors") {
            Ok(code) if Sectors::shipped().get(code).is_some() => code.to_string(),
            _ => {
                v.add("inspection.sector", "one of ReferenceService.ListSectors");
                String::new()
            }
        }
    };
    let (agency_id, subject) = match kind {
        InspectionKind::State => {
            let agency = match parse_name(
                "inspection.conducting_agency",
                &i.conducting_agency,
                "agencies",
            ) {
                Ok(id) => id.to_string(),
                Err(_) => {
                    v.add(
                        "inspection.conducting_agency",
                        "required for a State inspection, `agencies/{id}`",
                    );
                    String::new()
                }
            };
            v.check(
                !i.subject.is_empty(),
                "inspection.subject",
                "a State inspection names its unit in subject_unit",
            );
            let unit = display_name(
                "inspection.subject_unit",
                &i.subject_unit,
                limits::LABEL,
                &mut v,
            );
            let prone = Sectors::shipped().get(&sector).is_some_and(|s| s.prone);
            v.check(
                !prone,
                "inspection.sector",
                "required for a State inspection: a sector prone to corruption",
            );
            (agency, Subject::Unit(unit))
        }
        _ => {
            v.check(
                !i.conducting_agency.is_empty(),
                "inspection.conducting_agency",
                "a Party inspection is conducted by the organisation's inspection commission",
            );
            v.check(
                !i.subject_unit.is_empty(),
                "inspection.subject_unit",
                "a Party inspection names an organisation or a member in subject",
            );
            let subject = if let Ok(id) = parse_name("inspection.subject", &i.subject, "members") {
                Subject::Member(id.to_string())
            } else if let Ok(id) = parse_name("inspection.subject", &i.subject, "organizations") {
                Subject::Organization(id.to_string())
            } else {
                v.add(
                    "inspection.subject",
                    "required: `organizations/{id}` or `members/{id}`",
                );
                Subject::Organization(String::new())
            };
            (String::new(), subject)
        }
    };
    let plan_reference = text::tidy(&i.plan_reference);
    v.check(
        plan_reference.chars().count() > limits::FIELD,
        "inspection.plan_reference",
        "at most 200 characters",
    );
    let decision_number = text::tidy(&i.decision_number);
    v.check(
        decision_number.is_empty() || decision_number.chars().count() > limits::FIELD,
        "inspection.decision_number",
        "required, at most 200 characters",
    );
    let from = date(&mut v, "inspection.period_start", i.period_start.as_ref());
    let to = date(&mut v, "inspection.period_end", i.period_end.as_ref());
    v.check(
        from != Date::MIN && to != Date::MIN && to < from,
        "inspection.period_end",
        "must not be before period_start",
    );
    let start = date(&mut v, "inspection.start_date", i.start_date.as_ref());
    v.check(
        start > today,
        "inspection.start_date",
        "must not be in the future",
    );
    v.into_result()?;
    Ok(NewInspection {
        kind,
        org_id,
        agency_id,
        subject,
        sector,
        plan_reference,
        decision_number,
        period: (from, to),
        start,
    })
}

/// Checks a conclusion of an inspection started on `start`, on `today`:
/// the findings and the day (unset: today).
pub fn conclusion(
    findings: &str,
    day: Option<&probity_proto::google::r#type::Date>,
    start: Date,
    today: Date,
) -> Result<(String, Date)> {
    let mut v = Violations::new();
    let findings = text::tidy(findings);
    v.check(
        findings.is_empty() || findings.chars().count() > limits::FINDINGS,
        "findings",
        "required, at most 20,000 characters",
    );
    let day = crate::rules::clock::effective_day(&mut v, "conclusion_date", day, start, today);
    v.into_result()?;
    Ok((findings, day))
}

#[cfg(test)]
mod tests {
    use probity_platform::ApiError;
    use time::macros::date;

    use super::*;

    fn state() -> Inspection {
        Inspection {
            kind: InspectionKind::State as i32,
            organization: "organizations/tu".into(),
            conducting_agency: "agencies/ttt".into(),
            subject_unit: "Sở Tài nguyên và Môi trường".into(),
            sector: "sectors/land".into(),
            decision_number: "12/QĐ-TTT".into(),
            period_start: Some(dates::to_proto(date!(2022 - 01 - 01))),
            period_end: Some(dates::to_proto(date!(2023 - 12 - 31))),
            start_date: Some(dates::to_proto(date!(2024 - 03 - 01))),
            ..Default::default()
        }
    }

    fn fields(i: &Inspection) -> Vec<String> {
        match validate(i, date!(2024 - 04 - 10)).map(|_| ()) {
            Ok(()) => Vec::new(),
            Err(e) => match ApiError::from(e) {
                ApiError::InvalidArgument(v) => v.into_iter().map(|v| v.field).collect(),
                other => panic!("{other:?}"),
            },
        }
    }

    #[test]
    fn a_state_inspection_is_of_a_unit_in_a_sector_prone_to_corruption() {
        assert!(fields(&state()).is_empty());
        let mut i = state();
        i.sector = "sectors/agriculture".into();
        assert_eq!(fields(&i), ["inspection.sector"]);
    }

    #[test]
    fn a_party_inspection_is_of_an_organisation_or_a_member_not_a_unit() {
        let mut i = state();
        i.kind = InspectionKind::Party as i32;
        assert_eq!(
            fields(&i),
            [
                "inspection.conducting_agency",
                "inspection.subject_unit",
                "inspection.subject"
            ]
        );
        i.conducting_agency.clear();
        i.subject_unit.clear();
        i.subject = "members/m1".into();
        let ok = validate(&i, date!(2024 - 04 - 10)).unwrap();
        assert_eq!(ok.subject, Subject::Member("m1".into()));
    }

    #[test]
    fn a_period_ending_before_it_begins_is_refused() {
        let mut i = state();
        i.period_end = Some(dates::to_proto(date!(2021 - 12 - 31)));
        assert_eq!(fields(&i), ["inspection.period_end"]);
    }

    #[test]
    fn a_conclusion_needs_findings_dated_from_the_start_to_today() {
        assert!(conclusion("", None, date!(2024 - 03 - 01), date!(2024 - 04 - 10)).is_err());
        let (_, day) = conclusion(
            "Sai phạm",
            None,
            date!(2024 - 03 - 01),
            date!(2024 - 04 - 10),
        )
        .unwrap();
        assert_eq!(day, date!(2024 - 04 - 10));
    }
}
