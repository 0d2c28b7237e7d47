//! The rules of recording a case: its fields checked (with field paths),
//! its subjects (members by resource name, or outsiders by name), its one
//! intake and the key by which a duplicate intake is recognised.

use probity_platform::{Violations, dates, limits, resource::parse_name, text};
use probity_proto::probity::oversight::v1::{Case, CaseIntake, CaseKind, CaseOrigin, CaseSubject};
use time::Date;

use crate::{
    error::Result,
    rules::{
        agencies::{code, display_name},
        sectors::Sectors,
    },
};

/// A subject, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubject {
    /// The member's id; empty for an outsider.
    pub member_id: String,
    /// The outsider's name (a member's comes from members).
    pub full_name: String,
    /// Position and workplace.
    pub position: String,
}

/// An intake, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIntake {
    /// Where it came from.
    pub origin: CaseOrigin,
    /// The source's reference, tidied.
    pub origin_reference: String,
    /// [`reference_key`] of the reference.
    pub reference_key: String,
    /// The day it was received.
    pub received: Date,
    /// What it says, tidied.
    pub summary: String,
}

/// A case to record, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    /// The code, in capitals.
    pub code: String,
    /// The title, tidied.
    pub title: String,
    /// Incident or criminal case.
    pub kind: CaseKind,
    /// The sector's code.
    pub sector: String,
    /// The jurisdiction organisation's id.
    pub jurisdiction_id: String,
    /// The handling agencies' ids, in the order given.
    pub agency_ids: Vec<String>,
    /// The subjects.
    pub subjects: Vec<NewSubject>,
    /// The linked cases' ids.
    pub linked_ids: Vec<String>,
    /// The estimated loss, VND.
    pub loss_vnd: i64,
    /// The intake.
    pub intake: NewIntake,
    /// The inspection that produced it; empty when none.
    pub inspection_id: String,
}

/// The key under which an origin reference marks a duplicate: folded
/// (case, diacritics and spacing do not matter); empty when there is none.
pub fn reference_key(reference: &str) -> String {
    text::fold(reference).replace(' ', "")
}

/// The ids of `names` (field `field`), each `{collection}/{id}`, none
/// twice, at most `max`.
pub fn ids(
    v: &mut Violations,
    field: &str,
    names: &[String],
    collection: &str,
    max: usize,
) -> Vec<String> {
    if names.len() > max {
        v.add(field, format!("at most {max}"));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match parse_name(&format!("{field}[{i}]"), name, collection) {
            Ok(id) if out.iter().any(|o| o == id) => {
                v.add(format!("{field}[{i}]"), "given twice");
            }
            Ok(id) => out.push(id.to_string()),
            Err(_) => v.add(
                format!("{field}[{i}]"),
                format!("must be `{collection}/{{id}}`"),
            ),
        }
    }
    out
}

fn subjects(v: &mut Violations, given: &[CaseSubject]) -> Vec<NewSubject> {
    if given.is_empty() || given.len() > limits::CASE_SUBJECTS {
        v.add("case.subjects", "at least one, at most 200");
    }
    let mut out: Vec<NewSubject> = Vec::new();
    for (i, s) in given.iter().enumerate() {
        let field = format!("case.subjects[{i}]");
        let position = if s.position.trim().is_empty() {
            String::new()
        } else {
            display_name(&format!("{field}.position"), &s.position, limits::LABEL, v)
        };
        if s.member.is_empty() {
            let full_name =
                display_name(&format!("{field}.full_name"), &s.full_name, limits::NAME, v);
            out.push(NewSubject {
                member_id: String::new(),
                full_name,
                position,
            });
            continue;
        }
        match parse_name(&format!("{field}.member"), &s.member, "members") {
            Ok(id) if out.iter().any(|o| o.member_id == id) => {
                v.add(format!("{field}.member"), "given twice");
            }
            Ok(id) => out.push(NewSubject {
                member_id: id.to_string(),
                full_name: String::new(),
                position,
            }),
            Err(_) => v.add(format!("{field}.member"), "must be `members/{id}`"),
        }
    }
    out
}

fn intake(v: &mut Violations, given: &[CaseIntake], today: Date) -> NewIntake {
    if given.len() != 1 {
        v.add("case.intakes", "exactly one on create");
    }
    let i = given.first().cloned().unwrap_or_default();
    let origin = CaseOrigin::try_from(i.origin).unwrap_or(CaseOrigin::Unspecified);
    v.check(
        origin == CaseOrigin::Unspecified,
        "case.intakes[0].origin",
        "required",
    );
    let origin_reference = text::tidy(&i.origin_reference);
    v.check(
        origin_reference.chars().count() > limits::FIELD,
        "case.intakes[0].origin_reference",
        "at most 200 characters",
    );
    let summary = text::tidy(&i.summary);
    v.check(
        summary.chars().count() > limits::TEXT,
        "case.intakes[0].summary",
        "at most 4,000 characters",
    );
    let received = match dates::required("case.intakes[0].received_date", i.received_date.as_ref())
    {
        Ok(d) if d > today => {
            v.add("case.intakes[0].received_date", "must not be in the future");
            d
        }
        Ok(d) => d,
        Err(e) => {
            v.add(e.field, e.description);
            today
        }
    };
    NewIntake {
        origin,
        reference_key: reference_key(&origin_reference),
        origin_reference,
        received,
        summary,
    }
}

