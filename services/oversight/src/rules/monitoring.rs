//! The rules of monitoring: a designation's decision and criteria
//! ("prolonged" computed from the clock, never typed), the conditions a
//! monitored case meets today (near its deadline, overdue, stalled), and
//! the threshold crossings an escalation is recorded for, each with a key
//! that makes it happen once.

use probity_platform::{Violations, dates, limits, text};
use probity_proto::probity::oversight::v1::{
    CaseStage, DesignatingBody, Designation, DesignationCriterion, EscalationThreshold,
};
use time::Date;

use crate::{
    error::Result,
    rules::{clock::StageClock, stages::is_finished},
};

/// The kind of the jobs that scan the monitored cases for crossings.
pub const SCAN_JOB: &str = "monitoring.scan";

/// Days ahead of the due date that count as near it.
pub const NEAR_DEADLINE_DAYS: i64 = 7;

/// Days without activity after which a working case is stalled.
pub const STALLED_DAYS: i64 = 30;

/// A designation, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDesignation {
    /// Who designated.
    pub body: DesignatingBody,
    /// The decision's number-symbol.
    pub decision_number: String,
    /// The decision's date.
    pub decision_date: Date,
    /// The criteria given (never PROLONGED).
    pub criteria: Vec<DesignationCriterion>,
    /// Why.
    pub reason: String,
}

/// True when a case in `stage` with `clock` is prolonged on `day`: working
/// (or suspended) and past the due date of its stage's time limit — the
/// original one, whether extended since or not. A suspended clock is
/// judged on the day it stopped.
pub fn prolonged(stage: CaseStage, clock: &StageClock, day: Date) -> bool {
    let on = clock.suspended_since.map_or(day, |since| since.min(day));
    !is_finished(stage) && clock.original_due().is_some_and(|due| on > due)
}

/// Checks a designation recorded on `today`: the body, the decision's
/// number and date, a reason, and criteria from those that may be given.
/// Whether at least one criterion holds is [`criteria`]'s to say.
pub fn validate(d: &Designation, today: Date) -> Result<NewDesignation> {
    let mut v = Violations::new();
    let body = DesignatingBody::try_from(d.designated_by).unwrap_or_default();
    v.check(
        body == DesignatingBody::Unspecified,
        "designation.designated_by",
        "required",
    );
    let decision_number = text::tidy(&d.decision_number);
    v.check(
        decision_number.is_empty() || decision_number.chars().count() > limits::FIELD,
        "designation.decision_number",
        "required, at most 200 characters",
    );
    let decision_date = match dates::required("designation.decision_date", d.decision_date.as_ref())
    {
        Ok(day) if day > today => {
            v.add("designation.decision_date", "must not be in the future");
            day
        }
        Ok(day) => day,
        Err(e) => {
            v.add(e.field, e.description);
            today
        }
    };
    let reason = text::tidy(&d.reason);
    v.check(
        reason.is_empty() || reason.chars().count() > limits::REASON,
        "designation.reason",
        "required, at most 2,000 characters",
    );
    let mut criteria = Vec::new();
    for (i, c) in d.criteria.iter().enumerate() {
        let field = format!("designation.criteria[{i}]");
        match DesignationCriterion::try_from(*c).unwrap_or_default() {
            DesignationCriterion::Unspecified => v.add(field, "not a criterion"),
            DesignationCriterion::Prolonged => v.add(
                field,
                "PROLONGED is computed from the case's clock, never given",
            ),
            c if criteria.contains(&c) => v.add(field, "given twice"),
            c => criteria.push(c),
        }
    }
    v.into_result()?;
    Ok(NewDesignation {
        body,
        decision_number,
        decision_date,
        criteria,
        reason,
    })
}

/// The criteria a designation states: those given, and PROLONGED when the
/// clock says so on the decision's day. A designation meeting none is
/// refused (field `designation.criteria`).
pub fn criteria(
    given: &[DesignationCriterion],
    prolonged: bool,
) -> Result<Vec<DesignationCriterion>> {
    let mut out = given.to_vec();
    if prolonged {
        out.push(DesignationCriterion::Prolonged);
    }
    out.sort_by_key(|c| *c as i32);
    if out.is_empty() {
        return Err(probity_platform::ApiError::invalid(
            "designation.criteria",
            "at least one of serious, complex, public concern — or a case prolonged by its clock",
        )
        .into());
    }
    Ok(out)
}

/// A threshold a monitored case crossed, with the key that makes its
/// escalation once: the same stage and due date (or the same last
/// activity) give the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crossing {
    /// Which threshold.
    pub threshold: EscalationThreshold,
    /// The due date it is about (none for STALLED).
    pub due: Option<Date>,
    /// What makes it this crossing and no other.
    pub key: String,
}

