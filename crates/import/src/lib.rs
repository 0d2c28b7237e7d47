//! Imports the spreadsheets clerks keep into Probity, through the public
//! gRPC API only (`probity import members|organizations FILE`):
//!
//! - [`table`] reads a CSV or XLSX sheet; [`columns`] finds its columns by
//!   English or Vietnamese heading and reads dates and choices;
//! - [`members`] and [`organizations`] turn rows into create requests and
//!   decide, against what is recorded, which rows a re-run skips;
//! - [`send`] makes the calls: batches of members (a dry run sends them
//!   with `validate_only`), organisations parents first;
//! - [`report`] writes each refused row (row, column, reason) next to the
//!   file.
//!
//! A re-run of the same file creates nothing twice: a row whose member
//! (card number, name, date of birth) or organisation (code, name, level,
//! parent) is recorded is skipped, and every batch carries an idempotency
//! key made from its rows.

pub mod columns;
pub mod members;
pub mod organizations;
pub mod report;
pub mod send;
pub mod table;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use probity_platform::client::Authed;

use crate::columns::Columns;
use crate::report::RowError;

/// How to import.
#[derive(Debug, Clone)]
pub struct Options {
    /// Check everything, write nothing.
    pub dry_run: bool,
    /// Resolve codes under this organisation (`organizations/{id}`) only;
    /// default: under every root the caller may see.
    pub under: Option<String>,
    /// Members per `BatchCreateMembers` call (1 to 1,000).
    pub batch: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            dry_run: false,
            under: None,
            batch: 500,
        }
    }
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Rows read below the header.
    pub rows: usize,
    /// Rows created (with a dry run: that would be created).
    pub created: usize,
    /// Rows already recorded, skipped.
    pub skipped: usize,
    /// Rows refused, by row.
    pub errors: Vec<RowError>,
    /// Where the errors were written, when there were any.
    pub report: Option<PathBuf>,
}

/// Why an import could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read.
    #[error("{0}")]
    Read(#[from] table::ReadError),
    /// A required column is missing.
    #[error("{0}")]
    Columns(#[from] columns::MissingColumn),
    /// A call failed for the whole import.
    #[error("{0}")]
    Call(#[from] send::CallError),
    /// The error report could not be written.
    #[error("writing the error report: {0}")]
    Report(std::io::Error),
}

/// Told the rows done so far and the total.
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize);

/// Imports the members in `file` (CSV or XLSX; see [`members::COLUMNS`]).
pub async fn import_members(
    channel: &Authed,
    file: &Path,
    options: &Options,
    progress: Progress<'_>,
) -> Result<Outcome, ImportError> {
    let table = table::read(file)?;
    let columns = Columns::find(&table, members::COLUMNS)?;
    let total = table.rows.len();
    let (rows, mut errors) = members::parse(&table, &columns);
    let mut done = errors.iter().map(|e| e.line).collect::<BTreeSet<_>>().len();
    progress(done, total);
    let organizations = send::visible_organizations(channel, options.under.as_deref()).await?;
    let mut placed = Vec::with_capacity(rows.len());
    for mut row in rows {
        match organizations.get(&row.organization_code) {
            Some((org, _)) => {
                if let Some(m) = row.request.member.as_mut() {
                    m.organization = org.name.clone();
                }
                placed.push(row);
            }
            None => {
                errors.push(RowError {
                    line: row.line,
                    column: columns.heading("organization_code"),
                    reason: format!(
                        "no organisation with code {:?} is recorded (that you may see)",
                        row.organization_code
                    ),
                });
                done += 1;
            }
        }
    }
    let used: BTreeSet<&str> = placed
        .iter()
        .filter_map(|r| r.request.member.as_ref().map(|m| m.organization.as_str()))
        .collect();
    let recorded = send::recorded_members(channel, used).await?;
    let plan = members::plan(placed, &recorded, &columns);
    done += plan.skipped + plan.errors.len();
    progress(done, total);
    errors.extend(plan.errors);
    let (created, refused) = send::send_members(
        channel,
        plan.send,
        &columns,
        options.batch,
        options.dry_run,
        &mut |n| {
            done += n;
            progress(done, total);
        },
    )
    .await?;
    errors.extend(refused);
    finish(file, total, created, plan.skipped, errors)
}

/// Imports the organisations in `file` (see [`organizations::COLUMNS`]).
/// A dry run checks the file, the codes and the parents against the
/// server; the server's own rules (placement, dates) run on import.
pub async fn import_organizations(
    channel: &Authed,
    file: &Path,
    options: &Options,
    progress: Progress<'_>,
) -> Result<Outcome, ImportError> {
    let table = table::read(file)?;
    let columns = Columns::find(&table, organizations::COLUMNS)?;
    let total = table.rows.len();
    let (rows, mut errors) = organizations::parse(&table, &columns);
    let recorded = send::visible_organizations(channel, options.under.as_deref()).await?;
    let plan = organizations::plan(rows, &recorded, &columns);
    let mut done = errors.iter().map(|e| e.line).collect::<BTreeSet<_>>().len()
        + plan.skipped
        + plan.errors.len();
    progress(done, total);
    errors.extend(plan.errors);
    let known: HashMap<String, String> = recorded
        .iter()
        .map(|(code, (org, _))| (code.clone(), org.name.clone()))
        .collect();
    let (created, refused) = send::send_organizations(
        channel,
        plan.send,
        &known,
        &columns,
        options.dry_run,
        &mut |n| {
            done += n;
            progress(done, total);
        },
    )
    .await?;
    errors.extend(refused);
    finish(file, total, created, plan.skipped, errors)
}

fn finish(
    file: &Path,
    rows: usize,
    created: usize,
    skipped: usize,
    mut errors: Vec<RowError>,
) -> Result<Outcome, ImportError> {
    errors.sort();
    let path = report::report_path(file);
    let written = report::write(&path, &errors).map_err(ImportError::Report)?;
    Ok(Outcome {
        rows,
        created,
        skipped,
        errors,
        report: written.then_some(path),
    })
}
