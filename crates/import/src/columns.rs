//! Which column holds what: each field an import reads has an English name
//! and the Vietnamese headings clerks use, matched without case, diacritics
//! or `_`; and the cell parsers (dates, gender, status, level) that accept
//! what such sheets hold.

use probity_platform::text::fold;
use probity_proto::google::r#type::Date;

use crate::report::RowError;
use crate::table::{Row, Table};

/// A field an import reads.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Its English name, as the examples' headers write it.
    pub key: &'static str,
    /// Other headings accepted for it, folded (`ho va ten`).
    pub aliases: &'static [&'static str],
    /// Whether the file must have it.
    pub required: bool,
    /// The request field the server names in a violation of it, after
    /// `requests[i].` (empty: none).
    pub field: &'static str,
}

/// Where each column of a [`Table`] is, for one import's columns.
#[derive(Debug)]
pub struct Columns {
    columns: &'static [Column],
    index: Vec<Option<usize>>,
    headers: Vec<String>,
}

/// The header does not name a required column.
#[derive(Debug, thiserror::Error)]
#[error(
    "the first row has no column {missing:?} (or one of its Vietnamese names: {aliases}); it has: {found}"
)]
pub struct MissingColumn {
    /// The column's English name.
    pub missing: &'static str,
    /// Its other names.
    pub aliases: String,
    /// The headers found.
    pub found: String,
}

fn folded_header(header: &str) -> String {
    fold(&header.replace(['_', '-'], " "))
}

impl Columns {
    /// Finds `columns` in `table`'s header.
    pub fn find(table: &Table, columns: &'static [Column]) -> Result<Self, MissingColumn> {
        let folded: Vec<String> = table.headers.iter().map(|h| folded_header(h)).collect();
        let mut index = Vec::with_capacity(columns.len());
        for c in columns {
            let at = folded
                .iter()
                .position(|h| *h == folded_header(c.key) || c.aliases.contains(&h.as_str()));
            if at.is_none() && c.required {
                return Err(MissingColumn {
                    missing: c.key,
                    aliases: c.aliases.join(", "),
                    found: table.headers.join(", "),
                });
            }
            index.push(at);
        }
        Ok(Self {
            columns,
            index,
            headers: table.headers.clone(),
        })
    }

    fn position(&self, key: &str) -> Option<usize> {
        let i = self.columns.iter().position(|c| c.key == key)?;
        self.index[i]
    }

    /// The cell of column `key` in `row` (empty when the file lacks it).
    pub fn cell<'r>(&self, row: &'r Row, key: &str) -> &'r str {
        self.position(key)
            .and_then(|i| row.cells.get(i))
            .map_or("", String::as_str)
    }

    /// The heading the file gives column `key`, for an error report.
    pub fn heading(&self, key: &str) -> String {
        self.position(key)
            .and_then(|i| self.headers.get(i).cloned())
            .unwrap_or_else(|| key.to_string())
    }

    /// The heading of the column whose request field is `field` (a
    /// violation's path after `requests[i].`), or `field` itself.
    pub fn heading_of_field(&self, field: &str) -> String {
        self.columns
            .iter()
            .find(|c| !c.field.is_empty() && c.field == field)
            .map_or_else(|| field.to_string(), |c| self.heading(c.key))
    }

    /// An error of `row` in column `key`.
    pub fn error(&self, row: &Row, key: &str, reason: impl Into<String>) -> RowError {
        RowError {
            line: row.line,
            column: self.heading(key),
            reason: reason.into(),
        }
    }
}

/// A date written `dd/mm/yyyy` (also with `-` or `.`) or `yyyy-mm-dd`.
pub fn date(text: &str) -> Result<Date, String> {
    let bad = || format!("{text:?} is not a date: write dd/mm/yyyy or yyyy-mm-dd");
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    let [a, b, c] = parts.as_slice() else {
        return Err(bad());
    };
    let number = |s: &str| s.trim().parse::<i32>().map_err(|_| bad());
    let (year, month, day) = if a.len() == 4 {
        (number(a)?, number(b)?, number(c)?)
    } else {
        (number(c)?, number(b)?, number(a)?)
    };
    let month_enum = u8::try_from(month)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(bad)?;
    time::Date::from_calendar_date(year, month_enum, u8::try_from(day).map_err(|_| bad())?)
        .map_err(|_| bad())?;
    Ok(Date { year, month, day })
}

/// An optional date: empty is none.
pub fn optional_date(text: &str) -> Result<Option<Date>, String> {
    if text.is_empty() {
        Ok(None)
    } else {
        date(text).map(Some)
    }
}

/// Finds `text` (folded) among `choices` of (folded names, value).
pub fn choice<T: Copy>(text: &str, choices: &[(&[&str], T)], what: &str) -> Result<T, String> {
    let folded = folded_header(text);
    choices
        .iter()
        .find(|(names, _)| names.contains(&folded.as_str()))
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let known: Vec<&str> = choices
                .iter()
                .flat_map(|(n, _)| n.iter().copied())
                .collect();
            format!(
                "{text:?} is not a {what}: write one of {}",
                known.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_day_first_or_iso_and_refuse_impossible_ones() {
        assert_eq!(
            date("30/11/2016").unwrap(),
            Date {
                year: 2016,
                month: 11,
                day: 30
            }
        );
        assert_eq!(date("2016-11-30").unwrap(), date("30.11.2016").unwrap());
        assert_eq!(date("1/2/1980").unwrap().month, 2);
        assert!(date("31/02/2016").is_err());
        assert!(date("2016/30").is_err());
        assert!(date("hôm qua").is_err());
        assert_eq!(optional_date("").unwrap(), None);
    }

    #[test]
    fn headings_match_without_case_diacritics_or_underscores() {
        const COLUMNS: &[Column] = &[Column {
            key: "full_name",
            aliases: &["ho va ten", "ho ten"],
            required: true,
            field: "member.full_name",
        }];
        let table = Table {
            headers: vec!["STT".into(), "Họ và tên".into()],
            rows: vec![Row {
                line: 2,
                cells: vec!["1".into(), "Lê Văn Bình".into()],
            }],
        };
        let columns = Columns::find(&table, COLUMNS).unwrap();
        assert_eq!(columns.cell(&table.rows[0], "full_name"), "Lê Văn Bình");
        assert_eq!(columns.heading_of_field("member.full_name"), "Họ và tên");
        let other = Table {
            headers: vec!["Full Name".into()],
            rows: vec![],
        };
        assert!(Columns::find(&other, COLUMNS).is_ok());
        let none = Table {
            headers: vec!["Tên".into()],
            rows: vec![],
        };
        let err = Columns::find(&none, COLUMNS).unwrap_err();
        assert!(err.to_string().contains("full_name"), "{err}");
    }

    #[test]
    fn choices_are_matched_folded_and_the_refusal_lists_them() {
        let genders: &[(&[&str], i32)] = &[(&["nam", "male"], 1), (&["nu", "female"], 2)];
        assert_eq!(choice("Nữ", genders, "gender").unwrap(), 2);
        let err = choice("x", genders, "gender").unwrap_err();
        assert!(err.contains("nam, male, nu, female"), "{err}");
    }
}
