//! The rules of whistleblower reports: the fields checked at intake (the
//! reporter's identity among them, whose errors never repeat what was
//! sent), the decisions a report's status allows, its due dates and
//! whether it is overdue, and the messages and protection file entries
//! recorded on it.

use probity_platform::{Violations, dates, limits, resource::parse_name, text};
use probity_proto::probity::oversight::v1::{
    ProtectionEntryKind, Report, ReportCategory, ReportChannel, ReportStatus, ReporterIdentity,
};
use time::Date;

use crate::{error::Result, rules::agencies::display_name};

/// Fewest characters of a reveal's reason: a reason, not a word.
pub const MIN_REVEAL_REASON: usize = 10;

/// Someone a report accuses, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accused {
    /// The member's id; empty for someone who is not a member.
    pub member_id: String,
    /// The name given (filled from members for a member).
    pub name: String,
    /// The position or unit given.
    pub position: String,
}

/// A report, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReport {
    /// The receiving organisation's id.
    pub org_id: String,
    /// How it came in.
    pub channel: ReportChannel,
    /// What it is in law.
    pub category: ReportCategory,
    /// What it says.
    pub content: String,
    /// Who it accuses.
    pub accused: Vec<Accused>,
    /// The sector's code, or empty.
    pub sector: String,
    /// The day received.
    pub received: Date,
}

/// Checks a report received on or before `today`.
pub fn validate(r: &Report, today: Date) -> Result<NewReport> {
    let mut v = Violations::new();
    let org_id = match parse_name("report.organization", &r.organization, "organizations") {
        Ok(id) => id.to_string(),
        Err(_) => {
            v.add("report.organization", "required, `organizations/{id}`");
            String::new()
        }
    };
    let channel = ReportChannel::try_from(r.channel).unwrap_or_default();
    v.check(
        channel == ReportChannel::Unspecified,
        "report.channel",
        "required",
    );
    let category = ReportCategory::try_from(r.category).unwrap_or_default();
    v.check(
        category == ReportCategory::Unspecified,
        "report.category",
        "required",
    );
    let content = text::tidy(&r.content);
    v.check(
        content.is_empty() || content.chars().count() > limits::REPORT_CONTENT,
        "report.content",
        "required, at most 20,000 characters",
    );
    v.check(
        r.accused.len() > limits::REPORT_ACCUSED,
        "report.accused",
        "at most 50 people",
    );
    v.check(
        category == ReportCategory::Denunciation && r.accused.is_empty(),
        "report.accused",
        "a denunciation names at least one person it accuses",
    );
    let mut accused = Vec::new();
    for (i, a) in r.accused.iter().enumerate().take(limits::REPORT_ACCUSED) {
        let field = format!("report.accused[{i}]");
        let member_id = if a.member.is_empty() {
            String::new()
        } else {
            match parse_name(&format!("{field}.member"), &a.member, "members") {
                Ok(id) => id.to_string(),
                Err(_) => {
                    v.add(format!("{field}.member"), "must be `members/{id}`");
                    String::new()
                }
            }
        };
        let name = if a.member.is_empty() {
            display_name(
                &format!("{field}.display_name"),
                &a.display_name,
                limits::NAME,
                &mut v,
            )
        } else {
            String::new()
        };
        let position = text::tidy(&a.position);
        v.check(
            position.chars().count() > limits::NAME,
            &format!("{field}.position"),
            "at most 200 characters",
        );
        accused.push(Accused {
            member_id,
            name,
            position,
        });
    }
    let sector = if r.sector.is_empty() {
        String::new()
    } else {
        match parse_name("report.sector", &r.sector, "sectors") {
            Ok(code) => code.to_string(),
            Err(_) => {
                v.add("report.sector", "must be `sectors/{code}`");
                String::new()
            }
        }
    };
    let received = match dates::required("report.received_date", r.received_date.as_ref()) {
        Ok(d) if d > today => {
            v.add("report.received_date", "must not be in the future");
            d
        }
        Ok(d) => d,
        Err(e) => {
            v.add(e.field, e.description);
            today
        }
    };
    v.into_result()?;
    Ok(NewReport {
        org_id,
        channel,
        category,
        content,
        accused,
        sector,
        received,
    })
}

