//! The rules of attendance: every entry names a member of the organiser's
//! roster on the class date once, with one of the plan's statuses; named
//! non-members are listed apart, each identity number once per class.

use std::collections::{HashMap, HashSet};

use probity_platform::{ApiError, Violations, error::Violation, resource::parse_name, text};
use probity_proto::probity::study::v1::{AttendanceEntry, NonMemberAttendee};

use super::statuses::Status;
use crate::error::Result;

/// Most entries in one RecordAttendance call.
pub const MAX_UNARY_ENTRIES: usize = probity_platform::limits::UNARY_ENTRIES;
/// Most entries in one streamed batch.
pub const MAX_BATCH_ENTRIES: usize = probity_platform::limits::BATCH_ENTRIES;
/// Most named non-members per class.
pub const MAX_NAMED_NON_MEMBERS: usize = probity_platform::limits::NAMED_NON_MEMBERS;
/// Largest head count of non-members.
pub const MAX_HEAD_COUNT: i32 = probity_platform::limits::HEAD_COUNT as i32;

/// A checked entry, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The member's id.
    pub member_id: String,
    /// The status's code.
    pub status: String,
    /// Whether the status counts as attended.
    pub attended: bool,
    /// The remark, tidied.
    pub remark: String,
    /// The member's organisation on the class date.
    pub org_id: String,
}

/// The organiser's roster on the class date: member id → organisation id.
pub type Roster = HashMap<String, String>;

/// The class entries are recorded for, as the messages name it.
#[derive(Debug, Clone, Copy)]
pub struct ClassAt<'a> {
    /// The organiser, `organizations/{id}`.
    pub organization: &'a str,
    /// The class date.
    pub date: time::Date,
}

/// Checks a unary call's number of entries.
pub fn check_unary_count(n: usize) -> Result<()> {
    if n == 0 || n > MAX_UNARY_ENTRIES {
        return Err(ApiError::invalid(
            "entries",
            "one to 100 entries; stream larger classes with StreamAttendance",
        )
        .into());
    }
    Ok(())
}

