//! Report definitions: the data file `data/definitions.json`, versioned,
//! each version naming its sections and the figure each takes from which
//! service, method and field of the answer. Checked at start-up: every
//! figure must be one [`super::figures::supported`] can read.

use std::sync::OnceLock;

use probity_proto::probity::reports::v1::{
    FigureDefinition as ProtoFigure, FigureKind, ReportDefinition as ProtoDefinition,
    SectionDefinition as ProtoSection,
};
use serde::Deserialize;

/// The data file shipped with the service.
pub const DATA_FILE: &str = include_str!("../../data/definitions.json");

/// The definition a report is issued by when the request names none.
pub const DEFAULT_ID: &str = "period-report";

/// What a section is repeated over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Repeat {
    /// Once.
    #[default]
    Once,
    /// Once for each study plan of the organisation issued in the period.
    Plans,
    /// Once for each calendar year of the period up to the as-of date.
    Years,
}

/// One figure of a section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FigureDef {
    /// Key within the section.
    pub key: String,
    /// Vietnamese label.
    pub label_vi: String,
    /// English label.
    pub label_en: String,
    /// Full service name.
    pub service: String,
    /// Method.
    pub method: String,
    /// Field of the answer.
    pub field: String,
    /// `count`, `rate` or `amount` (VND).
    pub kind: String,
    /// Whether units' values add up to their parent's (false for a figure
    /// that counts the same record for every unit, such as the plans
    /// covering them). Default true.
    #[serde(default = "additive_by_default")]
    pub additive: bool,
}

fn additive_by_default() -> bool {
    true
}

impl FigureDef {
    /// The kind as the contract's enum.
    pub fn kind(&self) -> FigureKind {
        kind_of(&self.kind)
    }
}

/// The figure kind a definition's word names (`count`, `rate`,
/// `amount`); `Unspecified` for any other word.
pub fn kind_of(word: &str) -> FigureKind {
    match word {
        "count" => FigureKind::Count,
        "rate" => FigureKind::Rate,
        "amount" => FigureKind::AmountVnd,
        _ => FigureKind::Unspecified,
    }
}

/// The word a definition uses for `kind`.
pub fn word_of(kind: FigureKind) -> &'static str {
    match kind {
        FigureKind::Count => "count",
        FigureKind::Rate => "rate",
        FigureKind::AmountVnd => "amount",
        FigureKind::Unspecified => "",
    }
}

/// One section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SectionDef {
    /// Key.
    pub key: String,
    /// What it repeats over.
    #[serde(default)]
    pub repeat: Repeat,
    /// For a section repeated over years: the first year it has figures
    /// for (members keeps books and reviews since 2017).
    #[serde(default)]
    pub first_year: Option<i32>,
    /// Vietnamese title (a repeated section's is followed by the plan's
    /// symbol or the year).
    pub title_vi: String,
    /// English title.
    pub title_en: String,
    /// A sentence in Vietnamese with `{figure_key}` placeholders, printed
    /// above the section's table.
    #[serde(default)]
    pub sentence_vi: String,
    /// The same in English.
    #[serde(default)]
    pub sentence_en: String,
    /// Its figures.
    pub figures: Vec<FigureDef>,
    /// The key of the figure broken down by child organisation (drawn as
    /// the section's chart); empty for none.
    #[serde(default)]
    pub breakdown: String,
}

/// One version of a definition.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Definition {
    /// Id, as in `reportDefinitions/{id}`.
    pub id: String,
    /// Version.
    pub version: i32,
    /// First day it is the default (`YYYY-MM-DD`).
    pub valid_from: String,
    /// Vietnamese title.
    pub title_vi: String,
    /// English title.
    pub title_en: String,
    /// Sections in order.
    pub sections: Vec<SectionDef>,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Definitions {
    /// Every version of every definition.
    pub definitions: Vec<Definition>,
}

