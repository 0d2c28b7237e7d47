//! Counts the reports service makes itself from lists the other services
//! answer (a year's register of commitments, a year's declarations, the
//! disciplinary decisions of the period), published like every count of
//! Probity's: a row of counts suppressed by the platform's rule (a small
//! count withheld, and a complement so it cannot be recovered from a
//! total).

use probity_platform::suppression::{DEFAULT_THRESHOLD, Withheld, suppress_table};
use probity_proto::probity::{
    members::v1::{
        BookEntry, BookEntryKind, CommitmentOutcome, Declaration, Timeliness, VerificationOutcome,
    },
    oversight::v1::{DisciplinaryDecision, DisciplineForm},
    reports::v1::{Figure, FigureKind},
};

/// A row of counts: the fields a definition may name, their values, and
/// which cells add up to which (total, parts).
pub struct Row {
    /// Field names, in the row's order.
    pub fields: &'static [&'static str],
    /// The counts.
    pub values: Vec<i64>,
    /// The additive groups.
    pub groups: Vec<(usize, Vec<usize>)>,
}

impl Row {
    /// The published figure of `field`, or `None` when the row has no
    /// such field.
    pub fn figure(&self, field: &str) -> Option<Figure> {
        let at = self.fields.iter().position(|f| *f == field)?;
        let withheld = suppress_table(
            std::slice::from_ref(&self.values),
            &self.groups,
            DEFAULT_THRESHOLD,
        )[at];
        Some(Figure {
            kind: FigureKind::Count as i32,
            value: if withheld.is_withheld() {
                0
            } else {
                self.values[at]
            },
            suppressed: withheld.is_withheld(),
            suppressed_display: match withheld {
                Withheld::No => String::new(),
                Withheld::Small => format!("<{DEFAULT_THRESHOLD}"),
                Withheld::Complement => "x".into(),
            },
            ..Default::default()
        })
    }
}

fn count<T>(list: &[T], keep: impl Fn(&T) -> bool) -> i64 {
    list.iter().filter(|x| keep(x)).count() as i64
}

/// Commitments of a year's register (members' and heads'), and their
/// results.
pub fn register(entries: &[BookEntry]) -> Row {
    let commitments: Vec<&BookEntry> = entries
        .iter()
        .filter(|e| {
            e.kind == BookEntryKind::Commitment as i32
                || e.kind == BookEntryKind::HeadCommitment as i32
        })
        .collect();
    let outcome = |o: CommitmentOutcome| {
        count(&commitments, |e| {
            e.result.as_ref().is_some_and(|r| r.outcome == o as i32)
        })
    };
    Row {
        fields: &["commitments", "kept", "partly_kept", "not_kept"],
        values: vec![
            commitments.len() as i64,
            outcome(CommitmentOutcome::Kept),
            outcome(CommitmentOutcome::PartlyKept),
            outcome(CommitmentOutcome::NotKept),
        ],
        groups: Vec::new(),
    }
}

/// A year's declarations: received, every step done on time, handed over,
/// published, verified (concluded) and how.
pub fn declarations(list: &[Declaration]) -> Row {
    let on_time = |d: &Declaration| {
        d.deadlines.iter().all(|x| {
            x.timeliness == Timeliness::OnTime as i32 || x.timeliness == Timeliness::Pending as i32
        })
    };
    let outcome =
        |o: VerificationOutcome| count(list, |d: &Declaration| d.verification == o as i32);
    Row {
        fields: &[
            "received",
            "on_time",
            "handed_over",
            "published",
            "concluded",
            "honest",
            "not_honest",
        ],
        values: vec![
            list.len() as i64,
            count(list, on_time),
            count(list, |d| d.handed_over_date.is_some()),
            count(list, |d| d.published_date.is_some()),
            count(list, |d| d.concluded_date.is_some()),
            outcome(VerificationOutcome::Honest),
            outcome(VerificationOutcome::NotHonest),
        ],
        groups: vec![(4, vec![5, 6])],
    }
}

/// Disciplinary decisions by form.
pub fn decisions(list: &[DisciplinaryDecision]) -> Row {
    let form = |f: DisciplineForm| count(list, |d: &DisciplinaryDecision| d.form == f as i32);
    Row {
        fields: &[
            "total",
            "reprimand",
            "warning",
            "removal_from_post",
            "expulsion",
        ],
        values: vec![
            list.len() as i64,
            form(DisciplineForm::Reprimand),
            form(DisciplineForm::Warning),
            form(DisciplineForm::RemovalFromPost),
            form(DisciplineForm::Expulsion),
        ],
        groups: vec![(0, vec![1, 2, 3, 4])],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(form: DisciplineForm) -> DisciplinaryDecision {
        DisciplinaryDecision {
            form: form as i32,
            ..Default::default()
        }
    }

    #[test]
    fn decisions_by_form_withhold_a_small_form_and_its_complement() {
        let mut list: Vec<DisciplinaryDecision> =
            (0..9).map(|_| decision(DisciplineForm::Warning)).collect();
        list.extend((0..3).map(|_| decision(DisciplineForm::Expulsion)));
        let row = decisions(&list);
        assert_eq!(row.figure("total").unwrap().value, 12);
        let expulsions = row.figure("expulsion").unwrap();
        assert!(expulsions.suppressed && expulsions.suppressed_display == "<5");
        assert!(
            row.figure("reprimand").unwrap().suppressed,
            "0 is small too"
        );
        assert!(row.figure("nothing").is_none());
    }

    #[test]
    fn large_counts_are_published() {
        let list: Vec<DisciplinaryDecision> =
            (0..30).map(|_| decision(DisciplineForm::Warning)).collect();
        let row = decisions(&list);
        assert_eq!(row.figure("total").unwrap().value, 30);
        assert_eq!(row.figure("warning").unwrap().value, 30);
    }
}
