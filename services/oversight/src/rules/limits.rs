//! The time limit of each stage of a case: dated, cited rules of the
//! platform's family [`FAMILY`], shipped in `data/stage-limits.json` (each
//! version citing its law article). A stage gets the version in force on
//! the day the case enters it; a later version leaves stages already
//! started as they were.

use std::sync::OnceLock;

use probity_platform::dated_rules::{DatedRule, RuleBook};
use probity_proto::probity::oversight::v1::CaseStage;
use serde::Deserialize;
use time::Date;

/// The data file shipped with the service.
pub const DATA_FILE: &str = include_str!("../../data/stage-limits.json");

/// The family of the stage limits among the dated rules.
pub const FAMILY: &str = "case_stage";

#[derive(Deserialize)]
struct File {
    version: String,
    limits: Vec<Row>,
}

#[derive(Deserialize)]
struct Row {
    stage: String,
    days: i64,
    valid_from: String,
    citation: String,
}

/// The stage named `key` in the data file (`on-trial` →
/// `CASE_STAGE_ON_TRIAL`).
fn stage_of(key: &str) -> Option<CaseStage> {
    let prefix = CaseStage::Unspecified
        .as_str_name()
        .trim_end_matches("UNSPECIFIED");
    CaseStage::from_str_name(&format!(
        "{prefix}{}",
        key.to_ascii_uppercase().replace('-', "_")
    ))
}

/// True for the stages a case works in, which may have a limit.
pub fn is_working(stage: CaseStage) -> bool {
    !matches!(
        stage,
        CaseStage::Unspecified | CaseStage::Closed | CaseStage::Suspended | CaseStage::Dismissed
    )
}

/// Parses and checks a data file into rule versions: known working stages,
/// ISO dates, days from 0 to 3,650, a citation on each, no version twice.
pub fn parse(text: &str) -> Result<(String, Vec<DatedRule>), String> {
    let file: File =
        serde_json::from_str(text).map_err(|e| format!("stage limits data file: {e}"))?;
    let mut out: Vec<DatedRule> = Vec::new();
    for row in file.limits {
        let stage = stage_of(&row.stage)
            .filter(|s| is_working(*s))
            .ok_or_else(|| format!("stage limits data file: unknown stage {:?}", row.stage))?;
        probity_platform::dates::from_sql(&row.valid_from)
            .map_err(|_| format!("stage limits data file: bad date {:?}", row.valid_from))?;
        if !(0..=3650).contains(&row.days) || row.citation.trim().is_empty() {
            return Err(format!(
                "stage limits data file: {} from {} needs 0 – 3,650 days and a citation",
                row.stage, row.valid_from
            ));
        }
        let kind = stage as i64;
        if out
            .iter()
            .any(|r| r.kind == kind && r.valid_from == row.valid_from)
        {
            return Err(format!(
                "stage limits data file: {} from {} twice",
                row.stage, row.valid_from
            ));
        }
        out.push(DatedRule {
            family: FAMILY.into(),
            kind,
            id: format!("{FAMILY}-{}-{}", row.stage, row.valid_from),
            valid_from: row.valid_from,
            value: row.days,
            citation: row.citation,
            create_micros: 0,
        });
    }
    Ok((file.version, out))
}

/// The versions shipped with the service (checked by a test).
pub fn shipped() -> &'static [DatedRule] {
    static SHIPPED: OnceLock<Vec<DatedRule>> = OnceLock::new();
    SHIPPED.get_or_init(|| parse(DATA_FILE).unwrap_or_else(|e| panic!("{e}")).1)
}

/// A stage's limit as a case gets it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StageLimit {
    /// Calendar days; 0: none.
    pub days: i64,
    /// The law article.
    pub citation: String,
}

/// The limit of `stage` for a case entering it on `day`: the version in
/// force then, or none (0 days) before the first version and for the
/// stages without one.
pub fn limit(book: &RuleBook, stage: CaseStage, day: Date) -> StageLimit {
    book.in_force(stage as i64, &probity_platform::dates::to_sql(day))
        .map(|r| StageLimit {
            days: r.value,
            citation: r.citation.clone(),
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn book() -> RuleBook {
        RuleBook(shipped().to_vec())
    }

    #[test]
    fn the_shipped_file_gives_every_working_stage_a_cited_version() {
        let book = book();
        for stage in [
            CaseStage::Received,
            CaseStage::Verifying,
            CaseStage::Inspecting,
            CaseStage::Investigating,
            CaseStage::Prosecuting,
            CaseStage::OnTrial,
            CaseStage::Enforcing,
        ] {
            let first = book.first(stage as i64).expect("a version");
            assert!(!first.citation.is_empty(), "{stage:?}");
        }
    }

    #[test]
    fn investigation_is_limited_by_article_172_of_the_criminal_procedure_code() {
        let l = limit(&book(), CaseStage::Investigating, date!(2024 - 03 - 01));
        assert_eq!(l.days, 120);
        assert!(l.citation.contains("Điều 172"));
    }

    #[test]
    fn a_stage_entered_before_its_first_version_has_no_limit() {
        let l = limit(&book(), CaseStage::Inspecting, date!(2011 - 06 - 30));
        assert_eq!(l, StageLimit::default());
        assert_eq!(
            limit(&book(), CaseStage::Inspecting, date!(2011 - 07 - 01)).days,
            45
        );
    }

    #[test]
    fn a_stage_gets_the_version_of_the_law_in_force_the_day_it_began() {
        let before = limit(&book(), CaseStage::Investigating, date!(2017 - 12 - 31));
        let after = limit(&book(), CaseStage::Investigating, date!(2018 - 01 - 01));
        assert!(before.citation.contains("2003"), "{}", before.citation);
        assert!(after.citation.contains("2015"), "{}", after.citation);
    }

    #[test]
    fn the_finished_stages_have_no_limit() {
        assert_eq!(
            limit(&book(), CaseStage::Closed, date!(2024 - 01 - 01)).days,
            0
        );
    }

    #[test]
    fn a_version_given_twice_is_refused() {
        let text = r#"{"version":"1","limits":[
            {"stage":"verifying","days":20,"valid_from":"2018-01-01","citation":"a"},
            {"stage":"verifying","days":30,"valid_from":"2018-01-01","citation":"b"}]}"#;
        assert!(parse(text).unwrap_err().contains("twice"));
    }

    #[test]
    fn an_unknown_or_finished_stage_is_refused() {
        let text = r#"{"version":"1","limits":[
            {"stage":"closed","days":20,"valid_from":"2018-01-01","citation":"a"}]}"#;
        assert!(parse(text).unwrap_err().contains("unknown stage"));
    }
}
