//! The sectors cases and inspections are recorded against: the data file
//! `data/sectors.json`, versioned, each sector with a "prone to
//! corruption" flag and the document that names it so.

use std::sync::OnceLock;

use serde::Deserialize;

/// The data file shipped with the service.
pub const DATA_FILE: &str = include_str!("../../data/sectors.json");

/// One sector of the file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Sector {
    /// Its code, the id in `sectors/{code}`.
    pub code: String,
    /// Vietnamese name.
    pub name: String,
    /// English name.
    pub english: String,
    /// Prone to corruption.
    pub prone: bool,
    /// The document naming it prone (empty when not).
    pub citation: String,
}

/// The validated file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Sectors {
    /// The file's version.
    pub version: String,
    /// The sectors, in the file's order.
    pub sectors: Vec<Sector>,
}

impl Sectors {
    /// Parses and checks a data file: codes unique, lower-case letters,
    /// digits and dashes; names given; a prone sector cites its source.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: Sectors =
            serde_json::from_str(text).map_err(|e| format!("sectors data file: {e}"))?;
        if file.version.is_empty() || file.sectors.is_empty() {
            return Err("sectors data file: a version and at least one sector".into());
        }
        let mut seen = std::collections::HashSet::new();
        for s in &file.sectors {
            let good_code = !s.code.is_empty()
                && s.code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !good_code || !seen.insert(s.code.as_str()) {
                return Err(format!(
                    "sectors data file: bad or repeated code {:?}",
                    s.code
                ));
            }
            if s.name.is_empty() || s.english.is_empty() {
                return Err(format!("sectors data file: {} has no name", s.code));
            }
            if s.prone && s.citation.is_empty() {
                return Err(format!(
                    "sectors data file: {} is prone but cites nothing",
                    s.code
                ));
            }
        }
        Ok(file)
    }

    /// The file shipped with the service (checked by a test).
    pub fn shipped() -> &'static Sectors {
        static SHIPPED: OnceLock<Sectors> = OnceLock::new();
        SHIPPED.get_or_init(|| Sectors::parse(DATA_FILE).unwrap_or_else(|e| panic!("{e}")))
    }

    /// The sector with this code.
    pub fn get(&self, code: &str) -> Option<&Sector> {
        self.sectors.iter().find(|s| s.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_is_valid_and_marks_the_sectors_of_the_design() {
        let s = Sectors::shipped();
        for code in [
            "land",
            "construction",
            "budget-finance",
            "health",
            "education",
            "natural-resources",
            "banking",
            "state-enterprises",
        ] {
            assert!(s.get(code).is_some_and(|x| x.prone), "{code}");
        }
        assert!(s.get("other").is_some_and(|x| !x.prone));
    }

    #[test]
    fn a_repeated_code_is_refused() {
        let text = r#"{"version":"1","sectors":[
            {"code":"a","name":"A","english":"A","prone":false,"citation":""},
            {"code":"a","name":"B","english":"B","prone":false,"citation":""}]}"#;
        assert!(Sectors::parse(text).unwrap_err().contains("repeated"));
    }

    #[test]
    fn a_prone_sector_must_cite_its_source() {
        let text = r#"{"version":"1","sectors":[
            {"code":"a","name":"A","english":"A","prone":true,"citation":""}]}"#;
        assert!(Sectors::parse(text).unwrap_err().contains("cites nothing"));
    }
}
