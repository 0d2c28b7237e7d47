//! The time limits and retention of whistleblower reports, from the data
//! file `data/report-limits.json`: per category, the days to decide
//! whether to accept a report and the days to resolve it, each a dated,
//! cited version (the version in force the day the step's clock starts);
//! and the retention classes, years a finished report is kept before its
//! content and identity are destroyed.

use std::sync::OnceLock;

use probity_platform::{
    dated_rules::{DatedRule, RuleBook},
    dates,
};
use probity_proto::probity::oversight::v1::{ReportCategory, ReportOutcome, ReportStatus};
use serde::Deserialize;
use time::Date;

/// The data file shipped with the service.
pub const DATA_FILE: &str = include_str!("../../data/report-limits.json");

/// A step of a report's handling that has a time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// From receipt to the decision to accept or not.
    Accept = 1,
    /// From acceptance (receipt, for a crime report) to the resolution.
    Resolve = 2,
}

#[derive(Deserialize)]
struct File {
    limits: Vec<LimitRow>,
    retention: Vec<RetentionRow>,
}

#[derive(Deserialize)]
struct LimitRow {
    category: String,
    step: String,
    days: i64,
    valid_from: String,
    citation: String,
}

#[derive(Deserialize)]
struct RetentionRow {
    class: String,
    years: i32,
}

/// The parsed data file.
#[derive(Debug, Clone)]
pub struct ReportRules {
    /// Every version of every limit (kind: category × 10 + step).
    pub limits: RuleBook,
    /// Retention classes and their years.
    pub retention: Vec<(String, i32)>,
}

/// The category named `key` in the data file (`crime-report` →
/// `REPORT_CATEGORY_CRIME_REPORT`).
fn category_of(key: &str) -> Option<ReportCategory> {
    let prefix = ReportCategory::Unspecified
        .as_str_name()
        .trim_end_matches("UNSPECIFIED");
    ReportCategory::from_str_name(&format!(
        "{prefix}{}",
        key.to_ascii_uppercase().replace('-', "_")
    ))
    .filter(|c| *c != ReportCategory::Unspecified)
}

fn kind(category: ReportCategory, step: Step) -> i64 {
    category as i64 * 10 + step as i64
}

/// The retention classes every finished report falls in.
pub const CLASSES: [&str; 3] = ["not-accepted", "unfounded", "founded"];

/// Parses and checks a data file: known categories and steps, ISO dates,
/// 0 – 3,650 days, a citation on each, no version twice, every category
/// with both steps; the retention classes each once with 1 – 100 years.
pub fn parse(text: &str) -> Result<ReportRules, String> {
    let file: File =
        serde_json::from_str(text).map_err(|e| format!("report limits data file: {e}"))?;
    let mut rules: Vec<DatedRule> = Vec::new();
    for row in file.limits {
        let what = format!("report limits data file: {} {}", row.category, row.step);
        let category = category_of(&row.category).ok_or(format!("{what}: unknown category"))?;
        let step = match row.step.as_str() {
            "accept" => Step::Accept,
            "resolve" => Step::Resolve,
            _ => return Err(format!("{what}: unknown step")),
        };
        dates::from_sql(&row.valid_from).map_err(|_| format!("{what}: bad date"))?;
        if !(0..=3650).contains(&row.days) || row.citation.trim().is_empty() {
            return Err(format!("{what}: needs 0 – 3,650 days and a citation"));
        }
        let kind = kind(category, step);
        if rules
            .iter()
            .any(|r| r.kind == kind && r.valid_from == row.valid_from)
        {
            return Err(format!("{what} from {} twice", row.valid_from));
        }
        rules.push(DatedRule {
            family: "report".into(),
            kind,
            valid_from: row.valid_from,
            value: row.days,
            citation: row.citation,
            id: format!("report-{kind}"),
            create_micros: 0,
        });
    }
    let book = RuleBook(rules);
    for category in [
        ReportCategory::Denunciation,
        ReportCategory::CrimeReport,
        ReportCategory::Reflection,
        ReportCategory::Petition,
    ] {
        for step in [Step::Accept, Step::Resolve] {
            if book.first(kind(category, step)).is_none() {
                return Err(format!(
                    "report limits data file: {} has no {step:?} limit",
                    category.as_str_name()
                ));
            }
        }
    }
    let mut retention = Vec::new();
    for row in file.retention {
        if !CLASSES.contains(&row.class.as_str())
            || !(1..=100).contains(&row.years)
            || retention.iter().any(|(c, _)| *c == row.class)
        {
            return Err(format!(
                "report limits data file: retention class {:?} unknown, twice, or not 1 – 100 years",
                row.class
            ));
        }
        retention.push((row.class, row.years));
    }
    if retention.len() != CLASSES.len() {
        return Err("report limits data file: every retention class needs its years".into());
    }
    Ok(ReportRules {
        limits: book,
        retention,
    })
}

