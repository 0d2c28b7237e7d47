//! `probity import members|organizations FILE`: reads the sheet, sends it
//! through the public API with a progress bar, prints what was done and
//! where the per-row error report is. Exits 1 when a row was refused.

use std::process::ExitCode;

use probity_import::{Options, Outcome};

use crate::config::{ImportArgs, ImportCommand};
use crate::progress::Progress;

/// Runs an import subcommand.
pub async fn command(command: ImportCommand) -> anyhow::Result<ExitCode> {
    let (what, args) = match command {
        ImportCommand::Members(args) => ("members", args),
        ImportCommand::Organizations(args) => ("organisations", args),
    };
    let ImportArgs {
        file,
        dry_run,
        under,
        batch,
        client,
    } = args;
    let channel = crate::run::authed(&client, &client.addr)?;
    let options = Options {
        dry_run,
        under,
        batch: usize::from(batch),
    };
    let mut progress = Progress::new(format!("{what}{}", if dry_run { " (dry run)" } else { "" }));
    let mut show = |done, total| progress.update(done, total);
    let outcome = if what == "members" {
        probity_import::import_members(&channel, &file, &options, &mut show).await
    } else {
        probity_import::import_organizations(&channel, &file, &options, &mut show).await
    };
    progress.finish();
    let outcome = outcome.map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    println!(
        "{}",
        summary(&file.display().to_string(), what, dry_run, &outcome)
    );
    Ok(if outcome.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `members.csv: 120 rows; 100 members created, 15 already recorded
/// (skipped), 5 refused: see members.errors.csv`.
fn summary(file: &str, what: &str, dry_run: bool, o: &Outcome) -> String {
    let created = if dry_run {
        "would be created"
    } else {
        "created"
    };
    let mut text = format!(
        "{file}: {} rows; {} {what} {created}, {} already recorded (skipped), {} refused",
        o.rows,
        o.created,
        o.skipped,
        o.errors.len()
    );
    if let Some(report) = &o.report {
        text.push_str(&format!(": see {} (row, column, reason)", report.display()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_the_report() {
        let o = Outcome {
            rows: 3,
            created: 1,
            skipped: 1,
            errors: vec![probity_import::report::RowError {
                line: 2,
                column: "x".into(),
                reason: "y".into(),
            }],
            report: Some("a.errors.csv".into()),
        };
        assert_eq!(
            summary("a.csv", "members", true, &o),
            "a.csv: 3 rows; 1 members would be created, 1 already recorded (skipped), 1 refused: see a.errors.csv (row, column, reason)"
        );
    }
}