/// Checks a case to record on `today`.
pub fn validate(c: &Case, today: Date) -> Result<NewCase> {
    let mut v = Violations::new();
    let code = code("case.code", &c.code, &mut v);
    let title = display_name("case.title", &c.title, limits::TITLE, &mut v);
    let kind = CaseKind::try_from(c.kind).unwrap_or(CaseKind::Unspecified);
    v.check(kind == CaseKind::Unspecified, "case.kind", "required");
    let sector = match parse_name("case.sector", &c.sector, "sectors") {
        Ok(code) if Sectors::shipped().get(code).is_some() => code.to_string(),
        _ => {
            v.add(
                "case.sector",
                "required: one of ReferenceService.ListSectors, `sectors/{code}`",
            );
            String::new()
        }
    };
    let jurisdiction_id = match parse_name("case.jurisdiction", &c.jurisdiction, "organizations") {
        Ok(id) => id.to_string(),
        Err(_) => {
            v.add("case.jurisdiction", "required, `organizations/{id}`");
            String::new()
        }
    };
    let agency_ids = ids(
        &mut v,
        "case.handling_agencies",
        &c.handling_agencies,
        "agencies",
        limits::CASE_AGENCIES,
    );
    let subjects = subjects(&mut v, &c.subjects);
    let linked_ids = ids(
        &mut v,
        "case.linked_cases",
        &c.linked_cases,
        "cases",
        limits::LINKED_CASES,
    );
    v.check(c.loss_vnd < 0, "case.loss_vnd", "must not be negative");
    let intake = intake(&mut v, &c.intakes, today);
    let inspection_id = if c.inspection.is_empty() {
        String::new()
    } else {
        match parse_name("case.inspection", &c.inspection, "inspections") {
            Ok(id) => id.to_string(),
            Err(_) => {
                v.add("case.inspection", "must be `inspections/{id}`");
                String::new()
            }
        }
    };
    v.into_result()?;
    Ok(NewCase {
        code,
        title,
        kind,
        sector,
        jurisdiction_id,
        agency_ids,
        subjects,
        linked_ids,
        loss_vnd: c.loss_vnd,
        intake,
        inspection_id,
    })
}

#[cfg(test)]
mod tests {
    use probity_platform::ApiError;
    use time::macros::date;

    use super::*;

    fn case() -> Case {
        Case {
            code: "va-2024-017".into(),
            title: "Sai phạm trong giao đất".into(),
            kind: CaseKind::Incident as i32,
            sector: "sectors/land".into(),
            jurisdiction: "organizations/tu".into(),
            subjects: vec![
                CaseSubject {
                    member: "members/m1".into(),
                    ..Default::default()
                },
                CaseSubject {
                    full_name: "Trần Văn B".into(),
                    position: "Giám đốc công ty X".into(),
                    ..Default::default()
                },
            ],
            intakes: vec![CaseIntake {
                origin: CaseOrigin::Denunciation as i32,
                origin_reference: " Đơn 12/2024 ".into(),
                received_date: Some(dates::to_proto(date!(2024 - 03 - 01))),
                summary: "Tố cáo".into(),
            }],
            ..Default::default()
        }
    }

    fn fields(c: &Case) -> Vec<String> {
        match validate(c, date!(2024 - 03 - 10)).map(|_| ()) {
            Ok(()) => Vec::new(),
            Err(e) => match ApiError::from(e) {
                ApiError::InvalidArgument(found) => found.into_iter().map(|v| v.field).collect(),
                other => panic!("{other:?}"),
            },
        }
    }

    #[test]
    fn a_good_case_passes_with_its_code_in_capitals() {
        let c = validate(&case(), date!(2024 - 03 - 10)).unwrap();
        assert_eq!(c.code, "VA-2024-017");
        assert_eq!(c.subjects[0].member_id, "m1");
        assert_eq!(c.intake.origin_reference, "Đơn 12/2024");
    }

    #[test]
    fn the_duplicate_key_ignores_case_diacritics_and_spacing() {
        assert_eq!(reference_key("Đơn 12/2024"), reference_key("don  12/2024"));
        assert_eq!(reference_key("ĐƠN 12 / 2024"), "don12/2024");
    }

    #[test]
    fn an_unknown_sector_is_refused() {
        let mut c = case();
        c.sector = "sectors/astrology".into();
        assert_eq!(fields(&c), ["case.sector"]);
    }

    #[test]
    fn a_case_needs_a_subject_and_exactly_one_intake() {
        let mut c = case();
        c.subjects.clear();
        c.intakes.push(c.intakes[0].clone());
        assert_eq!(fields(&c), ["case.subjects", "case.intakes"]);
    }

    #[test]
    fn an_outsider_needs_a_name_and_a_member_may_not_be_named_twice() {
        let mut c = case();
        c.subjects[1].full_name.clear();
        c.subjects.push(c.subjects[0].clone());
        assert_eq!(
            fields(&c),
            ["case.subjects[1].full_name", "case.subjects[2].member"]
        );
    }

    #[test]
    fn an_intake_from_the_future_and_a_negative_loss_are_refused() {
        let mut c = case();
        c.loss_vnd = -1;
        c.intakes[0].received_date = Some(dates::to_proto(date!(2024 - 03 - 11)));
        assert_eq!(
            fields(&c),
            ["case.loss_vnd", "case.intakes[0].received_date"]
        );
    }

    #[test]
    fn agencies_and_linked_cases_are_resource_names_given_once() {
        let mut c = case();
        c.handling_agencies = vec!["agencies/a".into(), "agencies/a".into()];
        c.linked_cases = vec!["plans/x".into()];
        assert_eq!(
            fields(&c),
            ["case.handling_agencies[1]", "case.linked_cases[0]"]
        );
    }
}
