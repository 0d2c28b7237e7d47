//! Reading a figure out of an answer: which fields of which methods a
//! definition may name ([`supported`]), the figure's value
//! ([`extract`]), and the rules the source applied to it
//! ([`applied_rules`]). A suppressed count stays suppressed: the report
//! shows what the source published, never the number behind it.

use probity_proto::probity::{
    oversight::v1::{Amount, Count},
    reports::v1::{AppliedRule, Figure, FigureKind},
    study::v1::{Rate, ReportCondition},
};

use super::{inputs::Answer, tallies};

/// An answer of the kind `service.method` gives, empty: what
/// [`supported`] reads field names against.
fn empty_answer(service: &str, method: &str) -> Option<Answer> {
    Some(match (service, method) {
        ("probity.study.v1.PlanService", "ListPlans") => Answer::Plans(Vec::new()),
        ("probity.study.v1.PlanService", "GetPlanProgress") => {
            Answer::PlanProgress(Default::default())
        }
        ("probity.members.v1.ReviewService", "GetReviewStatistics") => {
            Answer::ReviewStatistics(Default::default())
        }
        ("probity.members.v1.BookService", "ListRegister") => Answer::Register(Vec::new()),
        ("probity.members.v1.DeclarationService", "ListDeclarations") => {
            Answer::Declarations(Vec::new())
        }
        ("probity.oversight.v1.DisciplineService", "ListDisciplinaryDecisions") => {
            Answer::Decisions(Vec::new())
        }
        ("probity.oversight.v1.StatisticsService", "GetCaseStatistics") => {
            Answer::CaseStatistics(Default::default())
        }
        ("probity.oversight.v1.StatisticsService", "GetReportStatistics") => {
            Answer::ReportStatistics(Default::default())
        }
        ("probity.oversight.v1.StatisticsService", "GetRecommendationStatistics") => {
            Answer::RecommendationStatistics(Default::default())
        }
        _ => return None,
    })
}

/// True when a definition may name `field` of `service.method` as a
/// figure of `kind`.
pub fn supported(service: &str, method: &str, field: &str, kind: FigureKind) -> bool {
    empty_answer(service, method).is_some_and(|a| extract(&a, field, kind).is_some())
}

fn count(value: i64) -> Figure {
    Figure {
        kind: FigureKind::Count as i32,
        value,
        ..Default::default()
    }
}

fn published(c: Option<&Count>) -> Figure {
    let c = c.cloned().unwrap_or_default();
    Figure {
        kind: FigureKind::Count as i32,
        value: c.value,
        suppressed: c.suppressed,
        suppressed_display: if c.suppressed {
            c.display
        } else {
            String::new()
        },
        ..Default::default()
    }
}

fn amount(a: Option<&Amount>) -> Figure {
    let a = a.cloned().unwrap_or_default();
    Figure {
        kind: FigureKind::AmountVnd as i32,
        value: a.vnd,
        suppressed: a.suppressed,
        suppressed_display: if a.suppressed {
            "x".into()
        } else {
            String::new()
        },
        ..Default::default()
    }
}

fn rate(r: Option<&Rate>) -> Figure {
    let r = r.cloned().unwrap_or_default();
    Figure {
        kind: FigureKind::Rate as i32,
        numerator: r.numerator,
        denominator: r.denominator,
        percent: r.percent,
        ..Default::default()
    }
}