/// One identity field: tidied, within `max` characters, without control
/// characters. Its violation says what is wrong, never what was sent.
fn identity_field(field: &str, given: &str, max: usize, v: &mut Violations) -> String {
    if text::forbidden(given).is_some() {
        v.add(
            field,
            "must not contain control or bidirectional-override characters",
        );
        return String::new();
    }
    let tidy = text::tidy(given);
    if tidy.chars().count() > max {
        v.add(field, format!("at most {max} characters"));
    }
    tidy
}

/// Checks a named reporter's identity: a full name, and contact fields
/// within their limits. The violations never hold the values sent.
pub fn identity(given: &ReporterIdentity) -> Result<ReporterIdentity> {
    let mut v = Violations::new();
    let full_name = identity_field("reporter.full_name", &given.full_name, limits::NAME, &mut v);
    v.check(full_name.is_empty(), "reporter.full_name", "required");
    let identity_number = identity_field(
        "reporter.identity_number",
        &given.identity_number,
        limits::CONTACT,
        &mut v,
    );
    let phone = identity_field("reporter.phone", &given.phone, limits::CONTACT, &mut v);
    let email = identity_field("reporter.email", &given.email, limits::CONTACT, &mut v);
    v.check(
        !email.is_empty() && !email.contains('@'),
        "reporter.email",
        "must be an e-mail address",
    );
    let address = identity_field(
        "reporter.address",
        &given.address,
        limits::SHORT_TEXT,
        &mut v,
    );
    v.into_result()?;
    Ok(ReporterIdentity {
        full_name,
        identity_number,
        phone,
        email,
        address,
    })
}

/// When the resolve clock of a report starts: at receipt for a crime
/// report (Criminal Procedure Code), at acceptance otherwise.
pub fn resolve_clock_starts_at_receipt(category: ReportCategory) -> bool {
    category == ReportCategory::CrimeReport
}

/// True when, on `today`, the due date of the report's current step has
/// passed: the accept due date while received, the resolve due date while
/// accepted.
pub fn overdue(
    status: ReportStatus,
    accept_due: Option<Date>,
    resolve_due: Option<Date>,
    today: Date,
) -> bool {
    let due = match status {
        ReportStatus::Received => accept_due,
        ReportStatus::Accepted => resolve_due,
        _ => None,
    };
    due.is_some_and(|d| d < today)
}

/// Checks a message's text (`field`): required, at most 4,000 characters.
pub fn message_text(field: &str, given: &str) -> Result<String> {
    let mut v = Violations::new();
    let text = text::tidy(given);
    v.check(
        text.is_empty() || text.chars().count() > limits::TEXT,
        field,
        "required, at most 4,000 characters",
    );
    v.into_result()?;
    Ok(text)
}

/// Checks a protection file entry recorded on `today`: a kind other than a
/// reveal (which only a reveal writes), a day not in the future, a text.
pub fn protection_entry(
    kind: ProtectionEntryKind,
    date: Option<&probity_proto::google::r#type::Date>,
    given: &str,
    today: Date,
) -> Result<(Date, String)> {
    let mut v = Violations::new();
    v.check(
        matches!(
            kind,
            ProtectionEntryKind::Unspecified | ProtectionEntryKind::Reveal
        ),
        "entry.kind",
        "REQUEST, MEASURE or RETALIATION_COMPLAINT",
    );
    let day = match dates::required("entry.date", date) {
        Ok(d) if d > today => {
            v.add("entry.date", "must not be in the future");
            d
        }
        Ok(d) => d,
        Err(e) => {
            v.add(e.field, e.description);
            today
        }
    };
    let text = text::tidy(given);
    v.check(
        text.is_empty() || text.chars().count() > limits::TEXT,
        "entry.text",
        "required, at most 4,000 characters",
    );
    v.into_result()?;
    Ok((day, text))
}

