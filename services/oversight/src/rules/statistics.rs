//! The rules of published statistics: how cases are counted (stage, age,
//! resolved on time or late) and **small-count suppression** — a count
//! under the threshold is withheld, and so is a complement, so that no
//! withheld count can be recovered by subtracting published ones from a
//! published total.

use probity_proto::probity::oversight::v1::{AgeBand, CaseStage};
use time::Date;

use crate::{error::Result, rules::stages::is_finished};

pub use probity_platform::suppression::{DEFAULT_THRESHOLD, RULE, Withheld, suppress_table};

/// The stages counted, in the order published.
pub const STAGES: [CaseStage; 10] = [
    CaseStage::Received,
    CaseStage::Verifying,
    CaseStage::Inspecting,
    CaseStage::Investigating,
    CaseStage::Prosecuting,
    CaseStage::OnTrial,
    CaseStage::Enforcing,
    CaseStage::Suspended,
    CaseStage::Closed,
    CaseStage::Dismissed,
];

/// The age bands, in the order published.
pub const AGES: [AgeBand; 3] = [
    AgeBand::Under6Months,
    AgeBand::SixToTwelveMonths,
    AgeBand::Over12Months,
];

/// The threshold asked for: 0 is the default; a caller may ask for more
/// suppression, never for less than the default.
pub fn threshold(given: i32) -> Result<i64> {
    match i64::from(given) {
        0 => Ok(DEFAULT_THRESHOLD),
        n if n >= DEFAULT_THRESHOLD => Ok(n),
        _ => Err(probity_platform::ApiError::invalid(
            "threshold",
            "0 for the default (5), or more: suppression can be raised, not lowered",
        )
        .into()),
    }
}

/// The age band of a case received on `received`, at `end`.
pub fn age_band(received: Date, end: Date) -> AgeBand {
    let months = (end.year() - received.year()) * 12 + i32::from(u8::from(end.month()))
        - i32::from(u8::from(received.month()));
    let months = if end.day() < received.day() {
        months - 1
    } else {
        months
    };
    match months {
        m if m < 6 => AgeBand::Under6Months,
        m if m < 12 => AgeBand::SixToTwelveMonths,
        _ => AgeBand::Over12Months,
    }
}

/// What statistics need of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseFacts {
    /// Its stage now.
    pub stage: CaseStage,
    /// The day it was received.
    pub received: Date,
    /// For a finished case: finished after its last stage's due date.
    pub finished_late: bool,
    /// Loss, VND.
    pub loss: i64,
    /// Recovered, VND.
    pub recovered: i64,
}

/// The counts of one subtree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Designated cases.
    pub designated: i64,
    /// By stage, in [`STAGES`] order.
    pub by_stage: [i64; 10],
    /// Unresolved, by age, in [`AGES`] order.
    pub by_age: [i64; 3],
    /// Finished on time.
    pub on_time: i64,
    /// Finished late.
    pub late: i64,
    /// Not finished.
    pub unresolved: i64,
    /// Loss, VND.
    pub loss: i64,
    /// Recovered, VND.
    pub recovered: i64,
}

impl Tally {
    /// Counts `cases`, ages at `end`.
    pub fn of(cases: &[CaseFacts], end: Date) -> Self {
        let mut t = Tally::default();
        for c in cases {
            t.designated += 1;
            if let Some(i) = STAGES.iter().position(|s| *s == c.stage) {
                t.by_stage[i] += 1;
            }
            if is_finished(c.stage) {
                if c.finished_late {
                    t.late += 1;
                } else {
                    t.on_time += 1;
                }
            } else {
                t.unresolved += 1;
                let band = age_band(c.received, end);
                if let Some(i) = AGES.iter().position(|a| *a == band) {
                    t.by_age[i] += 1;
                }
            }
            t.loss = t.loss.saturating_add(c.loss);
            t.recovered = t.recovered.saturating_add(c.recovered);
        }
        t
    }

    /// The counts as a row of cells: designated, the stages, the ages, on
    /// time, late, unresolved.
    pub fn cells(&self) -> Vec<i64> {
        let mut out = vec![self.designated];
        out.extend(self.by_stage);
        out.extend(self.by_age);
        out.extend([self.on_time, self.late, self.unresolved]);
        out
    }
}

/// Cells per row ([`Tally::cells`]).
pub const ROW: usize = 17;

/// The additive groups of a case row, by cell: (total, parts).
pub fn case_groups() -> Vec<(usize, Vec<usize>)> {
    vec![
        (0, (1..11).collect()),
        (0, vec![14, 15, 16]),
        (16, (11..14).collect()),
    ]
}