/// The figure `field` of `answer` read as `kind` (value fields only; the
/// caller adds key, labels and provenance). `None`: no such field of
/// that kind.
pub fn extract(answer: &Answer, field: &str, kind: FigureKind) -> Option<Figure> {
    let figure = match answer {
        Answer::Register(list) => tallies::register(list).figure(field)?,
        Answer::Declarations(list) => tallies::declarations(list).figure(field)?,
        Answer::Decisions(list) => tallies::decisions(list).figure(field)?,
        Answer::Plans(plans) => match field {
            "plans.in_period" => count(plans.len() as i64),
            _ => return None,
        },
        Answer::PlanProgress(p) => {
            let t = p.total.clone().unwrap_or_default();
            match field {
                "total.classes_held" => count(t.classes_held.into()),
                "total.make_up_classes" => count(t.make_up_classes.into()),
                "total.counted_classes" => count(t.counted_classes.into()),
                "total.non_members" => count(t.non_members),
                "total.reports_submitted" => count(t.reports_submitted),
                "total.reports_late" => count(t.reports_late),
                "total.reports_accepted" => count(t.reports_accepted),
                "total.supervision_visits" => count(t.supervision_visits.into()),
                "total.attendance" => rate(t.attendance.as_ref()),
                "total.completion" => rate(t.completion.as_ref()),
                _ => return None,
            }
        }
        Answer::ReviewStatistics(s) => {
            let root = s.rows.first().cloned().unwrap_or_default();
            match field {
                "root.total" => count(root.total),
                "root.excellent" => count(root.excellent),
                "root.good" => count(root.good),
                "root.complete" => count(root.complete),
                "root.incomplete" => count(root.incomplete),
                _ => return None,
            }
        }
        Answer::CaseStatistics(s) => {
            let t = s.total.clone().unwrap_or_default();
            match field {
                "total.designated" => published(t.designated.as_ref()),
                "total.resolved_on_time" => published(t.resolved_on_time.as_ref()),
                "total.resolved_late" => published(t.resolved_late.as_ref()),
                "total.unresolved" => published(t.unresolved.as_ref()),
                "total.loss" => amount(t.loss.as_ref()),
                "total.recovered" => amount(t.recovered.as_ref()),
                _ => return None,
            }
        }
        Answer::ReportStatistics(s) => {
            let t = s.total.clone().unwrap_or_default();
            match field {
                "total.received" => published(t.received.as_ref()),
                "total.anonymous" => published(t.anonymous.as_ref()),
                "total.named" => published(t.named.as_ref()),
                "total.handled" => published(t.handled.as_ref()),
                "total.handled_on_time" => published(t.handled_on_time.as_ref()),
                "total.handled_late" => published(t.handled_late.as_ref()),
                "total.protected" => published(t.protected.as_ref()),
                "total.retaliation_complaints" => published(t.retaliation_complaints.as_ref()),
                _ => return None,
            }
        }
        Answer::RecommendationStatistics(s) => {
            let t = s.total.clone().unwrap_or_default();
            match (field, kind) {
                ("total.implemented", FigureKind::Rate) => {
                    let done = t.implemented.clone().unwrap_or_default();
                    let due = t.due.clone().unwrap_or_default();
                    let r = t.rate_by_count.clone().unwrap_or_default();
                    let suppressed = done.suppressed || due.suppressed || r.suppressed;
                    Figure {
                        kind: FigureKind::Rate as i32,
                        numerator: if suppressed { 0 } else { done.value },
                        denominator: if suppressed { 0 } else { due.value },
                        percent: if suppressed { String::new() } else { r.percent },
                        suppressed,
                        suppressed_display: if suppressed {
                            "x".into()
                        } else {
                            String::new()
                        },
                        ..Default::default()
                    }
                }
                ("total.due", _) => published(t.due.as_ref()),
                ("total.implemented", _) => published(t.implemented.as_ref()),
                ("total.partly_implemented", _) => published(t.partly_implemented.as_ref()),
                ("total.not_implemented", _) => published(t.not_implemented.as_ref()),
                ("total.pending", _) => published(t.pending.as_ref()),
                ("total.overdue", _) => published(t.overdue.as_ref()),
                ("total.amount_recommended", _) => amount(t.amount_recommended.as_ref()),
                ("total.amount_implemented", _) => amount(t.amount_implemented.as_ref()),
                _ => return None,
            }
        }
    };
    (figure.kind == kind as i32).then_some(figure)
}

/// True when a figure `field` of `method` can be broken down by child
/// organisation: a plan's progress answers each child's figures beside
/// the total.
pub fn breaks_down(method: &str, field: &str) -> bool {
    method == "GetPlanProgress" && field.starts_with("total.")
}

/// The figure `field` of `answer` for each child organisation, in the
/// answer's order: (the child's name, its display name, the figure's
/// value). Empty for answers without children.
pub fn by_child(answer: &Answer, field: &str, kind: FigureKind) -> Vec<(String, String, Figure)> {
    let Answer::PlanProgress(p) = answer else {
        return Vec::new();
    };
    let Some(field) = field.strip_prefix("total.") else {
        return Vec::new();
    };
    p.breakdown
        .iter()
        .filter_map(|child| {
            let alone = Answer::PlanProgress(probity_proto::probity::study::v1::PlanProgress {
                total: Some(child.clone()),
                ..Default::default()
            });
            extract(&alone, &format!("total.{field}"), kind)
                .map(|f| (child.organization.clone(), child.display_name.clone(), f))
        })
        .collect()
}

fn rule(rule: &str, version: impl Into<String>) -> AppliedRule {
    AppliedRule {
        rule: rule.into(),
        version: version.into(),
    }
}