impl Definitions {
    /// Parses and checks a data file: ids and versions unique, dates valid,
    /// labels in both languages, every figure readable, placeholders known.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut file: Definitions =
            serde_json::from_str(text).map_err(|e| format!("definitions data file: {e}"))?;
        let mut seen = std::collections::HashSet::new();
        for d in &file.definitions {
            let at = format!("definitions data file: {} v{}", d.id, d.version);
            if d.id.is_empty() || d.version < 1 || !seen.insert((d.id.clone(), d.version)) {
                return Err(format!("{at}: empty id, version under 1 or repeated"));
            }
            probity_platform::dates::from_sql(&d.valid_from)
                .map_err(|_| format!("{at}: valid_from is not YYYY-MM-DD"))?;
            if d.title_vi.is_empty() || d.title_en.is_empty() || d.sections.is_empty() {
                return Err(format!("{at}: titles in both languages and a section"));
            }
            let mut keys = std::collections::HashSet::new();
            for s in &d.sections {
                if !keys.insert(s.key.as_str()) || s.figures.is_empty() {
                    return Err(format!("{at}: section {:?} repeated or empty", s.key));
                }
                for f in &s.figures {
                    if f.label_vi.is_empty() || f.label_en.is_empty() {
                        return Err(format!("{at}: {}/{} needs both labels", s.key, f.key));
                    }
                    if !super::figures::supported(&f.service, &f.method, &f.field, f.kind()) {
                        return Err(format!(
                            "{at}: {}/{}: {}.{} has no {} of kind {}",
                            s.key, f.key, f.service, f.method, f.field, f.kind
                        ));
                    }
                }
                if !s.breakdown.is_empty() {
                    let broken = s.figures.iter().find(|f| f.key == s.breakdown);
                    if !broken.is_some_and(|f| super::figures::breaks_down(&f.method, &f.field)) {
                        return Err(format!(
                            "{at}: {} cannot break down {:?} by child organisation",
                            s.key, s.breakdown
                        ));
                    }
                }
                for sentence in [&s.sentence_vi, &s.sentence_en] {
                    for key in placeholders(sentence) {
                        if !s.figures.iter().any(|f| f.key == key) {
                            return Err(format!("{at}: {} names no figure {key:?}", s.key));
                        }
                    }
                }
            }
        }
        file.definitions
            .sort_by(|a, b| (&a.id, a.version).cmp(&(&b.id, b.version)));
        Ok(file)
    }

    /// The shipped file (checked by a test and at start-up).
    pub fn shipped() -> &'static Definitions {
        static FILE: OnceLock<Definitions> = OnceLock::new();
        FILE.get_or_init(|| Definitions::parse(DATA_FILE).expect("shipped definitions are valid"))
    }

    /// Version `version` of `id`, or (0) the latest whose `valid_from` is
    /// not after `date` (`YYYY-MM-DD`), else the first.
    pub fn find(&self, id: &str, version: i32, date: &str) -> Option<&Definition> {
        let versions = self.definitions.iter().filter(|d| d.id == id);
        if version > 0 {
            return versions.into_iter().find(|d| d.version == version);
        }
        let all: Vec<&Definition> = versions.collect();
        all.iter()
            .rev()
            .find(|d| d.valid_from.as_str() <= date)
            .or_else(|| all.first())
            .copied()
    }
}

/// The `{key}` placeholders of a sentence, in order.
pub fn placeholders(sentence: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = sentence;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push(&rest[start + 1..start + len]);
        rest = &rest[start + len + 1..];
    }
    out
}

impl Definition {
    /// Whether the report figure `key` (`{section}[/{instance}]/{figure}`)
    /// adds up across units; unknown keys do not.
    pub fn additive(&self, key: &str) -> bool {
        self.sections.iter().any(|s| {
            key.starts_with(&format!("{}/", s.key))
                && s.figures
                    .iter()
                    .any(|f| f.additive && key.ends_with(&format!("/{}", f.key)))
        })
    }

    /// The wire form.
    pub fn to_proto(&self) -> ProtoDefinition {
        ProtoDefinition {
            name: format!("reportDefinitions/{}", self.id),
            version: self.version,
            title_vi: self.title_vi.clone(),
            title_en: self.title_en.clone(),
            valid_from: probity_platform::dates::from_sql(&self.valid_from)
                .ok()
                .map(probity_platform::dates::to_proto),
            sections: self
                .sections
                .iter()
                .map(|s| ProtoSection {
                    key: s.key.clone(),
                    title_vi: s.title_vi.clone(),
                    title_en: s.title_en.clone(),
                    figures: s
                        .figures
                        .iter()
                        .map(|f| ProtoFigure {
                            key: f.key.clone(),
                            label_vi: f.label_vi.clone(),
                            label_en: f.label_en.clone(),
                            service: f.service.clone(),
                            method: f.method.clone(),
                            field: f.field.clone(),
                            kind: f.kind() as i32,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_is_valid() {
        let file = Definitions::parse(DATA_FILE).expect("valid");
        let d = file.find(DEFAULT_ID, 0, "2021-12-31").expect("default");
        assert_eq!(d.version, 1);
        assert!(d.sections.iter().any(|s| s.repeat == Repeat::Plans));
    }

    #[test]
    fn an_unreadable_field_or_unknown_placeholder_is_refused() {
        let bad_field = DATA_FILE.replace("total.classes_held", "total.classes_cancelled");
        assert!(
            Definitions::parse(&bad_field)
                .unwrap_err()
                .contains("classes_cancelled")
        );
        let bad_sentence = DATA_FILE.replace("{non_members} quần", "{nobody} quần");
        assert!(
            Definitions::parse(&bad_sentence)
                .unwrap_err()
                .contains("nobody")
        );
    }

    #[test]
    fn versions_are_found_by_number_or_date() {
        let mut file = Definitions::parse(DATA_FILE).unwrap();
        let mut v2 = file.definitions[0].clone();
        v2.version = 2;
        v2.valid_from = "2022-01-01".into();
        file.definitions.push(v2);
        assert_eq!(file.find(DEFAULT_ID, 0, "2021-06-30").unwrap().version, 1);
        assert_eq!(file.find(DEFAULT_ID, 0, "2022-06-30").unwrap().version, 2);
        assert_eq!(file.find(DEFAULT_ID, 1, "2022-06-30").unwrap().version, 1);
        assert!(file.find(DEFAULT_ID, 3, "2022-06-30").is_none());
        assert!(file.find("nothing", 0, "2022-06-30").is_none());
    }

    #[test]
    fn placeholders_are_read_in_order() {
        assert_eq!(placeholders("{a} and {b}."), vec!["a", "b"]);
        assert!(placeholders("none").is_empty());
    }
}
