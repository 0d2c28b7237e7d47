//! Reading a spreadsheet into a header and rows of text: CSV (UTF-8, a
//! byte-order mark allowed, `,` or `;` between cells) or the first sheet
//! of an XLSX workbook. Cells become text as a clerk sees them: a date
//! cell `yyyy-mm-dd`, a whole number without a decimal point.

use std::path::Path;

use calamine::{Data, Reader, Xlsx};

/// One row of a sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Its number as the spreadsheet shows it (the header is row 1).
    pub line: usize,
    /// Its cells, trimmed, as many as the header has.
    pub cells: Vec<String>,
}

/// A sheet: its header and the rows under it (rows with no text skipped).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The header's cells, trimmed.
    pub headers: Vec<String>,
    /// The rows below the header.
    pub rows: Vec<Row>,
}

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A CSV file was malformed.
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    /// An XLSX workbook was malformed.
    #[error("XLSX: {0}")]
    Xlsx(#[from] calamine::XlsxError),
    /// Neither `.csv` nor `.xlsx`.
    #[error("{0}: give a .csv or .xlsx file")]
    UnknownKind(String),
    /// No header row.
    #[error("the file is empty: the first row must name the columns")]
    Empty,
}

/// Reads `path` by its extension.
pub fn read(path: &Path) -> Result<Table, ReadError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "csv" => read_csv(&std::fs::read(path)?),
        "xlsx" => read_xlsx(path),
        _ => Err(ReadError::UnknownKind(path.display().to_string())),
    }
}

/// Reads CSV text; the delimiter is `;` when the header has more of them
/// than commas (spreadsheets in Vietnamese locales write `;`).
pub fn read_csv(bytes: &[u8]) -> Result<Table, ReadError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let semicolons = first.iter().filter(|b| **b == b';').count();
    let commas = first.iter().filter(|b| **b == b',').count();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(if semicolons > commas { b';' } else { b',' })
        .from_reader(bytes);
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record?;
        // A record's position is where the reader was before it skipped
        // blank lines: count them to give the row the sheet shows.
        let line = record.position().map_or(0, |p| {
            let skipped = bytes[p.byte() as usize..]
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .filter(|b| **b == b'\n')
                .count();
            p.line() as usize + skipped
        });
        lines.push((line, record.iter().map(str::to_string).collect()));
    }
    table(lines)
}

fn read_xlsx(path: &Path) -> Result<Table, ReadError> {
    let mut workbook: Xlsx<_> = calamine::open_workbook(path)?;
    let Some(range) = workbook.worksheet_range_at(0) else {
        return Err(ReadError::Empty);
    };
    let range = range?;
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let lines = range
        .rows()
        .enumerate()
        .map(|(i, cells)| (first_row + i + 1, cells.iter().map(cell_text).collect()))
        .collect();
    table(lines)
}

/// A cell as text: dates as `yyyy-mm-dd`, whole numbers without `.0`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => excel_date(d.as_f64()).unwrap_or_else(|| d.as_f64().to_string()),
    }
}

/// An Excel serial date (days since 1899-12-30) as `yyyy-mm-dd`.
fn excel_date(serial: f64) -> Option<String> {
    let epoch = time::Date::from_calendar_date(1899, time::Month::December, 30).ok()?;
    let date = epoch.checked_add(time::Duration::days(serial.floor() as i64))?;
    Some(format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        date.month() as u8,
        date.day()
    ))
}

fn table(lines: Vec<(usize, Vec<String>)>) -> Result<Table, ReadError> {
    let mut lines = lines
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
    let Some((_, headers)) = lines.next() else {
        return Err(ReadError::Empty);
    };
    let headers: Vec<String> = headers.iter().map(|h| h.trim().to_string()).collect();
    let width = headers.len();
    let rows = lines
        .map(|(line, cells)| {
            let mut cells: Vec<String> = cells.iter().map(|c| c.trim().to_string()).collect();
            cells.resize(width.max(cells.len()), String::new());
            Row { line, cells }
        })
        .collect();
    Ok(Table { headers, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_a_bom_semicolons_and_blank_lines_reads_by_spreadsheet_row() {
        let text = "\u{feff}Họ và tên;Số thẻ\n\nNguyễn Văn An ; 001.234\n\"Lê, Thị\";9\n";
        let t = read_csv(text.as_bytes()).unwrap();
        assert_eq!(t.headers, ["Họ và tên", "Số thẻ"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].line, 3);
        assert_eq!(t.rows[0].cells, ["Nguyễn Văn An", "001.234"]);
        assert_eq!(t.rows[1].cells, ["Lê, Thị", "9"]);
    }

    #[test]
    fn short_rows_are_padded_and_an_empty_file_is_refused() {
        let t = read_csv(b"a,b,c\n1\n").unwrap();
        assert_eq!(t.rows[0].cells, ["1", "", ""]);
        assert!(matches!(read_csv(b"\n\n"), Err(ReadError::Empty)));
    }

    #[test]
    fn excel_serial_dates_and_whole_numbers_read_as_a_clerk_sees_them() {
        assert_eq!(excel_date(42704.0).as_deref(), Some("2016-11-30"));
        assert_eq!(cell_text(&Data::Float(10000123.0)), "10000123");
        assert_eq!(cell_text(&Data::Float(1.5)), "1.5");
    }
}