/// The rules the source applied to a figure of `answer`: for a plan's
/// progress the plan's completion rule and reference date (`plan`, from
/// the plan list) and the rounding of rates; for oversight's statistics
/// the suppression rule and threshold (and the implementation formula);
/// for review statistics the grades counted.
pub fn applied_rules(
    answer: &Answer,
    plan: Option<&probity_proto::probity::study::v1::Plan>,
) -> Vec<AppliedRule> {
    let rounding = || {
        rule(
            "rounding",
            "percent rounded half-up to 2 decimals, exact integers",
        )
    };
    match answer {
        Answer::Plans(_) => vec![rule("period", "plans whose issue date is in the period")],
        Answer::PlanProgress(_) => {
            let mut out = Vec::new();
            if let Some(p) = plan {
                let c = p.completion_rule.unwrap_or_default();
                let report = match ReportCondition::try_from(c.report).unwrap_or_default() {
                    ReportCondition::Submitted => "submitted",
                    ReportCondition::Accepted => "accepted",
                    _ => "not needed",
                };
                out.push(rule(
                    "completion_rule",
                    format!(
                        "at least {} counted class(es); learning report: {report}",
                        c.min_counted_classes.max(1)
                    ),
                ));
                if let Some(d) = p.reference_date {
                    out.push(rule(
                        "eligibility",
                        format!(
                            "members on the roster of {:04}-{:02}-{:02}, each counted once",
                            d.year, d.month, d.day
                        ),
                    ));
                }
            }
            out.push(rounding());
            out
        }
        Answer::ReviewStatistics(_) => vec![rule(
            "classification",
            "decided grades; the tree as of the year's end",
        )],
        Answer::Register(_) | Answer::Declarations(_) | Answer::Decisions(_) => {
            let mut out = vec![suppression(
                probity_platform::suppression::DEFAULT_THRESHOLD as i32,
                probity_platform::suppression::RULE,
            )];
            if matches!(answer, Answer::Declarations(_)) {
                out.push(rule(
                    "on_time",
                    "every step done by its deadline under the rules in force (members' timeliness)",
                ));
            }
            out
        }
        Answer::CaseStatistics(s) => vec![suppression(s.threshold, &s.suppression_rule)],
        Answer::ReportStatistics(s) => vec![suppression(s.threshold, &s.suppression_rule)],
        Answer::RecommendationStatistics(s) => vec![
            suppression(s.threshold, &s.suppression_rule),
            rule("implementation_rate", s.formula.clone()),
            rounding(),
        ],
    }
}

fn suppression(threshold: i32, words: &str) -> AppliedRule {
    rule("suppression", format!("threshold {threshold}: {words}"))
}

/// True when two figures have the same value (kind, value, rate and
/// suppression), whatever their labels and provenance.
pub fn same_value(a: &Figure, b: &Figure) -> bool {
    (
        a.kind,
        a.value,
        a.numerator,
        a.denominator,
        &a.percent,
        a.suppressed,
        &a.suppressed_display,
    ) == (
        b.kind,
        b.value,
        b.numerator,
        b.denominator,
        &b.percent,
        b.suppressed,
        &b.suppressed_display,
    )
}

#[cfg(test)]
mod tests {
    use probity_proto::probity::study::v1::{OrganizationProgress, PlanProgress};

    use super::*;

    fn progress(attended: i64) -> Answer {
        Answer::PlanProgress(PlanProgress {
            total: Some(OrganizationProgress {
                classes_held: 317,
                non_members: 5_873,
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

    #[test]
    fn a_plans_figures_are_read_by_field() {
        let a = progress(32_560);
        assert_eq!(
            extract(&a, "total.classes_held", FigureKind::Count)
                .unwrap()
                .value,
            317
        );
        let r = extract(&a, "total.attendance", FigureKind::Rate).unwrap();
        assert_eq!(
            (r.numerator, r.denominator, r.percent.as_str()),
            (32_560, 32_986, "98.71")
        );
        assert!(extract(&a, "total.attendance", FigureKind::Count).is_none());
        assert!(extract(&a, "total.nothing", FigureKind::Count).is_none());
    }

    #[test]
    fn only_known_methods_and_fields_are_supported() {
        let s = "probity.study.v1.PlanService";
        assert!(supported(
            s,
            "GetPlanProgress",
            "total.non_members",
            FigureKind::Count
        ));
        assert!(!supported(
            s,
            "GetPlan",
            "total.non_members",
            FigureKind::Count
        ));
        assert!(!supported(
            "x",
            "GetPlanProgress",
            "total.non_members",
            FigureKind::Count
        ));
    }

    #[test]
    fn a_suppressed_count_keeps_what_the_source_showed() {
        use probity_proto::probity::oversight::v1::{CaseStatistics, GetCaseStatisticsResponse};
        let a = Answer::CaseStatistics(GetCaseStatisticsResponse {
            total: Some(CaseStatistics {
                designated: Some(Count {
                    value: 0,
                    display: "<5".into(),
                    suppressed: true,
                }),
                ..Default::default()
            }),
            threshold: 5,
            suppression_rule: "cell and complement".into(),
            ..Default::default()
        });
        let f = extract(&a, "total.designated", FigureKind::Count).unwrap();
        assert!(f.suppressed);
        assert_eq!(f.suppressed_display, "<5");
        assert_eq!(
            applied_rules(&a, None)[0].version,
            "threshold 5: cell and complement"
        );
    }

    #[test]
    fn values_compare_without_provenance() {
        let a = extract(&progress(32_560), "total.attendance", FigureKind::Rate).unwrap();
        let mut b = a.clone();
        b.label_en = "other".into();
        assert!(same_value(&a, &b));
        let c = extract(&progress(32_559), "total.attendance", FigureKind::Rate).unwrap();
        assert!(!same_value(&a, &c));
    }
}
