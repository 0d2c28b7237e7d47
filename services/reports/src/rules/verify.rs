//! Checking an issued report again: each figure read anew from the answer
//! its input gives now, compared with the value issued; a figure that
//! changed names its input and field, the values before and after, and
//! whether the rest of the answer changed too.

use probity_proto::probity::reports::v1::{
    Figure, FigureCheck, FigureCheckOutcome, FigureKind, InputCheck, PeriodReport,
};

use super::{
    figures::{by_child, extract, same_value},
    inputs::{Answer, InputCall},
};

/// A figure's value in words, for causes (`32560/32986 (98.71%)`).
pub fn value_words(f: &Figure) -> String {
    if f.suppressed {
        return format!("suppressed ({})", f.suppressed_display);
    }
    match FigureKind::try_from(f.kind).unwrap_or_default() {
        FigureKind::Rate => format!("{}/{} ({}%)", f.numerator, f.denominator, f.percent),
        FigureKind::AmountVnd => format!("{} VND", f.value),
        _ => f.value.to_string(),
    }
}

/// Every figure and input of `report` checked against `now`: for each of
/// the report's `calls` (same order as its inputs), the answer it gives
/// now, or why it could not be read.
pub fn check(
    report: &PeriodReport,
    calls: &[InputCall],
    now: &[Result<Answer, String>],
) -> (Vec<FigureCheck>, Vec<InputCheck>) {
    let inputs: Vec<InputCheck> = report
        .inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let current = now.get(i).and_then(|a| a.as_ref().ok()).map(Answer::digest);
            InputCheck {
                input: i as i32,
                call: calls.get(i).map(InputCall::describe).unwrap_or_default(),
                issued_digest: input.digest.clone(),
                changed: current.as_deref() != Some(input.digest.as_str()),
                current_digest: current.unwrap_or_default(),
            }
        })
        .collect();
    let figures = report
        .sections
        .iter()
        .flat_map(|s| {
            let whole = s.figures.iter().map(|f| (f, false));
            whole.chain(s.breakdown.iter().map(|f| (f, true)))
        })
        .map(|(issued, of_child)| {
            let p = issued.provenance.clone().unwrap_or_default();
            let at = p.input as usize;
            let call = calls
                .get(at)
                .map(InputCall::describe)
                .unwrap_or_else(|| format!("input {at}"));
            let kind = FigureKind::try_from(issued.kind).unwrap_or_default();
            let read = match now.get(at) {
                Some(Ok(answer)) => current_value(answer, issued, of_child, &p.field, kind)
                    .ok_or_else(|| format!("{call} no longer has {} for this figure", p.field)),
                Some(Err(why)) => Err(format!("{call} could not be read: {why}")),
                None => Err(format!("{call} was not read")),
            };
            match read {
                Ok(mut current) => {
                    current.key = issued.key.clone();
                    current.label_vi = issued.label_vi.clone();
                    current.label_en = issued.label_en.clone();
                    let same = same_value(issued, &current);
                    let cause = if same {
                        String::new()
                    } else {
                        format!(
                            "{call} answers {} = {} now (issued: {}); the answer's digest changed from {} to {}",
                            p.field,
                            value_words(&current),
                            value_words(issued),
                            short(&p.input_digest),
                            short(&inputs.get(at).map(|i| i.current_digest.clone()).unwrap_or_default()),
                        )
                    };
                    FigureCheck {
                        key: issued.key.clone(),
                        label_en: issued.label_en.clone(),
                        outcome: if same {
                            FigureCheckOutcome::Same
                        } else {
                            FigureCheckOutcome::Changed
                        } as i32,
                        issued: Some(issued.clone()),
                        current: Some(current),
                        cause,
                    }
                }
                Err(cause) => FigureCheck {
                    key: issued.key.clone(),
                    label_en: issued.label_en.clone(),
                    outcome: FigureCheckOutcome::InputGone as i32,
                    issued: Some(issued.clone()),
                    current: None,
                    cause,
                },
            }
        })
        .collect();
    (figures, inputs)
}

/// The figure `issued` read from `answer` now: the whole figure, or for a
/// child's figure of a breakdown (its key ending in the child's name) the
/// child's.
fn current_value(
    answer: &Answer,
    issued: &Figure,
    of_child: bool,
    field: &str,
    kind: FigureKind,
) -> Option<Figure> {
    if !of_child {
        return extract(answer, field, kind);
    }
    by_child(answer, field, kind)
        .into_iter()
        .find(|(org, _, _)| issued.key.ends_with(&format!("/{org}")))
        .map(|(_, _, f)| f)
}

