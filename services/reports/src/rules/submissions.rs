//! Reports sent up the tree: the submission deadline (the data file
//! `data/submission-deadlines.json`, versioned and cited), where a unit
//! stands for a period, and the aggregate of the units' submitted figures
//! against the figures computed directly over the subtree, published with
//! the platform's small-count suppression.

use std::sync::OnceLock;

use probity_platform::{
    dates,
    suppression::{Withheld, suppress_table},
};
use probity_proto::probity::reports::v1::{
    AggregateCell, AggregateDifference, AggregateFigure, Figure, FigureKind, Language,
    PeriodReport, SubmissionState,
};
use serde::Deserialize;
use time::Date;

use super::{definitions::Definition, figures::same_value, format};

/// The data file shipped with the service.
pub const DATA_FILE: &str = include_str!("../../data/submission-deadlines.json");

/// One version of the deadline.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Deadline {
    /// Days after the period's last day.
    pub days_after_period_end: i64,
    /// The first period end it applies to (`YYYY-MM-DD`).
    pub valid_from: String,
    /// Where it comes from.
    pub citation: String,
}

/// The file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Deadlines {
    /// Every version.
    pub deadlines: Vec<Deadline>,
}

impl Deadlines {
    /// Parses and checks a data file: dates valid, days 1 to 366, a
    /// citation each.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: Deadlines =
            serde_json::from_str(text).map_err(|e| format!("submission deadlines: {e}"))?;
        if file.deadlines.is_empty() {
            return Err("submission deadlines: none".into());
        }
        for d in &file.deadlines {
            dates::from_sql(&d.valid_from)
                .map_err(|_| format!("submission deadlines: bad date {:?}", d.valid_from))?;
            if !(1..=366).contains(&d.days_after_period_end) || d.citation.is_empty() {
                return Err(format!(
                    "submission deadlines: {}: days 1 to 366 and a citation",
                    d.valid_from
                ));
            }
        }
        Ok(file)
    }

    /// The shipped file.
    pub fn shipped() -> &'static Deadlines {
        static FILE: OnceLock<Deadlines> = OnceLock::new();
        FILE.get_or_init(|| Deadlines::parse(DATA_FILE).expect("shipped deadlines are valid"))
    }

    /// The deadline of a period ending on `end`, and the rule's citation:
    /// the version in force on that day (the first, before any).
    pub fn due(&self, end: Date) -> (Date, String) {
        let day = dates::to_sql(end);
        let rule = self
            .deadlines
            .iter()
            .filter(|d| d.valid_from <= day)
            .max_by(|a, b| a.valid_from.cmp(&b.valid_from))
            .or_else(|| {
                self.deadlines
                    .iter()
                    .min_by(|a, b| a.valid_from.cmp(&b.valid_from))
            })
            .expect("at least one version");
        (
            dates::add_days(end, rule.days_after_period_end),
            rule.citation.clone(),
        )
    }
}

/// Where a unit stands: its latest submission's lateness, if any, against
/// the deadline `due` on `today`.
pub fn state(submitted_late: Option<bool>, due: Date, today: Date) -> SubmissionState {
    match submitted_late {
        Some(false) => SubmissionState::OnTime,
        Some(true) => SubmissionState::Late,
        None if today > due => SubmissionState::Missing,
        None => SubmissionState::NotDue,
    }
}

/// The figures of a report that add up across units (its definition
/// says which): counts, amounts and rates, not those that count the same
/// record for every unit (the plans covering them).
fn additive<'a>(report: &'a PeriodReport, definition: &Definition) -> Vec<&'a Figure> {
    report
        .sections
        .iter()
        .flat_map(|s| &s.figures)
        .filter(|f| definition.additive(&f.key))
        .collect()
}

/// The sum of `parts` (all of one kind); `None` when a part was
/// suppressed at its source.
fn sum(kind: FigureKind, parts: &[&Figure]) -> Option<Figure> {
    if parts.iter().any(|f| f.suppressed) {
        return None;
    }
    let mut total = Figure {
        kind: kind as i32,
        ..Default::default()
    };
    for f in parts {
        total.value += f.value;
        total.numerator += f.numerator;
        total.denominator += f.denominator;
    }
    if kind == FigureKind::Rate {
        total.percent = probity_platform::rate::percent(total.numerator, total.denominator);
    }
    Some(total)
}

/// A value in words, as published.
fn words(f: &Figure) -> String {
    format::figure(f, Language::En)
}

