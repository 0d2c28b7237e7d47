//! Putting a report together: the period asked for ([`Period`]), which
//! call each figure of the definition needs ([`layout`]), and the issued
//! report built from the answers ([`build`]), its digest over all of it
//! ([`digest`]).

use probity_platform::{Violations, dates, limits, resource::parse_name};
use probity_proto::probity::{
    reports::v1::{Figure, Input, IssueReportRequest, PeriodReport, Provenance, ReportSection},
    study::v1::Plan,
};
use prost::Message;
use sha2::{Digest, Sha256};
use time::Date;

use super::{
    definitions::{DEFAULT_ID, Definition, Definitions, FigureDef, Repeat},
    figures,
    inputs::{Answer, InputCall, hex},
};
use crate::error::Result;

/// A validated IssueReport request.
#[derive(Debug, Clone)]
pub struct Period {
    /// The organisation, `organizations/{id}`.
    pub organization: String,
    /// First day.
    pub from: Date,
    /// Last day.
    pub to: Date,
    /// The date figures are taken as of.
    pub as_of: Date,
    /// The definition it is issued by.
    pub definition: Definition,
    /// The organisation and those above it, root first
    /// (`organizations/{id}`): the scopes of the plans that cover it. Just
    /// the organisation until [`Period::within`] sets them.
    pub lineage: Vec<String>,
}

impl Period {
    /// Checks `req` on `today`: an organisation, a period in order, an
    /// as-of date within it and not after today (default: the period's end
    /// or today), a definition that exists.
    pub fn validate(req: &IssueReportRequest, today: Date) -> Result<Period> {
        let mut v = Violations::new();
        if parse_name("organization", &req.organization, "organizations").is_err() {
            v.add("organization", "required, `organizations/{id}`");
        }
        let from = dates::required("period_start", req.period_start.as_ref());
        let to = dates::required("period_end", req.period_end.as_ref());
        let as_of = dates::from_proto("as_of", req.as_of.as_ref());
        let (from, to, as_of) = match (from, to, as_of) {
            (Ok(f), Ok(t), Ok(a)) => (f, t, a),
            (f, t, a) => {
                for e in [f.err(), t.err(), a.err()].into_iter().flatten() {
                    v.add(e.field.clone(), e.description.clone());
                }
                v.into_result()?;
                unreachable!("a violation was recorded")
            }
        };
        v.check(to < from, "period_end", "must not be before period_start");
        let as_of = as_of.unwrap_or(if to < today { to } else { today });
        v.check(as_of > today, "as_of", "must not be after today");
        v.check(
            to >= from && as_of < from,
            "as_of",
            "must not be before period_start",
        );
        let id = match req.definition.as_str() {
            "" => DEFAULT_ID,
            name => parse_name("definition", name, "reportDefinitions").unwrap_or(name),
        };
        let definition = Definitions::shipped()
            .find(id, req.definition_version, &dates::to_sql(as_of))
            .cloned();
        if id.chars().count() > limits::CODE {
            v.add(
                "definition",
                format!("at most {} characters of an id", limits::CODE),
            );
        } else if definition.is_none() {
            v.add(
                "definition",
                "no such definition or version (ReportDefinitionService.ListReportDefinitions)",
            );
        }
        v.check(
            req.definition_version < 0,
            "definition_version",
            "must not be negative",
        );
        v.into_result()?;
        Ok(Period {
            organization: req.organization.clone(),
            from,
            to,
            as_of,
            definition: definition.expect("checked above"),
            lineage: vec![req.organization.clone()],
        })
    }

    /// The same period for an organisation whose lineage (ids, root first)
    /// is `lineage`.
    pub fn within(mut self, lineage: &[String]) -> Self {
        self.lineage = lineage
            .iter()
            .map(|id| format!("organizations/{id}"))
            .collect();
        self
    }

