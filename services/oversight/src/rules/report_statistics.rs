//! What the published statistics count of whistleblower reports and of
//! recommendations, as rows of cells with their additive groups, for
//! [`crate::rules::statistics::suppress_table`].

use probity_proto::probity::oversight::v1::{
    RecommendationKind, RecommendationStatus, ReportCategory, ReportOutcome, ReportStatus,
};
use time::Date;

/// The categories counted, in the order published.
pub const CATEGORIES: [ReportCategory; 4] = [
    ReportCategory::Denunciation,
    ReportCategory::CrimeReport,
    ReportCategory::Reflection,
    ReportCategory::Petition,
];

/// The statuses counted, in the order published.
pub const STATUSES: [ReportStatus; 5] = [
    ReportStatus::Received,
    ReportStatus::Accepted,
    ReportStatus::NotAccepted,
    ReportStatus::Transferred,
    ReportStatus::Resolved,
];

/// The outcomes counted, in the order published.
pub const OUTCOMES: [ReportOutcome; 3] = [
    ReportOutcome::Founded,
    ReportOutcome::PartlyFounded,
    ReportOutcome::Unfounded,
];

/// Cells of a report row ([`ReportTally::cells`]).
pub const REPORT_ROW: usize = 20;

/// The additive groups of a report row: received = categories = statuses =
/// anonymous + named; resolved = outcomes; handled = not accepted +
/// transferred + resolved = on time + late.
pub fn report_groups() -> Vec<(usize, Vec<usize>)> {
    vec![
        (0, (1..5).collect()),
        (0, (5..10).collect()),
        (0, vec![10, 11]),
        (9, vec![12, 13, 14]),
        (15, vec![7, 8, 9]),
        (15, vec![16, 17]),
    ]
}

/// What statistics need of one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportFacts {
    /// What it is in law.
    pub category: ReportCategory,
    /// Where it stands.
    pub status: ReportStatus,
    /// The outcome, once resolved.
    pub outcome: ReportOutcome,
    /// True when the reporter gave no identity.
    pub anonymous: bool,
    /// Due date of the accept step.
    pub accept_due: Option<Date>,
    /// Due date of the resolve step.
    pub resolve_due: Option<Date>,
    /// The day of the last decision.
    pub decided: Option<Date>,
    /// A protection measure is on file.
    pub protected: bool,
    /// A retaliation complaint is on file.
    pub retaliation: bool,
}

impl ReportFacts {
    /// True for a finished report decided by the due date of the step it
    /// finished in (the accept step for one not accepted or transferred,
    /// the resolve step for one resolved); one without a limit is on time.
    pub fn on_time(&self) -> bool {
        let due = match self.status {
            ReportStatus::Resolved => self.resolve_due,
            _ => self.accept_due,
        };
        match (due, self.decided) {
            (Some(due), Some(day)) => day <= due,
            _ => true,
        }
    }
}

/// The counts of the reports of one subtree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportTally {
    /// Received in the period.
    pub received: i64,
    /// By category, in [`CATEGORIES`] order.
    pub by_category: [i64; 4],
    /// By status, in [`STATUSES`] order.
    pub by_status: [i64; 5],
    /// Without an identity.
    pub anonymous: i64,
    /// With one.
    pub named: i64,
    /// Resolved, by outcome, in [`OUTCOMES`] order.
    pub by_outcome: [i64; 3],
    /// Finished: not accepted, transferred or resolved.
    pub handled: i64,
    /// Finished by the due date.
    pub on_time: i64,
    /// Finished after it.
    pub late: i64,
    /// With a protection measure on file.
    pub protected: i64,
    /// With a retaliation complaint on file.
    pub retaliation: i64,
}

impl ReportTally {
    /// Counts `reports`.
    pub fn of(reports: &[ReportFacts]) -> Self {
        let mut t = ReportTally::default();
        for r in reports {
            t.received += 1;
            if let Some(i) = CATEGORIES.iter().position(|c| *c == r.category) {
                t.by_category[i] += 1;
            }
            if let Some(i) = STATUSES.iter().position(|s| *s == r.status) {
                t.by_status[i] += 1;
            }
            if r.anonymous {
                t.anonymous += 1;
            } else {
                t.named += 1;
            }
            if r.status == ReportStatus::Resolved
                && let Some(i) = OUTCOMES.iter().position(|o| *o == r.outcome)
            {
                t.by_outcome[i] += 1;
            }
            if matches!(
                r.status,
                ReportStatus::NotAccepted | ReportStatus::Transferred | ReportStatus::Resolved
            ) {
                t.handled += 1;
                if r.on_time() {
                    t.on_time += 1;
                } else {
                    t.late += 1;
                }
            }
            t.protected += i64::from(r.protected);
            t.retaliation += i64::from(r.retaliation);
        }
        t
    }

    /// The counts as a row of cells: received, categories, statuses,
    /// anonymous, named, outcomes, handled, on time, late, protected,
    /// retaliation complaints.
    pub fn cells(&self) -> Vec<i64> {
        let mut out = vec![self.received];
        out.extend(self.by_category);
        out.extend(self.by_status);
        out.extend([self.anonymous, self.named]);
        out.extend(self.by_outcome);
        out.extend([
            self.handled,
            self.on_time,
            self.late,
            self.protected,
            self.retaliation,
        ]);
        out
    }
}

/// Cells of a recommendation row ([`RecommendationTally::cells`]).
pub const RECOMMENDATION_ROW: usize = 6;

