//! The rules of directives and urgings on a monitored case: addressed to
//! an agency handling the case, with a due date or a requested deadline
//! not before today; an urging is answered once, and is overdue when its
//! deadline passed without a reply.

use probity_platform::{Violations, dates, limits, resource::parse_name, text};
use probity_proto::probity::oversight::v1::{Directive, ErrorReason, Urging, UrgingState};
use time::Date;

use crate::error::{Error, Result};

/// A directive or an urging, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAddress {
    /// The agency's id.
    pub agency_id: String,
    /// The urged directive's id (urgings; empty when none).
    pub directive_id: String,
    /// What is asked, tidied.
    pub content: String,
    /// The due date or requested deadline.
    pub due: Date,
}

/// The agency `name` (field `field`), which must be one of `handling`.
fn agency(v: &mut Violations, field: &str, name: &str, handling: &[String]) -> String {
    match parse_name(field, name, "agencies") {
        Ok(id) if handling.iter().any(|h| h == id) => id.to_string(),
        Ok(_) => {
            v.add(field, "not one of the case's handling agencies");
            String::new()
        }
        Err(_) => {
            v.add(field, "required, `agencies/{id}`");
            String::new()
        }
    }
}

fn content(v: &mut Violations, field: &str, given: &str) -> String {
    let content = text::tidy(given);
    v.check(
        content.is_empty() || content.chars().count() > limits::TEXT,
        field,
        "required, at most 4,000 characters",
    );
    content
}

fn not_before_today(
    v: &mut Violations,
    field: &str,
    given: Option<&probity_proto::google::r#type::Date>,
    today: Date,
) -> Date {
    match dates::required(field, given) {
        Ok(d) if d < today => {
            v.add(field, "must not be before today");
            d
        }
        Ok(d) => d,
        Err(e) => {
            v.add(e.field, e.description);
            today
        }
    }
}

/// Checks a directive on case `case_id` handled by `handling`, on `today`.
pub fn directive(d: &Directive, handling: &[String], today: Date) -> Result<NewAddress> {
    let mut v = Violations::new();
    let agency_id = agency(&mut v, "directive.agency", &d.agency, handling);
    let content = content(&mut v, "directive.content", &d.content);
    let due = not_before_today(&mut v, "directive.due_date", d.due_date.as_ref(), today);
    v.into_result()?;
    Ok(NewAddress {
        agency_id,
        directive_id: String::new(),
        content,
        due,
    })
}

/// Checks an urging on case `case_id` handled by `handling`, on `today`.
/// A named directive must be of the same case.
pub fn urging(u: &Urging, case_id: &str, handling: &[String], today: Date) -> Result<NewAddress> {
    let mut v = Violations::new();
    let agency_id = agency(&mut v, "urging.agency", &u.agency, handling);
    let directive_id = if u.directive.is_empty() {
        String::new()
    } else {
        match u
            .directive
            .strip_prefix(&format!("cases/{case_id}/directives/"))
            .filter(|id| probity_platform::resource::is_id(id))
        {
            Some(id) => id.to_string(),
            None => {
                v.add(
                    "urging.directive",
                    "must be a directive of this case, `cases/{case}/directives/{id}`",
                );
                String::new()
            }
        }
    };
    let content = content(&mut v, "urging.content", &u.content);
    let due = not_before_today(
        &mut v,
        "urging.requested_deadline",
        u.requested_deadline.as_ref(),
        today,
    );
    v.into_result()?;
    Ok(NewAddress {
        agency_id,
        directive_id,
        content,
        due,
    })
}

