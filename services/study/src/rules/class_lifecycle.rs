//! Which state of a class allows which change: a cancelled class changes
//! no more, a held one is not cancelled, a closed one is not closed again,
//! a class with attendance keeps its date; and whom closing marks.

use std::collections::HashSet;

use probity_platform::ApiError;
use probity_proto::probity::study::v1::{ClassState, ErrorReason};

use crate::error::{Error, Result};

/// Refuses any change to a cancelled class.
pub fn check_not_cancelled(name: &str, state: ClassState) -> Result<()> {
    if state == ClassState::Cancelled {
        return Err(Error::state(
            ErrorReason::ClassCancelled,
            format!("{name} was cancelled"),
        ));
    }
    Ok(())
}

/// Refuses to move a class whose attendance was checked on its date.
pub fn check_date_change(
    name: &str,
    from: time::Date,
    to: time::Date,
    recorded: i32,
) -> Result<()> {
    if to != from && recorded > 0 {
        return Err(Error::state(
            ErrorReason::AttendanceRecorded,
            format!(
                "{name} has attendance checked against members on {from}; its date can no longer change"
            ),
        ));
    }
    Ok(())
}

/// Checks a cancellation's reason: present, at most 2000 characters.
pub fn validate_reason(value: &str, field: &str) -> Result<()> {
    let t = value.trim();
    if t.is_empty() || t.chars().count() > probity_platform::limits::REASON {
        return Err(ApiError::invalid(field, "required, at most 2000 characters").into());
    }
    Ok(())
}

/// Only a scheduled class nobody attended is cancelled.
pub fn check_cancellable(name: &str, state: ClassState, attended: i32) -> Result<()> {
    if state != ClassState::Scheduled || attended > 0 {
        return Err(Error::state(
            ErrorReason::ClassHeld,
            format!(
                "{name} was held ({attended} members attended); only a class not held can be cancelled"
            ),
        ));
    }
    Ok(())
}

/// A class is closed once.
pub fn check_open(name: &str, state: ClassState) -> Result<()> {
    if state != ClassState::Scheduled {
        return Err(Error::state(
            ErrorReason::ClassClosed,
            format!("{name} is already closed"),
        ));
    }
    Ok(())
}

/// Whom closing a class marks: the organiser's `expected` members, and for
/// a make-up class only those who `missed` the class it makes up for.
pub fn expected_at_closing<T>(
    expected: Vec<T>,
    missed: Option<&HashSet<String>>,
    member_id: impl Fn(&T) -> &str,
) -> Vec<T> {
    match missed {
        None => expected,
        Some(missed) => expected
            .into_iter()
            .filter(|m| missed.contains(member_id(m)))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn a_held_class_is_not_cancelled() {
        assert!(check_cancellable("classes/a", ClassState::Scheduled, 0).is_ok());
        assert!(check_cancellable("classes/a", ClassState::Scheduled, 1).is_err());
        assert!(check_cancellable("classes/a", ClassState::Closed, 0).is_err());
    }

    #[test]
    fn a_cancellation_needs_a_reason() {
        assert!(validate_reason(" ", "reason").is_err());
        assert!(validate_reason("Bão", "reason").is_ok());
    }

    #[test]
    fn a_class_with_attendance_keeps_its_date() {
        let (a, b) = (date!(2016 - 12 - 10), date!(2016 - 12 - 11));
        assert!(check_date_change("classes/a", a, b, 3).is_err());
        assert!(check_date_change("classes/a", a, a, 3).is_ok());
        assert!(check_date_change("classes/a", a, b, 0).is_ok());
    }

    #[test]
    fn a_make_up_expects_only_those_who_missed_the_original() {
        let missed: HashSet<String> = ["b".to_string()].into();
        let expected = vec!["a".to_string(), "b".to_string()];
        assert_eq!(
            expected_at_closing(expected.clone(), Some(&missed), |m| m.as_str()),
            vec!["b".to_string()]
        );
        assert_eq!(expected_at_closing(expected, None, |m| m.as_str()).len(), 2);
    }
}