/// Checks `entries` against the plan's `statuses` and the organiser's
/// roster; violations are named `{prefix}entries[i].field`.
pub fn check_entries(
    entries: &[AttendanceEntry],
    statuses: &[Status],
    class: ClassAt<'_>,
    roster: &Roster,
    prefix: &str,
) -> std::result::Result<Vec<Checked>, Vec<Violation>> {
    let mut v = Violations::new();
    let mut rows = Vec::with_capacity(entries.len());
    let mut seen = HashSet::new();
    for (i, e) in entries.iter().enumerate() {
        let field = |f: &str| format!("{prefix}entries[{i}].{f}");
        let member = match parse_name("", &e.member, "members") {
            Ok(id) => id,
            Err(_) => {
                v.add(field("member"), "must be `members/{id}`");
                continue;
            }
        };
        if !seen.insert(member) {
            v.add(field("member"), format!("{} is listed twice", e.member));
            continue;
        }
        let Some(org) = roster.get(member) else {
            v.add(
                field("member"),
                format!(
                    "{} was not a member of {} or its subtree on {}",
                    e.member, class.organization, class.date
                ),
            );
            continue;
        };
        let Some(status) = statuses.iter().find(|s| s.code == e.status.trim()) else {
            v.add(
                field("status"),
                format!(
                    "{:?} is not a status of the plan; use one of: {}",
                    e.status,
                    statuses
                        .iter()
                        .map(|s| s.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            continue;
        };
        let remark = text::tidy(&e.remark);
        if remark.chars().count() > probity_platform::limits::SHORT_TEXT {
            v.add(field("remark"), "at most 500 characters");
            continue;
        }
        rows.push(Checked {
            member_id: member.to_string(),
            status: status.code.clone(),
            attended: status.attended,
            remark,
            org_id: org.clone(),
        });
    }
    match v.into_result() {
        Ok(()) => Ok(rows),
        Err(ApiError::InvalidArgument(list)) => Err(list),
        Err(_) => Err(Vec::new()),
    }
}

/// The violation that closes a failed stream: batch `k` was not recorded,
/// the `done` batches before it were.
pub fn recorded_before(k: usize, done: i32) -> Violation {
    Violation::new(
        format!("batches[{k}]"),
        format!(
            "batch {} was not recorded; the {done} batch(es) before it were",
            k + 1
        ),
    )
}

/// A named non-member: name, identity number (may be empty), note.
pub type NonMember = (String, String, String);

/// Checks a SetNonMemberAttendance request's head count and named
/// attendees; returns the attendees tidied.
pub fn validate_non_members(
    head_count: i32,
    attendees: &[NonMemberAttendee],
) -> Result<Vec<NonMember>> {
    let mut v = Violations::new();
    v.check(
        !(0..=MAX_HEAD_COUNT).contains(&head_count),
        "head_count",
        "0 to 100,000",
    );
    v.check(
        attendees.len() > MAX_NAMED_NON_MEMBERS,
        "attendees",
        "at most 5,000 named attendees per class",
    );
    let mut ids = HashSet::new();
    let mut out = Vec::with_capacity(attendees.len());
    for (i, a) in attendees.iter().enumerate() {
        v.check_name_chars(&format!("attendees[{i}].full_name"), &a.full_name);
        let name = text::tidy(&a.full_name);
        v.check(
            name.is_empty() || name.chars().count() > probity_platform::limits::NAME,
            &format!("attendees[{i}].full_name"),
            "required, at most 200 characters",
        );
        let id = a.identity_number.trim().to_string();
        if !id.is_empty() {
            v.check(
                !(id.len() == 9 || id.len() == 12) || !id.bytes().all(|b| b.is_ascii_digit()),
                &format!("attendees[{i}].identity_number"),
                "9 or 12 digits (CMND or CCCD)",
            );
            v.check(
                !ids.insert(id.clone()),
                &format!("attendees[{i}].identity_number"),
                "listed twice in this class",
            );
        }
        let note = text::tidy(&a.note);
        v.check(
            note.chars().count() > probity_platform::limits::SHORT_TEXT,
            &format!("attendees[{i}].note"),
            "at most 500 characters",
        );
        out.push((name, id, note));
    }
    v.into_result()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::rules::statuses::default_statuses;

    fn entry(member: &str, status: &str) -> AttendanceEntry {
        AttendanceEntry {
            member: member.into(),
            status: status.into(),
            remark: String::new(),
        }
    }

    fn roster() -> Roster {
        [("a".to_string(), "c1".to_string())].into()
    }

    const CLASS: ClassAt<'static> = ClassAt {
        organization: "organizations/cs",
        date: date!(2016 - 12 - 10),
    };

    fn fields(list: Vec<Violation>) -> Vec<String> {
        list.into_iter().map(|v| v.field).collect()
    }

    #[test]
    fn an_entry_takes_the_members_organisation_on_the_class_date() {
        let rows = check_entries(
            &[entry("members/a", "late")],
            &default_statuses(),
            CLASS,
            &roster(),
            "",
        )
        .unwrap();
        assert_eq!(rows[0].org_id, "c1");
        assert!(rows[0].attended, "late counts as attended");
    }

    #[test]
    fn a_member_off_the_roster_is_named_with_the_date() {
        let err = check_entries(
            &[entry("members/b", "present")],
            &default_statuses(),
            CLASS,
            &roster(),
            "",
        )
        .unwrap_err();
        assert_eq!(err[0].field, "entries[0].member");
        assert!(err[0].description.contains("2016-12-10"));
    }

    #[test]
    fn every_bad_row_is_named_with_its_batch() {
        let err = check_entries(
            &[
                entry("members/a", "sleeping"),
                entry("not-a-name", "present"),
            ],
            &default_statuses(),
            CLASS,
            &roster(),
            "batches[1].",
        )
        .unwrap_err();
        assert_eq!(
            fields(err),
            vec![
                "batches[1].entries[0].status",
                "batches[1].entries[1].member"
            ]
        );
    }

    #[test]
    fn a_member_is_listed_once_per_call() {
        let err = check_entries(
            &[entry("members/a", "present"), entry("members/a", "absent")],
            &default_statuses(),
            CLASS,
            &roster(),
            "",
        )
        .unwrap_err();
        assert_eq!(fields(err), vec!["entries[1].member"]);
    }

    #[test]
    fn a_unary_call_records_one_to_a_hundred() {
        assert!(check_unary_count(0).is_err());
        assert!(check_unary_count(100).is_ok());
        assert!(check_unary_count(101).is_err());
    }

    #[test]
    fn a_failed_stream_says_how_many_batches_were_recorded() {
        let v = recorded_before(1, 1);
        assert_eq!(v.field, "batches[1]");
        assert!(v.description.contains("the 1 batch(es) before it were"));
    }

    #[test]
    fn an_identity_number_is_named_once_per_class() {
        let person = |id: &str| NonMemberAttendee {
            full_name: "Quần chúng".into(),
            identity_number: id.into(),
            note: String::new(),
        };
        assert!(validate_non_members(20, &[person("072000000001"), person("")]).is_ok());
        let Err(crate::error::Error::Api(ApiError::InvalidArgument(v))) =
            validate_non_members(20, &[person("072000000001"), person("072000000001")])
        else {
            panic!("a violation")
        };
        assert_eq!(fields(v), vec!["attendees[1].identity_number"]);
    }

    #[test]
    fn an_identity_number_has_nine_or_twelve_digits() {
        let person = NonMemberAttendee {
            full_name: "Quần chúng".into(),
            identity_number: "12345".into(),
            note: String::new(),
        };
        assert!(validate_non_members(0, &[person]).is_err());
        assert!(validate_non_members(-1, &[]).is_err());
    }
}