/// Checks an urging of recommendation `name` (addressed to agency
/// `addressee_agency`, empty when to its organisation itself), due on
/// `due` and `closed` or not, sent on `today`: only an open recommendation
/// past its due date is urged (`RECOMMENDATION_NOT_OVERDUE`), to its
/// addressee agency (none when the organisation itself is addressed),
/// without a directive.
pub fn recommendation_urging(
    u: &Urging,
    name: &str,
    addressee_agency: &str,
    (due, closed): (Date, bool),
    today: Date,
) -> Result<NewAddress> {
    let mut v = Violations::new();
    let agency_id = if addressee_agency.is_empty() {
        v.check(
            !u.agency.is_empty(),
            "urging.agency",
            "empty: the recommendation is addressed to its organisation itself",
        );
        String::new()
    } else {
        agency(
            &mut v,
            "urging.agency",
            &u.agency,
            &[addressee_agency.to_string()],
        )
    };
    v.check(
        !u.directive.is_empty(),
        "urging.directive",
        "recommendations have no directives; leave it empty",
    );
    let content = content(&mut v, "urging.content", &u.content);
    let requested = not_before_today(
        &mut v,
        "urging.requested_deadline",
        u.requested_deadline.as_ref(),
        today,
    );
    v.into_result()?;
    if closed || due >= today {
        return Err(Error::state(
            ErrorReason::RecommendationNotOverdue,
            format!(
                "{name} is {}: only an open recommendation past its due date is urged",
                if closed { "closed" } else { "not overdue" }
            ),
        ));
    }
    Ok(NewAddress {
        agency_id,
        directive_id: String::new(),
        content,
        due: requested,
    })
}

/// Checks a reply to an urging sent on `urged`, on `today`: the reply's
/// text and day (unset: today).
pub fn reply(
    text_given: &str,
    day: Option<&probity_proto::google::r#type::Date>,
    urged: Date,
    today: Date,
) -> Result<(String, Date)> {
    let mut v = Violations::new();
    let reply = content(&mut v, "reply", text_given);
    let day = crate::rules::clock::effective_day(&mut v, "reply_date", day, urged, today);
    v.into_result()?;
    Ok((reply, day))
}

/// Where an urging with deadline `deadline`, answered or not, stands on
/// `today`.
pub fn state(answered: bool, deadline: Date, today: Date) -> UrgingState {
    if answered {
        UrgingState::Replied
    } else if today > deadline {
        UrgingState::Overdue
    } else {
        UrgingState::AwaitingReply
    }
}

#[cfg(test)]
mod tests {
    use probity_platform::ApiError;
    use time::macros::date;

    use super::*;

    const CASE: &str = "0192f0c0a0b07c3e8d1f2a3b4c5d6e7f";

    fn handling() -> Vec<String> {
        vec!["police".to_string()]
    }

    fn violations(r: Result<NewAddress>) -> Vec<String> {
        match r.map(|_| ()) {
            Ok(()) => Vec::new(),
            Err(e) => match ApiError::from(e) {
                ApiError::InvalidArgument(v) => v.into_iter().map(|v| v.field).collect(),
                other => panic!("{other:?}"),
            },
        }
    }

    #[test]
    fn a_directive_goes_to_a_handling_agency_and_is_due_from_today_on() {
        let d = Directive {
            agency: "agencies/court".into(),
            content: "Khẩn trương điều tra".into(),
            due_date: Some(dates::to_proto(date!(2024 - 04 - 09))),
            ..Default::default()
        };
        assert_eq!(
            violations(directive(&d, &handling(), date!(2024 - 04 - 10))),
            ["directive.agency", "directive.due_date"]
        );
    }

    #[test]
    fn an_urging_may_name_only_a_directive_of_its_own_case() {
        let u = Urging {
            agency: "agencies/police".into(),
            directive: "cases/other/directives/x".into(),
            content: "Đề nghị báo cáo".into(),
            requested_deadline: Some(dates::to_proto(date!(2024 - 04 - 20))),
            ..Default::default()
        };
        assert_eq!(
            violations(urging(&u, CASE, &handling(), date!(2024 - 04 - 10))),
            ["urging.directive"]
        );
    }

    #[test]
    fn an_unanswered_urging_is_overdue_after_its_deadline() {
        let deadline = date!(2024 - 04 - 20);
        assert_eq!(
            state(false, deadline, date!(2024 - 04 - 20)),
            UrgingState::AwaitingReply
        );
        assert_eq!(
            state(false, deadline, date!(2024 - 04 - 21)),
            UrgingState::Overdue
        );
        assert_eq!(
            state(true, deadline, date!(2024 - 05 - 01)),
            UrgingState::Replied
        );
    }

    #[test]
    fn a_reply_is_dated_between_the_urging_and_today() {
        let err = reply(
            "Đã báo cáo",
            Some(&dates::to_proto(date!(2024 - 04 - 01))),
            date!(2024 - 04 - 05),
            date!(2024 - 04 - 10),
        )
        .unwrap_err();
        let ApiError::InvalidArgument(v) = ApiError::from(err) else {
            panic!("violations")
        };
        assert_eq!(v[0].field, "reply_date");
    }
}
