//! The clock of a case's stage: the stage's limit runs from the day the
//! stage starts; a suspension stops it and the days suspended move every
//! due date; an extension, by a decision, sets a later due date and keeps
//! the original beside it. A case is overdue when today is past the due
//! date in force — never while suspended.

use probity_platform::{Violations, dates};
use probity_proto::google::r#type::Date as ProtoDate;
use probity_proto::probity::oversight::v1::ErrorReason;
use time::Date;

use crate::error::{Error, Result};

/// The clock of the stage a case is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageClock {
    /// The day the stage started.
    pub start: Date,
    /// The stage's limit in calendar days; 0: none.
    pub limit_days: i64,
    /// Days of the suspensions ended in this stage.
    pub suspended_days: i64,
    /// While suspended: the suspension's first day.
    pub suspended_since: Option<Date>,
    /// The due date set by the last extension, moved by suspensions since.
    pub extended_due: Option<Date>,
}

impl StageClock {
    /// A stage started on `start` with a limit of `limit_days`.
    pub fn start(start: Date, limit_days: i64) -> Self {
        Self {
            start,
            limit_days,
            suspended_days: 0,
            suspended_since: None,
            extended_due: None,
        }
    }

    /// The due date by the limit, moved by the days suspended (ended
    /// suspensions); `None` without a limit.
    pub fn original_due(&self) -> Option<Date> {
        (self.limit_days > 0)
            .then(|| dates::add_days(self.start, self.limit_days + self.suspended_days))
    }

    /// The due date in force: the extended one, else the original.
    pub fn due(&self) -> Option<Date> {
        self.extended_due.or_else(|| self.original_due())
    }

    /// True while suspended.
    pub fn is_suspended(&self) -> bool {
        self.suspended_since.is_some()
    }

    /// Days suspended in this stage as of `today`, the running suspension
    /// included.
    pub fn suspended_days_on(&self, today: Date) -> i64 {
        self.suspended_days
            + self
                .suspended_since
                .map_or(0, |since| (today - since).whole_days().max(0))
    }

    /// True when `today` is past the due date in force and the clock runs.
    pub fn overdue(&self, today: Date) -> bool {
        !self.is_suspended() && self.due().is_some_and(|due| today > due)
    }

    /// The clock stopped from `on` (its first day suspended).
    pub fn suspend(&self, on: Date) -> Self {
        Self {
            suspended_since: Some(on),
            ..self.clone()
        }
    }

    /// The clock running again from `on`: the days from the suspension's
    /// first day to `on` move the due dates.
    pub fn resume(&self, on: Date) -> Self {
        let days = self
            .suspended_since
            .map_or(0, |since| (on - since).whole_days().max(0));
        Self {
            suspended_days: self.suspended_days + days,
            suspended_since: None,
            extended_due: self.extended_due.map(|d| dates::add_days(d, days)),
            ..self.clone()
        }
    }

    /// The clock with its due date extended to `to`, which must be after
    /// the due date in force (field `field`). A stage without a limit has
    /// no deadline to extend (NO_DEADLINE).
    pub fn extend(&self, name: &str, field: &str, to: Date) -> Result<Self> {
        let Some(due) = self.due() else {
            return Err(Error::state(
                ErrorReason::NoDeadline,
                format!("{name}'s stage has no time limit, so no deadline to extend"),
            ));
        };
        if to <= due {
            return Err(probity_platform::ApiError::invalid(
                field,
                format!("must be after the due date in force ({due})"),
            )
            .into());
        }
        Ok(Self {
            extended_due: Some(to),
            ..self.clone()
        })
    }
}

/// The day a change takes effect, from request field `field`: unset is
/// `today`; it may be neither before `earliest` nor after `today`.
pub fn effective_day(
    v: &mut Violations,
    field: &str,
    given: Option<&ProtoDate>,
    earliest: Date,
    today: Date,
) -> Date {
    match dates::from_proto(field, given) {
        Ok(None) => today,
        Ok(Some(d)) if d > today => {
            v.add(field, "must not be in the future");
            d
        }
        Ok(Some(d)) if d < earliest => {
            v.add(field, format!("must not be before {earliest}"));
            d
        }
        Ok(Some(d)) => d,
        Err(e) => {
            v.add(e.field, e.description);
            today
        }
    }
}