    /// The call listing the organisation's plans of the period.
    pub fn plans_call(&self) -> InputCall {
        InputCall::ListPlans {
            scopes: self.lineage.clone(),
            from: dates::to_sql(self.from),
            to: dates::to_sql(self.to),
        }
    }

    /// The calendar years of the period up to the as-of date, from
    /// `first` at the earliest.
    pub fn years(&self, first: Option<i32>) -> std::ops::RangeInclusive<i32> {
        self.from.year().max(first.unwrap_or(i32::MIN))..=self.to.min(self.as_of).year()
    }

    fn call_for(&self, f: &FigureDef, plan: Option<&Plan>, year: Option<i32>) -> InputCall {
        let organization = self.organization.clone();
        let (from, to) = (dates::to_sql(self.from), dates::to_sql(self.to));
        match (f.service.as_str(), f.method.as_str()) {
            (_, "ListPlans") => self.plans_call(),
            (_, "GetPlanProgress") => InputCall::PlanProgress {
                plan: plan.map(|p| p.name.clone()).unwrap_or_default(),
                organization,
                as_of: dates::to_sql(self.as_of),
            },
            (_, "GetReviewStatistics") => InputCall::ReviewStatistics {
                organization,
                year: year.unwrap_or(self.as_of.year()),
            },
            (_, "ListRegister") => InputCall::Register {
                organization,
                year: year.unwrap_or(self.as_of.year()),
            },
            (_, "ListDeclarations") => InputCall::Declarations {
                organization,
                year: year.unwrap_or(self.as_of.year()),
            },
            (_, "ListDisciplinaryDecisions") => InputCall::Decisions {
                organization,
                from,
                to,
            },
            (_, "GetCaseStatistics") => InputCall::CaseStatistics {
                organization,
                from,
                to,
            },
            (_, "GetReportStatistics") => InputCall::ReportStatistics {
                organization,
                from,
                to,
            },
            _ => InputCall::RecommendationStatistics {
                organization,
                from,
                to,
            },
        }
    }
}

/// One section of the report to be, with the call behind each figure.
#[derive(Debug, Clone)]
pub struct SectionPlan {
    /// Its key (`plan/plans/abc`, `classification/2020`, `cases`).
    pub key: String,
    /// Vietnamese title.
    pub title_vi: String,
    /// English title.
    pub title_en: String,
    /// Each figure's definition and the index of its call in the calls.
    pub figures: Vec<(FigureDef, usize)>,
    /// The figure broken down by child organisation, and its call.
    pub breakdown: Option<(FigureDef, usize)>,
    /// The plan a plan's section is about.
    pub plan: Option<Plan>,
}

/// The sections of `period`'s definition for the organisation's `plans`
/// of the period, and the calls they need, each once, in order (the plan
/// list first).
pub fn layout(period: &Period, plans: &[Plan]) -> (Vec<SectionPlan>, Vec<InputCall>) {
    let mut calls = vec![period.plans_call()];
    let mut index = |call: InputCall| match calls.iter().position(|c| *c == call) {
        Some(i) => i,
        None => {
            calls.push(call);
            calls.len() - 1
        }
    };
    let mut out = Vec::new();
    for s in &period.definition.sections {
        // (key, Vietnamese title, English title, plan, year) of each
        // instance of the section.
        type Instance<'a> = (String, String, String, Option<&'a Plan>, Option<i32>);
        let items: Vec<Instance> = match s.repeat {
            Repeat::Once => vec![(
                s.key.clone(),
                s.title_vi.clone(),
                s.title_en.clone(),
                None,
                None,
            )],
            Repeat::Plans => plans
                .iter()
                .map(|p| {
                    let title = |t: &str| format!("{t} {}: {}", p.symbol, p.title);
                    (
                        format!("{}/{}", s.key, p.name),
                        title(&s.title_vi),
                        title(&s.title_en),
                        Some(p),
                        None,
                    )
                })
                .collect(),
            Repeat::Years => period
                .years(s.first_year)
                .map(|y| {
                    (
                        format!("{}/{y}", s.key),
                        format!("{} {y}", s.title_vi),
                        format!("{} {y}", s.title_en),
                        None,
                        Some(y),
                    )
                })
                .collect(),
        };
        for (key, title_vi, title_en, plan, year) in items {
            let figures: Vec<(FigureDef, usize)> = s
                .figures
                .iter()
                .map(|f| (f.clone(), index(period.call_for(f, plan, year))))
                .collect();
            let breakdown = figures.iter().find(|(f, _)| f.key == s.breakdown).cloned();
            out.push(SectionPlan {
                key,
                title_vi,
                title_en,
                figures,
                breakdown,
                plan: plan.cloned(),
            });
        }
    }
    (out, calls)
}