/// Which cells of a table of case tallies to withhold: [`suppress_table`]
/// with the groups of a case row.
pub fn suppress(rows: &[Vec<i64>], threshold: i64) -> Vec<Withheld> {
    suppress_table(rows, &case_groups(), threshold)
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn row(designated: i64, stages: [i64; 10], ages: [i64; 3], ends: [i64; 3]) -> Vec<i64> {
        let mut r = vec![designated];
        r.extend(stages);
        r.extend(ages);
        r.extend(ends);
        r
    }

    #[test]
    fn a_count_under_the_threshold_is_withheld() {
        let t = row(20, [0, 0, 0, 0, 0, 0, 0, 0, 17, 3], [0, 0, 0], [17, 3, 0]);
        let s = suppress(&[t], 5);
        assert!(!s[0].is_withheld(), "the total is published");
        assert!(s[10].is_withheld(), "3 dismissed is withheld");
    }

    #[test]
    fn a_withheld_count_cannot_be_recovered_from_its_total() {
        // 20 designated = 17 closed + 3 dismissed (+ zeros, withheld too):
        // 3 alone withheld would be 20 - 17, so 17 is withheld as well.
        let t = row(20, [6, 6, 6, 0, 0, 0, 0, 0, 0, 2], [18, 0, 0], [0, 2, 18]);
        let s = suppress(&[t], 5);
        // Stages: 0s and the 2 are withheld, more than one: nothing to add.
        assert!(s[10].is_withheld());
        // On time (0), late (2) withheld; unresolved 18 published — two
        // withheld in that group, so neither can be recovered alone.
        assert!(s[14].is_withheld() && s[15].is_withheld() && !s[16].is_withheld());
    }

    #[test]
    fn exactly_one_withheld_part_withholds_its_smallest_sibling() {
        // 12 = 9 on time + 3 late + 0 unresolved: 3 and 0 are withheld —
        // two parts, fine. With 12 = 9 + 3 and no third part at all (the
        // age group: 10 unresolved = 7 + 3 + 0), likewise.
        let total = row(
            30,
            [10, 10, 10, 0, 0, 0, 0, 0, 0, 0],
            [10, 10, 10],
            [0, 0, 30],
        );
        let a = row(27, [9, 9, 9, 0, 0, 0, 0, 0, 0, 0], [9, 9, 9], [0, 0, 27]);
        let b = row(3, [1, 1, 1, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1], [0, 0, 3]);
        let s = suppress(&[total, a, b], 5);
        // B's 3 designated is withheld; in the designated column A's 27
        // would give it away (30 - 27), so A's is withheld too.
        assert!(s[2 * ROW].is_withheld(), "B's designated");
        assert_eq!(
            s[ROW],
            Withheld::Complement,
            "A's designated, its complement"
        );
        assert!(!s[0].is_withheld(), "the total");
    }

    #[test]
    fn an_organisations_own_small_remainder_is_protected() {
        // Total 12, one child with 10: the organisation's own 2 would be
        // 12 - 10, so the child's 10 is withheld.
        let total = row(12, [12, 0, 0, 0, 0, 0, 0, 0, 0, 0], [12, 0, 0], [0, 0, 12]);
        let child = row(10, [10, 0, 0, 0, 0, 0, 0, 0, 0, 0], [10, 0, 0], [0, 0, 10]);
        let s = suppress(&[total, child], 5);
        assert!(s[ROW].is_withheld(), "the child's designated");
    }

    #[test]
    fn ages_are_whole_months_before_the_period_end() {
        let end = date!(2024 - 12 - 31);
        assert_eq!(age_band(date!(2024 - 07 - 01), end), AgeBand::Under6Months);
        assert_eq!(
            age_band(date!(2024 - 06 - 30), end),
            AgeBand::SixToTwelveMonths
        );
        assert_eq!(age_band(date!(2023 - 12 - 31), end), AgeBand::Over12Months);
    }

    #[test]
    fn a_tally_splits_the_finished_from_the_open() {
        let c = |stage, late| CaseFacts {
            stage,
            received: date!(2024 - 01 - 01),
            finished_late: late,
            loss: 10,
            recovered: 4,
        };
        let t = Tally::of(
            &[
                c(CaseStage::Closed, false),
                c(CaseStage::Dismissed, true),
                c(CaseStage::Investigating, false),
            ],
            date!(2024 - 12 - 31),
        );
        assert_eq!(
            (t.designated, t.on_time, t.late, t.unresolved),
            (3, 1, 1, 1)
        );
        assert_eq!(t.by_age, [0, 1, 0]);
        assert_eq!((t.loss, t.recovered), (30, 12));
        assert_eq!(t.cells().len(), ROW);
    }

    #[test]
    fn the_threshold_defaults_to_five_and_may_be_raised_not_lowered() {
        assert_eq!(threshold(0).unwrap(), 5);
        assert_eq!(threshold(10).unwrap(), 10);
        assert!(threshold(4).is_err());
        assert!(threshold(-1).is_err());
    }
}
