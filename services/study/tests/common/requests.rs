//! Requests of the study scenario, and what a test reads of an error: pure
//! builders over the generated types, shared by study's own tests and the
//! workspace's end-to-end tests (`tests/study_flow.rs` includes this file).
#![allow(dead_code)]

use probity_proto::{
    google::r#type::Date,
    probity::study::v1::{
        AttendanceEntry, ClassFormat, CreatePlanRequest, LearningReportRequirement,
        NonMemberAttendee, Plan, StudyClass, SubmitLearningReportRequest,
    },
};
use tonic_types::StatusExt;

/// A day on the wire.
pub fn date(y: i32, m: i32, d: i32) -> Option<Date> {
    Some(Date {
        year: y,
        month: m,
        day: d,
    })
}

/// 09:00 in Vietnam (02:00 UTC) on the day.
pub fn at(y: i32, m: i32, d: i32) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: days_from_civil(y, m, d) * 86_400 + 2 * 3600,
        nanos: 0,
    })
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian).
fn days_from_civil(y: i32, m: i32, d: i32) -> i64 {
    let y = i64::from(if m <= 2 { y - 1 } else { y });
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The fields named in a status's `BadRequest`.
pub fn fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

/// The status's `ErrorInfo.reason`.
pub fn reason(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|i| i.reason.clone())
        .unwrap_or_default()
}

/// Plan 31-KH/TU over `scope`: December 2016 to February 2017, the roster
/// of 30/11/2016, learning reports due 10 days after a class, cut-off
/// 15/03/2017.
pub fn plan_request(scope: &str, documents: Vec<String>) -> CreatePlanRequest {
    CreatePlanRequest {
        plan: Some(Plan {
            symbol: "31-KH/TU".into(),
            issue_date: date(2016, 11, 30),
            title: "Học tập, quán triệt Nghị quyết Trung ương 4 khóa XII".into(),
            documents,
            scope: scope.into(),
            audience: "Cán bộ, đảng viên".into(),
            period_start: date(2016, 12, 1),
            period_end: date(2017, 2, 28),
            reference_date: date(2016, 11, 30),
            learning_report: Some(LearningReportRequirement {
                required: true,
                due_days: 10,
                cutoff_date: date(2017, 3, 15),
            }),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

/// A class held in person by `org` under `plan` at 09:00 on `day`.
pub fn class(plan: &str, org: &str, title: &str, day: (i32, i32, i32)) -> StudyClass {
    StudyClass {
        plan: plan.into(),
        organization: org.into(),
        title: title.into(),
        start_time: at(day.0, day.1, day.2),
        format: ClassFormat::InPerson as i32,
        venue: "Hội trường xã".into(),
        ..Default::default()
    }
}

/// An attendance entry without a remark.
pub fn entry(member: &str, status: &str) -> AttendanceEntry {
    AttendanceEntry {
        member: member.into(),
        status: status.into(),
        remark: String::new(),
    }
}

/// Named non-members, one per identity number (empty: without one).
pub fn attendees(ids: &[&str]) -> Vec<NonMemberAttendee> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| NonMemberAttendee {
            full_name: format!("Quần chúng {i}"),
            identity_number: id.to_string(),
            note: String::new(),
        })
        .collect()
}

/// A learning report of `member` about `class`, submitted on `day`.
pub fn submission(
    member: &str,
    class: &str,
    day: Option<probity_proto::google::r#type::Date>,
) -> SubmitLearningReportRequest {
    SubmitLearningReportRequest {
        study_class: class.into(),
        member: member.into(),
        content: "Bản thu hoạch: những điểm mới của Nghị quyết…".into(),
        submitted_on: day,
        request_id: String::new(),
    }
}