/// One figure read from `answer` by its definition, with its provenance.
pub fn figure(
    def: &FigureDef,
    section_key: &str,
    input: usize,
    call: &InputCall,
    answer: &Answer,
    plan: Option<&Plan>,
    as_of: Date,
) -> Figure {
    let mut f = figures::extract(answer, &def.field, def.kind()).unwrap_or_default();
    let (service, method) = call.method();
    f.key = format!("{section_key}/{}", def.key);
    f.label_vi = def.label_vi.clone();
    f.label_en = def.label_en.clone();
    f.provenance = Some(Provenance {
        service: service.into(),
        method: method.into(),
        request: call.request(),
        field: def.field.clone(),
        as_of: Some(dates::to_proto(as_of)),
        rules: figures::applied_rules(answer, plan),
        input_digest: answer.digest(),
        input: input as i32,
    });
    f
}

/// The breakdown of a section's figure by child organisation, each with
/// the figure's provenance, labelled with the child's name.
fn breakdown(s: &SectionPlan, calls: &[InputCall], answers: &[Answer], as_of: Date) -> Vec<Figure> {
    let Some((def, i)) = &s.breakdown else {
        return Vec::new();
    };
    let whole = figure(
        def,
        &s.key,
        *i,
        &calls[*i],
        &answers[*i],
        s.plan.as_ref(),
        as_of,
    );
    figures::by_child(&answers[*i], &def.field, def.kind())
        .into_iter()
        .map(|(org, name, value)| Figure {
            key: format!("{}/{org}", whole.key),
            label_vi: name.clone(),
            label_en: name,
            provenance: whole.provenance.clone(),
            ..value
        })
        .collect()
}

/// The report of `period` from the `sections` laid out and the answer to
/// each call (same order as `calls`). Name, issue time, issuer and digest
/// are the caller's to set.
pub fn build(
    period: &Period,
    organization_display_name: &str,
    sections: &[SectionPlan],
    calls: &[InputCall],
    answers: &[Answer],
) -> PeriodReport {
    let d = &period.definition;
    PeriodReport {
        organization: period.organization.clone(),
        organization_display_name: organization_display_name.into(),
        period_start: Some(dates::to_proto(period.from)),
        period_end: Some(dates::to_proto(period.to)),
        as_of: Some(dates::to_proto(period.as_of)),
        definition: format!("reportDefinitions/{}", d.id),
        definition_version: d.version,
        title_vi: d.title_vi.clone(),
        title_en: d.title_en.clone(),
        sections: sections
            .iter()
            .map(|s| ReportSection {
                key: s.key.clone(),
                title_vi: s.title_vi.clone(),
                title_en: s.title_en.clone(),
                figures: s
                    .figures
                    .iter()
                    .map(|(def, i)| {
                        figure(
                            def,
                            &s.key,
                            *i,
                            &calls[*i],
                            &answers[*i],
                            s.plan.as_ref(),
                            period.as_of,
                        )
                    })
                    .collect(),
                breakdown: breakdown(s, calls, answers, period.as_of),
            })
            .collect(),
        inputs: calls
            .iter()
            .zip(answers)
            .map(|(c, a)| {
                let (service, method) = c.method();
                Input {
                    service: service.into(),
                    method: method.into(),
                    request: c.request(),
                    digest: a.digest(),
                }
            })
            .collect(),
        ..Default::default()
    }
}