/// The additive group of a recommendation row: due = implemented + partly
/// + not implemented + pending.
pub fn recommendation_groups() -> Vec<(usize, Vec<usize>)> {
    vec![(0, vec![1, 2, 3, 4])]
}

/// What statistics need of one recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecommendationFacts {
    /// Where it stands.
    pub status: RecommendationStatus,
    /// What it asks.
    pub kind: RecommendationKind,
    /// Recommended amount.
    pub recommended: i64,
    /// Implemented amount.
    pub implemented: i64,
    /// Due date.
    pub due: Date,
}

/// The counts of the recommendations of one subtree due in a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecommendationTally {
    /// Due in the period, no longer applicable ones left out.
    pub due: i64,
    /// Implemented in full.
    pub implemented: i64,
    /// Implemented in part.
    pub partly: i64,
    /// Closed as not implemented.
    pub not_implemented: i64,
    /// Open or in progress.
    pub pending: i64,
    /// Of those pending, past their due date today.
    pub overdue: i64,
    /// Amount recommended (recover-amount ones).
    pub amount_recommended: i64,
    /// Amount implemented (recover-amount ones).
    pub amount_implemented: i64,
}

impl RecommendationTally {
    /// Counts `rows`, overdue as of `today`.
    pub fn of(rows: &[RecommendationFacts], today: Date) -> Self {
        let mut t = RecommendationTally::default();
        for r in rows
            .iter()
            .filter(|r| r.status != RecommendationStatus::NoLongerApplicable)
        {
            t.due += 1;
            match r.status {
                RecommendationStatus::Implemented => t.implemented += 1,
                RecommendationStatus::PartlyImplemented => t.partly += 1,
                RecommendationStatus::NotImplemented => t.not_implemented += 1,
                _ => {
                    t.pending += 1;
                    t.overdue += i64::from(r.due < today);
                }
            }
            if r.kind == RecommendationKind::RecoverAmount {
                t.amount_recommended = t.amount_recommended.saturating_add(r.recommended);
                t.amount_implemented = t.amount_implemented.saturating_add(r.implemented);
            }
        }
        t
    }

    /// The counts as a row of cells: due, implemented, partly, not
    /// implemented, pending, overdue.
    pub fn cells(&self) -> Vec<i64> {
        vec![
            self.due,
            self.implemented,
            self.partly,
            self.not_implemented,
            self.pending,
            self.overdue,
        ]
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::rules::statistics::suppress_table;

    fn report(status: ReportStatus, anonymous: bool, decided: Option<Date>) -> ReportFacts {
        ReportFacts {
            category: ReportCategory::Denunciation,
            status,
            outcome: if status == ReportStatus::Resolved {
                ReportOutcome::Founded
            } else {
                ReportOutcome::Unspecified
            },
            anonymous,
            accept_due: Some(date!(2024 - 03 - 08)),
            resolve_due: Some(date!(2024 - 04 - 04)),
            decided,
            protected: !anonymous,
            retaliation: false,
        }
    }

    #[test]
    fn a_report_tally_adds_up_in_every_group() {
        let t = ReportTally::of(&[
            report(ReportStatus::Received, true, None),
            report(ReportStatus::NotAccepted, true, Some(date!(2024 - 03 - 20))),
            report(ReportStatus::Resolved, false, Some(date!(2024 - 04 - 01))),
        ]);
        let cells = t.cells();
        assert_eq!(cells.len(), REPORT_ROW);
        for (total, parts) in report_groups() {
            let sum: i64 = parts.iter().map(|p| cells[*p]).sum();
            assert_eq!(cells[total], sum, "group of cell {total}");
        }
        assert_eq!((t.on_time, t.late), (1, 1), "not accepted after its 7 days");
        assert_eq!((t.anonymous, t.named, t.protected), (2, 1, 1));
    }

    #[test]
    fn a_small_count_of_reports_is_withheld_with_its_complement() {
        // 9 received: 7 anonymous, 2 named — 2 is small, and 7 would give
        // it away (9 - 7): both withheld.
        let mut reports = vec![report(ReportStatus::Received, true, None); 7];
        reports.extend(vec![report(ReportStatus::Received, false, None); 2]);
        let cells = ReportTally::of(&reports).cells();
        let s = suppress_table(&[cells], &report_groups(), 5);
        assert!(!s[0].is_withheld(), "9 received is published");
        assert!(
            s[11].is_withheld() && s[10].is_withheld(),
            "named and its complement"
        );
    }

    #[test]
    fn recommendations_count_as_the_rate_does() {
        let r = |status, due| RecommendationFacts {
            status,
            kind: RecommendationKind::RecoverAmount,
            recommended: 100,
            implemented: if status == RecommendationStatus::Implemented {
                100
            } else {
                0
            },
            due,
        };
        let t = RecommendationTally::of(
            &[
                r(RecommendationStatus::Implemented, date!(2024 - 01 - 31)),
                r(RecommendationStatus::Open, date!(2024 - 02 - 28)),
                r(RecommendationStatus::InProgress, date!(2024 - 12 - 31)),
                r(
                    RecommendationStatus::NoLongerApplicable,
                    date!(2024 - 01 - 31),
                ),
            ],
            date!(2024 - 04 - 10),
        );
        assert_eq!(t.cells(), [3, 1, 0, 0, 2, 1]);
        assert_eq!((t.amount_implemented, t.amount_recommended), (100, 300));
    }
}