/// The thresholds a case in `stage` with `clock`, last active on
/// `last_activity`, has crossed on `today`. None for a finished or
/// suspended case.
pub fn crossings(
    stage: CaseStage,
    clock: &StageClock,
    last_activity: Date,
    today: Date,
) -> Vec<Crossing> {
    if is_finished(stage) || stage == CaseStage::Suspended || clock.is_suspended() {
        return Vec::new();
    }
    let mut out = Vec::new();
    if let Some(due) = clock.due() {
        let key = format!("{}:{}", dates::to_sql(clock.start), dates::to_sql(due));
        if today > due {
            out.push(Crossing {
                threshold: EscalationThreshold::Overdue,
                due: Some(due),
                key,
            });
        } else if (due - today).whole_days() <= NEAR_DEADLINE_DAYS {
            out.push(Crossing {
                threshold: EscalationThreshold::NearDeadline,
                due: Some(due),
                key,
            });
        }
    }
    if (today - last_activity).whole_days() >= STALLED_DAYS {
        out.push(Crossing {
            threshold: EscalationThreshold::Stalled,
            due: None,
            key: dates::to_sql(last_activity),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use probity_platform::ApiError;
    use time::macros::date;

    use super::*;

    fn clock() -> StageClock {
        StageClock::start(date!(2024 - 03 - 01), 20)
    }

    fn designation() -> Designation {
        Designation {
            designated_by: DesignatingBody::SteeringCommittee as i32,
            decision_number: "12-QĐ/BCĐ".into(),
            decision_date: Some(dates::to_proto(date!(2024 - 04 - 01))),
            criteria: vec![DesignationCriterion::Serious as i32],
            reason: "Thiệt hại lớn".into(),
            ..Default::default()
        }
    }

    fn bad_fields(d: &Designation) -> Vec<String> {
        match validate(d, date!(2024 - 04 - 10)).map(|_| ()) {
            Ok(()) => Vec::new(),
            Err(e) => match ApiError::from(e) {
                ApiError::InvalidArgument(v) => v.into_iter().map(|v| v.field).collect(),
                other => panic!("{other:?}"),
            },
        }
    }

    #[test]
    fn prolonged_may_not_be_typed() {
        let mut d = designation();
        d.criteria.push(DesignationCriterion::Prolonged as i32);
        assert_eq!(bad_fields(&d), ["designation.criteria[1]"]);
    }

    #[test]
    fn a_designation_needs_its_decision_and_a_reason() {
        let d = Designation::default();
        assert_eq!(
            bad_fields(&d),
            [
                "designation.designated_by",
                "designation.decision_number",
                "designation.decision_date",
                "designation.reason"
            ]
        );
    }

    #[test]
    fn a_case_past_its_original_due_date_is_prolonged_even_when_extended() {
        let extended = clock()
            .extend("cases/a", "due_date", date!(2024 - 06 - 01))
            .unwrap();
        assert!(prolonged(
            CaseStage::Verifying,
            &extended,
            date!(2024 - 04 - 10)
        ));
        assert!(!prolonged(
            CaseStage::Verifying,
            &clock(),
            date!(2024 - 03 - 21)
        ));
        assert!(!prolonged(
            CaseStage::Closed,
            &clock(),
            date!(2024 - 04 - 10)
        ));
    }

    #[test]
    fn a_suspended_case_is_judged_on_the_day_its_clock_stopped() {
        let stopped = clock().suspend(date!(2024 - 03 - 10));
        assert!(!prolonged(
            CaseStage::Suspended,
            &stopped,
            date!(2024 - 06 - 01)
        ));
    }

    #[test]
    fn the_computed_criterion_alone_is_enough_and_none_is_refused() {
        assert_eq!(
            criteria(&[], true).unwrap(),
            [DesignationCriterion::Prolonged]
        );
        assert!(criteria(&[], false).is_err());
    }

    #[test]
    fn a_case_a_week_from_its_due_date_is_near_it_and_after_it_overdue() {
        let near = crossings(
            CaseStage::Verifying,
            &clock(),
            date!(2024 - 03 - 10),
            date!(2024 - 03 - 14),
        );
        assert_eq!(near[0].threshold, EscalationThreshold::NearDeadline);
        let over = crossings(
            CaseStage::Verifying,
            &clock(),
            date!(2024 - 03 - 10),
            date!(2024 - 03 - 22),
        );
        assert_eq!(over[0].threshold, EscalationThreshold::Overdue);
        assert_eq!(over[0].key, near[0].key, "one stage and due date");
    }

    #[test]
    fn an_extension_makes_a_new_crossing() {
        let before = crossings(
            CaseStage::Verifying,
            &clock(),
            date!(2024 - 03 - 20),
            date!(2024 - 03 - 22),
        );
        let extended = clock()
            .extend("cases/a", "due_date", date!(2024 - 04 - 01))
            .unwrap();
        let after = crossings(
            CaseStage::Verifying,
            &extended,
            date!(2024 - 03 - 20),
            date!(2024 - 04 - 02),
        );
        assert_ne!(before[0].key, after[0].key);
    }

    #[test]
    fn thirty_days_without_activity_is_stalled_and_a_suspended_case_crosses_nothing() {
        let c = StageClock::start(date!(2024 - 03 - 01), 0);
        let stalled = crossings(
            CaseStage::Enforcing,
            &c,
            date!(2024 - 03 - 01),
            date!(2024 - 03 - 31),
        );
        assert_eq!(stalled[0].threshold, EscalationThreshold::Stalled);
        let stopped = clock().suspend(date!(2024 - 03 - 05));
        assert!(
            crossings(
                CaseStage::Suspended,
                &stopped,
                date!(2024 - 01 - 01),
                date!(2024 - 06 - 01)
            )
            .is_empty()
        );
    }
}
