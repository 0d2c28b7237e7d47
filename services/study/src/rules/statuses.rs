//! A plan's attendance statuses: the codes attendance is recorded with,
//! which of them count as attended, and the status unmarked members get
//! when a class is closed.

use probity_platform::{Violations, text};
use probity_proto::probity::study::v1::AttendanceStatusDefinition;

/// Most attendance statuses a plan defines.
pub const MAX_STATUSES: usize = probity_platform::limits::PLAN_STATUSES;
/// The unmarked status a plan falls back to when it has one of this code.
pub const ABSENT: &str = "absent";

/// One attendance status of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// The code, e.g. `present`.
    pub code: String,
    /// The label.
    pub label: String,
    /// Whether it counts as attended.
    pub attended: bool,
}

/// The statuses a plan gets when it names none.
pub fn default_statuses() -> Vec<Status> {
    [
        ("present", "Có mặt", true),
        ("late", "Đến muộn", true),
        ("excused", "Vắng có lý do", false),
        (ABSENT, "Vắng không lý do", false),
    ]
    .into_iter()
    .map(|(code, label, attended)| Status {
        code: code.into(),
        label: label.into(),
        attended,
    })
    .collect()
}

/// The statuses a request defines, tidied; the defaults when it defines
/// none.
pub fn of(defined: &[AttendanceStatusDefinition]) -> Vec<Status> {
    if defined.is_empty() {
        return default_statuses();
    }
    defined
        .iter()
        .map(|s| Status {
            code: s.code.trim().to_string(),
            label: text::tidy(&s.label),
            attended: s.counts_as_attended,
        })
        .collect()
}

/// Checks statuses: at most 20, codes of 1 to 32 of `a-z 0-9 _`, each once,
/// at least one counting as attended.
pub fn check(v: &mut Violations, statuses: &[Status]) {
    v.check(
        statuses.len() > MAX_STATUSES,
        "plan.attendance_statuses",
        "at most 20 statuses",
    );
    for (i, s) in statuses.iter().enumerate() {
        let ok = !s.code.is_empty()
            && s.code.len() <= 32
            && s.code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        v.check(
            !ok,
            &format!("plan.attendance_statuses[{i}].code"),
            "1 to 32 of a-z, 0-9 and _",
        );
        v.check(
            statuses[..i].iter().any(|o| o.code == s.code),
            &format!("plan.attendance_statuses[{i}].code"),
            "listed twice",
        );
    }
    v.check(
        !statuses.iter().any(|s| s.attended),
        "plan.attendance_statuses",
        "at least one status must count as attended",
    );
}

/// The unmarked status after a change: the one `wanted` (when given),
/// else `current` while it is still one of the statuses, else `absent`
/// when there is one, else the first that does not count as attended.
pub fn unmarked(statuses: &[Status], current: &str, wanted: Option<&str>) -> String {
    match wanted {
        Some(w) if !w.is_empty() => w.to_string(),
        _ if statuses.iter().any(|s| s.code == current) => current.to_string(),
        _ if statuses.iter().any(|s| s.code == ABSENT) => ABSENT.into(),
        _ => statuses
            .iter()
            .find(|s| !s.attended)
            .map(|s| s.code.clone())
            .unwrap_or_default(),
    }
}

/// Checks the unmarked status: one of the statuses, not counting as
/// attended (unmarked members did not attend).
pub fn check_unmarked(v: &mut Violations, statuses: &[Status], unmarked: &str) {
    match statuses.iter().find(|s| s.code == unmarked) {
        None => v.add(
            "plan.unmarked_status",
            "must be one of the plan's attendance statuses that does not count as attended",
        ),
        Some(s) if s.attended => v.add(
            "plan.unmarked_status",
            "must not count as attended: unmarked members did not attend",
        ),
        Some(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: &str, attended: bool) -> Status {
        Status {
            code: code.into(),
            label: code.into(),
            attended,
        }
    }

    #[test]
    fn a_plan_without_statuses_gets_four() {
        let defaults = of(&[]);
        assert_eq!(defaults.len(), 4);
        assert_eq!(defaults.iter().filter(|s| s.attended).count(), 2);
    }

    #[test]
    fn unmarked_members_are_absent_when_the_plan_has_absent() {
        let list = vec![
            status("here", true),
            status("absent", false),
            status("away", false),
        ];
        assert_eq!(unmarked(&list, "gone", None), "absent");
    }

    #[test]
    fn without_absent_unmarked_members_get_the_first_not_attended() {
        let list = vec![status("here", true), status("away", false)];
        assert_eq!(unmarked(&list, "gone", None), "away");
        assert_eq!(
            unmarked(&list, "here", None),
            "here",
            "kept while it exists"
        );
        assert_eq!(unmarked(&list, "here", Some("away")), "away", "asked for");
    }

    #[test]
    fn codes_are_plain_and_distinct() {
        let mut v = Violations::new();
        check(
            &mut v,
            &[
                status("Có mặt", true),
                status("x", false),
                status("x", false),
            ],
        );
        let Err(probity_platform::ApiError::InvalidArgument(list)) = v.into_result() else {
            panic!("violations")
        };
        let fields: Vec<_> = list.into_iter().map(|x| x.field).collect();
        assert_eq!(
            fields,
            vec![
                "plan.attendance_statuses[0].code",
                "plan.attendance_statuses[2].code"
            ]
        );
    }

    #[test]
    fn an_unmarked_status_that_counts_is_refused() {
        let mut v = Violations::new();
        check_unmarked(&mut v, &[status("here", true)], "here");
        assert!(!v.is_empty());
    }
}