/// One unit with its latest submitted report, or none.
pub struct Unit<'a> {
    /// `organizations/{id}`.
    pub organization: &'a str,
    /// Its submitted report.
    pub report: Option<&'a PeriodReport>,
}

/// What [`aggregate`] found.
#[derive(Debug, Default)]
pub struct Aggregate {
    /// Each figure's published cells (total first, then the units).
    pub figures: Vec<AggregateFigure>,
    /// Every figure whose sum differs from the direct one, or whose units
    /// did not all submit.
    pub differences: Vec<AggregateDifference>,
    /// The keys of the figures that cannot be checked (suppressed at
    /// their source).
    pub unchecked: Vec<String>,
}

/// The aggregate of `units`' submitted figures beside `direct` (the same
/// report computed over the whole subtree now).
pub fn aggregate(
    direct: &PeriodReport,
    definition: &Definition,
    units: &[Unit],
    threshold: i64,
) -> Aggregate {
    let missing: Vec<&str> = units
        .iter()
        .filter(|u| u.report.is_none())
        .map(|u| u.organization)
        .collect();
    let mut out = Aggregate::default();
    for d in additive(direct, definition) {
        let kind = FigureKind::try_from(d.kind).unwrap_or_default();
        let parts: Vec<Option<&Figure>> = units
            .iter()
            .map(|u| {
                u.report.and_then(|r| {
                    r.sections
                        .iter()
                        .flat_map(|s| &s.figures)
                        .find(|f| f.key == d.key)
                })
            })
            .collect();
        let present: Vec<&Figure> = parts.iter().flatten().copied().collect();
        let total = sum(kind, &present);
        // Published cells: counts (a rate by its numerator) suppressed
        // with the platform's rule; amounts as their source published them.
        let count = |f: &Figure| match kind {
            FigureKind::Rate => f.numerator,
            _ => f.value,
        };
        let mut withheld = vec![Withheld::No; parts.len() + 1];
        if kind != FigureKind::AmountVnd
            && let Some(t) = &total
        {
            let mut rows = vec![vec![count(t)]];
            rows.extend(parts.iter().map(|p| vec![p.map_or(0, &count)]));
            withheld = suppress_table(&rows, &[], threshold);
        }
        let cell = |organization: &str, f: Option<&Figure>, w: Withheld| AggregateCell {
            organization: organization.to_string(),
            display: match (f, w) {
                (None, _) => "…".into(),
                (Some(_), Withheld::Small) => format!("<{threshold}"),
                (Some(_), Withheld::Complement) => "x".into(),
                (Some(f), Withheld::No) => words(f),
            },
            withheld: w.is_withheld() || f.is_some_and(|f| f.suppressed),
        };
        out.figures.push(AggregateFigure {
            key: d.key.clone(),
            label_vi: d.label_vi.clone(),
            label_en: d.label_en.clone(),
            kind: d.kind,
            total: Some(cell("", total.as_ref(), withheld[0])),
            by_unit: units
                .iter()
                .zip(&parts)
                .zip(withheld.iter().skip(1))
                .map(|((u, p), w)| cell(u.organization, *p, *w))
                .collect(),
        });
        if (total.is_none() || d.suppressed) && missing.is_empty() {
            out.unchecked.push(d.key.clone());
            continue;
        }
        let agrees = total.as_ref().is_some_and(|t| {
            same_value(
                t,
                &Figure {
                    kind: d.kind,
                    value: d.value,
                    numerator: d.numerator,
                    denominator: d.denominator,
                    percent: d.percent.clone(),
                    ..Default::default()
                },
            ) && !d.suppressed
        });
        if !agrees || !missing.is_empty() {
            let cause = if !missing.is_empty() {
                format!("units without a submission: {}", missing.join(", "))
            } else {
                "records held by the organisation outside its units, or changed since the units issued their reports"
                    .to_string()
            };
            out.differences.push(AggregateDifference {
                key: d.key.clone(),
                label_en: d.label_en.clone(),
                submitted: total.as_ref().map_or("…".into(), words),
                direct: words(d),
                cause,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use probity_proto::probity::reports::v1::ReportSection;
    use time::macros::date;

    use super::*;

    fn report(figures: Vec<Figure>) -> PeriodReport {
        PeriodReport {
            sections: vec![ReportSection {
                figures,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn definition() -> Definition {
        super::super::definitions::Definitions::shipped().definitions[0].clone()
    }

    fn count(key: &str, value: i64) -> Figure {
        Figure {
            key: key.into(),
            kind: FigureKind::Count as i32,
            value,
            ..Default::default()
        }
    }

    fn rate(key: &str, n: i64, d: i64) -> Figure {
        Figure {
            key: key.into(),
            kind: FigureKind::Rate as i32,
            numerator: n,
            denominator: d,
            percent: probity_platform::rate::percent(n, d),
            ..Default::default()
        }
    }

    #[test]
    fn the_deadline_is_the_rule_in_force_on_the_periods_end() {
        let (due, citation) = Deadlines::shipped().due(date!(2021 - 03 - 31));
        assert_eq!(due, date!(2021 - 04 - 15));
        assert!(citation.contains("15 ngày"));
        assert!(Deadlines::parse(&DATA_FILE.replace("15, \"valid", "0, \"valid")).is_err());
    }

    #[test]
    fn a_unit_is_on_time_late_missing_or_not_due() {
        let due = date!(2021 - 04 - 15);
        assert_eq!(
            state(Some(false), due, date!(2022 - 01 - 01)),
            SubmissionState::OnTime
        );
        assert_eq!(
            state(Some(true), due, date!(2022 - 01 - 01)),
            SubmissionState::Late
        );
        assert_eq!(
            state(None, due, date!(2021 - 04 - 16)),
            SubmissionState::Missing
        );
        assert_eq!(
            state(None, due, date!(2021 - 04 - 15)),
            SubmissionState::NotDue
        );
    }

    #[test]
    fn units_add_up_to_the_direct_figures_and_small_counts_are_withheld() {
        let direct = report(vec![
            count("study/plans", 1),
            count("plan/p/classes_held", 23),
            rate("plan/p/attendance", 30, 32),
        ]);
        let a = report(vec![
            count("study/plans", 1),
            count("plan/p/classes_held", 20),
            rate("plan/p/attendance", 27, 28),
        ]);
        let b = report(vec![
            count("study/plans", 1),
            count("plan/p/classes_held", 3),
            rate("plan/p/attendance", 3, 4),
        ]);
        let units = [
            Unit {
                organization: "organizations/a",
                report: Some(&a),
            },
            Unit {
                organization: "organizations/b",
                report: Some(&b),
            },
        ];
        let Aggregate {
            figures,
            differences,
            ..
        } = aggregate(&direct, &definition(), &units, 5);
        assert!(differences.is_empty(), "{differences:?}");
        assert_eq!(
            figures.len(),
            2,
            "the plans covering each unit do not add up"
        );
        let classes = &figures[0];
        assert_eq!(classes.total.as_ref().unwrap().display, "23");
        assert_eq!(classes.by_unit[1].display, "<5", "3 classes withheld");
        assert_eq!(classes.by_unit[0].display, "x", "and its complement");
        assert_eq!(
            figures[1].total.as_ref().unwrap().display,
            "30/32 (93.75 %)"
        );
    }

    #[test]
    fn a_missing_unit_or_a_difference_is_listed_with_its_cause() {
        let direct = report(vec![count("cases/designated", 12)]);
        let a = report(vec![count("cases/designated", 7)]);
        let units = [
            Unit {
                organization: "organizations/a",
                report: Some(&a),
            },
            Unit {
                organization: "organizations/b",
                report: None,
            },
        ];
        let Aggregate {
            figures,
            differences,
            ..
        } = aggregate(&direct, &definition(), &units, 5);
        assert_eq!(figures[0].by_unit[1].display, "…");
        assert_eq!(differences.len(), 1);
        assert!(differences[0].cause.contains("organizations/b"));
        assert_eq!(
            (
                differences[0].submitted.as_str(),
                differences[0].direct.as_str()
            ),
            ("7", "12")
        );
    }

    #[test]
    fn a_figure_suppressed_at_its_source_is_unchecked_not_different() {
        let hidden = |key: &str| Figure {
            key: key.into(),
            kind: FigureKind::Count as i32,
            suppressed: true,
            suppressed_display: "<5".into(),
            ..Default::default()
        };
        let direct = report(vec![hidden("cases/designated")]);
        let a = report(vec![hidden("cases/designated")]);
        let units = [Unit {
            organization: "organizations/a",
            report: Some(&a),
        }];
        let found = aggregate(&direct, &definition(), &units, 5);
        assert!(found.differences.is_empty());
        assert_eq!(found.unchecked, ["cases/designated"]);
        assert_eq!(found.figures[0].total.as_ref().unwrap().display, "…");
    }
}
