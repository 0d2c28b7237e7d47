//! The 27 manifestations of degradation: the reference data file and its
//! validation (three groups of nine, unique codes `<group>-NN`).

use std::collections::BTreeMap;

use probity_proto::probity::members::v1::{Manifestation, ManifestationGroup};
use serde::Deserialize;

/// The data file shipped with the service.
pub const DATA_FILE: &str = include_str!("../../data/manifestations.json");

#[derive(Deserialize)]
struct File {
    version: String,
    source: String,
    groups: Vec<GroupRow>,
    manifestations: Vec<Row27>,
}

#[derive(Deserialize)]
struct GroupRow {
    code: String,
    key: String,
}

#[derive(Deserialize)]
struct Row27 {
    code: String,
    group: String,
    label_vi: String,
    gloss_en: String,
}

/// The validated reference data.
#[derive(Debug, Clone)]
pub struct Catalogue {
    /// Data file version.
    pub version: String,
    /// The naming document.
    pub source: String,
    /// By code, in code order.
    pub by_code: BTreeMap<String, Manifestation>,
}

impl Catalogue {
    /// Parses and checks a data file: valid JSON, three groups, nine
    /// manifestations in each, 27 in all, codes unique and of the form
    /// `<group>-NN`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: File =
            serde_json::from_str(text).map_err(|e| format!("manifestations data file: {e}"))?;
        let mut groups = BTreeMap::new();
        for g in &file.groups {
            // A group's key is its value's name in the contract, without
            // the enum's prefix.
            let group =
                ManifestationGroup::from_str_name(&format!("MANIFESTATION_GROUP_{}", g.key))
                    .filter(|g| *g != ManifestationGroup::Unspecified)
                    .ok_or_else(|| {
                        format!("manifestations data file: unknown group key {:?}", g.key)
                    })?;
            groups.insert(g.code.clone(), group);
        }
        if groups.len() != 3 {
            return Err(format!(
                "manifestations data file: expected 3 groups, found {}",
                groups.len()
            ));
        }
        let mut by_code = BTreeMap::new();
        for m in file.manifestations {
            let group = *groups.get(&m.group).ok_or_else(|| {
                format!(
                    "manifestations data file: {} names unknown group {:?}",
                    m.code, m.group
                )
            })?;
            if !m.code.starts_with(&format!("{}-", m.group))
                || m.label_vi.trim().is_empty()
                || m.gloss_en.trim().is_empty()
            {
                return Err(format!("manifestations data file: {} is malformed", m.code));
            }
            let code = m.code.clone();
            let entry = Manifestation {
                code: m.code,
                group: group as i32,
                label_vi: m.label_vi,
                gloss_en: m.gloss_en,
            };
            if by_code.insert(code.clone(), entry).is_some() {
                return Err(format!("manifestations data file: duplicate code {code}"));
            }
        }
        if by_code.len() != 27 {
            return Err(format!(
                "manifestations data file: expected 27 manifestations, found {}",
                by_code.len()
            ));
        }
        for (code, group) in &groups {
            let n = by_code
                .values()
                .filter(|m| m.group == *group as i32)
                .count();
            if n != 9 {
                return Err(format!(
                    "manifestations data file: group {code} has {n} manifestations, expected 9"
                ));
            }
        }
        Ok(Self {
            version: file.version,
            source: file.source,
            by_code,
        })
    }

    /// The catalogue shipped with the service.
    pub fn shipped() -> Result<Self, String> {
        Self::parse(DATA_FILE)
    }

    /// True when `code` is one of the 27.
    pub fn contains(&self, code: &str) -> bool {
        self.by_code.contains_key(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_holds_the_27() {
        let c = Catalogue::shipped().unwrap();
        assert_eq!(c.by_code.len(), 27);
        assert!(c.contains("II-04"));
        assert_eq!(c.source, "04-NQ/TW");
    }

    #[test]
    fn a_file_without_27_is_refused() {
        let mut file: serde_json::Value = serde_json::from_str(DATA_FILE).unwrap();
        file["manifestations"].as_array_mut().unwrap().pop();
        let short = serde_json::to_string(&file).unwrap();
        assert!(
            Catalogue::parse(&short)
                .unwrap_err()
                .contains("expected 27")
        );
    }

    #[test]
    fn a_duplicate_code_is_refused() {
        let mut file: serde_json::Value = serde_json::from_str(DATA_FILE).unwrap();
        let list = file["manifestations"].as_array_mut().unwrap();
        let first = list[0].clone();
        list.pop();
        list.push(first);
        let dup = serde_json::to_string(&file).unwrap();
        assert!(
            Catalogue::parse(&dup)
                .unwrap_err()
                .contains("duplicate code I-01")
        );
    }

    #[test]
    fn an_unknown_group_key_is_refused() {
        let mut file: serde_json::Value = serde_json::from_str(DATA_FILE).unwrap();
        file["groups"][0]["key"] = "NOT_A_GROUP".into();
        let bad = serde_json::to_string(&file).unwrap();
        assert!(
            Catalogue::parse(&bad)
                .unwrap_err()
                .contains("unknown group key")
        );
    }

    #[test]
    fn a_file_that_is_not_json_is_refused() {
        assert!(Catalogue::parse("{").is_err());
    }
}