/// Checks a reveal's reason: at least 10 characters, at most 2,000.
pub fn reveal_reason(given: &str) -> Result<String> {
    let mut v = Violations::new();
    let reason = text::tidy(given);
    let n = reason.chars().count();
    v.check(
        !(MIN_REVEAL_REASON..=limits::REASON).contains(&n),
        "reason",
        "required: why the identity is needed, 10 to 2,000 characters",
    );
    v.into_result()?;
    Ok(reason)
}

#[cfg(test)]
mod tests {
    use probity_proto::probity::oversight::v1::AccusedPerson;
    use time::macros::date;

    use super::*;
    use crate::error::Error;

    const TODAY: Date = date!(2024 - 04 - 10);

    fn report() -> Report {
        Report {
            organization: "organizations/p".into(),
            channel: ReportChannel::Hotline as i32,
            category: ReportCategory::Denunciation as i32,
            content: "  Nhận hối lộ   khi cấp phép  ".into(),
            accused: vec![AccusedPerson {
                display_name: "Trần Văn B".into(),
                position: "Trưởng phòng".into(),
                ..Default::default()
            }],
            received_date: Some(dates::to_proto(date!(2024 - 04 - 01))),
            ..Default::default()
        }
    }

    fn fields(err: Error) -> Vec<String> {
        match err {
            Error::Api(probity_platform::ApiError::InvalidArgument(v)) => {
                v.into_iter().map(|v| v.field).collect()
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_report_is_tidied_and_checked() {
        let new = validate(&report(), TODAY).unwrap();
        assert_eq!(new.content, "Nhận hối lộ khi cấp phép");
        assert_eq!(new.accused[0].name, "Trần Văn B");
        let mut bad = report();
        bad.accused.clear();
        bad.received_date = Some(dates::to_proto(date!(2024 - 05 - 01)));
        bad.channel = 0;
        assert_eq!(
            fields(validate(&bad, TODAY).unwrap_err()),
            ["report.channel", "report.accused", "report.received_date"]
        );
    }

    #[test]
    fn identity_errors_never_repeat_the_identity() {
        let bad = ReporterIdentity {
            full_name: "Lê Thị Secret\u{202E}".into(),
            email: "secret-at-example.org".into(),
            ..Default::default()
        };
        let err = identity(&bad).unwrap_err();
        let shown = format!("{err:?} {err}");
        assert!(
            !shown.contains("Secret") && !shown.contains("secret"),
            "{shown}"
        );
        assert_eq!(
            fields(err),
            ["reporter.full_name", "reporter.full_name", "reporter.email"]
        );
    }

    #[test]
    fn overdue_looks_at_the_current_step_only() {
        let accept = Some(date!(2024 - 04 - 08));
        let resolve = Some(date!(2024 - 05 - 08));
        assert!(overdue(ReportStatus::Received, accept, resolve, TODAY));
        assert!(!overdue(ReportStatus::Accepted, accept, resolve, TODAY));
        assert!(!overdue(
            ReportStatus::Resolved,
            accept,
            resolve,
            date!(2025 - 01 - 01)
        ));
        assert!(!overdue(ReportStatus::Received, None, None, TODAY));
    }

    #[test]
    fn a_reveal_needs_a_reason_and_entries_are_not_reveals() {
        assert!(reveal_reason("why").is_err());
        assert!(reveal_reason("Cần xác minh nhân thân để bảo vệ").is_ok());
        assert!(
            protection_entry(
                ProtectionEntryKind::Reveal,
                Some(&dates::to_proto(TODAY)),
                "x",
                TODAY
            )
            .is_err()
        );
    }
}