#[cfg(test)]
mod tests {
    use probity_platform::ApiError;
    use time::macros::date;

    use super::*;

    fn twenty_days() -> StageClock {
        StageClock::start(date!(2024 - 03 - 01), 20)
    }

    #[test]
    fn the_due_date_is_the_limit_after_the_start() {
        assert_eq!(twenty_days().due(), Some(date!(2024 - 03 - 21)));
        assert!(!twenty_days().overdue(date!(2024 - 03 - 21)));
        assert!(twenty_days().overdue(date!(2024 - 03 - 22)));
    }

    #[test]
    fn a_stage_without_a_limit_has_no_due_date_and_is_never_overdue() {
        let c = StageClock::start(date!(2024 - 03 - 01), 0);
        assert_eq!(c.due(), None);
        assert!(!c.overdue(date!(2030 - 01 - 01)));
    }

    #[test]
    fn suspending_ten_days_moves_the_due_date_by_ten_days() {
        let c = twenty_days()
            .suspend(date!(2024 - 03 - 05))
            .resume(date!(2024 - 03 - 15));
        assert_eq!(c.due(), Some(date!(2024 - 03 - 31)));
        assert_eq!(c.suspended_days, 10);
    }

    #[test]
    fn a_suspended_clock_is_never_overdue_and_counts_its_days_so_far() {
        let c = twenty_days().suspend(date!(2024 - 03 - 05));
        assert!(!c.overdue(date!(2024 - 06 - 01)));
        assert_eq!(c.suspended_days_on(date!(2024 - 03 - 08)), 3);
    }

    #[test]
    fn an_extension_keeps_the_original_due_date_beside_it() {
        let c = twenty_days()
            .extend("cases/a", "due_date", date!(2024 - 05 - 01))
            .unwrap();
        assert_eq!(c.original_due(), Some(date!(2024 - 03 - 21)));
        assert_eq!(c.due(), Some(date!(2024 - 05 - 01)));
        assert!(!c.overdue(date!(2024 - 04 - 01)));
    }

    #[test]
    fn a_suspension_after_an_extension_moves_both_due_dates() {
        let c = twenty_days()
            .extend("cases/a", "due_date", date!(2024 - 05 - 01))
            .unwrap()
            .suspend(date!(2024 - 04 - 01))
            .resume(date!(2024 - 04 - 06));
        assert_eq!(c.original_due(), Some(date!(2024 - 03 - 26)));
        assert_eq!(c.due(), Some(date!(2024 - 05 - 06)));
    }

    #[test]
    fn an_extension_must_be_later_than_the_due_date_in_force() {
        let err = twenty_days()
            .extend("cases/a", "due_date", date!(2024 - 03 - 21))
            .unwrap_err();
        assert!(matches!(ApiError::from(err), ApiError::InvalidArgument(_)));
    }

    #[test]
    fn a_stage_without_a_limit_has_no_deadline_to_extend() {
        let err = StageClock::start(date!(2024 - 03 - 01), 0)
            .extend("cases/a", "due_date", date!(2024 - 05 - 01))
            .unwrap_err();
        assert_eq!(ApiError::from(err).reason(), "NO_DEADLINE");
    }

    #[test]
    fn the_effective_day_is_today_unless_given_and_bounded() {
        let today = date!(2024 - 03 - 10);
        let start = date!(2024 - 03 - 01);
        let mut v = Violations::new();
        assert_eq!(effective_day(&mut v, "d", None, start, today), today);
        let before = dates::to_proto(date!(2024 - 02 - 28));
        effective_day(&mut v, "d", Some(&before), start, today);
        let after = dates::to_proto(date!(2024 - 03 - 11));
        effective_day(&mut v, "d", Some(&after), start, today);
        let Err(ApiError::InvalidArgument(found)) = v.into_result() else {
            panic!("two violations")
        };
        assert_eq!(found.len(), 2);
    }
}