/// SHA-256 (hex) of `report`'s encoding with its digest field empty.
pub fn digest(report: &PeriodReport) -> String {
    let mut r = report.clone();
    r.digest.clear();
    hex(&Sha256::digest(r.encode_to_vec()))
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn req(from: Date, to: Date, as_of: Option<Date>) -> IssueReportRequest {
        IssueReportRequest {
            organization: "organizations/p".into(),
            period_start: Some(dates::to_proto(from)),
            period_end: Some(dates::to_proto(to)),
            as_of: as_of.map(dates::to_proto),
            ..Default::default()
        }
    }

    #[test]
    fn as_of_defaults_to_the_periods_end_or_today() {
        let today = date!(2026 - 12 - 02);
        let ended = Period::validate(
            &req(date!(2016 - 06 - 30), date!(2021 - 03 - 31), None),
            today,
        )
        .unwrap();
        assert_eq!(ended.as_of, date!(2021 - 03 - 31));
        let running = Period::validate(
            &req(date!(2026 - 01 - 01), date!(2026 - 12 - 31), None),
            today,
        )
        .unwrap();
        assert_eq!(running.as_of, today);
        assert_eq!(running.definition.id, DEFAULT_ID);
    }

    #[test]
    fn a_period_out_of_order_or_a_future_as_of_is_refused() {
        let today = date!(2026 - 12 - 02);
        let err = Period::validate(
            &req(date!(2021 - 01 - 01), date!(2020 - 01 - 01), None),
            today,
        )
        .unwrap_err();
        assert!(err.to_string().contains("period_end"), "{err}");
        let err = Period::validate(
            &req(
                date!(2020 - 01 - 01),
                date!(2030 - 01 - 01),
                Some(date!(2027 - 01 - 01)),
            ),
            today,
        )
        .unwrap_err();
        assert!(err.to_string().contains("as_of"), "{err}");
    }

    #[test]
    fn an_unknown_or_overlong_definition_is_refused_by_field() {
        let today = date!(2026 - 12 - 02);
        let mut r = req(date!(2020 - 01 - 01), date!(2020 - 12 - 31), None);
        r.definition = "reportDefinitions/nothing".into();
        let err = Period::validate(&r, today).unwrap_err();
        assert!(err.to_string().contains("definition"), "{err}");
        r.definition = "x".repeat(10_000);
        let err = Period::validate(&r, today).unwrap_err();
        assert!(err.to_string().contains("at most 64 characters"), "{err}");
    }

    #[test]
    fn years_start_at_the_sections_first_year() {
        let p = Period::validate(
            &req(date!(2016 - 06 - 30), date!(2021 - 03 - 31), None),
            date!(2026 - 12 - 02),
        )
        .unwrap();
        assert_eq!(p.years(Some(2017)), 2017..=2021);
        assert_eq!(p.years(None), 2016..=2021);
    }

    #[test]
    fn each_call_is_made_once_and_the_plan_list_first() {
        let p = Period::validate(
            &req(date!(2016 - 06 - 30), date!(2021 - 03 - 31), None),
            date!(2026 - 12 - 02),
        )
        .unwrap();
        let plan = Plan {
            name: "plans/x".into(),
            symbol: "31-KH/TU".into(),
            ..Default::default()
        };
        let (sections, calls) = layout(&p, &[plan]);
        assert!(matches!(calls[0], InputCall::ListPlans { .. }));
        // plans, one plan's progress, five years each of reviews, registers
        // and declarations, three statistics and the decisions.
        assert_eq!(calls.len(), 1 + 1 + 3 * 5 + 3 + 1);
        assert!(sections.iter().any(|s| s.key == "plan/plans/x"));
        assert!(sections.iter().any(|s| s.key == "classification/2021"));
    }
}