fn short(digest: &str) -> String {
    digest.chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use probity_proto::probity::study::v1::{OrganizationProgress, PlanProgress, Rate};

    use super::*;
    use crate::rules::{
        assemble::{Period, build, layout},
        definitions::Definitions,
    };

    fn progress(attended: i64) -> Answer {
        Answer::PlanProgress(PlanProgress {
            total: Some(OrganizationProgress {
                classes_held: 317,
                attendance: Some(Rate {
                    numerator: attended,
                    denominator: 32_986,
                    percent: probity_platform::rate::percent(attended, 32_986),
                }),
                ..Default::default()
            }),
            ..Default::default()
        })
    }

    fn period() -> Period {
        let d = |y, m: u8, day| {
            time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), day).unwrap()
        };
        Period {
            organization: "organizations/p".into(),
            from: d(2016, 1, 1),
            to: d(2016, 12, 31),
            as_of: d(2016, 12, 31),
            definition: Definitions::shipped().definitions[0].clone(),
            lineage: vec!["organizations/p".into()],
        }
    }

    fn answers(calls: &[InputCall], attended: i64) -> Vec<Answer> {
        let plan = probity_proto::probity::study::v1::Plan {
            name: "plans/x".into(),
            ..Default::default()
        };
        calls
            .iter()
            .map(|c| match c {
                InputCall::ListPlans { .. } => Answer::Plans(vec![plan.clone()]),
                InputCall::PlanProgress { .. } => progress(attended),
                InputCall::ReviewStatistics { .. } => Answer::ReviewStatistics(Default::default()),
                InputCall::CaseStatistics { .. } => Answer::CaseStatistics(Default::default()),
                InputCall::ReportStatistics { .. } => Answer::ReportStatistics(Default::default()),
                InputCall::RecommendationStatistics { .. } => {
                    Answer::RecommendationStatistics(Default::default())
                }
                InputCall::Register { .. } => Answer::Register(Vec::new()),
                InputCall::Declarations { .. } => Answer::Declarations(Vec::new()),
                InputCall::Decisions { .. } => Answer::Decisions(Vec::new()),
            })
            .collect()
    }

    #[test]
    fn a_late_correction_is_named_with_its_input_and_field() {
        let period = period();
        let plan = probity_proto::probity::study::v1::Plan {
            name: "plans/x".into(),
            ..Default::default()
        };
        let (sections, calls) = layout(&period, &[plan]);
        let report = build(&period, "P", &sections, &calls, &answers(&calls, 32_560));
        let same: Vec<_> = answers(&calls, 32_560).into_iter().map(Ok).collect();
        let (figures, inputs) = check(&report, &calls, &same);
        assert!(
            figures
                .iter()
                .all(|f| f.outcome == FigureCheckOutcome::Same as i32)
        );
        assert!(inputs.iter().all(|i| !i.changed));

        let later: Vec<_> = answers(&calls, 32_559).into_iter().map(Ok).collect();
        let (figures, inputs) = check(&report, &calls, &later);
        let changed: Vec<_> = figures
            .iter()
            .filter(|f| f.outcome == FigureCheckOutcome::Changed as i32)
            .collect();
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert_eq!(changed[0].key, "plan/plans/x/attendance");
        assert!(
            changed[0].cause.contains("GetPlanProgress(plan=plans/x"),
            "{}",
            changed[0].cause
        );
        assert!(
            changed[0].cause.contains("32559/32986 (98.71%) now"),
            "{}",
            changed[0].cause
        );
        assert!(
            changed[0].cause.contains("issued: 32560/32986"),
            "{}",
            changed[0].cause
        );
        assert_eq!(inputs.iter().filter(|i| i.changed).count(), 1);
    }

    #[test]
    fn an_input_that_cannot_be_read_is_gone_not_zero() {
        let period = period();
        let (sections, calls) = layout(&period, &[]);
        let report = build(&period, "P", &sections, &calls, &answers(&calls, 0));
        let now: Vec<_> = calls.iter().map(|_| Err("not found".to_string())).collect();
        let (figures, _) = check(&report, &calls, &now);
        assert!(
            figures
                .iter()
                .all(|f| f.outcome == FigureCheckOutcome::InputGone as i32 && f.current.is_none())
        );
    }
}