/// The rules shipped with the service (checked by a test).
pub fn shipped() -> &'static ReportRules {
    static SHIPPED: OnceLock<ReportRules> = OnceLock::new();
    SHIPPED.get_or_init(|| parse(DATA_FILE).unwrap_or_else(|e| panic!("{e}")))
}

/// A step's due date and the citation of its limit, for a clock started on
/// `start`: `None` for the due date when the law sets no limit or the step
/// began before the first version.
pub fn due(category: ReportCategory, step: Step, start: Date) -> (Option<Date>, String) {
    match shipped()
        .limits
        .in_force(kind(category, step), &dates::to_sql(start))
    {
        Some(rule) if rule.value > 0 => (
            Some(dates::add_days(start, rule.value)),
            rule.citation.clone(),
        ),
        Some(rule) => (None, rule.citation.clone()),
        None => (None, String::new()),
    }
}

/// The retention class of a report finished with `status` and `outcome`,
/// and the day its content is destroyed when it finished on `decided`.
pub fn retention(status: ReportStatus, outcome: ReportOutcome, decided: Date) -> (String, Date) {
    let class = match (status, outcome) {
        (ReportStatus::Resolved, ReportOutcome::Founded | ReportOutcome::PartlyFounded) => {
            "founded"
        }
        (ReportStatus::Resolved, _) => "unfounded",
        _ => "not-accepted",
    };
    let years = shipped()
        .retention
        .iter()
        .find(|(c, _)| c == class)
        .map_or(100, |(_, y)| *y);
    let expire = decided
        .replace_year(decided.year() + years)
        .unwrap_or_else(|_| {
            // 29 February in a year that has none: 1 March.
            dates::add_days(decided, 1)
                .replace_year(decided.year() + years)
                .unwrap_or(decided)
        });
    (class.to_string(), expire)
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn the_shipped_file_parses_with_every_category_and_class() {
        let rules = shipped();
        assert_eq!(rules.retention.len(), 3);
        assert_eq!(rules.limits.0.len(), 8);
    }

    #[test]
    fn a_denunciation_is_accepted_within_7_days_and_resolved_within_30() {
        let (accept, citation) = due(
            ReportCategory::Denunciation,
            Step::Accept,
            date!(2024 - 03 - 01),
        );
        assert_eq!(accept, Some(date!(2024 - 03 - 08)));
        assert!(citation.contains("Điều 24"), "{citation}");
        let (resolve, citation) = due(
            ReportCategory::Denunciation,
            Step::Resolve,
            date!(2024 - 03 - 05),
        );
        assert_eq!(resolve, Some(date!(2024 - 04 - 04)));
        assert!(citation.contains("Điều 30"), "{citation}");
    }

    #[test]
    fn before_the_law_there_is_no_limit_and_a_reflection_has_no_resolve_limit() {
        assert_eq!(
            due(
                ReportCategory::Denunciation,
                Step::Accept,
                date!(2018 - 12 - 31)
            ),
            (None, String::new())
        );
        let (due, citation) = due(
            ReportCategory::Reflection,
            Step::Resolve,
            date!(2024 - 01 - 01),
        );
        assert_eq!(due, None);
        assert!(!citation.is_empty());
    }

    #[test]
    fn retention_follows_the_outcome() {
        let day = date!(2024 - 02 - 29);
        assert_eq!(
            retention(ReportStatus::Resolved, ReportOutcome::Founded, day),
            ("founded".into(), date!(2044 - 02 - 29))
        );
        assert_eq!(
            retention(ReportStatus::Resolved, ReportOutcome::Unfounded, day),
            ("unfounded".into(), date!(2034 - 03 - 01))
        );
        assert_eq!(
            retention(ReportStatus::NotAccepted, ReportOutcome::Unspecified, day).0,
            "not-accepted"
        );
    }

    #[test]
    fn a_bad_file_is_refused() {
        let bad = DATA_FILE.replace("\"days\": 30", "\"days\": 9999");
        assert!(parse(&bad).unwrap_err().contains("3,650"));
        let unknown = DATA_FILE.replace(
            "\"crime-report\", \"step\": \"accept\"",
            "\"gossip\", \"step\": \"accept\"",
        );
        assert!(parse(&unknown).unwrap_err().contains("unknown category"));
    }
}
