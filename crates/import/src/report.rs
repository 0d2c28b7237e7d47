//! What an import says about its rows: the errors, each with its
//! spreadsheet row, column and reason, written as a CSV file next to the
//! imported one (`FILE.errors.csv`) for the clerk to fix and re-run.

use std::path::{Path, PathBuf};

/// Why one row was not imported.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RowError {
    /// The row's number as the spreadsheet shows it.
    pub line: usize,
    /// The column's heading as the file writes it (empty: the whole row).
    pub column: String,
    /// Why, in words.
    pub reason: String,
}

/// Where the error report of `file` goes: `members.csv` →
/// `members.errors.csv`.
pub fn report_path(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map_or_else(|| "import".into(), |s| s.to_string_lossy().into_owned());
    file.with_file_name(format!("{stem}.errors.csv"))
}

/// Writes `errors` (sorted by row) to `path` as CSV with the columns
/// `row,column,reason`; with no errors, removes a report left by an
/// earlier run instead. Returns whether a report was written.
pub fn write(path: &Path, errors: &[RowError]) -> std::io::Result<bool> {
    if errors.is_empty() {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        return Ok(false);
    }
    let mut sorted = errors.to_vec();
    sorted.sort();
    let mut writer = csv::Writer::from_path(path).map_err(std::io::Error::other)?;
    writer
        .write_record(["row", "column", "reason"])
        .map_err(std::io::Error::other)?;
    for e in &sorted {
        writer
            .write_record([e.line.to_string().as_str(), &e.column, &e.reason])
            .map_err(std::io::Error::other)?;
    }
    writer.flush()?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_lists_rows_in_order_and_goes_away_when_all_is_well() {
        let dir = tempfile::tempdir().unwrap();
        let path = report_path(&dir.path().join("đảng viên.xlsx"));
        assert!(path.ends_with("đảng viên.errors.csv"));
        let errors = [
            RowError {
                line: 9,
                column: "Số thẻ".into(),
                reason: "taken, really".into(),
            },
            RowError {
                line: 3,
                column: String::new(),
                reason: "x".into(),
            },
        ];
        assert!(write(&path, &errors).unwrap());
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "row,column,reason\n3,,x\n9,Số thẻ,\"taken, really\"\n"
        );
        assert!(!write(&path, &[]).unwrap());
        assert!(!path.exists());
    }
}
